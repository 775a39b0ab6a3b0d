//! Backups as jobs: logged in `backup_logs`, written to a staging file, stored, read back from
//! the store and checked, marked `verified` or `failed`; fetched for a restore; pruned.

use std::io::BufWriter;
use std::path::Path;

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;

use super::format::Written;
use super::tables::Scope;
use super::{
    BackupError, Kind, Report, STALE_PENDING_HOURS, USER_MAX_BYTES, checksum_key, object_key,
    staging_dir, verify_file, write_backup,
};
use crate::infra::crypto::Cipher;
use crate::infra::db::schema::backup_logs;
use crate::infra::db::{DbConnection, DbPool};
use crate::infra::storage::ObjectStore;

/// Everything a backup run needs.
#[derive(Clone)]
pub struct Ctx<'a> {
    pub pool: &'a DbPool,
    pub storage: &'a ObjectStore,
    pub cipher: &'a Cipher,
    pub data_dir: &'a Path,
}

/// Logs a new pending backup; the caller then calls [`run`]. A second pending user backup of
/// the same user is refused by a unique index (`Err` with a unique violation).
pub fn log_pending(
    conn: &mut DbConnection,
    id: &str,
    kind: Kind,
    user_id: Option<&str>,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::insert_into(backup_logs::table)
        .values((
            backup_logs::id.eq(id),
            backup_logs::user_id.eq(user_id),
            backup_logs::scope.eq(kind.as_str()),
            backup_logs::status.eq("pending"),
            backup_logs::object_key.eq(object_key(kind, id)),
            backup_logs::created_at.eq(now),
            backup_logs::expires_at.eq(now + kind.retention()),
        ))
        .execute(conn)
        .map(|_| ())
}

/// The stored objects of a user's own backups (erasing the account deletes them).
pub fn user_backup_objects(conn: &mut DbConnection, user_id: &str) -> QueryResult<Vec<String>> {
    let keys: Vec<Option<String>> = backup_logs::table
        .filter(backup_logs::user_id.eq(user_id))
        .filter(backup_logs::scope.eq("user"))
        .select(backup_logs::object_key)
        .load(conn)?;
    Ok(keys
        .into_iter()
        .flatten()
        .flat_map(|k| [checksum_key(&k), k])
        .collect())
}

/// Takes a logged, pending backup: writes it to a staging file, stores it, reads it back from
/// the store, decrypts and counts it, then marks it `verified` (or `failed`, with the reason).
pub async fn run(
    ctx: Ctx<'_>,
    id: &str,
    kind: Kind,
    user_id: Option<&str>,
) -> Result<Report, BackupError> {
    let result = run_inner(ctx.clone(), id, kind, user_id).await;
    let pool = ctx.pool.clone();
    let id2 = id.to_string();
    let outcome = match &result {
        Ok(r) => Ok((r.size_bytes as i64, r.sha256.clone())),
        Err(e) => Err(e.to_string()),
    };
    let logged = tokio::task::spawn_blocking(move || -> Result<(), BackupError> {
        let mut conn = pool.get().map_err(|e| BackupError::Pool(e.to_string()))?;
        let now = crate::infra::time::now();
        match outcome {
            Ok((size, sha)) => diesel::update(backup_logs::table.find(&id2))
                .set((
                    backup_logs::status.eq("verified"),
                    backup_logs::size_bytes.eq(size),
                    backup_logs::sha256.eq(sha),
                    backup_logs::completed_at.eq(now),
                ))
                .execute(&mut conn)?,
            Err(reason) => diesel::update(backup_logs::table.find(&id2))
                .set((
                    backup_logs::status.eq("failed"),
                    backup_logs::error.eq(reason),
                    backup_logs::completed_at.eq(now),
                ))
                .execute(&mut conn)?,
        };
        Ok(())
    })
    .await
    .map_err(|e| BackupError::Other(e.to_string()))?;
    match &result {
        Ok(r) => {
            metrics::counter!("studyhub_backups_total", "kind" => kind.as_str(), "status" => "verified").increment(1);
            tracing::info!(
                backup_id = id,
                kind = kind.as_str(),
                size_bytes = r.size_bytes,
                rows = r.total_rows(),
                "backup verified"
            );
        }
        Err(e) => {
            metrics::counter!("studyhub_backups_total", "kind" => kind.as_str(), "status" => "failed").increment(1);
            tracing::error!(backup_id = id, kind = kind.as_str(), error = %e, "backup failed");
            let key = object_key(kind, id);
            let _ = ctx.storage.delete(&key).await;
            let _ = ctx.storage.delete(&checksum_key(&key)).await;
        }
    }
    logged?;
    result
}

async fn run_inner(
    ctx: Ctx<'_>,
    id: &str,
    kind: Kind,
    user_id: Option<&str>,
) -> Result<Report, BackupError> {
    let dir = staging_dir(ctx.data_dir)?;
    let staged = dir.join(format!("backup-{id}.part"));
    let fetched = dir.join(format!("backup-{id}.check"));
    let scope = match (kind, user_id) {
        (Kind::User, Some(u)) => Scope::User {
            user_id: u.to_string(),
        },
        (Kind::User, None) => return Err(BackupError::Other("a user backup needs a user".into())),
        (Kind::System, _) => Scope::System {
            backup_id: id.to_string(),
        },
    };
    let max = (kind == Kind::User).then_some(USER_MAX_BYTES);
    let result = async {
        let (pool, cipher, path, bid) = (
            ctx.pool.clone(),
            ctx.cipher.clone(),
            staged.clone(),
            id.to_string(),
        );
        let written = tokio::task::spawn_blocking(move || -> Result<Written, BackupError> {
            let mut conn = pool.get().map_err(|e| BackupError::Pool(e.to_string()))?;
            let f = BufWriter::new(std::fs::File::create(&path)?);
            let (f, written, _) =
                write_backup(&mut conn, &cipher, &bid, kind, &scope, f, max, &mut |_| {})?;
            f.into_inner()
                .map_err(|e| BackupError::Io(e.into_error()))?
                .sync_all()?;
            Ok(written)
        })
        .await
        .map_err(|e| BackupError::Other(e.to_string()))??;
        let key = object_key(kind, id);
        ctx.storage
            .put_file(&key, &staged, "application/octet-stream")
            .await?;
        ctx.storage
            .put(
                &checksum_key(&key),
                bytes::Bytes::from(written.sha256.clone()),
                "text/plain",
            )
            .await?;
        let _ = std::fs::remove_file(&staged);
        // Read back what the store holds, not what we meant to write.
        if !ctx.storage.get_to_file(&key, &fetched).await? {
            return Err(BackupError::NotFound(key));
        }
        let (cipher, path) = (ctx.cipher.clone(), fetched.clone());
        let report =
            tokio::task::spawn_blocking(move || verify_file(&path, &cipher, &mut |_, _| {}))
                .await
                .map_err(|e| BackupError::Other(e.to_string()))??;
        if report.sha256 != written.sha256 || report.size_bytes != written.size_bytes {
            return Err(BackupError::Checksum {
                expected: written.sha256,
                actual: report.sha256,
            });
        }
        Ok(report)
    }
    .await;
    let _ = std::fs::remove_file(&staged);
    let _ = std::fs::remove_file(&fetched);
    result
}

/// Fetches a stored backup into `file` for a restore: by id (a system or user backup). Returns
/// the SHA-256 stored beside it, when there is one.
pub async fn fetch(
    storage: &ObjectStore,
    id: &str,
    file: &Path,
) -> Result<Option<String>, BackupError> {
    if uuid::Uuid::parse_str(id).is_err() {
        return Err(BackupError::NotFound(id.to_string()));
    }
    for kind in [Kind::System, Kind::User] {
        let key = object_key(kind, id);
        if storage.get_to_file(&key, file).await? {
            let sha = storage
                .get(&checksum_key(&key))
                .await?
                .and_then(|o| String::from_utf8(o.bytes.to_vec()).ok())
                .map(|s| s.trim().to_string());
            return Ok(sha);
        }
    }
    Err(BackupError::NotFound(id.to_string()))
}

/// Deletes expired backups (objects first, then rows) and marks backups pending for too long
/// (their node stopped) as failed. Returns how many were deleted.
pub async fn prune(pool: &DbPool, storage: &ObjectStore) -> Result<usize, BackupError> {
    let p = pool.clone();
    let expired: Vec<(String, Option<String>)> = tokio::task::spawn_blocking(move || {
        let mut conn = p.get().map_err(|e| BackupError::Pool(e.to_string()))?;
        let now = crate::infra::time::now();
        diesel::update(
            backup_logs::table
                .filter(backup_logs::status.eq("pending"))
                .filter(backup_logs::created_at.lt(now - Duration::hours(STALE_PENDING_HOURS))),
        )
        .set((
            backup_logs::status.eq("failed"),
            backup_logs::error.eq("interrupted: the server stopped before it finished"),
            backup_logs::completed_at.eq(now),
        ))
        .execute(&mut conn)?;
        Ok::<_, BackupError>(
            backup_logs::table
                .filter(backup_logs::expires_at.le(now))
                .select((backup_logs::id, backup_logs::object_key))
                .limit(1000)
                .load(&mut conn)?,
        )
    })
    .await
    .map_err(|e| BackupError::Other(e.to_string()))??;
    let mut gone = Vec::new();
    for (id, key) in expired {
        if let Some(key) = key {
            if let Err(e) = storage.delete(&key).await {
                tracing::warn!(backup_id = id, error = %e, "an expired backup's object could not be removed; retrying later");
                continue;
            }
            let _ = storage.delete(&checksum_key(&key)).await;
        }
        gone.push(id);
    }
    let n = gone.len();
    if n > 0 {
        let p = pool.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = p.get().map_err(|e| BackupError::Pool(e.to_string()))?;
            diesel::delete(backup_logs::table.filter(backup_logs::id.eq_any(&gone)))
                .execute(&mut conn)?;
            Ok::<_, BackupError>(())
        })
        .await
        .map_err(|e| BackupError::Other(e.to_string()))??;
        tracing::info!(pruned = n, "expired backups removed");
    }
    Ok(n)
}

/// The object store the settings name (the same one `serve` uses), for the command line.
pub async fn open_store(settings: &crate::Settings) -> anyhow::Result<ObjectStore> {
    Ok(ObjectStore::open(settings).await?)
}
