//! A parent's notifications: stored first, pushed live to `/v1/parent/live`, listed here for
//! whoever was offline.

use actix_web::{HttpResponse, web};
use actix_web::{get, post};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::auth::ParentUser;
use crate::db::DbConnection;
use crate::db::schema::notifications;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::time::{now, utc};

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(list).service(read_all).service(read_one);
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Only unread ones.
    pub unread: Option<bool>,
    /// 1..100, default 20.
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    /// Cursor: the `id` of the last notification of the previous page.
    #[param(max_length = 100)]
    pub before: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NotificationView {
    pub id: String,
    /// achievement_unlocked | activity_completed | time_warning | time_limit_reached
    pub kind: String,
    pub child_id: String,
    pub title: String,
    pub body: String,
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub read: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NotificationPage {
    pub notifications: Vec<NotificationView>,
    /// Pass as `before` for the next page; null on the last page.
    pub next_before: Option<String>,
    pub unread_count: i64,
}

/// A notification as stored (`data` as JSON text).
#[derive(Queryable, Selectable)]
#[diesel(table_name = notifications)]
struct Row {
    id: String,
    kind: String,
    learner_id: String,
    title: String,
    body: String,
    data: String,
    read_at: Option<chrono::NaiveDateTime>,
    created_at: chrono::NaiveDateTime,
}

fn view(r: Row) -> NotificationView {
    NotificationView {
        id: r.id,
        kind: r.kind,
        child_id: r.learner_id,
        title: r.title,
        body: r.body,
        data: serde_json::from_str(&r.data).unwrap_or(json!({})),
        read: r.read_at.is_some(),
        created_at: utc(r.created_at),
    }
}

pub fn unread_count(conn: &mut DbConnection, parent_id: &str) -> Result<i64, AppError> {
    Ok(notifications::table
        .filter(notifications::parent_id.eq(parent_id))
        .filter(notifications::read_at.is_null())
        .count()
        .get_result(conn)?)
}

/// Marks one notification read (idempotent); false if it is not the parent's.
pub fn mark_read(conn: &mut DbConnection, parent_id: &str, id: &str) -> Result<bool, AppError> {
    let found: i64 = notifications::table
        .filter(notifications::id.eq(id))
        .filter(notifications::parent_id.eq(parent_id))
        .count()
        .get_result(conn)?;
    diesel::update(
        notifications::table
            .filter(notifications::id.eq(id))
            .filter(notifications::parent_id.eq(parent_id))
            .filter(notifications::read_at.is_null()),
    )
    .set(notifications::read_at.eq(Some(now())))
    .execute(conn)?;
    Ok(found == 1)
}

/// Newest first, by cursor.
#[utoipa::path(tag = "notifications", params(ListQuery), security(("bearer" = [])),
    responses((status = 200, body = NotificationPage), (status = 403, description = "not a parent")))]
#[get("/notifications")]
pub async fn list(
    state: web::Data<AppState>,
    parent: ParentUser,
    q: web::Query<ListQuery>,
) -> AppResult<HttpResponse> {
    let q = q.into_inner();
    let limit = q.limit.unwrap_or(20);
    if !(1..=100).contains(&limit) {
        return Err(AppError::invalid_field("limit", "between 1 and 100"));
    }
    if q.before.as_ref().is_some_and(|b| b.len() > 100) {
        return Err(AppError::invalid_field("before", "at most 100 characters"));
    }
    let page = state
        .db
        .run(move |conn| {
            let mut query = notifications::table
                .filter(notifications::parent_id.eq(&parent.0.id))
                .into_boxed();
            if q.unread == Some(true) {
                query = query.filter(notifications::read_at.is_null());
            }
            if let Some(before) = &q.before {
                // Ids are UUIDv7: their order is creation order.
                query = query.filter(notifications::id.lt(before.clone()));
            }
            let rows: Vec<Row> = query
                .order(notifications::id.desc())
                .limit(limit + 1)
                .select(Row::as_select())
                .load(conn)?;
            let more = rows.len() as i64 > limit;
            let list: Vec<NotificationView> =
                rows.into_iter().take(limit as usize).map(view).collect();
            Ok(NotificationPage {
                next_before: if more {
                    list.last().map(|n| n.id.clone())
                } else {
                    None
                },
                notifications: list,
                unread_count: unread_count(conn, &parent.0.id)?,
            })
        })
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

#[utoipa::path(tag = "notifications", security(("bearer" = [])),
    responses((status = 204), (status = 404)))]
#[post("/notifications/{id}/read")]
pub async fn read_one(
    state: web::Data<AppState>,
    parent: ParentUser,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let found = state
        .db
        .run(move |conn| mark_read(conn, &parent.0.id, &id))
        .await?;
    if !found {
        return Err(AppError::not_found("notification"));
    }
    Ok(HttpResponse::NoContent().finish())
}

/// How many notifications were unread until now.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReadAll {
    pub updated: usize,
}

#[utoipa::path(tag = "notifications", security(("bearer" = [])),
    responses((status = 200, body = ReadAll)))]
#[post("/notifications/read-all")]
pub async fn read_all(state: web::Data<AppState>, parent: ParentUser) -> AppResult<HttpResponse> {
    let updated = state
        .db
        .run(move |conn| {
            Ok(diesel::update(
                notifications::table
                    .filter(notifications::parent_id.eq(&parent.0.id))
                    .filter(notifications::read_at.is_null()),
            )
            .set(notifications::read_at.eq(Some(now())))
            .execute(conn)?)
        })
        .await?;
    Ok(HttpResponse::Ok().json(ReadAll { updated }))
}
