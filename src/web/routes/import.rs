//! `POST /v1/me/import`: the JSON that `GET /v1/me/export` gives on another installation,
//! recreated under the caller's account (see `crate::features::import`).

use actix_web::post;
use actix_web::{HttpRequest, HttpResponse, web};
use utoipa_actix_web::scope;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::features::audit::RequestMeta;
use crate::features::auth::{AuthUser, Role};
pub use crate::features::import::ImportResult;
use crate::features::import::{
    ExportFile, bad, drawing_ids, existing_drawings, import_records, store_images,
};
use crate::infra::error::{AppError, AppResult};
use crate::web::state::AppState;

/// The largest import body: an export with its drawings.
pub const MAX_IMPORT_BYTES: usize = 64 * 1024 * 1024;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(
        scope("/me/import")
            .app_data(web::PayloadConfig::new(MAX_IMPORT_BYTES))
            .service(import),
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
