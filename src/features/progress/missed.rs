//! The questions a learner missed most often in a stretch of time (the weekly view's
//! `most_missed`): wrong answers counted per question, with the prompt read from the
//! activity's content, and only activities the reader may see.

use std::collections::HashMap;

use chrono::{NaiveDate, NaiveDateTime, TimeZone};
use chrono_tz::Tz;
use diesel::prelude::*;
use serde::Serialize;
use studyhub_actors::content::ActivityContent;
use studyhub_actors::visibility::{Sight, Visibility};
use utoipa::ToSchema;

use crate::infra::db::DbConnection;
use crate::infra::db::schema::{activities, activity_sessions, answers};

// Wrong answers are counted per (activity, question): two tables' columns in one GROUP BY.
diesel::allow_columns_to_appear_in_same_group_by_clause!(
    activity_sessions::activity_id,
    answers::question_id,
);

/// How many questions the weekly view lists.
pub const MOST_MISSED: usize = 5;
/// Questions looked at before the ones the reader may not see are left out (a few more than
/// listed, so a hidden one does not shorten the list).
const CANDIDATES: i64 = 20;

/// A question the learner answered wrong, and how often.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MissedQuestion {
    pub activity_id: String,
    pub activity_title: String,
    pub question_id: String,
    /// The question as the learner saw it.
    pub prompt: String,
    /// Wrong answers to it in the stretch (a second try that is wrong again counts too).
    pub times_missed: i64,
}

/// The first instant of `day` in `tz`, as the naive UTC the database stores (a day that starts
/// in a gap, as at a spring-forward midnight, starts at its first real instant).
pub fn day_start_utc(tz: Tz, day: NaiveDate) -> NaiveDateTime {
    let midnight = day.and_hms_opt(0, 0, 0).expect("midnight");
    match tz.from_local_datetime(&midnight).earliest() {
        Some(t) => t.naive_utc(),
        None => tz
            .from_local_datetime(&(midnight + chrono::Duration::hours(1)))
            .earliest()
            .map(|t| t.naive_utc())
            .unwrap_or(midnight),
    }
}

/// The learner's most missed questions between `from` (inclusive) and `until` (exclusive),
/// most missed first (then by activity and question, so the order is stable).
pub fn most_missed(
    conn: &mut DbConnection,
    learner_id: &str,
    from: NaiveDateTime,
    until: NaiveDateTime,
    sight: &Sight,
) -> QueryResult<Vec<MissedQuestion>> {
    let counts: Vec<(String, String, i64)> = answers::table
        .inner_join(activity_sessions::table)
        .filter(activity_sessions::learner_id.eq(learner_id))
        .filter(answers::correct.eq(false))
        .filter(answers::answered_at.ge(from))
        .filter(answers::answered_at.lt(until))
        .group_by((activity_sessions::activity_id, answers::question_id))
        .select((
            activity_sessions::activity_id,
            answers::question_id,
            diesel::dsl::count_star(),
        ))
        .order((
            diesel::dsl::count_star().desc(),
            activity_sessions::activity_id.asc(),
            answers::question_id.asc(),
        ))
        .limit(CANDIDATES)
        .load(conn)?;
    if counts.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<&String> = counts.iter().map(|(a, _, _)| a).collect();
    let rows: Vec<(String, String, String, String, Option<String>)> = activities::table
        .filter(activities::id.eq_any(ids))
        .select((
            activities::id,
            activities::title,
            activities::content,
            activities::visibility,
            activities::author_id,
        ))
        .load(conn)?;
    let seen: HashMap<String, (String, ActivityContent)> = rows
        .into_iter()
        .filter(|(_, _, _, vis, author)| sight.sees(Visibility::parse(vis), author.as_deref()))
        .filter_map(|(id, title, content, _, _)| {
            let content = serde_json::from_str::<ActivityContent>(&content).ok()?;
            Some((id, (title, content)))
        })
        .collect();
    Ok(counts
        .into_iter()
        .filter_map(|(activity_id, question_id, times_missed)| {
            let (title, content) = seen.get(&activity_id)?;
            // A question since removed from its activity has no prompt to show.
            let prompt = content.question(&question_id)?.prompt.clone();
            Some(MissedQuestion {
                activity_title: title.clone(),
                activity_id,
                question_id,
                prompt,
                times_missed,
            })
        })
        .take(MOST_MISSED)
        .collect())
}
