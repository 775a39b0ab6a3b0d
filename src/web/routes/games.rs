//! Class games: the teacher makes one (`POST /v1/classes/{id}/games`, which invites the
//! class) and drives it on the host socket (`GET /v1/games/{id}/host`); students join from
//! their play socket by the game's PIN. The game itself runs in the engine as replicas of a
//! journal kept in the database, so host and players may be on any node and a node may stop
//! (`features/games/journal.rs`); its record (PIN, players, results) is in the database, for
//! the report (`GET /v1/games/{id}/report`). A student's extra time in a class is set here too.
//! Frames: docs/protocol.md.

use actix_web::{HttpRequest, HttpResponse, web};
use actix_web::{get, post, put};
use serde::{Deserialize, Serialize};
use serde_json::json;
use studyhub_actors::game::{DEFAULT_QUESTION_SECONDS, GameSpec, HostMsg};
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;
use validator::Validate;

use crate::features::audit::{self, Change, RequestMeta};
use crate::features::auth::AuthUser;
use crate::features::classes::TaughtClass;
use crate::features::games::{self, GameReport, GameRow, NewGame};
use crate::infra::error::{AppError, AppResult};
use crate::web::extract::{Normalize, ValidJson};
use crate::web::extractors::ws_caller;
use crate::web::socket;
use crate::web::state::AppState;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(create)
        .service(host)
        .service(one)
        .service(report)
        .service(extra_time);
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
    /// 6 digits: what students type to join (unique among games not over yet).
    pub pin: String,
    pub class_id: String,
    pub class_name: String,
    pub activity_id: String,
    pub activity_title: String,
    /// `lobby` for a new game, then `question`, `revealed` and `over`.
    pub state: String,
    pub seconds_per_question: u32,
    pub question_count: usize,
    /// Players who joined.
    pub players: usize,
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
    let class = state
        .db
        .run(move |conn| Ok(crate::features::classes::find(conn, &cid)?))
        .await?
        .filter(|c| c.teacher_id == uid)
        .ok_or_else(|| AppError::not_found("class"))?;
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
    let new = NewGame {
        id: uuid::Uuid::now_v7().to_string(),
        class_id: class_id.clone(),
        teacher_id: user.id.clone(),
        activity_id: activity.id.clone(),
        seconds_per_question: seconds,
        question_count: activity.content.questions.len(),
    };
    let (row, (students, extra)) = state
        .db
        .run(move |conn| {
            let row = games::create(conn, &new)?;
            Ok((row, games::invitation(conn, &new.class_id)?))
        })
        .await?;
    let view = GameView {
        game_id: row.id.clone(),
        pin: row.pin.clone(),
        class_id: class_id.clone(),
        class_name: class.name.clone(),
        activity_id: activity.id.clone(),
        activity_title: activity.title.clone(),
        state: "lobby".into(),
        seconds_per_question: seconds,
        question_count: activity.content.questions.len(),
        players: 0,
    };
    state.engine.start_game(
        GameSpec {
            game_id: row.id,
            pin: row.pin,
            class_id: class_id.into(),
            class_name: class.name,
            teacher_id: user.id,
            activity,
            seconds_per_question: seconds,
            extra_time: extra.into_iter().map(|(l, p)| (l.into(), p)).collect(),
        },
        students.into_iter().map(Into::into).collect(),
    );
    tracing::info!(game = %view.game_id, class = %view.class_id, activity = %view.activity_id, "class game created");
    Ok(HttpResponse::Created().json(view))
}

/// The game as the class's teacher sees it (for the projector view's first paint): from its
/// replica on this node, else from its record.
#[utoipa::path(tag = "games", security(("bearer" = [])),
    params(("id" = String, Path, description = "the game")),
    responses((status = 200, body = GameView), (status = 401),
        (status = 404, description = "no such game, or not the caller's")))]
#[get("/games/{id}")]
pub async fn one(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let row = own_game(&state, &user, path.into_inner()).await?;
    if let Some(info) = match state.engine.find_game(&row.id).await {
        Some(game) => game.info().await,
        None => None,
    } {
        return Ok(HttpResponse::Ok().json(GameView {
            game_id: info.game_id,
            pin: info.pin,
            class_id: info.class_id.to_string(),
            class_name: info.class_name,
            activity_id: info.activity_id,
            activity_title: info.activity_title,
            state: info.state.as_str().into(),
            seconds_per_question: info.seconds_per_question,
            question_count: info.question_count,
            players: info.players,
        }));
    }
    let (cid, aid) = (row.class_id.clone(), row.activity_id.clone());
    let class_name = state
        .db
        .run(move |conn| Ok(crate::features::classes::find(conn, &cid)?))
        .await?
        .map(|c| c.name)
        .unwrap_or_default();
    let activity_title = match state.content.get(&aid).await {
        Ok(Some(a)) => a.title.clone(),
        _ => row.activity_id.clone(),
    };
    Ok(HttpResponse::Ok().json(GameView {
        game_id: row.id,
        pin: row.pin,
        class_id: row.class_id,
        class_name,
        activity_id: row.activity_id,
        activity_title,
        state: row.state,
        seconds_per_question: row.seconds_per_question.max(0) as u32,
        question_count: row.question_count.max(0) as usize,
        players: 0,
    }))
}

/// The class's teacher's game, or 404 (anyone else's, admins' included).
async fn own_game(state: &AppState, user: &AuthUser, game_id: String) -> AppResult<GameRow> {
    let uid = user.id.clone();
    state
        .db
        .run(move |conn| Ok(games::find(conn, &game_id)?))
        .await?
        .filter(|g| g.teacher_id == uid)
        .ok_or_else(|| AppError::not_found("game"))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ReportFormat {
    Json,
    Csv,
}

#[derive(Debug, Deserialize, ToSchema, utoipa::IntoParams)]
pub struct ReportQuery {
    /// `csv` for a spreadsheet; JSON by default.
    #[param(inline)]
    pub format: Option<ReportFormat>,
}

/// The game's report: every player with score, rank, right answers and each question's
/// time, as recorded so far (JSON, or CSV with `?format=csv`).
#[utoipa::path(tag = "games", security(("bearer" = [])),
    params(("id" = String, Path, description = "the game"), ReportQuery),
    responses((status = 200, body = GameReport, description = "JSON, or text/csv with ?format=csv"),
        (status = 401), (status = 404, description = "no such game, or not the caller's"),
        (status = 422, description = "an unknown format")))]
#[get("/games/{id}/report")]
pub async fn report(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<String>,
    q: web::Query<ReportQuery>,
) -> AppResult<HttpResponse> {
    // Anything else is refused as the query's 422 by the query extractor.
    let csv = q.format == Some(ReportFormat::Csv);
    let row = own_game(&state, &user, path.into_inner()).await?;
    let report = state
        .db
        .run(move |conn| Ok(games::report(conn, &row)?))
        .await?;
    if csv {
        return Ok(HttpResponse::Ok()
            .content_type("text/csv; charset=utf-8")
            .insert_header((
                "Content-Disposition",
                format!("attachment; filename=\"game-{}.csv\"", report.game_id),
            ))
            .body(games::report_csv(&report)));
    }
    Ok(HttpResponse::Ok().json(report))
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
pub struct MemberSettings {
    /// 0..200: that share of each question's time again, in every game of the class.
    #[validate(range(min = 0, max = 200, message = "between 0 and 200"))]
    #[schema(minimum = 0, maximum = 200)]
    pub extra_time_percent: i64,
}

impl Normalize for MemberSettings {
    fn normalize(&mut self) {}
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MemberSettingsView {
    pub learner_id: String,
    pub extra_time_percent: u32,
}

/// A student's extra time in the class's games (the class's teacher, or an admin). Games
/// of the class running now use it from their next question.
#[utoipa::path(tag = "classes", request_body = MemberSettings, security(("bearer" = [])),
    params(("id" = String, Path, description = "the class"), ("learner_id" = String, Path, description = "the student")),
    responses((status = 200, body = MemberSettingsView), (status = 401),
        (status = 404, description = "not a class the caller teaches, or not a member"),
        (status = 422, description = "out of range")))]
#[put("/classes/{id}/members/{learner_id}")]
pub async fn extra_time(
    state: web::Data<AppState>,
    taught: TaughtClass,
    meta: RequestMeta,
    path: web::Path<(String, String)>,
    body: ValidJson<MemberSettings>,
) -> AppResult<HttpResponse> {
    let (class_id, learner_id) = path.into_inner();
    let percent = body.0.extra_time_percent as u32;
    let (cid, lid, uid) = (class_id.clone(), learner_id.clone(), taught.user.id.clone());
    state
        .db
        .transaction(move |conn| {
            if !games::set_extra_time(conn, &cid, &lid, percent)? {
                return Err(AppError::not_found("member"));
            }
            audit::record(
                conn,
                &meta,
                Change {
                    user_id: &uid,
                    action: "update",
                    entity_type: "membership",
                    entity_id: &format!("{cid}/{lid}"),
                    old: None,
                    new: Some(json!({"extra_time_percent": percent})),
                },
            )
        })
        .await?;
    state
        .engine
        .extra_time_changed(&class_id.into(), &learner_id.clone().into(), percent)
        .await;
    Ok(HttpResponse::Ok().json(MemberSettingsView {
        learner_id,
        extra_time_percent: percent,
    }))
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
        (status = 404, description = "no such game, or not the caller's")))]
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
        .find_game(&game_id)
        .await
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
