//! Backups as their owners ask for and see them over REST: who may start one now, and
//! which logged backups a caller may read.

use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use super::Kind;
use crate::infra::db::DbConnection;
use crate::infra::db::schema::backup_logs;
use crate::infra::error::AppError;
use crate::infra::time::{now, utc};

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
) -> backup_logs::BoxedQuery<'static, crate::infra::db::MultiBackend> {
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

/// Logs a pending backup `bid` of `kind` for `uid` if one may start now (call inside a
/// transaction): at most one pending per user and [`super::USER_PER_DAY`] a day, else
/// `rate_limited` with when to ask again.
pub fn request(conn: &mut DbConnection, bid: &str, kind: Kind, uid: &str) -> Result<(), AppError> {
    let t = now();
    let mut pending = backup_logs::table
        .filter(backup_logs::scope.eq(kind.as_str()))
        .filter(backup_logs::status.eq("pending"))
        .into_boxed();
    if kind == Kind::User {
        pending = pending.filter(backup_logs::user_id.eq(uid));
    }
    let pending: i64 = pending.count().get_result(conn)?;
    if pending > 0 {
        return Err(AppError::rate_limited(30));
    }
    if kind == Kind::User {
        let recent: Vec<NaiveDateTime> = backup_logs::table
            .filter(backup_logs::scope.eq("user"))
            .filter(backup_logs::user_id.eq(uid))
            .filter(backup_logs::created_at.gt(t - Duration::hours(24)))
            .order(backup_logs::created_at.asc())
            .select(backup_logs::created_at)
            .load(conn)?;
        if recent.len() as i64 >= super::USER_PER_DAY {
            let frees = recent[recent.len() - super::USER_PER_DAY as usize] + Duration::hours(24);
            return Err(AppError::rate_limited(
                (frees - t).num_seconds().max(1) as u64
            ));
        }
    }
    // A system backup belongs to no account (it outlives whoever asked for it).
    let owner = (kind == Kind::User).then_some(uid);
    match super::log_pending(conn, bid, kind, owner, t) {
        Ok(()) => Ok(()),
        // The one-pending-per-user index: a concurrent request won.
        Err(diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UniqueViolation,
            _,
        )) => Err(AppError::rate_limited(30)),
        Err(e) => Err(e.into()),
    }
}

/// The caller's backups, newest first (an admin: the system backups and their own).
pub fn list(conn: &mut DbConnection, user_id: &str, admin: bool) -> QueryResult<Vec<BackupView>> {
    let rows: Vec<Row> = visible(user_id, admin)
        .order(backup_logs::created_at.desc())
        .limit(200)
        .select(Row::as_select())
        .load(conn)?;
    Ok(rows.into_iter().map(view).collect())
}

/// One backup the caller may see.
pub fn find(
    conn: &mut DbConnection,
    user_id: &str,
    admin: bool,
    id: &str,
) -> QueryResult<Option<BackupView>> {
    let row: Option<Row> = visible(user_id, admin)
        .filter(backup_logs::id.eq(id.to_string()))
        .select(Row::as_select())
        .first(conn)
        .optional()?;
    Ok(row.map(view))
}
