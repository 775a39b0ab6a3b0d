//! How a request becomes the caller a handler takes: the extractors for the types of
//! `features::auth` (and `LearnerAccess`, `TaughtClass`, `RequestMeta`). They read the app's
//! state, so they live at the top; the rules they apply are the features'.

use std::future::{Future, Ready, ready};
use std::pin::Pin;

use actix_web::{FromRequest, HttpRequest, dev::Payload, web};
use serde::Deserialize;
use studyhub_actors::ids::LearnerId;

use crate::features::audit::RequestMeta;
use crate::features::auth::{
    AdminUser, AuthUser, ChildUser, LearnerAccess, ParentUser, Role, TeacherUser, bearer_token,
    child, client_addr,
};
use crate::features::classes::TaughtClass;
use crate::infra::error::{AppError, AppResult, Code};
use crate::web::state::AppState;

type Extracted<T> = Pin<Box<dyn Future<Output = Result<T, AppError>>>>;

fn state(req: &HttpRequest) -> Result<&web::Data<AppState>, AppError> {
    req.app_data::<web::Data<AppState>>()
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("AppState missing")))
}

/// The caller: a valid access token whose account still accepts it (see
/// `features::auth::gate`). A child's device is refused outside the routes it may call
/// (`features::auth::child`): every handler is covered, whichever extractor it takes.
pub async fn authenticate(req: &HttpRequest) -> Result<AuthUser, AppError> {
    let token = bearer_token(req)
        .ok_or_else(|| AppError::unauthorized(Code::Unauthenticated, "sign in to do this"))?;
    let state = state(req)?.clone();
    let claims = state.jwt.verify(&token)?;
    let user = AuthUser {
        id: claims.sub,
        role: claims.role,
        device_learner: claims.lid,
    };
    // Before the gate: a child's device is told no the same way whatever its token's state.
    child::admit(&user, req.method(), req.match_pattern().as_deref())?;
    state
        .token_gate
        .check(&state.db, &user.id, claims.ver)
        .await?;
    Ok(user)
}

/// Who opens a websocket: a ticket's owner (with the learner it is bound to), or the bearer
/// of an access token.
pub async fn ws_caller(
    req: &HttpRequest,
    state: &AppState,
    ticket: Option<String>,
) -> AppResult<(AuthUser, Option<String>)> {
    match ticket {
        Some(ticket) => {
            let (user, bound) = state
                .tickets
                .redeem(
                    &state.db,
                    state.redis.as_deref(),
                    &state.token_gate,
                    &ticket,
                )
                .await?;
            child::admit(&user, req.method(), req.match_pattern().as_deref())?;
            Ok((user, bound))
        }
        None => Ok((authenticate(req).await?, None)),
    }
}

impl FromRequest for AuthUser {
    type Error = AppError;
    type Future = Extracted<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { authenticate(&req).await })
    }
}

macro_rules! role_extractor {
    ($name:ident, [$($role:expr),+]) => {
        impl FromRequest for $name {
            type Error = AppError;
            type Future = Extracted<Self>;

            fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
                let req = req.clone();
                Box::pin(async move {
                    let u = authenticate(&req).await?;
                    u.require(&[$($role),+])?;
                    Ok($name(u))
                })
            }
        }
    };
}

role_extractor!(ParentUser, [Role::Parent]);
role_extractor!(TeacherUser, [Role::Teacher, Role::Admin]);
role_extractor!(AdminUser, [Role::Admin]);
role_extractor!(ChildUser, [Role::Child]);

#[derive(Deserialize)]
struct LearnerQuery {
    learner_id: Option<LearnerId>,
}

/// From the route's `{learner_id}` or `{id}` segment, or the `learner_id` query parameter.
impl FromRequest for LearnerAccess {
    type Error = AppError;
    type Future = Extracted<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let user = authenticate(&req).await?;
            let id = req
                .match_info()
                .get("learner_id")
                .or_else(|| req.match_info().get("id"))
                .map(LearnerId::from)
                .or_else(|| {
                    web::Query::<LearnerQuery>::from_query(req.query_string())
                        .ok()
                        .and_then(|q| q.into_inner().learner_id)
                })
                .ok_or_else(|| AppError::invalid_field("learner_id", "required"))?;
            let state = state(&req)?.clone();
            LearnerAccess::load(&state.learner_reads, user, id).await
        })
    }
}

/// From the route's `{id}`.
impl FromRequest for TaughtClass {
    type Error = AppError;
    type Future = Extracted<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let user = authenticate(&req).await?;
            let id = req
                .match_info()
                .get("id")
                .map(String::from)
                .ok_or_else(|| AppError::not_found("class"))?;
            let state = state(&req)?.clone();
            TaughtClass::load(&state.db, user, id).await
        })
    }
}

impl FromRequest for RequestMeta {
    type Error = AppError;
    type Future = Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let trust = req
            .app_data::<web::Data<AppState>>()
            .is_some_and(|s| s.settings.trust_proxy);
        ready(Ok(RequestMeta {
            ip: Some(client_addr(req, trust)),
            user_agent: req
                .headers()
                .get(actix_web::http::header::USER_AGENT)
                .and_then(|v| v.to_str().ok())
                .map(|s| s.chars().take(500).collect()),
        }))
    }
}
