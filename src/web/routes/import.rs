//! `POST /v1/me/import`: the JSON that `GET /v1/me/export` gives on another installation,
//! recreated under the caller's account (see `crate::features::import`); and
//! `POST /v1/me/import/study-hub`, the IGCSE Study Hub's saved data.

use actix_web::post;
use actix_web::{HttpRequest, HttpResponse, web};
use utoipa_actix_web::scope;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::features::audit::{self, Change, RequestMeta};
use crate::features::auth::{AuthUser, Role};
pub use crate::features::import::ImportResult;
use crate::features::import::{
    ExportFile, bad, drawing_ids, existing_drawings, import_records, store_images,
};
use crate::features::study_hub::{self as hub, Imported, PageVisit, QuizResult};
use crate::infra::error::{AppError, AppResult};
use crate::web::extract::{JsonLimit, Normalize, ValidJson};
use crate::web::state::AppState;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use super::study_hub::QuizSubmission;
use crate::features::learners;

/// The largest Study Hub file: 10 000 items of a few hundred bytes each, with room.
pub const STUDY_HUB_BYTES: usize = 16 * 1024 * 1024;

/// The largest import body: an export with its drawings.
pub const MAX_IMPORT_BYTES: usize = 64 * 1024 * 1024;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(
        scope("/me/import")
            .app_data(web::PayloadConfig::new(MAX_IMPORT_BYTES))
            // The Study Hub's saved data (up to 5 000 results and 5 000 pages) as JSON.
            .app_data(JsonLimit(STUDY_HUB_BYTES))
            .service(import)
            .service(study_hub),
    );
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
    let wanted = drawing_ids(&file, &caller);
    let existing = state
        .db
        .run(move |conn| Ok(existing_drawings(conn, &wanted)?))
        .await?;
    let images = store_images(&state.storage, &file, &caller, role, &existing).await?;
    let cipher = state.cipher.clone();
    let imported = state
        .db
        .transaction(move |conn| {
            import_records(conn, &cipher, &meta, &caller, role, &file, &images)
        })
        .await;
    // Even after an error: the commit may have happened.
    state.control.all_progress_changed().await;
    let (created, skipped) = imported?;
    Ok(HttpResponse::Ok().json(ImportResult {
        created: created.counts(),
        skipped: skipped.counts(),
    }))
}

/// A page visit from the hub's saved data (its field names).
#[derive(Debug, Clone, Deserialize, Serialize, Validate, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PageSaved {
    #[validate(length(min = 1, max = 200, message = "between 1 and 200 characters"))]
    #[schema(min_length = 1, max_length = 200)]
    pub page_id: String,
    #[validate(length(min = 1, max = 300, message = "between 1 and 300 characters"))]
    #[schema(min_length = 1, max_length = 300)]
    pub page_title: String,
    #[validate(range(min = 0, max = 86_400, message = "between 0 and 86400 seconds"))]
    #[schema(minimum = 0, maximum = 86_400)]
    pub time_spent: i32,
    #[serde(default)]
    pub completed: bool,
    pub visited_at: DateTime<Utc>,
}

/// The hub's saved data.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct StudyHubData {
    #[serde(default)]
    #[validate(length(max = 5000, message = "at most 5000 results"), nested)]
    #[schema(max_items = 5000)]
    pub quiz_results: Vec<QuizSubmission>,
    #[serde(default)]
    #[validate(length(max = 5000, message = "at most 5000 pages"), nested)]
    #[schema(max_items = 5000)]
    pub page_progress: Vec<PageSaved>,
}

impl Normalize for StudyHubData {
    fn normalize(&mut self) {
        self.quiz_results.iter_mut().for_each(Normalize::normalize);
    }
}

/// The Study Hub's saved data (`quizResults`, `pageProgress`), each item imported once: the
/// same file again imports nothing.
#[utoipa::path(tag = "students", request_body = StudyHubData, security(("bearer" = [])),
    responses((status = 200, body = Imported), (status = 403), (status = 413), (status = 422)))]
#[post("/study-hub")]
pub async fn study_hub(
    state: web::Data<AppState>,
    user: AuthUser,
    meta: RequestMeta,
    body: ValidJson<StudyHubData>,
) -> AppResult<HttpResponse> {
    let learner_id = learners::own_learner_id(&state.db, &user).await?;
    let now = Utc::now();
    let data = body.0;
    let results: Vec<QuizResult> = data
        .quiz_results
        .into_iter()
        .map(|q| q.result(now))
        .collect();
    let visits: Vec<PageVisit> = data
        .page_progress
        .into_iter()
        .map(|p| PageVisit {
            page_id: p.page_id.trim().to_string(),
            page_title: p.page_title.trim().to_string(),
            time_spent_seconds: p.time_spent,
            completed: p.completed,
            visited_at: p.visited_at.min(now),
        })
        .collect();
    let lid = learner_id.clone();
    let done = state
        .db
        .transaction(move |conn| {
            let done = hub::import(conn, &lid, &results, &visits)?;
            audit::record(
                conn,
                &meta,
                Change {
                    user_id: &user.id,
                    action: "import",
                    entity_type: "study_hub",
                    entity_id: &lid,
                    old: None,
                    new: audit::json(&done),
                },
            )?;
            Ok(done)
        })
        .await?;
    if done.imported > 0 {
        state
            .control
            .progress_changed(vec![learner_id.as_str().into()])
            .await;
    }
    Ok(HttpResponse::Ok().json(done))
}
