//! `GET /v1/play` (the play websocket) and `POST /v1/realtime/tickets`.

use actix_web::{HttpRequest, HttpResponse, web};
use actix_web::{get, post};
use serde::{Deserialize, Serialize};
use studyhub_actors::EngineError;
use studyhub_actors::ids::LearnerId;
use studyhub_actors::learner::Learner;
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use validator::Validate;

use crate::features::auth::{AuthUser, LearnerAccess, bearer_token, tickets};
use crate::infra::error::{AppError, AppResult, ErrorKind};
use crate::web::extract::{Normalize, ValidJson};
use crate::web::extractors::ws_caller;
use crate::web::socket;
use crate::web::state::AppState;
use studyhub_actors::protocol::ClientMsg;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(create_ticket).service(play);
}

#[derive(Debug, Default, Deserialize, Validate, ToSchema)]
pub struct TicketRequest {
    /// The learner the ticket will play as (required for `/v1/play`).
    #[validate(length(min = 1, max = 64))]
    #[schema(min_length = 1, max_length = 64)]
    pub learner_id: Option<String>,
}

impl Normalize for TicketRequest {}

#[derive(Debug, Serialize, ToSchema)]
pub struct TicketResponse {
    pub ticket: String,
    pub expires_in: i64,
}

/// A single-use, 30-second ticket for opening a websocket from a browser.
#[utoipa::path(tag = "play", request_body = TicketRequest, security(("bearer" = [])),
    responses((status = 201, body = TicketResponse), (status = 401), (status = 404, description = "not a learner you may play as")))]
#[post("/realtime/tickets")]
pub async fn create_ticket(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: AuthUser,
    body: ValidJson<TicketRequest>,
) -> AppResult<HttpResponse> {
    // A child's device's tickets are always bound to its learner.
    let learner_id = body.0.learner_id.or_else(|| user.device_learner.clone());
    if let Some(id) = &learner_id {
        LearnerAccess::load(&state.learner_reads, user.clone(), id.into()).await?;
    }
    // The ticket carries the token version, so it stops working with the access token.
    let ver = bearer_token(&req)
        .and_then(|t| state.jwt.verify(&t).ok())
        .map_or(0, |c| c.ver);
    let ticket = state.tickets.issue(&user, ver, learner_id.as_deref())?;
    Ok(HttpResponse::Created().json(TicketResponse {
        ticket,
        expires_in: tickets::TICKET_TTL_SECS,
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PlayQuery {
    pub learner_id: String,
    /// A realtime ticket, for clients that cannot send an Authorization header.
    pub ticket: Option<String>,
}

/// The play websocket. Messages are described in docs/protocol.md ("Play").
#[utoipa::path(tag = "play", params(PlayQuery),
    responses((status = 101, description = "switching to the play protocol"), (status = 401), (status = 403, description = "not a learner you may play as"),
        (status = 503, description = "the learner's live state was restarting; connect again")))]
#[get("/play")]
pub async fn play(
    req: HttpRequest,
    body: web::Payload,
    state: web::Data<AppState>,
    query: web::Query<PlayQuery>,
) -> AppResult<HttpResponse> {
    let PlayQuery { learner_id, ticket } = query.into_inner();
    let learner_id = LearnerId::from(learner_id);
    let (user, bound) = ws_caller(&req, &state, ticket).await?;
    if bound.as_ref().is_some_and(|b| learner_id != *b) {
        return Err(AppError::forbidden(
            "this ticket was issued for another learner",
        ));
    }
    // Only the student themself or the child's parent may play (403 before the upgrade). A
    // ticket bound to this learner was issued only after the same check, seconds ago.
    let user_id = user.id.clone();
    if bound.is_none() {
        LearnerAccess::load(&state.learner_reads, user, learner_id.clone())
            .await
            .map_err(|e| match e.kind {
                ErrorKind::NotFound => AppError::forbidden("you may not play as this learner"),
                _ => e,
            })?;
    }
    let mut actor = match state.engine.learner(&learner_id).await {
        Err(EngineError::Gone) => state.engine.learner(&learner_id).await,
        other => other,
    }?;
    let upgraded = socket::upgrade(&req, body, socket::OUTBOX)?;
    let conn_id = upgraded.conn_id;
    // The actor may stop between the lookup and the join: a fresh one is started then.
    if !actor.connect(conn_id, upgraded.tx.clone()).await {
        actor = state.engine.learner(&learner_id).await?;
        if !actor.connect(conn_id, upgraded.tx.clone()).await {
            return Err(AppError::try_again());
        }
    }
    let joined = Joined { actor, conn_id };
    let signals = state.user_sockets.subscribe(&user_id);
    let load = Some(state.engine.load());
    Ok(upgraded.spawn("play", signals, load, move |text| {
        let msg = socket::parse_frame::<ClientMsg>(text)?;
        // Awaited by the socket: a learner that is behind slows its reads (bounded mailbox).
        Ok(Some(Box::pin(
            joined.actor.from_client(joined.conn_id, msg),
        )))
    }))
}

/// A connection joined to its learner's actor: leaves it when the socket ends, however it
/// ends (the socket's future owns this through its frame handler).
struct Joined {
    actor: Learner,
    conn_id: u64,
}

impl Drop for Joined {
    fn drop(&mut self) {
        self.actor.disconnect(self.conn_id);
    }
}
