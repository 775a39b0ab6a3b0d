//! The achievement catalog and a learner's unlocked achievements.

use actix_web::get;
use actix_web::{HttpResponse, web};
use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::auth::LearnerAccess;
use crate::db::models::AchievementRow;
use crate::db::schema::{achievements, learner_achievements};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::time::utc;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(catalog).service(unlocked);
}

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
#[utoipa::path(tag = "achievements", responses((status = 200, body = [AchievementView])))]
#[get("/achievements")]
pub async fn catalog(state: web::Data<AppState>) -> AppResult<HttpResponse> {
    let rows = state
        .db
        .run(|conn| {
            achievements::table
                .order(achievements::id)
                .select(AchievementRow::as_select())
                .load(conn)
                .map_err(AppError::from)
        })
        .await?;
    Ok(HttpResponse::Ok().json(rows.into_iter().map(|r| view(r, None)).collect::<Vec<_>>()))
}

/// What a learner has unlocked, newest first, with dates.
#[utoipa::path(tag = "achievements", security(("bearer" = [])),
    responses((status = 200, body = [AchievementView]), (status = 404)))]
#[get("/learners/{id}/achievements")]
pub async fn unlocked(
    state: web::Data<AppState>,
    access: LearnerAccess,
) -> AppResult<HttpResponse> {
    let id = access.learner.id;
    let rows = state
        .db
        .run(move |conn| {
            learner_achievements::table
                .inner_join(achievements::table)
                .filter(learner_achievements::learner_id.eq(&id))
                .order(learner_achievements::unlocked_at.desc())
                .select((
                    AchievementRow::as_select(),
                    learner_achievements::unlocked_at,
                ))
                .load::<(AchievementRow, chrono::NaiveDateTime)>(conn)
                .map_err(AppError::from)
        })
        .await?;
    Ok(HttpResponse::Ok().json(
        rows.into_iter()
            .map(|(r, at)| view(r, Some(at)))
            .collect::<Vec<_>>(),
    ))
}
