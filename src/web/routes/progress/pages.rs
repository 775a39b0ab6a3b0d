//! Study-page time (IGCSE pages).

use actix_web::post;
use actix_web::{HttpResponse, web};
use chrono::Utc;
use serde::Deserialize;
use studyhub_actors::screen_time::{local_date, parse_tz};
use utoipa::ToSchema;
use validator::Validate;

use crate::features::auth::LearnerAccess;
pub use crate::features::progress::pages::{PAGES_CATEGORY, PageBody};
use crate::features::progress::pages::{Visit, record_visit};
use crate::infra::error::AppResult;
use crate::web::extract::{Normalize, ValidJson};
use crate::web::state::AppState;

#[derive(Debug, Deserialize, Validate, ToSchema)]
pub struct PageRequest {
    #[validate(length(min = 1, max = 100, message = "between 1 and 100 characters"))]
    #[schema(min_length = 1, max_length = 100, pattern = r"\S")]
    pub page_id: String,
    #[validate(length(min = 1, max = 200, message = "between 1 and 200 characters"))]
    #[schema(min_length = 1, max_length = 200, pattern = r"\S")]
    pub title: String,
    /// Seconds spent on the page in this visit (added up).
    #[validate(range(min = 0, max = 14_400, message = "between 0 and 14400"))]
    #[schema(minimum = 0, maximum = 14_400)]
    pub seconds: i32,
    #[serde(default)]
    pub completed: bool,
}
impl Normalize for PageRequest {
    fn normalize(&mut self) {
        self.page_id = self.page_id.trim().to_string();
        self.title = self.title.trim().to_string();
    }
}

/// Study-page time (IGCSE pages): added to the page's total and to today's study time.
#[utoipa::path(tag = "progress", request_body = PageRequest, security(("bearer" = [])),
    responses((status = 200, body = PageBody), (status = 404), (status = 422)))]
#[post("/learners/{id}/pages")]
pub async fn pages(
    state: web::Data<AppState>,
    access: LearnerAccess,
    body: ValidJson<PageRequest>,
) -> AppResult<HttpResponse> {
    let b = body.0;
    let learner = access.learner;
    let date = local_date(parse_tz(&learner.timezone), Utc::now());
    let id = learner.id.clone();
    let seconds = b.seconds;
    let visit = Visit {
        page_id: b.page_id,
        title: b.title,
        seconds: b.seconds,
        completed: b.completed,
    };
    let row = state
        .db
        .transaction(move |conn| Ok(record_visit(conn, &id, date, visit)?))
        .await;
    // Even after an error: the commit may have happened.
    state
        .control
        .progress_changed(vec![learner.learner_id()])
        .await;
    let row = row?;
    if let Some(addr) = state.engine.live(&learner.learner_id()) {
        addr.study_seconds(seconds as u64);
    }
    Ok(HttpResponse::Ok().json(row))
}
