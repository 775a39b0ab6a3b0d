//! Play over REST, for clients without websockets: the same engine, the same grading and
//! screen time. `POST …/answers` answers 200 only once the answer is saved.

use actix_web::{get, post};
use std::time::Duration;
use studyhub_actors::ids::{LearnerId, Seq, SessionId};
use utoipa_actix_web::service_config::ServiceConfig;

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::json;
use studyhub_actors::content::Answer;
use studyhub_actors::protocol::{ClientMsg, Completion, ErrorCode, ServerMsg};
use studyhub_actors::store::SessionSnapshot;
use utoipa::ToSchema;
use validator::Validate;

mod bodies;

use self::bodies::{AnswerBody, SessionBody, StartedBody};
use crate::features::auth::{AuthUser, LearnerAccess};
use crate::infra::error::{AppError, AppResult, Code, ErrorKind};
use crate::web::extract::{Normalize, ValidJson};
use crate::web::state::AppState;

/// How long `POST …/answers` waits for the group commit before answering 503.
const SAVE_WAIT: Duration = Duration::from_secs(15);

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(start)
        .service(get_session)
        .service(answer)
        .service(finish);
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
pub struct StartRequest {
    #[validate(length(min = 1, max = 100))]
    #[schema(min_length = 1, max_length = 100)]
    pub activity_id: String,
}
impl Normalize for StartRequest {}

#[derive(Debug, Deserialize, Validate, ToSchema)]
pub struct AnswerRequest {
    #[validate(range(min = 1, max = 1_000_000, message = "a positive integer"))]
    #[schema(minimum = 1, maximum = 1_000_000)]
    pub seq: i64,
    #[validate(length(min = 1, max = 64))]
    #[schema(min_length = 1, max_length = 64)]
    pub question_id: String,
    /// A string, number or boolean, as the question's `answer_type` asks.
    #[validate(custom(function = "valid_answer"))]
    pub answer: Answer,
}

fn valid_answer(given: &Answer) -> Result<(), validator::ValidationError> {
    match given {
        Answer::Text(t) if t.chars().count() > studyhub_actors::content::MAX_TEXT => {
            let mut e = validator::ValidationError::new("answer");
            e.message = Some("at most 2000 characters".into());
            Err(e)
        }
        _ => Ok(()),
    }
}

impl Normalize for AnswerRequest {}

fn play_error(
    code: ErrorCode,
    message: String,
    until: Option<chrono::DateTime<chrono::Utc>>,
    retry_after_ms: Option<u64>,
) -> AppError {
    if let (ErrorCode::Busy, Some(ms)) = (code, retry_after_ms) {
        return AppError::new(
            ErrorKind::Busy { retry_after_ms: ms },
            Code::Play(code),
            message,
        )
        .with_details(json!({ "retry_after_ms": ms }));
    }
    let kind = match code {
        ErrorCode::BadMessage | ErrorCode::UnknownQuestion | ErrorCode::NotSaved => {
            ErrorKind::Validation
        }
        ErrorCode::UnknownActivity | ErrorCode::UnknownRequest | ErrorCode::NoGame => {
            ErrorKind::NotFound
        }
        ErrorCode::NoSession
        | ErrorCode::BadSeq
        | ErrorCode::TimeRequestPending
        | ErrorCode::AlreadyAnswered
        | ErrorCode::QuestionClosed
        | ErrorCode::GameOver => ErrorKind::Conflict,
        ErrorCode::TimeUp | ErrorCode::Forbidden | ErrorCode::Downtime | ErrorCode::NotInClass => {
            ErrorKind::Forbidden
        }
        ErrorCode::RateLimited | ErrorCode::TimeRequestLimit => ErrorKind::RateLimited {
            retry_after_secs: 1,
        },
        ErrorCode::StorageUnavailable | ErrorCode::Busy => ErrorKind::Unavailable,
    };
    let err = AppError::new(kind, crate::infra::error::Code::Play(code), message);
    match until {
        // Downtime: when play may start again.
        Some(until) => err.with_details(json!({ "until": until })),
        None => err,
    }
}

/// Waits for the group commit that saves what the engine just took.
async fn wait_saved(saved: Option<tokio::sync::oneshot::Receiver<bool>>) -> AppResult<()> {
    let Some(saved) = saved else {
        return Ok(());
    };
    match tokio::time::timeout(SAVE_WAIT, saved).await {
        Ok(Ok(true)) => Ok(()),
        Ok(Ok(false)) => Err(AppError::new(
            ErrorKind::Validation,
            Code::NotSaved,
            "the database refuses this answer for good; it was not stored",
        )),
        _ => Err(AppError::new(
            ErrorKind::Unavailable,
            Code::StorageUnavailable,
            "not saved yet; send the same request again",
        )),
    }
}

/// A server message as a REST body: the same fields, without `type`.
async fn call(
    state: &AppState,
    learner_id: &LearnerId,
    msg: ClientMsg,
) -> AppResult<studyhub_actors::learner::RestReply> {
    for _ in 0..2 {
        let addr = state
            .engine
            .learner(learner_id)
            .await
            .map_err(AppError::from)?;
        // None: the actor stopped in between, so a fresh one is started.
        if let Some(reply) = addr.rest(msg.clone()).await {
            if let Some(ServerMsg::Error {
                code,
                message,
                until,
                retry_after_ms,
                ..
            }) = reply.msgs.first()
            {
                return Err(play_error(*code, message.clone(), *until, *retry_after_ms));
            }
            return Ok(reply);
        }
    }
    Err(AppError::new(
        ErrorKind::Unavailable,
        Code::TryAgain,
        "the session is busy; try again",
    ))
}

/// The session (from the live actor if it is playing, else from the database) after
/// checking the caller may act for its learner.
/// Also returns the highest seq the database has (the live view includes unsaved answers).
async fn authorized_session(
    state: &AppState,
    user: AuthUser,
    session_id: SessionId,
) -> AppResult<(SessionSnapshot, Seq)> {
    let stored = state
        .engine
        .store()
        .load_session(&session_id)
        .await
        .map_err(|e| AppError::db_unavailable(anyhow::anyhow!(e)))?
        .ok_or_else(|| AppError::not_found("session"))?;
    LearnerAccess::load(&state.learner_reads, user, stored.learner_id.clone())
        .await
        .map_err(|e| match e.kind {
            ErrorKind::NotFound => AppError::not_found("session"),
            _ => e,
        })?;
    let saved = stored.answers.last().map_or(Seq::NONE, |a| a.seq);
    if let Some(addr) = state.engine.live(&stored.learner_id)
        && let Some(live) = addr.snapshot(&session_id).await
    {
        return Ok((live, saved));
    }
    Ok((stored, saved))
}

/// Start an activity session (REST play).
#[utoipa::path(tag = "play", request_body = StartRequest, security(("bearer" = [])),
    responses((status = 201, body = StartedBody), (status = 403, description = "time_up"), (status = 404, description = "unknown learner or activity")))]
#[post("/learners/{id}/sessions")]
pub async fn start(
    state: web::Data<AppState>,
    access: LearnerAccess,
    body: ValidJson<StartRequest>,
) -> AppResult<HttpResponse> {
    let reply = call(
        &state,
        &access.learner.learner_id(),
        ClientMsg::Start {
            activity_id: body.0.activity_id,
        },
    )
    .await?;
    wait_saved(reply.saved).await?;
    Ok(HttpResponse::Created().json(bodies::started(&reply.msgs[0])?))
}

/// Answer a question (REST play). 200 only once the answer is saved; a repeated seq returns
/// its original feedback with `duplicate: true`.
#[utoipa::path(tag = "play", request_body = AnswerRequest, security(("bearer" = [])),
    responses((status = 200, body = AnswerBody, description = "feedback, with `completed` when this answer completed the session"), (status = 409, description = "bad_seq or no_session"), (status = 422, description = "unknown_question"), (status = 503, description = "`storage_unavailable`: not saved yet, send the same seq again; or `busy` (past capacity, nothing kept) with `Retry-After` and `details.retry_after_ms`")))]
#[post("/sessions/{id}/answers")]
pub async fn answer(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<String>,
    body: ValidJson<AnswerRequest>,
) -> AppResult<HttpResponse> {
    let session_id = SessionId::from(path.into_inner());
    let (session, _) = authorized_session(&state, user, session_id.clone()).await?;
    let AnswerRequest {
        seq,
        question_id,
        answer: given,
    } = body.0;
    let reply = call(
        &state,
        &session.learner_id,
        ClientMsg::Answer {
            session_id,
            seq,
            question_id,
            answer: given,
        },
    )
    .await?;
    wait_saved(reply.saved).await?;
    Ok(HttpResponse::Ok().json(AnswerBody {
        feedback: bodies::feedback(&reply.msgs[0])?,
        completed: reply.msgs.get(1).map(bodies::completion).transpose()?,
    }))
}

/// Finish a session early.
#[utoipa::path(tag = "play", security(("bearer" = [])),
    responses((status = 200, body = Completion), (status = 409, description = "no_session")))]
#[post("/sessions/{id}/finish")]
pub async fn finish(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let session_id = SessionId::from(path.into_inner());
    let (session, _) = authorized_session(&state, user, session_id.clone()).await?;
    let reply = call(
        &state,
        &session.learner_id,
        ClientMsg::Finish { session_id },
    )
    .await?;
    Ok(HttpResponse::Ok().json(bodies::completion(&reply.msgs[0])?))
}

/// A session's state: its answers (correctness only) and, once ended, its result.
#[utoipa::path(tag = "play", security(("bearer" = [])),
    responses((status = 200, body = SessionBody), (status = 404)))]
#[get("/sessions/{id}")]
pub async fn get_session(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let (s, last_saved_seq) = authorized_session(&state, user, path.into_inner().into()).await?;
    Ok(HttpResponse::Ok().json(SessionBody::new(s, last_saved_seq)))
}
