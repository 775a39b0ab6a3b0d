//! The password change of a signed-in account.

use actix_web::{HttpResponse, post, web};
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;
use validator::Validate;

use crate::features::audit::{self, Change, RequestMeta};
use crate::features::auth::recovery;
use crate::features::auth::users;
use crate::features::auth::{AuthUser, common_passwords, password};
use crate::infra::error::AppResult;
use crate::web::extract::{Normalize, ValidJson};
use crate::web::password_again;
use crate::web::sign_in::{cleared_cookies, with_cookies};
use crate::web::state::AppState;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(change_password);
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
pub struct PasswordChange {
    #[validate(length(min = 1, max = 128, message = "required"))]
    #[schema(min_length = 1, max_length = 128)]
    pub current_password: String,
    #[validate(length(min = 8, max = 128, message = "between 8 and 128 characters"))]
    #[schema(min_length = 8, max_length = 128)]
    pub new_password: String,
}
impl Normalize for PasswordChange {}

/// Change the password: every refresh family is revoked, access tokens issued before stop
/// working, and the account's open websockets close with 4003.
#[utoipa::path(tag = "auth", request_body = PasswordChange, security(("bearer" = [])),
    responses((status = 204), (status = 401, description = "unauthenticated, or invalid_credentials: the current password is wrong"), (status = 422, description = "a field; a new_password among the most common ones is refused"), (status = 429, description = "rate_limited, with Retry-After")))]
#[post("/auth/password")]
pub async fn change_password(
    state: web::Data<AppState>,
    user: AuthUser,
    meta: RequestMeta,
    body: ValidJson<PasswordChange>,
) -> AppResult<HttpResponse> {
    let body = body.0;
    common_passwords::refuse_common("new_password", &body.new_password)?;
    password_again::confirm(
        &state,
        &meta,
        &user.id,
        body.current_password,
        "the current password is wrong",
    )
    .await?;
    let hash = password::hash(body.new_password, state.settings.bcrypt_cost).await?;
    let uid = user.id.clone();
    let (from, public_url) = (
        state.settings.mail.from.clone(),
        state.settings.public_url.clone(),
    );
    state
        .db
        .transaction(move |conn| {
            users::set_password_hash(conn, &uid, &hash)?;
            let links = recovery::Links {
                from: &from,
                public_url: &public_url,
            };
            crate::features::auth::alerts::password_changed(conn, &links, &uid, false)?;
            audit::record(
                conn,
                &meta,
                Change {
                    user_id: &uid,
                    action: "update",
                    entity_type: "password",
                    entity_id: &uid,
                    old: None,
                    new: Some(serde_json::json!({ "sessions_ended": true })),
                },
            )?;
            users::end_sessions(conn, &uid)
        })
        .await?;
    state.mailer.wake();
    state.control.account_changed(&user.id).await;
    tracing::info!(user_id = %user.id, "password changed; every session of the account ended");
    Ok(with_cookies(HttpResponse::NoContent(), cleared_cookies()).finish())
}
