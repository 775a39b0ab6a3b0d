//! Rows as Diesel sees them. Domain types and wire shapes live with their features.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::*;

#[derive(Debug, Clone, Queryable, Selectable, Identifiable, Insertable)]
#[diesel(table_name = users)]
pub struct UserRow {
    pub id: String,
    pub email: String,
    pub name: String,
    pub role: String,
    pub password_hash: String,
    pub token_version: i32,
    pub active: bool,
    pub last_login_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// When the owner proved the address (a link from an email); `None`: not yet.
    pub email_verified_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = refresh_tokens)]
pub struct RefreshTokenRow {
    pub id: String,
    pub user_id: String,
    pub family_id: String,
    pub token_hash: String,
    pub spent_at: Option<NaiveDateTime>,
    pub revoked_at: Option<NaiveDateTime>,
    pub expires_at: NaiveDateTime,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Identifiable, Insertable, AsChangeset)]
#[diesel(table_name = learners)]
pub struct LearnerRow {
    /// Read through [`LearnerRow::learner_id`] outside the database layer.
    pub id: String,
    pub parent_id: Option<String>,
    pub user_id: Option<String>,
    pub name: String,
    pub age: Option<i32>,
    pub interests: String,
    pub avatar_url: Option<String>,
    pub timezone: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl LearnerRow {
    /// The learner's id, typed.
    pub fn learner_id(&self) -> studyhub_actors::ids::LearnerId {
        self.id.as_str().into()
    }
}

/// A child's daily limit until the parent sets another: an hour.
pub const DEFAULT_DAILY_LIMIT: i32 = 3600;

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(
    table_name = learner_settings,
    treat_none_as_null = true,
    treat_none_as_default_value = false
)]
pub struct LearnerSettingsRow {
    pub learner_id: String,
    /// `None`: no daily limit (a student's own learner, unless the student sets one).
    pub daily_time_limit_seconds: Option<i32>,
    pub volume: f64,
    pub narration_enabled: bool,
    pub notifications_enabled: bool,
    pub updated_at: NaiveDateTime,
    /// Downtime windows, a JSON array of `{days, start, end}`.
    pub downtime: String,
}

impl LearnerSettingsRow {
    /// A child's: an hour a day; a student's own learner (`student`): no limit.
    pub fn defaults(learner_id: &str, student: bool, now: NaiveDateTime) -> Self {
        Self {
            learner_id: learner_id.to_string(),
            daily_time_limit_seconds: (!student).then_some(DEFAULT_DAILY_LIMIT),
            volume: 0.8,
            narration_enabled: true,
            notifications_enabled: true,
            updated_at: now,
            downtime: "[]".into(),
        }
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = activities)]
#[diesel(treat_none_as_null = true)]
pub struct ActivityRow {
    pub id: String,
    pub title: String,
    pub description: String,
    pub category: String,
    pub sub_category: Option<String>,
    pub difficulty: i32,
    pub age_min: i32,
    pub age_max: i32,
    pub content: String,
    pub author_id: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// Set when deleted: out of the catalog, history kept.
    pub archived_at: Option<NaiveDateTime>,
    /// `private`, `classes` or `public` (`studyhub_actors::visibility::Visibility`).
    pub visibility: String,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = achievements)]
#[diesel(treat_none_as_null = true)]
pub struct AchievementRow {
    pub id: String,
    pub title: String,
    pub description: String,
    pub category: Option<String>,
    pub criteria: String,
    pub reward_points: i32,
    pub badge_icon_url: Option<String>,
    pub created_at: NaiveDateTime,
}

/// One day of one category of a learner's progress (the row without its learner).
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = daily_progress)]
pub struct DayProgress {
    pub date: chrono::NaiveDate,
    pub category: String,
    pub activities_completed: i32,
    pub questions_answered: i32,
    pub questions_correct: i32,
    pub study_seconds: i32,
    pub stars: i32,
    pub points: i32,
}
