//! The parent's dashboard: every child's today and week at a glance, read for the whole
//! family at once.

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use diesel::prelude::*;
use serde::Serialize;
use studyhub_actors::screen_time::{local_date, parse_tz};
use utoipa::ToSchema;

use super::week_of;
use crate::infra::db::DbConnection;
use crate::infra::db::models::LearnerRow;
use crate::infra::db::schema::{
    achievements, daily_progress, learner_achievements, learner_settings, notifications,
    screen_time_grants, screen_time_logs,
};
use crate::infra::time::now;

#[derive(Debug, Serialize, ToSchema)]
pub struct Dashboard {
    pub children: Vec<ChildGlance>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ChildGlance {
    pub id: String,
    pub name: String,
    pub time_today: TimeToday,
    pub week: WeekSoFar,
    /// Unlocked in the last seven days.
    pub new_achievements: Vec<RecentAchievement>,
    pub unread_notifications: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TimeToday {
    pub used_seconds: i64,
    /// The daily limit plus today's grants.
    pub limit_seconds: i64,
    pub bonus_seconds: i64,
    pub left_seconds: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WeekSoFar {
    pub week: String,
    pub activities_completed: i64,
    pub questions_answered: i64,
    pub accuracy: Option<f64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RecentAchievement {
    pub id: String,
    pub title: String,
    pub unlocked_at: DateTime<Utc>,
}

/// A child's day of progress, for the week so far.
#[derive(Queryable, Selectable)]
#[diesel(table_name = daily_progress)]
struct WeekDay {
    learner_id: String,
    date: NaiveDate,
    activities_completed: i32,
    questions_answered: i32,
    questions_correct: i32,
}

/// Seconds of a child's day: used (screen time spans) or granted.
#[derive(Queryable)]
struct Seconds {
    learner_id: String,
    date: NaiveDate,
    seconds: i32,
}

/// An achievement a child unlocked lately.
#[derive(Queryable)]
struct Unlocked {
    learner_id: String,
    achievement_id: String,
    title: String,
    unlocked_at: chrono::NaiveDateTime,
}

/// What the dashboard shows of a family, as stored.
pub struct Family {
    pub children: Vec<LearnerRow>,
    week: Vec<WeekDay>,
    logs: Vec<Seconds>,
    grants: Vec<Seconds>,
    /// A child's limit (children always have one).
    limits: Vec<(String, Option<i32>)>,
    unlocked: Vec<Unlocked>,
    unread: Vec<(String, i64)>,
}

/// Per child: time today, activities and accuracy this week (ISO, the child's calendar), new
/// achievements (last 7 days) and unread notifications. Seven queries for the whole family,
/// whatever its size (children, week rows, screen time, grants, settings, unlocks, unread).
pub fn family(conn: &mut DbConnection, parent_id: &str) -> QueryResult<Family> {
    let children = crate::features::learners::of_parent(conn, parent_id)?;
    let ids: Vec<String> = children.iter().map(|c| c.id.clone()).collect();
    // A week back covers every child's week whatever its time zone.
    let since = Utc::now().date_naive() - Duration::days(8);
    let week: Vec<WeekDay> = daily_progress::table
        .filter(daily_progress::learner_id.eq_any(&ids))
        .filter(daily_progress::date.ge(since))
        .select(WeekDay::as_select())
        .load(conn)?;
    let logs: Vec<Seconds> = screen_time_logs::table
        .filter(screen_time_logs::learner_id.eq_any(&ids))
        .filter(screen_time_logs::date.ge(since))
        .select((
            screen_time_logs::learner_id,
            screen_time_logs::date,
            screen_time_logs::seconds,
        ))
        .load(conn)?;
    let grants: Vec<Seconds> = screen_time_grants::table
        .filter(screen_time_grants::learner_id.eq_any(&ids))
        .filter(screen_time_grants::date.ge(since))
        .select((
            screen_time_grants::learner_id,
            screen_time_grants::date,
            screen_time_grants::seconds,
        ))
        .load(conn)?;
    let limits: Vec<(String, Option<i32>)> = learner_settings::table
        .filter(learner_settings::learner_id.eq_any(&ids))
        .select((
            learner_settings::learner_id,
            learner_settings::daily_time_limit_seconds,
        ))
        .load(conn)?;
    let unlocked: Vec<Unlocked> = learner_achievements::table
        .inner_join(achievements::table)
        .filter(learner_achievements::learner_id.eq_any(&ids))
        .filter(learner_achievements::unlocked_at.ge(now() - Duration::days(7)))
        .select((
            learner_achievements::learner_id,
            achievements::id,
            achievements::title,
            learner_achievements::unlocked_at,
        ))
        .load(conn)?;
    let unread: Vec<(String, i64)> = notifications::table
        .filter(notifications::parent_id.eq(parent_id))
        .filter(notifications::read_at.is_null())
        .group_by(notifications::learner_id)
        .select((notifications::learner_id, diesel::dsl::count_star()))
        .load(conn)?;
    Ok(Family {
        children,
        week,
        logs,
        grants,
        limits,
        unlocked,
        unread,
    })
}

impl Family {
    /// The child's calendar day now (read once per child, so every figure is of one day).
    pub fn today_of(child: &LearnerRow) -> NaiveDate {
        local_date(parse_tz(&child.timezone), Utc::now())
    }

    /// Today's screen time as stored (the live actor may know more).
    pub fn used_today(&self, child: &LearnerRow, today: NaiveDate) -> i64 {
        self.logs
            .iter()
            .filter(|r| r.learner_id == child.id && r.date == today)
            .map(|l| l.seconds as i64)
            .sum()
    }

    /// One child at a glance on its `today`, with `used` seconds that day.
    pub fn glance(&self, c: LearnerRow, today: NaiveDate, used: i64) -> ChildGlance {
        let monday = today - Duration::days(today.weekday().num_days_from_monday() as i64);
        let bonus: i64 = self
            .grants
            .iter()
            .filter(|r| r.learner_id == c.id && r.date == today)
            .map(|g| g.seconds as i64)
            .sum();
        let limit = self
            .limits
            .iter()
            .find(|l| l.0 == c.id)
            .and_then(|l| l.1)
            .unwrap_or(crate::infra::db::models::DEFAULT_DAILY_LIMIT) as i64;
        let (done, answered, correct) = self
            .week
            .iter()
            .filter(|w| w.learner_id == c.id && w.date >= monday && w.date <= today)
            .fold((0i64, 0i64, 0i64), |a, w| {
                (
                    a.0 + w.activities_completed as i64,
                    a.1 + w.questions_answered as i64,
                    a.2 + w.questions_correct as i64,
                )
            });
        ChildGlance {
            time_today: TimeToday {
                used_seconds: used,
                limit_seconds: limit + bonus,
                bonus_seconds: bonus,
                left_seconds: (limit + bonus - used).max(0),
            },
            week: WeekSoFar {
                week: week_of(today),
                activities_completed: done,
                questions_answered: answered,
                accuracy: (answered > 0).then(|| correct as f64 * 100.0 / answered as f64),
            },
            new_achievements: self
                .unlocked
                .iter()
                .filter(|u| u.learner_id == c.id)
                .map(|u| RecentAchievement {
                    id: u.achievement_id.clone(),
                    title: u.title.clone(),
                    unlocked_at: u.unlocked_at.and_utc(),
                })
                .collect(),
            unread_notifications: self.unread.iter().find(|u| u.0 == c.id).map_or(0, |u| u.1),
            id: c.id,
            name: c.name,
        }
    }
}
