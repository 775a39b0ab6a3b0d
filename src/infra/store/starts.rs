//! What learners' actors start from, read for many learners at once
//! (`Store::load_starts`): the same reads as `load_learner`, `load_screen_time` and
//! `open_session`, each one query with `IN (…)` over the whole batch. A node that restarts
//! sees thousands of learners come back within seconds; one by one they would cost the
//! database a dozen round trips each.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use studyhub_actors::achievements::{History, PastCompletion};
use studyhub_actors::screen_time::{local_date, parse_tz};
use studyhub_actors::store::{LearnerStart, ScreenTimeToday};

use super::{ProfileRow, SessionRow, snapshot_of};
use crate::infra::db::DbConnection;
use crate::infra::db::schema::{
    activities, activity_sessions, answers, class_members, daily_progress, learner_achievements,
    learner_settings, learners, page_progress, screen_time_grants, screen_time_logs,
};

/// Values grouped by learner id.
fn by_learner<V>(rows: Vec<(String, V)>) -> HashMap<String, Vec<V>> {
    let mut out: HashMap<String, Vec<V>> = HashMap::new();
    for (id, v) in rows {
        out.entry(id).or_default().push(v);
    }
    out
}

pub(super) fn load_starts(
    conn: &mut DbConnection,
    ids: &[&str],
    at: DateTime<Utc>,
) -> QueryResult<Vec<LearnerStart>> {
    let rows: Vec<ProfileRow> = learners::table
        .left_join(learner_settings::table)
        .filter(learners::id.eq_any(ids))
        .select((
            learners::id,
            learners::name,
            learners::timezone,
            learners::parent_id,
            learner_settings::daily_time_limit_seconds.nullable(),
            learner_settings::notifications_enabled.nullable(),
            learner_settings::downtime.nullable(),
        ))
        .load(conn)?;
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<&String> = rows.iter().map(|r| &r.id).collect();
    let mut classes = by_learner(
        class_members::table
            .filter(class_members::learner_id.eq_any(&ids))
            .select((class_members::learner_id, class_members::class_id))
            .load::<(String, String)>(conn)?,
    );
    // The history (as `load_history` reads it for one learner).
    let mut completions = by_learner(
        activity_sessions::table
            .inner_join(activities::table)
            .filter(activity_sessions::learner_id.eq_any(&ids))
            .filter(activity_sessions::status.eq("completed"))
            .select((
                activity_sessions::learner_id,
                (activities::category, activity_sessions::accuracy),
            ))
            .load::<(String, (String, Option<f64>))>(conn)?,
    );
    let mut days = by_learner(
        daily_progress::table
            .filter(daily_progress::learner_id.eq_any(&ids))
            .filter(
                daily_progress::activities_completed
                    .gt(0)
                    .or(daily_progress::study_seconds.gt(0)),
            )
            .select((
                daily_progress::learner_id,
                (
                    daily_progress::date,
                    daily_progress::study_seconds,
                    daily_progress::activities_completed,
                ),
            ))
            .load::<(String, (NaiveDate, i32, i32))>(conn)?,
    );
    let mut pages = by_learner(
        page_progress::table
            .filter(page_progress::learner_id.eq_any(&ids))
            .select((page_progress::learner_id, page_progress::seconds))
            .load::<(String, i32)>(conn)?,
    );
    let mut unlocked = by_learner(
        learner_achievements::table
            .filter(learner_achievements::learner_id.eq_any(&ids))
            .select((
                learner_achievements::learner_id,
                learner_achievements::achievement_id,
            ))
            .load::<(String, String)>(conn)?,
    );
    // Today's screen time: each learner's own day; one query over the (few) days in play.
    let today: HashMap<String, NaiveDate> = rows
        .iter()
        .map(|r| (r.id.clone(), local_date(parse_tz(&r.timezone), at)))
        .collect();
    let dates: Vec<NaiveDate> = today
        .values()
        .copied()
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let mut used = by_learner(
        screen_time_logs::table
            .filter(screen_time_logs::learner_id.eq_any(&ids))
            .filter(screen_time_logs::date.eq_any(&dates))
            .select((
                screen_time_logs::learner_id,
                (screen_time_logs::date, screen_time_logs::seconds),
            ))
            .load::<(String, (NaiveDate, i32))>(conn)?,
    );
    let mut bonus = by_learner(
        screen_time_grants::table
            .filter(screen_time_grants::learner_id.eq_any(&ids))
            .filter(screen_time_grants::date.eq_any(&dates))
            .select((
                screen_time_grants::learner_id,
                (screen_time_grants::date, screen_time_grants::seconds),
            ))
            .load::<(String, (NaiveDate, i32))>(conn)?,
    );
    // Each learner's latest open session, with its saved answers.
    let mut open: HashMap<String, SessionRow> = HashMap::new();
    for row in activity_sessions::table
        .filter(activity_sessions::learner_id.eq_any(&ids))
        .filter(activity_sessions::status.eq("open"))
        .order(activity_sessions::started_at.desc())
        .select(SessionRow::as_select())
        .load::<SessionRow>(conn)?
    {
        open.entry(row.learner_id.clone()).or_insert(row);
    }
    let session_ids: Vec<&String> = open.values().map(|r| &r.id).collect();
    let mut saved = by_learner(if session_ids.is_empty() {
        Vec::new()
    } else {
        answers::table
            .filter(answers::session_id.eq_any(&session_ids))
            .order((answers::session_id.asc(), answers::seq.asc()))
            .select((
                answers::session_id,
                (answers::seq, answers::question_id, answers::correct),
            ))
            .load::<(String, (i32, String, bool))>(conn)?
    });

    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let id = row.id.clone();
        let day = today[&id];
        let days = days.remove(&id).unwrap_or_default();
        let study = days.iter().map(|(_, s, _)| (*s).max(0) as u64).sum::<u64>()
            + pages
                .remove(&id)
                .unwrap_or_default()
                .iter()
                .map(|s| (*s).max(0) as u64)
                .sum::<u64>();
        let completed_days: Vec<NaiveDate> = days
            .iter()
            .filter(|(_, _, n)| *n > 0)
            .map(|(d, _, _)| *d)
            .collect();
        let history =
            History::new(
                completions.remove(&id).unwrap_or_default().into_iter().map(
                    |(category, accuracy)| PastCompletion {
                        category,
                        accuracy: accuracy.unwrap_or(0.0),
                    },
                ),
                completed_days,
                study,
                unlocked.remove(&id).unwrap_or_default(),
            );
        let sum_today = |rows: Option<Vec<(NaiveDate, i32)>>| -> u64 {
            rows.unwrap_or_default()
                .iter()
                .filter(|(d, _)| *d == day)
                .map(|(_, s)| (*s).max(0) as u64)
                .sum()
        };
        let used = ScreenTimeToday {
            used_seconds: sum_today(used.remove(&id)),
            bonus_seconds: sum_today(bonus.remove(&id)),
        };
        let open_session = open.remove(&id).map(|row| {
            let answers = saved.remove(&row.id).unwrap_or_default();
            snapshot_of(row, answers)
        });
        out.push(LearnerStart {
            profile: row.into_profile(classes.remove(&id).unwrap_or_default(), history),
            today: day,
            used,
            open_session,
        });
    }
    Ok(out)
}
