//! `GET /v1/audit` (admins): who changed what, with old and new values.

use actix_web::get;
use actix_web::{HttpResponse, web};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::auth::AdminUser;
use crate::db::schema::audit_logs;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::time::utc;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(list);
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    pub user_id: Option<String>,
    /// child, settings, grant, class, membership, assessment, activity, drawing
    pub entity_type: Option<String>,
    /// RFC 3339 times, inclusive.
    pub from: Option<chrono::DateTime<chrono::Utc>>,
    pub to: Option<chrono::DateTime<chrono::Utc>>,
    /// 1..200, default 50.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// Cursor: the `id` of the last entry of the previous page.
    pub before: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEntry {
    pub id: String,
    pub user_id: Option<String>,
    pub action: String,
    pub entity_type: String,
    pub entity_id: String,
    #[schema(value_type = Object)]
    pub old_values: Option<serde_json::Value>,
    #[schema(value_type = Object)]
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

/// The audit log, newest first, filtered and paged by cursor.
#[utoipa::path(tag = "audit", params(AuditQuery), security(("bearer" = [])),
    responses((status = 200, body = AuditPage), (status = 403, description = "not an admin")))]
#[get("/audit")]
pub async fn list(
    state: web::Data<AppState>,
    _admin: AdminUser,
    q: web::Query<AuditQuery>,
) -> AppResult<HttpResponse> {
    let q = q.into_inner();
    if let Some(t) = q.from {
        crate::time::check_instant(t, "from")?;
    }
    if let Some(t) = q.to {
        crate::time::check_instant(t, "to")?;
    }
    let limit = q.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(AppError::invalid_field("limit", "between 1 and 200"));
    }
    let rows: Vec<Row> = state
        .db
        .run(move |conn| {
            let mut query = audit_logs::table.into_boxed();
            if let Some(u) = q.user_id {
                query = query.filter(audit_logs::user_id.eq(u));
            }
            if let Some(t) = q.entity_type {
                query = query.filter(audit_logs::entity_type.eq(t));
            }
            if let Some(from) = q.from {
                query = query.filter(audit_logs::created_at.ge(from.naive_utc()));
            }
            if let Some(to) = q.to {
                query = query.filter(audit_logs::created_at.le(to.naive_utc()));
            }
            if let Some(before) = q.before {
                query = query.filter(audit_logs::id.lt(before));
            }
            query
                .order(audit_logs::id.desc())
                .limit(limit + 1)
                .select(Row::as_select())
                .load(conn)
                .map_err(AppError::from)
        })
        .await?;
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
            created_at: utc(r.created_at),
        })
        .collect();
    let next_before = if more {
        entries.last().map(|e| e.id.clone())
    } else {
        None
    };
    Ok(HttpResponse::Ok().json(AuditPage {
        entries,
        next_before,
    }))
}
