//! Drawings as stored: a row per drawing here, its image in the object store under
//! `object_key`.

use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use crate::infra::db::DbConnection;
use crate::infra::db::schema::drawings;
use crate::infra::time::utc;

pub const MAX_IMAGE: usize = 5 * 1024 * 1024;

/// The image type its first bytes say, if it is one we take.
pub fn sniff(bytes: &[u8]) -> Option<(&'static str, &'static str)> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some(("image/png", "png"))
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(("image/jpeg", "jpg"))
    } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some(("image/webp", "webp"))
    } else {
        None
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DrawingView {
    pub id: String,
    pub learner_id: String,
    pub title: String,
    pub category: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub url: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

/// A drawing's row: its image is in the object store under `object_key`.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = drawings)]
pub struct Row {
    pub id: String,
    pub learner_id: String,
    pub title: String,
    pub category: String,
    pub object_key: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub created_at: chrono::NaiveDateTime,
}

pub fn view(r: Row) -> DrawingView {
    DrawingView {
        url: format!("/v1/drawings/{}/image", r.id),
        id: r.id,
        learner_id: r.learner_id,
        title: r.title,
        category: r.category,
        content_type: r.content_type,
        size_bytes: r.size_bytes,
        created_at: utc(r.created_at),
    }
}

pub fn insert(conn: &mut DbConnection, row: &Row) -> QueryResult<()> {
    diesel::insert_into(drawings::table)
        .values(row)
        .execute(conn)
        .map(drop)
}

/// A learner's drawings, newest first.
pub fn of_learner(conn: &mut DbConnection, learner_id: &str) -> QueryResult<Vec<DrawingView>> {
    let rows: Vec<Row> = drawings::table
        .filter(drawings::learner_id.eq(learner_id))
        .order(drawings::created_at.desc())
        .select(Row::as_select())
        .load(conn)?;
    Ok(rows.into_iter().map(view).collect())
}

pub fn find(conn: &mut DbConnection, id: &str) -> QueryResult<Option<Row>> {
    drawings::table
        .find(id)
        .select(Row::as_select())
        .first(conn)
        .optional()
}

pub fn delete(conn: &mut DbConnection, id: &str) -> QueryResult<()> {
    diesel::delete(drawings::table.find(id))
        .execute(conn)
        .map(drop)
}
