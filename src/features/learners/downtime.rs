//! Downtime in a child's settings: the wire shape of a window and its checks (422 with
//! `details.fields` naming the window and field, like `downtime[1].start`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use studyhub_actors::downtime_windows::{MAX_WINDOWS, Window, WindowSpec};
use utoipa::ToSchema;

use crate::infra::error::AppError;

/// At least one of `mon`..`sun` (a day named twice counts once).
fn days_schema() -> utoipa::openapi::schema::Array {
    use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Type};
    ArrayBuilder::new()
        .items(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .enum_values(Some(["mon", "tue", "wed", "thu", "fri", "sat", "sun"])),
        )
        .min_items(Some(1))
        .build()
}

/// A weekly window of the child's local time with no play.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DowntimeWindow {
    /// The days it starts on: `mon`, `tue`, `wed`, `thu`, `fri`, `sat`, `sun`.
    #[schema(schema_with = days_schema)]
    pub days: Vec<String>,
    /// Local start, `HH:MM` (00:00 to 23:59).
    #[schema(example = "20:00", pattern = r"^([01][0-9]|2[0-3]):[0-5][0-9]$")]
    pub start: String,
    /// Local end, `HH:MM` (00:00 to 24:00). Not after `start`: it ends the next day.
    #[schema(
        example = "07:00",
        pattern = r"^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$"
    )]
    pub end: String,
}

impl From<Window> for DowntimeWindow {
    fn from(w: Window) -> Self {
        let spec = WindowSpec::from(w);
        Self {
            days: spec.days,
            start: spec.start,
            end: spec.end,
        }
    }
}

/// The windows as the engine takes them, or 422 naming every bad one.
pub fn check(windows: Vec<DowntimeWindow>) -> Result<Vec<Window>, AppError> {
    let mut fields = BTreeMap::new();
    if windows.len() > MAX_WINDOWS {
        fields.insert(
            "downtime".to_string(),
            format!("at most {MAX_WINDOWS} windows"),
        );
        return Err(AppError::validation(fields));
    }
    let mut out = Vec::with_capacity(windows.len());
    for (i, w) in windows.into_iter().enumerate() {
        let spec = WindowSpec {
            days: w.days,
            start: w.start,
            end: w.end,
        };
        match Window::try_from(spec) {
            Ok(window) => out.push(window),
            Err(e) => {
                fields.insert(format!("downtime[{i}].{}", e.field), e.reason);
            }
        }
    }
    if fields.is_empty() {
        Ok(out)
    } else {
        Err(AppError::validation(fields))
    }
}

/// The windows as stored (a JSON array), for the engine.
pub fn stored(json: &str) -> Vec<Window> {
    crate::infra::store::time_requests::parse_downtime(Some(json))
}
