//! A parent answers a child's request for more time: `POST /v1/time-requests/{id}` (the parent
//! feed's `answer_time_request` goes through the same function). An approval is a grant for
//! the child's today, stored with the answer in one transaction; the child hears
//! `time_request_answered` then `time` wherever it plays.

use actix_web::post;
use actix_web::{HttpResponse, web};
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;
use validator::Validate;

use crate::features::audit::RequestMeta;
use crate::features::auth::ParentUser;
pub use crate::features::time_requests::TimeRequestView;
use crate::infra::error::AppResult;
use crate::web::extract::{Normalize, ValidJson};
use crate::web::state::AppState;

mod pending;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(answer).service(pending::pending);
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[schema(as = TimeRequestAnswer)]
pub struct AnswerRequest {
    pub approve: bool,
    /// With an approval: grant less than was asked (60 up to what was asked).
    #[validate(range(min = 60, max = 3600, message = "between 60 and 3600 seconds"))]
    #[schema(minimum = 60, maximum = 3600)]
    pub seconds: Option<i32>,
}
impl Normalize for AnswerRequest {}

/// Answer a child's request for more time. An approval grants `seconds` (default: what was
/// asked; only lower) for the child's today, felt at once.
#[utoipa::path(tag = "children", request_body = AnswerRequest, security(("bearer" = [])),
    responses((status = 200, body = TimeRequestView), (status = 403, description = "not a parent"),
        (status = 404, description = "no such request of the caller's children"),
        (status = 409, description = "already answered (`already_answered`)"),
        (status = 422, description = "`seconds` above what was asked, or out of range")))]
#[post("/time-requests/{id}")]
pub async fn answer(
    state: web::Data<AppState>,
    parent: ParentUser,
    meta: RequestMeta,
    path: web::Path<String>,
    body: ValidJson<AnswerRequest>,
) -> AppResult<HttpResponse> {
    let b = body.0;
    let v = crate::features::time_requests::answer(
        &state.db,
        &state.control,
        &meta,
        &parent.0.id,
        &path.into_inner(),
        b.approve,
        b.seconds,
    )
    .await?;
    Ok(HttpResponse::Ok().json(v))
}
