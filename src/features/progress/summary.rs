//! Everything a learner did so far, in one answer (`GET /v1/learners/{id}/progress`).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{NaiveDate, NaiveDateTime};
use diesel::backend::Backend;
use diesel::prelude::*;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::serialize::ToSql;
use diesel::sql_types::{
    BigInt, Date, Double, HasSqlType, Integer, Nullable, Text, Timestamp, Untyped,
};
use serde::Serialize;
use utoipa::ToSchema;

use super::{Totals, streaks};
use crate::infra::db::DbConnection;
use crate::infra::db::models::DayProgress;

#[derive(Debug, Serialize, ToSchema)]
pub struct ProgressSummary {
    pub learner_id: String,
    pub activities_completed: i64,
    pub questions_answered: i64,
    pub questions_correct: i64,
    /// The mean accuracy of the latest completed session of each activity; null before any.
    pub average_accuracy: Option<f64>,
    pub study_seconds: i64,
    pub page_seconds: i64,
    pub current_streak_days: u32,
    pub longest_streak_days: u32,
    pub stars: i64,
    /// Points from activities plus the rewards of unlocked achievements.
    pub points: i64,
    pub by_category: BTreeMap<String, CategoryTotals>,
    /// Activity id → the most stars (1–3) of any completed session of it; an activity never
    /// completed is not listed (0 stars). The catalog shows them on its cards.
    pub best_stars: BTreeMap<String, u8>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CategoryTotals {
    #[serde(flatten)]
    pub totals: Totals,
    pub average_accuracy: Option<f64>,
}

/// Everything the summary needs in one statement: the learner's daily rows (`kind` 0), the
/// completed sessions with their activity's category (1) and one row of sums (2: achievement
/// rewards in `n1`, page seconds in `n2`).
///
/// Four queries cost PostgreSQL 0.34 ms a read; this one, prepared, 0.18 ms (pgbench on the
/// machine of `BENCHMARKS.md`, 90 daily rows and 60 sessions a learner). `sql_query` would do
/// the same work but is planned again on every call (Diesel never caches it), hence a query
/// type of its own that the connection's statement cache keeps.
#[derive(Debug, Clone, Copy)]
struct SummaryRows<'a> {
    learner_id: &'a str,
}

const SUMMARY_SQL: [&str; 5] = [
    "SELECT 0 AS kind, category, CAST(NULL AS TEXT) AS activity_id, date AS day, \
       CAST(activities_completed AS BIGINT) AS n1, CAST(questions_answered AS BIGINT) AS n2, \
       CAST(questions_correct AS BIGINT) AS n3, CAST(study_seconds AS BIGINT) AS n4, \
       CAST(stars AS BIGINT) AS n5, CAST(points AS BIGINT) AS n6, \
       CAST(NULL AS DOUBLE PRECISION) AS accuracy, CAST(NULL AS TIMESTAMP) AS ended_at \
     FROM daily_progress WHERE learner_id = ",
    " UNION ALL \
     SELECT 1, a.category, s.activity_id, NULL, 0, 0, 0, 0, 0, 0, s.accuracy, s.ended_at \
     FROM activity_sessions s JOIN activities a ON a.id = s.activity_id \
     WHERE s.status = 'completed' AND s.learner_id = ",
    " UNION ALL \
     SELECT 2, NULL, NULL, NULL, \
       (SELECT COALESCE(SUM(a.reward_points), 0) FROM learner_achievements l \
        JOIN achievements a ON a.id = l.achievement_id WHERE l.learner_id = ",
    "), (SELECT COALESCE(SUM(seconds), 0) FROM page_progress WHERE learner_id = ",
    "), 0, 0, 0, 0, NULL, NULL",
];

impl QueryId for SummaryRows<'_> {
    type QueryId = SummaryRows<'static>;
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl Query for SummaryRows<'_> {
    type SqlType = Untyped;
}

impl<Conn> RunQueryDsl<Conn> for SummaryRows<'_> {}

impl<DB> QueryFragment<DB> for SummaryRows<'_>
where
    DB: Backend + HasSqlType<Text>,
    str: ToSql<Text, DB>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        let (last, parts) = SUMMARY_SQL.split_last().expect("five parts");
        for part in parts {
            out.push_sql(part);
            out.push_bind_param::<Text, str>(self.learner_id)?;
        }
        out.push_sql(last);
        Ok(())
    }
}

#[derive(QueryableByName)]
struct SummaryRow {
    #[diesel(sql_type = Integer)]
    kind: i32,
    #[diesel(sql_type = Nullable<Text>)]
    category: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    activity_id: Option<String>,
    #[diesel(sql_type = Nullable<Date>)]
    day: Option<NaiveDate>,
    #[diesel(sql_type = BigInt)]
    n1: i64,
    #[diesel(sql_type = BigInt)]
    n2: i64,
    #[diesel(sql_type = BigInt)]
    n3: i64,
    #[diesel(sql_type = BigInt)]
    n4: i64,
    #[diesel(sql_type = BigInt)]
    n5: i64,
    #[diesel(sql_type = BigInt)]
    n6: i64,
    #[diesel(sql_type = Nullable<Double>)]
    accuracy: Option<f64>,
    #[diesel(sql_type = Nullable<Timestamp>)]
    ended_at: Option<NaiveDateTime>,
}

/// What a summary is made of: every total by category, the days with a completion, the
/// latest completed session of each activity, achievement rewards and study-page seconds.
/// Read from the database in one statement ([`load_parts`]), then kept up to date from what
/// the group commit stores ([`super::summary_cache`]).
#[derive(Debug, Clone, Default)]
pub struct SummaryParts {
    by_category: BTreeMap<String, Totals>,
    completed_days: BTreeSet<NaiveDate>,
    /// Activity id → its latest completed session.
    latest: HashMap<String, LatestSession>,
    /// Activity id → the best accuracy of its completed sessions.
    best: HashMap<String, f64>,
    reward_points: i64,
    page_seconds: i64,
}

#[derive(Debug, Clone)]
struct LatestSession {
    category: String,
    accuracy: f64,
    ended_at: NaiveDateTime,
}

impl SummaryParts {
    /// A daily progress row, or what was just added to one.
    pub fn add_day(&mut self, day: &DayProgress) {
        self.by_category
            .entry(day.category.clone())
            .or_default()
            .add(day);
        if day.activities_completed > 0 {
            self.completed_days.insert(day.date);
        }
    }

    /// A completed session; it counts for its activity's accuracy if it is the latest.
    pub fn add_completed(
        &mut self,
        activity_id: &str,
        category: &str,
        accuracy: f64,
        ended_at: NaiveDateTime,
    ) {
        let best = self.best.entry(activity_id.to_string()).or_insert(accuracy);
        *best = best.max(accuracy);
        match self.latest.get(activity_id) {
            Some(l) if l.ended_at >= ended_at => {}
            _ => {
                self.latest.insert(
                    activity_id.to_string(),
                    LatestSession {
                        category: category.to_string(),
                        accuracy,
                        ended_at,
                    },
                );
            }
        }
    }

    /// An achievement unlocked: its reward counts in the points.
    pub fn add_reward(&mut self, points: i64) {
        self.reward_points += points;
    }

    /// Totals, streaks and stars as of `today`; `average_accuracy` averages the latest
    /// completed session of each activity.
    pub fn summarize(&self, learner_id: &str, today: NaiveDate) -> ProgressSummary {
        let mut total = Totals::default();
        for t in self.by_category.values() {
            total.add_totals(t);
        }
        let avg = |it: Vec<f64>| {
            if it.is_empty() {
                None
            } else {
                Some(it.iter().sum::<f64>() / it.len() as f64)
            }
        };
        let average_accuracy = avg(self.latest.values().map(|l| l.accuracy).collect());
        let days: Vec<NaiveDate> = self.completed_days.iter().copied().collect();
        let (current, longest) = streaks(&days, today);
        let by_category = self
            .by_category
            .iter()
            .map(|(cat, totals)| {
                let average_accuracy = avg(self
                    .latest
                    .values()
                    .filter(|l| l.category == *cat)
                    .map(|l| l.accuracy)
                    .collect());
                (
                    cat.clone(),
                    CategoryTotals {
                        totals: totals.clone(),
                        average_accuracy,
                    },
                )
            })
            .collect();
        ProgressSummary {
            learner_id: learner_id.to_string(),
            activities_completed: total.activities_completed,
            questions_answered: total.questions_answered,
            questions_correct: total.questions_correct,
            average_accuracy,
            study_seconds: total.study_seconds,
            page_seconds: self.page_seconds,
            current_streak_days: current,
            longest_streak_days: longest,
            stars: total.stars,
            points: total.points + self.reward_points,
            by_category,
            best_stars: self
                .best
                .iter()
                .map(|(id, accuracy)| (id.clone(), studyhub_actors::session::stars(*accuracy)))
                .collect(),
        }
    }
}

/// Everything the learner's summary is made of, in one statement ([`SummaryRows`]), whatever
/// the history's length.
pub fn load_parts(conn: &mut DbConnection, learner_id: &str) -> QueryResult<SummaryParts> {
    let narrow = |n: i64| i32::try_from(n).unwrap_or(i32::MAX);
    let mut parts = SummaryParts::default();
    let found: Vec<SummaryRow> = SummaryRows { learner_id }.load(conn)?;
    for r in found {
        match (r.kind, r.category, r.day) {
            (0, Some(category), Some(date)) => parts.add_day(&DayProgress {
                date,
                category,
                activities_completed: narrow(r.n1),
                questions_answered: narrow(r.n2),
                questions_correct: narrow(r.n3),
                study_seconds: narrow(r.n4),
                stars: narrow(r.n5),
                points: narrow(r.n6),
            }),
            (1, Some(category), _) => {
                if let (Some(activity), Some(acc), Some(ended)) =
                    (r.activity_id, r.accuracy, r.ended_at)
                {
                    parts.add_completed(&activity, &category, acc, ended);
                }
            }
            (2, ..) => (parts.reward_points, parts.page_seconds) = (r.n1, r.n2),
            _ => {}
        }
    }
    Ok(parts)
}
