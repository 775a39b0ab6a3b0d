//! Drawings (multipart upload of PNG, JPEG or WebP, recognised by their magic bytes, at most
//! 5 MiB) and `GET /v1/content/{key}` for narration and images from the object store.

use actix_web::{HttpRequest, HttpResponse, http::header, web};
use actix_web::{delete, get, post};
use futures_util::StreamExt;
use serde_json::json;
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::features::audit::{self, Change, RequestMeta};
use crate::features::auth::access::readable_learner;
use crate::features::auth::{AuthUser, LearnerAccess};
use crate::features::drawings::{self, DrawingView, MAX_IMAGE, Row, sniff, view};
use crate::infra::error::{AppError, AppResult, Code};
use crate::infra::time::now;
use crate::web::extract::{multipart_form, read_field};
use crate::web::state::AppState;

const MAX_FIELD: usize = 1024;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(upload)
        .service(list)
        .service(image)
        .service(delete);
}

fn storage_error(what: &str, cause: crate::infra::storage::StorageError) -> AppError {
    AppError::new(
        crate::infra::error::ErrorKind::Unavailable,
        Code::StorageUnavailable,
        what.to_string(),
    )
    .with_cause(cause)
}

/// The multipart form of an upload (read field by field; this type only documents it).
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct DrawingUpload {
    #[schema(min_length = 1, max_length = 200, pattern = r"\S")]
    title: String,
    #[schema(min_length = 1, max_length = 50, pattern = r"\S")]
    category: String,
    /// PNG, JPEG or WebP (recognised by its first bytes), at most 5 MiB.
    #[schema(value_type = String, format = Binary, content_media_type = "image/png")]
    image: Vec<u8>,
}

/// Upload a drawing: multipart fields `title`, `category`, `image`.
#[utoipa::path(tag = "drawings", security(("bearer" = [])),
    request_body(content = DrawingUpload, content_type = "multipart/form-data"),
    responses((status = 201, body = DrawingView), (status = 404), (status = 413), (status = 415), (status = 422),
        (status = 503, description = "`storage_unavailable`: the object store did not take the image; nothing was kept")))]
#[post("/learners/{id}/drawings")]
pub async fn upload(
    req: HttpRequest,
    state: web::Data<AppState>,
    access: LearnerAccess,
    meta: RequestMeta,
    payload: web::Payload,
) -> AppResult<HttpResponse> {
    let mut form = multipart_form(
        &req,
        payload,
        MAX_IMAGE,
        "images are at most 5 MiB",
        "title, category and image",
    )?;
    let (mut title, mut category, mut picture) = (None, None, None);
    while let Some(field) = form.next().await {
        let mut field =
            field.map_err(|e| AppError::bad_request(Code::BadMultipart, e.to_string()))?;
        let name = field.name().unwrap_or("").to_string();
        match name.as_str() {
            "image" => {
                picture = Some(
                    read_field(&mut field, MAX_IMAGE, "image", "images are at most 5 MiB").await?,
                )
            }
            "title" | "category" => {
                let raw = read_field(&mut field, MAX_FIELD, &name, "").await?;
                let text = String::from_utf8(raw.to_vec())
                    .map_err(|_| AppError::invalid_field(&name, "must be text"))?;
                if name == "title" {
                    title = Some(text)
                } else {
                    category = Some(text)
                }
            }
            _ => {
                read_field(&mut field, MAX_IMAGE, &name, "").await?;
            }
        }
    }
    let title = title
        .map(|t| t.trim().to_string())
        .filter(|t| (1..=200).contains(&t.chars().count()));
    let category = category
        .map(|t| t.trim().to_lowercase())
        .filter(|t| (1..=50).contains(&t.chars().count()));
    let mut fields = std::collections::BTreeMap::new();
    if title.is_none() {
        fields.insert(
            "title".to_string(),
            "between 1 and 200 characters".to_string(),
        );
    }
    if category.is_none() {
        fields.insert(
            "category".to_string(),
            "between 1 and 50 characters".to_string(),
        );
    }
    if picture.is_none() {
        fields.insert("image".to_string(), "required".to_string());
    }
    if !fields.is_empty() {
        return Err(AppError::validation(fields));
    }
    let picture = picture.expect("checked").freeze();
    let (content_type, ext) = sniff(&picture)
        .ok_or_else(|| AppError::unsupported_media("images must be PNG, JPEG or WebP"))?;
    let id = uuid::Uuid::now_v7().to_string();
    let key = format!("drawings/{}/{id}.{ext}", access.learner.id);
    if let Err(e) = state.storage.put(&key, picture.clone(), content_type).await {
        // A store that failed to answer may still have taken the object: ask it to let go
        // (in the background; the client hears at once that nothing was kept).
        let (store, k) = (state.clone(), key.clone());
        actix_web::rt::spawn(async move { store.storage.delete(&k).await });
        return Err(storage_error(
            "the image could not be stored; nothing was kept, send it again later",
            e,
        ));
    }
    let row = Row {
        id,
        learner_id: access.learner.id.clone(),
        title: title.unwrap(),
        category: category.unwrap(),
        object_key: key.clone(),
        content_type: content_type.to_string(),
        size_bytes: picture.len() as i64,
        created_at: now(),
    };
    let r = row.clone();
    let uid = access.user.id.clone();
    let saved = state
        .db
        .transaction(move |conn| {
            drawings::insert(conn, &r)?;
            let new = Some(json!({
                "learner_id": r.learner_id,
                "title": r.title,
                "category": r.category,
                "size_bytes": r.size_bytes,
            }));
            audit::record(
                conn,
                &meta,
                Change {
                    user_id: &uid,
                    action: "create",
                    entity_type: "drawing",
                    entity_id: &r.id,
                    old: None,
                    new,
                },
            )
        })
        .await;
    if let Err(e) = saved {
        // Nothing points at the object: take it away again.
        let _ = state.storage.delete(&key).await;
        return Err(e);
    }
    Ok(HttpResponse::Created().json(view(row)))
}

/// A learner's drawings, newest first.
#[utoipa::path(tag = "drawings", security(("bearer" = [])),
    responses((status = 200, body = [DrawingView]), (status = 404)))]
#[get("/learners/{id}/drawings")]
pub async fn list(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let learner = readable_learner(&state.learner_reads, user, path.into_inner().into()).await?;
    let list = state
        .db
        .run(move |conn| Ok(drawings::of_learner(conn, &learner.id)?))
        .await?;
    Ok(HttpResponse::Ok().json(list))
}

async fn find(state: &AppState, id: String) -> AppResult<Row> {
    state
        .db
        .run(move |conn| drawings::find(conn, &id)?.ok_or_else(|| AppError::not_found("drawing")))
        .await
}

/// The image itself.
#[utoipa::path(tag = "drawings", security(("bearer" = [])),
    responses((status = 200, description = "the image", content_type = "image/*"), (status = 404),
        (status = 503, description = "`storage_unavailable`: the object store does not answer")))]
#[get("/drawings/{id}/image")]
pub async fn image(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let row = find(&state, path.into_inner()).await?;
    readable_learner(&state.learner_reads, user, row.learner_id.as_str().into())
        .await
        .map_err(|_| AppError::not_found("drawing"))?;
    let obj = state
        .storage
        .get(&row.object_key)
        .await
        .map_err(|e| storage_error("could not read the image", e))?
        .ok_or_else(|| AppError::not_found("drawing"))?;
    Ok(HttpResponse::Ok()
        .content_type(row.content_type)
        .insert_header((header::CACHE_CONTROL, "private, max-age=3600"))
        .body(obj.bytes))
}

/// Delete a drawing and its image (the learner's parent or the student).
#[utoipa::path(tag = "drawings", security(("bearer" = [])),
    responses((status = 204), (status = 404)))]
#[delete("/drawings/{id}")]
pub async fn delete(
    state: web::Data<AppState>,
    user: AuthUser,
    meta: RequestMeta,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let row = find(&state, path.into_inner()).await?;
    let access = LearnerAccess::load(&state.learner_reads, user, row.learner_id.as_str().into())
        .await
        .map_err(|_| AppError::not_found("drawing"))?;
    let key = row.object_key.clone();
    state
        .db
        .transaction(move |conn| {
            drawings::delete(conn, &row.id)?;
            let old = Some(
                json!({"learner_id": row.learner_id, "title": row.title, "category": row.category}),
            );
            audit::record(
                conn,
                &meta,
                Change {
                    user_id: &access.user.id,
                    action: "delete",
                    entity_type: "drawing",
                    entity_id: &row.id,
                    old,
                    new: None,
                },
            )
        })
        .await?;
    if let Err(e) = state.storage.delete(&key).await {
        tracing::warn!(key, error = %e, "drawing deleted but its object was not");
    }
    Ok(HttpResponse::NoContent().finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn magic_bytes() {
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\nrest").unwrap().0, "image/png");
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xE0]).unwrap().0, "image/jpeg");
        assert_eq!(
            sniff(b"RIFF\x00\x00\x00\x00WEBPVP8 ").unwrap().0,
            "image/webp"
        );
        assert!(sniff(b"GIF89a").is_none());
        assert!(sniff(b"<svg").is_none());
    }
}
