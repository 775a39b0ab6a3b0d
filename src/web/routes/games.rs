//! Class games: the teacher makes one (`POST /v1/classes/{id}/games`) and drives it on the host
//! socket (`GET /v1/games/{id}/host`); students join from their play socket. The game itself
//! is a `GameActor` in the engine, on the node that created it. Frames: docs/protocol.md.

use actix_web::{HttpRequest, HttpResponse, web};
use actix_web::{get, post};
use serde::{Deserialize, Serialize};
use studyhub_actors::game::{DEFAULT_QUESTION_SECONDS, GameSpec, HostMsg};
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;
use validator::Validate;

use crate::features::auth::AuthUser;
use crate::infra::error::{AppError, AppResult};
use crate::web::extract::{Normalize, ValidJson};
use crate::web::extractors::ws_caller;
use crate::web::socket;
use crate::web::state::AppState;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(create).service(host);
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
pub struct GameRequest {
    #[validate(length(min = 1, max = 100, message = "an activity id"))]
    pub activity_id: String,
    /// 5..120, default 20.
    #[validate(range(min = 5, max = 120, message = "between 5 and 120"))]
    #[schema(minimum = 5, maximum = 120)]
    pub seconds_per_question: Option<u32>,
}

impl Normalize for GameRequest {
    fn normalize(&mut self) {
        self.activity_id = self.activity_id.trim().to_string();
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct GameView {
    pub game_id: String,
    pub class_id: String,
    pub activity_id: String,
    /// Always `lobby` for a new game.
    pub state: String,
    pub seconds_per_question: u32,
    pub question_count: usize,
}

/// A new game for a class (its teacher only). It waits in the lobby for students and the
/// teacher's first `next` on the host socket.
#[utoipa::path(tag = "games", request_body = GameRequest, security(("bearer" = [])),
    params(("id" = String, Path, description = "the class")),
    responses((status = 201, body = GameView), (status = 401),
        (status = 404, description = "not a class the caller teaches"),
        (status = 422, description = "unknown or archived activity, or seconds out of range")))]
#[post("/classes/{id}/games")]
pub async fn create(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<String>,
    body: ValidJson<GameRequest>,
) -> AppResult<HttpResponse> {
    let class_id = path.into_inner();
    let (cid, uid) = (class_id.clone(), user.id.clone());
    // Only the class's own teacher: anyone else, admins and other teachers included, 404.
    let teacher: Option<String> = state
        .db
        .run(move |conn| Ok(crate::features::classes::find(conn, &cid)?.map(|c| c.teacher_id)))
        .await?;
    if teacher.as_deref() != Some(uid.as_str()) {
        return Err(AppError::not_found("class"));
    }
    let b = body.0;
    let seconds = b.seconds_per_question.unwrap_or(DEFAULT_QUESTION_SECONDS);
    let activity = state
        .content
        .get(&b.activity_id)
        .await
        .map_err(|e| AppError::db_unavailable(anyhow::anyhow!(e)))?
        // What the class may see: public, or this teacher's own for their classes.
        .filter(|a| {
            !a.archived && a.visible_to(&studyhub_actors::visibility::Sight::learner([uid.clone()]))
        })
        .ok_or_else(|| AppError::invalid_field("activity_id", "no such activity"))?;
    let game_id = uuid::Uuid::now_v7().to_string();
    let view = GameView {
        game_id: game_id.clone(),
        class_id: class_id.clone(),
        activity_id: activity.id.clone(),
        state: "lobby".into(),
        seconds_per_question: seconds,
        question_count: activity.content.questions.len(),
    };
    state.engine.start_game(GameSpec {
        game_id,
        class_id: class_id.into(),
        teacher_id: user.id,
        activity,
        seconds_per_question: seconds,
    });
    tracing::info!(game = %view.game_id, class = %view.class_id, activity = %view.activity_id, "class game created");
    Ok(HttpResponse::Created().json(view))
}

#[derive(Debug, Deserialize)]
pub struct HostQuery {
    pub ticket: Option<String>,
}

/// The teacher's controls for a game (websocket). Messages are described in
/// docs/protocol.md ("Class games").
#[utoipa::path(tag = "games",
    params(("id" = String, Path, description = "the game"), ("ticket" = Option<String>, Query, description = "a realtime ticket")),
    responses((status = 101, description = "switching to the host protocol"), (status = 401),
        (status = 404, description = "no such game on this node, or not the caller's")))]
#[get("/games/{id}/host")]
pub async fn host(
    req: HttpRequest,
    body: web::Payload,
    state: web::Data<AppState>,
    path: web::Path<String>,
    q: web::Query<HostQuery>,
) -> AppResult<HttpResponse> {
    let (user, _) = ws_caller(&req, &state, q.into_inner().ticket).await?;
    let game_id = path.into_inner();
    let game = state
        .engine
        .game(&game_id)
        .ok_or_else(|| AppError::not_found("game"))?;
    let info = game
        .info()
        .await
        .ok_or_else(|| AppError::not_found("game"))?;
    if info.teacher_id != user.id {
        return Err(AppError::not_found("game"));
    }
    let upgraded = socket::upgrade(&req, body, socket::FEED_OUTBOX)?;
    let conn_id = upgraded.conn_id;
    game.connect(conn_id, upgraded.tx.clone());
    let revoked = state.user_sockets.subscribe(&user.id);
    let commands = game.clone();
    let leave = socket::OnDrop::new(move || game.disconnect(conn_id));
    Ok(upgraded.spawn("game_host", revoked, None, move |text| {
        let _ = &leave;
        let msg = socket::parse_frame::<HostMsg>(text)?;
        commands.command(conn_id, msg);
        Ok(None)
    }))
}
