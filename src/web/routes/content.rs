//! Recordings and pictures for activities: teachers upload them (`POST /v1/content`), pages
//! and players read them (`GET /v1/content/{key}`).

use actix_web::{HttpRequest, HttpResponse, get, http::header, post, web};
use futures_util::StreamExt;
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::features::audit::{self, Change, RequestMeta};
use crate::features::auth::TeacherUser;
use crate::features::content_files::{MAX_FILE, sniff};
use crate::infra::error::{AppError, AppResult, Code, ErrorKind};
use crate::infra::storage::valid_key;
use crate::web::extract::{multipart_form, read_field};
use crate::web::state::AppState;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(upload).service(content);
}

/// The multipart form of an upload (read field by field; this type only documents it).
#[derive(ToSchema, serde::Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct ContentUpload {
    /// MP3, Ogg, WAV, PNG, JPEG, WebP or SVG (recognised by its bytes), at most 10 MiB.
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ContentStored {
    /// The file's key in the content store.
    pub key: String,
    /// Where it is read: use it as a question's `image_url`, `narration_url` or `audio.url`.
    pub url: String,
    pub content_type: String,
    pub size_bytes: usize,
}

/// Upload a recording or a picture for activities (teachers and admins): multipart `file`.
#[utoipa::path(tag = "content", security(("bearer" = [])),
    request_body(content = ContentUpload, content_type = "multipart/form-data"),
    responses((status = 201, body = ContentStored), (status = 403), (status = 413), (status = 415), (status = 422),
        (status = 503, description = "`storage_unavailable`: the object store did not take the file; nothing was kept")))]
#[post("/content")]
pub async fn upload(
    req: HttpRequest,
    state: web::Data<AppState>,
    teacher: TeacherUser,
    meta: RequestMeta,
    payload: web::Payload,
) -> AppResult<HttpResponse> {
    let too_large = "files are at most 10 MiB";
    let mut form = multipart_form(&req, payload, MAX_FILE, too_large, "a file")?;
    let mut file = None;
    while let Some(field) = form.next().await {
        let mut field =
            field.map_err(|e| AppError::bad_request(Code::BadMultipart, e.to_string()))?;
        let name = field.name().unwrap_or("").to_string();
        if name != "file" {
            return Err(AppError::invalid_field(
                &name,
                "unknown field: send only `file`",
            ));
        }
        file = Some(read_field(&mut field, MAX_FILE, &name, too_large).await?);
    }
    let file = file
        .ok_or_else(|| AppError::invalid_field("file", "required"))?
        .freeze();
    let (content_type, ext) = sniff(&file).ok_or_else(|| {
        AppError::unsupported_media("files must be MP3, Ogg, WAV, PNG, JPEG, WebP or SVG")
    })?;
    let key = format!("{}.{ext}", uuid::Uuid::now_v7());
    let size_bytes = file.len();
    state
        .storage
        .put(&format!("content/{key}"), file, content_type)
        .await
        .map_err(|e| {
            AppError::new(
                ErrorKind::Unavailable,
                Code::StorageUnavailable,
                format!("could not keep the file: {e}"),
            )
        })?;
    let stored = ContentStored {
        url: format!("/v1/content/{key}"),
        key,
        content_type: content_type.to_string(),
        size_bytes,
    };
    let (uid, entry) = (teacher.0.id.clone(), stored.key.clone());
    let new = json!({"key": stored.key, "content_type": content_type, "size_bytes": size_bytes});
    state
        .db
        .run(move |conn| {
            audit::record(
                conn,
                &meta,
                Change {
                    user_id: &uid,
                    action: "create",
                    entity_type: "content",
                    entity_id: &entry,
                    old: None,
                    new: Some(new),
                },
            )
        })
        .await?;
    Ok(HttpResponse::Created().json(stored))
}

/// Narration audio and images for activities, from the object store (`content/…`). An SVG is
/// served so that nothing in it runs.
#[utoipa::path(tag = "content",
    responses((status = 200, description = "the file, with its content type", content_type = "*/*"), (status = 404)))]
#[get("/content/{key:.*}")]
pub async fn content(
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let key = path.into_inner();
    if !valid_key(&key) {
        return Err(AppError::not_found("content"));
    }
    let obj = state
        .storage
        .get(&format!("content/{key}"))
        .await
        .map_err(|e| {
            AppError::new(
                ErrorKind::Unavailable,
                Code::StorageUnavailable,
                format!("could not read the file: {e}"),
            )
        })?
        .ok_or_else(|| AppError::not_found("content"))?;
    Ok(HttpResponse::Ok()
        .content_type(obj.content_type)
        .insert_header((header::CACHE_CONTROL, "public, max-age=86400"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; style-src 'unsafe-inline'; sandbox",
        ))
        .body(obj.bytes))
}
