//! The file `GET /v1/me/export` writes, as import reads it: only the fields import needs,
//! each optional where older exports may lack it.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;
use serde_json::Value;

#[derive(Debug, Deserialize)]
pub struct ExportFile {
    pub(super) user: ExUser,
    #[serde(default)]
    pub(super) learners: Vec<ExLearner>,
    #[serde(default)]
    pub(super) notifications: Vec<ExNote>,
}

#[derive(Debug, Deserialize)]
pub(super) struct ExUser {
    pub(super) id: String,
}

#[derive(Debug, Deserialize)]
pub(super) struct ExLearner {
    pub(super) learner: ExLearnerView,
    pub(super) settings: Option<ExSettings>,
    #[serde(default)]
    pub(super) sessions: Vec<ExSession>,
    #[serde(default)]
    pub(super) daily_progress: Vec<ExProgress>,
    #[serde(default)]
    pub(super) screen_time: Vec<ExTime>,
    #[serde(default)]
    pub(super) pages: Vec<ExPage>,
    #[serde(default)]
    pub(super) achievements: Vec<ExUnlocked>,
    #[serde(default)]
    pub(super) drawings: Vec<ExDrawing>,
    #[serde(default)]
    pub(super) assessments: Vec<ExAssessment>,
}

#[derive(Debug, Deserialize)]
pub(super) struct ExLearnerView {
    pub(super) id: String,
    pub(super) name: String,
    pub(super) age: Option<i32>,
    #[serde(default)]
    pub(super) interests: Vec<String>,
    pub(super) avatar_url: Option<String>,
    pub(super) timezone: Option<String>,
    pub(super) parent_id: Option<String>,
    pub(super) created_at: DateTime<Utc>,
}

#[derive(Debug, Deserialize)]
pub(super) struct ExSettings {
    /// `null`: no limit (a student's own learner).
    pub(super) daily_time_limit_seconds: Option<i32>,
    pub(super) volume: f64,
    pub(super) narration_enabled: bool,
    pub(super) notifications_enabled: bool,
    /// Exports made before downtime existed have none.
    #[serde(default)]
    pub(super) downtime: Vec<crate::features::learners::downtime::DowntimeWindow>,
}

#[derive(Debug, Deserialize)]
pub(super) struct ExSession {
    pub(super) id: String,
    pub(super) activity_id: String,
    pub(super) status: String,
    pub(super) accuracy: Option<f64>,
    pub(super) stars: Option<i32>,
    pub(super) started_at: DateTime<Utc>,
    pub(super) ended_at: Option<DateTime<Utc>>,
    pub(super) questions_total: Option<i32>,
    pub(super) questions_answered: Option<i32>,
    pub(super) questions_correct: Option<i32>,
    pub(super) duration_seconds: Option<i32>,
    #[serde(default)]
    pub(super) answers: Vec<ExAnswer>,
}

#[derive(Debug, Deserialize)]
pub(super) struct ExAnswer {
    pub(super) seq: i32,
    pub(super) question_id: String,
    pub(super) answer: Value,
    pub(super) correct: bool,
    pub(super) answered_at: DateTime<Utc>,
    pub(super) first_attempt: Option<bool>,
}

#[derive(Debug, Deserialize)]
pub(super) struct ExProgress {
    pub(super) date: NaiveDate,
    pub(super) category: String,
    pub(super) activities_completed: i32,
    pub(super) questions_answered: i32,
    pub(super) questions_correct: i32,
    pub(super) study_seconds: i32,
    pub(super) stars: i32,
    pub(super) points: i32,
}

#[derive(Debug, Deserialize)]
pub(super) struct ExTime {
    pub(super) date: NaiveDate,
    pub(super) seconds: i32,
}

#[derive(Debug, Deserialize)]
pub(super) struct ExPage {
    pub(super) page_id: String,
    pub(super) title: String,
    pub(super) seconds: i32,
    pub(super) completed: bool,
}

#[derive(Debug, Deserialize)]
pub(super) struct ExUnlocked {
    pub(super) id: String,
    pub(super) unlocked_at: DateTime<Utc>,
}

#[derive(Debug, Deserialize)]
pub(super) struct ExDrawing {
    pub(super) id: String,
    pub(super) title: String,
    pub(super) category: String,
    pub(super) created_at: DateTime<Utc>,
    pub(super) image_base64: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(super) struct ExAssessment {
    pub(super) id: Option<String>,
    pub(super) assessment_type: String,
    pub(super) component: String,
    pub(super) grade: String,
    pub(super) percentage: Option<f64>,
    pub(super) feedback: Option<String>,
    pub(super) created_at: DateTime<Utc>,
}

#[derive(Debug, Deserialize)]
pub(super) struct ExNote {
    pub(super) id: Option<String>,
    pub(super) kind: String,
    pub(super) child_id: String,
    pub(super) title: String,
    pub(super) body: String,
    #[serde(default)]
    pub(super) read: bool,
    pub(super) created_at: DateTime<Utc>,
    pub(super) data: Option<Value>,
}
