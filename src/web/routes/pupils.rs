//! A class's pupils without an email, for their teacher: made one by one or from a CSV,
//! listed with their pictures, their sign-in cards printed, a card renewed, a pupil erased.
//! How pupils sign in is `pupil_sign_in.rs`.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use actix_web::{delete, get, post};
use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;
use validator::Validate;

use crate::features::account;
use crate::features::audit::{self, Change, RequestMeta};
use crate::features::classes::{self, TaughtClass};
use crate::features::pupils::{self, Imported, PupilView, csv};
use crate::features::reports::cards::{self, Card};
use crate::infra::error::{AppError, AppResult, Code};
use crate::web::extract::{Normalize, ValidJson, read_body};
use crate::web::state::AppState;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(create)
        .service(import)
        .service(list)
        .service(sign_in_cards)
        .service(renew)
        .service(erase);
}

/// A CSV of at most 500 pupils with long names and emails fits well within this.
const CSV_LIMIT: usize = 256 * 1024;

#[derive(Debug, Deserialize, Validate, ToSchema)]
pub struct NewPupil {
    #[validate(length(min = 1, max = 100, message = "between 1 and 100 characters"))]
    #[schema(min_length = 1, max_length = 100, pattern = r"\S")]
    pub name: String,
}
impl Normalize for NewPupil {
    fn normalize(&mut self) {
        self.name = self.name.trim().to_string();
    }
}

/// Make a pupil without an email in the class: an account, its learner on the roster, two
/// pictures to sign in with, a card.
#[utoipa::path(tag = "pupils", request_body = NewPupil, security(("bearer" = [])),
    responses((status = 201, body = PupilView), (status = 409, description = "the class already has a pupil of this name")))]
#[post("/classes/{id}/students")]
pub async fn create(
    state: web::Data<AppState>,
    taught: TaughtClass,
    meta: RequestMeta,
    body: ValidJson<NewPupil>,
) -> AppResult<HttpResponse> {
    let name =
        pupils::check_name(&body.0.name).map_err(|why| AppError::invalid_field("name", why))?;
    let key = state.card_key.clone();
    let class = taught.class;
    let teacher = taught.user.id;
    let made = state
        .db
        .transaction(move |conn| {
            if pupils::name_taken(conn, &class.id, &name)? {
                return Err(AppError::conflict(
                    Code::Conflict,
                    "the class already has a pupil of this name",
                ));
            }
            let made = pupils::create(conn, &key, &class, &name, None, &teacher, &meta)?;
            Ok((made, class.id))
        })
        .await?;
    let (made, class_id) = made;
    classes::announce_member_change(
        &state.db,
        &state.control,
        made.learner_id.as_str().into(),
        class_id.into(),
    )
    .await?;
    Ok(HttpResponse::Created().json(made))
}

/// Make pupils from a CSV (`text/csv`): a header `name` or `name,email`, at most 500 rows.
/// Each row makes a whole pupil or is skipped with its line and why.
#[utoipa::path(tag = "pupils", request_body(content = String, content_type = "text/csv"), security(("bearer" = [])),
    responses((status = 201, body = Imported), (status = 415, description = "not text"), (status = 422, description = "a bad header, more than 500 rows, or not UTF-8 (on `body`)")))]
#[post("/classes/{id}/students/import")]
pub async fn import(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
    taught: TaughtClass,
    meta: RequestMeta,
) -> AppResult<HttpResponse> {
    check_text(&req)?;
    let mut payload = payload.into_inner();
    let bytes = read_body(&req, &mut payload, CSV_LIMIT).await?;
    let text = std::str::from_utf8(&bytes)
        .map_err(|_| AppError::invalid_field("body", "the CSV is not UTF-8 text"))?;
    let (rows, bad) = csv::parse(text).map_err(|refused| match refused {
        csv::Refused::Header(why) => AppError::invalid_field("body", why),
        csv::Refused::TooManyRows => {
            AppError::invalid_field("body", format!("at most {} pupils a file", csv::MAX_ROWS))
        }
    })?;
    let key = state.card_key.clone();
    let class = taught.class;
    let class_id = class.id.clone();
    let teacher = taught.user.id;
    let imported = state
        .db
        .transaction(move |conn| pupils::import(conn, &key, &class, rows, bad, &teacher, &meta))
        .await?;
    // New learners have no actor and nothing cached about them: one announcement refreshes
    // the class's live rosters for all of them (not one per pupil of up to 500).
    if let Some(first) = imported.created.first() {
        classes::announce_member_change(
            &state.db,
            &state.control,
            first.learner_id.as_str().into(),
            class_id.into(),
        )
        .await?;
    }
    Ok(HttpResponse::Created().json(imported))
}

/// A CSV is text: bodies that cannot be (multipart, JSON, images) are 415.
fn check_text(req: &HttpRequest) -> AppResult<()> {
    let mime = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|ct| {
            ct.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
        .unwrap_or_default();
    if mime.is_empty() || mime.starts_with("text/") {
        Ok(())
    } else {
        Err(AppError::unsupported_media("send the pupils as text/csv"))
    }
}

/// The class's pupils without an email, by name, with their pictures.
#[utoipa::path(tag = "pupils", security(("bearer" = [])), responses((status = 200, body = [PupilView])))]
#[get("/classes/{id}/students")]
pub async fn list(state: web::Data<AppState>, taught: TaughtClass) -> AppResult<HttpResponse> {
    let key = state.card_key.clone();
    let id = taught.class.id;
    let list: Vec<PupilView> = state
        .db
        .run(move |conn| Ok(pupils::of_class(conn, &key, &id)?))
        .await?
        .into_iter()
        .map(|p| p.view)
        .collect();
    Ok(HttpResponse::Ok().json(list))
}

/// The class's sign-in cards to print: eight to an A4 page, one per pupil, each with the
/// pupil's name, pictures and a QR code of `/signin?card=…`.
#[utoipa::path(tag = "pupils", security(("bearer" = [])),
    responses((status = 200, content_type = "application/pdf")))]
#[get("/classes/{id}/sign-in-cards.pdf")]
pub async fn sign_in_cards(
    req: HttpRequest,
    state: web::Data<AppState>,
    taught: TaughtClass,
) -> AppResult<HttpResponse> {
    let key = state.card_key.clone();
    let id = taught.class.id.clone();
    let made = state
        .db
        .run(move |conn| Ok(pupils::of_class(conn, &key, &id)?))
        .await?;
    let base = {
        let info = req.connection_info();
        format!("{}://{}", info.scheme(), info.host())
    };
    let printed: Vec<Card> = made
        .into_iter()
        .map(|p| Card {
            name: p.view.name,
            pictures: p.view.picture,
            url: format!("{base}/signin?card={}", p.token),
        })
        .collect();
    let class_name = taught.class.name;
    let bytes = web::block(move || cards::pdf(&class_name, &printed))
        .await
        .map_err(AppError::internal)?;
    Ok(HttpResponse::Ok()
        .content_type("application/pdf")
        .insert_header(("Cache-Control", "no-store"))
        .insert_header((
            "Content-Disposition",
            "inline; filename=\"sign-in-cards.pdf\"",
        ))
        .body(bytes))
}

/// New pictures and a new card for a pupil: the old card stops working at once.
#[utoipa::path(tag = "pupils", security(("bearer" = [])),
    params(("learner_id" = String, Path)),
    responses((status = 200, body = PupilView)))]
#[post("/classes/{id}/students/{learner_id}/renew")]
pub async fn renew(
    state: web::Data<AppState>,
    taught: TaughtClass,
    meta: RequestMeta,
    path: web::Path<(String, String)>,
) -> AppResult<HttpResponse> {
    let (_, learner_id) = path.into_inner();
    let key = state.card_key.clone();
    let class_id = taught.class.id;
    let teacher = taught.user.id;
    let renewed = state
        .db
        .transaction(move |conn| {
            pupils::renew(conn, &key, &class_id, &learner_id, &teacher, &meta)?
                .ok_or_else(|| AppError::not_found("pupil"))
        })
        .await?;
    Ok(HttpResponse::Ok().json(renewed))
}

/// Erase a pupil's account and everything of theirs, as `DELETE /v1/me` does for an account
/// with a password (a pupil has none, so their teacher does it).
#[utoipa::path(tag = "pupils", security(("bearer" = [])),
    params(("learner_id" = String, Path)),
    responses((status = 204)))]
#[delete("/classes/{id}/students/{learner_id}")]
pub async fn erase(
    state: web::Data<AppState>,
    taught: TaughtClass,
    meta: RequestMeta,
    path: web::Path<(String, String)>,
) -> AppResult<HttpResponse> {
    let (_, learner_id) = path.into_inner();
    let class_id = taught.class.id;
    let teacher = taught.user.id;
    let lid = learner_id.clone();
    let cid = class_id.clone();
    let user_id = state
        .db
        .run(move |conn| Ok(pupils::account_of(conn, &cid, &lid)?))
        .await?
        .ok_or_else(|| AppError::not_found("pupil"))?;
    state.control.stop_play(&learner_id.as_str().into()).await;
    let uid = user_id.clone();
    let lid = learner_id.clone();
    let keys = state
        .db
        .transaction_retrying(move |conn| {
            let keys = account::prepare_erasure(conn, &uid)?;
            audit::record(
                conn,
                &meta,
                Change {
                    user_id: &teacher,
                    action: "delete",
                    entity_type: "pupil",
                    entity_id: &lid,
                    old: Some(json!({"user_id": uid})),
                    new: None,
                },
            )?;
            account::erase(conn, &uid)?;
            Ok(keys)
        })
        .await?;
    state.control.account_changed(&user_id).await;
    state
        .control
        .learner_changed(&learner_id.as_str().into())
        .await;
    classes::announce_member_change(
        &state.db,
        &state.control,
        learner_id.into(),
        class_id.into(),
    )
    .await?;
    for key in keys {
        if let Err(e) = state.storage.delete(&key).await {
            tracing::warn!(key, error = %e, "an erased pupil's drawing could not be removed");
        }
    }
    Ok(HttpResponse::NoContent().finish())
}
