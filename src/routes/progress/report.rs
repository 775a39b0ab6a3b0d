//! The weekly report, as PDF and CSV.

use actix_web::{HttpResponse, web};
use chrono::{Duration, NaiveDate, Utc};
use diesel::prelude::*;
use studyhub_actors::screen_time::{local_date, parse_tz};

use super::days::WeekQuery;
use super::{parse_week, week_of};
use crate::auth::AuthUser;
use crate::auth::access::readable_learner;
use crate::db::models::LearnerRow;
use crate::db::schema::{
    achievements, activities, activity_sessions, learner_achievements, screen_time_logs,
};
use crate::error::{AppError, AppResult};
use crate::reports::{SessionLine, WeekReport};
use crate::state::AppState;

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
            let sessions: Vec<CompletedRow> = activity_sessions::table
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
