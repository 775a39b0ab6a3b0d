//! Offline play: `GET /v1/learners/{id}/offline-pack` (what a device takes away) and
//! `POST /v1/learners/{id}/sync` (what it brings back). The learner's family and a child's
//! device for that learner only; anyone else 404. Rules in `features::offline` (the pack,
//! time spans) and `studyhub_actors::learner::offline` (sessions graded again).

use std::collections::BTreeMap;
use std::time::Duration;

use actix_web::{HttpResponse, get, post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use studyhub_actors::content::{Answer, MAX_TEXT};
use studyhub_actors::ids::{Seq, SessionId};
use studyhub_actors::learner::offline::{OfflineAnswer, OfflineSession, SyncRefused};
use studyhub_actors::protocol::Completion;
use studyhub_actors::screen_time::parse_tz;
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;
use validator::Validate;

use crate::features::auth::LearnerAccess;
use crate::features::learners::SettingsView;
use crate::features::learners::downtime::DowntimeWindow;
use crate::features::offline::{self, PackActivity, Span};
use crate::features::{activities, learners, screen_time};
use crate::infra::error::{AppError, AppResult, Code, ErrorKind};
use crate::web::extract::{Normalize, check_content_type, parse_valid, read_body};
use crate::web::state::AppState;

/// Sessions one sync may carry.
pub const MAX_SESSIONS: usize = 50;
/// Answers one synced session may carry (retries included).
pub const MAX_ANSWERS: usize = 500;
/// Answers one sync may carry in all.
pub const MAX_SYNC_ANSWERS: usize = 2_000;
/// Time spans one sync may carry.
pub const MAX_SPANS: usize = 500;
/// The largest sync body.
pub const SYNC_BYTES: usize = 1024 * 1024;
/// How long a sync waits for the group commit before answering 503 (send it again).
const SAVE_WAIT: Duration = Duration::from_secs(15);

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(pack).service(sync);
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PackTime {
    /// Today's limit with its grants; `null`: no limit.
    pub limit_seconds: Option<u64>,
    /// `null`: no limit.
    pub left_seconds: Option<u64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OfflinePack {
    pub issued_at: DateTime<Utc>,
    /// Seven days after `issued_at`: play after it is not taken back.
    pub expires_at: DateTime<Utc>,
    pub time: PackTime,
    pub downtime: Vec<DowntimeWindow>,
    /// Every activity marked `offline` that the learner may play, with keys and explanations.
    pub activities: Vec<PackActivity>,
}

/// The activities a device may play with no connection, with their keys; the time left and
/// the downtime windows as of now.
#[utoipa::path(tag = "play", security(("bearer" = [])),
    params(("id" = String, Path, description = "the learner")),
    responses((status = 200, body = OfflinePack), (status = 404, description = "not a learner you may play as")))]
#[get("/learners/{id}/offline-pack")]
pub async fn pack(state: web::Data<AppState>, access: LearnerAccess) -> AppResult<HttpResponse> {
    let learner = access.learner;
    let catalog = state
        .content
        .catalog()
        .await
        .map_err(|e| AppError::db_unavailable(anyhow::anyhow!(e)))?;
    let sight = activities::learner_sight(&state.db, &learner.id).await?;
    let activities: Vec<PackActivity> = catalog
        .iter()
        .filter(|a| offline::packable(a, &sight))
        .map(|a| PackActivity::from(a.as_ref()))
        .collect();
    let settings = SettingsView::from(learners::settings(&state.db, learner.id.clone()).await?);
    let (issued_at, expires_at) = offline::issue_pack(&state.db, &learner.id).await?;
    let today = screen_time::today(&state.db, &state.engine, learner).await?;
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(OfflinePack {
            issued_at,
            expires_at,
            time: PackTime {
                limit_seconds: today.limit_seconds.map(|l| l + today.bonus_seconds),
                left_seconds: today.left_seconds,
            },
            downtime: settings.downtime,
            activities,
        }))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct SyncAnswer {
    #[schema(minimum = 1, maximum = 1_000_000)]
    pub seq: i64,
    #[schema(min_length = 1, max_length = 64)]
    pub question_id: String,
    pub answer: Answer,
    pub answered_at: DateTime<Utc>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct SyncSession {
    /// A UUID the device made.
    #[schema(format = "uuid")]
    pub session_id: String,
    #[schema(min_length = 1, max_length = 100)]
    pub activity_id: String,
    pub started_at: DateTime<Utc>,
    /// The learner finished it (a session with every question answered completes anyway).
    #[serde(default)]
    pub finished: bool,
    #[serde(default)]
    #[schema(max_items = 500)]
    pub answers: Vec<SyncAnswer>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct SyncSpan {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
pub struct SyncRequest {
    /// Names the device (its spans are kept apart from other devices').
    #[validate(length(min = 1, max = 64))]
    #[schema(min_length = 1, max_length = 64)]
    pub device_id: String,
    /// At most 50 (checked with the sessions' fields).
    #[serde(default)]
    #[schema(max_items = 50)]
    pub sessions: Vec<SyncSession>,
    /// At most 500.
    #[serde(default)]
    #[schema(max_items = 500)]
    pub time: Vec<SyncSpan>,
}

impl Normalize for SyncRequest {
    fn normalize(&mut self) {
        self.device_id = self.device_id.trim().to_string();
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SyncedSession {
    pub session_id: String,
    /// Every answer of the session up to this seq is stored; the device may forget them.
    pub stored_up_to_seq: i64,
    /// The server's result once the session is complete (its grade stands).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub completed: Option<Completion>,
    /// Why some of it was not taken: `unknown_activity`, `no_session`, `bad_seq`,
    /// `not_saved`. Sending it again changes nothing.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SyncTime {
    pub used_seconds: u64,
    pub limit_seconds: Option<u64>,
    pub left_seconds: Option<u64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SyncResponse {
    pub sessions: Vec<SyncedSession>,
    pub time: SyncTime,
}

/// What the engine takes, or the fields that are wrong (named as in the body).
fn check_sessions(body: Vec<SyncSession>, at: DateTime<Utc>) -> AppResult<Vec<OfflineSession>> {
    let mut fields = BTreeMap::new();
    let mut bad = |f: String, why: &str| {
        fields.insert(f, why.to_string());
    };
    if body.len() > MAX_SESSIONS {
        bad("sessions".into(), "at most 50 sessions in one sync");
    }
    let total: usize = body.iter().map(|s| s.answers.len()).sum();
    if total > MAX_SYNC_ANSWERS {
        bad("sessions".into(), "at most 2000 answers in one sync");
    }
    let latest = at + offline::CLOCK_SKEW;
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::with_capacity(body.len());
    for (i, s) in body.into_iter().enumerate() {
        let f = |name: &str| format!("sessions[{i}].{name}");
        if uuid::Uuid::parse_str(&s.session_id).is_err() {
            bad(f("session_id"), "a UUID");
        } else if !seen.insert(s.session_id.to_ascii_lowercase()) {
            bad(f("session_id"), "sent twice in this sync");
        }
        if s.activity_id.is_empty() || s.activity_id.len() > 100 {
            bad(f("activity_id"), "1 to 100 characters");
        }
        if s.started_at > latest {
            bad(f("started_at"), "in the future");
        }
        if s.answers.len() > MAX_ANSWERS {
            bad(f("answers"), "at most 500 answers");
        }
        let mut answers = Vec::with_capacity(s.answers.len());
        for (j, a) in s.answers.into_iter().enumerate() {
            let g = |name: &str| format!("sessions[{i}].answers[{j}].{name}");
            let seq = Seq::from_wire(a.seq).filter(|_| a.seq <= 1_000_000);
            if seq.is_none() {
                bad(g("seq"), "a positive integer");
            }
            if a.question_id.is_empty() || a.question_id.len() > 64 {
                bad(g("question_id"), "1 to 64 characters");
            }
            if matches!(&a.answer, Answer::Text(t) if t.chars().count() > MAX_TEXT) {
                bad(g("answer"), "at most 2000 characters");
            }
            if a.answered_at > latest {
                bad(g("answered_at"), "in the future");
            } else if a.answered_at < s.started_at {
                bad(g("answered_at"), "before the session started");
            }
            if let Some(seq) = seq {
                answers.push(OfflineAnswer {
                    seq,
                    question_id: a.question_id,
                    answer: a.answer,
                    answered_at: a.answered_at,
                });
            }
        }
        out.push(OfflineSession {
            session_id: SessionId::from(s.session_id.to_ascii_lowercase()),
            activity_id: s.activity_id,
            started_at: s.started_at,
            finished: s.finished,
            answers,
        });
    }
    if fields.is_empty() {
        Ok(out)
    } else {
        Err(AppError::validation(fields))
    }
}

/// What a device played offline: the server grades it again (its grade stands), stores each
/// answer once however often the same sync comes (or a cut-off one is sent again), counts the
/// time once across devices, and tells the parent as live play would.
#[utoipa::path(tag = "play", request_body = SyncRequest, security(("bearer" = [])),
    params(("id" = String, Path, description = "the learner")),
    responses((status = 200, body = SyncResponse),
        (status = 404, description = "not a learner you may play as"),
        (status = 413, description = "over 1 MiB"),
        (status = 422, description = "a field named in `details.fields`: a span in the future, before its pack's `issued_at` or ending before it starts; too many sessions or answers"),
        (status = 503, description = "`busy` or `storage_unavailable`: nothing is lost, send the same sync again")))]
#[post("/learners/{id}/sync")]
pub async fn sync(
    state: web::Data<AppState>,
    access: LearnerAccess,
    req: actix_web::HttpRequest,
    payload: web::Payload,
) -> AppResult<HttpResponse> {
    // Read here rather than through `ValidJson`: a sync may be larger than other bodies.
    check_content_type(&req)?;
    let bytes = read_body(&req, &mut payload.into_inner(), SYNC_BYTES).await?;
    let at = state.db.clock().await?;
    let SyncRequest {
        device_id,
        sessions,
        time,
    } = parse_valid(&bytes)?;
    if time.len() > MAX_SPANS {
        return Err(AppError::invalid_field(
            "time",
            "at most 500 spans in one sync",
        ));
    }
    let spans: Vec<Span> = time
        .iter()
        .map(|s| Span {
            from: s.from,
            to: s.to,
        })
        .collect();
    offline::check_spans(&spans, at)?;
    let sessions = check_sessions(sessions, at)?;
    let learner = access.learner;
    let learner_id = learner.learner_id();
    // The actor first: one that starts now reads the day's time before the spans are
    // stored, and hears what they add below (never both).
    let addr = state
        .engine
        .learner(&learner_id)
        .await
        .map_err(AppError::from)?;
    let added = offline::record_spans(
        &state.db,
        &learner.id,
        parse_tz(&learner.timezone),
        &device_id,
        spans,
    )
    .await?;
    for (date, seconds) in added.into_iter().filter(|(_, s)| *s > 0) {
        if let Some(redis) = &state.redis {
            crate::infra::shared_counts::add_elsewhere(redis, &learner.id, date, seconds).await;
        }
        state.control.offline_time(&learner_id, date, seconds).await;
    }
    let mut reply = None;
    let mut addr = addr;
    for _ in 0..2 {
        if let Some(r) = addr.sync(sessions.clone()).await {
            reply = Some(r);
            break;
        }
        // The actor stopped in between: a fresh one.
        addr = state
            .engine
            .learner(&learner_id)
            .await
            .map_err(AppError::from)?;
    }
    let reply = match reply {
        Some(Ok(r)) => r,
        Some(Err(SyncRefused::Busy(_))) | None => {
            return Err(AppError::new(
                ErrorKind::Busy {
                    retry_after_ms: 1_000,
                },
                Code::Play(studyhub_actors::protocol::ErrorCode::Busy),
                "past capacity; nothing of this sync was kept, send it again",
            )
            .with_details(serde_json::json!({"retry_after_ms": 1_000})));
        }
        Some(Err(SyncRefused::Storage(e))) => {
            return Err(AppError::db_unavailable(anyhow::anyhow!(e)));
        }
    };
    let mut out: Vec<SyncedSession> = reply
        .sessions
        .into_iter()
        .map(|s| SyncedSession {
            session_id: s.session_id.to_string(),
            stored_up_to_seq: s.stored_up_to_seq.into(),
            completed: s.completed,
            error: s.error.map(|c| c.as_str().to_string()),
        })
        .collect();
    for (i, saved) in reply.saved {
        match tokio::time::timeout(SAVE_WAIT, saved).await {
            Ok(Ok(true)) => {}
            Ok(Ok(false)) => {
                out[i].error = Some("not_saved".into());
            }
            _ => {
                return Err(AppError::new(
                    ErrorKind::Unavailable,
                    Code::StorageUnavailable,
                    "not saved yet; send the same sync again",
                ));
            }
        }
    }
    // Only the device's own sessions: not an id that named someone else's or a live session.
    let stored: Vec<String> = out
        .iter()
        .filter(|s| !matches!(s.error.as_deref(), Some("no_session" | "unknown_activity")))
        .map(|s| s.session_id.clone())
        .collect();
    offline::mark_offline(&state.db, &learner.id, stored).await?;
    let today = screen_time::today(&state.db, &state.engine, learner).await?;
    Ok(HttpResponse::Ok().json(SyncResponse {
        sessions: out,
        time: SyncTime {
            used_seconds: today.used_seconds,
            limit_seconds: today.limit_seconds.map(|l| l + today.bonus_seconds),
            left_seconds: today.left_seconds,
        },
    }))
}
