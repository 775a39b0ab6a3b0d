//! Progress as the database has it: totals, streaks and accuracy from the daily progress rows
//! the group commit keeps up to date (never the whole answer history), the parent's dashboard,
//! the weekly report's rows and study-page visits. The routes in `routes/progress/` parse,
//! authorize and answer with what these functions read.

pub mod class_week;
pub mod dashboard;
pub mod missed;
pub mod pages;
pub mod report;
pub mod summary;
pub mod summary_cache;

use chrono::{Datelike, Duration, NaiveDate, Weekday};
use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use crate::infra::db::DbConnection;
use crate::infra::db::models::DayProgress;
use crate::infra::db::schema::daily_progress;
use crate::infra::error::{AppError, AppResult};

#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct Totals {
    pub activities_completed: i64,
    pub questions_answered: i64,
    pub questions_correct: i64,
    /// First answers right ÷ questions answered, 0..100; null when nothing was answered.
    pub accuracy: Option<f64>,
    pub study_seconds: i64,
    pub stars: i64,
    pub points: i64,
}

impl Totals {
    pub fn add(&mut self, r: &DayProgress) {
        self.add_counts([
            r.activities_completed.into(),
            r.questions_answered.into(),
            r.questions_correct.into(),
            r.study_seconds.into(),
            r.stars.into(),
            r.points.into(),
        ]);
    }

    pub fn add_totals(&mut self, t: &Totals) {
        self.add_counts([
            t.activities_completed,
            t.questions_answered,
            t.questions_correct,
            t.study_seconds,
            t.stars,
            t.points,
        ]);
    }

    /// Activities completed, questions answered and right, study seconds, stars, points.
    fn add_counts(&mut self, [completed, answered, correct, seconds, stars, points]: [i64; 6]) {
        self.activities_completed += completed;
        self.questions_answered += answered;
        self.questions_correct += correct;
        self.study_seconds += seconds;
        self.stars += stars;
        self.points += points;
        self.accuracy = (self.questions_answered > 0)
            .then(|| self.questions_correct as f64 * 100.0 / self.questions_answered as f64);
    }
}

pub fn day_rows(
    conn: &mut DbConnection,
    learner_id: &str,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> QueryResult<Vec<DayProgress>> {
    let mut q = daily_progress::table
        .filter(daily_progress::learner_id.eq(learner_id))
        .into_boxed();
    if let Some(f) = from {
        q = q.filter(daily_progress::date.ge(f));
    }
    if let Some(t) = to {
        q = q.filter(daily_progress::date.le(t));
    }
    q.order(daily_progress::date.asc())
        .select(DayProgress::as_select())
        .load(conn)
}

/// (current, longest) runs of consecutive days in `days` (sorted, distinct); the current run
/// must end today or yesterday.
pub fn streaks(days: &[NaiveDate], today: NaiveDate) -> (u32, u32) {
    let (mut longest, mut run) = (0u32, 0u32);
    let mut prev: Option<NaiveDate> = None;
    for d in days {
        run = if prev.and_then(|p| p.succ_opt()) == Some(*d) {
            run + 1
        } else {
            1
        };
        longest = longest.max(run);
        prev = Some(*d);
    }
    let current = match prev {
        Some(last) if last == today || last.succ_opt() == Some(today) => run,
        _ => 0,
    };
    (current, longest)
}

/// Monday..Sunday of an ISO week written `YYYY-Www`.
/// 422 when it is not a week; 400 when it is one outside [`crate::infra::time::YEARS`].
pub fn parse_week(s: &str) -> AppResult<(NaiveDate, NaiveDate)> {
    let malformed = || AppError::invalid_field("week", "an ISO week like 2026-W47");
    let (y, w) = s.trim().split_once("-W").ok_or_else(malformed)?;
    let (y, w): (i32, u32) = (
        y.parse().map_err(|_| malformed())?,
        w.parse().map_err(|_| malformed())?,
    );
    if !crate::infra::time::YEARS.contains(&y) {
        return Err(crate::infra::time::check_day(NaiveDate::MIN, "week").unwrap_err());
    }
    let monday = NaiveDate::from_isoywd_opt(y, w, Weekday::Mon).ok_or_else(malformed)?;
    Ok((monday, monday + Duration::days(6)))
}

pub fn week_of(d: NaiveDate) -> String {
    let iw = d.iso_week();
    format!("{}-W{:02}", iw.year(), iw.week())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, day).unwrap()
    }

    #[test]
    fn streaks_current_and_longest() {
        assert_eq!(streaks(&[d(1), d(2), d(3), d(10), d(11)], d(12)), (2, 3));
        assert_eq!(streaks(&[d(1), d(2)], d(10)), (0, 2));
        assert_eq!(streaks(&[], d(10)), (0, 0));
    }

    #[test]
    fn iso_weeks() {
        assert_eq!(parse_week("2026-W47").ok(), Some((d(16), d(22))));
        assert_eq!(week_of(d(22)), "2026-W47");
        assert_eq!(parse_week("2026-47").unwrap_err().code, "validation_failed");
        assert!(parse_week("2026-W60").is_err());
        for far in ["262143-W01", "262142-W52", "-5-W01", "1969-W52"] {
            assert_eq!(
                parse_week(far).unwrap_err().code,
                "date_out_of_range",
                "{far}"
            );
        }
    }
}
