//! IGCSE assessments: written by a teacher of a class the learner is in; read by that
//! teacher, the student, and the student's parent. Everyone else: 404. Every change is
//! audited.

use actix_web::{HttpResponse, web};
use actix_web::{delete, get, post, put};
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;
use validator::{Validate, ValidationError};

use crate::features::assessments::{
    self, AssessmentView, COMPONENTS, Changes, Row, announce, check_component, note_for_parent,
    teaching_class, view, writable,
};

use crate::features::audit::{self, Change, RequestMeta};
use crate::features::auth::access::readable_learner;
use crate::features::auth::{AuthUser, Role, TeacherUser};
use crate::features::learners;
use crate::infra::error::{AppError, AppResult};
use crate::infra::time::{now, utc};
use crate::web::extract::{Normalize, ValidJson};
use crate::web::state::AppState;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(create)
        .service(list)
        .service(mine)
        .service(update)
        .service(delete);
}

/// The signed-in student's own assessments, newest first (403 for anyone but a student).
#[utoipa::path(tag = "assessments", security(("bearer" = [])),
    responses((status = 200, body = [AssessmentView]), (status = 403)))]
#[get("/me/assessments")]
pub async fn mine(state: web::Data<AppState>, user: AuthUser) -> AppResult<HttpResponse> {
    user.require(&[Role::Student])?;
    let own = state
        .db
        .run(move |conn| {
            Ok(match learners::of_student(conn, &user.id)? {
                Some(learner_id) => assessments::of_learner(conn, &learner_id, None)?,
                None => Vec::new(),
            })
        })
        .await?;
    Ok(HttpResponse::Ok().json(own))
}

/// IGCSE letter grades (A*–G, U) or the 9–1 scale.
pub const GRADES: [&str; 19] = [
    "A*", "A", "B", "C", "D", "E", "F", "G", "U", "9", "8", "7", "6", "5", "4", "3", "2", "1", "0",
];

/// The IGCSE components; the catalog's sub-categories are accepted too, but change with it.
fn component_schema() -> utoipa::openapi::schema::Object {
    utoipa::openapi::schema::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .enum_values(Some(COMPONENTS))
        .description(Some(
            "listening, composing, performing, or a sub-category of the catalog",
        ))
        .build()
}

fn grade_schema() -> utoipa::openapi::schema::Object {
    utoipa::openapi::schema::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .enum_values(Some(GRADES))
        .build()
}

fn valid_grade(g: &str) -> Result<(), ValidationError> {
    if GRADES.contains(&g) {
        Ok(())
    } else {
        let mut e = ValidationError::new("grade");
        e.message = Some("A*, A to G, U, or 9 to 1".into());
        Err(e)
    }
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
pub struct AssessmentRequest {
    /// e.g. `mock`, `coursework`, `practice`.
    #[validate(length(min = 1, max = 50, message = "between 1 and 50 characters"))]
    #[schema(min_length = 1, max_length = 50, pattern = r"\S")]
    pub assessment_type: String,
    /// listening, composing, performing, or an activity's syllabus component.
    #[validate(length(min = 1, max = 50, message = "between 1 and 50 characters"))]
    #[schema(schema_with = component_schema)]
    pub component: String,
    #[validate(custom(function = "valid_grade"))]
    #[schema(schema_with = grade_schema)]
    pub grade: String,
    #[validate(range(min = 0.0, max = 100.0, message = "between 0 and 100"))]
    #[schema(minimum = 0.0, maximum = 100.0)]
    pub percentage: Option<f64>,
    #[validate(length(max = 5000, message = "at most 5000 characters"))]
    #[schema(max_length = 5000)]
    pub feedback: Option<String>,
}

impl Normalize for AssessmentRequest {
    fn normalize(&mut self) {
        self.assessment_type = self.assessment_type.trim().to_lowercase();
        self.component = self.component.trim().to_lowercase();
        self.grade = self.grade.trim().to_uppercase();
    }
}

/// Record an assessment (a teacher of one of the learner's classes).
#[utoipa::path(tag = "assessments", request_body = AssessmentRequest, security(("bearer" = [])),
    responses((status = 201, body = AssessmentView), (status = 403), (status = 404), (status = 422)))]
#[post("/learners/{id}/assessments")]
pub async fn create(
    state: web::Data<AppState>,
    teacher: TeacherUser,
    meta: RequestMeta,
    path: web::Path<String>,
    body: ValidJson<AssessmentRequest>,
) -> AppResult<HttpResponse> {
    let learner_id = path.into_inner();
    let b = body.0;
    let v = state
        .db
        .transaction(move |conn| {
            let class_id = teaching_class(conn, &teacher.0.id, &learner_id)?
                .ok_or_else(|| AppError::not_found("learner"))?;
            check_component(conn, &b.component)?;
            let t = now();
            let row = Row {
                id: uuid::Uuid::now_v7().to_string(),
                learner_id: learner_id.clone(),
                teacher_id: Some(teacher.0.id.clone()),
                class_id: Some(class_id),
                assessment_type: b.assessment_type,
                component: b.component,
                grade: b.grade,
                percentage: b.percentage,
                feedback: b.feedback,
                created_at: t,
                updated_at: t,
            };
            assessments::insert(conn, &row)?;
            let v = view(row);
            audit::record(
                conn,
                &meta,
                Change {
                    user_id: &teacher.0.id,
                    action: "create",
                    entity_type: "assessment",
                    entity_id: &v.id,
                    old: None,
                    new: audit::json(&v),
                },
            )?;
            let note = note_for_parent(conn, &v, false)?;
            Ok((v, note))
        })
        .await?;
    announce(&state.control, &v.0, v.1).await;
    Ok(HttpResponse::Created().json(v.0))
}

/// A learner's assessments (its teachers, the student, the parent), newest first.
#[utoipa::path(tag = "assessments", security(("bearer" = [])),
    responses((status = 200, body = [AssessmentView]), (status = 404)))]
#[get("/learners/{id}/assessments")]
pub async fn list(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    // A teacher reads only their own assessments, even of a student another teacher
    // assesses too; the student, the parent and admins read them all.
    let own_only = (user.role == Role::Teacher).then(|| user.id.clone());
    // Admins are no reader of the learner (see `readable_learner`): any known learner.
    let learner_id = path.into_inner();
    let learner_id = if user.role == Role::Admin {
        let id = learner_id.clone();
        let known = state
            .db
            .run(move |conn| Ok(assessments::learner_exists(conn, &id)?))
            .await?;
        if !known {
            return Err(AppError::not_found("learner"));
        }
        learner_id
    } else {
        readable_learner(&state.learner_reads, user, learner_id.into())
            .await?
            .id
    };
    let list = state
        .db
        .run(move |conn| {
            Ok(assessments::of_learner(
                conn,
                &learner_id,
                own_only.as_deref(),
            )?)
        })
        .await?;
    Ok(HttpResponse::Ok().json(list))
}

#[utoipa::path(tag = "assessments", request_body = AssessmentRequest, security(("bearer" = [])),
    responses((status = 200, body = AssessmentView), (status = 404), (status = 422)))]
#[put("/assessments/{id}")]
pub async fn update(
    state: web::Data<AppState>,
    teacher: TeacherUser,
    meta: RequestMeta,
    path: web::Path<String>,
    body: ValidJson<AssessmentRequest>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let b = body.0;
    let v = state
        .db
        .transaction(move |conn| {
            let old = view(writable(conn, &teacher.0, &id)?);
            check_component(conn, &b.component)?;
            let t = now();
            let c = Changes {
                assessment_type: b.assessment_type,
                component: b.component,
                grade: b.grade,
                percentage: b.percentage,
                feedback: b.feedback,
            };
            assessments::update(conn, &id, &c, t)?;
            let new = AssessmentView {
                assessment_type: c.assessment_type,
                component: c.component,
                grade: c.grade,
                percentage: c.percentage,
                feedback: c.feedback,
                updated_at: utc(t),
                ..old.clone()
            };
            audit::record(
                conn,
                &meta,
                Change {
                    user_id: &teacher.0.id,
                    action: "update",
                    entity_type: "assessment",
                    entity_id: &id,
                    old: audit::json(&old),
                    new: audit::json(&new),
                },
            )?;
            let note = note_for_parent(conn, &new, true)?;
            Ok((new, note))
        })
        .await?;
    announce(&state.control, &v.0, v.1).await;
    Ok(HttpResponse::Ok().json(v.0))
}

#[utoipa::path(tag = "assessments", security(("bearer" = [])),
    responses((status = 204), (status = 404)))]
#[delete("/assessments/{id}")]
pub async fn delete(
    state: web::Data<AppState>,
    teacher: TeacherUser,
    meta: RequestMeta,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    state
        .db
        .transaction(move |conn| {
            let old = view(writable(conn, &teacher.0, &id)?);
            assessments::delete(conn, &id)?;
            audit::record(
                conn,
                &meta,
                Change {
                    user_id: &teacher.0.id,
                    action: "delete",
                    entity_type: "assessment",
                    entity_id: &id,
                    old: audit::json(&old),
                    new: None,
                },
            )
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
