//! The achievement catalog and a learner's unlocked achievements.

use actix_web::get;
use actix_web::{HttpResponse, web};
use utoipa_actix_web::service_config::ServiceConfig;

pub use crate::features::achievements::AchievementView;
use crate::features::achievements::unlocked_by;
use crate::features::auth::LearnerAccess;
use crate::infra::error::AppResult;
use crate::web::state::AppState;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(catalog).service(unlocked);
}

/// Every achievement there is to unlock.
#[utoipa::path(tag = "achievements", responses((status = 200, body = [AchievementView])))]
#[get("/achievements")]
pub async fn catalog(state: web::Data<AppState>) -> AppResult<HttpResponse> {
    let list = state
        .db
        .run(|conn| Ok(crate::features::achievements::catalog(conn)?))
        .await?;
    Ok(HttpResponse::Ok().json(list))
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
    let list = state
        .db
        .run(move |conn| Ok(unlocked_by(conn, &id)?))
        .await?;
    Ok(HttpResponse::Ok().json(list))
}
