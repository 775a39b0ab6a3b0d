//! Progress: totals, streaks and accuracy; day-by-day and week views; study pages; and the
//! parent's dashboard. All of it reads the daily progress rows the group commit keeps up to
//! date, never the whole answer history.

use std::collections::{BTreeMap, HashMap};

use actix_web::{HttpResponse, web};
use chrono::{Datelike, Duration, NaiveDate, Utc, Weekday};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use studyhub_actors::learner::{StudySeconds, TimeNow};
use studyhub_actors::screen_time::{local_date, parse_tz};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::auth::{AuthUser, LearnerAccess, ParentUser, Role};
use crate::db::DbConnection;
use crate::db::models::LearnerRow;
use crate::db::schema::{
    achievements, activities, activity_sessions, class_members, classes, daily_progress,
    learner_achievements, learner_settings, learners, notifications, page_progress,
    screen_time_grants, screen_time_logs,
};
use crate::engine::store::{ProgressDeltaInput, add_progress};
use crate::error::{AppError, AppResult, ErrorKind};
use crate::extract::{Normalize, ValidJson};
use crate::reports::{SessionLine, WeekReport};
use crate::state::AppState;
use crate::time::{check_day, now};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/learners/{id}/progress", web::get().to(progress))
        .route("/learners/{id}/progress/daily", web::get().to(daily))
        .route("/learners/{id}/progress/weekly", web::get().to(weekly))
        .route("/learners/{id}/pages", web::post().to(pages))
        .route("/learners/{id}/report.pdf", web::get().to(report_pdf))
        .route("/learners/{id}/report.csv", web::get().to(report_csv))
        .route("/parent/dashboard", web::get().to(dashboard));
}

/// The category study pages count under.
pub const PAGES_CATEGORY: &str = "pages";

/// A learner the caller may read: its parent, the student themself, or a teacher of one of
/// its classes. Anyone else gets 404.
pub async fn readable_learner(
    state: &AppState,
    user: AuthUser,
    id: String,
) -> AppResult<LearnerRow> {
    match LearnerAccess::load(state, user.clone(), id.clone()).await {
        Ok(a) => return Ok(a.learner),
        Err(e) if e.kind != ErrorKind::NotFound => return Err(e),
        Err(_) => {}
    }
    if user.role != Role::Teacher {
        return Err(AppError::not_found("learner"));
    }
    state
        .db
        .run(move |conn| {
            learners::table
                .inner_join(class_members::table.inner_join(classes::table))
                .filter(learners::id.eq(&id))
                .filter(classes::teacher_id.eq(&user.id))
                .select(LearnerRow::as_select())
                .first(conn)
                .optional()?
                .ok_or_else(|| AppError::not_found("learner"))
        })
        .await
}

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

type DayRow = (NaiveDate, String, i32, i32, i32, i32, i32, i32);

impl Totals {
    fn add(&mut self, r: &DayRow) {
        self.activities_completed += r.2 as i64;
        self.questions_answered += r.3 as i64;
        self.questions_correct += r.4 as i64;
        self.study_seconds += r.5 as i64;
        self.stars += r.6 as i64;
        self.points += r.7 as i64;
        self.accuracy = (self.questions_answered > 0)
            .then(|| self.questions_correct as f64 * 100.0 / self.questions_answered as f64);
    }
}

fn day_rows(
    conn: &mut DbConnection,
    learner_id: &str,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> QueryResult<Vec<DayRow>> {
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
        .select((
            daily_progress::date,
            daily_progress::category,
            daily_progress::activities_completed,
            daily_progress::questions_answered,
            daily_progress::questions_correct,
            daily_progress::study_seconds,
            daily_progress::stars,
            daily_progress::points,
        ))
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

/// Totals, streaks and stars; `average_accuracy` averages the latest completed session of
/// each activity. Five queries, whatever the history's length.
#[utoipa::path(get, path = "/v1/learners/{id}/progress", tag = "progress", security(("bearer" = [])), responses((status = 200), (status = 404)))]
pub async fn progress(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let learner = readable_learner(&state, user, path.into_inner()).await?;
    let today = local_date(parse_tz(&learner.timezone), Utc::now());
    let id = learner.id.clone();
    let body = state
        .db
        .run(move |conn| {
            let rows = day_rows(conn, &id, None, None)?;
            let sessions: Vec<(String, String, Option<f64>, Option<chrono::NaiveDateTime>)> =
                activity_sessions::table
                    .inner_join(activities::table)
                    .filter(activity_sessions::learner_id.eq(&id))
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
                .filter(learner_achievements::learner_id.eq(&id))
                .select(diesel::dsl::sum(achievements::reward_points))
                .first(conn)?;
            let pages: Vec<i32> = page_progress::table
                .filter(page_progress::learner_id.eq(&id))
                .select(page_progress::seconds)
                .load(conn)?;
            let mut total = Totals::default();
            let mut by_category: BTreeMap<String, Totals> = BTreeMap::new();
            let mut days: Vec<NaiveDate> = Vec::new();
            for r in &rows {
                total.add(r);
                by_category.entry(r.1.clone()).or_default().add(r);
                if r.2 > 0 && days.last() != Some(&r.0) {
                    days.push(r.0);
                }
            }
            // Latest completed session per activity.
            let mut latest: HashMap<String, (String, f64, chrono::NaiveDateTime)> = HashMap::new();
            for (activity, category, accuracy, ended) in sessions {
                let (Some(acc), Some(ended)) = (accuracy, ended) else {
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
            let mut cats = serde_json::Map::new();
            for (cat, t) in by_category {
                let cat_avg = avg(latest
                    .values()
                    .filter(|v| v.0 == cat)
                    .map(|v| v.1)
                    .collect());
                let mut v = serde_json::to_value(&t).unwrap_or_default();
                v["average_accuracy"] = json!(cat_avg);
                cats.insert(cat, v);
            }
            let page_seconds: i64 = pages.iter().map(|s| *s as i64).sum();
            Ok(json!({
                "learner_id": id,
                "activities_completed": total.activities_completed,
                "questions_answered": total.questions_answered,
                "questions_correct": total.questions_correct,
                "average_accuracy": average_accuracy,
                "study_seconds": total.study_seconds,
                "page_seconds": page_seconds,
                "current_streak_days": current,
                "longest_streak_days": longest,
                "stars": total.stars,
                "points": total.points + reward.unwrap_or(0),
                "by_category": cats,
            }))
        })
        .await?;
    Ok(HttpResponse::Ok().json(body))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DailyQuery {
    /// First day (the learner's calendar), default 6 days before `to`; years 1970..9999,
    /// at most 366 days before `to` (422).
    #[param(pattern = r"^(19[7-9][0-9]|[2-9][0-9]{3})-")]
    pub from: Option<NaiveDate>,
    /// Last day, default today.
    #[param(pattern = r"^(19[7-9][0-9]|[2-9][0-9]{3})-")]
    pub to: Option<NaiveDate>,
}

fn days_between(rows: Vec<DayRow>, from: NaiveDate, to: NaiveDate) -> Vec<Value> {
    let mut by_day: BTreeMap<NaiveDate, (Totals, BTreeMap<String, Totals>)> = BTreeMap::new();
    let mut d = from;
    while d <= to {
        by_day.insert(d, Default::default());
        d = d.succ_opt().expect("a date after");
    }
    for r in &rows {
        if let Some((t, cats)) = by_day.get_mut(&r.0) {
            t.add(r);
            cats.entry(r.1.clone()).or_default().add(r);
        }
    }
    by_day
        .into_iter()
        .map(|(date, (t, cats))| {
            let mut v = serde_json::to_value(&t).unwrap_or_default();
            v["date"] = json!(date);
            v["by_category"] = json!(cats);
            v
        })
        .collect()
}

/// Day by day, every day in the range (empty days included), at most 366 days.
#[utoipa::path(get, path = "/v1/learners/{id}/progress/daily", tag = "progress", params(DailyQuery), security(("bearer" = [])),
    responses((status = 200), (status = 404), (status = 422)))]
pub async fn daily(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<String>,
    q: web::Query<DailyQuery>,
) -> AppResult<HttpResponse> {
    let learner = readable_learner(&state, user, path.into_inner()).await?;
    let today = local_date(parse_tz(&learner.timezone), Utc::now());
    let to = check_day(q.to.unwrap_or(today), "to")?;
    let from = match q.from {
        Some(from) => check_day(from, "from")?,
        None => to - Duration::days(6),
    };
    if from > to {
        return Err(AppError::invalid_field("from", "must not be after `to`"));
    }
    if (to - from).num_days() > 365 {
        return Err(AppError::invalid_field("to", "at most 366 days at once"));
    }
    let id = learner.id.clone();
    let rows = state
        .db
        .run(move |conn| Ok(day_rows(conn, &id, Some(from), Some(to))?))
        .await?;
    Ok(HttpResponse::Ok().json(json!({"learner_id": learner.id, "from": from, "to": to, "days": days_between(rows, from, to)})))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct WeekQuery {
    /// ISO week, like `2026-W47`; default the current one (years 1970..9999; week 53 only in
    /// a year that has one).
    #[param(pattern = r"^(19[7-9][0-9]|[2-9][0-9]{3})-W(0[1-9]|[1-4][0-9]|5[0-2])$")]
    pub week: Option<String>,
}

/// Monday..Sunday of an ISO week written `YYYY-Www`.
/// 422 when it is not a week; 400 when it is one outside [`crate::time::YEARS`].
pub fn parse_week(s: &str) -> AppResult<(NaiveDate, NaiveDate)> {
    let malformed = || AppError::invalid_field("week", "an ISO week like 2026-W47");
    let (y, w) = s.trim().split_once("-W").ok_or_else(malformed)?;
    let (y, w): (i32, u32) = (
        y.parse().map_err(|_| malformed())?,
        w.parse().map_err(|_| malformed())?,
    );
    if !crate::time::YEARS.contains(&y) {
        return Err(crate::time::check_day(NaiveDate::MIN, "week").unwrap_err());
    }
    let monday = NaiveDate::from_isoywd_opt(y, w, Weekday::Mon).ok_or_else(malformed)?;
    Ok((monday, monday + Duration::days(6)))
}

pub fn week_of(d: NaiveDate) -> String {
    let iw = d.iso_week();
    format!("{}-W{:02}", iw.year(), iw.week())
}

/// One ISO week: its seven days and the totals.
#[utoipa::path(get, path = "/v1/learners/{id}/progress/weekly", tag = "progress", params(WeekQuery), security(("bearer" = [])),
    responses((status = 200), (status = 404), (status = 422)))]
pub async fn weekly(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<String>,
    q: web::Query<WeekQuery>,
) -> AppResult<HttpResponse> {
    let learner = readable_learner(&state, user, path.into_inner()).await?;
    let today = local_date(parse_tz(&learner.timezone), Utc::now());
    let week = q.into_inner().week.unwrap_or_else(|| week_of(today));
    let (from, to) = parse_week(&week)?;
    let id = learner.id.clone();
    let rows = state
        .db
        .run(move |conn| Ok(day_rows(conn, &id, Some(from), Some(to))?))
        .await?;
    let mut totals = Totals::default();
    rows.iter().for_each(|r| totals.add(r));
    Ok(HttpResponse::Ok().json(json!({
        "learner_id": learner.id, "week": week, "from": from, "to": to,
        "totals": totals, "days": days_between(rows, from, to),
    })))
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
pub struct PageRequest {
    #[validate(length(min = 1, max = 100, message = "between 1 and 100 characters"))]
    #[schema(min_length = 1, max_length = 100, pattern = r"\S")]
    pub page_id: String,
    #[validate(length(min = 1, max = 200, message = "between 1 and 200 characters"))]
    #[schema(min_length = 1, max_length = 200, pattern = r"\S")]
    pub title: String,
    /// Seconds spent on the page in this visit (added up).
    #[validate(range(min = 0, max = 14_400, message = "between 0 and 14400"))]
    #[schema(minimum = 0, maximum = 14_400)]
    pub seconds: i32,
    #[serde(default)]
    pub completed: bool,
}
impl Normalize for PageRequest {
    fn normalize(&mut self) {
        self.page_id = self.page_id.trim().to_string();
        self.title = self.title.trim().to_string();
    }
}

/// Study-page time (IGCSE pages): added to the page's total and to today's study time.
#[utoipa::path(post, path = "/v1/learners/{id}/pages", tag = "progress", request_body = PageRequest, security(("bearer" = [])),
    responses((status = 200, description = "{page_id, title, seconds, completed}"), (status = 404), (status = 422)))]
pub async fn pages(
    state: web::Data<AppState>,
    access: LearnerAccess,
    body: ValidJson<PageRequest>,
) -> AppResult<HttpResponse> {
    let b = body.0;
    let learner = access.learner;
    let date = local_date(parse_tz(&learner.timezone), Utc::now());
    let id = learner.id.clone();
    let (page_id, title, seconds, completed) = (b.page_id, b.title, b.seconds, b.completed);
    let row = state
        .db
        .transaction(move |conn| {
            let t = now();
            crate::on_backend!(conn, |c| diesel::insert_into(page_progress::table)
                .values((
                    page_progress::learner_id.eq(&id),
                    page_progress::page_id.eq(&page_id),
                    page_progress::title.eq(&title),
                    page_progress::seconds.eq(seconds),
                    page_progress::completed.eq(completed),
                    page_progress::created_at.eq(t),
                    page_progress::updated_at.eq(t),
                ))
                .on_conflict((page_progress::learner_id, page_progress::page_id))
                .do_update()
                .set((
                    page_progress::title.eq(&title),
                    page_progress::seconds.eq(page_progress::seconds + seconds),
                    page_progress::completed.eq(page_progress::completed.or(
                        diesel::IntoSql::into_sql::<diesel::sql_types::Bool>(completed)
                    )),
                    page_progress::updated_at.eq(t),
                ))
                .execute(c))?;
            add_progress(
                conn,
                &ProgressDeltaInput {
                    learner_id: id.clone(),
                    date,
                    category: PAGES_CATEGORY.into(),
                    activities_completed: 0,
                    questions_answered: 0,
                    questions_correct: 0,
                    study_seconds: seconds,
                    stars: 0,
                    points: 0,
                },
            )?;
            let row: (String, String, i32, bool) = page_progress::table
                .find((&id, &page_id))
                .select((
                    page_progress::page_id,
                    page_progress::title,
                    page_progress::seconds,
                    page_progress::completed,
                ))
                .first(conn)?;
            Ok(row)
        })
        .await?;
    if let Some(addr) = state.engine.live(&learner.id) {
        addr.do_send(StudySeconds {
            seconds: seconds as u64,
        });
    }
    Ok(HttpResponse::Ok()
        .json(json!({"page_id": row.0, "title": row.1, "seconds": row.2, "completed": row.3})))
}

/// Per child: time today, activities and accuracy this week (ISO, the child's calendar), new
/// achievements (last 7 days) and unread notifications. Seven queries for the whole family,
/// whatever its size (children, week rows, screen time, grants, settings, unlocks, unread).
#[utoipa::path(get, path = "/v1/parent/dashboard", tag = "progress", security(("bearer" = [])), responses((status = 200), (status = 403)))]
pub async fn dashboard(state: web::Data<AppState>, parent: ParentUser) -> AppResult<HttpResponse> {
    let pid = parent.0.id.clone();
    let (children, week, logs, grants, limits, unlocked, unread) = state
        .db
        .run(move |conn| {
            let children: Vec<LearnerRow> = learners::table
                .filter(learners::parent_id.eq(&pid))
                .order(learners::created_at.asc())
                .select(LearnerRow::as_select())
                .load(conn)?;
            let ids: Vec<String> = children.iter().map(|c| c.id.clone()).collect();
            // A week back covers every child's week whatever its time zone.
            let since = Utc::now().date_naive() - Duration::days(8);
            let week: Vec<(String, NaiveDate, i32, i32, i32)> = daily_progress::table
                .filter(daily_progress::learner_id.eq_any(&ids))
                .filter(daily_progress::date.ge(since))
                .select((
                    daily_progress::learner_id,
                    daily_progress::date,
                    daily_progress::activities_completed,
                    daily_progress::questions_answered,
                    daily_progress::questions_correct,
                ))
                .load(conn)?;
            let logs: Vec<(String, NaiveDate, i32)> = screen_time_logs::table
                .filter(screen_time_logs::learner_id.eq_any(&ids))
                .filter(screen_time_logs::date.ge(since))
                .select((
                    screen_time_logs::learner_id,
                    screen_time_logs::date,
                    screen_time_logs::seconds,
                ))
                .load(conn)?;
            let grants: Vec<(String, NaiveDate, i32)> = screen_time_grants::table
                .filter(screen_time_grants::learner_id.eq_any(&ids))
                .filter(screen_time_grants::date.ge(since))
                .select((
                    screen_time_grants::learner_id,
                    screen_time_grants::date,
                    screen_time_grants::seconds,
                ))
                .load(conn)?;
            let limits: Vec<(String, i32)> = learner_settings::table
                .filter(learner_settings::learner_id.eq_any(&ids))
                .select((
                    learner_settings::learner_id,
                    learner_settings::daily_time_limit_seconds,
                ))
                .load(conn)?;
            let unlocked: Vec<(String, String, String, chrono::NaiveDateTime)> =
                learner_achievements::table
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
                .filter(notifications::parent_id.eq(&pid))
                .filter(notifications::read_at.is_null())
                .group_by(notifications::learner_id)
                .select((notifications::learner_id, diesel::dsl::count_star()))
                .load(conn)?;
            Ok((children, week, logs, grants, limits, unlocked, unread))
        })
        .await?;
    let mut out = Vec::with_capacity(children.len());
    for c in children {
        let today = local_date(parse_tz(&c.timezone), Utc::now());
        let monday = today - Duration::days(today.weekday().num_days_from_monday() as i64);
        let mut used: i64 = logs
            .iter()
            .filter(|l| l.0 == c.id && l.1 == today)
            .map(|l| l.2 as i64)
            .sum();
        if let Some(addr) = state.engine.live(&c.id)
            && let Ok(view) = addr.send(TimeNow).await
        {
            used = used.max(view.used_seconds as i64);
        }
        let bonus: i64 = grants
            .iter()
            .filter(|g| g.0 == c.id && g.1 == today)
            .map(|g| g.2 as i64)
            .sum();
        let limit = limits.iter().find(|l| l.0 == c.id).map_or(3600, |l| l.1) as i64;
        let (done, answered, correct) = week
            .iter()
            .filter(|w| w.0 == c.id && w.1 >= monday && w.1 <= today)
            .fold((0i64, 0i64, 0i64), |a, w| {
                (a.0 + w.2 as i64, a.1 + w.3 as i64, a.2 + w.4 as i64)
            });
        out.push(json!({
            "id": c.id,
            "name": c.name,
            "time_today": {"used_seconds": used, "limit_seconds": limit + bonus, "bonus_seconds": bonus, "left_seconds": (limit + bonus - used).max(0)},
            "week": {"week": week_of(today), "activities_completed": done, "questions_answered": answered,
                     "accuracy": if answered > 0 { Some(correct as f64 * 100.0 / answered as f64) } else { None }},
            "new_achievements": unlocked.iter().filter(|u| u.0 == c.id).map(|u| json!({"id": u.1, "title": u.2, "unlocked_at": u.3.and_utc()})).collect::<Vec<_>>(),
            "unread_notifications": unread.iter().find(|u| u.0 == c.id).map_or(0, |u| u.1),
        }));
    }
    Ok(HttpResponse::Ok().json(json!({"children": out})))
}

/// Gathers one week of a learner for the report (three queries).
async fn week_report(
    state: &AppState,
    learner: LearnerRow,
    week: Option<String>,
) -> AppResult<WeekReport> {
    let tz = parse_tz(&learner.timezone);
    let today = local_date(tz, Utc::now());
    let week = week.unwrap_or_else(|| week_of(today));
    let (from, to) = parse_week(&week)?;
    let id = learner.id.clone();
    // A day either side in UTC covers the learner's week in any time zone.
    let (lo, hi) = (
        (from - Duration::days(1)).and_hms_opt(0, 0, 0).unwrap(),
        (to + Duration::days(2)).and_hms_opt(0, 0, 0).unwrap(),
    );
    let (logs, sessions, unlocked) = state
        .db
        .run(move |conn| {
            let logs: Vec<(NaiveDate, i32)> = screen_time_logs::table
                .filter(screen_time_logs::learner_id.eq(&id))
                .filter(screen_time_logs::date.between(from, to))
                .select((screen_time_logs::date, screen_time_logs::seconds))
                .load(conn)?;
            let sessions: Vec<(
                String,
                String,
                Option<f64>,
                Option<i32>,
                Option<i32>,
                Option<chrono::NaiveDateTime>,
            )> = activity_sessions::table
                .inner_join(activities::table)
                .filter(activity_sessions::learner_id.eq(&id))
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
                .filter(learner_achievements::learner_id.eq(&id))
                .filter(learner_achievements::unlocked_at.between(lo, hi))
                .order(learner_achievements::unlocked_at.asc())
                .select((achievements::title, learner_achievements::unlocked_at))
                .load(conn)?;
            Ok((logs, sessions, unlocked))
        })
        .await?;
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
            .filter_map(|(activity, category, accuracy, stars, duration, ended)| {
                let date = local(ended?);
                (date >= from && date <= to).then(|| SessionLine {
                    date,
                    activity,
                    category,
                    accuracy: accuracy.unwrap_or(0.0),
                    stars: stars.unwrap_or(0),
                    duration_seconds: duration.unwrap_or(0) as i64,
                })
            })
            .collect(),
        achievements: unlocked
            .into_iter()
            .map(|(t, at)| (t, local(at)))
            .filter(|(_, d)| *d >= from && *d <= to)
            .collect(),
    })
}

/// The week as a printable PDF: time per day (with a chart), activities with accuracy and
/// stars, achievements.
#[utoipa::path(get, path = "/v1/learners/{id}/report.pdf", tag = "progress", params(WeekQuery), security(("bearer" = [])),
    responses((status = 200, content_type = "application/pdf"), (status = 404), (status = 422)))]
pub async fn report_pdf(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<String>,
    q: web::Query<WeekQuery>,
) -> AppResult<HttpResponse> {
    let learner = readable_learner(&state, user, path.into_inner()).await?;
    let report = week_report(&state, learner, q.into_inner().week).await?;
    let name = format!("report-{}.pdf", report.week);
    let bytes = web::block(move || report.pdf())
        .await
        .map_err(AppError::internal)?;
    Ok(HttpResponse::Ok()
        .content_type("application/pdf")
        .insert_header((
            "Content-Disposition",
            format!("inline; filename=\"{name}\""),
        ))
        .body(bytes))
}

/// The week as CSV, one row per day.
#[utoipa::path(get, path = "/v1/learners/{id}/report.csv", tag = "progress", params(WeekQuery), security(("bearer" = [])),
    responses((status = 200, content_type = "text/csv"), (status = 404), (status = 422)))]
pub async fn report_csv(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<String>,
    q: web::Query<WeekQuery>,
) -> AppResult<HttpResponse> {
    let learner = readable_learner(&state, user, path.into_inner()).await?;
    let report = week_report(&state, learner, q.into_inner().week).await?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            "Content-Disposition",
            format!("attachment; filename=\"report-{}.csv\"", report.week),
        ))
        .body(report.csv()))
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
