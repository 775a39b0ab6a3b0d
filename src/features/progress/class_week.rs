//! A class's week at a glance, for its teacher.

use chrono::{Datelike, Duration, NaiveDate, Utc};
use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use crate::features::classes;
use crate::infra::db::DbConnection;
use crate::infra::db::schema::{daily_progress, screen_time_logs};

#[derive(Debug, Serialize, ToSchema)]
pub struct ClassProgress {
    pub class_id: String,
    /// The Monday the week began (UTC).
    pub week_start: NaiveDate,
    pub learners: Vec<LearnerWeek>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LearnerWeek {
    pub learner_id: String,
    pub name: String,
    pub activities_completed: i32,
    /// Percent of first answers that were right; null before any answer.
    pub accuracy: Option<f64>,
    pub time_seconds: i64,
}

/// A learner's day of progress (all categories of the day are rows of their own).
#[derive(Queryable, Selectable)]
#[diesel(table_name = daily_progress)]
struct DayStats {
    learner_id: String,
    activities_completed: i32,
    questions_answered: i32,
    questions_correct: i32,
}

/// Per learner this week (Monday to today, UTC): activities completed, accuracy of first
/// answers, screen time. Three queries for the whole class, whatever its size.
pub fn class_week(conn: &mut DbConnection, class_id: &str) -> QueryResult<ClassProgress> {
    let members = classes::roster(conn, class_id)?;
    let ids: Vec<String> = members.iter().map(|m| m.learner_id.clone()).collect();
    let today = Utc::now().date_naive();
    let monday = today - Duration::days(today.weekday().num_days_from_monday() as i64);
    // Three queries for the whole class, whatever its size.
    let stats: Vec<DayStats> = daily_progress::table
        .filter(daily_progress::learner_id.eq_any(&ids))
        .filter(daily_progress::date.ge(monday))
        .select(DayStats::as_select())
        .load(conn)?;
    let time: Vec<(String, i32)> = screen_time_logs::table
        .filter(screen_time_logs::learner_id.eq_any(&ids))
        .filter(screen_time_logs::date.ge(monday))
        .select((screen_time_logs::learner_id, screen_time_logs::seconds))
        .load(conn)?;
    let learners: Vec<_> = members
        .into_iter()
        .map(
            |classes::Member {
                 learner_id: lid,
                 name,
                 ..
             }| {
                let mine = stats.iter().filter(|s| s.learner_id == lid);
                let (done, answered, correct) = mine.fold((0, 0, 0), |a, s| {
                    (
                        a.0 + s.activities_completed,
                        a.1 + s.questions_answered,
                        a.2 + s.questions_correct,
                    )
                });
                let seconds: i64 = time.iter().filter(|t| t.0 == lid).map(|t| t.1 as i64).sum();
                LearnerWeek {
                    learner_id: lid,
                    name,
                    activities_completed: done,
                    accuracy: (answered > 0)
                        .then(|| f64::from(correct) * 100.0 / f64::from(answered)),
                    time_seconds: seconds,
                }
            },
        )
        .collect();
    Ok(ClassProgress {
        class_id: class_id.to_string(),
        week_start: monday,
        learners,
    })
}
