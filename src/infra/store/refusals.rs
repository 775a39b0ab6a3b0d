//! A batch the database refuses for good is written item by item: the items it refuses
//! become dead letters (kept in `dead_letters`, logged, counted, reported back so they are
//! never acknowledged as saved) and every other item is committed in the same window.

use chrono::Utc;
use diesel::prelude::*;
use studyhub_actors::ids::{LearnerId, Seq};
use studyhub_actors::store::{Batch, BatchResult, ItemKey};

use super::batch::write_batch;
use super::commits::BatchChanges;
use super::naive;
use crate::infra::crypto::Cipher;
use crate::infra::db::DbConnection;

/// Whether an error will come back however often the same write is tried: the database
/// refuses the data itself (text it cannot hold, a number out of range, a constraint), as
/// opposed to a connection lost, a deadlock or a serialization failure, which a retry cures.
fn is_permanent(e: &diesel::result::Error) -> bool {
    use diesel::result::{DatabaseErrorKind as K, Error};
    match e {
        Error::DatabaseError(kind, info) => match kind {
            K::ClosedConnection | K::UnableToSendCommand | K::SerializationFailure => false,
            K::ReadOnlyTransaction => false,
            _ => {
                let msg = info.message().to_ascii_lowercase();
                let transient = [
                    "deadlock",
                    "could not serialize",
                    "canceling statement",
                    "terminating connection",
                    "server closed",
                    "connection",
                    "database is locked",
                    "busy",
                    "out of memory",
                    "too many",
                ];
                !transient.iter().any(|t| msg.contains(t))
            }
        },
        Error::SerializationError(_) => true,
        _ => false,
    }
}

/// Writes the batch. If the database refuses it for good, writes it item by item: the items
/// it refuses become dead letters (reported back, never acknowledged as saved) and all the
/// others are committed in the same window, so one bad item never blocks anybody else.
/// Transient errors are returned for the flusher to retry the whole batch (writes are
/// idempotent, so items already written by the split are harmless to write again). After a
/// split, every learner the batch touched has its progress summary read again.
pub(super) fn write_batch_or_split(
    conn: &mut DbConnection,
    cipher: &Cipher,
    batch: Batch,
) -> QueryResult<(BatchResult, BatchChanges)> {
    match write_batch(conn, cipher, &batch) {
        Err(e) if is_permanent(&e) => {
            tracing::warn!(error = %e, items = batch.len(), "batch refused; writing item by item");
            let mut result = BatchResult::default();
            let read_again = super::summary_learners(&batch);
            for (key, single) in batch.into_singles() {
                match write_batch(conn, cipher, &single) {
                    Ok((r, _)) => {
                        result.unlocked.extend(r.unlocked);
                        result.ended.extend(r.ended);
                    }
                    Err(e) if is_permanent(&e) => {
                        match learner_of(&key, &single) {
                            // Its learner was erased meanwhile (`DELETE /v1/me`): the item
                            // goes with the rest of its data instead of being kept.
                            Some(id) if erased(conn, &id) => {
                                metrics::counter!("studyhub_erased_items_dropped_total")
                                    .increment(1);
                                tracing::info!(learner = %id, "an item of an erased learner was dropped");
                            }
                            _ => dead_letter(conn, cipher, &key, &single, &e),
                        }
                        result.refused.push(key);
                    }
                    Err(e) => return Err(e),
                }
            }
            Ok((
                result,
                BatchChanges {
                    read_again,
                    ..BatchChanges::default()
                },
            ))
        }
        other => other,
    }
}

/// The learner an item belongs to.
fn learner_of(key: &ItemKey, single: &Batch) -> Option<LearnerId> {
    if let ItemKey::Unlock { learner_id } = key {
        return Some(learner_id.clone());
    }
    single
        .answers
        .first()
        .map(|a| a.learner_id.clone())
        .or_else(|| single.starts.first().map(|s| s.learner_id.clone()))
        .or_else(|| single.ends.first().map(|e| e.learner_id.clone()))
        .or_else(|| single.spans.first().map(|s| s.learner_id.clone()))
        .or_else(|| single.notifications.first().map(|n| n.child_id.clone()))
}

/// Whether the learner is gone (a failed lookup counts as "still there": keep the item).
fn erased(conn: &mut DbConnection, learner_id: &str) -> bool {
    use crate::infra::db::schema::learners;
    matches!(
        learners::table
            .find(learner_id)
            .select(learners::id)
            .first::<String>(conn)
            .optional(),
        Ok(None)
    )
}

/// Text as any backend stores it: NUL (which PostgreSQL refuses) becomes U+FFFD.
fn storable(s: &str) -> String {
    s.replace('\0', "\u{FFFD}")
}

/// Parks an item the database refuses: logged, counted, and kept in `dead_letters` for an
/// administrator (the payload as JSON text, answers still encrypted).
fn dead_letter(
    conn: &mut DbConnection,
    cipher: &Cipher,
    key: &ItemKey,
    single: &Batch,
    error: &diesel::result::Error,
) {
    use crate::infra::db::schema::dead_letters;
    let (kind, session_id, seq) = match key {
        ItemKey::Start { session_id } => ("start", Some(session_id), None),
        ItemKey::Answer { session_id, seq } => ("answer", Some(session_id), Some(*seq)),
        ItemKey::End { session_id } => ("end", Some(session_id), None),
        ItemKey::Span { .. } => ("screen_time", None, None),
        ItemKey::Notification { .. } => ("notification", None, None),
        ItemKey::Unlock { .. } => ("unlock", None, None),
    };
    let learner_id = learner_of(key, single);
    let payload = super::dead_letter_items::payload(cipher, single);
    metrics::counter!("studyhub_dead_letters_total", "kind" => kind).increment(1);
    tracing::error!(kind, learner = ?learner_id, session = ?session_id, seq = ?seq, %error,
        "the database refuses this item for good; kept as a dead letter");
    let row = (
        dead_letters::id.eq(uuid::Uuid::now_v7().to_string()),
        dead_letters::kind.eq(kind),
        dead_letters::learner_id.eq(learner_id.as_deref().map(storable)),
        dead_letters::session_id.eq(session_id.map(|s| storable(s))),
        dead_letters::seq.eq(seq.map(Seq::to_db)),
        dead_letters::payload.eq(payload),
        dead_letters::error.eq(storable(&error.to_string())),
        dead_letters::created_at.eq(naive(Utc::now())),
    );
    if let Err(e) = diesel::insert_into(dead_letters::table)
        .values(row)
        .execute(conn)
    {
        tracing::error!(error = %e, "could not even keep the dead letter; it is in this log only");
    }
}
