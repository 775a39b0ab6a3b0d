//! `/v1/admin/users` (admins): find accounts, deactivate and reactivate them.

use actix_web::{HttpResponse, web};
use actix_web::{get, post};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_actix_web::service_config::ServiceConfig;

pub use crate::features::admin_accounts::{AdminAccount, AdminAccountPage};
use crate::features::audit::RequestMeta;
use crate::features::auth::AdminUser;
use crate::infra::error::{AppError, AppResult};
use crate::web::state::AppState;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(search).service(deactivate).service(reactivate);
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AccountQuery {
    /// Part of the email or the name, any case; empty or absent: every account.
    #[param(max_length = 200)]
    pub q: Option<String>,
    /// 1-based, default 1.
    #[param(minimum = 1, maximum = 10000)]
    pub page: Option<i64>,
}

/// Accounts whose email or name holds `q`, by email, 25 a page.
#[utoipa::path(tag = "operations", params(AccountQuery), security(("bearer" = [])),
    responses((status = 200, body = AdminAccountPage), (status = 403, description = "not an admin"),
        (status = 422)))]
#[get("/admin/users")]
pub async fn search(
    state: web::Data<AppState>,
    _admin: AdminUser,
    q: web::Query<AccountQuery>,
) -> AppResult<HttpResponse> {
    let q = q.into_inner();
    if q.q.as_ref().is_some_and(|q| q.chars().count() > 200) {
        return Err(AppError::invalid_field("q", "at most 200 characters"));
    }
    let page = q.page.unwrap_or(1);
    if !(1..=10_000).contains(&page) {
        return Err(AppError::invalid_field("page", "between 1 and 10000"));
    }
    let found = state
        .db
        .run(move |conn| {
            Ok(crate::features::admin_accounts::search(
                conn,
                q.q.as_deref(),
                page,
            )?)
        })
        .await?;
    Ok(HttpResponse::Ok().json(found))
}

/// Deactivate an account: it cannot sign in, its refresh tokens are revoked, its access
/// tokens stop working at once and its open websockets close with 4003. Audited.
#[utoipa::path(tag = "operations", security(("bearer" = [])),
    responses((status = 200, body = AdminAccount), (status = 403, description = "not an admin"),
        (status = 404), (status = 409, description = "conflict: an admin's own account")))]
#[post("/admin/users/{id}/deactivate")]
pub async fn deactivate(
    state: web::Data<AppState>,
    admin: AdminUser,
    meta: RequestMeta,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    set_active(state, admin, meta, path.into_inner(), false).await
}

/// Reactivate an account: it can sign in again (its old sessions stay ended). Audited.
#[utoipa::path(tag = "operations", security(("bearer" = [])),
    responses((status = 200, body = AdminAccount), (status = 403, description = "not an admin"),
        (status = 404)))]
#[post("/admin/users/{id}/reactivate")]
pub async fn reactivate(
    state: web::Data<AppState>,
    admin: AdminUser,
    meta: RequestMeta,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    set_active(state, admin, meta, path.into_inner(), true).await
}

async fn set_active(
    state: web::Data<AppState>,
    admin: AdminUser,
    meta: RequestMeta,
    target: String,
    active: bool,
) -> AppResult<HttpResponse> {
    if target.len() > 100 {
        return Err(AppError::not_found("account"));
    }
    let admin_id = admin.0.id.clone();
    let id = target.clone();
    let account = state
        .db
        .transaction(move |conn| {
            crate::features::admin_accounts::set_active(conn, &meta, &admin_id, &id, active)
        })
        .await?;
    if !active {
        // Every node forgets the account's token version and closes its sockets (4003).
        state.control.account_changed(&target).await;
        tracing::info!(user_id = %target, by = %admin.0.id, "account deactivated; its sessions ended");
    } else {
        tracing::info!(user_id = %target, by = %admin.0.id, "account reactivated");
    }
    Ok(HttpResponse::Ok().json(account))
}
