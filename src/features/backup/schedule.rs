//! The backup schedule inside `serve`: a system backup every `backup_interval_secs` (daily by
//! default) and pruning of expired backups. When several nodes share Redis, one takes the
//! shared lock (`SET NX PX`) and the others skip; after taking it, a node looks again at the
//! newest system backup in the database, so a period gets one backup whatever the timing.

use std::sync::Arc;
use std::time::Duration;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::{Ctx, Kind};
use crate::infra::cache::RedisCache;
use crate::infra::crypto::Cipher;
use crate::infra::db::Db;
use crate::infra::db::schema::backup_logs;
use crate::infra::storage::ObjectStore;

const LOCK: &str = "backup:system:lock";
/// Longest a node holds the lock (a backup that takes longer lets another node start one).
const LOCK_TTL: Duration = Duration::from_secs(3600);
/// Pruning runs at least this often.
const PRUNE_EVERY: Duration = Duration::from_secs(3600);
/// With no system backup yet, the first comes this long after start (or after one interval,
/// if shorter): a node that starts and stops again at once does not back up.
const FIRST_DELAY: Duration = Duration::from_secs(600);

/// What a system backup needs.
pub struct SystemBackups {
    pub db: Db,
    pub storage: Arc<ObjectStore>,
    pub cipher: Cipher,
    pub data_dir: std::path::PathBuf,
    /// Seconds between system backups (0: none; expired ones are still pruned).
    pub interval: u64,
}

/// Starts the schedule on the current runtime; it ends with the server.
pub fn spawn(state: SystemBackups, redis: Option<Arc<RedisCache>>) {
    let interval = state.interval;
    actix_web::rt::spawn(async move {
        let started = crate::infra::time::now();
        let node = uuid::Uuid::new_v4().simple().to_string();
        loop {
            let due = if interval == 0 {
                None
            } else {
                match last_system_backup(&state.db).await {
                    Ok(last) => Some(next_due(last, started, interval)),
                    Err(e) => {
                        tracing::warn!(error = %e, "backup schedule: cannot read the backup log");
                        Some(crate::infra::time::now() + chrono::Duration::seconds(60))
                    }
                }
            };
            let now = crate::infra::time::now();
            let wait = match due {
                Some(due) if due <= now => Duration::ZERO,
                Some(due) => (due - now).to_std().unwrap_or(PRUNE_EVERY).min(PRUNE_EVERY),
                None => PRUNE_EVERY,
            };
            if !wait.is_zero() {
                tokio::time::sleep(wait.max(Duration::from_millis(200))).await;
            }
            if let Err(e) = super::prune(state.db.pool(), &state.storage).await {
                tracing::warn!(error = %e, "pruning expired backups failed");
            }
            if interval > 0 {
                take_if_due(&state, redis.as_deref(), &node, started, interval).await;
            }
        }
    });
}

fn next_due(last: Option<NaiveDateTime>, started: NaiveDateTime, interval: u64) -> NaiveDateTime {
    let every = chrono::Duration::seconds(interval as i64);
    match last {
        Some(t) => t + every,
        None => {
            started
                + chrono::Duration::from_std(FIRST_DELAY)
                    .expect("small")
                    .min(every)
        }
    }
}

/// The newest system backup that did not fail (pending counts: one is running).
/// When the newest verified system backup was taken (for `/metrics` and its alert).
pub async fn last_verified_system_backup(
    db: &Db,
) -> Result<Option<NaiveDateTime>, crate::infra::error::AppError> {
    db.run(|conn| {
        Ok(backup_logs::table
            .filter(backup_logs::scope.eq("system"))
            .filter(backup_logs::status.eq("verified"))
            .select(diesel::dsl::max(backup_logs::created_at))
            .first::<Option<NaiveDateTime>>(conn)?)
    })
    .await
}

async fn last_system_backup(
    db: &Db,
) -> Result<Option<NaiveDateTime>, crate::infra::error::AppError> {
    db.run(|conn| {
        Ok(backup_logs::table
            .filter(backup_logs::scope.eq("system"))
            .filter(backup_logs::status.ne("failed"))
            .select(diesel::dsl::max(backup_logs::created_at))
            .first::<Option<NaiveDateTime>>(conn)?)
    })
    .await
}

async fn take_if_due(
    state: &SystemBackups,
    redis: Option<&RedisCache>,
    node: &str,
    started: NaiveDateTime,
    interval: u64,
) {
    let due = |last| next_due(last, started, interval) <= crate::infra::time::now();
    match last_system_backup(&state.db).await {
        Ok(last) if due(last) => {}
        _ => return,
    }
    if let Some(r) = redis {
        match r.try_lock(LOCK, node, LOCK_TTL).await {
            Ok(true) => {}
            Ok(false) => return,
            Err(e) => {
                // Redis is an accelerator: without it the database check below still holds
                // for nodes that are not racing within the same instant.
                tracing::warn!(error = %e, "backup schedule: Redis lock unavailable; going on");
            }
        }
    }
    // Another node may have taken this period's backup while we waited for the lock.
    if let Ok(last) = last_system_backup(&state.db).await
        && due(last)
        && let Err(e) = take_system_backup(state, None).await
    {
        tracing::error!(error = %e, "scheduled system backup failed");
    }
    if let Some(r) = redis {
        r.unlock(LOCK, node).await;
    }
}

/// Logs and takes a system backup now, to the end (verified or failed); returns its id.
pub async fn take_system_backup(
    state: &SystemBackups,
    requested_by: Option<String>,
) -> Result<String, super::BackupError> {
    let id = uuid::Uuid::now_v7().to_string();
    let (pool, bid, by) = (state.db.pool().clone(), id.clone(), requested_by.clone());
    tokio::task::spawn_blocking(move || {
        let mut conn = pool
            .get()
            .map_err(|e| super::BackupError::Pool(e.to_string()))?;
        super::log_pending(
            &mut conn,
            &bid,
            Kind::System,
            by.as_deref(),
            crate::infra::time::now(),
        )?;
        Ok::<_, super::BackupError>(())
    })
    .await
    .map_err(|e| super::BackupError::Other(e.to_string()))??;
    let ctx = Ctx {
        pool: state.db.pool(),
        storage: &state.storage,
        cipher: &state.cipher,
        data_dir: &state.data_dir,
    };
    super::run(ctx, &id, Kind::System, None).await?;
    Ok(id)
}
