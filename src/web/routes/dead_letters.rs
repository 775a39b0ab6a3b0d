//! `GET /v1/admin/dead-letters` (admins): what the group commit could never store, so an
//! administrator can see it, fix its cause and then retry it
//! (`POST /v1/admin/dead-letters/{id}/retry`) or discard it
//! (`DELETE /v1/admin/dead-letters/{id}`); both are audited.

use actix_web::{HttpResponse, web};
use actix_web::{delete, get, post};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::features::audit::{self, Change, RequestMeta};
use crate::features::auth::AdminUser;
pub use crate::features::dead_letters::{DeadLetter, DeadLetterPage};
use crate::infra::error::{AppError, AppResult, Code, ErrorKind};
use crate::web::state::AppState;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(list).service(retry).service(discard);
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeadLetterQuery {
    /// 1..200, default 50.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// Cursor: the `id` of the last entry of the previous page.
    #[param(max_length = 100)]
    pub before: Option<String>,
}

/// Items the database refused for good, newest first.
#[utoipa::path(tag = "operations", params(DeadLetterQuery), security(("bearer" = [])),
    responses((status = 200, body = DeadLetterPage), (status = 403, description = "not an admin")))]
#[get("/admin/dead-letters")]
pub async fn list(
    state: web::Data<AppState>,
    _admin: AdminUser,
    q: web::Query<DeadLetterQuery>,
) -> AppResult<HttpResponse> {
    let q = q.into_inner();
    let limit = q.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(AppError::invalid_field("limit", "between 1 and 200"));
    }
    if q.before.as_ref().is_some_and(|b| b.chars().count() > 100) {
        return Err(AppError::invalid_field("before", "at most 100 characters"));
    }
    let page = state
        .db
        .run(move |conn| Ok(crate::features::dead_letters::page(conn, q.before, limit)?))
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// Discard a dead letter (dealt with by hand, or given up on); the audit log keeps what it
/// was about (not its payload).
#[utoipa::path(tag = "operations", security(("bearer" = [])),
    responses((status = 204), (status = 403, description = "not an admin"), (status = 404)))]
#[delete("/admin/dead-letters/{id}")]
pub async fn discard(
    state: web::Data<AppState>,
    admin: AdminUser,
    meta: RequestMeta,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    if id.len() > 100 {
        return Err(AppError::not_found("dead letter"));
    }
    state
        .db
        .transaction(move |conn| {
            let old = crate::features::dead_letters::discard(conn, &id)?
                .ok_or_else(|| AppError::not_found("dead letter"))?;
            audit::record(
                conn,
                &meta,
                Change {
                    user_id: &admin.0.id,
                    action: "discard",
                    entity_type: "dead_letter",
                    entity_id: &id,
                    old: Some(old),
                    new: None,
                },
            )
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Retry a dead letter once its cause is fixed (a session row put back, a value corrected at
/// its source): its item goes through the group commit's own write again. Stored: the letter
/// is removed (204). Refused again: the write parks it anew with today's error and this one is
/// removed (409). A letter whose payload cannot be rebuilt (parked by an older version) is
/// left alone (409): discard it instead.
#[utoipa::path(tag = "operations", security(("bearer" = [])),
    responses((status = 204, description = "stored"), (status = 403, description = "not an admin"),
        (status = 404), (status = 409, description = "conflict: refused again, or not retryable")))]
#[post("/admin/dead-letters/{id}/retry")]
pub async fn retry(
    state: web::Data<AppState>,
    admin: AdminUser,
    meta: RequestMeta,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    if id.len() > 100 {
        return Err(AppError::not_found("dead letter"));
    }
    let lookup = id.clone();
    let (kind, payload) = state
        .db
        .run(move |conn| {
            Ok(crate::features::dead_letters::kind_and_payload(
                conn, &lookup,
            )?)
        })
        .await?
        .ok_or_else(|| AppError::not_found("dead letter"))?;
    if kind == "email" {
        return retry_email(&state, &admin, meta, id, &payload).await;
    }
    let batch = crate::infra::store::dead_letter_items::batch_of(&state.cipher, &kind, &payload)
        .map_err(|why| {
            AppError::conflict(
                Code::Conflict,
                format!("this dead letter cannot be retried: {why}"),
            )
        })?;
    let result = state.engine.store().write_batch(batch).await.map_err(|e| {
        AppError::new(
            ErrorKind::Unavailable,
            Code::DatabaseUnavailable,
            format!("the database could not take it now: {}", e.0),
        )
    })?;
    let stored = result.refused.is_empty();
    state
        .db
        .transaction(move |conn| {
            let old = crate::features::dead_letters::discard(conn, &id)?;
            audit::record(
                conn,
                &meta,
                Change {
                    user_id: &admin.0.id,
                    action: "retry",
                    entity_type: "dead_letter",
                    entity_id: &id,
                    old,
                    new: Some(serde_json::json!({"stored": stored})),
                },
            )
        })
        .await?;
    if stored {
        tracing::info!(kind, "a dead letter was retried and stored");
        Ok(HttpResponse::NoContent().finish())
    } else {
        Err(AppError::conflict(
            Code::Conflict,
            "the database refused it again; it is kept as a new dead letter with today's error",
        ))
    }
}

/// An email given up on goes back into the outbox, due now with its tries counted afresh.
async fn retry_email(
    state: &AppState,
    admin: &AdminUser,
    meta: RequestMeta,
    id: String,
    payload: &str,
) -> AppResult<HttpResponse> {
    let outbox_id = serde_json::from_str::<serde_json::Value>(payload)
        .ok()
        .and_then(|p| p["outbox_id"].as_str().map(String::from))
        .ok_or_else(|| AppError::conflict(Code::Conflict, "this dead letter names no email"))?;
    let admin_id = admin.0.id.clone();
    let requeued = state
        .db
        .transaction(move |conn| {
            if !crate::features::mail::outbox::requeue(conn, &outbox_id)? {
                return Ok(false);
            }
            let old = crate::features::dead_letters::discard(conn, &id)?;
            audit::record(
                conn,
                &meta,
                Change {
                    user_id: &admin_id,
                    action: "retry",
                    entity_type: "dead_letter",
                    entity_id: &id,
                    old,
                    new: Some(serde_json::json!({"requeued": outbox_id})),
                },
            )?;
            Ok(true)
        })
        .await?;
    if !requeued {
        return Err(AppError::conflict(
            Code::Conflict,
            "this email is no longer in the outbox: discard the letter instead",
        ));
    }
    state.mailer.wake();
    Ok(HttpResponse::NoContent().finish())
}
