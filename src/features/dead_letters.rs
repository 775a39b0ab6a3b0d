//! What the group commit could never store (parked by `infra::store::refusals`), read
//! back for administrators.

use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use crate::infra::db::DbConnection;
use crate::infra::db::schema::dead_letters;
use crate::infra::time::utc;

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

/// One page, newest first: `limit` of them from before the `before` id (ids are UUIDv7:
/// their order is the order they were parked in).
pub fn page(
    conn: &mut DbConnection,
    before: Option<String>,
    limit: i64,
) -> QueryResult<DeadLetterPage> {
    let mut query = dead_letters::table.into_boxed();
    if let Some(before) = before {
        query = query.filter(dead_letters::id.lt(before));
    }
    let rows: Vec<DeadLetterRow> = query
        .order(dead_letters::id.desc())
        .limit(limit + 1)
        .select(DeadLetterRow::as_select())
        .load(conn)?;
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
    Ok(DeadLetterPage {
        dead_letters,
        next_before,
    })
}

/// Removes a dead letter an administrator dealt with (or gave up on); its kind and what it
/// was about, for the audit log, or `None` when there is no such letter.
pub fn discard(conn: &mut DbConnection, id: &str) -> QueryResult<Option<serde_json::Value>> {
    let row: Option<DeadLetterRow> = dead_letters::table
        .find(id)
        .select(DeadLetterRow::as_select())
        .first(conn)
        .optional()?;
    let Some(row) = row else {
        return Ok(None);
    };
    diesel::delete(dead_letters::table.find(id)).execute(conn)?;
    Ok(Some(serde_json::json!({
        "kind": row.kind,
        "learner_id": row.learner_id,
        "session_id": row.session_id,
        "seq": row.seq,
        "error": row.error,
    })))
}

/// Parks something that could not be done (an email given up on) for an administrator to
/// see: `payload` says what it was, `error` why.
pub fn park(
    conn: &mut DbConnection,
    kind: &str,
    payload: &serde_json::Value,
    error: &str,
) -> QueryResult<()> {
    diesel::insert_into(dead_letters::table)
        .values((
            dead_letters::id.eq(uuid::Uuid::now_v7().to_string()),
            dead_letters::kind.eq(kind),
            dead_letters::payload.eq(payload.to_string()),
            dead_letters::error.eq(error),
            dead_letters::created_at.eq(crate::infra::time::now()),
        ))
        .execute(conn)
        .map(drop)
}

/// A letter's kind and payload (to retry it), or `None` when there is no such letter.
pub fn kind_and_payload(
    conn: &mut DbConnection,
    id: &str,
) -> QueryResult<Option<(String, String)>> {
    dead_letters::table
        .find(id)
        .select((dead_letters::kind, dead_letters::payload))
        .first(conn)
        .optional()
}
