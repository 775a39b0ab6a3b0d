//! The parent and teacher feeds the load bench keeps open, so it can time a completion
//! to its parent notification and an answer to its teacher event.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::Ordering;

use futures_util::StreamExt;
use hdrhistogram::Histogram;
use serde_json::Value;
use tokio_tungstenite::tungstenite::Message;

use super::generator::Shared;
use super::learner::{connect, record};

/// A parent or teacher feed that times the events it receives against their causes.
pub(crate) async fn observe(
    server: SocketAddr,
    path: String,
    token: String,
    shared: Arc<Shared>,
    parent: Arc<std::sync::Mutex<Histogram<u64>>>,
    teacher: Arc<std::sync::Mutex<Histogram<u64>>>,
) {
    let Some(ws) = connect(server, Ipv4Addr::new(127, 0, 0, 1), &path, Some(&token)).await else {
        eprintln!("observer {path} could not connect");
        return;
    };
    let (_tx, mut rx) = ws.split();
    while let Some(Ok(msg)) = rx.next().await {
        let Message::Text(text) = msg else { continue };
        let v: Value = serde_json::from_str(&text).unwrap_or_default();
        let measuring = shared.measuring.load(Ordering::Relaxed);
        // A class view's `batch`: its events, in order, each timed when the batch came.
        let events = match v["events"].as_array() {
            Some(events) if v["type"] == "batch" => events.clone(),
            _ => vec![v],
        };
        for v in events {
            observed(&v, measuring, &shared, &parent, &teacher);
        }
    }
}

/// Times one event against its cause.
fn observed(
    v: &Value,
    measuring: bool,
    shared: &Shared,
    parent: &std::sync::Mutex<Histogram<u64>>,
    teacher: &std::sync::Mutex<Histogram<u64>>,
) {
    match v["type"].as_str() {
        Some("answer") => {
            let key = (
                v["learner_id"].as_str().unwrap_or_default().to_string(),
                v["session_id"].as_str().unwrap_or_default().to_string(),
                v["question_id"].as_str().unwrap_or_default().to_string(),
            );
            let cause = shared.causes.answers.lock().unwrap().remove(&key);
            if let (Some(at), true) = (cause, measuring) {
                record(teacher, at);
            }
        }
        Some("notification") if v["notification"]["kind"] == "activity_completed" => {
            let child = v["notification"]["child_id"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            let cause = shared.causes.completions.lock().unwrap().remove(&child);
            if let (Some(at), true) = (cause, measuring) {
                record(parent, at);
            }
        }
        _ => {}
    }
}
