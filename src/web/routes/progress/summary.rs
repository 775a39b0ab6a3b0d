//! `GET /v1/learners/{id}/progress`: everything so far, in one answer.

use std::sync::Arc;

use actix_web::get;
use actix_web::{HttpResponse, web};
use chrono::Utc;
use studyhub_actors::screen_time::{local_date, parse_tz};

use crate::features::auth::AuthUser;
use crate::features::auth::access::readable_learner;
use crate::features::progress::summary::load_parts;
pub use crate::features::progress::summary::{CategoryTotals, ProgressSummary};
use crate::features::progress::summary_cache::Lookup;
use crate::infra::error::AppResult;
use crate::web::state::AppState;

/// Totals, streaks and stars; `average_accuracy` averages the latest completed session of
/// each activity. Kept in memory between reads and moved by each group commit
/// ([`crate::features::progress::summary_cache`]).
#[utoipa::path(tag = "progress", security(("bearer" = [])), responses((status = 200, body = ProgressSummary), (status = 404)))]
#[get("/learners/{id}/progress")]
pub async fn progress(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let learner = readable_learner(&state.learner_reads, user, path.into_inner().into()).await?;
    let today = local_date(parse_tz(&learner.timezone), Utc::now());
    let id = learner.learner_id();
    let parts = match state.summaries.lookup(&id) {
        Lookup::Kept(parts) => {
            metrics::counter!("studyhub_progress_summaries_total", "from" => "memory").increment(1);
            parts
        }
        Lookup::Read(ticket) => {
            metrics::counter!("studyhub_progress_summaries_total", "from" => "database")
                .increment(1);
            let learner_id = learner.id.clone();
            let parts = Arc::new(
                state
                    .db
                    .run(move |conn| Ok(load_parts(conn, &learner_id)?))
                    .await?,
            );
            if let Some(ticket) = ticket {
                state.summaries.keep(&id, ticket, parts.clone());
            }
            parts
        }
    };
    Ok(HttpResponse::Ok().json(parts.summarize(&learner.id, today)))
}
