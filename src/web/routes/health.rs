//! Operations: `/health` and `/metrics`.

use actix_web::get;
use actix_web::{HttpResponse, web};
use serde::Serialize;
use utoipa::ToSchema;

use crate::infra::db;
use crate::web::state::AppState;

#[derive(Serialize, ToSchema)]
pub struct Health {
    /// `ok`, or `unavailable` when the database does not answer.
    pub status: &'static str,
    pub version: &'static str,
    pub uptime_seconds: u64,
    pub services: Services,
}

#[derive(Serialize, ToSchema)]
pub struct Services {
    /// `ok` or `down`.
    pub database: &'static str,
    /// `redis`, `in_process` (no Redis configured) or `down` (configured, not answering now:
    /// the database serves, and the node reconnects by itself once Redis is back).
    pub cache: &'static str,
    /// `s3` or `local`, or `down` when the store does not answer.
    pub storage: &'static str,
    /// What this node shares with the others: `shared` (screen time, login limits and
    /// presence through Redis), `alone` (Redis configured but away: this node counts and
    /// enforces them on its own until it is back) or `single` (no Redis: one node).
    pub nodes: &'static str,
}

/// Liveness and dependencies: 200 while the database answers, 503 otherwise.
#[utoipa::path(tag = "operations",
    responses((status = 200, body = Health), (status = 503, body = Health)))]
#[get("/health")]
pub async fn health(state: web::Data<AppState>) -> HttpResponse {
    let pool = state.db.pool().clone();
    let db_ok = web::block(move || {
        pool.get()
            .ok()
            .is_some_and(|mut c| db::ping(&mut c).is_ok())
    })
    .await
    .unwrap_or(false);
    let body = Health {
        status: if db_ok { "ok" } else { "unavailable" },
        version: env!("CARGO_PKG_VERSION"),
        uptime_seconds: state.started_at.elapsed().as_secs(),
        services: Services {
            database: if db_ok { "ok" } else { "down" },
            cache: match &state.redis {
                None => "in_process",
                Some(r) if r.is_up() => "redis",
                Some(_) => "down",
            },
            storage: if state.storage.check().await {
                state.storage.kind()
            } else {
                "down"
            },
            nodes: match &state.redis {
                None => "single",
                Some(r) if r.answers() => "shared",
                Some(_) => "alone",
            },
        },
    };
    metrics::gauge!("studyhub_database_up").set(if db_ok { 1.0 } else { 0.0 });
    if db_ok {
        HttpResponse::Ok().json(body)
    } else {
        HttpResponse::ServiceUnavailable().json(body)
    }
}

/// Prometheus metrics in the text exposition format.
#[utoipa::path(tag = "operations", responses((status = 200, content_type = "text/plain")))]
#[get("/metrics")]
pub async fn metrics_text(state: web::Data<AppState>) -> HttpResponse {
    // Read at the scrape: the items waiting for the group commit (they pile up while the
    // database is away) and the engine's live actors.
    metrics::gauge!("studyhub_flush_queue_depth").set(state.engine.backlog() as f64);
    metrics::gauge!("studyhub_live_learners").set(state.engine.live_learners() as f64);
    // The database's word, and the newest verified system backup (for the alerts in
    // deploy/prometheus/alerts.yml): one small query per scrape.
    let last = tokio::time::timeout(
        std::time::Duration::from_secs(5),
        crate::features::backup::schedule::last_verified_system_backup(&state.db),
    )
    .await;
    match last {
        Ok(Ok(last)) => {
            metrics::gauge!("studyhub_database_up").set(1.0);
            if let Some(t) = last {
                metrics::gauge!("studyhub_last_system_backup_timestamp_seconds")
                    .set(t.and_utc().timestamp() as f64);
            }
        }
        _ => metrics::gauge!("studyhub_database_up").set(0.0),
    }
    state.metrics.run_upkeep();
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(state.metrics.render())
}
