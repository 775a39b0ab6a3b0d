//! `GET /v1/parent/live`: a parent's live feed. `hello` with the unread count and each child's
//! presence and time, then `notification`, `presence` and `time` as they happen. The parent
//! may send `grant_time` (as the REST grant, felt at once), `mark_read` and
//! `answer_time_request` (as `POST /v1/time-requests/{id}`).

use actix_web::get;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use studyhub_actors::ids::LearnerId;
use studyhub_actors::outbox::WeakOutboxTx;
use studyhub_actors::protocol::feeds::{ChildStatus, ParentFeedFrame};
use studyhub_actors::protocol::{ErrorCode, Outbound, ServerMsg, TimeView};
use utoipa::IntoParams;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::features::audit::RequestMeta;
use crate::features::auth::Role;
use crate::features::notifications::{mark_read, unread_count};
use crate::features::screen_time;
use crate::infra::db::models::LearnerRow;
use crate::infra::error::{AppError, AppResult, ErrorKind};
use crate::web::extractors::ws_caller;
use crate::web::socket;
use crate::web::state::AppState;
use actix_web::FromRequest;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(parent_live);
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LiveQuery {
    pub ticket: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum ParentMsg {
    GrantTime {
        child_id: String,
        seconds: i64,
    },
    MarkRead {
        notification_id: String,
    },
    AnswerTimeRequest {
        request_id: String,
        approve: bool,
        #[serde(default)]
        seconds: Option<i64>,
    },
}

async fn hello(state: &AppState, parent_id: String) -> AppResult<String> {
    let pid = parent_id.clone();
    let (unread, children) = state
        .db
        .run(move |conn| {
            let kids = crate::features::learners::of_parent(conn, &pid)?;
            Ok((unread_count(conn, &pid)?, kids))
        })
        .await?;
    // Where each child is, on this node or another.
    let ids: Vec<LearnerId> = children.iter().map(LearnerRow::learner_id).collect();
    let mut present = state.engine.where_are(&ids).await;
    let mut list = Vec::with_capacity(children.len());
    for child in children {
        let status = present.remove(child.id.as_str()).unwrap_or_default();
        let (id, name) = (child.id.clone(), child.name.clone());
        let today = screen_time::today(&state.db, &state.engine, child).await?;
        list.push(ChildStatus {
            id,
            name,
            online: status.online,
            activity_id: status.activity_id,
            time: TimeView {
                used_seconds: today.used_seconds,
                limit_seconds: today.limit_seconds.map(|l| l + today.bonus_seconds),
                left_seconds: today.left_seconds,
            },
        });
    }
    Ok(ParentFeedFrame::Hello {
        unread_count: unread,
        children: &list,
    }
    .to_json())
}

fn send_error(tx: &WeakOutboxTx, code: ErrorCode, message: &str) {
    if let Some(tx) = tx.upgrade() {
        let _ = tx.try_send(Outbound::msg(&ServerMsg::error(code, message, None)));
    }
}

/// The parent feed. Messages are described in docs/protocol.md ("Parents live").
#[utoipa::path(tag = "parents", params(LiveQuery),
    responses((status = 101, description = "switching to the parent feed"), (status = 401), (status = 403, description = "not a parent")))]
#[get("/parent/live")]
pub async fn parent_live(
    req: HttpRequest,
    body: web::Payload,
    state: web::Data<AppState>,
    q: web::Query<LiveQuery>,
) -> AppResult<HttpResponse> {
    let (user, _) = ws_caller(&req, &state, q.into_inner().ticket).await?;
    let meta = RequestMeta::extract(&req).await?;
    if user.role != Role::Parent {
        return Err(AppError::forbidden("the parent feed is for parents"));
    }
    let hello = hello(&state, user.id.clone()).await?;
    let upgraded = socket::upgrade(&req, body, socket::FEED_OUTBOX)?;
    let notifier = state.engine.parent_feed(&user.id);
    let conn_id = upgraded.conn_id;
    let tx = upgraded.tx.clone();
    let _ = tx.try_send(Outbound::Frame {
        json: hello,
        is_error: false,
    });
    notifier.connect(conn_id, tx.clone());
    // Only the notifier holds the sender: if it drops this connection (too slow), the
    // socket closes and the client reconnects for a fresh hello. Errors use a weak handle.
    let weak = tx.downgrade();
    drop(tx);
    let tx = weak;
    let signals = state.user_sockets.subscribe(&user.id);
    let parent_id = user.id;
    let leave = socket::OnDrop::new(move || notifier.disconnect(conn_id));
    Ok(upgraded.spawn("parent", signals, None, move |text| {
        let _ = &leave;
        // Each frame's work is awaited by the socket: at most `IN_FLIGHT` at once.
        let work: socket::Handed = match socket::parse_frame::<ParentMsg>(text)? {
            ParentMsg::GrantTime { child_id, seconds } => {
                if !(60..=7200).contains(&seconds) {
                    return Err(ServerMsg::error(
                        ErrorCode::BadMessage,
                        "seconds must be between 60 and 7200",
                        None,
                    ));
                }
                let (state, parent_id, tx, meta) =
                    (state.clone(), parent_id.clone(), tx.clone(), meta.clone());
                Box::pin(async move {
                    if let Err(e) = screen_time::grant(
                        &state.db,
                        &state.control,
                        &meta,
                        &parent_id,
                        &child_id.into(),
                        seconds as i32,
                    )
                    .await
                    {
                        let code = if e.code == "not_found" {
                            ErrorCode::Forbidden
                        } else {
                            ErrorCode::BadMessage
                        };
                        send_error(&tx, code, &e.message);
                    }
                    true
                })
            }
            ParentMsg::AnswerTimeRequest {
                request_id,
                approve,
                seconds,
            } => {
                if seconds.is_some_and(|s| !(60..=3600).contains(&s)) {
                    return Err(ServerMsg::error(
                        ErrorCode::BadMessage,
                        "seconds must be between 60 and 3600",
                        None,
                    ));
                }
                let (state, parent_id, tx, meta) =
                    (state.clone(), parent_id.clone(), tx.clone(), meta.clone());
                Box::pin(async move {
                    let seconds = seconds.map(|s| s as i32);
                    if let Err(e) = crate::features::time_requests::answer(
                        &state.db,
                        &state.control,
                        &meta,
                        &parent_id,
                        &request_id,
                        approve,
                        seconds,
                    )
                    .await
                    {
                        let code = match e.kind {
                            ErrorKind::NotFound => ErrorCode::UnknownRequest,
                            ErrorKind::Conflict => ErrorCode::AlreadyAnswered,
                            ErrorKind::Validation => ErrorCode::BadMessage,
                            _ => ErrorCode::StorageUnavailable,
                        };
                        send_error(&tx, code, &e.message);
                    }
                    true
                })
            }
            ParentMsg::MarkRead { notification_id } => {
                let (state, parent_id, tx) = (state.clone(), parent_id.clone(), tx.clone());
                Box::pin(async move {
                    let id = notification_id.clone();
                    match state
                        .db
                        .run(move |conn| mark_read(conn, &parent_id, &id))
                        .await
                    {
                        Ok(true) => {}
                        Ok(false) => send_error(&tx, ErrorCode::BadMessage, "no such notification"),
                        Err(e) => send_error(&tx, ErrorCode::StorageUnavailable, &e.message),
                    }
                    true
                })
            }
        };
        Ok(Some(work))
    }))
}
