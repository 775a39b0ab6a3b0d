//! Retention: what the installation promises not to keep forever. Daily, on every node (the
//! deletes are idempotent and cheap), audit entries older than `retention.audit_days` and
//! read notifications older than `retention.notifications_days` are deleted, logged and
//! counted (`studyhub_retention_deleted_total{kind}`). Unread notifications are kept: a parent
//! has not seen them yet.

use std::time::Duration;

use diesel::prelude::*;

use crate::infra::config::Retention;
use crate::infra::db::schema::{audit_logs, notifications};
use crate::infra::db::{Db, DbConnection};
use crate::infra::time::now;

/// How often the sweep runs (its first run is one minute after start).
const EVERY: Duration = Duration::from_secs(24 * 3600);
const FIRST_AFTER: Duration = Duration::from_secs(60);

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Swept {
    pub audit_entries: usize,
    pub notifications: usize,
}

/// Deletes what is past its retention now. A period of 0 days keeps everything of that kind.
pub fn sweep(conn: &mut DbConnection, retention: Retention) -> QueryResult<Swept> {
    let mut swept = Swept::default();
    if retention.audit_days > 0 {
        let before = now() - chrono::Duration::days(i64::from(retention.audit_days));
        swept.audit_entries =
            diesel::delete(audit_logs::table.filter(audit_logs::created_at.lt(before)))
                .execute(conn)?;
    }
    if retention.notifications_days > 0 {
        let before = now() - chrono::Duration::days(i64::from(retention.notifications_days));
        swept.notifications = diesel::delete(
            notifications::table
                .filter(notifications::read_at.is_not_null())
                .filter(notifications::created_at.lt(before)),
        )
        .execute(conn)?;
    }
    Ok(swept)
}

/// Runs [`sweep`] daily inside `serve`.
pub fn spawn(db: Db, retention: Retention) {
    actix_web::rt::spawn(async move {
        let mut wait = FIRST_AFTER;
        loop {
            tokio::time::sleep(wait).await;
            wait = EVERY;
            match db.run(move |conn| Ok(sweep(conn, retention)?)).await {
                Ok(swept) => {
                    metrics::counter!("studyhub_retention_deleted_total", "kind" => "audit")
                        .increment(swept.audit_entries as u64);
                    metrics::counter!("studyhub_retention_deleted_total", "kind" => "notification")
                        .increment(swept.notifications as u64);
                    tracing::info!(
                        audit_entries = swept.audit_entries,
                        notifications = swept.notifications,
                        audit_days = retention.audit_days,
                        notifications_days = retention.notifications_days,
                        "retention: old entries deleted"
                    );
                }
                Err(e) => tracing::warn!(error = %e, "retention sweep failed; next in a day"),
            }
        }
    });
}
