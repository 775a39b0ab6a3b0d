//! Backups over HTTP: `POST /v1/backups` (the caller's own data; an admin's is a system
//! backup) → 202, then `GET /v1/backups` and `GET /v1/backups/{id}` to follow it from
//! `pending` to `verified` (or `failed`). The work itself is in `crate::features::backup`.

use actix_web::{HttpResponse, web};
use actix_web::{get, post};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::features::auth::{AuthUser, Role};
pub use crate::features::backup::requests::BackupView;
use crate::features::backup::{self, Ctx, Kind};
use crate::infra::error::{AppError, AppResult};
use crate::web::state::AppState;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(create).service(list).service(get_one);
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BackupCreated {
    pub backup_id: String,
}

/// Start a backup: the caller's own data (an admin's request backs up the whole system).
/// At most one pending backup per user and three a day (429 with `Retry-After`).
#[utoipa::path(tag = "backups", security(("bearer" = [])),
    responses((status = 202, body = BackupCreated), (status = 401), (status = 429, description = "one is still running, or the daily allowance is used")))]
#[post("/backups")]
pub async fn create(state: web::Data<AppState>, user: AuthUser) -> AppResult<HttpResponse> {
    let kind = if user.role == Role::Admin {
        Kind::System
    } else {
        Kind::User
    };
    let id = uuid::Uuid::now_v7().to_string();
    let (uid, bid) = (user.id.clone(), id.clone());
    state
        .db
        .transaction(move |conn| backup::requests::request(conn, &bid, kind, &uid))
        .await?;
    let (task_state, bid, uid) = (state.clone(), id.clone(), user.id.clone());
    actix_web::rt::spawn(async move {
        let ctx = Ctx {
            pool: task_state.db.pool(),
            storage: &task_state.storage,
            cipher: &task_state.backup_cipher,
            data_dir: &task_state.settings.data_dir,
        };
        let user_id = (kind == Kind::User).then_some(uid.as_str());
        let _ = backup::run(ctx, &bid, kind, user_id).await;
    });
    Ok(HttpResponse::Accepted().json(BackupCreated { backup_id: id }))
}

/// The caller's backups, newest first (an admin: the system backups and their own).
#[utoipa::path(tag = "backups", security(("bearer" = [])),
    responses((status = 200, body = [BackupView]), (status = 401)))]
#[get("/backups")]
pub async fn list(state: web::Data<AppState>, user: AuthUser) -> AppResult<HttpResponse> {
    let admin = user.role == Role::Admin;
    let list = state
        .db
        .run(move |conn| Ok(backup::requests::list(conn, &user.id, admin)?))
        .await?;
    Ok(HttpResponse::Ok().json(list))
}

/// One backup of the caller's (an admin: any system backup); 404 for anyone else's.
#[utoipa::path(tag = "backups", security(("bearer" = [])),
    params(("id" = String, Path, description = "backup id")),
    responses((status = 200, body = BackupView), (status = 401), (status = 404)))]
#[get("/backups/{id}")]
pub async fn get_one(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let admin = user.role == Role::Admin;
    let row = state
        .db
        .run(move |conn| Ok(backup::requests::find(conn, &user.id, admin, &id)?))
        .await?;
    match row {
        Some(v) => Ok(HttpResponse::Ok().json(v)),
        None => Err(AppError::not_found("backup")),
    }
}
