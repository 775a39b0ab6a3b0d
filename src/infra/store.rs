//! The engine's storage, in Diesel: learners, screen time, sessions, and the flusher's
//! group commit. Every call runs on the blocking pool.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use studyhub_actors::ids::{ClassId, LearnerId, Seq, SessionId};
use studyhub_actors::store::*;

use std::sync::Arc;

use crate::infra::crypto::Cipher;
use crate::infra::db::models::DEFAULT_DAILY_LIMIT;
use crate::infra::db::schema::{
    activities, activity_sessions, answers, class_members, daily_progress, learner_achievements,
    learner_settings, learners, page_progress, screen_time_grants, screen_time_logs,
};
use crate::infra::db::{DbConnection, DbError, DbPool};
use studyhub_actors::achievements::{History, PastCompletion};

mod batch;
mod class_teachers;
mod commits;
pub mod dead_letter_items;
mod progress_rows;
mod refusals;
mod starts;
pub mod time_requests;

pub use self::class_teachers::class_teachers;
pub use self::commits::{BatchChanges, CommitWatch, StoredCompletion, WriteGuard};
pub use self::progress_rows::{ProgressDelta, add_progress};

/// Points a completed activity earns per star (achievements add their own reward points).
pub const POINTS_PER_STAR: i32 = 10;

/// SQLite allows 32 766 bound values per statement; 7 columns × 1 000 rows stays well below.
const INSERT_CHUNK: usize = 1_000;

pub struct DieselStore {
    pool: DbPool,
    /// The group commit's own connections: REST handlers and the engine's reads share
    /// `pool`, and however busy they keep it, a batch of answers never waits for one of
    /// them (`saved` stays prompt).
    commits: DbPool,
    cipher: Cipher,
    /// Told of every batch (the progress summaries kept in memory).
    watch: Arc<dyn CommitWatch>,
}

/// The learners whose progress summaries a batch may move: session ends and unlocks.
fn summary_learners(batch: &Batch) -> Vec<LearnerId> {
    let ends = batch.ends.iter().map(|e| e.learner_id.clone());
    ends.chain(batch.unlocks.iter().map(|u| u.learner_id.clone()))
        .collect()
}

impl DieselStore {
    pub fn new(pool: DbPool, commits: DbPool, cipher: Cipher, watch: Arc<dyn CommitWatch>) -> Self {
        Self {
            pool,
            commits,
            cipher,
            watch,
        }
    }

    fn run<T, F>(&self, f: F) -> StoreFuture<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConnection) -> QueryResult<T> + Send + 'static,
    {
        Self::on(&self.pool, f)
    }

    fn on<T, F>(pool: &DbPool, f: F) -> StoreFuture<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConnection) -> QueryResult<T> + Send + 'static,
    {
        let pool = pool.clone();
        Box::pin(async move {
            crate::infra::db::blocking(&pool, move |conn| f(conn).map_err(DbError::Query))
                .await
                .map_err(StoreError::from)
        })
    }
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
                seq: Seq::from_db(seq).filter(|s| *s > Seq::NONE)?,
                question_id,
                correct,
            })
        })
        .collect();
    SessionSnapshot {
        session_id: row.id.into(),
        learner_id: row.learner_id.into(),
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
            .map(|(category, accuracy)| PastCompletion {
                category,
                accuracy: accuracy.unwrap_or(0.0),
            }),
        completed_days,
        study,
        unlocked,
    ))
}

/// A learner with its settings (absent settings: the defaults).
#[derive(Queryable)]
struct ProfileRow {
    id: String,
    name: String,
    timezone: String,
    parent_id: Option<String>,
    limit: Option<i32>,
    notify: Option<bool>,
    downtime: Option<String>,
}

impl ProfileRow {
    /// The profile an actor starts from; absent settings read as the defaults (a child: an
    /// hour a day; a student's own learner: no limit; notifications on, no downtime).
    fn into_profile(self, class_ids: Vec<String>, history: History) -> LearnerProfile {
        let child = self.parent_id.is_some();
        LearnerProfile {
            id: self.id.into(),
            name: self.name,
            timezone: self.timezone,
            parent_id: self.parent_id,
            class_ids: class_ids.into_iter().map(ClassId::from).collect(),
            history,
            daily_limit_seconds: match (self.limit, child) {
                (Some(limit), _) => Some(limit.max(0) as u64),
                // No settings stored, or a student's own learner without a limit.
                (None, true) => Some(DEFAULT_DAILY_LIMIT as u64),
                (None, false) => None,
            },
            notifications_enabled: self.notify.unwrap_or(true),
            downtime: time_requests::parse_downtime(self.downtime.as_deref()),
        }
    }
}

impl Store for DieselStore {
    fn load_learner(&self, learner_id: &LearnerId) -> StoreFuture<Option<LearnerProfile>> {
        let id = learner_id.to_string();
        self.run(move |conn| {
            let row: Option<ProfileRow> = learners::table
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
            let Some(row) = row else {
                return Ok(None);
            };
            let class_ids: Vec<String> = class_members::table
                .filter(class_members::learner_id.eq(&row.id))
                .select(class_members::class_id)
                .load(conn)?;
            let history = load_history(conn, &row.id)?;
            Ok(Some(row.into_profile(class_ids, history)))
        })
    }

    fn load_starts(
        &self,
        learner_ids: Vec<LearnerId>,
        at: DateTime<Utc>,
    ) -> StoreFuture<Vec<LearnerStart>> {
        self.run(move |conn| {
            let ids: Vec<&str> = learner_ids.iter().map(LearnerId::as_str).collect();
            starts::load_starts(conn, &ids, at)
        })
    }

    fn load_screen_time(
        &self,
        learner_id: &LearnerId,
        date: NaiveDate,
    ) -> StoreFuture<ScreenTimeToday> {
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

    fn open_session(&self, learner_id: &LearnerId) -> StoreFuture<Option<SessionSnapshot>> {
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

    fn load_session(&self, session_id: &SessionId) -> StoreFuture<Option<SessionSnapshot>> {
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

    fn played(&self, learner_id: &LearnerId) -> StoreFuture<Vec<PlayedSession>> {
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
                            session_id: session_id.into(),
                            completed: studyhub_actors::next_activity::Completed {
                                activity_id,
                                category,
                                difficulty,
                                accuracy: accuracy.unwrap_or(0.0),
                                completed_at: crate::infra::time::utc(ended.unwrap_or(started)),
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
        let touched = summary_learners(&batch);
        // Dropped without `stored` (an error, or this future dropped): read them again.
        let writing = (!touched.is_empty()).then(|| self.watch.clone().before_write(touched));
        let fut = Self::on(&self.commits, move |conn| {
            refusals::write_batch_or_split(conn, &cipher, batch)
        });
        Box::pin(async move {
            let res = fut.await;
            metrics::histogram!("studyhub_flush_seconds").record(started.elapsed().as_secs_f64());
            metrics::histogram!("studyhub_flush_batch_size").record(n as f64);
            if res.is_err() {
                metrics::counter!("studyhub_flush_failures_total").increment(1);
            }
            res.map(|(result, stored)| {
                if let Some(w) = writing {
                    w.committed(stored);
                }
                result
            })
        })
    }

    fn ask_time(&self, request: NewTimeRequest) -> StoreFuture<AskOutcome> {
        self.run(move |conn| time_requests::ask(conn, &request))
    }

    fn class_teachers(&self, learner_id: &LearnerId) -> StoreFuture<Vec<String>> {
        let ids = [learner_id.to_string()];
        self.run(move |conn| class_teachers(conn, &ids))
    }
}
