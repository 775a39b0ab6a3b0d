//! Web Push subscriptions: a signed-in browser (a parent's, a teacher's, a student's; never a
//! child's device, which `CHILD_ROUTES` leaves out) asks for the server's key, subscribes with
//! its push service, and hands the subscription over here. What is pushed is in
//! `features::push`.

use actix_web::{HttpResponse, web};
use actix_web::{delete, get, post};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;
use validator::Validate;

use crate::features::auth::AuthUser;
use crate::features::push::address;
use crate::features::push::subscriptions::{self, MAX_PER_USER, NewSubscription, Subscribed};
use crate::infra::error::{AppError, AppResult};
use crate::web::extract::{Normalize, ValidJson};
use crate::web::state::AppState;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(key).service(subscribe).service(unsubscribe);
}

/// The server's VAPID public key.
#[derive(Debug, Serialize, ToSchema)]
pub struct PushKey {
    /// The uncompressed P-256 point, base64url: `applicationServerKey` for
    /// `pushManager.subscribe`.
    pub public_key: String,
}

/// The server's application server key (RFC 8292), for `pushManager.subscribe`.
#[utoipa::path(tag = "push", security(("bearer" = [])),
    responses((status = 200, body = PushKey), (status = 403, description = "a child's device")))]
#[get("/push/key")]
pub async fn key(state: web::Data<AppState>, _user: AuthUser) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(PushKey {
        public_key: state.vapid.public_key().to_string(),
    }))
}

/// The browser's keys, as `PushSubscription.toJSON()` gives them.
#[derive(Debug, Deserialize, ToSchema)]
pub struct SubscriptionKeys {
    /// The browser's P-256 public key, base64url (65 bytes).
    #[schema(max_length = 200)]
    pub p256dh: String,
    /// The browser's authentication secret, base64url (16 bytes).
    #[schema(max_length = 200)]
    pub auth: String,
}

/// A browser's push subscription (`PushSubscription.toJSON()`; `expirationTime` is ignored).
#[derive(Debug, Deserialize, Validate, ToSchema)]
pub struct SubscribeRequest {
    /// The push service's URL for this browser: `https`, on a public address.
    #[schema(max_length = 1024)]
    pub endpoint: String,
    pub keys: SubscriptionKeys,
}
impl Normalize for SubscribeRequest {}

#[derive(Debug, Serialize, ToSchema)]
pub struct SubscriptionCreated {
    pub id: String,
}

/// Every notification stored for the caller is pushed to this browser from now on. The same
/// endpoint again updates its keys (same `id`); at most 20 per account.
#[utoipa::path(tag = "push", request_body = SubscribeRequest, security(("bearer" = [])),
    responses((status = 201, body = SubscriptionCreated),
        (status = 403, description = "a child's device"),
        (status = 422, description = "`endpoint` not https, or on a loopback, private or \
            link-local address; `keys.p256dh` or `keys.auth` malformed; 20 subscriptions already")))]
#[post("/push/subscriptions")]
pub async fn subscribe(
    state: web::Data<AppState>,
    user: AuthUser,
    body: ValidJson<SubscribeRequest>,
) -> AppResult<HttpResponse> {
    let b = body.0;
    let sub = NewSubscription::parse(&b.endpoint, &b.keys.p256dh, &b.keys.auth)?;
    address::check(&sub.endpoint, state.settings.push.allow_insecure)
        .await
        .map_err(|e| AppError::invalid_field("endpoint", e.reason()))?;
    let stored = state
        .db
        .transaction(move |conn| subscriptions::subscribe(conn, &user.id, &sub))
        .await?;
    match stored {
        Subscribed::Stored(id) => Ok(HttpResponse::Created().json(SubscriptionCreated { id })),
        Subscribed::Full => Err(AppError::invalid_field(
            "endpoint",
            format!("at most {MAX_PER_USER} subscriptions per account: remove one first"),
        )),
    }
}

/// This browser hears nothing more. Another account's subscription is 404.
#[utoipa::path(tag = "push", security(("bearer" = [])),
    responses((status = 204), (status = 403, description = "a child's device"),
        (status = 404, description = "no such subscription of the caller's")))]
#[delete("/push/subscriptions/{id}")]
pub async fn unsubscribe(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let found = state
        .db
        .transaction(move |conn| subscriptions::unsubscribe(conn, &user.id, &id))
        .await?;
    if !found {
        return Err(AppError::not_found("push subscription"));
    }
    Ok(HttpResponse::NoContent().finish())
}
