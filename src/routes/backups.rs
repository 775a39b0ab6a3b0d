//! Backups over HTTP: `POST /v1/backups` (the caller's own data; an admin's is a system
//! backup) → 202, then `GET /v1/backups` and `GET /v1/backups/{id}` to follow it from
//! `pending` to `verified` (or `failed`). The work itself is in `crate::backup`.

use actix_web::{HttpResponse, web};
use actix_web::{get, post};
use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::auth::{AuthUser, Role};
use crate::backup::{self, Ctx, Kind};
use crate::db::schema::backup_logs;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::time::{now, utc};

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(create).service(list).service(get_one);
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BackupCreated {
    pub backup_id: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BackupView {
    pub id: String,
    /// `user` (one account's data) or `system` (everything).
    pub kind: String,
    /// `pending`, `verified` (written, read back, decrypted and counted) or `failed`.
    pub status: String,
    pub size_bytes: Option<i64>,
    /// SHA-256 (hex) of the stored, encrypted file.
    pub sha256: Option<String>,
    pub created_at: DateTime<Utc>,
    pub completed_at: Option<DateTime<Utc>>,
    pub expires_at: DateTime<Utc>,
    /// Why it failed.
    pub error: Option<String>,
}

/// A backup's log row, as the API shows it.
#[derive(Queryable, Selectable)]
#[diesel(table_name = backup_logs)]
struct Row {
    id: String,
    scope: String,
    status: String,
    size_bytes: Option<i64>,
    sha256: Option<String>,
    created_at: NaiveDateTime,
    completed_at: Option<NaiveDateTime>,
    expires_at: NaiveDateTime,
    error: Option<String>,
}

fn view(r: Row) -> BackupView {
    BackupView {
        id: r.id,
        kind: r.scope,
        status: r.status,
        size_bytes: r.size_bytes,
        sha256: r.sha256,
        created_at: utc(r.created_at),
        completed_at: r.completed_at.map(utc),
        expires_at: utc(r.expires_at),
        error: r.error,
    }
}

/// What a caller may see: their own user backups; an admin also every system backup.
fn visible(
    user_id: &str,
    admin: bool,
) -> backup_logs::BoxedQuery<'static, crate::db::MultiBackend> {
    let own = backup_logs::user_id
        .eq(user_id.to_string())
        .and(backup_logs::scope.eq("user"));
    if admin {
        backup_logs::table
            .filter(own.or(backup_logs::scope.eq("system").nullable()))
            .into_boxed()
    } else {
        backup_logs::table.filter(own).into_boxed()
    }
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
        .transaction(move |conn| {
            let t = now();
            let mut pending = backup_logs::table
                .filter(backup_logs::scope.eq(kind.as_str()))
                .filter(backup_logs::status.eq("pending"))
                .into_boxed();
            if kind == Kind::User {
                pending = pending.filter(backup_logs::user_id.eq(&uid));
            }
            let pending: i64 = pending.count().get_result(conn)?;
            if pending > 0 {
                return Err(AppError::rate_limited(30));
            }
            if kind == Kind::User {
                let recent: Vec<NaiveDateTime> = backup_logs::table
                    .filter(backup_logs::scope.eq("user"))
                    .filter(backup_logs::user_id.eq(&uid))
                    .filter(backup_logs::created_at.gt(t - Duration::hours(24)))
                    .order(backup_logs::created_at.asc())
                    .select(backup_logs::created_at)
                    .load(conn)?;
                if recent.len() as i64 >= backup::USER_PER_DAY {
                    let frees =
                        recent[recent.len() - backup::USER_PER_DAY as usize] + Duration::hours(24);
                    return Err(AppError::rate_limited(
                        (frees - t).num_seconds().max(1) as u64
                    ));
                }
            }
            // A system backup belongs to no account (it outlives whoever asked for it).
            let owner = (kind == Kind::User).then_some(uid.as_str());
            match backup::log_pending(conn, &bid, kind, owner, t) {
                Ok(()) => Ok(()),
                // The one-pending-per-user index: a concurrent request won.
                Err(diesel::result::Error::DatabaseError(
                    diesel::result::DatabaseErrorKind::UniqueViolation,
                    _,
                )) => Err(AppError::rate_limited(30)),
                Err(e) => Err(e.into()),
            }
        })
        .await?;
    let (task_state, bid, uid) = (state.clone(), id.clone(), user.id.clone());
    actix_web::rt::spawn(async move {
        let ctx = Ctx {
            pool: task_state.db.pool(),
            storage: &task_state.storage,
            cipher: &task_state.cipher,
            data_dir: &task_state.settings.raw.data_dir,
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
    let rows: Vec<Row> = state
        .db
        .run(move |conn| {
            let admin = user.role == Role::Admin;
            Ok(visible(&user.id, admin)
                .order(backup_logs::created_at.desc())
                .limit(200)
                .select(Row::as_select())
                .load(conn)?)
        })
        .await?;
    Ok(HttpResponse::Ok().json(rows.into_iter().map(view).collect::<Vec<_>>()))
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
    let row: Option<Row> = state
        .db
        .run(move |conn| {
            let admin = user.role == Role::Admin;
            Ok(visible(&user.id, admin)
                .filter(backup_logs::id.eq(&id))
                .select(Row::as_select())
                .first(conn)
                .optional()?)
        })
        .await?;
    match row {
        Some(r) => Ok(HttpResponse::Ok().json(view(r))),
        None => Err(AppError::not_found("backup")),
    }
}
