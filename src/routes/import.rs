//! `POST /v1/me/import`: the JSON that `GET /v1/me/export` gives on another installation,
//! recreated under the caller's account: children (for a parent) or the student's own play
//! history, with settings, sessions and answers (encrypted again with this server's key),
//! progress, screen time, pages, achievements, drawings (their images travel base64 in the
//! export), assessments and notifications.
//!
//! Idempotent: every new id is derived from the caller and the id in the file, so a second
//! import of the same file finds everything already there and creates nothing. Sessions of
//! activities this installation does not have are skipped (and counted as such).

use actix_web::post;
use std::collections::{BTreeMap, HashMap, HashSet};
use utoipa_actix_web::scope;
use utoipa_actix_web::service_config::ServiceConfig;

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
use crate::db::schema::*;
use crate::error::{AppError, AppResult, Code};
use crate::state::AppState;
use crate::storage::ObjectStore;

mod export_file;
use export_file::ExportFile;

/// Whether the query finds a row.
macro_rules! exists {
    ($conn:expr, $q:expr) => {
        $q.count().get_result::<i64>($conn).map(|n| n > 0)
    };
}

mod learner;
use learner::{Target, import_history, insert_learner, learner_target};

/// The largest import body: an export with its drawings.
pub const MAX_IMPORT_BYTES: usize = 64 * 1024 * 1024;
/// The most image bytes one export embeds (drawings past it are listed without the image).
pub const EXPORT_IMAGES_MAX: usize = 40 * 1024 * 1024;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(
        scope("/me/import")
            .app_data(web::PayloadConfig::new(MAX_IMPORT_BYTES))
            .service(import),
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
#[utoipa::path(tag = "account", security(("bearer" = [])),
    request_body(content = Object, content_type = "application/json", description = "the JSON of GET /v1/me/export from another installation (at most 64 MiB)"),
    responses((status = 200, body = ImportResult, description = "a second import of the same file creates nothing"),
        (status = 401), (status = 403, description = "admins have nothing to import into"), (status = 413), (status = 415), (status = 422)))]
#[post("")]
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
                        Code::StorageUnavailable,
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
