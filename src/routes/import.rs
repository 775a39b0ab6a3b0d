//! `POST /v1/me/import`: the JSON that `GET /v1/me/export` gives on another installation,
//! recreated under the caller's account: children (for a parent) or the student's own play
//! history, with settings, sessions and answers (encrypted again with this server's key),
//! progress, screen time, pages, achievements, drawings (their images travel base64 in the
//! export), assessments and notifications.
//!
//! Idempotent: every new id is derived from the caller and the id in the file, so a second
//! import of the same file finds everything already there and creates nothing. Sessions of
//! activities this installation does not have are skipped (and counted as such).

use std::collections::{BTreeMap, HashMap, HashSet};

use actix_web::{HttpRequest, HttpResponse, web};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use diesel::prelude::*;
use serde::Serialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use crate::audit::{self, Change, RequestMeta};
use crate::auth::{AuthUser, Role};
use crate::db::DbConnection;
use crate::db::schema::*;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::storage::ObjectStore;
use crate::time::now;

mod export_file;
use export_file::{ExLearner, ExportFile};

/// Whether the query finds a row.
macro_rules! exists {
    ($conn:expr, $q:expr) => {
        $q.count().get_result::<i64>($conn).map(|n| n > 0)
    };
}

/// The largest import body: an export with its drawings.
pub const MAX_IMPORT_BYTES: usize = 64 * 1024 * 1024;
/// The most image bytes one export embeds (drawings past it are listed without the image).
pub const EXPORT_IMAGES_MAX: usize = 40 * 1024 * 1024;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/me/import")
            .app_data(web::PayloadConfig::new(MAX_IMPORT_BYTES))
            .route(web::post().to(import)),
    );
}

/// Puts each drawing's image (base64) into an export, until [`EXPORT_IMAGES_MAX`].
pub async fn embed_drawings(storage: &ObjectStore, body: &mut Value) {
    let mut budget = EXPORT_IMAGES_MAX;
    let Some(learners) = body.get_mut("learners").and_then(Value::as_array_mut) else {
        return;
    };
    for l in learners {
        let Some(drawings) = l.get_mut("drawings").and_then(Value::as_array_mut) else {
            continue;
        };
        for d in drawings {
            let Some(obj) = d.as_object_mut() else {
                continue;
            };
            let key = obj
                .remove("_object_key")
                .and_then(|k| k.as_str().map(String::from));
            let image = match key {
                Some(key) => storage.get(&key).await.ok().flatten(),
                None => None,
            };
            match image {
                Some(img) if img.bytes.len() <= budget => {
                    budget -= img.bytes.len();
                    obj.insert("image_base64".into(), json!(B64.encode(&img.bytes)));
                }
                _ => {
                    obj.insert("image_base64".into(), Value::Null);
                    obj.insert("image_omitted".into(), json!(true));
                }
            }
        }
    }
}

/// The id a row from the file gets here: the same for the same caller and source row, so a
/// second import finds it.
fn derive(caller: &str, kind: &str, source: &str) -> String {
    let digest = Sha256::digest(format!("studyhub-import\0{caller}\0{kind}\0{source}"));
    let bytes: [u8; 16] = digest[..16].try_into().expect("16 bytes");
    uuid::Builder::from_custom_bytes(bytes)
        .into_uuid()
        .to_string()
}

#[derive(Default, Debug)]
struct Tally(BTreeMap<&'static str, u64>);

impl Tally {
    fn add(&mut self, what: &'static str) {
        *self.0.entry(what).or_default() += 1;
    }
    /// Every kind, zero included, so a client sees what an import can touch.
    fn counts(&self) -> BTreeMap<String, u64> {
        KINDS
            .iter()
            .map(|k| ((*k).to_owned(), self.0.get(k).copied().unwrap_or(0)))
            .collect()
    }
}

/// What an import made, and what it left alone because it was already there, per kind.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportResult {
    pub created: BTreeMap<String, u64>,
    pub skipped: BTreeMap<String, u64>,
}

const KINDS: [&str; 11] = [
    "learners",
    "sessions",
    "answers",
    "daily_progress",
    "screen_time",
    "pages",
    "achievements",
    "drawings",
    "assessments",
    "notifications",
    "settings",
];

fn bad(field: &str, reason: &str) -> AppError {
    AppError::invalid_field(field, reason)
}

fn clip(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

/// Recreate another installation's export under this account (idempotent).
#[utoipa::path(post, path = "/v1/me/import", tag = "account", security(("bearer" = [])),
    request_body(content = Object, content_type = "application/json", description = "the JSON of GET /v1/me/export from another installation (at most 64 MiB)"),
    responses((status = 200, body = ImportResult, description = "a second import of the same file creates nothing"),
        (status = 401), (status = 403, description = "admins have nothing to import into"), (status = 413), (status = 415), (status = 422)))]
pub async fn import(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: AuthUser,
    meta: RequestMeta,
    body: web::Bytes,
) -> AppResult<HttpResponse> {
    let ct = req
        .headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !ct.starts_with("application/json") {
        return Err(AppError::unsupported_media(
            "send the export as application/json",
        ));
    }
    if user.role == Role::Admin {
        return Err(AppError::forbidden(
            "admins have no learners to import into",
        ));
    }
    // NUL cannot be stored in PostgreSQL text: refused here, like everywhere at the edge.
    if body.windows(6).any(|w| w == b"\\u0000") {
        return Err(bad("body", "contains a NUL character"));
    }
    let de = &mut serde_json::Deserializer::from_slice(&body);
    let file: ExportFile = serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        bad(
            if path == "." { "body" } else { &path },
            "not an export of studyhub (GET /v1/me/export)",
        )
    })?;
    drop(body);

    let caller = user.id.clone();
    let role = user.role;
    // Drawings first: their files go to the store before their rows exist (same keys on a
    // second import), so a row never points at a missing file.
    let wanted: Vec<String> = file
        .learners
        .iter()
        .flat_map(|l| l.drawings.iter().map(|d| derive(&caller, "drawing", &d.id)))
        .collect();
    let existing: HashSet<String> = {
        let wanted = wanted.clone();
        state
            .db
            .run(move |conn| {
                Ok(drawings::table
                    .filter(drawings::id.eq_any(&wanted))
                    .select(drawings::id)
                    .load::<String>(conn)?)
            })
            .await?
            .into_iter()
            .collect()
    };
    let mut images: HashMap<String, &'static str> = HashMap::new();
    for l in &file.learners {
        let learner_here = learner_target(role, &l.learner.id, l.learner.parent_id.is_some());
        for d in &l.drawings {
            let id = derive(&caller, "drawing", &d.id);
            let (Some(_), Some(data)) = (learner_here.as_ref(), d.image_base64.as_deref()) else {
                continue;
            };
            if existing.contains(&id) {
                continue;
            }
            let bytes = B64
                .decode(data)
                .map_err(|_| bad("learners.drawings.image_base64", "not base64"))?;
            if bytes.len() > super::drawings::MAX_IMAGE {
                return Err(AppError::too_large("images are at most 5 MiB"));
            }
            let Some((content_type, ext)) = super::drawings::sniff(&bytes) else {
                continue;
            };
            // Imported files live under the drawing's (derived) id: the same key on a second
            // import, whoever the learner is here.
            let key = format!("drawings/imported/{id}.{ext}");
            images.insert(id, ext);
            state
                .storage
                .put(&key, bytes::Bytes::from(bytes), content_type)
                .await
                .map_err(|e| {
                    AppError::new(
                        crate::error::ErrorKind::Unavailable,
                        "storage_unavailable",
                        "the drawing could not be stored",
                    )
                    .with_cause(e)
                })?;
        }
    }

    let cipher = state.cipher.clone();
    let (created, skipped) = state
        .db
        .transaction(move |conn| {
            let mut created = Tally::default();
            let mut skipped = Tally::default();
            let own: Option<String> = learners::table
                .filter(learners::user_id.eq(&caller))
                .select(learners::id)
                .first(conn)
                .optional()?;
            let mut mapped: HashMap<String, String> = HashMap::new();
            for l in &file.learners {
                let lid = match learner_target(role, &l.learner.id, l.learner.parent_id.is_some()) {
                    Some(Target::New(src)) => {
                        let id = derive(&caller, "learner", src);
                        if !exists!(conn, learners::table.find(&id))? {
                            insert_learner(conn, &caller, &id, l)?;
                            created.add("learners");
                            created.add("settings");
                        }
                        id
                    }
                    Some(Target::Own) => match &own {
                        Some(id) => id.clone(),
                        None => {
                            skipped.add("learners");
                            continue;
                        }
                    },
                    None => {
                        skipped.add("learners");
                        continue;
                    }
                };
                mapped.insert(l.learner.id.clone(), lid.clone());
                import_history(
                    conn,
                    &cipher,
                    &caller,
                    &lid,
                    l,
                    &images,
                    &mut created,
                    &mut skipped,
                )?;
            }
            for n in &file.notifications {
                if role != Role::Parent {
                    break;
                }
                let Some(lid) = mapped.get(&n.child_id) else {
                    skipped.add("notifications");
                    continue;
                };
                let src = n.id.clone().unwrap_or_else(|| {
                    format!("{}|{}|{}|{}", n.child_id, n.kind, n.created_at, n.title)
                });
                let id = derive(&caller, "notification", &src);
                if exists!(conn, notifications::table.find(&id))? {
                    continue;
                }
                let at = n.created_at.naive_utc();
                diesel::insert_into(notifications::table)
                    .values((
                        notifications::id.eq(&id),
                        notifications::parent_id.eq(&caller),
                        notifications::learner_id.eq(lid),
                        notifications::kind.eq(clip(&n.kind, 50)),
                        notifications::title.eq(clip(&n.title, 500)),
                        notifications::body.eq(clip(&n.body, 5000)),
                        notifications::data.eq(n.data.clone().unwrap_or(json!({})).to_string()),
                        notifications::read_at.eq(n.read.then_some(at)),
                        notifications::created_at.eq(at),
                    ))
                    .execute(conn)?;
                created.add("notifications");
            }
            audit::record(
                conn,
                &meta,
                Change {
                    user_id: &caller,
                    action: "import",
                    entity_type: "account",
                    entity_id: &caller,
                    old: None,
                    new: Some(json!({"source_user": file.user.id, "created": created.counts()})),
                },
            )?;
            Ok((created, skipped))
        })
        .await?;
    Ok(HttpResponse::Ok().json(ImportResult {
        created: created.counts(),
        skipped: skipped.counts(),
    }))
}

enum Target<'a> {
    /// A child profile of a parent: recreated with an id derived from this source id.
    New(&'a str),
    /// A student's own history: goes to the caller's own learner.
    Own,
}

fn learner_target<'a>(role: Role, source: &'a str, is_child: bool) -> Option<Target<'a>> {
    match (role, is_child) {
        (Role::Parent, true) => Some(Target::New(source)),
        (Role::Student, false) => Some(Target::Own),
        _ => None,
    }
}

fn insert_learner(
    conn: &mut DbConnection,
    caller: &str,
    id: &str,
    l: &ExLearner,
) -> Result<(), AppError> {
    let v = &l.learner;
    let name = clip(v.name.trim(), 100);
    if name.chars().count() < 2 {
        return Err(bad("learners.learner.name", "2 to 100 characters"));
    }
    let tz = v
        .timezone
        .as_deref()
        .filter(|t| t.parse::<chrono_tz::Tz>().is_ok())
        .unwrap_or("UTC");
    let t = now();
    let row = crate::db::models::LearnerRow {
        id: id.to_string(),
        parent_id: Some(caller.to_string()),
        user_id: None,
        name,
        age: v.age.filter(|a| (2..=18).contains(a)),
        interests: serde_json::to_string(
            &v.interests
                .iter()
                .take(20)
                .map(|s| clip(s, 50))
                .collect::<Vec<_>>(),
        )
        .expect("strings serialize"),
        avatar_url: v.avatar_url.as_deref().map(|s| clip(s, 500)),
        timezone: tz.to_string(),
        created_at: v.created_at.naive_utc(),
        updated_at: t,
    };
    crate::learners::insert(conn, &row)?;
    if let Some(s) = &l.settings {
        diesel::update(learner_settings::table.find(id))
            .set((
                learner_settings::daily_time_limit_seconds
                    .eq(s.daily_time_limit_seconds.clamp(0, 86_400)),
                learner_settings::volume.eq(if s.volume.is_finite() {
                    s.volume.clamp(0.0, 1.0)
                } else {
                    0.8
                }),
                learner_settings::narration_enabled.eq(s.narration_enabled),
                learner_settings::notifications_enabled.eq(s.notifications_enabled),
                // Windows that do not pass today's checks are left out rather than refused.
                learner_settings::downtime.eq(serde_json::to_string(
                    &crate::routes::children::check_downtime(s.downtime.clone())
                        .unwrap_or_default(),
                )
                .unwrap_or_else(|_| "[]".into())),
            ))
            .execute(conn)?;
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn import_history(
    conn: &mut DbConnection,
    cipher: &crate::crypto::Cipher,
    caller: &str,
    lid: &str,
    l: &ExLearner,
    images: &HashMap<String, &'static str>,
    created: &mut Tally,
    skipped: &mut Tally,
) -> Result<(), AppError> {
    let known: HashSet<String> = activities::table
        .filter(
            activities::id.eq_any(
                l.sessions
                    .iter()
                    .map(|s| s.activity_id.clone())
                    .collect::<Vec<_>>(),
            ),
        )
        .select(activities::id)
        .load::<String>(conn)?
        .into_iter()
        .collect();
    for s in &l.sessions {
        let sid = derive(caller, "session", &s.id);
        if exists!(conn, activity_sessions::table.find(&sid))? {
            continue;
        }
        if !known.contains(&s.activity_id) {
            skipped.add("sessions");
            continue;
        }
        let status = match s.status.as_str() {
            "open" | "completed" | "abandoned" => s.status.clone(),
            _ => "abandoned".into(),
        };
        let mut seen = HashSet::new();
        let answered = s
            .answers
            .iter()
            .map(|a| &a.question_id)
            .collect::<HashSet<_>>()
            .len() as i32;
        let correct = s.answers.iter().filter(|a| a.correct).count() as i32;
        let last_seq = s.answers.iter().map(|a| a.seq).max().unwrap_or(0);
        diesel::insert_into(activity_sessions::table)
            .values((
                activity_sessions::id.eq(&sid),
                activity_sessions::learner_id.eq(lid),
                activity_sessions::activity_id.eq(&s.activity_id),
                activity_sessions::status.eq(status),
                activity_sessions::questions_total.eq(s.questions_total.unwrap_or(answered)),
                activity_sessions::questions_answered.eq(s.questions_answered.unwrap_or(answered)),
                activity_sessions::questions_correct.eq(s.questions_correct.unwrap_or(correct)),
                activity_sessions::accuracy.eq(s.accuracy.filter(|a| a.is_finite())),
                activity_sessions::stars.eq(s.stars),
                activity_sessions::last_saved_seq.eq(last_seq),
                activity_sessions::started_at.eq(s.started_at.naive_utc()),
                activity_sessions::ended_at.eq(s.ended_at.map(|t| t.naive_utc())),
                activity_sessions::duration_seconds.eq(s.duration_seconds),
                activity_sessions::updated_at.eq(now()),
            ))
            .execute(conn)?;
        created.add("sessions");
        let mut seqs = HashSet::new();
        for a in &s.answers {
            if a.seq < 1 || !seqs.insert(a.seq) {
                continue;
            }
            let first = a
                .first_attempt
                .unwrap_or_else(|| seen.insert(a.question_id.clone()));
            diesel::insert_into(answers::table)
                .values((
                    answers::session_id.eq(&sid),
                    answers::seq.eq(a.seq),
                    answers::question_id.eq(clip(&a.question_id, 100)),
                    answers::response.eq(cipher.encrypt(a.answer.to_string().as_bytes())),
                    answers::correct.eq(a.correct),
                    answers::first_attempt.eq(first),
                    answers::answered_at.eq(a.answered_at.naive_utc()),
                ))
                .execute(conn)?;
            created.add("answers");
        }
    }
    for p in &l.daily_progress {
        let category = clip(&p.category, 50);
        if exists!(conn, daily_progress::table.find((lid, p.date, &category)))? {
            continue;
        }
        diesel::insert_into(daily_progress::table)
            .values((
                daily_progress::learner_id.eq(lid),
                daily_progress::date.eq(p.date),
                daily_progress::category.eq(&category),
                daily_progress::activities_completed.eq(p.activities_completed),
                daily_progress::questions_answered.eq(p.questions_answered),
                daily_progress::questions_correct.eq(p.questions_correct),
                daily_progress::study_seconds.eq(p.study_seconds),
                daily_progress::stars.eq(p.stars),
                daily_progress::points.eq(p.points),
            ))
            .execute(conn)?;
        created.add("daily_progress");
    }
    for (i, t) in l.screen_time.iter().enumerate() {
        let id = derive(
            caller,
            "screen_time",
            &format!("{}|{}|{i}", l.learner.id, t.date),
        );
        if exists!(conn, screen_time_logs::table.find(&id))? {
            continue;
        }
        let start = t.date.and_hms_opt(0, 0, 0).expect("midnight");
        let secs = t.seconds.clamp(0, 86_400);
        diesel::insert_into(screen_time_logs::table)
            .values((
                screen_time_logs::id.eq(&id),
                screen_time_logs::learner_id.eq(lid),
                screen_time_logs::date.eq(t.date),
                screen_time_logs::started_at.eq(start),
                screen_time_logs::ended_at.eq(Some(start + chrono::Duration::seconds(secs as i64))),
                screen_time_logs::seconds.eq(secs),
                screen_time_logs::updated_at.eq(now()),
            ))
            .execute(conn)?;
        created.add("screen_time");
    }
    for p in &l.pages {
        let page_id = clip(&p.page_id, 200);
        if exists!(conn, page_progress::table.find((lid, &page_id)))? {
            continue;
        }
        let t = now();
        diesel::insert_into(page_progress::table)
            .values((
                page_progress::learner_id.eq(lid),
                page_progress::page_id.eq(&page_id),
                page_progress::title.eq(clip(&p.title, 200)),
                page_progress::seconds.eq(p.seconds.max(0)),
                page_progress::completed.eq(p.completed),
                page_progress::created_at.eq(t),
                page_progress::updated_at.eq(t),
            ))
            .execute(conn)?;
        created.add("pages");
    }
    for a in &l.achievements {
        if !exists!(conn, achievements::table.find(&a.id))? {
            skipped.add("achievements");
            continue;
        }
        if exists!(conn, learner_achievements::table.find((lid, &a.id)))? {
            continue;
        }
        diesel::insert_into(learner_achievements::table)
            .values((
                learner_achievements::learner_id.eq(lid),
                learner_achievements::achievement_id.eq(&a.id),
                learner_achievements::unlocked_at.eq(a.unlocked_at.naive_utc()),
            ))
            .execute(conn)?;
        created.add("achievements");
    }
    for d in &l.drawings {
        let id = derive(caller, "drawing", &d.id);
        if exists!(conn, drawings::table.find(&id))? {
            continue;
        }
        let Some(ext) = images.get(&id) else {
            skipped.add("drawings");
            continue;
        };
        let key = format!("drawings/imported/{id}.{ext}");
        let content_type = crate::storage::content_type_of(&key);
        let size: i64 = match l
            .drawings
            .iter()
            .find(|x| x.id == d.id)
            .and_then(|x| x.image_base64.as_deref())
        {
            Some(b) => B64.decode(b).map(|v| v.len() as i64).unwrap_or(0),
            None => 0,
        };
        diesel::insert_into(drawings::table)
            .values((
                drawings::id.eq(&id),
                drawings::learner_id.eq(lid),
                drawings::title.eq(clip(&d.title, 200)),
                drawings::category.eq(clip(&d.category, 100)),
                drawings::object_key.eq(&key),
                drawings::content_type.eq(content_type),
                drawings::size_bytes.eq(size),
                drawings::created_at.eq(d.created_at.naive_utc()),
            ))
            .execute(conn)?;
        created.add("drawings");
    }
    for a in &l.assessments {
        let src = a.id.clone().unwrap_or_else(|| {
            format!(
                "{}|{}|{}|{}",
                l.learner.id, a.assessment_type, a.component, a.created_at
            )
        });
        let id = derive(caller, "assessment", &src);
        if exists!(conn, assessments::table.find(&id))? {
            continue;
        }
        let at = a.created_at.naive_utc();
        diesel::insert_into(assessments::table)
            .values((
                assessments::id.eq(&id),
                assessments::learner_id.eq(lid),
                assessments::assessment_type.eq(clip(&a.assessment_type, 100)),
                assessments::component.eq(clip(&a.component, 100)),
                assessments::grade.eq(clip(&a.grade, 20)),
                assessments::percentage.eq(a.percentage.filter(|p| p.is_finite())),
                assessments::feedback.eq(a.feedback.as_deref().map(|f| clip(f, 5000))),
                assessments::created_at.eq(at),
                assessments::updated_at.eq(at),
            ))
            .execute(conn)?;
        created.add("assessments");
    }
    Ok(())
}
