//! `GET /v1/learners/{id}/progress`: everything so far, in one answer.

use actix_web::get;
use actix_web::{HttpResponse, web};
use chrono::Utc;
use studyhub_actors::screen_time::{local_date, parse_tz};

use crate::auth::AuthUser;
use crate::auth::access::readable_learner;
use crate::error::AppResult;
use crate::progress::summary::summary;
pub use crate::progress::summary::{CategoryTotals, ProgressSummary};
use crate::state::AppState;

/// Totals, streaks and stars; `average_accuracy` averages the latest completed session of
/// each activity.
#[utoipa::path(tag = "progress", security(("bearer" = [])), responses((status = 200, body = ProgressSummary), (status = 404)))]
#[get("/learners/{id}/progress")]
pub async fn progress(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let learner = readable_learner(&state, user, path.into_inner().into()).await?;
    let today = local_date(parse_tz(&learner.timezone), Utc::now());
    let id = learner.id.clone();
    let body = state
        .db
        .run(move |conn| Ok(summary(conn, &id, today)?))
        .await?;
    Ok(HttpResponse::Ok().json(body))
}
