//! The soak's parents and teachers: a parent's live feed and a teacher's class view through
//! nginx, each reconnecting (0.25 s doubling to 5 s) whenever it closes, recording how.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use futures_util::StreamExt;
use tokio_tungstenite::tungstenite::Message;

use super::learner::connect;
use super::ledger::{Ledger, record_end};
use super::tokens::Identity;

/// Keeps `path` open as `who` until the run quits; `feed` names it in the ledger.
pub(crate) async fn watch(
    nginx: SocketAddr,
    feed: &'static str,
    path: String,
    who: Identity,
    ledger: Arc<Ledger>,
) {
    let mut backoff = Duration::from_millis(250);
    while !ledger.quitting() {
        let Some(ws) = connect(nginx, Ipv4Addr::LOCALHOST, &path, Some(&who.token())).await else {
            ledger.dropped(&format!("{feed} connect"));
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(Duration::from_secs(5));
            continue;
        };
        let (_tx, mut rx) = ws.split();
        loop {
            let msg = tokio::select! {
                m = rx.next() => m,
                () = tokio::time::sleep(Duration::from_millis(500)) => {
                    if ledger.quitting() { return; }
                    continue;
                }
            };
            match msg {
                Some(Ok(Message::Text(t))) => {
                    backoff = Duration::from_millis(250);
                    if t.contains("\"type\":\"notification\"") {
                        ledger.notifications.fetch_add(1, Ordering::Relaxed);
                    }
                }
                Some(Ok(Message::Close(_))) | Some(Err(_)) | None => {
                    record_end(&ledger, feed, msg);
                    break;
                }
                Some(Ok(_)) => {}
            }
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(Duration::from_secs(5));
    }
}
