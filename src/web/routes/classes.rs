//! Classes: teachers make them, students (or parents, for a child) join with a code, and the
//! teacher watches the class live at `GET /v1/classes/{id}/live`.

use actix_web::{HttpRequest, HttpResponse, web};
use actix_web::{delete, get, post};
use chrono::Utc;
use rand::Rng;
use serde::{Deserialize, Serialize};
use serde_json::json;
use studyhub_actors::ids::{ClassId, LearnerId};
use studyhub_actors::protocol::feeds::ClassInfo;
use studyhub_actors::protocol::{ErrorCode, ServerMsg};
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;
use validator::Validate;

pub mod class_week;
pub mod of_child;

use crate::features::audit::{self, Change, RequestMeta};
use crate::features::auth::{AuthUser, LearnerAccess, ParentUser, Role, TeacherUser};
use crate::features::classes::{self, Class, TaughtClass};
use crate::infra::error::{AppError, AppResult, Code};
use crate::infra::time::{now, utc};
use crate::web::extract::{Normalize, ValidJson};
use crate::web::extractors::ws_caller;
use crate::web::socket;
use crate::web::state::AppState;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(create)
        .service(list)
        .service(join_as_student)
        .service(get_one)
        .service(class_week::progress)
        .service(live)
        .service(remove_member)
        .service(join_for_child)
        .service(of_child::of_child);
}

/// Letters and digits that cannot be mistaken for one another (no 0/O, 1/I/L).
const CODE_ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";
const CODE_LEN: usize = 6;

fn new_join_code() -> String {
    let mut rng = rand::rng();
    (0..CODE_LEN)
        .map(|_| CODE_ALPHABET[rng.random_range(0..CODE_ALPHABET.len())] as char)
        .collect()
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
pub struct ClassRequest {
    #[validate(length(min = 1, max = 100, message = "between 1 and 100 characters"))]
    #[schema(min_length = 1, max_length = 100, pattern = r"\S")]
    pub name: String,
    #[validate(length(max = 100, message = "at most 100 characters"))]
    #[schema(max_length = 100)]
    pub subject: Option<String>,
}
impl Normalize for ClassRequest {
    fn normalize(&mut self) {
        self.name = self.name.trim().to_string();
        self.subject = self
            .subject
            .take()
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty());
    }
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
pub struct JoinRequest {
    #[validate(length(min = 1, max = 20, message = "a class code"))]
    #[schema(min_length = 1, max_length = 20, pattern = r"\S")]
    pub join_code: String,
}
impl Normalize for JoinRequest {
    fn normalize(&mut self) {
        self.join_code = self.join_code.trim().to_uppercase();
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ClassView {
    pub id: String,
    pub name: String,
    pub subject: Option<String>,
    pub join_code: String,
    pub student_count: i64,
    pub created_at: chrono::DateTime<Utc>,
}

/// A class with its roster, for its teacher.
#[derive(Debug, Serialize, ToSchema)]
pub struct ClassDetail {
    #[serde(flatten)]
    pub class: ClassView,
    pub students: Vec<Member>,
}

/// The class a learner just joined.
#[derive(Debug, Serialize, ToSchema)]
pub struct JoinedClass {
    pub id: String,
    pub name: String,
    pub subject: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Member {
    pub learner_id: String,
    pub name: String,
    pub joined_at: chrono::DateTime<Utc>,
    /// Extra time in the class's games (0..200 % of each question's time).
    pub extra_time_percent: i32,
}

impl ClassView {
    fn new(c: Class, student_count: i64) -> Self {
        Self {
            id: c.id,
            name: c.name,
            subject: c.subject,
            join_code: c.join_code,
            student_count,
            created_at: utc(c.created_at),
        }
    }
}

/// Create a class with a fresh join code.
#[utoipa::path(tag = "classes", request_body = ClassRequest, security(("bearer" = [])),
    responses((status = 201, body = ClassView), (status = 403, description = "not a teacher"), (status = 422)))]
#[post("/classes")]
pub async fn create(
    state: web::Data<AppState>,
    teacher: TeacherUser,
    meta: RequestMeta,
    body: ValidJson<ClassRequest>,
) -> AppResult<HttpResponse> {
    let b = body.0;
    let class = state
        .db
        .transaction(move |conn| {
            // Codes are random; on the rare collision, draw again.
            for _ in 0..8 {
                let code = new_join_code();
                if classes::code_taken(conn, &code)? {
                    continue;
                }
                let class = Class {
                    id: uuid::Uuid::now_v7().to_string(),
                    teacher_id: teacher.0.id.clone(),
                    name: b.name.clone(),
                    subject: b.subject.clone(),
                    join_code: code,
                    created_at: now(),
                };
                classes::insert(conn, &class)?;
                let v = ClassView::new(class, 0);
                audit::record(
                    conn,
                    &meta,
                    Change {
                        user_id: &teacher.0.id,
                        action: "create",
                        entity_type: "class",
                        entity_id: &v.id,
                        old: None,
                        new: audit::json(&v),
                    },
                )?;
                return Ok(v);
            }
            Err(AppError::conflict(
                Code::Conflict,
                "could not find a free join code; try again",
            ))
        })
        .await?;
    Ok(HttpResponse::Created().json(class))
}

/// The teacher's classes.
#[utoipa::path(tag = "classes", security(("bearer" = [])), responses((status = 200, body = [ClassView])))]
#[get("/classes")]
pub async fn list(state: web::Data<AppState>, teacher: TeacherUser) -> AppResult<HttpResponse> {
    let list = state
        .db
        .run(move |conn| {
            let taught = classes::of_teacher(conn, &teacher.0.id)?;
            let ids: Vec<String> = taught.iter().map(|c| c.id.clone()).collect();
            let counts = classes::member_counts(conn, &ids)?;
            Ok(taught
                .into_iter()
                .map(|c| {
                    let n = counts.get(&c.id).copied().unwrap_or(0);
                    ClassView::new(c, n)
                })
                .collect::<Vec<_>>())
        })
        .await?;
    Ok(HttpResponse::Ok().json(list))
}

/// A class with its roster.
#[utoipa::path(tag = "classes", security(("bearer" = [])), responses((status = 200, body = ClassDetail), (status = 404)))]
#[get("/classes/{id}")]
pub async fn get_one(state: web::Data<AppState>, taught: TaughtClass) -> AppResult<HttpResponse> {
    let class = taught.class;
    let id = class.id.clone();
    let members = state
        .db
        .run(move |conn| Ok(classes::roster(conn, &id)?))
        .await?;
    let body = ClassDetail {
        class: ClassView::new(class, members.len() as i64),
        students: members
            .into_iter()
            .map(|m| Member {
                learner_id: m.learner_id,
                name: m.name,
                joined_at: utc(m.joined_at),
                extra_time_percent: m.extra_time_percent,
            })
            .collect(),
    };
    Ok(HttpResponse::Ok().json(body))
}

async fn classes_changed(
    state: &AppState,
    learner_id: LearnerId,
    touched_class: ClassId,
) -> AppResult<()> {
    classes::announce_member_change(&state.db, &state.control, learner_id, touched_class).await
}

/// Remove a learner from the class.
#[utoipa::path(tag = "classes", security(("bearer" = [])),
    responses((status = 204), (status = 404)))]
#[delete("/classes/{id}/members/{learner_id}")]
pub async fn remove_member(
    state: web::Data<AppState>,
    taught: TaughtClass,
    meta: RequestMeta,
    path: web::Path<(String, String)>,
) -> AppResult<HttpResponse> {
    let (class_id, learner_id) = path.into_inner();
    let (cid, lid) = (class_id.to_string(), learner_id.to_string());
    let teacher_id = taught.user.id;
    state
        .db
        .transaction(move |conn| {
            if !classes::remove_member(conn, &cid, &lid)? {
                return Err(AppError::not_found("member"));
            }
            let old = Some(json!({"class_id": cid, "learner_id": lid}));
            audit::record(
                conn,
                &meta,
                Change {
                    user_id: &teacher_id,
                    action: "delete",
                    entity_type: "membership",
                    entity_id: &format!("{cid}/{lid}"),
                    old,
                    new: None,
                },
            )
        })
        .await?;
    classes_changed(&state, learner_id.into(), class_id.into()).await?;
    Ok(HttpResponse::NoContent().finish())
}

async fn join(
    state: &AppState,
    meta: RequestMeta,
    user_id: String,
    learner_id: String,
    code: String,
) -> AppResult<HttpResponse> {
    let lid = learner_id.clone();
    let class = state
        .db
        .transaction(move |conn| {
            let class = classes::by_join_code(conn, &code)?
                .ok_or_else(|| AppError::not_found("class with that code"))?;
            classes::add_member(conn, &class.id, &lid)?;
            let new = Some(json!({"class_id": class.id, "learner_id": lid}));
            audit::record(
                conn,
                &meta,
                Change {
                    user_id: &user_id,
                    action: "create",
                    entity_type: "membership",
                    entity_id: &format!("{}/{lid}", class.id),
                    old: None,
                    new,
                },
            )?;
            Ok(class)
        })
        .await?;
    classes_changed(state, learner_id.into(), class.id.as_str().into()).await?;
    Ok(HttpResponse::Ok().json(JoinedClass {
        id: class.id,
        name: class.name,
        subject: class.subject,
    }))
}

/// A student joins a class with its code (joining twice is fine).
#[utoipa::path(tag = "classes", request_body = JoinRequest, security(("bearer" = [])),
    responses((status = 200, body = JoinedClass), (status = 403, description = "not a student"), (status = 404, description = "unknown code")))]
#[post("/classes/join")]
pub async fn join_as_student(
    state: web::Data<AppState>,
    user: AuthUser,
    meta: RequestMeta,
    body: ValidJson<JoinRequest>,
) -> AppResult<HttpResponse> {
    user.require(&[Role::Student])?;
    let uid = user.id.clone();
    let learner_id: String = state
        .db
        .run(move |conn| {
            crate::features::learners::of_student(conn, &uid)?
                .ok_or_else(|| AppError::not_found("learner"))
        })
        .await?;
    join(&state, meta, user.id, learner_id, body.0.join_code).await
}

/// A parent enrols a child in a class with its code.
#[utoipa::path(tag = "classes", request_body = JoinRequest, security(("bearer" = [])),
    responses((status = 200, body = JoinedClass), (status = 404)))]
#[post("/children/{id}/classes")]
pub async fn join_for_child(
    state: web::Data<AppState>,
    parent: ParentUser,
    meta: RequestMeta,
    path: web::Path<String>,
    body: ValidJson<JoinRequest>,
) -> AppResult<HttpResponse> {
    let access =
        LearnerAccess::load(&state.learner_reads, parent.0, path.into_inner().into()).await?;
    join(
        &state,
        meta,
        access.user.id,
        access.learner.id,
        body.0.join_code,
    )
    .await
}

#[derive(Debug, Deserialize)]
pub struct LiveQuery {
    pub ticket: Option<String>,
}

/// The teacher's live view of a class. Messages are described in docs/protocol.md.
#[utoipa::path(tag = "classes",
    responses((status = 101), (status = 401), (status = 403, description = "not a teacher, or an admin"), (status = 404, description = "unknown, or another teacher's class")))]
#[get("/classes/{id}/live")]
pub async fn live(
    req: HttpRequest,
    body: web::Payload,
    state: web::Data<AppState>,
    path: web::Path<String>,
    q: web::Query<LiveQuery>,
) -> AppResult<HttpResponse> {
    let (user, _) = ws_caller(&req, &state, q.into_inner().ticket).await?;
    // The role first, so a parent or a student learns nothing about the id.
    user.require(&[Role::Teacher, Role::Admin])?;
    let class_id = ClassId::from(path.into_inner());
    let cid = class_id.to_string();
    let (class, members) = state
        .db
        .run(move |conn| {
            let class = classes::find(conn, &cid)?.ok_or_else(|| AppError::not_found("class"))?;
            Ok((class, classes::roster(conn, &cid)?))
        })
        .await?;
    if class.teacher_id != user.id {
        // Another teacher's class is unknown to this teacher, as in REST; an admin, who may
        // read any class, is told no.
        return Err(match user.role {
            Role::Admin => AppError::forbidden("only the class's teacher may watch it"),
            _ => AppError::not_found("class"),
        });
    }
    let upgraded = socket::upgrade(&req, body, socket::FEED_OUTBOX)?;
    let info = ClassInfo {
        id: class.id,
        name: class.name,
        subject: class.subject,
        join_code: class.join_code,
    };
    let monitor = state.engine.class_feed(
        &class_id,
        info,
        members
            .into_iter()
            .map(|m| (m.learner_id.into(), m.name))
            .collect(),
    );
    let conn_id = upgraded.conn_id;
    monitor.connect(conn_id, upgraded.tx.clone());
    let signals = state.user_sockets.subscribe(&user.id);
    let leave = socket::OnDrop::new(move || monitor.disconnect(conn_id));
    Ok(upgraded.spawn("teacher", signals, None, move |_| {
        let _ = &leave;
        Err(ServerMsg::error(
            ErrorCode::BadMessage,
            "the class feed takes no messages",
            None,
        ))
    }))
}
