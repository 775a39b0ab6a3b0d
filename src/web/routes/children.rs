//! A parent's children: profiles, settings, and today's screen time. A change of limit or a
//! grant goes through the engine, so open sessions feel it at once.

use actix_web::{HttpResponse, web};
use actix_web::{delete, get, post, put};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::features::audit::{self, Change, RequestMeta};
use crate::features::auth::access::parents_child;
use crate::features::auth::{AuthUser, ParentUser, Role};
use crate::features::learners::LearnerView;
use crate::features::screen_time::{self, ScreenTimeToday};
use crate::infra::db::models::LearnerRow;
use crate::infra::error::{AppError, AppResult, Code, ErrorKind};
use crate::infra::time::now;
use crate::web::extract::ValidJson;
use crate::web::state::AppState;

mod bodies;

use crate::features::learners::downtime;
use crate::features::learners::{SettingsChange, SettingsView, change_settings};
pub use bodies::{ChildRequest, GrantRequest, SettingsBody, StudentSettingsBody};

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(create)
        .service(list)
        .service(get_one)
        .service(update)
        .service(delete)
        .service(get_settings)
        .service(put_settings)
        .service(my_settings)
        .service(put_my_settings)
        .service(grant)
        .service(today);
}

/// Add a child profile.
#[utoipa::path(tag = "children", request_body = ChildRequest, security(("bearer" = [])),
    responses((status = 201, body = LearnerView), (status = 403, description = "not a parent, or email_unverified: STUDYHUB_REQUIRE_VERIFIED_EMAIL is on and the address is not verified yet"), (status = 422)))]
#[post("/children")]
pub async fn create(
    state: web::Data<AppState>,
    parent: ParentUser,
    meta: RequestMeta,
    body: ValidJson<ChildRequest>,
) -> AppResult<HttpResponse> {
    let b = body.0;
    if state.settings.mail.require_verified_email {
        let uid = parent.0.id.clone();
        let verified = state
            .db
            .run(move |conn| Ok(crate::features::auth::users::email_verified(conn, &uid)?))
            .await?;
        if !verified {
            return Err(AppError::new(
                ErrorKind::Forbidden,
                Code::EmailUnverified,
                "verify your email address first (follow the link we sent)",
            ));
        }
    }
    let t = now();
    let row = LearnerRow {
        id: uuid::Uuid::now_v7().to_string(),
        parent_id: Some(parent.0.id.clone()),
        user_id: None,
        name: b.name,
        age: Some(b.age),
        interests: serde_json::to_string(&b.interests).unwrap_or_else(|_| "[]".into()),
        avatar_url: b.avatar_url,
        timezone: b.timezone.unwrap_or_else(|| "UTC".into()),
        created_at: t,
        updated_at: t,
    };
    let r = row.clone();
    let uid = parent.0.id.clone();
    state
        .db
        .transaction(move |conn| {
            crate::features::learners::insert(conn, &r)?;
            audit::record(
                conn,
                &meta,
                Change {
                    user_id: &uid,
                    action: "create",
                    entity_type: "child",
                    entity_id: &r.id,
                    old: None,
                    new: audit::json(&LearnerView::from(r.clone())),
                },
            )
        })
        .await?;
    Ok(HttpResponse::Created().json(LearnerView::from(row)))
}

/// The parent's children.
#[utoipa::path(tag = "children", security(("bearer" = [])),
    responses((status = 200, body = [LearnerView])))]
#[get("/children")]
pub async fn list(state: web::Data<AppState>, parent: ParentUser) -> AppResult<HttpResponse> {
    let rows = state
        .db
        .run(move |conn| Ok(crate::features::learners::of_parent(conn, &parent.0.id)?))
        .await?;
    Ok(HttpResponse::Ok().json(rows.into_iter().map(LearnerView::from).collect::<Vec<_>>()))
}

#[utoipa::path(tag = "children", security(("bearer" = [])),
    responses((status = 200, body = LearnerView), (status = 404)))]
#[get("/children/{id}")]
pub async fn get_one(
    state: web::Data<AppState>,
    parent: ParentUser,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let child = parents_child(&state.learner_reads, parent.0, path.into_inner().into()).await?;
    Ok(HttpResponse::Ok().json(LearnerView::from(child)))
}

/// Replace a child's profile.
#[utoipa::path(tag = "children", request_body = ChildRequest, security(("bearer" = [])),
    responses((status = 200, body = LearnerView), (status = 404), (status = 422)))]
#[put("/children/{id}")]
pub async fn update(
    state: web::Data<AppState>,
    parent: ParentUser,
    meta: RequestMeta,
    path: web::Path<String>,
    body: ValidJson<ChildRequest>,
) -> AppResult<HttpResponse> {
    let uid = parent.0.id.clone();
    let child = parents_child(&state.learner_reads, parent.0, path.into_inner().into()).await?;
    let old = audit::json(&LearnerView::from(child.clone()));
    let b = body.0;
    let row = LearnerRow {
        name: b.name,
        age: Some(b.age),
        interests: serde_json::to_string(&b.interests).unwrap_or_else(|_| "[]".into()),
        avatar_url: b.avatar_url,
        timezone: b.timezone.unwrap_or(child.timezone.clone()),
        updated_at: now(),
        ..child
    };
    let r = row.clone();
    state
        .db
        .transaction(move |conn| {
            crate::features::learners::update(conn, &r)?;
            audit::record(
                conn,
                &meta,
                Change {
                    user_id: &uid,
                    action: "update",
                    entity_type: "child",
                    entity_id: &r.id,
                    old,
                    new: audit::json(&LearnerView::from(r.clone())),
                },
            )
        })
        .await?;
    state.control.learner_changed(&row.learner_id()).await;
    Ok(HttpResponse::Ok().json(LearnerView::from(row)))
}

/// Delete a child and everything that hangs off it.
#[utoipa::path(tag = "children", security(("bearer" = [])),
    responses((status = 204), (status = 404)))]
#[delete("/children/{id}")]
pub async fn delete(
    state: web::Data<AppState>,
    parent: ParentUser,
    meta: RequestMeta,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let uid = parent.0.id.clone();
    let child = parents_child(&state.learner_reads, parent.0, path.into_inner().into()).await?;
    // Stop live play first: a deleted child must not keep a session open.
    let learner_id = child.learner_id();
    state.control.stop_play(&learner_id).await;
    // The cascade can deadlock with a group commit writing this child's last answers:
    // PostgreSQL aborts one of the two, and the delete is simply sent again.
    state
        .db
        .transaction_retrying(move |conn| {
            crate::features::learners::delete(conn, &child.id)?;
            let old = audit::json(&LearnerView::from(child.clone()));
            audit::record(
                conn,
                &meta,
                Change {
                    user_id: &uid,
                    action: "delete",
                    entity_type: "child",
                    entity_id: &child.id,
                    old,
                    new: None,
                },
            )
        })
        .await?;
    state.control.learner_changed(&learner_id).await;
    Ok(HttpResponse::NoContent().finish())
}

#[utoipa::path(tag = "children", security(("bearer" = [])),
    responses((status = 200, body = SettingsView), (status = 404)))]
#[get("/children/{id}/settings")]
pub async fn get_settings(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    // The parent, or the child's own device (to read its narration and volume).
    user.require(&[Role::Parent, Role::Child])?;
    let child = parents_child(&state.learner_reads, user, path.into_inner().into()).await?;
    Ok(HttpResponse::Ok().json(SettingsView::from(
        crate::features::learners::settings(&state.db, child.id).await?,
    )))
}

/// Change settings (fields left out keep their value). A new limit reaches the child's open
/// sessions at once; so does downtime (a window that holds now closes play with 4002).
#[utoipa::path(tag = "children", request_body = SettingsBody, security(("bearer" = [])),
    responses((status = 200, body = SettingsView), (status = 404), (status = 422)))]
#[put("/children/{id}/settings")]
pub async fn put_settings(
    state: web::Data<AppState>,
    parent: ParentUser,
    meta: RequestMeta,
    path: web::Path<String>,
    body: ValidJson<SettingsBody>,
) -> AppResult<HttpResponse> {
    let uid = parent.0.id.clone();
    let child = parents_child(&state.learner_reads, parent.0, path.into_inner().into()).await?;
    let b = body.0;
    let change = SettingsChange {
        daily_time_limit_seconds: b.daily_time_limit_seconds.map(Some),
        volume: b.volume,
        narration_enabled: b.narration_enabled,
        notifications_enabled: b.notifications_enabled,
        downtime: b.downtime.map(downtime::check).transpose()?,
    };
    let view = change_settings(
        &state.db,
        &state.control,
        &meta,
        &uid,
        &child.learner_id(),
        change,
    )
    .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// A student's own settings: `daily_time_limit_seconds` is `null` (no limit) unless the
/// student set one.
#[utoipa::path(tag = "students", security(("bearer" = [])),
    responses((status = 200, body = SettingsView), (status = 403)))]
#[get("/me/settings")]
pub async fn my_settings(state: web::Data<AppState>, user: AuthUser) -> AppResult<HttpResponse> {
    let learner = own_learner(&state, user).await?;
    Ok(HttpResponse::Ok().json(SettingsView::from(
        crate::features::learners::settings(&state.db, learner.id).await?,
    )))
}

/// A student sets their own daily goal: a number of seconds (0 to 86400), or `null` for no
/// limit; fields left out keep their value. Felt at once by open sessions.
#[utoipa::path(tag = "students", request_body = StudentSettingsBody, security(("bearer" = [])),
    responses((status = 200, body = SettingsView), (status = 403), (status = 422)))]
#[put("/me/settings")]
pub async fn put_my_settings(
    state: web::Data<AppState>,
    user: AuthUser,
    meta: RequestMeta,
    body: ValidJson<StudentSettingsBody>,
) -> AppResult<HttpResponse> {
    let uid = user.id.clone();
    let learner = own_learner(&state, user).await?;
    let b = body.0;
    let change = SettingsChange {
        daily_time_limit_seconds: b.daily_time_limit_seconds,
        volume: b.volume,
        narration_enabled: b.narration_enabled,
        notifications_enabled: None,
        downtime: b.downtime.map(downtime::check).transpose()?,
    };
    let view = change_settings(
        &state.db,
        &state.control,
        &meta,
        &uid,
        &learner.learner_id(),
        change,
    )
    .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// The signed-in student's own learner (403 for anyone else).
async fn own_learner(state: &AppState, user: AuthUser) -> AppResult<LearnerRow> {
    user.require(&[Role::Student])?;
    state
        .db
        .run(move |conn| {
            crate::features::learners::of_student_row(conn, &user.id)?
                .ok_or_else(|| AppError::not_found("learner"))
        })
        .await
}

/// Extra screen time for today, felt at once by open sessions.
#[utoipa::path(tag = "children", request_body = GrantRequest, security(("bearer" = [])),
    responses((status = 200, body = ScreenTimeToday), (status = 404), (status = 422)))]
#[post("/children/{id}/screen-time/grant")]
pub async fn grant(
    state: web::Data<AppState>,
    parent: ParentUser,
    meta: RequestMeta,
    path: web::Path<String>,
    body: ValidJson<GrantRequest>,
) -> AppResult<HttpResponse> {
    let child = screen_time::grant(
        &state.db,
        &state.control,
        &meta,
        &parent.0.id,
        &path.into_inner().into(),
        body.0.seconds,
    )
    .await?;
    Ok(HttpResponse::Ok().json(screen_time::today(&state.db, &state.engine, child).await?))
}

/// Today's screen time: used, limit, bonus, left, and the spans it was used in.
#[utoipa::path(tag = "children", security(("bearer" = [])),
    responses((status = 200, body = ScreenTimeToday), (status = 404)))]
#[get("/children/{id}/screen-time/today")]
pub async fn today(
    state: web::Data<AppState>,
    parent: ParentUser,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let child = parents_child(&state.learner_reads, parent.0, path.into_inner().into()).await?;
    Ok(HttpResponse::Ok().json(screen_time::today(&state.db, &state.engine, child).await?))
}
