//! HTTP routes, one file per feature.

pub mod account;
pub mod account_email;
pub mod achievements;
pub mod activities;
pub mod admin_accounts;
pub mod assessments;
pub mod audit_log;
pub mod auth;
pub mod auth_tokens;
pub mod backups;
pub mod child_device;
pub mod children;
pub mod classes;
pub mod content;
pub mod dead_letters;
pub mod drawings;
pub mod email_preferences;
pub mod games;
pub mod health;
pub mod import;
pub mod next;
pub mod notifications;
pub mod offline;
pub mod openapi;
pub mod pages;
pub mod parent_live;
pub mod password;
pub mod play;
pub mod progress;
pub mod pupil_sign_in;
pub mod pupils;
pub mod push;
pub mod sessions;
pub mod study_hub;
pub mod time_requests;

use actix_web::{HttpRequest, HttpResponse, web};
use utoipa_actix_web::scope;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::infra::error::{AppError, Code};

/// Everything the server answers: the OpenAPI document and its docs page and the pages for
/// people (first: `/v1/openapi.json` is not under the API's `/v1` scope), then the API.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.configure(openapi::routes)
        .configure(pages::routes)
        .configure(|cfg| api(&mut ServiceConfig::new(cfg)));
}

/// The API: everything under `/v1` and the operational endpoints. Each handler is declared
/// once, by its route macro and `#[utoipa::path]`: these `service` calls make both the route
/// table and the OpenAPI document's paths ([`openapi::document`]).
pub fn api(cfg: &mut ServiceConfig) {
    cfg.service(health::health)
        .service(health::metrics_text)
        .service(
            scope("/v1")
                .configure(auth::routes)
                .configure(auth_tokens::routes)
                .configure(password::routes)
                // Links sent by email: a password reset, an address verified.
                .configure(account_email::routes)
                .configure(account::routes)
                .configure(email_preferences::routes)
                .configure(backups::routes)
                .configure(import::routes)
                .configure(activities::routes)
                .configure(children::routes)
                // A child's device: the PIN, "Play on this device", back to the parent.
                .configure(child_device::routes)
                .configure(achievements::routes)
                .configure(audit_log::routes)
                .configure(dead_letters::routes)
                .configure(admin_accounts::routes)
                .configure(classes::routes)
                // Pupils without an email: their teacher's routes and their sign-in.
                .configure(pupils::routes)
                .configure(pupil_sign_in::routes)
                .configure(games::routes)
                .configure(notifications::routes)
                .configure(push::routes)
                .configure(parent_live::routes)
                .configure(progress::routes)
                .configure(next::routes)
                // Offline play: the pack a device takes away and its sync.
                .configure(offline::routes)
                .configure(assessments::routes)
                .configure(drawings::routes)
                .configure(content::routes)
                .configure(study_hub::routes)
                .configure(play::routes)
                .configure(sessions::routes)
                .configure(time_requests::routes),
        );
}

/// Unknown routes answer in the same JSON error shape as everything else; a known path
/// with a method it does not take is 405 with `Allow`.
pub async fn not_found(req: HttpRequest) -> Result<HttpResponse, AppError> {
    if let Some(allow) = openapi::allowed(req.path()) {
        let message = format!("{} takes {allow}", req.path());
        return Err(AppError::new(
            crate::infra::error::ErrorKind::MethodNotAllowed { allow },
            Code::MethodNotAllowed,
            message,
        ));
    }
    Err(AppError::new(
        crate::infra::error::ErrorKind::NotFound,
        Code::NotFound,
        format!("no route for {} {}", req.method(), req.path()),
    ))
}
