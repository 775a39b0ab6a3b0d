//! The daily progress rows: one per learner, day and category, only ever added to.

use chrono::NaiveDate;
use diesel::prelude::*;
use diesel::upsert::excluded;

use super::INSERT_CHUNK;
use crate::infra::db::DbConnection;
use crate::infra::db::schema::daily_progress;
use crate::on_backend;

/// A change to one daily progress row.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = daily_progress)]
pub struct ProgressDelta {
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

/// The conflict target and the `SET` of an upsert that adds the new row to the stored one.
macro_rules! upsert_adding {
    ($insert:expr) => {
        $insert
            .on_conflict((
                daily_progress::learner_id,
                daily_progress::date,
                daily_progress::category,
            ))
            .do_update()
            .set((
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
            ))
    };
}

/// Adds `delta` to the learner's daily row (created if missing), in one statement.
pub fn add_progress(conn: &mut DbConnection, delta: &ProgressDelta) -> QueryResult<()> {
    on_backend!(conn, |c| upsert_adding!(
        diesel::insert_into(daily_progress::table).values(delta)
    )
    .execute(c))?;
    Ok(())
}

/// Adds many deltas: one multi-row upsert on PostgreSQL, one statement each on SQLite.
pub(super) fn add_progress_many(
    conn: &mut DbConnection,
    deltas: &[ProgressDelta],
) -> QueryResult<()> {
    match conn {
        DbConnection::Pg(c) => {
            for chunk in deltas.chunks(INSERT_CHUNK) {
                upsert_adding!(diesel::insert_into(daily_progress::table).values(chunk))
                    .execute(c)?;
            }
            Ok(())
        }
        DbConnection::Sqlite(_) => deltas.iter().try_for_each(|d| add_progress(conn, d)),
    }
}
