//! `GET /v1/admin/dead-letters` (admins): what the group commit could never store, so an
//! administrator can see it, fix its cause and, if need be, put it right by hand; then
//! `DELETE /v1/admin/dead-letters/{id}` discards it (audited).

use actix_web::{HttpResponse, web};
use actix_web::{delete, get};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::features::audit::{self, Change, RequestMeta};
use crate::features::auth::AdminUser;
pub use crate::features::dead_letters::{DeadLetter, DeadLetterPage};
use crate::infra::error::{AppError, AppResult};
use crate::web::state::AppState;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(list).service(discard);
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
    if q.before.as_ref().is_some_and(|b| b.len() > 100) {
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
