//! How a pupil without an email signs in: the class code, their name and their two pictures
//! (`POST /v1/auth/class-login`, the names listed by `GET /v1/auth/class-login/{join_code}`),
//! or their printed card (`POST /v1/auth/card-login`). Each answers tokens as a login does.
//!
//! Limits: five wrong tries for one pupil in 15 minutes (the login limiter, shared by every
//! node through Redis), and 50 failures of any kind from one address in 15 minutes.

use actix_web::{HttpRequest, HttpResponse, web};
use actix_web::{get, post};
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;
use validator::Validate;

use crate::features::audit::{self, RequestMeta};
use crate::features::auth::shared_limit::{Attempt, SharedLimiter};
use crate::features::auth::{client_addr, users};
use crate::features::classes;
use crate::features::pupils::{self, SignInList};
use crate::infra::error::{AppError, AppResult, Code};
use crate::web::extract::{Normalize, ValidJson};
pub use crate::web::sign_in::AuthResponse;
use crate::web::sign_in::signed_in;
use crate::web::state::AppState;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(class_list)
        .service(class_login)
        .service(card_login);
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
pub struct ClassLogin {
    #[validate(length(min = 1, max = 20, message = "a class code"))]
    #[schema(min_length = 1, max_length = 20, pattern = r"\S")]
    pub join_code: String,
    #[validate(length(min = 1, max = 64, message = "a learner id"))]
    #[schema(min_length = 1, max_length = 64)]
    pub learner_id: String,
    /// The pupil's two pictures, in order (names from the sign-in list's `pictures`).
    #[schema(min_items = 2, max_items = 2)]
    pub picture: [String; 2],
}
impl Normalize for ClassLogin {
    fn normalize(&mut self) {
        self.join_code = self.join_code.trim().to_uppercase();
        self.learner_id = self.learner_id.trim().to_string();
    }
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
pub struct CardLogin {
    #[validate(length(min = 1, max = 128, message = "a card's token"))]
    #[schema(min_length = 1, max_length = 128)]
    pub token: String,
}
impl Normalize for CardLogin {
    fn normalize(&mut self) {
        self.token = self.token.trim().to_string();
    }
}

fn address_key(req: &HttpRequest, state: &AppState) -> String {
    format!("ip:{}", client_addr(req, state.settings.trust_proxy))
}

async fn acquire(limiter: &SharedLimiter, keys: &[&str]) -> AppResult<Attempt> {
    limiter
        .try_acquire(keys)
        .await
        .map_err(|wait| AppError::rate_limited(wait.as_secs().max(1)))
}

/// A refused pupil sign-in goes in the audit log as a refused login does (`login_failed`),
/// with the pupil's account when the name was right; never the pictures or the card's token.
async fn audit_failure(
    state: &AppState,
    meta: RequestMeta,
    account: Option<String>,
    details: serde_json::Value,
) -> AppResult<()> {
    state
        .db
        .run(move |conn| {
            audit::record_account_event(conn, &meta, account.as_deref(), "login_failed", details)
        })
        .await
}

fn wrong() -> AppError {
    AppError::unauthorized(
        Code::InvalidCredentials,
        "wrong class code, name or pictures",
    )
}

/// The sign-in page's list for a class code: the class's name, its pupils without an email
/// (first names, by name) and the sixteen pictures. Public; an unknown code counts against
/// the address.
#[utoipa::path(tag = "auth", params(("join_code" = String, Path, description = "the class code")),
    responses((status = 200, body = SignInList), (status = 404, description = "no class has this code"), (status = 429, description = "rate_limited: too many unknown codes from this address, with Retry-After")))]
#[get("/auth/class-login/{join_code}")]
pub async fn class_list(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let code = path.into_inner().trim().to_uppercase();
    let ip = address_key(&req, &state);
    let attempt = acquire(&state.pupil_address_limiter, &[ip.as_str()]).await?;
    let found = state
        .db
        .run(move |conn| Ok(pupils::sign_in_list(conn, &code)?))
        .await?
        .ok_or_else(|| AppError::not_found("class with that code"))?;
    state
        .pupil_address_limiter
        .release(&[ip.as_str()], attempt)
        .await;
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(found))
}

/// A pupil signs in with the class code, their learner id (picked by name) and their two
/// pictures in order. Five wrong tries for one pupil in 15 minutes are 429 on every node.
#[utoipa::path(tag = "auth", request_body = ClassLogin,
    responses((status = 200, body = AuthResponse), (status = 401, description = "invalid_credentials: wrong code, pupil or pictures, alike"), (status = 429, description = "rate_limited, with Retry-After")))]
#[post("/auth/class-login")]
pub async fn class_login(
    req: HttpRequest,
    state: web::Data<AppState>,
    meta: RequestMeta,
    body: ValidJson<ClassLogin>,
) -> AppResult<HttpResponse> {
    let body = body.0;
    let ip = address_key(&req, &state);
    let pupil = format!("pupil:{}", body.learner_id);
    // Counted before checking, as a login is: parallel guesses get five checks in all.
    let address = acquire(&state.pupil_address_limiter, &[ip.as_str()]).await?;
    let attempt = acquire(&state.login_limiter, &[pupil.as_str()]).await?;
    let (code, lid) = (body.join_code.clone(), body.learner_id.clone());
    let found = state
        .db
        .run(move |conn| {
            let Some(class) = classes::by_join_code(conn, &code)? else {
                return Ok(None);
            };
            let Some((c, user_id)) = pupils::credentials(conn, &lid)? else {
                return Ok(None);
            };
            if c.class_id != class.id || !pupils::on_roster(conn, &c)? {
                return Ok(None);
            }
            Ok(Some((c, users::active_by_id(conn, &user_id)?)))
        })
        .await?;
    let user = match found {
        Some((c, Some(user))) if pupils::pictures_match(&c, &body.picture) => user,
        found => {
            tracing::info!(learner_id = %body.learner_id, "a pupil's sign-in failed");
            let account = found.and_then(|(_, user)| user.map(|u| u.id));
            let details = serde_json::json!({"method": "class", "learner_id": body.learner_id});
            audit_failure(&state, meta, account, details).await?;
            return Err(wrong());
        }
    };
    state
        .login_limiter
        .release(&[pupil.as_str()], attempt)
        .await;
    state.login_limiter.clear(&pupil).await;
    state
        .pupil_address_limiter
        .release(&[ip.as_str()], address)
        .await;
    signed_in(&state, user, meta, "class").await
}

/// A pupil signs in with their card's token (the QR code's `/signin?card=…`).
#[utoipa::path(tag = "auth", request_body = CardLogin,
    responses((status = 200, body = AuthResponse), (status = 401, description = "invalid_credentials: an unknown or renewed card"), (status = 429, description = "rate_limited, with Retry-After")))]
#[post("/auth/card-login")]
pub async fn card_login(
    req: HttpRequest,
    state: web::Data<AppState>,
    meta: RequestMeta,
    body: ValidJson<CardLogin>,
) -> AppResult<HttpResponse> {
    let token = body.0.token;
    let ip = address_key(&req, &state);
    let address = acquire(&state.pupil_address_limiter, &[ip.as_str()]).await?;
    let user = state
        .db
        .run(move |conn| match pupils::by_card(conn, &token)? {
            Some((c, user_id)) if pupils::on_roster(conn, &c)? => {
                Ok(users::active_by_id(conn, &user_id)?)
            }
            _ => Ok(None),
        })
        .await?;
    let Some(user) = user else {
        tracing::info!("a pupil's card did not sign in");
        audit_failure(&state, meta, None, serde_json::json!({"method": "card"})).await?;
        return Err(AppError::unauthorized(
            Code::InvalidCredentials,
            "this card does not sign anyone in (it may have been renewed)",
        ));
    };
    state
        .pupil_address_limiter
        .release(&[ip.as_str()], address)
        .await;
    signed_in(&state, user, meta, "card").await
}
