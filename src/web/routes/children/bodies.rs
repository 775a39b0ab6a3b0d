//! What the children routes take and give: request bodies with their rules (checked by
//! `validator`, declared to OpenAPI).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::{Validate, ValidationError};

use crate::features::learners::downtime::DowntimeWindow;
use crate::web::extract::Normalize;

fn valid_timezone(tz: &str) -> Result<(), ValidationError> {
    tz.parse::<chrono_tz::Tz>().map(|_| ()).map_err(|_| {
        let mut e = ValidationError::new("timezone");
        e.message = Some("not an IANA time zone name (like Europe/London)".into());
        e
    })
}

fn valid_interests(items: &[String]) -> Result<(), ValidationError> {
    if items.len() > 20
        || items
            .iter()
            .any(|i| i.trim().is_empty() || i.chars().count() > 50)
    {
        let mut e = ValidationError::new("interests");
        e.message = Some("at most 20 interests of 1 to 50 characters".into());
        return Err(e);
    }
    Ok(())
}

/// Up to 20 interests of 1..50 characters, not blank.
fn interests_schema() -> utoipa::openapi::schema::Array {
    use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Type};
    ArrayBuilder::new()
        .items(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .min_length(Some(1))
                .max_length(Some(50))
                .pattern(Some(r"\S")),
        )
        .max_items(Some(20))
        .build()
}

/// An IANA time zone name: the ones this build knows.
fn timezone_schema() -> utoipa::openapi::schema::Object {
    use utoipa::openapi::schema::{ObjectBuilder, Type};
    ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::SchemaType::from_iter([
            Type::String,
            Type::Null,
        ]))
        .enum_values(Some(chrono_tz::TZ_VARIANTS.iter().map(|tz| tz.name())))
        .build()
}

fn valid_avatar(url: &str) -> Result<(), ValidationError> {
    let ok = url.len() <= 500
        && (url.starts_with("https://") || url.starts_with("http://") || url.starts_with('/'));
    if ok {
        Ok(())
    } else {
        let mut e = ValidationError::new("avatar_url");
        e.message = Some("an http(s) URL or a path, at most 500 characters".into());
        Err(e)
    }
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
pub struct ChildRequest {
    #[validate(length(min = 1, max = 100, message = "between 1 and 100 characters"))]
    #[schema(min_length = 1, max_length = 100, pattern = r"\S")]
    pub name: String,
    #[validate(range(min = 2, max = 18, message = "between 2 and 18"))]
    #[schema(minimum = 2, maximum = 18)]
    pub age: i32,
    #[serde(default)]
    #[validate(custom(function = "valid_interests"))]
    #[schema(schema_with = interests_schema)]
    pub interests: Vec<String>,
    #[validate(custom(function = "valid_avatar"))]
    #[schema(max_length = 500, pattern = r"^(https?://|/)")]
    pub avatar_url: Option<String>,
    #[validate(custom(function = "valid_timezone"))]
    #[schema(schema_with = timezone_schema)]
    pub timezone: Option<String>,
}

impl Normalize for ChildRequest {
    fn normalize(&mut self) {
        self.name = self.name.trim().to_string();
        for i in &mut self.interests {
            *i = i.trim().to_string();
        }
    }
}

#[derive(Debug, Serialize, Deserialize, Validate, ToSchema)]
pub struct SettingsBody {
    #[validate(range(min = 0, max = 86_400, message = "between 0 and 86400 seconds"))]
    #[schema(minimum = 0, maximum = 86_400)]
    pub daily_time_limit_seconds: Option<i32>,
    #[validate(range(min = 0.0, max = 1.0, message = "between 0 and 1"))]
    #[schema(minimum = 0.0, maximum = 1.0)]
    pub volume: Option<f64>,
    pub narration_enabled: Option<bool>,
    pub notifications_enabled: Option<bool>,
    /// Weekly windows of the child's local time with no play (at most 14; `[]` clears them).
    #[schema(max_items = 14)]
    pub downtime: Option<Vec<DowntimeWindow>>,
}
impl Normalize for SettingsBody {}

/// A student's own settings: the limit may be `null` (no limit); a field left out keeps its
/// value.
#[derive(Debug, Deserialize, ToSchema)]
pub struct StudentSettingsBody {
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<i32>, minimum = 0, maximum = 86_400)]
    pub daily_time_limit_seconds: Option<Option<i32>>,
    #[schema(minimum = 0.0, maximum = 1.0)]
    pub volume: Option<f64>,
    pub narration_enabled: Option<bool>,
    #[schema(max_items = 14)]
    pub downtime: Option<Vec<DowntimeWindow>>,
}

/// A field that is present, `null` included (`Some(None)`); absent stays `None`.
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<i32>>, D::Error> {
    Option::<i32>::deserialize(d).map(Some)
}

impl Validate for StudentSettingsBody {
    fn validate(&self) -> Result<(), validator::ValidationErrors> {
        let mut errors = validator::ValidationErrors::new();
        if let Some(Some(limit)) = self.daily_time_limit_seconds
            && !(0..=86_400).contains(&limit)
        {
            let mut e = validator::ValidationError::new("range");
            e.message = Some("between 0 and 86400 seconds, or null for no limit".into());
            errors.add("daily_time_limit_seconds", e);
        }
        if self.volume.is_some_and(|v| !(0.0..=1.0).contains(&v)) {
            let mut e = validator::ValidationError::new("range");
            e.message = Some("between 0 and 1".into());
            errors.add("volume", e);
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }
}
impl Normalize for StudentSettingsBody {}

#[derive(Debug, Deserialize, Validate, ToSchema)]
pub struct GrantRequest {
    #[validate(range(min = 60, max = 7200, message = "between 60 and 7200 seconds"))]
    #[schema(minimum = 60, maximum = 7200)]
    pub seconds: i32,
}
impl Normalize for GrantRequest {}
