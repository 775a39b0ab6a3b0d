//! The audit log: who changed what, from where, with the old and new values. Written in the
//! same transaction as the change it records, so one never exists without the other.

use std::future::{Ready, ready};

use actix_web::{FromRequest, HttpRequest, dev::Payload, web};
use diesel::prelude::*;
use serde::Serialize;

use crate::auth::client_addr;
use crate::db::DbConnection;
use crate::db::schema::audit_logs;
use crate::error::AppError;
use crate::state::AppState;
use crate::time::now;

/// Where a request came from, for the audit log.
#[derive(Debug, Clone, Default)]
pub struct RequestMeta {
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

impl FromRequest for RequestMeta {
    type Error = AppError;
    type Future = Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let trust = req
            .app_data::<web::Data<AppState>>()
            .is_some_and(|s| s.settings.raw.trust_proxy);
        ready(Ok(RequestMeta {
            ip: Some(client_addr(req, trust)),
            user_agent: req
                .headers()
                .get(actix_web::http::header::USER_AGENT)
                .and_then(|v| v.to_str().ok())
                .map(|s| s.chars().take(500).collect()),
        }))
    }
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

/// A value as the audit log keeps it.
pub fn json<T: Serialize>(v: &T) -> Option<serde_json::Value> {
    serde_json::to_value(v).ok()
}
