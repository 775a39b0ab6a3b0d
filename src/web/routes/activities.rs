//! The activity catalog: public views only. Answer keys and explanations never leave the
//! server here; they are sent in `feedback`, after a question was answered.

use actix_web::{HttpRequest, HttpResponse, web};
use actix_web::{delete, get, post, put};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::scope;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::features::activities;
use crate::features::audit::{self, Change, RequestMeta};
use crate::features::auth::access::readable_learner;
use crate::features::auth::{AuthUser, Role, TeacherUser, bearer_token};
use crate::infra::content_cache::activity_from_row;
use crate::infra::db::models::ActivityRow;
use crate::infra::error::{AppError, AppResult, Code};
use crate::web::extract::{JsonLimit, ValidJson};
use crate::web::extractors::authenticate;
use crate::web::state::AppState;
use studyhub_actors::protocol::PublicActivity;
use studyhub_actors::store::Activity;
use studyhub_actors::visibility::{Sight, Visibility};

pub use self::request::{ActivityRequest, validate_activity};
use self::request::{content_of, slug_of};

/// Authored activities may carry up to 50 questions of up to 2 000 characters each.
const ACTIVITY_BODY_LIMIT: usize = 512 * 1024;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(
        scope("/activities")
            .app_data(JsonLimit(ACTIVITY_BODY_LIMIT))
            .service(list)
            .service(create)
            .service(get_one)
            .service(update)
            .service(delete)
            .service(authoring::publish)
            .service(authoring::source),
    );
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ActivityFilter {
    #[param(max_length = 50)]
    pub category: Option<String>,
    #[param(max_length = 50)]
    pub sub_category: Option<String>,
    /// 1 (easiest) to 5.
    #[param(minimum = 1, maximum = 5)]
    pub difficulty: Option<i32>,
    /// Only activities suitable for this age.
    #[param(minimum = 2, maximum = 18)]
    pub age: Option<i32>,
    /// At most this many (default 100, at most 200).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<usize>,
    /// The next page: the id of the last activity of the previous one (422 when no activity
    /// has this id).
    #[param(
        min_length = 3,
        max_length = 100,
        pattern = r"^[a-z0-9][a-z0-9-]*[a-z0-9]$"
    )]
    pub after: Option<String>,
    /// The catalog as this learner sees it (one the caller may play as or read).
    #[param(value_type = Option<String>, max_length = 100)]
    pub learner_id: Option<String>,
    /// Only the caller's own activities (a teacher's list to edit).
    pub mine: Option<bool>,
}

pub const DEFAULT_PAGE: usize = 100;
pub const MAX_PAGE: usize = 200;

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
    pub visibility: Visibility,
}

/// The caller when a token is sent (the catalog is also open to everyone, public only).
async fn caller(req: &HttpRequest) -> AppResult<Option<AuthUser>> {
    match bearer_token(req) {
        Some(_) => Ok(Some(authenticate(req).await?)),
        None => Ok(None),
    }
}

/// What this request may see: the learner's view when `learner_id` is given, else the caller's.
async fn sight(
    state: &AppState,
    req: &HttpRequest,
    learner_id: Option<String>,
) -> AppResult<Sight> {
    let user = caller(req).await?;
    match (learner_id, user) {
        (Some(id), Some(user)) => {
            let learner = readable_learner(&state.learner_reads, user, id.into()).await?;
            activities::learner_sight(&state.db, &learner.id).await
        }
        (Some(_), None) => Err(AppError::unauthorized(
            Code::Unauthenticated,
            "sign in to see a learner's catalog",
        )),
        (None, user) => activities::sight_of(&state.db, user.as_ref()).await,
    }
}

/// The catalog, filtered: what the caller (or the learner asked for) may see.
#[utoipa::path(tag = "activities", params(ActivityFilter), security((), ("bearer" = [])),
    responses((status = 200, body = [ActivitySummary]), (status = 401), (status = 404, description = "a learner you may not read")))]
#[get("")]
pub async fn list(
    state: web::Data<AppState>,
    req: HttpRequest,
    filter: web::Query<ActivityFilter>,
) -> AppResult<HttpResponse> {
    let f = filter.into_inner();
    for (name, value) in [("category", &f.category), ("sub_category", &f.sub_category)] {
        if value.as_ref().is_some_and(|v| v.chars().count() > 50) {
            return Err(AppError::invalid_field(name, "at most 50 characters"));
        }
    }
    if f.difficulty.is_some_and(|d| !(1..=5).contains(&d)) {
        return Err(AppError::invalid_field("difficulty", "between 1 and 5"));
    }
    if f.age.is_some_and(|a| !(2..=18).contains(&a)) {
        return Err(AppError::invalid_field("age", "between 2 and 18"));
    }
    let limit = f.limit.unwrap_or(DEFAULT_PAGE);
    if !(1..=MAX_PAGE).contains(&limit) {
        return Err(AppError::invalid_field(
            "limit",
            format!("between 1 and {MAX_PAGE}"),
        ));
    }
    let sight = sight(&state, &req, f.learner_id.clone()).await?;
    let mine = f
        .mine
        .unwrap_or(false)
        .then_some(sight.user_id.clone())
        .flatten();
    if f.mine == Some(true) && mine.is_none() {
        return Err(AppError::unauthorized(
            Code::Unauthenticated,
            "sign in to list your activities",
        ));
    }
    let all = state
        .content
        .catalog()
        .await
        .map_err(|e| AppError::db_unavailable(anyhow::anyhow!(e)))?;
    // The catalog's order is (category, difficulty, id); a page starts after the key of
    // `after`, which is found even if that activity was archived since.
    let key = |a: &Activity| (a.category.clone(), a.difficulty, a.id.clone());
    let after = match &f.after {
        Some(id) => Some(
            state
                .content
                .get(id)
                .await
                .map_err(|e| AppError::db_unavailable(anyhow::anyhow!(e)))?
                .filter(|a| a.visible_to(&sight))
                .map(|a| key(&a))
                .ok_or_else(|| AppError::invalid_field("after", "no activity has this id"))?,
        ),
        None => None,
    };
    let list: Vec<ActivitySummary> = all
        .iter()
        .filter(|a| a.visible_to(&sight))
        .filter(|a| mine.is_none() || a.author_id == mine)
        .filter(|a| after.as_ref().is_none_or(|k| key(a) > *k))
        .filter(|a| f.category.as_ref().is_none_or(|c| *c == a.category))
        .filter(|a| f.sub_category.is_none() || f.sub_category == a.sub_category)
        .filter(|a| f.difficulty.is_none_or(|d| d == a.difficulty))
        .filter(|a| f.age.is_none_or(|age| a.age_min <= age && age <= a.age_max))
        .map(|a| ActivitySummary {
            question_count: a.content.questions.len(),
            id: a.id.clone(),
            title: a.title.clone(),
            description: a.description.clone(),
            category: a.category.clone(),
            sub_category: a.sub_category.clone(),
            difficulty: a.difficulty,
            age_min: a.age_min,
            age_max: a.age_max,
            visibility: a.visibility,
        })
        .take(limit)
        .collect();
    Ok(HttpResponse::Ok().json(list))
}

/// One activity with its questions (no answers, no explanations); 404 when the caller (or the
/// learner asked for) may not see it.
#[utoipa::path(tag = "activities", security((), ("bearer" = [])),
    params(("learner_id" = Option<String>, Query, description = "as this learner sees it", max_length = 100)),
    responses((status = 200, body = PublicActivity), (status = 401), (status = 404)))]
#[get("/{id}")]
pub async fn get_one(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
    query: web::Query<LearnerParam>,
) -> AppResult<HttpResponse> {
    let sight = sight(&state, &req, query.into_inner().learner_id).await?;
    let activity = state
        .content
        .get(&path.into_inner())
        .await
        .map_err(|e| AppError::db_unavailable(anyhow::anyhow!(e)))?
        .filter(|a| !a.archived && a.visible_to(&sight))
        .ok_or_else(|| AppError::not_found("activity"))?;
    Ok(HttpResponse::Ok().json(activity.public()))
}

#[derive(Debug, Deserialize)]
pub struct LearnerParam {
    pub learner_id: Option<String>,
}

fn summary(row: &ActivityRow) -> serde_json::Value {
    serde_json::json!({
        "id": row.id, "title": row.title, "category": row.category, "sub_category": row.sub_category,
        "difficulty": row.difficulty, "age_min": row.age_min, "age_max": row.age_max, "author_id": row.author_id,
        "visibility": row.visibility,
    })
}

/// Write an activity (teachers and admins). Validated: 1-50 questions, unique ids, an
/// answer key of the right type, options that contain it, bounded sizes.
#[utoipa::path(tag = "activities", request_body = ActivityRequest, security(("bearer" = [])),
    responses((status = 201, body = PublicActivity), (status = 403), (status = 409, description = "id taken"), (status = 422)))]
#[post("")]
pub async fn create(
    state: web::Data<AppState>,
    author: TeacherUser,
    meta: RequestMeta,
    body: ValidJson<ActivityRequest>,
) -> AppResult<HttpResponse> {
    let mut b = body.0;
    let visibility = authoring::visibility_for(&author.0, b.visibility, None)?;
    let content = content_of(&mut b)?;
    let t = crate::infra::time::now();
    let row = ActivityRow {
        id: b.id.unwrap_or_else(|| slug_of(&b.title, &b.category)),
        title: b.title,
        description: b.description,
        category: b.category,
        sub_category: b.sub_category,
        difficulty: b.difficulty,
        age_min: b.age_min,
        age_max: b.age_max,
        content,
        author_id: Some(author.0.id.clone()),
        created_at: t,
        updated_at: t,
        archived_at: None,
        visibility: visibility.as_str().into(),
    };
    let r = row.clone();
    state
        .db
        .transaction(move |conn| {
            if activities::exists(conn, &r.id)? {
                return Err(AppError::conflict(
                    Code::ActivityExists,
                    "an activity with this id exists",
                ));
            }
            activities::insert(conn, &r)?;
            audit::record(
                conn,
                &meta,
                Change {
                    user_id: &author.0.id,
                    action: "create",
                    entity_type: "activity",
                    entity_id: &r.id,
                    old: None,
                    new: Some(summary(&r)),
                },
            )
        })
        .await?;
    state.content.changed(&row.id).await;
    let activity = activity_from_row(row).map_err(|e| AppError::internal(anyhow::anyhow!(e)))?;
    Ok(HttpResponse::Created().json(activity.public()))
}

/// The row if `user` may change it: its author, or an admin (built-in content: admins only).
pub(super) async fn editable(
    state: &AppState,
    user: &crate::features::auth::AuthUser,
    id: String,
) -> AppResult<ActivityRow> {
    let row = state
        .db
        .run(move |conn| Ok(activities::find_live(conn, &id)?))
        .await?
        .ok_or_else(|| AppError::not_found("activity"))?;
    if user.role == Role::Admin || row.author_id.as_deref() == Some(user.id.as_str()) {
        Ok(row)
    } else {
        Err(AppError::forbidden(
            "only its author or an admin may change this activity",
        ))
    }
}

/// Replace an activity you wrote. Sessions in progress keep the version they started with.
#[utoipa::path(tag = "activities", request_body = ActivityRequest, security(("bearer" = [])),
    responses((status = 200, body = PublicActivity), (status = 403), (status = 404), (status = 422)))]
#[put("/{id}")]
pub async fn update(
    state: web::Data<AppState>,
    author: TeacherUser,
    meta: RequestMeta,
    path: web::Path<String>,
    body: ValidJson<ActivityRequest>,
) -> AppResult<HttpResponse> {
    let current = editable(&state, &author.0, path.into_inner()).await?;
    let mut b = body.0;
    let visibility = authoring::visibility_for(
        &author.0,
        b.visibility,
        Some(Visibility::parse(&current.visibility)),
    )?;
    let content = content_of(&mut b)?;
    let row = ActivityRow {
        title: b.title,
        description: b.description,
        category: b.category,
        sub_category: b.sub_category,
        difficulty: b.difficulty,
        age_min: b.age_min,
        age_max: b.age_max,
        content,
        updated_at: crate::infra::time::now(),
        visibility: visibility.as_str().into(),
        ..current.clone()
    };
    let r = row.clone();
    let category_moved = current.category != row.category;
    state
        .db
        .transaction(move |conn| {
            activities::update(conn, &r)?;
            audit::record(
                conn,
                &meta,
                Change {
                    user_id: &author.0.id,
                    action: "update",
                    entity_type: "activity",
                    entity_id: &r.id,
                    old: Some(summary(&current)),
                    new: Some(summary(&r)),
                },
            )
        })
        .await?;
    state.content.changed(&row.id).await;
    if category_moved {
        // Its sessions count in the new category.
        state.control.all_progress_changed().await;
    }
    let activity = activity_from_row(row).map_err(|e| AppError::internal(anyhow::anyhow!(e)))?;
    Ok(HttpResponse::Ok().json(activity.public()))
}

/// Delete an activity you wrote: it is archived, so the sessions played on it stay.
#[utoipa::path(tag = "activities", security(("bearer" = [])),
    responses((status = 204), (status = 403), (status = 404)))]
#[delete("/{id}")]
pub async fn delete(
    state: web::Data<AppState>,
    author: TeacherUser,
    meta: RequestMeta,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let current = editable(&state, &author.0, path.into_inner()).await?;
    let id = current.id.clone();
    state
        .db
        .transaction(move |conn| {
            activities::archive(conn, &current.id)?;
            audit::record(
                conn,
                &meta,
                Change {
                    user_id: &author.0.id,
                    action: "delete",
                    entity_type: "activity",
                    entity_id: &current.id,
                    old: Some(summary(&current)),
                    new: None,
                },
            )
        })
        .await?;
    state.content.changed(&id).await;
    Ok(HttpResponse::NoContent().finish())
}

mod authoring;
#[cfg(test)]
mod props;
mod request;
