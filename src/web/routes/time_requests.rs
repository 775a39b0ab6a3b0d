//! A child asks for more time over REST (`POST /v1/learners/{id}/time-requests`, also once
//! time is up) and reads where its request stands (`GET …/{request_id}`, what the time-up
//! screen asks again while it waits). A parent answers: `POST /v1/time-requests/{id}` (the
//! parent feed's `answer_time_request` goes through the same function). An approval is a
//! grant for the child's today, stored with the answer in one transaction; the child hears
//! `time_request_answered` then `time` wherever it plays.

use actix_web::{HttpResponse, web};
use actix_web::{get, post};
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;
use validator::Validate;

use crate::features::audit::RequestMeta;
use crate::features::auth::{LearnerAccess, ParentUser};
pub use crate::features::time_requests::{TimeRequestStatus, TimeRequestView};
use crate::infra::error::AppResult;
use crate::web::extract::{Normalize, ValidJson};
use crate::web::state::AppState;

mod pending;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(answer)
        .service(ask)
        .service(status)
        .service(pending::pending);
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
pub struct AskRequest {
    /// What the child asks for (the rules are the socket's `ask_time`'s).
    #[schema(minimum = 300, maximum = 3600)]
    pub seconds: i64,
    /// Why (at most 500 characters; empty is none).
    #[schema(max_length = 500)]
    pub reason: Option<String>,
}
impl Normalize for AskRequest {}

/// Ask the child's parent for more time (the child's device, the parent, or a student for
/// themself: a student's own learner has no parent, 403). Works once time is up too. One
/// request may wait at a time, three a day; the parent is notified at once.
#[utoipa::path(tag = "children", request_body = AskRequest, security(("bearer" = [])),
    params(("id" = String, Path, description = "the learner")),
    responses((status = 201, body = TimeRequestStatus), (status = 403, description = "a learner without a parent"),
        (status = 404, description = "not a learner the caller may act for"),
        (status = 409, description = "`time_request_pending` (one is waiting: `details.request_id` names it) or `time_request_limit` (three today)"),
        (status = 422, description = "`seconds` not 300..3600, or `reason` too long")))]
#[post("/learners/{id}/time-requests")]
pub async fn ask(
    state: web::Data<AppState>,
    access: LearnerAccess,
    body: ValidJson<AskRequest>,
) -> AppResult<HttpResponse> {
    let b = body.0;
    let v = crate::features::time_requests::ask(
        &state.db,
        &state.control,
        &access.learner,
        b.seconds,
        b.reason,
    )
    .await?;
    Ok(HttpResponse::Created().json(v))
}

/// Where one of the learner's requests stands: `pending`, `approved` (with the seconds
/// granted) or `denied`. The time-up screen reads it again while it waits.
#[utoipa::path(tag = "children", security(("bearer" = [])),
    params(("id" = String, Path, description = "the learner"), ("request_id" = String, Path, description = "the request")),
    responses((status = 200, body = TimeRequestStatus), (status = 404, description = "no such request of a learner the caller may act for")))]
#[get("/learners/{id}/time-requests/{request_id}")]
pub async fn status(
    state: web::Data<AppState>,
    access: LearnerAccess,
    path: web::Path<(String, String)>,
) -> AppResult<HttpResponse> {
    let (_, request_id) = path.into_inner();
    let v =
        crate::features::time_requests::status(&state.db, &access.learner.id, &request_id).await?;
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(v))
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
