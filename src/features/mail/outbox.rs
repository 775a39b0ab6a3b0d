//! The outbox as stored: an email is a row first (written in the transaction of the change
//! that sends it), then a background sender ([`super::sender`]) drains the rows. A row is
//! claimed by compare-and-set on its `attempts` (the claim moves `next_attempt_at` one lease
//! ahead), so of several nodes exactly one sends it; a node that dies mid-send leaves the row
//! due again once the lease has passed.

use chrono::Duration as ChronoDuration;
use diesel::prelude::*;
use std::time::Duration;

use crate::infra::db::DbConnection;
use crate::infra::db::schema::mail_outbox;
use crate::infra::time::now;

/// How long a claimed row belongs to its node: longer than a send may take.
pub const LEASE: Duration = Duration::from_secs(90);
/// The longest wait between two tries.
const MAX_BACKOFF: Duration = Duration::from_secs(3600);

/// An email ready to go: its headers and parts formatted (RFC 5322).
#[derive(Debug, Clone)]
pub struct Email {
    /// What it is (`password_reset`, `verify_email`, `digest`), for logs and metrics.
    pub kind: &'static str,
    pub from: String,
    pub to: String,
    pub subject: String,
    pub message: String,
}

/// A due row, as the sender reads it.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = mail_outbox)]
pub struct Queued {
    pub id: String,
    pub kind: String,
    pub sender: String,
    pub recipient: String,
    pub subject: String,
    pub message: String,
    pub attempts: i32,
}

/// Stores `email` to be sent; call it in the transaction of the change that sends it.
pub fn enqueue(conn: &mut DbConnection, email: &Email) -> QueryResult<String> {
    let id = uuid::Uuid::now_v7().to_string();
    let t = now();
    diesel::insert_into(mail_outbox::table)
        .values((
            mail_outbox::id.eq(&id),
            mail_outbox::kind.eq(email.kind),
            mail_outbox::sender.eq(&email.from),
            mail_outbox::recipient.eq(&email.to),
            mail_outbox::subject.eq(&email.subject),
            mail_outbox::message.eq(&email.message),
            mail_outbox::attempts.eq(0),
            mail_outbox::next_attempt_at.eq(t),
            mail_outbox::created_at.eq(t),
        ))
        .execute(conn)?;
    Ok(id)
}

/// Rows due now (not sent, not dead), oldest first.
pub fn due(conn: &mut DbConnection, limit: i64) -> QueryResult<Vec<Queued>> {
    mail_outbox::table
        .filter(mail_outbox::dead_at.is_null())
        .filter(mail_outbox::next_attempt_at.le(now()))
        .order(mail_outbox::next_attempt_at.asc())
        .limit(limit)
        .select(Queued::as_select())
        .load(conn)
}

/// When the next row falls due (`None`: nothing waits).
pub fn next_due(conn: &mut DbConnection) -> QueryResult<Option<chrono::NaiveDateTime>> {
    mail_outbox::table
        .filter(mail_outbox::dead_at.is_null())
        .select(diesel::dsl::min(mail_outbox::next_attempt_at))
        .first(conn)
}

/// Claims `row` for one try: true for exactly one caller however many nodes read it due.
pub fn claim(conn: &mut DbConnection, row: &Queued) -> QueryResult<bool> {
    let t = now();
    let n = diesel::update(
        mail_outbox::table
            .filter(mail_outbox::id.eq(&row.id))
            .filter(mail_outbox::attempts.eq(row.attempts))
            .filter(mail_outbox::dead_at.is_null())
            .filter(mail_outbox::next_attempt_at.le(t)),
    )
    .set((
        mail_outbox::attempts.eq(row.attempts + 1),
        mail_outbox::next_attempt_at.eq(t + chrono_of(LEASE)),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

/// The email left: its row goes (it held a link that works once; nothing to keep).
pub fn sent(conn: &mut DbConnection, id: &str) -> QueryResult<()> {
    diesel::delete(mail_outbox::table.find(id))
        .execute(conn)
        .map(drop)
}

/// What became of a failed try.
#[derive(Debug, PartialEq, Eq)]
pub enum Failed {
    /// Tried again after this long.
    Retry(Duration),
    /// Given up: kept as a dead letter.
    Dead,
}

/// The wait before try `attempts + 1`: `base`, doubled each time, at most an hour.
pub fn backoff(base: Duration, attempts: u32) -> Duration {
    let factor = 2u32.saturating_pow(attempts.saturating_sub(1).min(20));
    base.saturating_mul(factor).min(MAX_BACKOFF)
}

/// Records a failed try of `row` (already claimed: `row.attempts + 1` tries made): tried
/// again later, or, after `max_attempts` or a permanent refusal, kept as a dead letter that
/// an administrator sees (and may retry) in `GET /v1/admin/dead-letters`.
pub fn failed(
    conn: &mut DbConnection,
    row: &Queued,
    reason: &str,
    permanent: bool,
    base: Duration,
    max_attempts: u32,
) -> QueryResult<Failed> {
    let tries = (row.attempts + 1) as u32;
    if permanent || tries >= max_attempts {
        diesel::update(mail_outbox::table.find(&row.id))
            .set((
                mail_outbox::dead_at.eq(Some(now())),
                mail_outbox::last_error.eq(Some(reason)),
            ))
            .execute(conn)?;
        crate::features::dead_letters::park(
            conn,
            "email",
            &serde_json::json!({
                "outbox_id": row.id,
                "kind": row.kind,
                "to": row.recipient,
                "subject": row.subject,
                "attempts": tries,
            }),
            reason,
        )?;
        return Ok(Failed::Dead);
    }
    let wait = backoff(base, tries);
    diesel::update(mail_outbox::table.find(&row.id))
        .set((
            mail_outbox::next_attempt_at.eq(now() + chrono_of(wait)),
            mail_outbox::last_error.eq(Some(reason)),
        ))
        .execute(conn)?;
    Ok(Failed::Retry(wait))
}

/// A dead email an administrator retries: due again now with its tries counted afresh.
/// False when there is no such dead row.
pub fn requeue(conn: &mut DbConnection, id: &str) -> QueryResult<bool> {
    let n = diesel::update(
        mail_outbox::table
            .find(id)
            .filter(mail_outbox::dead_at.is_not_null()),
    )
    .set((
        mail_outbox::dead_at.eq(None::<chrono::NaiveDateTime>),
        mail_outbox::attempts.eq(0),
        mail_outbox::next_attempt_at.eq(now()),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

fn chrono_of(d: Duration) -> ChronoDuration {
    ChronoDuration::from_std(d).unwrap_or(ChronoDuration::hours(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_an_hour() {
        let base = Duration::from_secs(30);
        assert_eq!(backoff(base, 1), Duration::from_secs(30));
        assert_eq!(backoff(base, 2), Duration::from_secs(60));
        assert_eq!(backoff(base, 4), Duration::from_secs(240));
        assert_eq!(backoff(base, 40), MAX_BACKOFF);
    }
}
