//! The group commit's writes: one transaction per batch, multi-row statements wherever the
//! backend allows, every write idempotent so a retried batch changes nothing twice.

use std::collections::HashMap;
use studyhub_actors::ids::{LearnerId, Seq, SessionId};

use chrono::{NaiveDate, Utc};
use diesel::prelude::*;
use studyhub_actors::store::*;

use super::commits::{BatchChanges, StoredCompletion};
use super::progress_rows::{ProgressDelta, add_progress_many};
use super::{INSERT_CHUNK, POINTS_PER_STAR, naive};
use crate::infra::crypto::Cipher;
use crate::infra::db::DbConnection;
use crate::infra::db::schema::{
    activity_sessions, answers, learner_achievements, notifications, screen_time_logs,
};

#[derive(Insertable)]
#[diesel(table_name = answers)]
struct AnswerRow {
    session_id: String,
    seq: i32,
    question_id: String,
    response: Vec<u8>,
    correct: bool,
    first_attempt: bool,
    answered_at: chrono::NaiveDateTime,
}

/// The group commit: every answer in one multi-row insert (duplicates of an earlier,
/// ambiguous commit are skipped), then each session end, which moves the daily progress
/// row only the first time it is applied. Returns, besides, what it changed in learners'
/// progress summaries.
pub(super) fn write_batch(
    conn: &mut DbConnection,
    cipher: &Cipher,
    batch: &Batch,
) -> QueryResult<(BatchResult, BatchChanges)> {
    crate::infra::db::write_transaction(conn, |conn| {
        let starts: Vec<_> = batch
            .starts
            .iter()
            .map(|s| {
                let t = naive(s.started_at);
                (
                    activity_sessions::id.eq(s.session_id.as_str()),
                    activity_sessions::learner_id.eq(s.learner_id.as_str()),
                    activity_sessions::activity_id.eq(&s.activity_id),
                    activity_sessions::status.eq("open"),
                    activity_sessions::questions_total.eq(s.questions_total as i32),
                    activity_sessions::started_at.eq(t),
                    activity_sessions::updated_at.eq(t),
                )
            })
            .collect();
        for chunk in starts.chunks(INSERT_CHUNK) {
            match conn {
                DbConnection::Pg(c) => diesel::insert_into(activity_sessions::table)
                    .values(chunk)
                    .on_conflict_do_nothing()
                    .execute(c)?,
                DbConnection::Sqlite(c) => diesel::insert_or_ignore_into(activity_sessions::table)
                    .values(chunk)
                    .execute(c)?,
            };
        }
        let rows: Vec<AnswerRow> = batch
            .answers
            .iter()
            .map(|a| AnswerRow {
                session_id: a.session_id.to_string(),
                seq: a.seq.to_db(),
                question_id: a.question_id.clone(),
                response: cipher.encrypt(a.answer_json.as_bytes()),
                correct: a.correct,
                first_attempt: a.first_attempt,
                answered_at: naive(a.answered_at),
            })
            .collect();
        for chunk in rows.chunks(INSERT_CHUNK) {
            // Idempotent on (session_id, seq): a batch written again after an ambiguous
            // failure skips what is already there.
            match conn {
                DbConnection::Pg(c) => diesel::insert_into(answers::table)
                    .values(chunk)
                    .on_conflict_do_nothing()
                    .execute(c)?,
                DbConnection::Sqlite(c) => diesel::insert_or_ignore_into(answers::table)
                    .values(chunk)
                    .execute(c)?,
            };
        }
        let mut last_seq: HashMap<&str, Seq> = HashMap::new();
        for a in &batch.answers {
            let e = last_seq.entry(a.session_id.as_str()).or_default();
            *e = (*e).max(a.seq);
        }
        let applied = end_sessions(conn, &batch.ends, &last_seq)?;
        let mut deltas: HashMap<(String, NaiveDate, String), ProgressDelta> = HashMap::new();
        let mut stored = BatchChanges::default();
        for end in batch
            .ends
            .iter()
            .filter(|e| applied.contains(&e.session_id))
        {
            let completed = end.status == SessionStatus::Completed;
            if completed {
                stored.completions.push(StoredCompletion {
                    learner_id: end.learner_id.clone(),
                    activity_id: end.activity_id.clone(),
                    category: end.category.clone(),
                    accuracy: end.accuracy,
                    ended_at: naive(end.ended_at),
                });
            }
            let stars = if completed { end.stars as i32 } else { 0 };
            let d = deltas
                .entry((
                    end.learner_id.to_string(),
                    end.local_date,
                    end.category.clone(),
                ))
                .or_insert_with(|| ProgressDelta {
                    learner_id: end.learner_id.to_string(),
                    date: end.local_date,
                    category: end.category.clone(),
                    activities_completed: 0,
                    questions_answered: 0,
                    questions_correct: 0,
                    study_seconds: 0,
                    stars: 0,
                    points: 0,
                });
            // Saturating here; the database refuses a row past its column's range (a dead
            // letter), but the server never wraps or panics on one.
            let small = |n: u64| i32::try_from(n).unwrap_or(i32::MAX);
            d.activities_completed = d.activities_completed.saturating_add(completed as i32);
            d.questions_answered = d
                .questions_answered
                .saturating_add(small(end.questions_answered.into()));
            d.questions_correct = d
                .questions_correct
                .saturating_add(small(end.questions_correct.into()));
            d.study_seconds = d.study_seconds.saturating_add(small(end.duration_seconds));
            d.stars = d.stars.saturating_add(stars);
            d.points = d
                .points
                .saturating_add(stars.saturating_mul(POINTS_PER_STAR));
        }
        stored.days = deltas.into_values().collect();
        add_progress_many(conn, &stored.days)?;
        write_spans(conn, &batch.spans)?;
        write_notifications(conn, &batch.notifications)?;
        // A completion's notice, by the end that closed its session only.
        let end_notices: Vec<Notification> = batch
            .ends
            .iter()
            .filter(|e| applied.contains(&e.session_id))
            .filter_map(|e| e.notice.clone())
            .collect();
        write_notifications(conn, &end_notices)?;
        let unlocked = write_unlocks(conn, &batch.unlocks)?;
        // The parents' notifications of what was unlocked first, in the unlocks' transaction.
        let notices: Vec<Notification> = batch
            .unlocks
            .iter()
            .flat_map(|u| u.notices_of(&unlocked).cloned())
            .collect();
        write_notifications(conn, &notices)?;
        stored.rewards = rewards_of(conn, &unlocked)?;
        Ok((
            BatchResult {
                unlocked,
                ended: applied.into_iter().collect(),
                refused: Vec::new(),
            },
            stored,
        ))
    })
}

/// The reward points each new unlock adds to its learner's points.
fn rewards_of(
    conn: &mut DbConnection,
    unlocked: &[(LearnerId, String)],
) -> QueryResult<Vec<(LearnerId, i64)>> {
    use crate::infra::db::schema::achievements;
    if unlocked.is_empty() {
        return Ok(Vec::new());
    }
    let mut ids: Vec<&str> = unlocked.iter().map(|(_, a)| a.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    let points: HashMap<String, i32> = achievements::table
        .filter(achievements::id.eq_any(&ids))
        .select((achievements::id, achievements::reward_points))
        .load::<(String, i32)>(conn)?
        .into_iter()
        .collect();
    Ok(unlocked
        .iter()
        .map(|(l, a)| (l.clone(), points.get(a).copied().unwrap_or(0).into()))
        .collect())
}

#[derive(QueryableByName)]
struct IdRow {
    #[diesel(sql_type = diesel::sql_types::Text)]
    id: String,
}

/// Closes sessions that are still open; returns the ids it closed (a session ended twice,
/// after a retried batch, is closed and counted only once). PostgreSQL: one
/// `UPDATE … FROM (VALUES …)` per chunk; SQLite: one update each.
fn end_sessions(
    conn: &mut DbConnection,
    ends: &[SessionEnd],
    last_seq: &HashMap<&str, Seq>,
) -> QueryResult<std::collections::HashSet<SessionId>> {
    use diesel::sql_types::{Double, Integer, Nullable, Text, Timestamp};
    let mut applied = std::collections::HashSet::new();
    let seq_of = |e: &SessionEnd| {
        let last = last_seq.get(e.session_id.as_str()).copied();
        last.unwrap_or(Seq::NONE).to_db()
    };
    let stars_of =
        |e: &SessionEnd| (e.status == SessionStatus::Completed).then_some(e.stars as i32);
    let duration_of = |e: &SessionEnd| e.duration_seconds.min(i32::MAX as u64) as i32;
    match conn {
        DbConnection::Pg(c) => {
            for chunk in ends.chunks(500) {
                let values: Vec<String> = (0..chunk.len())
                    .map(|i| {
                        let b = i * 9;
                        format!(
                            "(${}::text, ${}::text, ${}::int4, ${}::int4, ${}::float8, ${}::int4, ${}::timestamp, ${}::int4, ${}::int4)",
                            b + 1, b + 2, b + 3, b + 4, b + 5, b + 6, b + 7, b + 8, b + 9
                        )
                    })
                    .collect();
                let sql = format!(
                    "UPDATE activity_sessions AS s SET status = v.status, questions_answered = v.answered, \
                     questions_correct = v.correct, accuracy = v.accuracy, stars = v.stars, ended_at = v.ended_at, \
                     duration_seconds = v.duration, last_saved_seq = v.seq, updated_at = v.ended_at \
                     FROM (VALUES {}) AS v(id, status, answered, correct, accuracy, stars, ended_at, duration, seq) \
                     WHERE s.id = v.id AND s.status = 'open' RETURNING s.id",
                    values.join(", ")
                );
                let mut q = diesel::sql_query(sql).into_boxed::<diesel::pg::Pg>();
                for e in chunk {
                    q = q
                        .bind::<Text, _>(e.session_id.as_str())
                        .bind::<Text, _>(e.status.as_str())
                        .bind::<Integer, _>(e.questions_answered as i32)
                        .bind::<Integer, _>(e.questions_correct as i32)
                        .bind::<Double, _>(e.accuracy)
                        .bind::<Nullable<Integer>, _>(stars_of(e))
                        .bind::<Timestamp, _>(naive(e.ended_at))
                        .bind::<Integer, _>(duration_of(e))
                        .bind::<Integer, _>(seq_of(e));
                }
                applied.extend(
                    q.load::<IdRow>(c)?
                        .into_iter()
                        .map(|r| SessionId::from(r.id)),
                );
            }
        }
        DbConnection::Sqlite(c) => {
            for e in ends {
                let n = diesel::update(
                    activity_sessions::table
                        .find(e.session_id.as_str())
                        .filter(activity_sessions::status.eq(SessionStatus::Open.as_str())),
                )
                .set((
                    activity_sessions::status.eq(e.status.as_str()),
                    activity_sessions::questions_answered.eq(e.questions_answered as i32),
                    activity_sessions::questions_correct.eq(e.questions_correct as i32),
                    activity_sessions::accuracy.eq(Some(e.accuracy)),
                    activity_sessions::stars.eq(stars_of(e)),
                    activity_sessions::ended_at.eq(Some(naive(e.ended_at))),
                    activity_sessions::duration_seconds.eq(Some(duration_of(e))),
                    activity_sessions::last_saved_seq.eq(seq_of(e)),
                    activity_sessions::updated_at.eq(naive(e.ended_at)),
                ))
                .execute(c)?;
                if n == 1 {
                    applied.insert(e.session_id.clone());
                }
            }
        }
    }
    Ok(applied)
}

/// Achievement unlocks under the unique key (learner, achievement); returns the pairs this
/// call stored (PostgreSQL: one multi-row insert with RETURNING; SQLite: one each).
fn write_unlocks(
    conn: &mut DbConnection,
    unlocks: &[UnlockRequest],
) -> QueryResult<Vec<(LearnerId, String)>> {
    let pairs: Vec<(LearnerId, String, chrono::NaiveDateTime)> = unlocks
        .iter()
        .flat_map(|u| {
            u.achievement_ids
                .iter()
                .map(move |a| (u.learner_id.clone(), a.clone(), naive(u.at)))
        })
        .collect();
    let row = |(l, a, t): &(LearnerId, String, chrono::NaiveDateTime)| {
        (
            learner_achievements::learner_id.eq(l.to_string()),
            learner_achievements::achievement_id.eq(a.clone()),
            learner_achievements::unlocked_at.eq(*t),
        )
    };
    let mut stored = Vec::new();
    match conn {
        DbConnection::Pg(c) => {
            for chunk in pairs.chunks(INSERT_CHUNK) {
                stored.extend(
                    diesel::insert_into(learner_achievements::table)
                        .values(chunk.iter().map(row).collect::<Vec<_>>())
                        .on_conflict_do_nothing()
                        .returning((
                            learner_achievements::learner_id,
                            learner_achievements::achievement_id,
                        ))
                        .get_results::<(String, String)>(c)?
                        .into_iter()
                        .map(|(l, a)| (LearnerId::from(l), a)),
                );
            }
        }
        DbConnection::Sqlite(c) => {
            for p in &pairs {
                if diesel::insert_or_ignore_into(learner_achievements::table)
                    .values(row(p))
                    .execute(c)?
                    == 1
                {
                    stored.push((p.0.clone(), p.1.clone()));
                }
            }
        }
    }
    Ok(stored)
}

/// Parents' notifications, one multi-row insert (idempotent on the id for a retried batch).
fn write_notifications(conn: &mut DbConnection, list: &[Notification]) -> QueryResult<()> {
    let rows: Vec<_> = list
        .iter()
        .map(|n| {
            (
                notifications::id.eq(n.id.clone()),
                notifications::parent_id.eq(n.parent_id.clone()),
                notifications::learner_id.eq(n.child_id.to_string()),
                notifications::kind.eq(n.kind.as_str()),
                notifications::title.eq(n.title.clone()),
                notifications::body.eq(n.body.clone()),
                notifications::data.eq(n.data.to_string()),
                notifications::created_at.eq(naive(n.created_at)),
            )
        })
        .collect();
    for chunk in rows.chunks(INSERT_CHUNK) {
        match conn {
            DbConnection::Pg(c) => diesel::insert_into(notifications::table)
                .values(chunk)
                .on_conflict_do_nothing()
                .execute(c)?,
            DbConnection::Sqlite(c) => diesel::insert_or_ignore_into(notifications::table)
                .values(chunk)
                .execute(c)?,
        };
    }
    Ok(())
}

/// Screen-time spans: each row holds the latest total of one span. PostgreSQL takes them
/// all in one multi-row upsert; SQLite (local, no round trips) one statement each.
fn write_spans(conn: &mut DbConnection, spans: &[ScreenTimeSpan]) -> QueryResult<()> {
    use diesel::upsert::excluded;
    let now = Utc::now().naive_utc();
    let rows: Vec<_> = spans
        .iter()
        .map(|span| {
            (
                screen_time_logs::id.eq(span.id.clone()),
                screen_time_logs::learner_id.eq(span.learner_id.to_string()),
                screen_time_logs::date.eq(span.date),
                screen_time_logs::started_at.eq(naive(span.started_at)),
                screen_time_logs::ended_at.eq(span.ended_at.map(naive)),
                screen_time_logs::seconds.eq(span.seconds.min(i32::MAX as u64) as i32),
                screen_time_logs::updated_at.eq(now),
            )
        })
        .collect();
    match conn {
        DbConnection::Pg(c) => {
            for chunk in rows.chunks(INSERT_CHUNK) {
                diesel::insert_into(screen_time_logs::table)
                    .values(chunk)
                    .on_conflict(screen_time_logs::id)
                    .do_update()
                    .set((
                        screen_time_logs::seconds.eq(excluded(screen_time_logs::seconds)),
                        screen_time_logs::ended_at.eq(excluded(screen_time_logs::ended_at)),
                        screen_time_logs::updated_at.eq(excluded(screen_time_logs::updated_at)),
                    ))
                    .execute(c)?;
            }
        }
        DbConnection::Sqlite(c) => {
            for row in rows {
                let (seconds, ended) = (row.5, row.4);
                diesel::insert_into(screen_time_logs::table)
                    .values(row)
                    .on_conflict(screen_time_logs::id)
                    .do_update()
                    .set((seconds, ended, screen_time_logs::updated_at.eq(now)))
                    .execute(c)?;
            }
        }
    }
    Ok(())
}
