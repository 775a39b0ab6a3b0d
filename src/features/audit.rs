//! The audit log: who changed what, from where, with the old and new values. Written in the
//! same transaction as the change it records, so one never exists without the other.

use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use crate::infra::db::DbConnection;
use crate::infra::db::schema::audit_logs;
use crate::infra::error::AppError;
use crate::infra::time::now;

/// Where a request came from, for the audit log (an extractor: `web::extractors`).
#[derive(Debug, Clone, Default)]
pub struct RequestMeta {
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

/// One change to record.
pub struct Change<'a> {
    pub user_id: &'a str,
    pub action: &'a str,
    pub entity_type: &'a str,
    pub entity_id: &'a str,
    pub old: Option<serde_json::Value>,
    pub new: Option<serde_json::Value>,
}

/// Records a change; call it inside the transaction that makes the change.
pub fn record(conn: &mut DbConnection, meta: &RequestMeta, c: Change<'_>) -> Result<(), AppError> {
    diesel::insert_into(audit_logs::table)
        .values((
            audit_logs::id.eq(uuid::Uuid::now_v7().to_string()),
            audit_logs::user_id.eq(Some(c.user_id)),
            audit_logs::action.eq(c.action),
            audit_logs::entity_type.eq(c.entity_type),
            audit_logs::entity_id.eq(c.entity_id),
            audit_logs::old_values.eq(c.old.map(|v| v.to_string())),
            audit_logs::new_values.eq(c.new.map(|v| v.to_string())),
            audit_logs::ip_address.eq(meta.ip.as_deref()),
            audit_logs::user_agent.eq(meta.user_agent.as_deref()),
            audit_logs::created_at.eq(now()),
        ))
        .execute(conn)?;
    Ok(())
}

/// An event of an account that changes no row of its own: a sign-in (`login`, with how),
/// a refused one (`login_failed`: `user_id` is the account when the email names one, the
/// email tried is kept, never the password), a sign-out (`logout`). Entity `session`, its id the account's.
pub fn record_account_event(
    conn: &mut DbConnection,
    meta: &RequestMeta,
    user_id: Option<&str>,
    action: &str,
    details: serde_json::Value,
) -> Result<(), AppError> {
    diesel::insert_into(audit_logs::table)
        .values((
            audit_logs::id.eq(uuid::Uuid::now_v7().to_string()),
            audit_logs::user_id.eq(user_id),
            audit_logs::action.eq(action),
            audit_logs::entity_type.eq("session"),
            audit_logs::entity_id.eq(user_id.unwrap_or("")),
            audit_logs::old_values.eq(None::<String>),
            audit_logs::new_values.eq(Some(details.to_string())),
            audit_logs::ip_address.eq(meta.ip.as_deref()),
            audit_logs::user_agent.eq(meta.user_agent.as_deref()),
            audit_logs::created_at.eq(now()),
        ))
        .execute(conn)?;
    Ok(())
}

/// A value as the audit log keeps it.
pub fn json<T: Serialize>(v: &T) -> Option<serde_json::Value> {
    serde_json::to_value(v).ok()
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEntry {
    pub id: String,
    pub user_id: Option<String>,
    pub action: String,
    pub entity_type: String,
    pub entity_id: String,
    /// The values before the change; null when there were none (a creation, an event).
    #[schema(value_type = Option<Object>)]
    pub old_values: Option<serde_json::Value>,
    /// The values after the change; null when there are none (a deletion).
    #[schema(value_type = Option<Object>)]
    pub new_values: Option<serde_json::Value>,
    pub ip_address: Option<String>,
    pub user_agent: Option<String>,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

/// A page of the log; `next_before` is the cursor for the next (older) page.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditPage {
    pub entries: Vec<AuditEntry>,
    pub next_before: Option<String>,
}

/// An entry as stored (old and new values as JSON text).
#[derive(Queryable, Selectable)]
#[diesel(table_name = audit_logs)]
struct Row {
    id: String,
    user_id: Option<String>,
    action: String,
    entity_type: String,
    entity_id: String,
    old_values: Option<String>,
    new_values: Option<String>,
    ip_address: Option<String>,
    user_agent: Option<String>,
    created_at: chrono::NaiveDateTime,
}

/// Which entries to read: all conditions that are given hold.
pub struct Filter {
    pub user_id: Option<String>,
    pub entity_type: Option<String>,
    pub action: Option<String>,
    pub from: Option<chrono::DateTime<chrono::Utc>>,
    pub to: Option<chrono::DateTime<chrono::Utc>>,
    /// Only entries older than this id (ids are UUIDv7: their order is creation order).
    pub before: Option<String>,
}

/// One page of the log, newest first: `limit` entries and the cursor for the next page.
pub fn page(conn: &mut DbConnection, f: Filter, limit: i64) -> QueryResult<AuditPage> {
    let mut query = audit_logs::table.into_boxed();
    if let Some(u) = f.user_id {
        query = query.filter(audit_logs::user_id.eq(u));
    }
    if let Some(t) = f.entity_type {
        query = query.filter(audit_logs::entity_type.eq(t));
    }
    if let Some(a) = f.action {
        query = query.filter(audit_logs::action.eq(a));
    }
    if let Some(from) = f.from {
        query = query.filter(audit_logs::created_at.ge(from.naive_utc()));
    }
    if let Some(to) = f.to {
        query = query.filter(audit_logs::created_at.le(to.naive_utc()));
    }
    if let Some(before) = f.before {
        query = query.filter(audit_logs::id.lt(before));
    }
    let rows: Vec<Row> = query
        .order(audit_logs::id.desc())
        .limit(limit + 1)
        .select(Row::as_select())
        .load(conn)?;
    let more = rows.len() as i64 > limit;
    let parse = |s: Option<String>| s.and_then(|s| serde_json::from_str(&s).ok());
    let entries: Vec<AuditEntry> = rows
        .into_iter()
        .take(limit as usize)
        .map(|r| AuditEntry {
            id: r.id,
            user_id: r.user_id,
            action: r.action,
            entity_type: r.entity_type,
            entity_id: r.entity_id,
            old_values: parse(r.old_values),
            new_values: parse(r.new_values),
            ip_address: r.ip_address,
            user_agent: r.user_agent,
            created_at: crate::infra::time::utc(r.created_at),
        })
        .collect();
    let next_before = if more {
        entries.last().map(|e| e.id.clone())
    } else {
        None
    };
    Ok(AuditPage {
        entries,
        next_before,
    })
}
