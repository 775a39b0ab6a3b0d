//! A child's device (`features::auth::child`): the parent's PIN (`PUT /v1/me/pin`), "Play on
//! this device" (`POST /v1/children/{id}/device-session`) and back to the parent
//! (`POST /v1/auth/parent-unlock`).
//!
//! Limits: five wrong PINs or passwords for one parent in 15 minutes (the login limiter,
//! shared by every node through Redis), whichever device they came from.

use actix_web::{HttpRequest, HttpResponse, post, put, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;
use validator::Validate;

use crate::features::audit::{self, Change, RequestMeta};
use crate::features::auth::access::parents_child;
use crate::features::auth::{ChildUser, ParentUser, REFRESH_COOKIE, child, password, users};
use crate::infra::error::{AppError, AppResult, Code};
use crate::infra::time::now;
use crate::web::extract::{Normalize, ValidJson};
use crate::web::password_again;
pub use crate::web::sign_in::AuthResponse;
use crate::web::sign_in::{auth_cookies, signed_in, with_cookies};
use crate::web::state::AppState;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(set_pin)
        .service(device_session)
        .service(parent_unlock);
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
pub struct PinRequest {
    /// 4 to 8 digits.
    #[schema(pattern = "^[0-9]{4,8}$", min_length = 4, max_length = 8)]
    pub pin: String,
    /// The parent's password, to show it is the parent setting it.
    #[validate(length(min = 1, max = 128, message = "required"))]
    #[schema(min_length = 1, max_length = 128)]
    pub password: String,
}
impl Normalize for PinRequest {
    fn normalize(&mut self) {
        self.pin = self.pin.trim().to_string();
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DeviceSession {
    pub access_token: String,
    pub refresh_token: String,
    /// Seconds until the access token expires.
    pub expires_in: i64,
    /// The child this device now plays as.
    pub learner_id: String,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
pub struct UnlockRequest {
    /// The parent's PIN (without a PIN set, it is checked as the password).
    #[validate(length(min = 1, max = 128, message = "at most 128 characters"))]
    #[schema(min_length = 1, max_length = 128)]
    pub pin: Option<String>,
    /// The parent's password (always accepted).
    #[validate(length(min = 1, max = 128, message = "at most 128 characters"))]
    #[schema(min_length = 1, max_length = 128)]
    pub password: Option<String>,
}
impl Normalize for UnlockRequest {
    fn normalize(&mut self) {
        self.pin = self.pin.take().map(|p| p.trim().to_string());
    }
}

async fn counted(
    state: &AppState,
    key: &str,
) -> AppResult<crate::features::auth::shared_limit::Attempt> {
    state
        .login_limiter
        .try_acquire(&[key])
        .await
        .map_err(|wait| AppError::rate_limited(wait.as_secs().max(1)))
}

/// Set or change the parent's PIN (4–8 digits), asked before a child's device goes back to
/// the parent. Only its hash is kept.
#[utoipa::path(tag = "children", request_body = PinRequest, security(("bearer" = [])),
    responses((status = 204), (status = 401, description = "invalid_credentials: wrong password"), (status = 403, description = "not a parent"),
        (status = 422, description = "`pin` is not 4 to 8 digits"), (status = 429, description = "rate_limited, with Retry-After")))]
#[put("/me/pin")]
pub async fn set_pin(
    state: web::Data<AppState>,
    parent: ParentUser,
    meta: RequestMeta,
    body: ValidJson<PinRequest>,
) -> AppResult<HttpResponse> {
    let body = body.0;
    if !child::valid_pin(&body.pin) {
        return Err(AppError::invalid_field("pin", "4 to 8 digits"));
    }
    let uid = parent.0.id.clone();
    // The password change's allowance: a PIN form is no way round it.
    password_again::confirm(&state, &meta, &uid, body.password, "wrong password").await?;
    let hash = password::hash(body.pin, state.settings.bcrypt_cost).await?;
    state
        .db
        .transaction(move |conn| {
            let replaced = child::set_pin_hash(conn, &uid, &hash, now())?;
            audit::record(
                conn,
                &meta,
                Change {
                    user_id: &uid,
                    action: if replaced { "update" } else { "create" },
                    entity_type: "parent_pin",
                    entity_id: &uid,
                    old: replaced.then(|| serde_json::json!({"pin_set": true})),
                    new: Some(serde_json::json!({"pin_set": true})),
                },
            )
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// "Play on this device": tokens of role `child` that may only play as this child. Their
/// cookies replace the parent's on this device.
#[utoipa::path(tag = "children", security(("bearer" = [])),
    params(("id" = String, Path, description = "the child")),
    responses((status = 201, body = DeviceSession), (status = 403, description = "not a parent"), (status = 404, description = "not the caller's child")))]
#[post("/children/{id}/device-session")]
pub async fn device_session(
    state: web::Data<AppState>,
    parent: ParentUser,
    meta: RequestMeta,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let uid = parent.0.id.clone();
    let parent_id = uid.clone();
    let learner = parents_child(&state.learner_reads, parent.0, path.into_inner().into()).await?;
    let lid = learner.id.clone();
    let (refresh_token, ver) = state
        .db
        .transaction(move |conn| {
            let user = users::active_by_id(conn, &uid)?.ok_or_else(|| {
                AppError::unauthorized(Code::InvalidToken, "this account no longer exists")
            })?;
            let token = child::start_device(conn, &uid, &lid, now())?;
            audit::record(
                conn,
                &meta,
                Change {
                    user_id: &uid,
                    action: "create",
                    entity_type: "device_session",
                    entity_id: &lid,
                    old: None,
                    new: Some(serde_json::json!({"learner_id": lid})),
                },
            )?;
            Ok((token, user.token_version))
        })
        .await?;
    let (access, expires_in) = state.jwt.issue_child(&parent_id, &learner.id, ver)?;
    let cookies = auth_cookies(&state, &access, &refresh_token);
    Ok(
        with_cookies(HttpResponse::Created(), cookies).json(DeviceSession {
            access_token: access,
            refresh_token,
            expires_in,
            learner_id: learner.id,
        }),
    )
}

/// Back to the parent from a child's device: the parent's PIN (or password) → the parent's
/// tokens, as a login answers. Five wrong in 15 minutes are 429 on every node.
#[utoipa::path(tag = "auth", request_body = UnlockRequest, security(("bearer" = [])),
    responses((status = 200, body = AuthResponse), (status = 401, description = "invalid_credentials: wrong PIN or password"),
        (status = 403, description = "not a child's device"), (status = 422, description = "neither `pin` nor `password`"),
        (status = 429, description = "rate_limited, with Retry-After")))]
#[post("/auth/parent-unlock")]
pub async fn parent_unlock(
    req: HttpRequest,
    state: web::Data<AppState>,
    device: ChildUser,
    meta: RequestMeta,
    body: ValidJson<UnlockRequest>,
) -> AppResult<HttpResponse> {
    let body = body.0;
    let (secret, as_pin) = match (body.pin, body.password) {
        (_, Some(password)) => (password, false),
        (Some(pin), None) => (pin, true),
        (None, None) => return Err(AppError::invalid_field("pin", "the PIN or the password")),
    };
    let uid = device.0.id.clone();
    let key = format!("unlock:{uid}");
    // Counted before bcrypt, as a login is: parallel guesses get five checks in all.
    let attempt = counted(&state, &key).await?;
    let id = uid.clone();
    let (user, pin_hash) = state
        .db
        .run(move |conn| Ok((users::active_by_id(conn, &id)?, child::pin_hash(conn, &id)?)))
        .await?;
    let user = user.ok_or_else(|| {
        AppError::unauthorized(Code::InvalidToken, "this account no longer exists")
    })?;
    // A PIN is checked against the PIN; without one set (or with the password) the password.
    let hash = match pin_hash {
        Some(h) if as_pin => h,
        _ => user.password_hash.clone(),
    };
    if !password::verify(secret, hash).await? {
        tracing::info!(user_id = %uid, "a wrong PIN on a child's device");
        let (meta, uid) = (meta.clone(), uid.clone());
        state
            .db
            .run(move |conn| {
                audit::record_account_event(
                    conn,
                    &meta,
                    Some(&uid),
                    "login_failed",
                    serde_json::json!({ "method": "parent_unlock" }),
                )
            })
            .await?;
        return Err(AppError::unauthorized(
            Code::InvalidCredentials,
            "that is not the grown-up's PIN",
        ));
    }
    state.login_limiter.release(&[key.as_str()], attempt).await;
    state.login_limiter.clear(&key).await;
    // The device's own session ends: its refresh cookie is replaced by the parent's.
    let device_token = req
        .cookie(REFRESH_COOKIE)
        .map(|c| c.value().to_string())
        .filter(|t| !t.is_empty());
    let learner = device.0.device_learner.clone().unwrap_or_default();
    let sign_meta = meta.clone();
    state
        .db
        .transaction(move |conn| {
            if let Some(token) = device_token {
                child::end_device(conn, &token)?;
            }
            audit::record(
                conn,
                &meta,
                Change {
                    user_id: &uid,
                    action: "update",
                    entity_type: "device_session",
                    entity_id: &learner,
                    old: Some(serde_json::json!({"learner_id": learner})),
                    new: Some(serde_json::json!({"unlocked": true})),
                },
            )
        })
        .await?;
    signed_in(&state, user, sign_meta, "parent_unlock").await
}
