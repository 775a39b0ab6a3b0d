//! The engine's storage, in Diesel: learners, screen time, sessions, and the flusher's
//! group commit. Every call runs on the blocking pool.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use studyhub_actors::store::*;

use crate::crypto::Cipher;
use crate::db::schema::{
    activities, activity_sessions, answers, class_members, daily_progress, learner_achievements,
    learner_settings, learners, notifications, page_progress, screen_time_grants, screen_time_logs,
};
use crate::db::{DbConnection, DbPool};
use crate::on_backend;
use studyhub_actors::achievements::{Completion as HistoryCompletion, History};

mod refusals;
mod starts;
pub mod time_requests;

/// Points a completed activity earns per star (achievements add their own reward points).
pub const POINTS_PER_STAR: i32 = 10;

/// SQLite allows 32 766 bound values per statement; 7 columns × 1 000 rows stays well below.
const INSERT_CHUNK: usize = 1_000;

pub struct DieselStore {
    pool: DbPool,
    cipher: Cipher,
}

impl DieselStore {
    pub fn new(pool: DbPool, cipher: Cipher) -> Self {
        Self { pool, cipher }
    }

    fn run<T, F>(&self, f: F) -> StoreFuture<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConnection) -> QueryResult<T> + Send + 'static,
    {
        let pool = self.pool.clone();
        Box::pin(async move {
            tokio::task::spawn_blocking(move || {
                let mut conn = pool
                    .get()
                    .map_err(|e| StoreError(format!("no database connection: {e}")))?;
                f(&mut conn).map_err(|e| StoreError(e.to_string()))
            })
            .await
            .map_err(|e| StoreError(format!("storage task failed: {e}")))?
        })
    }
}

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

#[derive(Insertable)]
#[diesel(table_name = daily_progress)]
struct ProgressDelta {
    learner_id: String,
    date: NaiveDate,
    category: String,
    activities_completed: i32,
    questions_answered: i32,
    questions_correct: i32,
    study_seconds: i32,
    stars: i32,
    points: i32,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = activity_sessions)]
struct SessionRow {
    id: String,
    learner_id: String,
    activity_id: String,
    status: String,
    questions_total: i32,
    questions_correct: i32,
    accuracy: Option<f64>,
    stars: Option<i32>,
    started_at: chrono::NaiveDateTime,
    ended_at: Option<chrono::NaiveDateTime>,
    duration_seconds: Option<i32>,
}

fn snapshot(conn: &mut DbConnection, row: SessionRow) -> QueryResult<SessionSnapshot> {
    let saved: Vec<(i32, String, bool)> = answers::table
        .filter(answers::session_id.eq(&row.id))
        .order(answers::seq.asc())
        .select((answers::seq, answers::question_id, answers::correct))
        .load(conn)?;
    Ok(snapshot_of(row, saved))
}

/// A session row with its saved answers `(seq, question_id, correct)`, in seq order.
fn snapshot_of(row: SessionRow, saved: Vec<(i32, String, bool)>) -> SessionSnapshot {
    // In seq order; a hole is an answer the database refused for good (a dead letter).
    let answers = saved
        .into_iter()
        .filter_map(|(seq, question_id, correct)| {
            Some(SavedAnswer {
                seq: u32::try_from(seq).ok().filter(|s| *s > 0)?,
                question_id,
                correct,
            })
        })
        .collect();
    SessionSnapshot {
        session_id: row.id,
        learner_id: row.learner_id,
        activity_id: row.activity_id,
        status: SessionStatus::parse(&row.status),
        started_at: row.started_at.and_utc(),
        ended_at: row.ended_at.map(|t| t.and_utc()),
        questions_total: row.questions_total.max(0) as u32,
        questions_correct: row.questions_correct.max(0) as u32,
        accuracy: row.accuracy,
        stars: row.stars.map(|s| s.clamp(0, 3) as u8),
        duration_seconds: row.duration_seconds.map(|d| d.max(0) as u64),
        answers,
    }
}

fn naive(t: DateTime<Utc>) -> chrono::NaiveDateTime {
    t.naive_utc()
}

/// Adds `delta` to the learner's daily row (created if missing), in one statement.
pub fn add_progress(conn: &mut DbConnection, delta: &ProgressDeltaInput) -> QueryResult<()> {
    use diesel::upsert::excluded;
    let row = ProgressDelta::from(delta.clone());
    on_backend!(conn, |c| diesel::insert_into(daily_progress::table)
        .values(&row)
        .on_conflict((
            daily_progress::learner_id,
            daily_progress::date,
            daily_progress::category
        ))
        .do_update()
        .set(
            (
                daily_progress::activities_completed.eq(daily_progress::activities_completed
                    + excluded(daily_progress::activities_completed)),
                daily_progress::questions_answered.eq(daily_progress::questions_answered
                    + excluded(daily_progress::questions_answered)),
                daily_progress::questions_correct
                    .eq(daily_progress::questions_correct
                        + excluded(daily_progress::questions_correct)),
                daily_progress::study_seconds
                    .eq(daily_progress::study_seconds + excluded(daily_progress::study_seconds)),
                daily_progress::stars.eq(daily_progress::stars + excluded(daily_progress::stars)),
                daily_progress::points
                    .eq(daily_progress::points + excluded(daily_progress::points)),
            )
        )
        .execute(c))?;
    Ok(())
}

impl From<ProgressDeltaInput> for ProgressDelta {
    fn from(d: ProgressDeltaInput) -> Self {
        Self {
            learner_id: d.learner_id,
            date: d.date,
            category: d.category,
            activities_completed: d.activities_completed,
            questions_answered: d.questions_answered,
            questions_correct: d.questions_correct,
            study_seconds: d.study_seconds,
            stars: d.stars,
            points: d.points,
        }
    }
}

/// A change to one daily progress row.
#[derive(Debug, Clone)]
pub struct ProgressDeltaInput {
    pub learner_id: String,
    pub date: NaiveDate,
    pub category: String,
    pub activities_completed: i32,
    pub questions_answered: i32,
    pub questions_correct: i32,
    pub study_seconds: i32,
    pub stars: i32,
    pub points: i32,
}

/// The group commit: every answer in one multi-row insert (duplicates of an earlier,
/// ambiguous commit are skipped), then each session end, which moves the daily progress
/// row only the first time it is applied.
fn write_batch(conn: &mut DbConnection, cipher: &Cipher, batch: Batch) -> QueryResult<BatchResult> {
    crate::db::write_transaction(conn, |conn| {
        let starts: Vec<_> = batch
            .starts
            .iter()
            .map(|s| {
                let t = naive(s.started_at);
                (
                    activity_sessions::id.eq(&s.session_id),
                    activity_sessions::learner_id.eq(&s.learner_id),
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
                session_id: a.session_id.clone(),
                seq: i32::try_from(a.seq).unwrap_or(i32::MAX),
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
        let mut last_seq: HashMap<&str, u32> = HashMap::new();
        for a in &batch.answers {
            let e = last_seq.entry(a.session_id.as_str()).or_default();
            *e = (*e).max(a.seq);
        }
        let applied = end_sessions(conn, &batch.ends, &last_seq)?;
        let mut deltas: HashMap<(String, NaiveDate, String), ProgressDeltaInput> = HashMap::new();
        for end in batch
            .ends
            .iter()
            .filter(|e| applied.contains(&e.session_id))
        {
            let completed = end.status == SessionStatus::Completed;
            let stars = if completed { end.stars as i32 } else { 0 };
            let d = deltas
                .entry((end.learner_id.clone(), end.local_date, end.category.clone()))
                .or_insert_with(|| ProgressDeltaInput {
                    learner_id: end.learner_id.clone(),
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
        add_progress_many(conn, deltas.into_values().collect())?;
        write_spans(conn, &batch.spans)?;
        write_notifications(conn, &batch.notifications)?;
        Ok(BatchResult {
            unlocked: write_unlocks(conn, &batch.unlocks)?,
            refused: Vec::new(),
        })
    })
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
    last_seq: &HashMap<&str, u32>,
) -> QueryResult<std::collections::HashSet<String>> {
    use diesel::sql_types::{Double, Integer, Nullable, Text, Timestamp};
    let mut applied = std::collections::HashSet::new();
    let seq_of = |e: &SessionEnd| last_seq.get(e.session_id.as_str()).copied().unwrap_or(0) as i32;
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
                        .bind::<Text, _>(e.session_id.clone())
                        .bind::<Text, _>(e.status.as_str())
                        .bind::<Integer, _>(e.questions_answered as i32)
                        .bind::<Integer, _>(e.questions_correct as i32)
                        .bind::<Double, _>(e.accuracy)
                        .bind::<Nullable<Integer>, _>(stars_of(e))
                        .bind::<Timestamp, _>(naive(e.ended_at))
                        .bind::<Integer, _>(duration_of(e))
                        .bind::<Integer, _>(seq_of(e));
                }
                applied.extend(q.load::<IdRow>(c)?.into_iter().map(|r| r.id));
            }
        }
        DbConnection::Sqlite(c) => {
            for e in ends {
                let n = diesel::update(
                    activity_sessions::table
                        .find(&e.session_id)
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

/// Adds many deltas: one multi-row upsert on PostgreSQL, one statement each on SQLite.
fn add_progress_many(conn: &mut DbConnection, deltas: Vec<ProgressDeltaInput>) -> QueryResult<()> {
    use diesel::upsert::excluded;
    if deltas.is_empty() {
        return Ok(());
    }
    match conn {
        DbConnection::Pg(c) => {
            let rows: Vec<ProgressDelta> = deltas.into_iter().map(ProgressDelta::from).collect();
            for chunk in rows.chunks(INSERT_CHUNK) {
                diesel::insert_into(daily_progress::table)
                    .values(chunk)
                    .on_conflict((
                        daily_progress::learner_id,
                        daily_progress::date,
                        daily_progress::category,
                    ))
                    .do_update()
                    .set((
                        daily_progress::activities_completed
                            .eq(daily_progress::activities_completed
                                + excluded(daily_progress::activities_completed)),
                        daily_progress::questions_answered.eq(daily_progress::questions_answered
                            + excluded(daily_progress::questions_answered)),
                        daily_progress::questions_correct.eq(daily_progress::questions_correct
                            + excluded(daily_progress::questions_correct)),
                        daily_progress::study_seconds
                            .eq(daily_progress::study_seconds
                                + excluded(daily_progress::study_seconds)),
                        daily_progress::stars
                            .eq(daily_progress::stars + excluded(daily_progress::stars)),
                        daily_progress::points
                            .eq(daily_progress::points + excluded(daily_progress::points)),
                    ))
                    .execute(c)?;
            }
            Ok(())
        }
        DbConnection::Sqlite(_) => deltas.iter().try_for_each(|d| add_progress(conn, d)),
    }
}

/// What achievements are checked against, read once when a learner's actor starts: every
/// completed session (category, accuracy), the days with a completion, study seconds
/// (activities and study pages) and what is already unlocked.
fn load_history(conn: &mut DbConnection, learner_id: &str) -> QueryResult<History> {
    let completions: Vec<(String, Option<f64>)> = activity_sessions::table
        .inner_join(activities::table)
        .filter(activity_sessions::learner_id.eq(learner_id))
        .filter(activity_sessions::status.eq("completed"))
        .select((activities::category, activity_sessions::accuracy))
        .load(conn)?;
    let days: Vec<(NaiveDate, i32)> = daily_progress::table
        .filter(daily_progress::learner_id.eq(learner_id))
        .select((daily_progress::date, daily_progress::study_seconds))
        .filter(
            daily_progress::activities_completed
                .gt(0)
                .or(daily_progress::study_seconds.gt(0)),
        )
        .load(conn)?;
    let pages: Vec<i32> = page_progress::table
        .filter(page_progress::learner_id.eq(learner_id))
        .select(page_progress::seconds)
        .load(conn)?;
    let unlocked: Vec<String> = learner_achievements::table
        .filter(learner_achievements::learner_id.eq(learner_id))
        .select(learner_achievements::achievement_id)
        .load(conn)?;
    let completed_days: Vec<NaiveDate> = daily_progress::table
        .filter(daily_progress::learner_id.eq(learner_id))
        .filter(daily_progress::activities_completed.gt(0))
        .select(daily_progress::date)
        .load(conn)?;
    let study = days.iter().map(|(_, s)| (*s).max(0) as u64).sum::<u64>()
        + pages.iter().map(|s| (*s).max(0) as u64).sum::<u64>();
    Ok(History::new(
        completions
            .into_iter()
            .map(|(category, accuracy)| HistoryCompletion {
                category,
                accuracy: accuracy.unwrap_or(0.0),
            }),
        completed_days,
        study,
        unlocked,
    ))
}

/// Achievement unlocks under the unique key (learner, achievement); returns the pairs this
/// call stored (PostgreSQL: one multi-row insert with RETURNING; SQLite: one each).
fn write_unlocks(
    conn: &mut DbConnection,
    unlocks: &[UnlockRequest],
) -> QueryResult<Vec<(String, String)>> {
    let pairs: Vec<(String, String, chrono::NaiveDateTime)> = unlocks
        .iter()
        .flat_map(|u| {
            u.achievement_ids
                .iter()
                .map(move |a| (u.learner_id.clone(), a.clone(), naive(u.at)))
        })
        .collect();
    let row = |(l, a, t): &(String, String, chrono::NaiveDateTime)| {
        (
            learner_achievements::learner_id.eq(l.clone()),
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
                        .get_results::<(String, String)>(c)?,
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
                notifications::learner_id.eq(n.child_id.clone()),
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
                screen_time_logs::learner_id.eq(span.learner_id.clone()),
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

impl Store for DieselStore {
    fn load_learner(&self, learner_id: &str) -> StoreFuture<Option<LearnerProfile>> {
        let id = learner_id.to_string();
        self.run(move |conn| {
            let row: Option<(
                String,
                String,
                String,
                Option<String>,
                Option<i32>,
                Option<bool>,
                Option<String>,
            )> = learners::table
                .left_join(learner_settings::table)
                .filter(learners::id.eq(&id))
                .select((
                    learners::id,
                    learners::name,
                    learners::timezone,
                    learners::parent_id,
                    learner_settings::daily_time_limit_seconds.nullable(),
                    learner_settings::notifications_enabled.nullable(),
                    learner_settings::downtime.nullable(),
                ))
                .first(conn)
                .optional()?;
            let Some((id, name, timezone, parent_id, limit, notify, downtime)) = row else {
                return Ok(None);
            };
            let class_ids: Vec<String> = class_members::table
                .filter(class_members::learner_id.eq(&id))
                .select(class_members::class_id)
                .load(conn)?;
            Ok(Some(LearnerProfile {
                history: load_history(conn, &id)?,
                id,
                name,
                timezone,
                parent_id,
                class_ids,
                daily_limit_seconds: limit.unwrap_or(3600).max(0) as u64,
                notifications_enabled: notify.unwrap_or(true),
                downtime: time_requests::parse_downtime(downtime.as_deref()),
            }))
        })
    }

    fn load_starts(
        &self,
        learner_ids: Vec<String>,
        at: DateTime<Utc>,
    ) -> StoreFuture<Vec<LearnerStart>> {
        self.run(move |conn| starts::load_starts(conn, &learner_ids, at))
    }

    fn load_screen_time(&self, learner_id: &str, date: NaiveDate) -> StoreFuture<ScreenTimeToday> {
        let id = learner_id.to_string();
        self.run(move |conn| {
            let used: Vec<i32> = screen_time_logs::table
                .filter(screen_time_logs::learner_id.eq(&id))
                .filter(screen_time_logs::date.eq(date))
                .select(screen_time_logs::seconds)
                .load(conn)?;
            let bonus: Vec<i32> = screen_time_grants::table
                .filter(screen_time_grants::learner_id.eq(&id))
                .filter(screen_time_grants::date.eq(date))
                .select(screen_time_grants::seconds)
                .load(conn)?;
            Ok(ScreenTimeToday {
                used_seconds: used.iter().map(|s| (*s).max(0) as u64).sum(),
                bonus_seconds: bonus.iter().map(|s| (*s).max(0) as u64).sum(),
            })
        })
    }

    fn open_session(&self, learner_id: &str) -> StoreFuture<Option<SessionSnapshot>> {
        let id = learner_id.to_string();
        self.run(move |conn| {
            let row: Option<SessionRow> = activity_sessions::table
                .filter(activity_sessions::learner_id.eq(&id))
                .filter(activity_sessions::status.eq("open"))
                .order(activity_sessions::started_at.desc())
                .select(SessionRow::as_select())
                .first(conn)
                .optional()?;
            row.map(|r| snapshot(conn, r)).transpose()
        })
    }

    fn load_session(&self, session_id: &str) -> StoreFuture<Option<SessionSnapshot>> {
        let id = session_id.to_string();
        self.run(move |conn| {
            let row: Option<SessionRow> = activity_sessions::table
                .find(&id)
                .select(SessionRow::as_select())
                .first(conn)
                .optional()?;
            row.map(|r| snapshot(conn, r)).transpose()
        })
    }

    fn played(&self, learner_id: &str) -> StoreFuture<Vec<PlayedSession>> {
        let id = learner_id.to_string();
        self.run(move |conn| {
            type Row = (
                String,
                String,
                String,
                i32,
                Option<f64>,
                Option<chrono::NaiveDateTime>,
                chrono::NaiveDateTime,
            );
            let rows: Vec<Row> = activity_sessions::table
                .inner_join(activities::table)
                .filter(activity_sessions::learner_id.eq(&id))
                .filter(activity_sessions::status.eq("completed"))
                .order((
                    activity_sessions::ended_at.asc(),
                    activity_sessions::id.asc(),
                ))
                .select((
                    activity_sessions::id,
                    activity_sessions::activity_id,
                    activities::category,
                    activities::difficulty,
                    activity_sessions::accuracy,
                    activity_sessions::ended_at,
                    activity_sessions::started_at,
                ))
                .load(conn)?;
            Ok(rows
                .into_iter()
                .map(
                    |(session_id, activity_id, category, difficulty, accuracy, ended, started)| {
                        PlayedSession {
                            session_id,
                            completed: studyhub_actors::next::Completed {
                                activity_id,
                                category,
                                difficulty,
                                accuracy: accuracy.unwrap_or(0.0),
                                completed_at: crate::time::utc(ended.unwrap_or(started)),
                            },
                        }
                    },
                )
                .collect())
        })
    }

    fn write_batch(&self, batch: Batch) -> StoreFuture<BatchResult> {
        let cipher = self.cipher.clone();
        let n = batch.len();
        let started = std::time::Instant::now();
        let fut = self.run(move |conn| refusals::write_batch_or_split(conn, &cipher, batch));
        Box::pin(async move {
            let res = fut.await;
            metrics::histogram!("studyhub_flush_seconds").record(started.elapsed().as_secs_f64());
            metrics::histogram!("studyhub_flush_batch_size").record(n as f64);
            if res.is_err() {
                metrics::counter!("studyhub_flush_failures_total").increment(1);
            }
            res
        })
    }

    fn ask_time(&self, request: NewTimeRequest) -> StoreFuture<AskOutcome> {
        self.run(move |conn| time_requests::ask(conn, &request))
    }
}
