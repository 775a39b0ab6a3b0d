//! `GET /v1/admin/dead-letters` (admins): what the group commit could never store, so an
//! administrator can see it, fix its cause and, if need be, put it right by hand.

use actix_web::get;
use actix_web::{HttpResponse, web};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::auth::AdminUser;
use crate::db::schema::dead_letters;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::time::utc;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(list);
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeadLetterQuery {
    /// 1..200, default 50.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// Cursor: the `id` of the last entry of the previous page.
    #[param(max_length = 100)]
    pub before: Option<String>,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = dead_letters)]
struct DeadLetterRow {
    id: String,
    kind: String,
    learner_id: Option<String>,
    session_id: Option<String>,
    seq: Option<i32>,
    payload: String,
    error: String,
    created_at: chrono::NaiveDateTime,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DeadLetter {
    pub id: String,
    /// What it was: `answer`, `session_start`, `session_end`, `progress`, `span`, …
    pub kind: String,
    pub learner_id: Option<String>,
    pub session_id: Option<String>,
    pub seq: Option<i32>,
    /// The item as it was handed to the group commit (answers still encrypted).
    #[schema(value_type = Object)]
    pub payload: serde_json::Value,
    /// What the database said.
    pub error: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DeadLetterPage {
    pub dead_letters: Vec<DeadLetter>,
    /// Pass as `before` for the next page; null on the last page.
    pub next_before: Option<String>,
}

/// Items the database refused for good, newest first.
#[utoipa::path(tag = "operations", params(DeadLetterQuery), security(("bearer" = [])),
    responses((status = 200, body = DeadLetterPage), (status = 403, description = "not an admin")))]
#[get("/admin/dead-letters")]
pub async fn list(
    state: web::Data<AppState>,
    _admin: AdminUser,
    q: web::Query<DeadLetterQuery>,
) -> AppResult<HttpResponse> {
    let q = q.into_inner();
    let limit = q.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(AppError::invalid_field("limit", "between 1 and 200"));
    }
    if q.before.as_ref().is_some_and(|b| b.len() > 100) {
        return Err(AppError::invalid_field("before", "at most 100 characters"));
    }
    let rows: Vec<DeadLetterRow> = state
        .db
        .run(move |conn| {
            let mut query = dead_letters::table.into_boxed();
            if let Some(before) = q.before {
                // Ids are UUIDv7: their order is the order they were parked in.
                query = query.filter(dead_letters::id.lt(before));
            }
            query
                .order(dead_letters::id.desc())
                .limit(limit + 1)
                .select(DeadLetterRow::as_select())
                .load(conn)
                .map_err(AppError::from)
        })
        .await?;
    let more = rows.len() as i64 > limit;
    let dead_letters: Vec<DeadLetter> = rows
        .into_iter()
        .take(limit as usize)
        .map(|r| DeadLetter {
            payload: serde_json::from_str(&r.payload)
                .unwrap_or(serde_json::Value::String(r.payload)),
            id: r.id,
            kind: r.kind,
            learner_id: r.learner_id,
            session_id: r.session_id,
            seq: r.seq,
            error: r.error,
            created_at: utc(r.created_at),
        })
        .collect();
    let next_before = more
        .then(|| dead_letters.last().map(|d| d.id.clone()))
        .flatten();
    Ok(HttpResponse::Ok().json(DeadLetterPage {
        dead_letters,
        next_before,
    }))
}
