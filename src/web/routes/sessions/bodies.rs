//! What REST play answers with: the play socket's frames without their `type`, declared so
//! the API document can be checked against what is sent.

use chrono::{DateTime, Utc};
use serde::Serialize;
use studyhub_actors::ids::{LearnerId, Seq, SessionId};
use studyhub_actors::protocol::{AnswerSummary, Completion, Feedback, PublicActivity, ServerMsg};
use studyhub_actors::store::SessionSnapshot;
use utoipa::ToSchema;

use crate::infra::error::{AppError, AppResult};

/// `POST /v1/learners/{id}/sessions`: the `started` frame.
#[derive(Debug, Serialize, ToSchema)]
pub struct StartedBody {
    #[schema(value_type = String)]
    pub session_id: SessionId,
    pub activity: PublicActivity,
    pub answers: Vec<AnswerSummary>,
    pub last_saved_seq: Seq,
}

/// `POST /v1/sessions/{id}/answers`: the `feedback` frame, with the `completed` one when
/// this answer completed the session.
#[derive(Debug, Serialize, ToSchema)]
pub struct AnswerBody {
    #[serde(flatten)]
    pub feedback: Feedback,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub completed: Option<Completion>,
}

/// `GET /v1/sessions/{id}`: a session's state; the result fields are null until it ends.
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionBody {
    #[schema(value_type = String)]
    pub session_id: SessionId,
    #[schema(value_type = String)]
    pub learner_id: LearnerId,
    pub activity_id: String,
    /// `open`, `completed` or `abandoned`.
    pub status: &'static str,
    pub started_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
    pub questions_total: u32,
    pub questions_correct: u32,
    pub accuracy: Option<f64>,
    pub stars: Option<u8>,
    pub duration_seconds: Option<u64>,
    pub last_saved_seq: Seq,
    pub answers: Vec<AnswerSummary>,
}

impl SessionBody {
    pub fn new(s: SessionSnapshot, last_saved_seq: Seq) -> Self {
        SessionBody {
            answers: s
                .answers
                .iter()
                .map(|a| AnswerSummary {
                    seq: a.seq,
                    question_id: a.question_id.clone(),
                    correct: a.correct,
                })
                .collect(),
            session_id: s.session_id,
            learner_id: s.learner_id,
            activity_id: s.activity_id,
            status: s.status.as_str(),
            started_at: s.started_at,
            ended_at: s.ended_at,
            questions_total: s.questions_total,
            questions_correct: s.questions_correct,
            accuracy: s.accuracy,
            stars: s.stars,
            duration_seconds: s.duration_seconds,
            last_saved_seq,
        }
    }
}

/// The engine answered a REST call with a frame other than the one its contract promises.
fn unexpected(msg: &ServerMsg) -> AppError {
    AppError::internal(anyhow::anyhow!("unexpected frame from the engine: {msg:?}"))
}

pub fn started(msg: &ServerMsg) -> AppResult<StartedBody> {
    match msg {
        ServerMsg::Started {
            session_id,
            activity,
            answers,
            last_saved_seq,
        } => Ok(StartedBody {
            session_id: session_id.clone(),
            activity: activity.clone(),
            answers: answers.clone(),
            last_saved_seq: *last_saved_seq,
        }),
        other => Err(unexpected(other)),
    }
}

pub fn feedback(msg: &ServerMsg) -> AppResult<Feedback> {
    match msg {
        ServerMsg::Feedback(f) => Ok(f.clone()),
        other => Err(unexpected(other)),
    }
}

pub fn completion(msg: &ServerMsg) -> AppResult<Completion> {
    match msg {
        ServerMsg::Completed(c) => Ok(c.clone()),
        other => Err(unexpected(other)),
    }
}
