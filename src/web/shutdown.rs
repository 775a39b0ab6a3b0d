//! A graceful stop, on SIGTERM or Ctrl-C: the server stops accepting connections, the engine
//! writes everything it holds, every play socket hears its last `saved`, and every websocket
//! closes with 1012 so that clients reconnect (to another node behind a balancer) and send
//! again whatever was not saved. Nothing acknowledged is lost.

use std::time::Duration;

use actix_web::dev::ServerHandle;

use crate::features::live::open_sockets::Stop;
use crate::web::state::AppState;

/// How long the engine may take to write what it holds (the database may be away).
pub const DRAIN_FOR: Duration = Duration::from_secs(15);
/// How long workers wait for open connections once the stop began: longer than the drain,
/// since websockets close only after it.
pub const WORKERS_WAIT_SECS: u64 = 25;

/// Resolves on SIGTERM or Ctrl-C (SIGINT).
pub async fn signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = term.recv() => tracing::info!("SIGTERM received"),
                    _ = tokio::signal::ctrl_c() => tracing::info!("interrupt received"),
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGTERM; only Ctrl-C stops gracefully");
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// Stops `server` gracefully; returns once the workers are done and the engine is drained.
pub async fn graceful(state: &AppState, server: ServerHandle) {
    tracing::info!(
        backlog = state.engine.backlog(),
        sockets = state.user_sockets.open(),
        "stopping: no new connections, writing what is queued"
    );
    // Sockets take no more frames: what clients send now is sent again to the next server.
    state.user_sockets.stop(Stop::Draining);
    // Closes the listener at once; the workers then wait for open connections.
    let stopped = actix_web::rt::spawn(async move { server.stop(true).await });
    if !state.engine.drain(DRAIN_FOR).await {
        tracing::warn!(
            backlog = state.engine.backlog(),
            "the database did not take everything in time; clients resend unsaved answers"
        );
    }
    // Each socket sends what is queued for it (the last `feedback` and `saved`), then 1012.
    state.user_sockets.stop(Stop::Closing);
    let _ = stopped.await;
    // Learners that stopped with the workers wrote their last screen time.
    state.engine.drain(Duration::from_secs(5)).await;
    tracing::info!("stopped");
}
