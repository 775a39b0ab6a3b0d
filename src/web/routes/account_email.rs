//! The links sent by email: a forgotten password reset, an address verified.

use actix_web::{HttpRequest, HttpResponse, post, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;
use validator::Validate;

use crate::features::audit::RequestMeta;
use crate::features::auth::recovery::{self, Links};
use crate::features::auth::{client_addr, password};
use crate::infra::error::{AppError, AppResult};
use crate::web::extract::{Normalize, ValidJson};
use crate::web::sign_in::cleared_cookies;
use crate::web::sign_in::with_cookies;
use crate::web::state::AppState;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(request_reset)
        .service(confirm_reset)
        .service(verify_email);
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
pub struct ResetRequest {
    #[validate(
        email(message = "not a valid email address"),
        length(max = 254, message = "at most 254 characters")
    )]
    #[schema(format = Email, max_length = 254)]
    pub email: String,
}

impl Normalize for ResetRequest {
    fn normalize(&mut self) {
        self.email = self.email.trim().to_lowercase();
    }
}

/// The answer to a reset asked for: the same whether or not an account has the address.
#[derive(Debug, Serialize, ToSchema)]
pub struct ResetAccepted {
    pub message: &'static str,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
pub struct ResetConfirm {
    /// The `token` of the link in the email.
    #[validate(length(min = 1, max = 200, message = "required"))]
    #[schema(min_length = 1, max_length = 200)]
    pub token: String,
    #[validate(length(min = 8, max = 128, message = "between 8 and 128 characters"))]
    #[schema(min_length = 8, max_length = 128)]
    pub password: String,
}
impl Normalize for ResetConfirm {}

#[derive(Debug, Deserialize, Validate, ToSchema)]
pub struct VerifyEmail {
    /// The `token` of the link in the email.
    #[validate(length(min = 1, max = 200, message = "required"))]
    #[schema(min_length = 1, max_length = 200)]
    pub token: String,
}
impl Normalize for VerifyEmail {}

/// Ask for a password reset link. 202 whether or not an account has this address (nothing
/// tells who has an account); when one has, it gets an email with a link to `/reset` that
/// works once, for 30 minutes.
#[utoipa::path(tag = "auth", request_body = ResetRequest,
    responses((status = 202, body = ResetAccepted, description = "accepted (an email is sent if an account has this address)"), (status = 422), (status = 429, description = "rate_limited: 5 an hour per address asked for, 30 an hour per client address, with Retry-After")))]
#[post("/auth/password-reset")]
pub async fn request_reset(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: ValidJson<ResetRequest>,
) -> AppResult<HttpResponse> {
    let email = body.0.email;
    let ip_key = format!("ip:{}", client_addr(&req, state.settings.trust_proxy));
    let email_key = format!("email:{email}");
    // Both counted whatever the answer: a limit reached says nothing about the account.
    for (limiter, key) in [
        (&state.reset_address_limiter, &ip_key),
        (&state.reset_email_limiter, &email_key),
    ] {
        limiter
            .try_acquire(&[key.as_str()])
            .await
            .map_err(|wait| AppError::rate_limited(wait.as_secs().max(1)))?;
    }
    let (from, public_url) = (
        state.settings.mail.from.clone(),
        state.settings.public_url.clone(),
    );
    let queued = state
        .db
        .transaction(move |conn| {
            let links = Links {
                from: &from,
                public_url: &public_url,
            };
            recovery::request_reset(conn, &links, &email)
        })
        .await?;
    if queued {
        state.mailer.wake();
    }
    Ok(HttpResponse::Accepted().json(ResetAccepted {
        message: "if an account has this address, an email with a link is on its way",
    }))
}

/// Set a new password with the token of a reset link. Every session of the account ends, as
/// with a password change: refresh tokens are revoked, access tokens stop working and open
/// websockets close with 4003. The token is spent (as is every other reset link of the
/// account).
#[utoipa::path(tag = "auth", request_body = ResetConfirm,
    responses((status = 204), (status = 422, description = "a field; `token` when it is unknown, already used or expired; `password` when it is one of the most common")))]
#[post("/auth/password-reset/confirm")]
pub async fn confirm_reset(
    state: web::Data<AppState>,
    meta: RequestMeta,
    body: ValidJson<ResetConfirm>,
) -> AppResult<HttpResponse> {
    let ResetConfirm { token, password } = body.0;
    crate::features::auth::common_passwords::refuse_common("password", &password)?;
    // The token is checked before the password is hashed: a wrong one costs no bcrypt.
    let t = token.clone();
    state
        .db
        .run(move |conn| recovery::reset_owner(conn, &t))
        .await?;
    let hash = password::hash(password, state.settings.bcrypt_cost).await?;
    let (from, public_url) = (
        state.settings.mail.from.clone(),
        state.settings.public_url.clone(),
    );
    let user_id = state
        .db
        .transaction(move |conn| {
            let links = Links {
                from: &from,
                public_url: &public_url,
            };
            recovery::confirm_reset(conn, &links, &meta, &token, &hash)
        })
        .await?;
    state.mailer.wake();
    state.control.account_changed(&user_id).await;
    tracing::info!(user_id = %user_id, "password reset by email; every session of the account ended");
    Ok(with_cookies(HttpResponse::NoContent(), cleared_cookies()).finish())
}

/// Verify the account's address with the token of the link sent at registration.
#[utoipa::path(tag = "auth", request_body = VerifyEmail,
    responses((status = 204), (status = 422, description = "a field; `token` when it is unknown, already used or expired")))]
#[post("/auth/verify-email")]
pub async fn verify_email(
    state: web::Data<AppState>,
    meta: RequestMeta,
    body: ValidJson<VerifyEmail>,
) -> AppResult<HttpResponse> {
    let token = body.0.token;
    state
        .db
        .transaction(move |conn| recovery::verify(conn, &meta, &token))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
