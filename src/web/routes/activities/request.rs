//! The body of `POST`/`PUT /v1/activities` and everything checked before the database is
//! touched: its shape, sizes, slug, ages, and its questions and media (422 naming each field).

use std::collections::BTreeMap;

use serde::Deserialize;
use studyhub_actors::content::{ActivityContent, Question};
use studyhub_actors::visibility::Visibility;
use utoipa::ToSchema;
use validator::Validate;

use crate::infra::error::{AppError, AppResult};
use crate::web::extract::{Normalize, parse_valid};

fn valid_slug(id: &str) -> Result<(), validator::ValidationError> {
    let ok = (3..=100).contains(&id.len())
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !id.starts_with('-')
        && !id.ends_with('-');
    if ok {
        Ok(())
    } else {
        let mut e = validator::ValidationError::new("slug");
        e.message = Some("3 to 100 characters of a-z, 0-9 and inner hyphens".into());
        Err(e)
    }
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[validate(schema(function = "valid_ages"))]
pub struct ActivityRequest {
    /// A slug such as `math-fractions-1`; made from the title when left out (POST only).
    #[validate(custom(function = "valid_slug"))]
    #[schema(
        min_length = 3,
        max_length = 100,
        pattern = r"^[a-z0-9][a-z0-9-]*[a-z0-9]$"
    )]
    pub id: Option<String>,
    #[validate(length(min = 1, max = 200, message = "between 1 and 200 characters"))]
    #[schema(min_length = 1, max_length = 200, pattern = r"\S")]
    pub title: String,
    #[serde(default)]
    #[validate(length(max = 2000, message = "at most 2000 characters"))]
    #[schema(max_length = 2000)]
    pub description: String,
    #[validate(length(min = 1, max = 50, message = "between 1 and 50 characters"))]
    #[schema(min_length = 1, max_length = 50, pattern = r"\S")]
    pub category: String,
    #[validate(length(min = 1, max = 50, message = "between 1 and 50 characters"))]
    #[schema(min_length = 1, max_length = 50, pattern = r"\S")]
    pub sub_category: Option<String>,
    #[validate(range(min = 1, max = 5, message = "between 1 and 5"))]
    #[schema(minimum = 1, maximum = 5)]
    pub difficulty: i32,
    #[validate(range(min = 2, max = 18, message = "between 2 and 18"))]
    #[schema(minimum = 2, maximum = 18)]
    pub age_min: i32,
    #[validate(range(min = 2, max = 18, message = "between 2 and 18"))]
    #[schema(minimum = 2, maximum = 18)]
    pub age_max: i32,
    /// Shown before the first question.
    #[validate(length(min = 1, max = 2000, message = "between 1 and 2000 characters"))]
    #[schema(min_length = 1, max_length = 2000)]
    pub introduction: Option<String>,
    /// May go into learners' offline packs with its answer keys (default: no).
    #[serde(default)]
    pub offline: bool,
    /// No second try after a wrong answer on the play page (default: a child gets one where
    /// the question allows it).
    #[serde(default)]
    pub one_try: bool,
    /// `[{id, prompt, answer_type, options?, correct_answer, explanation, tolerance?,
    /// image_url?, image_alt?, narration_url?, notation?, notation_alt?, audio?, visual?}]`
    /// (docs/protocol.md, "Content").
    #[schema(value_type = Vec<Object>)]
    pub questions: Vec<Question>,
    /// `private`, `classes` (a teacher's default) or `public` (admins; a teacher keeps it
    /// only on an activity already published). PUT without it keeps the current one.
    pub visibility: Option<Visibility>,
}

fn valid_ages(a: &ActivityRequest) -> Result<(), validator::ValidationError> {
    if a.age_min > a.age_max {
        let mut e = validator::ValidationError::new("age_max");
        e.message = Some("age_max must not be below age_min".into());
        return Err(e);
    }
    Ok(())
}

impl Normalize for ActivityRequest {
    fn normalize(&mut self) {
        self.title = self.title.trim().to_string();
        self.category = self.category.trim().to_lowercase();
        self.sub_category = self
            .sub_category
            .take()
            .map(|s| s.trim().to_lowercase())
            .filter(|s| !s.is_empty());
    }
}

pub(super) fn slug_of(title: &str, category: &str) -> String {
    let mut slug: String = format!("{category}-{title}")
        .to_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    while slug.contains("--") {
        slug = slug.replace("--", "-");
    }
    let slug = slug.trim_matches('-').chars().take(80).collect::<String>();
    format!("{slug}-{}", &uuid::Uuid::new_v4().simple().to_string()[..6])
}

/// Everything `POST /v1/activities` checks before it touches the database: the body as
/// JSON of the right shape, normalized and validated, and its questions (422 naming each
/// field). Returns the request and its stored `content`.
pub fn validate_activity(body: &[u8]) -> AppResult<(ActivityRequest, String)> {
    let mut request: ActivityRequest = parse_valid(body)?;
    let content = content_of(&mut request)?;
    Ok((request, content))
}

/// Checks the questions and media; 422 with the field of each problem.
pub(super) fn content_of(request: &mut ActivityRequest) -> AppResult<String> {
    let content = ActivityContent {
        questions: std::mem::take(&mut request.questions),
        introduction: request.introduction.take(),
        offline: request.offline,
        one_try: request.one_try,
    };
    let problems = content.validate();
    if !problems.is_empty() {
        let fields: BTreeMap<String, String> =
            problems.into_iter().map(|e| (e.field, e.reason)).collect();
        return Err(AppError::validation(fields));
    }
    serde_json::to_string(&content).map_err(AppError::internal)
}
