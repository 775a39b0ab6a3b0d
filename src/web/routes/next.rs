//! `GET /v1/learners/{id}/next`: the activity to play next (rules in
//! `studyhub_actors::next_activity`), from the learner's live actor when it has one.

use actix_web::get;
use std::sync::Arc;
use utoipa_actix_web::service_config::ServiceConfig;

use actix_web::{HttpResponse, web};
use serde::Serialize;
use studyhub_actors::next_activity::{CatalogEntry, LearnerTraits};
use studyhub_actors::store::Activity;
use studyhub_actors::visibility::Sight;
use utoipa::ToSchema;

use crate::features::activities;
use crate::features::auth::AuthUser;
use crate::features::auth::access::readable_learner;
use crate::infra::error::{AppError, AppResult, Code, ErrorKind};
use crate::web::state::AppState;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(next);
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NextView {
    pub activity_id: String,
    /// `start_here`, `harder`, `easier`, `keep_going` or `new_interest`.
    pub reason: String,
}

/// The catalog as choosing sees it: what the learner may see (`sight`). A learner with no
/// age (a student account) fits every activity's age range.
fn catalog_for(all: &[Arc<Activity>], sight: &Sight, age: Option<i32>) -> (Vec<CatalogEntry>, i32) {
    let entries = all
        .iter()
        .filter(|a| !a.archived && a.visible_to(sight))
        .map(|a| CatalogEntry {
            id: a.id.clone(),
            category: a.category.clone(),
            sub_category: a.sub_category.clone(),
            difficulty: a.difficulty,
            age_min: if age.is_some() { a.age_min } else { i32::MIN },
            age_max: if age.is_some() { a.age_max } else { i32::MAX },
            archived: false,
        })
        .collect();
    (entries, age.unwrap_or(0))
}

/// The activity to play next: harder after two completions at ≥ 90 % in a row, easier after
/// one under 50 %, otherwise the same level; within the learner's age, leaning to their
/// interests; never an archived one.
#[utoipa::path(tag = "progress", security(("bearer" = [])),
    params(("id" = String, Path, description = "the learner")),
    responses((status = 200, body = NextView),
        (status = 404, description = "not a learner you may read (`not_found`), or an empty catalog (`no_activity`)")))]
#[get("/learners/{id}/next")]
pub async fn next(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let learner = readable_learner(&state.learner_reads, user, path.into_inner().into()).await?;
    let interests: Vec<String> = serde_json::from_str(&learner.interests).unwrap_or_default();
    let catalog = state
        .content
        .catalog()
        .await
        .map_err(|e| AppError::db_unavailable(anyhow::anyhow!(e)))?;
    let sight = activities::learner_sight(&state.db, &learner.id).await?;
    let (entries, age) = catalog_for(&catalog, &sight, learner.age);
    let next = state
        .engine
        .next_activity(
            &learner.learner_id(),
            LearnerTraits { age, interests },
            Arc::new(entries),
        )
        .await
        .map_err(AppError::from)?
        .ok_or_else(|| {
            AppError::new(
                ErrorKind::NotFound,
                Code::NoActivity,
                "the catalog has no activity to start",
            )
        })?;
    Ok(HttpResponse::Ok().json(NextView {
        activity_id: next.activity_id,
        reason: next.reason.as_str().to_string(),
    }))
}
