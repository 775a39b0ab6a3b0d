//! Day by day and week by week.

use actix_web::get;
use std::collections::BTreeMap;

use actix_web::{HttpResponse, web};
use chrono::{Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use studyhub_actors::screen_time::{local_date, parse_tz};
use utoipa::{IntoParams, ToSchema};

use crate::features::activities::sight_of;
use crate::features::auth::AuthUser;
use crate::features::auth::access::readable_learner;
use crate::features::progress::missed::{MissedQuestion, day_start_utc, most_missed};
use crate::features::progress::{Totals, day_rows, parse_week, week_of};
use crate::infra::db::models::DayProgress;
use crate::infra::error::{AppError, AppResult};
use crate::infra::time::check_day;
use crate::web::state::AppState;

/// One day's totals, and the same per category.
#[derive(Debug, Serialize, ToSchema)]
pub struct DayTotals {
    pub date: NaiveDate,
    #[serde(flatten)]
    pub totals: Totals,
    pub by_category: BTreeMap<String, Totals>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DailyProgress {
    pub learner_id: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// Every day from `from` to `to`, empty days included.
    pub days: Vec<DayTotals>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WeeklyProgress {
    pub learner_id: String,
    /// The ISO week, like `2026-W47`.
    pub week: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub totals: Totals,
    pub days: Vec<DayTotals>,
    /// The questions answered wrong most often this week (at most 5, most missed first),
    /// from activities the caller may see.
    pub most_missed: Vec<MissedQuestion>,
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

fn days_between(rows: Vec<DayProgress>, from: NaiveDate, to: NaiveDate) -> Vec<DayTotals> {
    let mut by_day: BTreeMap<NaiveDate, (Totals, BTreeMap<String, Totals>)> = BTreeMap::new();
    let mut d = from;
    while d <= to {
        by_day.insert(d, Default::default());
        d = d.succ_opt().expect("a date after");
    }
    for r in &rows {
        if let Some((t, cats)) = by_day.get_mut(&r.date) {
            t.add(r);
            cats.entry(r.category.clone()).or_default().add(r);
        }
    }
    by_day
        .into_iter()
        .map(|(date, (totals, by_category))| DayTotals {
            date,
            totals,
            by_category,
        })
        .collect()
}

/// Day by day, every day in the range (empty days included), at most 366 days.
#[utoipa::path(tag = "progress", params(DailyQuery), security(("bearer" = [])),
    responses((status = 200, body = DailyProgress), (status = 404), (status = 422)))]
#[get("/learners/{id}/progress/daily")]
pub async fn daily(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<String>,
    q: web::Query<DailyQuery>,
) -> AppResult<HttpResponse> {
    let learner = readable_learner(&state.learner_reads, user, path.into_inner().into()).await?;
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
    Ok(HttpResponse::Ok().json(DailyProgress {
        learner_id: learner.id,
        from,
        to,
        days: days_between(rows, from, to),
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct WeekQuery {
    /// ISO week, like `2026-W47`; default the current one (years 1970..9999; week 53 only in
    /// a year that has one).
    #[param(pattern = r"^(19[7-9][0-9]|[2-9][0-9]{3})-W(0[1-9]|[1-4][0-9]|5[0-2])$")]
    pub week: Option<String>,
}

/// One ISO week: its seven days, the totals, and the questions missed most often.
#[utoipa::path(tag = "progress", params(WeekQuery), security(("bearer" = [])),
    responses((status = 200, body = WeeklyProgress), (status = 404), (status = 422)))]
#[get("/learners/{id}/progress/weekly")]
pub async fn weekly(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<String>,
    q: web::Query<WeekQuery>,
) -> AppResult<HttpResponse> {
    let sight = sight_of(&state.db, Some(&user)).await?;
    let learner = readable_learner(&state.learner_reads, user, path.into_inner().into()).await?;
    let tz = parse_tz(&learner.timezone);
    let today = local_date(tz, Utc::now());
    let week = q.into_inner().week.unwrap_or_else(|| week_of(today));
    let (from, to) = parse_week(&week)?;
    // The week in the learner's own calendar, as the instants answers are stored with.
    let (start, end) = (
        day_start_utc(tz, from),
        day_start_utc(tz, to + Duration::days(1)),
    );
    let id = learner.id.clone();
    let (rows, missed) = state
        .db
        .run(move |conn| {
            let rows = day_rows(conn, &id, Some(from), Some(to))?;
            Ok((rows, most_missed(conn, &id, start, end, &sight)?))
        })
        .await?;
    let mut totals = Totals::default();
    rows.iter().for_each(|r| totals.add(r));
    Ok(HttpResponse::Ok().json(WeeklyProgress {
        learner_id: learner.id,
        week,
        from,
        to,
        totals,
        days: days_between(rows, from, to),
        most_missed: missed,
    }))
}
