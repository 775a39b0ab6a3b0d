//! A parent's notifications as stored: written by the group commit, pushed live to
//! `/v1/parent/live`, listed and marked read here for whoever was offline.

use diesel::prelude::*;
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;

use crate::infra::db::DbConnection;
use crate::infra::db::schema::notifications;
use crate::infra::error::AppError;
use crate::infra::time::{now, utc};

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

/// One page of a parent's notifications, newest first: `limit` of them from before the
/// `before` id (ids are UUIDv7, so their order is creation order), unread ones only if asked.
pub fn page(
    conn: &mut DbConnection,
    parent_id: &str,
    unread_only: bool,
    before: Option<&str>,
    limit: i64,
) -> Result<NotificationPage, AppError> {
    let mut query = notifications::table
        .filter(notifications::parent_id.eq(parent_id))
        .into_boxed();
    if unread_only {
        query = query.filter(notifications::read_at.is_null());
    }
    if let Some(before) = before {
        query = query.filter(notifications::id.lt(before.to_string()));
    }
    let rows: Vec<Row> = query
        .order(notifications::id.desc())
        .limit(limit + 1)
        .select(Row::as_select())
        .load(conn)?;
    let more = rows.len() as i64 > limit;
    let list: Vec<NotificationView> = rows.into_iter().take(limit as usize).map(view).collect();
    Ok(NotificationPage {
        next_before: if more {
            list.last().map(|n| n.id.clone())
        } else {
            None
        },
        notifications: list,
        unread_count: unread_count(conn, parent_id)?,
    })
}

/// Marks every unread notification of the parent read; how many there were.
pub fn mark_all_read(conn: &mut DbConnection, parent_id: &str) -> Result<usize, AppError> {
    Ok(diesel::update(
        notifications::table
            .filter(notifications::parent_id.eq(parent_id))
            .filter(notifications::read_at.is_null()),
    )
    .set(notifications::read_at.eq(Some(now())))
    .execute(conn)?)
}
