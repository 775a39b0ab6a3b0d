//! `GET /v1/audit` (admins): who changed what, with old and new values.

use actix_web::get;
use actix_web::{HttpResponse, web};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::features::audit::Filter;
pub use crate::features::audit::{AuditEntry, AuditPage};
use crate::features::auth::AdminUser;
use crate::infra::error::{AppError, AppResult};
use crate::web::state::AppState;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(list);
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    pub user_id: Option<String>,
    /// child, settings, grant, class, membership, assessment, activity, drawing, pupil,
    /// account, dead_letter
    #[param(max_length = 100)]
    pub entity_type: Option<String>,
    /// create, update, delete, deactivate, reactivate, retry, discard, …
    #[param(max_length = 100)]
    pub action: Option<String>,
    /// RFC 3339 times, inclusive, in the years 1970..9999 (else 400 `date_out_of_range`).
    pub from: Option<chrono::DateTime<chrono::Utc>>,
    pub to: Option<chrono::DateTime<chrono::Utc>>,
    /// 1..200, default 50.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// Cursor: the `id` of the last entry of the previous page.
    pub before: Option<String>,
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
        crate::infra::time::check_instant(t, "from")?;
    }
    if let Some(t) = q.to {
        crate::infra::time::check_instant(t, "to")?;
    }
    for (name, value) in [("entity_type", &q.entity_type), ("action", &q.action)] {
        if value.as_ref().is_some_and(|v| v.chars().count() > 100) {
            return Err(AppError::invalid_field(name, "at most 100 characters"));
        }
    }
    let limit = q.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(AppError::invalid_field("limit", "between 1 and 200"));
    }
    let filter = Filter {
        user_id: q.user_id,
        entity_type: q.entity_type,
        action: q.action,
        from: q.from,
        to: q.to,
        before: q.before,
    };
    let page = state
        .db
        .run(move |conn| Ok(crate::features::audit::page(conn, filter, limit)?))
        .await?;
    Ok(HttpResponse::Ok().json(page))
}
