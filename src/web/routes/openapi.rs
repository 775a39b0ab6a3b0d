//! The OpenAPI document, generated from the handlers' annotations, and a docs page.

use std::sync::OnceLock;

use actix_web::{HttpResponse, web};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_actix_web::AppExt;
use utoipa_swagger_ui::SwaggerUi;

mod complete;
mod methods;

pub use methods::allowed;

use complete::SharedResponses;

/// The document's frame: its info, shared schemas and tags. The paths come from the route
/// table ([`super::api`]); see [`document`].
#[derive(OpenApi)]
#[openapi(
    info(title = "studyhub", description = "Live learning sessions: play, screen time, achievements, parents and teachers live. Websocket messages are described in docs/protocol.md."),
    components(schemas(crate::features::auth::Role, crate::features::learners::LearnerView)),
    tags(
        (name = "auth", description = "Accounts and tokens"),
        (name = "operations", description = "Health and metrics"),
        (name = "children", description = "A parent's children, their settings and screen time"),
        (name = "progress", description = "Progress, study pages and the parent's dashboard"),
        (name = "assessments", description = "IGCSE assessments"),
        (name = "drawings", description = "Drawings and content files"),
        (name = "account", description = "Export and erase the account's data"),
        (name = "backups", description = "Encrypted backups of the caller's data (an admin: the system)"),
        (name = "audit", description = "The audit log (admins)"),
        (name = "achievements", description = "The catalog and what a learner unlocked"),
        (name = "notifications", description = "A parent's notifications"),
        (name = "push", description = "Web Push: the server's key and each browser's subscription"),
        (name = "parents", description = "The parent's live feed"),
        (name = "classes", description = "Classes, joining, progress and the teacher's live view"),
        (name = "pupils", description = "Pupils without an email: made by their class's teacher, signed in by class code and pictures or by card"),
        (name = "games", description = "Class games: made by the class's teacher, driven on the host socket, played from the play socket"),
        (name = "activities", description = "The activity catalog (public views)"),
        (name = "play", description = "Live play: the websocket, tickets, and the same engine over REST"),
    )
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}

/// The whole document: the frame, every path the API serves, then what no handler says
/// itself (the bearer scheme, the statuses and error body every handler shares).
pub fn document() -> &'static utoipa::openapi::OpenApi {
    static DOC: OnceLock<utoipa::openapi::OpenApi> = OnceLock::new();
    DOC.get_or_init(|| {
        let (_, mut doc) = actix_web::App::new()
            .into_utoipa_app()
            .openapi(ApiDoc::openapi())
            .configure(super::api)
            .split_for_parts();
        BearerAuth.modify(&mut doc);
        SharedResponses.modify(&mut doc);
        doc
    })
}

async fn openapi_json() -> HttpResponse {
    HttpResponse::Ok().json(document())
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/v1/openapi.json", web::get().to(openapi_json))
        .service(SwaggerUi::new("/docs/{_:.*}").url("/docs/openapi.json", document().clone()))
        .route(
            "/docs",
            web::get().to(|| async {
                HttpResponse::PermanentRedirect()
                    .insert_header(("Location", "/docs/"))
                    .finish()
            }),
        );
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every success response that has a body says what the body is, so a client (and
    /// schemathesis) can check it: a 2xx with only a description is a hole in the contract.
    #[test]
    fn every_success_body_has_a_schema() {
        let doc = document();
        let mut missing = Vec::new();
        for (path, item) in &doc.paths.paths {
            let ops = [
                ("get", &item.get),
                ("post", &item.post),
                ("put", &item.put),
                ("patch", &item.patch),
                ("delete", &item.delete),
            ];
            for (method, op) in ops {
                let Some(op) = op else { continue };
                for (status, resp) in &op.responses.responses {
                    if !status.starts_with('2') || status == "204" {
                        continue;
                    }
                    let utoipa::openapi::RefOr::T(resp) = resp else {
                        continue;
                    };
                    if resp.content.is_empty() {
                        missing.push(format!("{method} {path} {status}"));
                    }
                }
            }
        }
        assert!(
            missing.is_empty(),
            "success responses without a schema: {missing:#?}"
        );
    }
}
