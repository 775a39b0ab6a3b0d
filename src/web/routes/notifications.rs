//! A parent's notifications: stored first, pushed live to `/v1/parent/live`, listed here for
//! whoever was offline.

use actix_web::{HttpResponse, web};
use actix_web::{get, post};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::features::auth::ParentUser;
pub use crate::features::notifications::{NotificationPage, NotificationView};
use crate::features::notifications::{mark_all_read, mark_read, page};
use crate::infra::error::{AppError, AppResult};
use crate::web::state::AppState;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(list).service(read_all).service(read_one);
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Only unread ones.
    pub unread: Option<bool>,
    /// 1..100, default 20.
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    /// Cursor: the `id` of the last notification of the previous page.
    #[param(max_length = 100)]
    pub before: Option<String>,
}

/// Newest first, by cursor.
#[utoipa::path(tag = "notifications", params(ListQuery), security(("bearer" = [])),
    responses((status = 200, body = NotificationPage), (status = 403, description = "not a parent")))]
#[get("/notifications")]
pub async fn list(
    state: web::Data<AppState>,
    parent: ParentUser,
    q: web::Query<ListQuery>,
) -> AppResult<HttpResponse> {
    let q = q.into_inner();
    let limit = q.limit.unwrap_or(20);
    if !(1..=100).contains(&limit) {
        return Err(AppError::invalid_field("limit", "between 1 and 100"));
    }
    if q.before.as_ref().is_some_and(|b| b.chars().count() > 100) {
        return Err(AppError::invalid_field("before", "at most 100 characters"));
    }
    let unread_only = q.unread == Some(true);
    let page = state
        .db
        .run(move |conn| page(conn, &parent.0.id, unread_only, q.before.as_deref(), limit))
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

#[utoipa::path(tag = "notifications", security(("bearer" = [])),
    responses((status = 204), (status = 404)))]
#[post("/notifications/{id}/read")]
pub async fn read_one(
    state: web::Data<AppState>,
    parent: ParentUser,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let found = state
        .db
        .run(move |conn| mark_read(conn, &parent.0.id, &id))
        .await?;
    if !found {
        return Err(AppError::not_found("notification"));
    }
    Ok(HttpResponse::NoContent().finish())
}

/// How many notifications were unread until now.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReadAll {
    pub updated: usize,
}

#[utoipa::path(tag = "notifications", security(("bearer" = [])),
    responses((status = 200, body = ReadAll)))]
#[post("/notifications/read-all")]
pub async fn read_all(state: web::Data<AppState>, parent: ParentUser) -> AppResult<HttpResponse> {
    let updated = state
        .db
        .run(move |conn| mark_all_read(conn, &parent.0.id))
        .await?;
    Ok(HttpResponse::Ok().json(ReadAll { updated }))
}
