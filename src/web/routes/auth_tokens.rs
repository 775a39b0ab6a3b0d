//! Tokens: a refresh token traded for new ones, and signing out.

use actix_web::{HttpRequest, HttpResponse, post, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::features::audit::{self, RequestMeta};
use crate::features::auth::refresh::{self, Rotation};
use crate::features::auth::users::bump_token_version;
use crate::features::auth::{REFRESH_COOKIE, Role, bearer_token};
use crate::infra::error::{AppError, AppResult, Code};
use crate::web::extract::{parse_json, read_body};
use crate::web::sign_in::{auth_cookies, cleared_cookies, with_cookies};
use crate::web::state::AppState;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(refresh_tokens).service(logout);
}

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct RefreshRequest {
    pub refresh_token: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenResponse {
    pub access_token: String,
    pub refresh_token: String,
    pub expires_in: i64,
}

/// The refresh token from the JSON body, else from the cookie.
async fn presented_refresh_token(
    req: &HttpRequest,
    payload: &mut actix_web::dev::Payload,
) -> AppResult<Option<String>> {
    let bytes = read_body(req, payload, 8 * 1024).await?;
    let from_body = if bytes.iter().all(u8::is_ascii_whitespace) {
        None
    } else {
        parse_json::<RefreshRequest>(&bytes)?.refresh_token
    };
    Ok(from_body.filter(|t| !t.is_empty()).or_else(|| {
        req.cookie(REFRESH_COOKIE)
            .map(|c| c.value().to_string())
            .filter(|t| !t.is_empty())
    }))
}

/// Trade a refresh token for a new access token and a new refresh token. The old one is
/// spent; presenting it again revokes the whole family (`token_reused`).
#[utoipa::path(tag = "auth", request_body(content = RefreshRequest, description = "or the refresh_token cookie"),
    responses((status = 200, body = TokenResponse), (status = 401, description = "invalid_token, token_expired, token_revoked or token_reused")))]
#[post("/auth/refresh")]
pub async fn refresh_tokens(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> AppResult<HttpResponse> {
    let mut payload = payload.into_inner();
    let token = presented_refresh_token(&req, &mut payload)
        .await?
        .ok_or_else(|| {
            AppError::unauthorized(Code::Unauthenticated, "no refresh token was presented")
        })?;
    // A child's device's family gives child tokens again (and none once the child is gone).
    let rotation = state
        .db
        .transaction(move |conn| {
            Ok(match refresh::rotate(conn, &token)? {
                Rotation::Rotated(user, next, family) => {
                    match crate::features::auth::child::family_learner(conn, &family) {
                        Ok(device) => Ok((user, next, device)),
                        Err(refusal) => Err(refusal),
                    }
                }
                Rotation::Refused(err) => Err(err),
            })
        })
        .await?;
    let (user, refresh_token, device) = rotation?;
    let role = Role::parse(&user.role).unwrap_or(Role::Student);
    // A child's device stays the child's across refreshes (and reloads).
    let (access, expires_in) = match &device {
        Some(learner) => state
            .jwt
            .issue_child(&user.id, learner, user.token_version)?,
        None => state.jwt.issue(&user.id, role, user.token_version)?,
    };
    let cookies = auth_cookies(&state, &access, &refresh_token);
    Ok(
        with_cookies(HttpResponse::Ok(), cookies).json(TokenResponse {
            access_token: access,
            refresh_token,
            expires_in,
        }),
    )
}

/// Sign out: revokes the presented refresh token's family (or, with only an access token,
/// every session of the account) and clears the cookies.
#[utoipa::path(tag = "auth", request_body(content = RefreshRequest, description = "optional"),
    responses((status = 204)))]
#[post("/auth/logout")]
pub async fn logout(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
    meta: RequestMeta,
) -> AppResult<HttpResponse> {
    let mut payload = payload.into_inner();
    let token = presented_refresh_token(&req, &mut payload).await?;
    let claims = bearer_token(&req).and_then(|t| state.jwt.verify(&t).ok());
    // A child's device signs out only its own session (its refresh token), never the
    // parent's everywhere.
    if token.is_none() && claims.as_ref().is_some_and(|c| c.role == Role::Child) {
        return Err(AppError::forbidden(
            "a child's device signs out with its refresh token only",
        ));
    }
    let user = claims.map(|c| c.sub);
    if token.is_none() && user.is_none() {
        return Err(AppError::unauthorized(
            Code::Unauthenticated,
            "nothing to sign out of",
        ));
    }
    let signed_out = state
        .db
        .transaction(move |conn| {
            let owner = match (&token, &user) {
                (Some(token), _) => refresh::revoke_by_token(conn, token)?,
                (None, Some(user)) => {
                    refresh::revoke_user(conn, user)?;
                    Some(user.clone())
                }
                (None, None) => None,
            };
            // Access tokens issued so far stop working too; other devices of the account
            // refresh theirs (their refresh tokens are untouched).
            if let Some(owner) = &owner {
                bump_token_version(conn, owner)?;
                let scope = if token.is_some() {
                    "session"
                } else {
                    "everywhere"
                };
                audit::record_account_event(
                    conn,
                    &meta,
                    Some(owner),
                    "logout",
                    serde_json::json!({ "scope": scope }),
                )?;
            }
            Ok(owner)
        })
        .await?;
    if let Some(owner) = signed_out {
        state.token_gate.forget(&owner);
    }
    Ok(with_cookies(HttpResponse::NoContent(), cleared_cookies()).finish())
}
