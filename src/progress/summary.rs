//! Everything a learner did so far, in one answer (`GET /v1/learners/{id}/progress`).

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use super::{Totals, day_rows, streaks};
use crate::db::DbConnection;
use crate::db::schema::{
    achievements, activities, activity_sessions, learner_achievements, page_progress,
};

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
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CategoryTotals {
    #[serde(flatten)]
    pub totals: Totals,
    pub average_accuracy: Option<f64>,
}

/// A completed session with its activity's category.
#[derive(Queryable)]
struct Completed {
    activity_id: String,
    category: String,
    accuracy: Option<f64>,
    ended_at: Option<chrono::NaiveDateTime>,
}

/// Totals, streaks and stars; `average_accuracy` averages the latest completed session of
/// each activity. Five queries, whatever the history's length.
pub fn summary(
    conn: &mut DbConnection,
    learner_id: &str,
    today: NaiveDate,
) -> QueryResult<ProgressSummary> {
    let rows = day_rows(conn, learner_id, None, None)?;
    let sessions: Vec<Completed> = activity_sessions::table
        .inner_join(activities::table)
        .filter(activity_sessions::learner_id.eq(learner_id))
        .filter(activity_sessions::status.eq("completed"))
        .select((
            activity_sessions::activity_id,
            activities::category,
            activity_sessions::accuracy,
            activity_sessions::ended_at,
        ))
        .load(conn)?;
    let reward: Option<i64> = learner_achievements::table
        .inner_join(achievements::table)
        .filter(learner_achievements::learner_id.eq(learner_id))
        .select(diesel::dsl::sum(achievements::reward_points))
        .first(conn)?;
    let pages: Vec<i32> = page_progress::table
        .filter(page_progress::learner_id.eq(learner_id))
        .select(page_progress::seconds)
        .load(conn)?;
    let mut total = Totals::default();
    let mut by_category: BTreeMap<String, Totals> = BTreeMap::new();
    let mut days: Vec<NaiveDate> = Vec::new();
    for r in &rows {
        total.add(r);
        by_category.entry(r.category.clone()).or_default().add(r);
        if r.activities_completed > 0 && days.last() != Some(&r.date) {
            days.push(r.date);
        }
    }
    // Latest completed session per activity.
    let mut latest: HashMap<String, (String, f64, chrono::NaiveDateTime)> = HashMap::new();
    for Completed {
        activity_id: activity,
        category,
        accuracy,
        ended_at,
    } in sessions
    {
        let (Some(acc), Some(ended)) = (accuracy, ended_at) else {
            continue;
        };
        match latest.get(&activity) {
            Some((_, _, t)) if *t >= ended => {}
            _ => {
                latest.insert(activity, (category, acc, ended));
            }
        }
    }
    let avg = |it: Vec<f64>| {
        if it.is_empty() {
            None
        } else {
            Some(it.iter().sum::<f64>() / it.len() as f64)
        }
    };
    let average_accuracy = avg(latest.values().map(|v| v.1).collect());
    let (current, longest) = streaks(&days, today);
    let by_category = by_category
        .into_iter()
        .map(|(cat, totals)| {
            let average_accuracy = avg(latest
                .values()
                .filter(|v| v.0 == cat)
                .map(|v| v.1)
                .collect());
            (
                cat,
                CategoryTotals {
                    totals,
                    average_accuracy,
                },
            )
        })
        .collect();
    Ok(ProgressSummary {
        learner_id: learner_id.to_string(),
        activities_completed: total.activities_completed,
        questions_answered: total.questions_answered,
        questions_correct: total.questions_correct,
        average_accuracy,
        study_seconds: total.study_seconds,
        page_seconds: pages.iter().map(|s| i64::from(*s)).sum(),
        current_streak_days: current,
        longest_streak_days: longest,
        stars: total.stars,
        points: total.points + reward.unwrap_or(0),
        by_category,
    })
}
