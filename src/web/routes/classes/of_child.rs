//! The classes a parent's child is in, for the family page.

use actix_web::get;
use actix_web::{HttpResponse, web};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use crate::features::auth::ParentUser;
use crate::features::auth::access::parents_child;
use crate::infra::db::schema::{class_members, classes, users};
use crate::infra::error::AppResult;
use crate::web::state::AppState;

/// A class as the child's parent sees it: no join code (that is the teacher's to share).
#[derive(Debug, Serialize, ToSchema, Queryable)]
pub struct ChildClass {
    pub id: String,
    pub name: String,
    pub subject: Option<String>,
    /// The teacher's name.
    pub teacher_name: String,
    pub joined_at: NaiveDateTime,
}

/// The classes a child is in, by name.
#[utoipa::path(tag = "classes", security(("bearer" = [])),
    responses((status = 200, body = [ChildClass]), (status = 403, description = "not a parent"), (status = 404)))]
#[get("/children/{id}/classes")]
pub async fn of_child(
    state: web::Data<AppState>,
    parent: ParentUser,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let child = parents_child(&state.learner_reads, parent.0, path.into_inner().into()).await?;
    let list: Vec<ChildClass> = state
        .db
        .run(move |conn| {
            Ok(class_members::table
                .inner_join(classes::table.inner_join(users::table))
                .filter(class_members::learner_id.eq(&child.id))
                .order((classes::name.asc(), classes::id.asc()))
                .select((
                    classes::id,
                    classes::name,
                    classes::subject,
                    users::name,
                    class_members::joined_at,
                ))
                .load(conn)?)
        })
        .await?;
    Ok(HttpResponse::Ok().json(list))
}
