//! The weekly report's rows: screen time per day, completed sessions, the questions missed
//! most and achievements.

use chrono::{Duration, NaiveDate};
use diesel::prelude::*;
use studyhub_actors::screen_time::{local_date, parse_tz};
use studyhub_actors::visibility::Sight;

use crate::features::progress::missed::{day_start_utc, most_missed};
use crate::features::reports::{MissedLine, SessionLine, WeekReport};
use crate::infra::db::DbConnection;
use crate::infra::db::models::LearnerRow;
use crate::infra::db::schema::{
    achievements, activities, activity_sessions, learner_achievements, screen_time_logs,
};

/// A completed session of the week, with its activity.
#[derive(Queryable)]
struct CompletedRow {
    title: String,
    category: String,
    accuracy: Option<f64>,
    stars: Option<i32>,
    duration_seconds: Option<i32>,
    ended_at: Option<chrono::NaiveDateTime>,
}

/// One week (`week`, Monday `from` to Sunday `to`, the learner's calendar) of a learner for
/// the report, as `sight` (the reader) may see its activities: five queries.
pub fn week_report(
    conn: &mut DbConnection,
    learner: LearnerRow,
    week: String,
    (from, to): (NaiveDate, NaiveDate),
    sight: &Sight,
) -> QueryResult<WeekReport> {
    let tz = parse_tz(&learner.timezone);
    let id = learner.id.as_str();
    // A day either side in UTC covers the learner's week in any time zone.
    let (lo, hi) = (
        (from - Duration::days(1)).and_hms_opt(0, 0, 0).unwrap(),
        (to + Duration::days(2)).and_hms_opt(0, 0, 0).unwrap(),
    );
    let logs: Vec<(NaiveDate, i32)> = screen_time_logs::table
        .filter(screen_time_logs::learner_id.eq(id))
        .filter(screen_time_logs::date.between(from, to))
        .select((screen_time_logs::date, screen_time_logs::seconds))
        .load(conn)?;
    let sessions: Vec<CompletedRow> = activity_sessions::table
        .inner_join(activities::table)
        .filter(activity_sessions::learner_id.eq(id))
        .filter(activity_sessions::status.eq("completed"))
        .filter(activity_sessions::ended_at.between(lo, hi))
        .order(activity_sessions::ended_at.asc())
        .select((
            activities::title,
            activities::category,
            activity_sessions::accuracy,
            activity_sessions::stars,
            activity_sessions::duration_seconds,
            activity_sessions::ended_at,
        ))
        .load(conn)?;
    let unlocked: Vec<(String, chrono::NaiveDateTime)> = learner_achievements::table
        .inner_join(achievements::table)
        .filter(learner_achievements::learner_id.eq(id))
        .filter(learner_achievements::unlocked_at.between(lo, hi))
        .order(learner_achievements::unlocked_at.asc())
        .select((achievements::title, learner_achievements::unlocked_at))
        .load(conn)?;
    let missed = most_missed(
        conn,
        id,
        day_start_utc(tz, from),
        day_start_utc(tz, to + Duration::days(1)),
        sight,
    )?;
    let local = |t: chrono::NaiveDateTime| local_date(tz, t.and_utc());
    let mut screen = [0i64; 7];
    for (d, secs) in logs {
        let i = (d - from).num_days();
        if (0..7).contains(&i) {
            screen[i as usize] += secs as i64;
        }
    }
    Ok(WeekReport {
        child_name: learner.name,
        week,
        from,
        screen_seconds: screen,
        sessions: sessions
            .into_iter()
            .filter_map(|r| {
                let date = local(r.ended_at?);
                (date >= from && date <= to).then(|| SessionLine {
                    date,
                    activity: r.title,
                    category: r.category,
                    accuracy: r.accuracy.unwrap_or(0.0),
                    stars: r.stars.unwrap_or(0),
                    duration_seconds: r.duration_seconds.unwrap_or(0) as i64,
                })
            })
            .collect(),
        achievements: unlocked
            .into_iter()
            .map(|(t, at)| (t, local(at)))
            .filter(|(_, d)| *d >= from && *d <= to)
            .collect(),
        missed: missed
            .into_iter()
            .map(|m| MissedLine {
                activity: m.activity_title,
                prompt: m.prompt,
                times: m.times_missed,
            })
            .collect(),
    })
}
