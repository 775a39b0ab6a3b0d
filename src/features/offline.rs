//! Offline play: the pack a device takes away (activities marked `offline` with their keys,
//! the time left and the downtime windows), and the time a device brings back. The sessions a
//! device brings back are replayed by the learner's actor
//! (`studyhub_actors::learner::offline`), graded with the live grading.
//!
//! Time: each device's spans are kept as sent (`offline_spans`, one row per span, so a span
//! sent again is one row); a day's offline time is the union of every device's spans of that
//! day, so spans that overlap count once. That union is one `screen_time_logs` row per
//! learner and day (`offline = true`), so today's count, the parent's view and the engine's
//! start read it like any other span; what a sync adds reaches the live clock as a change
//! (`LiveControl::offline_time`), like a grant.
//!
//! A span must lie inside a pack the server issued to the learner (`offline_packs`): it may
//! not start before that pack's `issued_at` (less the allowed clock skew) or end after its
//! `expires_at`. Both the pack's `issued_at` and the sync's "now" are the database's clock, so
//! a node whose own clock is off changes nothing. The device need
//! not send which pack it had: any pack of the learner's that covers the span will do.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use chrono_tz::Tz;
use diesel::prelude::*;
use serde::Serialize;
use studyhub_actors::content::{Answer, PublicQuestion, Question};
use studyhub_actors::downtime_windows::day_bounds;
use studyhub_actors::screen_time::local_date;
use studyhub_actors::store::Activity;
use utoipa::ToSchema;

use crate::infra::db::schema::{activity_sessions, offline_packs, offline_spans, screen_time_logs};
use crate::infra::db::{Db, DbConnection};
use crate::infra::error::{AppError, AppResult};
use crate::infra::time::{now, utc};

/// How long a pack may be played from.
pub const PACK_DAYS: i64 = 7;
/// How far a device's clock may be off the server's, either way: a span may end this much
/// after the server's now, and start this much before its pack was issued.
pub const CLOCK_SKEW: Duration = Duration::seconds(120);

/// A question as a pack carries it: what the page shows, with the key and the explanation.
#[derive(Debug, Serialize, ToSchema)]
pub struct PackQuestion {
    #[serde(flatten)]
    pub question: PublicQuestion,
    pub correct_answer: Answer,
    pub explanation: String,
    /// Allowed difference for `number` answers (absent: exact up to rounding).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tolerance: Option<f64>,
}

impl From<&Question> for PackQuestion {
    fn from(q: &Question) -> Self {
        Self {
            question: q.public(),
            correct_answer: q.correct_answer.clone(),
            explanation: q.explanation.clone(),
            tolerance: q.tolerance,
        }
    }
}

/// An activity as a pack carries it, keys included.
#[derive(Debug, Serialize, ToSchema)]
pub struct PackActivity {
    pub id: String,
    pub title: String,
    pub description: String,
    pub category: String,
    pub sub_category: Option<String>,
    pub difficulty: i32,
    pub age_min: i32,
    pub age_max: i32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub introduction: Option<String>,
    pub one_try: bool,
    pub question_count: usize,
    pub questions: Vec<PackQuestion>,
}

impl From<&Activity> for PackActivity {
    fn from(a: &Activity) -> Self {
        Self {
            id: a.id.clone(),
            title: a.title.clone(),
            description: a.description.clone(),
            category: a.category.clone(),
            sub_category: a.sub_category.clone(),
            difficulty: a.difficulty,
            age_min: a.age_min,
            age_max: a.age_max,
            introduction: a.content.introduction.clone(),
            one_try: a.content.one_try,
            question_count: a.content.questions.len(),
            questions: a.content.questions.iter().map(PackQuestion::from).collect(),
        }
    }
}

/// Whether an activity goes into a pack: marked `offline` by its author, live, and visible
/// to the learner (`sight`).
pub fn packable(a: &Activity, sight: &studyhub_actors::visibility::Sight) -> bool {
    a.content.offline && !a.archived && a.visible_to(sight)
}

/// Records a pack issued now to the learner (what a synced span must lie inside); packs
/// expired for good are dropped on the way. Returns `(issued_at, expires_at)`.
pub async fn issue_pack(db: &Db, learner_id: &str) -> AppResult<(DateTime<Utc>, DateTime<Utc>)> {
    // The database's clock, shared by every node (a node whose clock runs ahead would issue a
    // pack the device's real play seems to come before); whole seconds, as stored.
    let issued = db.clock().await?.timestamp();
    let issued_at = DateTime::<Utc>::from_timestamp(issued, 0).unwrap_or_else(Utc::now);
    let expires_at = issued_at + Duration::days(PACK_DAYS);
    let id = learner_id.to_string();
    db.transaction(move |conn| {
        // Packs whose spans could still be sent are kept (a day's grace past expiry).
        diesel::delete(
            offline_packs::table
                .filter(offline_packs::learner_id.eq(&id))
                .filter(offline_packs::expires_at.lt((issued_at - Duration::days(1)).naive_utc())),
        )
        .execute(conn)?;
        diesel::insert_into(offline_packs::table)
            .values((
                offline_packs::id.eq(uuid::Uuid::now_v7().to_string()),
                offline_packs::learner_id.eq(&id),
                offline_packs::issued_at.eq(issued_at.naive_utc()),
                offline_packs::expires_at.eq(expires_at.naive_utc()),
            ))
            .execute(conn)?;
        Ok(())
    })
    .await?;
    Ok((issued_at, expires_at))
}

/// A span of offline play as a device sent it (checked: `from < to`).
#[derive(Debug, Clone, Copy)]
pub struct Span {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
}

/// Checks a sync's spans before anything of it is stored: each one in the past, no longer
/// than a day, ending after it starts. Field names as the body has them (`time[2].to`).
pub fn check_spans(spans: &[Span], at: DateTime<Utc>) -> AppResult<()> {
    let mut fields = BTreeMap::new();
    for (i, s) in spans.iter().enumerate() {
        if s.to <= s.from {
            fields.insert(format!("time[{i}].to"), "must be after `from`".to_string());
        } else if s.to > at + CLOCK_SKEW {
            fields.insert(format!("time[{i}].to"), "in the future".to_string());
        } else if s.to - s.from > Duration::days(1) {
            fields.insert(
                format!("time[{i}].to"),
                "a span is at most a day".to_string(),
            );
        }
    }
    if fields.is_empty() {
        Ok(())
    } else {
        Err(AppError::validation(fields))
    }
}

/// Splits a span at the learner's local midnights: each piece counts on its own day.
fn by_day(tz: Tz, s: Span) -> Vec<(NaiveDate, Span)> {
    let mut out = Vec::new();
    let mut from = s.from;
    while from < s.to {
        let day = local_date(tz, from);
        let end = day_bounds(tz, day).1.min(s.to);
        out.push((day, Span { from, to: end }));
        if end <= from {
            break; // a zone whose day bounds do not move on: never loop
        }
        from = end;
    }
    out
}

/// Seconds covered by the union of `spans` (overlaps once).
fn union_seconds(mut spans: Vec<(i64, i64)>) -> (i64, Option<(i64, i64)>) {
    spans.sort_unstable();
    let mut total = 0;
    let mut current: Option<(i64, i64)> = None;
    let bounds = spans
        .first()
        .map(|f| (f.0, spans.iter().map(|s| s.1).max().unwrap_or(f.1)));
    for (a, b) in spans {
        match current {
            Some((ca, cb)) if a <= cb => current = Some((ca, cb.max(b))),
            Some((ca, cb)) => {
                total += cb - ca;
                current = Some((a, b));
            }
            None => current = Some((a, b)),
        }
    }
    if let Some((a, b)) = current {
        total += b - a;
    }
    (total, bounds)
}

/// The id of the learner's offline row of `date` in `screen_time_logs`.
fn day_row_id(learner_id: &str, date: NaiveDate) -> String {
    format!("offline:{learner_id}:{date}")
}

/// Stores a device's spans (each must lie inside a pack issued to the learner: 422 naming the
/// span otherwise) and recounts the days they touch. Returns, per day, the seconds newly
/// counted (what the live clock must add). All or nothing.
pub async fn record_spans(
    db: &Db,
    learner_id: &str,
    tz: Tz,
    device_id: &str,
    spans: Vec<Span>,
) -> AppResult<Vec<(NaiveDate, u64)>> {
    if spans.is_empty() {
        return Ok(Vec::new());
    }
    let (id, device) = (learner_id.to_string(), device_id.to_string());
    db.transaction(move |conn| {
        lock_learner(conn, &id)?;
        let packs: Vec<(chrono::NaiveDateTime, chrono::NaiveDateTime)> = offline_packs::table
            .filter(offline_packs::learner_id.eq(&id))
            .select((offline_packs::issued_at, offline_packs::expires_at))
            .load(conn)?;
        let mut fields = BTreeMap::new();
        for (i, s) in spans.iter().enumerate() {
            let covered = packs
                .iter()
                .any(|(issued, expires)| {
                    utc(*issued) - CLOCK_SKEW <= s.from && s.to <= utc(*expires)
                });
            if !covered {
                fields.insert(
                    format!("time[{i}].from"),
                    "not inside a pack issued to this learner (before its issued_at, or after it expired)"
                        .to_string(),
                );
            }
        }
        if !fields.is_empty() {
            return Err(AppError::validation(fields));
        }
        let mut days: Vec<NaiveDate> = Vec::new();
        let stamp = now();
        for s in &spans {
            let row_id = format!("{id}/{device}/{}/{}", s.from.timestamp(), s.to.timestamp());
            for (day, piece) in by_day(tz, *s) {
                let piece_id = format!("{row_id}/{day}");
                let values = (
                    offline_spans::id.eq(piece_id),
                    offline_spans::learner_id.eq(&id),
                    offline_spans::device_id.eq(&device),
                    offline_spans::started_at.eq(piece.from.naive_utc()),
                    offline_spans::ended_at.eq(piece.to.naive_utc()),
                    offline_spans::date.eq(day),
                    offline_spans::created_at.eq(stamp),
                );
                match conn {
                    DbConnection::Pg(c) => diesel::insert_into(offline_spans::table)
                        .values(values)
                        .on_conflict_do_nothing()
                        .execute(c)?,
                    DbConnection::Sqlite(c) => diesel::insert_or_ignore_into(offline_spans::table)
                        .values(values)
                        .execute(c)?,
                };
                if !days.contains(&day) {
                    days.push(day);
                }
            }
        }
        let mut added = Vec::new();
        for day in days {
            let all: Vec<(chrono::NaiveDateTime, chrono::NaiveDateTime)> = offline_spans::table
                .filter(offline_spans::learner_id.eq(&id))
                .filter(offline_spans::date.eq(day))
                .select((offline_spans::started_at, offline_spans::ended_at))
                .load(conn)?;
            let (seconds, bounds) = union_seconds(
                all.iter()
                    .map(|(a, b)| (a.and_utc().timestamp(), b.and_utc().timestamp()))
                    .collect(),
            );
            let Some((first, last)) = bounds else {
                continue;
            };
            let row_id = day_row_id(&id, day);
            let before: i32 = screen_time_logs::table
                .find(&row_id)
                .select(screen_time_logs::seconds)
                .first(conn)
                .optional()?
                .unwrap_or(0);
            let seconds = i32::try_from(seconds).unwrap_or(i32::MAX);
            if seconds == before {
                continue;
            }
            let (first, last) = (
                DateTime::<Utc>::from_timestamp(first, 0).unwrap_or_default().naive_utc(),
                DateTime::<Utc>::from_timestamp(last, 0).unwrap_or_default().naive_utc(),
            );
            diesel::delete(screen_time_logs::table.find(&row_id)).execute(conn)?;
            diesel::insert_into(screen_time_logs::table)
                .values((
                    screen_time_logs::id.eq(&row_id),
                    screen_time_logs::learner_id.eq(&id),
                    screen_time_logs::date.eq(day),
                    screen_time_logs::started_at.eq(first),
                    screen_time_logs::ended_at.eq(Some(last)),
                    screen_time_logs::seconds.eq(seconds),
                    screen_time_logs::updated_at.eq(stamp),
                    screen_time_logs::offline.eq(true),
                ))
                .execute(conn)?;
            added.push((day, (seconds - before).max(0) as u64));
        }
        Ok(added)
    })
    .await
}

/// Two syncs of one learner at once recount a day one after the other (SQLite's write
/// transaction already is one at a time).
fn lock_learner(conn: &mut DbConnection, learner_id: &str) -> QueryResult<()> {
    if let DbConnection::Pg(c) = conn {
        diesel::sql_query("SELECT id FROM learners WHERE id = $1 FOR UPDATE")
            .bind::<diesel::sql_types::Text, _>(learner_id)
            .execute(c)?;
    }
    Ok(())
}

/// Marks the synced sessions of the learner as played offline.
pub async fn mark_offline(db: &Db, learner_id: &str, session_ids: Vec<String>) -> AppResult<()> {
    if session_ids.is_empty() {
        return Ok(());
    }
    let id = learner_id.to_string();
    db.transaction(move |conn| {
        diesel::update(
            activity_sessions::table
                .filter(activity_sessions::learner_id.eq(&id))
                .filter(activity_sessions::id.eq_any(&session_ids))
                .filter(activity_sessions::offline.eq(false)),
        )
        .set(activity_sessions::offline.eq(true))
        .execute(conn)?;
        Ok(())
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlapping_spans_count_once() {
        assert_eq!(union_seconds(vec![]).0, 0);
        assert_eq!(union_seconds(vec![(0, 10), (5, 15)]).0, 15);
        assert_eq!(union_seconds(vec![(20, 30), (0, 10), (5, 8)]).0, 20);
        assert_eq!(union_seconds(vec![(0, 10), (10, 20)]).0, 20);
        assert_eq!(
            union_seconds(vec![(0, 100), (10, 20), (30, 40)]),
            (100, Some((0, 100)))
        );
    }

    #[test]
    fn a_span_over_midnight_counts_on_both_days() {
        let tz: Tz = "Europe/Paris".parse().unwrap();
        let from = "2026-12-01T22:30:00Z".parse().unwrap();
        let to = "2026-12-01T23:30:00Z".parse().unwrap();
        let parts = by_day(tz, Span { from, to });
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0].0.to_string(), "2026-12-01");
        assert_eq!(parts[1].0.to_string(), "2026-12-02");
        assert_eq!((parts[0].1.to - parts[0].1.from).num_minutes(), 30);
    }

    #[test]
    fn spans_in_the_future_backwards_or_too_long_are_refused() {
        let at: DateTime<Utc> = "2026-12-01T12:00:00Z".parse().unwrap();
        let ok = Span {
            from: at - Duration::minutes(5),
            to: at,
        };
        assert!(check_spans(&[ok], at).is_ok());
        let back = Span {
            from: at,
            to: at - Duration::minutes(5),
        };
        let future = Span {
            from: at,
            to: at + Duration::hours(1),
        };
        let long = Span {
            from: at - Duration::days(2),
            to: at,
        };
        for bad in [back, future, long] {
            assert!(check_spans(&[ok, bad], at).is_err());
        }
    }
}
