//! Achievements as stored: the catalog, and what each learner unlocked (the group commit
//! writes the unlocks).

use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use crate::infra::db::DbConnection;
use crate::infra::db::models::AchievementRow;
use crate::infra::db::schema::{achievements, learner_achievements};
use crate::infra::time::utc;

#[derive(Debug, Serialize, ToSchema)]
pub struct AchievementView {
    pub id: String,
    pub title: String,
    pub description: String,
    pub category: Option<String>,
    /// `{type: activity_count|accuracy|streak|perfect_score|study_time, …}`
    #[schema(value_type = Object)]
    pub criteria: serde_json::Value,
    pub reward_points: i32,
    pub badge_icon_url: Option<String>,
    /// Only in a learner's list.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unlocked_at: Option<chrono::DateTime<chrono::Utc>>,
}

fn view(r: AchievementRow, unlocked_at: Option<chrono::NaiveDateTime>) -> AchievementView {
    AchievementView {
        criteria: serde_json::from_str(&r.criteria).unwrap_or(serde_json::Value::Null),
        id: r.id,
        title: r.title,
        description: r.description,
        category: r.category,
        reward_points: r.reward_points,
        badge_icon_url: r.badge_icon_url,
        unlocked_at: unlocked_at.map(utc),
    }
}

/// Every achievement there is to unlock.
pub fn catalog(conn: &mut DbConnection) -> QueryResult<Vec<AchievementView>> {
    let rows: Vec<AchievementRow> = achievements::table
        .order(achievements::id)
        .select(AchievementRow::as_select())
        .load(conn)?;
    Ok(rows.into_iter().map(|r| view(r, None)).collect())
}

/// What a learner has unlocked, newest first, with dates.
pub fn unlocked_by(conn: &mut DbConnection, learner_id: &str) -> QueryResult<Vec<AchievementView>> {
    let rows: Vec<(AchievementRow, chrono::NaiveDateTime)> = learner_achievements::table
        .inner_join(achievements::table)
        .filter(learner_achievements::learner_id.eq(learner_id))
        .order(learner_achievements::unlocked_at.desc())
        .select((
            AchievementRow::as_select(),
            learner_achievements::unlocked_at,
        ))
        .load(conn)?;
    Ok(rows.into_iter().map(|(r, at)| view(r, Some(at))).collect())
}
