//! A class's week at a glance, for its teacher.

use actix_web::get;
use actix_web::{HttpResponse, web};

use crate::features::classes::TaughtClass;
use crate::features::progress::class_week::class_week;
pub use crate::features::progress::class_week::{ClassProgress, LearnerWeek};
use crate::infra::error::AppResult;
use crate::web::state::AppState;

/// Per learner this week (Monday to today, UTC): activities completed, accuracy of first
/// answers, screen time.
#[utoipa::path(tag = "classes", security(("bearer" = [])), responses((status = 200, body = ClassProgress), (status = 404)))]
#[get("/classes/{id}/progress")]
pub async fn progress(state: web::Data<AppState>, taught: TaughtClass) -> AppResult<HttpResponse> {
    let id = taught.class.id;
    let body = state.db.run(move |conn| Ok(class_week(conn, &id)?)).await?;
    Ok(HttpResponse::Ok().json(body))
}
