//! A user's email choices (`GET|PUT /v1/me/preferences`) and the digest's one-click
//! unsubscribe (RFC 8058), which needs no sign-in: its link is signed.

use actix_web::{HttpResponse, get, post, put, web};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::features::audit::{self, Change, RequestMeta};
use crate::features::auth::AuthUser;
use crate::features::mail::preferences::{self, Preferences};
use crate::infra::error::{AppError, AppResult};
use crate::web::extract::{Normalize, ValidJson};
use crate::web::state::AppState;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(get_preferences)
        .service(put_preferences)
        .service(unsubscribe);
}

impl Normalize for Preferences {}

/// The caller's email choices.
#[utoipa::path(tag = "account", security(("bearer" = [])),
    responses((status = 200, body = Preferences), (status = 401)))]
#[get("/me/preferences")]
pub async fn get_preferences(
    state: web::Data<AppState>,
    user: AuthUser,
) -> AppResult<HttpResponse> {
    let p = state
        .db
        .run(move |conn| Ok(preferences::of(conn, &user.id)?))
        .await?;
    Ok(HttpResponse::Ok().json(p))
}

/// Change the caller's email choices (`email_digest`: the weekly digest).
#[utoipa::path(tag = "account", request_body = Preferences, security(("bearer" = [])),
    responses((status = 200, body = Preferences), (status = 401), (status = 422)))]
#[put("/me/preferences")]
pub async fn put_preferences(
    state: web::Data<AppState>,
    user: AuthUser,
    meta: RequestMeta,
    body: ValidJson<Preferences>,
) -> AppResult<HttpResponse> {
    let p = body.0;
    let stored = p.clone();
    state
        .db
        .transaction(move |conn| {
            let old = preferences::set(conn, &user.id, &stored)?;
            audit::record(
                conn,
                &meta,
                Change {
                    user_id: &user.id,
                    action: "update",
                    entity_type: "preferences",
                    entity_id: &user.id,
                    old: serde_json::to_value(old).ok(),
                    new: serde_json::to_value(&stored).ok(),
                },
            )
        })
        .await?;
    Ok(HttpResponse::Ok().json(p))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct UnsubscribeQuery {
    /// The account (from the link).
    #[param(max_length = 100)]
    pub user: String,
    /// The link's signature.
    #[param(max_length = 100)]
    pub token: String,
}

/// One-click unsubscribe from the weekly digest (RFC 8058): the `List-Unsubscribe` address,
/// POSTed by the mail client (body `List-Unsubscribe=One-Click`, not read). No sign-in: the
/// link is signed for its account.
#[utoipa::path(tag = "account", params(UnsubscribeQuery),
    responses((status = 204, description = "the digest is off"), (status = 403, description = "the link is not signed for this account"), (status = 422)))]
#[post("/email/unsubscribe")]
pub async fn unsubscribe(
    state: web::Data<AppState>,
    meta: RequestMeta,
    q: web::Query<UnsubscribeQuery>,
) -> AppResult<HttpResponse> {
    let UnsubscribeQuery { user, token } = q.into_inner();
    if user.len() > 100 || !state.unsubscribe_key.verify(&user, &token) {
        return Err(AppError::forbidden("this unsubscribe link is not valid"));
    }
    state
        .db
        .transaction(move |conn| {
            let off = Preferences {
                email_digest: false,
            };
            let old = preferences::set(conn, &user, &off)?;
            audit::record(
                conn,
                &meta,
                Change {
                    user_id: &user,
                    action: "unsubscribe",
                    entity_type: "preferences",
                    entity_id: &user,
                    old: serde_json::to_value(old).ok(),
                    new: serde_json::to_value(off).ok(),
                },
            )
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
