//! The weekly report, as PDF and CSV.

use actix_web::get;
use actix_web::{HttpResponse, web};
use chrono::Utc;
use studyhub_actors::screen_time::{local_date, parse_tz};
use studyhub_actors::visibility::Sight;

use super::days::WeekQuery;
use super::{parse_week, week_of};
use crate::features::activities::sight_of;
use crate::features::auth::AuthUser;
use crate::features::auth::access::readable_learner;
use crate::features::progress::report::week_report;
use crate::features::reports::WeekReport;
use crate::infra::db::models::LearnerRow;
use crate::infra::error::{AppError, AppResult};
use crate::web::state::AppState;

/// The asked week (default: the learner's current one), read.
async fn read_week(
    state: &AppState,
    learner: LearnerRow,
    week: Option<String>,
    sight: Sight,
) -> AppResult<WeekReport> {
    let today = local_date(parse_tz(&learner.timezone), Utc::now());
    let week = week.unwrap_or_else(|| week_of(today));
    let days = parse_week(&week)?;
    state
        .db
        .run(move |conn| Ok(week_report(conn, learner, week, days, &sight)?))
        .await
}

/// The week as a printable PDF: time per day (with a chart), activities with accuracy and
/// stars, the questions missed most (those of activities the reader may see), achievements.
#[utoipa::path(tag = "progress", params(WeekQuery), security(("bearer" = [])),
    responses((status = 200, content_type = "application/pdf"), (status = 404), (status = 422)))]
#[get("/learners/{id}/report.pdf")]
pub async fn report_pdf(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<String>,
    q: web::Query<WeekQuery>,
) -> AppResult<HttpResponse> {
    let sight = sight_of(&state.db, Some(&user)).await?;
    let learner = readable_learner(&state.learner_reads, user, path.into_inner().into()).await?;
    let report = read_week(&state, learner, q.into_inner().week, sight).await?;
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
#[utoipa::path(tag = "progress", params(WeekQuery), security(("bearer" = [])),
    responses((status = 200, content_type = "text/csv"), (status = 404), (status = 422)))]
#[get("/learners/{id}/report.csv")]
pub async fn report_csv(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<String>,
    q: web::Query<WeekQuery>,
) -> AppResult<HttpResponse> {
    let sight = sight_of(&state.db, Some(&user)).await?;
    let learner = readable_learner(&state.learner_reads, user, path.into_inner().into()).await?;
    let report = read_week(&state, learner, q.into_inner().week, sight).await?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            "Content-Disposition",
            format!("attachment; filename=\"report-{}.csv\"", report.week),
        ))
        .body(report.csv()))
}
