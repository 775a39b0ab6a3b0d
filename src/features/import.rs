//! Importing the JSON that `GET /v1/me/export` gives on another installation
//! (`POST /v1/me/import`), recreated under the caller's account: children (for a parent) or
//! the student's own play history, with settings, sessions and answers (encrypted again with
//! this server's key), progress, screen time, pages, achievements, drawings (their images
//! travel base64 in the export), assessments and notifications.
//!
//! Idempotent: every new id is derived from the caller and the id in the file, so a second
//! import of the same file finds everything already there and creates nothing. Sessions of
//! activities this installation does not have are skipped (and counted as such).

use std::collections::{BTreeMap, HashMap, HashSet};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use diesel::prelude::*;
use serde::Serialize;
use serde_json::json;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use crate::features::audit::{self, Change, RequestMeta};
use crate::features::auth::Role;
use crate::infra::crypto::Cipher;
use crate::infra::db::DbConnection;
use crate::infra::db::schema::*;
use crate::infra::error::{AppError, Code};
use crate::infra::storage::ObjectStore;

mod export_file;
pub use export_file::ExportFile;

/// Whether the query finds a row.
macro_rules! exists {
    ($conn:expr, $q:expr) => {
        $q.count().get_result::<i64>($conn).map(|n| n > 0)
    };
}

mod learner;
use learner::{Target, import_history, insert_learner, learner_target};

/// The id a row from the file gets here: the same for the same caller and source row, so a
/// second import finds it.
pub fn derive(caller: &str, kind: &str, source: &str) -> String {
    let digest = Sha256::digest(format!("studyhub-import\0{caller}\0{kind}\0{source}"));
    let bytes: [u8; 16] = digest[..16].try_into().expect("16 bytes");
    uuid::Builder::from_custom_bytes(bytes)
        .into_uuid()
        .to_string()
}

#[derive(Default, Debug)]
pub struct Tally(BTreeMap<&'static str, u64>);

impl Tally {
    fn add(&mut self, what: &'static str) {
        *self.0.entry(what).or_default() += 1;
    }
    /// Every kind, zero included, so a client sees what an import can touch.
    pub fn counts(&self) -> BTreeMap<String, u64> {
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

pub fn bad(field: &str, reason: &str) -> AppError {
    AppError::invalid_field(field, reason)
}

fn clip(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

/// The ids the file's drawings get here.
pub fn drawing_ids(file: &ExportFile, caller: &str) -> Vec<String> {
    file.learners
        .iter()
        .flat_map(|l| l.drawings.iter().map(|d| derive(caller, "drawing", &d.id)))
        .collect()
}

/// The drawings of the file already here (imported before): their files are not sent again.
pub fn existing_drawings(conn: &mut DbConnection, ids: &[String]) -> QueryResult<HashSet<String>> {
    Ok(drawings::table
        .filter(drawings::id.eq_any(ids))
        .select(drawings::id)
        .load::<String>(conn)?
        .into_iter()
        .collect())
}

/// The drawings' files go to the store before their rows exist (same keys on a second
/// import), so a row never points at a missing file. Answers each stored drawing's id here
/// with its file's extension.
pub async fn store_images(
    storage: &ObjectStore,
    file: &ExportFile,
    caller: &str,
    role: Role,
    existing: &HashSet<String>,
) -> Result<HashMap<String, &'static str>, AppError> {
    let mut images: HashMap<String, &'static str> = HashMap::new();
    for l in &file.learners {
        let learner_here = learner_target(role, &l.learner.id, l.learner.parent_id.is_some());
        for d in &l.drawings {
            let id = derive(caller, "drawing", &d.id);
            let (Some(_), Some(data)) = (learner_here.as_ref(), d.image_base64.as_deref()) else {
                continue;
            };
            if existing.contains(&id) {
                continue;
            }
            let bytes = B64
                .decode(data)
                .map_err(|_| bad("learners.drawings.image_base64", "not base64"))?;
            if bytes.len() > crate::features::drawings::MAX_IMAGE {
                return Err(AppError::too_large("images are at most 5 MiB"));
            }
            let Some((content_type, ext)) = crate::features::drawings::sniff(&bytes) else {
                continue;
            };
            // Imported files live under the drawing's (derived) id: the same key on a second
            // import, whoever the learner is here.
            let key = format!("drawings/imported/{id}.{ext}");
            images.insert(id, ext);
            storage
                .put(&key, bytes::Bytes::from(bytes), content_type)
                .await
                .map_err(|e| {
                    AppError::new(
                        crate::infra::error::ErrorKind::Unavailable,
                        Code::StorageUnavailable,
                        "the drawing could not be stored",
                    )
                    .with_cause(e)
                })?;
        }
    }
    Ok(images)
}

/// Everything else in the file, in one transaction (call inside one): learners (new ones,
/// or the student's own), their history, the parent's notifications, and the import's audit
/// entry. Answers what was created and what was already there.
pub fn import_records(
    conn: &mut DbConnection,
    cipher: &Cipher,
    meta: &RequestMeta,
    caller: &str,
    role: Role,
    file: &ExportFile,
    images: &HashMap<String, &'static str>,
) -> Result<(Tally, Tally), AppError> {
    let mut created = Tally::default();
    let mut skipped = Tally::default();
    let own: Option<String> = learners::table
        .filter(learners::user_id.eq(caller))
        .select(learners::id)
        .first(conn)
        .optional()?;
    let mut mapped: HashMap<String, String> = HashMap::new();
    for l in &file.learners {
        let lid = match learner_target(role, &l.learner.id, l.learner.parent_id.is_some()) {
            Some(Target::New(src)) => {
                let id = derive(caller, "learner", src);
                if !exists!(conn, learners::table.find(&id))? {
                    insert_learner(conn, caller, &id, l)?;
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
            cipher,
            caller,
            &lid,
            l,
            images,
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
        let src = n
            .id
            .clone()
            .unwrap_or_else(|| format!("{}|{}|{}|{}", n.child_id, n.kind, n.created_at, n.title));
        let id = derive(caller, "notification", &src);
        if exists!(conn, notifications::table.find(&id))? {
            continue;
        }
        let at = n.created_at.naive_utc();
        diesel::insert_into(notifications::table)
            .values((
                notifications::id.eq(&id),
                notifications::parent_id.eq(caller),
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
        meta,
        Change {
            user_id: caller,
            action: "import",
            entity_type: "account",
            entity_id: caller,
            old: None,
            new: Some(json!({"source_user": file.user.id, "created": created.counts()})),
        },
    )?;
    Ok((created, skipped))
}
