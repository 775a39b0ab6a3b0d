//! Study-page time (IGCSE pages).

use actix_web::{HttpResponse, web};
use chrono::Utc;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use studyhub_actors::screen_time::{local_date, parse_tz};
use utoipa::ToSchema;
use validator::Validate;

use crate::auth::LearnerAccess;
use crate::db::schema::page_progress;
use crate::engine::store::{ProgressDelta, add_progress};
use crate::error::AppResult;
use crate::extract::{Normalize, ValidJson};
use crate::state::AppState;
use crate::time::now;

/// The category study pages count under.
pub const PAGES_CATEGORY: &str = "pages";

/// A page's totals after this visit.
#[derive(Debug, Serialize, ToSchema)]
pub struct PageBody {
    pub page_id: String,
    pub title: String,
    /// All visits' seconds added up.
    pub seconds: i32,
    pub completed: bool,
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
    responses((status = 200, body = PageBody), (status = 404), (status = 422)))]
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
                &ProgressDelta {
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
            let (page_id, title, seconds, completed) = page_progress::table
                .find((&id, &page_id))
                .select((
                    page_progress::page_id,
                    page_progress::title,
                    page_progress::seconds,
                    page_progress::completed,
                ))
                .first(conn)?;
            Ok(PageBody {
                page_id,
                title,
                seconds,
                completed,
            })
        })
        .await?;
    if let Some(addr) = state.engine.live(&learner.id) {
        addr.study_seconds(seconds as u64);
    }
    Ok(HttpResponse::Ok().json(row))
}
