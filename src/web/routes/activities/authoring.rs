//! Authoring beside the catalog: who may set which visibility, an admin's publish, and an
//! activity's source (with its answer keys) for its author's editor.

use actix_web::{HttpResponse, get, post, web};
use serde::Serialize;
use studyhub_actors::content::{ActivityContent, Question};
use studyhub_actors::visibility::Visibility;
use utoipa::ToSchema;

use super::{editable, summary};
use crate::features::activities;
use crate::features::audit::{self, Change, RequestMeta};
use crate::features::auth::{AdminUser, AuthUser, Role, TeacherUser};
use crate::infra::content_cache::activity_from_row;
use crate::infra::error::{AppError, AppResult};
use crate::web::state::AppState;

/// The visibility a write stores. A teacher chooses `private` or `classes` (the default);
/// `public` is an admin's (an admin's default), kept by a teacher only on an activity
/// already published. `current` is the stored one (PUT), kept when none is asked.
pub(super) fn visibility_for(
    user: &AuthUser,
    asked: Option<Visibility>,
    current: Option<Visibility>,
) -> AppResult<Visibility> {
    let admin = user.role == Role::Admin;
    let v = match (asked, current) {
        (Some(v), _) => v,
        (None, Some(c)) => c,
        (None, None) if admin => Visibility::Public,
        (None, None) => Visibility::Classes,
    };
    if v == Visibility::Public && !admin && current != Some(Visibility::Public) {
        return Err(AppError::invalid_field(
            "visibility",
            "private or classes; an admin publishes activities for everyone",
        ));
    }
    Ok(v)
}

/// Make an activity everyone's (admins): it joins every learner's catalog.
#[utoipa::path(tag = "activities", security(("bearer" = [])),
    params(("id" = String, Path, description = "the activity")),
    responses((status = 200, body = studyhub_actors::protocol::PublicActivity), (status = 401), (status = 403), (status = 404)))]
#[post("/{id}/publish")]
pub async fn publish(
    state: web::Data<AppState>,
    admin: AdminUser,
    meta: RequestMeta,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let current = editable(&state, &admin.0, path.into_inner()).await?;
    let id = current.id.clone();
    let row = state
        .db
        .transaction(move |conn| {
            activities::publish(conn, &current.id)?;
            let row = activities::find_live(conn, &current.id)?
                .ok_or_else(|| AppError::not_found("activity"))?;
            audit::record(
                conn,
                &meta,
                Change {
                    user_id: &admin.0.id,
                    action: "publish",
                    entity_type: "activity",
                    entity_id: &current.id,
                    old: Some(summary(&current)),
                    new: Some(summary(&row)),
                },
            )?;
            Ok(row)
        })
        .await?;
    state.content.changed(&id).await;
    let activity = activity_from_row(row).map_err(|e| AppError::internal(anyhow::anyhow!(e)))?;
    Ok(HttpResponse::Ok().json(activity.public()))
}

/// An activity as its author wrote it, answer keys and explanations included: the body a
/// PUT takes back. Only for its author or an admin (the editor); players never see this.
#[derive(Debug, Serialize, ToSchema)]
pub struct ActivitySource {
    pub id: String,
    pub title: String,
    pub description: String,
    pub category: String,
    pub sub_category: Option<String>,
    pub difficulty: i32,
    pub age_min: i32,
    pub age_max: i32,
    pub introduction: Option<String>,
    pub offline: bool,
    pub one_try: bool,
    pub visibility: Visibility,
    #[schema(value_type = Vec<Object>)]
    pub questions: Vec<Question>,
}

/// The source of an activity you wrote, for editing it (its author or an admin).
#[utoipa::path(tag = "activities", security(("bearer" = [])),
    params(("id" = String, Path, description = "the activity")),
    responses((status = 200, body = ActivitySource), (status = 401), (status = 403), (status = 404)))]
#[get("/{id}/source")]
pub async fn source(
    state: web::Data<AppState>,
    author: TeacherUser,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let row = editable(&state, &author.0, path.into_inner()).await?;
    let content: ActivityContent =
        serde_json::from_str(&row.content).map_err(AppError::internal)?;
    Ok(HttpResponse::Ok().json(ActivitySource {
        visibility: Visibility::parse(&row.visibility),
        id: row.id,
        title: row.title,
        description: row.description,
        category: row.category,
        sub_category: row.sub_category,
        difficulty: row.difficulty,
        age_min: row.age_min,
        age_max: row.age_max,
        introduction: content.introduction,
        offline: content.offline,
        one_try: content.one_try,
        questions: content.questions,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(role: Role) -> AuthUser {
        AuthUser::account("u1", role)
    }

    #[test]
    fn a_teachers_activity_is_for_their_classes_unless_they_say_otherwise() {
        let t = user(Role::Teacher);
        assert_eq!(visibility_for(&t, None, None).unwrap(), Visibility::Classes);
        let private = Some(Visibility::Private);
        assert_eq!(
            visibility_for(&t, private, None).unwrap(),
            Visibility::Private
        );
        assert!(visibility_for(&t, Some(Visibility::Public), None).is_err());
        assert!(visibility_for(&t, Some(Visibility::Public), private).is_err());
        // Editing a published activity keeps it published.
        let public = Some(Visibility::Public);
        assert_eq!(
            visibility_for(&t, None, public).unwrap(),
            Visibility::Public
        );
        assert_eq!(
            visibility_for(&t, public, public).unwrap(),
            Visibility::Public
        );
    }

    #[test]
    fn an_admin_may_choose_any_and_writes_public_by_default() {
        let a = user(Role::Admin);
        assert_eq!(visibility_for(&a, None, None).unwrap(), Visibility::Public);
        let private = Some(Visibility::Private);
        assert_eq!(
            visibility_for(&a, None, private).unwrap(),
            Visibility::Private
        );
        let public = Some(Visibility::Public);
        assert_eq!(
            visibility_for(&a, public, private).unwrap(),
            Visibility::Public
        );
    }
}
