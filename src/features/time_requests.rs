//! A child's request for more time over REST ([`ask`], also once time is up and the socket is
//! closed), with the same rules as the socket's `ask_time` (the engine's `checked_ask` and the
//! store's one-pending, three-a-day); and a parent's answer: stored once (an approval with its
//! grant, in one transaction), then heard by the child wherever it plays and by the parent's
//! other devices. `POST /v1/time-requests/{id}` and the parent feed's `answer_time_request`
//! both come here.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;
use studyhub_actors::events::ParentFrame;
use studyhub_actors::learner::TimeRequestAnswered;
use studyhub_actors::screen_time::{local_date, parse_tz};
use utoipa::ToSchema;

use crate::features::audit::{self, Change, RequestMeta};
use crate::features::live::control::LiveControl;
use crate::features::screen_time::insert_grant;
use studyhub_actors::learner::requests::{checked_ask, new_request, notification_text};
use studyhub_actors::protocol::ErrorCode as PlayCode;
use studyhub_actors::store::{AskOutcome, Notification, NotificationKind};

use crate::infra::db::Db;
use crate::infra::db::models::LearnerRow;
use crate::infra::db::schema::{learner_settings, learners, notifications, time_requests};
use crate::infra::error::{AppError, AppResult, Code};
use crate::infra::time::{now, utc};

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TimeRequestView {
    pub id: String,
    pub child_id: String,
    /// What the child asked for.
    pub seconds: i32,
    pub reason: Option<String>,
    /// `pending`, `approved` or `denied`.
    pub status: String,
    pub created_at: DateTime<Utc>,
    pub answered_at: Option<DateTime<Utc>>,
    /// What was granted (approved only).
    pub granted_seconds: Option<i32>,
}

/// A request for more time, as stored.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = time_requests)]
struct Row {
    id: String,
    learner_id: String,
    parent_id: String,
    seconds: i32,
    reason: Option<String>,
    status: String,
    created_at: chrono::NaiveDateTime,
    answered_at: Option<chrono::NaiveDateTime>,
    granted_seconds: Option<i32>,
}

fn view(r: Row) -> TimeRequestView {
    TimeRequestView {
        id: r.id,
        child_id: r.learner_id,
        seconds: r.seconds,
        reason: r.reason,
        status: r.status,
        created_at: utc(r.created_at),
        answered_at: r.answered_at.map(utc),
        granted_seconds: r.granted_seconds,
    }
}

/// What `POST /v1/learners/{id}/time-requests` answers, and the status a waiting device reads
/// again (`GET …/time-requests/{request_id}`).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TimeRequestStatus {
    pub request_id: String,
    /// `pending`, `approved` or `denied`.
    pub status: String,
    /// Approved only: the seconds granted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seconds: Option<i32>,
}

/// Asks the child's parent for `seconds` more today: stored (unless one is pending or three
/// were made today), and the parent notified at once (stored, and pushed to the parent's
/// feeds when the child's notifications are on).
pub async fn ask(
    db: &Db,
    control: &LiveControl,
    learner: &LearnerRow,
    seconds: i64,
    reason: Option<String>,
) -> AppResult<TimeRequestStatus> {
    let reason = checked_ask(seconds, reason)
        .map_err(|bad| AppError::invalid_field(bad.field, bad.message))?;
    let Some(parent_id) = learner.parent_id.clone() else {
        return Err(AppError::forbidden(
            "only a child profile can ask a parent for more time",
        ));
    };
    let request = new_request(
        learner.learner_id(),
        parent_id,
        seconds as u32,
        reason,
        parse_tz(&learner.timezone),
    );
    let (title, body, data) = notification_text(&learner.name, &request);
    let notification = Notification {
        id: uuid::Uuid::now_v7().to_string(),
        parent_id: request.parent_id.clone(),
        child_id: request.learner_id.clone(),
        kind: NotificationKind::TimeRequest,
        title,
        body,
        data,
        created_at: request.created_at,
    };
    let (stored, note) = (request.clone(), notification.clone());
    let lid = learner.id.clone();
    let (outcome, push, waiting) = db
        .run(move |conn| {
            let outcome = crate::infra::store::time_requests::ask(conn, &stored)?;
            if outcome == AskOutcome::Pending {
                // The one that waits, so the device can follow it instead of asking again.
                let waiting: Option<String> = time_requests::table
                    .filter(time_requests::learner_id.eq(lid.as_str()))
                    .filter(time_requests::status.eq("pending"))
                    .order(time_requests::created_at.desc())
                    .select(time_requests::id)
                    .first(conn)
                    .optional()?;
                return Ok((outcome, false, waiting));
            }
            if outcome != AskOutcome::Created {
                return Ok((outcome, false, None));
            }
            diesel::insert_into(notifications::table)
                .values((
                    notifications::id.eq(&note.id),
                    notifications::parent_id.eq(&note.parent_id),
                    notifications::learner_id.eq(note.child_id.as_str()),
                    notifications::kind.eq(note.kind.as_str()),
                    notifications::title.eq(&note.title),
                    notifications::body.eq(&note.body),
                    notifications::data.eq(note.data.to_string()),
                    notifications::created_at.eq(note.created_at.naive_utc()),
                ))
                .execute(conn)?;
            let push: Option<bool> = learner_settings::table
                .find(note.child_id.as_str())
                .select(learner_settings::notifications_enabled)
                .first(conn)
                .optional()?;
            Ok((outcome, push.unwrap_or(true), None))
        })
        .await?;
    match outcome {
        AskOutcome::Created => {}
        AskOutcome::Pending => {
            return Err(AppError::conflict(
                Code::Play(PlayCode::TimeRequestPending),
                "a request for more time is already waiting for an answer",
            )
            .with_details(serde_json::json!({ "request_id": waiting })));
        }
        AskOutcome::DailyLimit => {
            return Err(AppError::conflict(
                Code::Play(PlayCode::TimeRequestLimit),
                "three requests for more time a day; ask again tomorrow",
            ));
        }
    }
    if push {
        control.engine().notify_parent(&notification);
    }
    Ok(TimeRequestStatus {
        request_id: request.id,
        status: "pending".into(),
        seconds: None,
    })
}

/// Where a request of the learner stands (404 for another learner's).
pub async fn status(db: &Db, learner_id: &str, request_id: &str) -> AppResult<TimeRequestStatus> {
    let (lid, rid) = (learner_id.to_string(), request_id.to_string());
    let row: Option<(String, Option<i32>)> = db
        .run(move |conn| {
            Ok(time_requests::table
                .filter(time_requests::id.eq(&rid))
                .filter(time_requests::learner_id.eq(&lid))
                .select((time_requests::status, time_requests::granted_seconds))
                .first(conn)
                .optional()?)
        })
        .await?;
    let (status, seconds) = row.ok_or_else(|| AppError::not_found("time request"))?;
    Ok(TimeRequestStatus {
        request_id: request_id.to_string(),
        seconds: seconds.filter(|_| status == "approved"),
        status,
    })
}

/// Records the parent's answer (and, approved, the grant) once; then the child and the
/// parent's other devices hear it, on every node.
pub async fn answer(
    db: &Db,
    control: &LiveControl,
    meta: &RequestMeta,
    parent_id: &str,
    request_id: &str,
    approve: bool,
    seconds: Option<i32>,
) -> AppResult<TimeRequestView> {
    let (pid, rid, meta) = (parent_id.to_string(), request_id.to_string(), meta.clone());
    let answered = db
        .transaction(move |conn| {
            let found: Option<(Row, String)> = time_requests::table
                .inner_join(learners::table)
                .filter(time_requests::id.eq(&rid))
                .select((Row::as_select(), learners::timezone))
                .first(conn)
                .optional()?;
            // Someone else's request is as unknown as one that does not exist.
            let Some((row, timezone)) = found.filter(|(r, _)| r.parent_id == pid) else {
                return Err(AppError::not_found("time request"));
            };
            if row.status != "pending" {
                return Err(AppError::conflict(
                    Code::AlreadyAnswered,
                    format!("this request was already {}", row.status),
                ));
            }
            let granted = match (approve, seconds) {
                (false, _) => None,
                (true, Some(s)) if s > row.seconds => {
                    return Err(AppError::invalid_field(
                        "seconds",
                        format!("at most the {} seconds asked for", row.seconds),
                    ));
                }
                (true, s) => Some(s.unwrap_or(row.seconds)),
            };
            let status = if approve { "approved" } else { "denied" };
            let at = now();
            // Only a pending request changes: a racing answer finds it answered.
            let changed = diesel::update(
                time_requests::table
                    .filter(time_requests::id.eq(&rid))
                    .filter(time_requests::status.eq("pending")),
            )
            .set((
                time_requests::status.eq(status),
                time_requests::answered_at.eq(Some(at)),
                time_requests::granted_seconds.eq(granted),
            ))
            .execute(conn)?;
            if changed == 0 {
                return Err(AppError::conflict(
                    Code::AlreadyAnswered,
                    "this request was already answered",
                ));
            }
            let old = view(row.clone());
            let new = TimeRequestView {
                status: status.to_string(),
                answered_at: Some(utc(at)),
                granted_seconds: granted,
                ..old.clone()
            };
            audit::record(
                conn,
                &meta,
                Change {
                    user_id: &pid,
                    action: "update",
                    entity_type: "time_request",
                    entity_id: &rid,
                    old: audit::json(&old),
                    new: audit::json(&new),
                },
            )?;
            if let Some(s) = granted {
                let date = local_date(parse_tz(&timezone), Utc::now());
                insert_grant(conn, &meta, &pid, &new.child_id, date, s)?;
            }
            Ok(new)
        })
        .await?;
    let seconds = answered.granted_seconds.unwrap_or(0).max(0) as u64;
    control
        .time_request_answered(
            &answered.child_id.as_str().into(),
            TimeRequestAnswered {
                request_id: answered.id.clone(),
                approved: approve,
                seconds,
            },
        )
        .await;
    control.engine().tell_parent(
        parent_id,
        ParentFrame::TimeRequestAnswered {
            child_id: answered.child_id.as_str().into(),
            request_id: answered.id.clone(),
            approved: approve,
            seconds,
        },
    );
    Ok(answered)
}

/// How many pending requests the family page is sent at most (a child asks at most a few
/// times a day; older ones beyond this wait for the next read).
pub const PENDING_LIMIT: i64 = 50;

/// The requests of a parent's children still waiting for an answer, oldest first (the one
/// waiting longest is answered first).
pub fn pending(
    conn: &mut crate::infra::db::DbConnection,
    parent_id: &str,
) -> QueryResult<Vec<TimeRequestView>> {
    let rows: Vec<Row> = time_requests::table
        .filter(time_requests::parent_id.eq(parent_id))
        .filter(time_requests::status.eq("pending"))
        .order((time_requests::created_at.asc(), time_requests::id.asc()))
        .limit(PENDING_LIMIT)
        .select(Row::as_select())
        .load(conn)?;
    Ok(rows.into_iter().map(view).collect())
}
