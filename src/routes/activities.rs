//! The activity catalog: public views only. Answer keys and explanations never leave the
//! server here; they are sent in `feedback`, after a question was answered.

use actix_web::{HttpResponse, web};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::db::models::ActivityRow;
use crate::db::schema::activities;
use crate::engine::content::activity_from_row;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/activities", web::get().to(list))
        .route("/activities/{id}", web::get().to(get_one));
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct ActivityFilter {
    pub category: Option<String>,
    pub sub_category: Option<String>,
    /// 1 (easiest) to 5.
    pub difficulty: Option<i32>,
    /// Only activities suitable for this age.
    pub age: Option<i32>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ActivitySummary {
    pub id: String,
    pub title: String,
    pub description: String,
    pub category: String,
    pub sub_category: Option<String>,
    pub difficulty: i32,
    pub age_min: i32,
    pub age_max: i32,
    pub question_count: usize,
}

/// The catalog, filtered.
#[utoipa::path(get, path = "/v1/activities", tag = "activities", params(ActivityFilter),
    responses((status = 200, body = [ActivitySummary])))]
pub async fn list(
    state: web::Data<AppState>,
    filter: web::Query<ActivityFilter>,
) -> AppResult<HttpResponse> {
    let f = filter.into_inner();
    let rows = state
        .db
        .run(move |conn| {
            let mut q = activities::table.into_boxed();
            if let Some(c) = f.category {
                q = q.filter(activities::category.eq(c));
            }
            if let Some(s) = f.sub_category {
                q = q.filter(activities::sub_category.eq(s));
            }
            if let Some(d) = f.difficulty {
                q = q.filter(activities::difficulty.eq(d));
            }
            if let Some(age) = f.age {
                q = q
                    .filter(activities::age_min.le(age))
                    .filter(activities::age_max.ge(age));
            }
            q.order((
                activities::category.asc(),
                activities::difficulty.asc(),
                activities::id.asc(),
            ))
            .select(ActivityRow::as_select())
            .load(conn)
            .map_err(AppError::from)
        })
        .await?;
    let list: Vec<ActivitySummary> = rows
        .into_iter()
        .filter_map(|r| activity_from_row(r).ok())
        .map(|a| ActivitySummary {
            question_count: a.content.questions.len(),
            id: a.id,
            title: a.title,
            description: a.description,
            category: a.category,
            sub_category: a.sub_category,
            difficulty: a.difficulty,
            age_min: a.age_min,
            age_max: a.age_max,
        })
        .collect();
    Ok(HttpResponse::Ok().json(list))
}

/// One activity with its questions (no answers, no explanations).
#[utoipa::path(get, path = "/v1/activities/{id}", tag = "activities",
    responses((status = 200, description = "the public activity"), (status = 404)))]
pub async fn get_one(
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let activity = state
        .content
        .get(&path.into_inner())
        .await
        .map_err(|e| AppError::db_unavailable(anyhow::anyhow!(e)))?
        .ok_or_else(|| AppError::not_found("activity"))?;
    Ok(HttpResponse::Ok().json(activity.public()))
}
