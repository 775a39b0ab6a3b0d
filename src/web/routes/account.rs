//! The account's own data: `GET /v1/me/export` (everything, as JSON) and `DELETE /v1/me`
//! (erase the account and everything that hangs off it; the password again, to be sure).

use actix_web::{HttpResponse, web};
use actix_web::{delete, get};
use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;
use validator::Validate;

use crate::features::account;
use crate::features::audit::{self, Change, RequestMeta};
use crate::features::auth::AuthUser;
pub use crate::features::export::AccountExport;
use crate::infra::error::{AppError, AppResult};
use crate::web::extract::{Normalize, ValidJson};
use crate::web::password_again;
use crate::web::state::AppState;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(export).service(erase);
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
pub struct EraseRequest {
    #[validate(length(min = 1, max = 128, message = "required"))]
    #[schema(min_length = 1, max_length = 128)]
    pub password: String,
}
impl Normalize for EraseRequest {}

/// Erases the account: its learners (with sessions, answers, progress, drawings and their
/// files, assessments), notifications, classes taught, sign-ins. Activities it wrote stay in
/// the catalog without an author. The erasure itself is audited (without personal data).
#[utoipa::path(tag = "account", request_body = EraseRequest, security(("bearer" = [])),
    responses((status = 204), (status = 401, description = "wrong password"), (status = 429, description = "rate_limited: five wrong passwords in 15 minutes (the allowance a password change uses), with Retry-After")))]
#[delete("/me")]
pub async fn erase(
    state: web::Data<AppState>,
    user: AuthUser,
    meta: RequestMeta,
    body: ValidJson<EraseRequest>,
) -> AppResult<HttpResponse> {
    password_again::confirm(&state, &meta, &user.id, body.0.password, "wrong password").await?;
    let uid = user.id.clone();
    let learner_ids: Vec<String> = state
        .db
        .run(move |conn| {
            Ok(account::learners_of(conn, &uid)?
                .into_iter()
                .map(|l| l.id)
                .collect())
        })
        .await?;
    // Play ends at once for every learner of the account.
    for id in &learner_ids {
        state.control.stop_play(&id.into()).await;
    }
    let uid = user.id.clone();
    let n = learner_ids.len();
    let keys = state
        .db
        .transaction_retrying(move |conn| {
            let keys = account::prepare_erasure(conn, &uid)?;
            audit::record(
                conn,
                &meta,
                Change {
                    user_id: &uid,
                    action: "delete",
                    entity_type: "account",
                    entity_id: &uid,
                    old: Some(json!({"learners": n})),
                    new: None,
                },
            )?;
            account::erase(conn, &uid)?;
            Ok(keys)
        })
        .await?;
    // Its tokens stop working and its sockets close (4003) on every node.
    state.control.account_changed(&user.id).await;
    for id in &learner_ids {
        state.control.learner_changed(&id.into()).await;
    }
    for key in keys {
        if let Err(e) = state.storage.delete(&key).await {
            tracing::warn!(key, error = %e, "an erased drawing's file could not be removed");
        }
    }
    tracing::info!(user_id = %user.id, "account erased");
    Ok(HttpResponse::NoContent().finish())
}

/// Everything the account holds, readable: profile, learners with settings, sessions and
/// their answers (decrypted), progress, screen time, pages, achievements, drawings (with the
/// image, base64, up to an export-wide budget), assessments, requests for more time;
/// notifications; classes taught and activities written.
#[utoipa::path(tag = "account", security(("bearer" = [])),
    responses((status = 200, body = AccountExport), (status = 401)))]
#[get("/me/export")]
pub async fn export(state: web::Data<AppState>, user: AuthUser) -> AppResult<HttpResponse> {
    let cipher = state.cipher.clone();
    let body = state
        .db
        .run(move |conn| {
            Ok(crate::features::export::account_export(
                conn, &cipher, &user.id,
            )?)
        })
        .await?;
    let mut body = serde_json::to_value(body).map_err(AppError::internal)?;
    crate::features::export::embed_drawings(&state.storage, &mut body).await;
    Ok(HttpResponse::Ok()
        .insert_header((
            "Content-Disposition",
            "attachment; filename=\"studyhub-export.json\"",
        ))
        .json(body))
}
