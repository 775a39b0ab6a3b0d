//! The soak's REST clients through nginx: parents reading progress, devices syncing what
//! they played offline (a session sent twice now and then: it must count once), and drawings
//! uploaded to the object store. Every status goes to the ledger; what a sync says it stored
//! is acknowledged there like a `saved`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use rand::{Rng, SeedableRng};
use serde_json::{Value, json};

use super::catalog::Activity;
use super::http;
use super::ledger::{Acked, Ledger};
use super::tokens::Identity;

/// A child a REST client acts for: (learner id, its parent).
pub(crate) type Child = (String, Identity);

/// `per_second` progress reads of random children until the run winds down.
pub(crate) async fn readers(
    port: u16,
    children: Arc<Vec<Child>>,
    per_second: f64,
    ledger: Arc<Ledger>,
) {
    let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / per_second));
    let mut rng = rand::rngs::StdRng::seed_from_u64(1);
    while !ledger.stopping() {
        tick.tick().await;
        let (id, parent) = &children[rng.random_range(0..children.len())];
        let (path, token, ledger) = (
            format!("/v1/learners/{id}/progress"),
            parent.token(),
            ledger.clone(),
        );
        tokio::spawn(async move {
            let r = http::request(
                port,
                "GET",
                &path,
                Some(&token),
                None,
                Duration::from_secs(20),
            )
            .await;
            ledger.answered("progress read", &r);
        });
    }
}

/// A device syncing one completed offline session every `every` (spread over `children`),
/// one in four sent twice.
pub(crate) async fn syncs(
    port: u16,
    children: Arc<Vec<Child>>,
    activity: Arc<Activity>,
    every: Duration,
    ledger: Arc<Ledger>,
) {
    let mut tick = tokio::time::interval(every);
    let mut rng = rand::rngs::StdRng::seed_from_u64(2);
    while !ledger.stopping() {
        tick.tick().await;
        let (id, parent) = children[rng.random_range(0..children.len())].clone();
        let twice = rng.random_bool(0.25);
        let (ledger, activity) = (ledger.clone(), activity.clone());
        tokio::spawn(async move {
            let pack = http::request(
                port,
                "GET",
                &format!("/v1/learners/{id}/offline-pack"),
                Some(&parent.token()),
                None,
                Duration::from_secs(20),
            )
            .await;
            ledger.answered("offline pack", &pack);
            let Some((200, pack)) = pack else { return };
            if pack["issued_at"].as_str().is_none() {
                return;
            }
            // Played offline after the pack came, by the device's own clock (the machine's,
            // which no fault steps): a few seconds of it.
            let started = chrono::Utc::now();
            tokio::time::sleep(Duration::from_secs(activity.questions.len() as u64 / 2 + 2)).await;
            let body = sync_body(&activity, started);
            let session = body["sessions"][0]["session_id"]
                .as_str()
                .unwrap()
                .to_string();
            for _ in 0..if twice { 2 } else { 1 } {
                // Sent again until it is taken (a 503 or no answer keeps nothing).
                let until = Instant::now() + Duration::from_secs(60);
                loop {
                    let r = http::json(
                        port,
                        "POST",
                        &format!("/v1/learners/{id}/sync"),
                        Some(&parent.token()),
                        &body,
                    )
                    .await;
                    ledger.answered("sync", &r);
                    if let Some((200, reply)) = &r {
                        let stored = reply["sessions"][0]["stored_up_to_seq"]
                            .as_u64()
                            .unwrap_or(0) as u32;
                        ledger.ack(
                            activity
                                .questions
                                .iter()
                                .enumerate()
                                .take(stored as usize)
                                .map(|(i, (q, _))| Acked {
                                    learner: id.clone(),
                                    session: session.clone(),
                                    seq: i as u32 + 1,
                                    question: q.clone(),
                                }),
                        );
                        break;
                    }
                    // Refused for good (4xx): a device keeps it no longer.
                    if matches!(&r, Some((s, _)) if (400..500).contains(s)) {
                        break;
                    }
                    if Instant::now() > until || ledger.quitting() {
                        break;
                    }
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        });
    }
}

/// One offline session of `activity`, every answer right, played from `started` (an answer
/// every half second from then), and its time span.
fn sync_body(activity: &Activity, started: chrono::DateTime<chrono::Utc>) -> Value {
    let now = chrono::Utc::now();
    let start = started;
    let answers: Vec<Value> = activity
        .questions
        .iter()
        .enumerate()
        .map(|(i, (q, right))| {
            json!({"seq": i + 1, "question_id": q, "answer": right,
            "answered_at": (start + chrono::Duration::milliseconds(500 * (i as i64 + 1))).min(now)})
        })
        .collect();
    json!({"device_id": uuid::Uuid::new_v4().to_string(),
        "sessions": [{"session_id": uuid::Uuid::new_v4().to_string(), "activity_id": activity.id,
            "started_at": start, "finished": true, "answers": answers}],
        "time": [{"from": start, "to": now.max(start + chrono::Duration::seconds(1))}]})
}

/// A small PNG (its magic bytes are what the server checks) as a drawing every `every`.
pub(crate) async fn drawings(
    port: u16,
    children: Arc<Vec<Child>>,
    every: Duration,
    ledger: Arc<Ledger>,
) {
    let mut tick = tokio::time::interval(every);
    let mut rng = rand::rngs::StdRng::seed_from_u64(3);
    while !ledger.stopping() {
        tick.tick().await;
        let (id, parent) = children[rng.random_range(0..children.len())].clone();
        let ledger = ledger.clone();
        tokio::spawn(async move {
            let boundary = "soakboundary7d1";
            let mut body = Vec::new();
            for (name, value) in [("title", "Soak"), ("category", "art")] {
                body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").as_bytes());
            }
            body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"image\"; filename=\"d.png\"\r\nContent-Type: image/png\r\n\r\n").as_bytes());
            body.extend_from_slice(b"\x89PNG\r\n\x1a\n");
            body.extend_from_slice(&[0u8; 256]);
            body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
            let kind = format!("multipart/form-data; boundary={boundary}");
            let r = http::request(
                port,
                "POST",
                &format!("/v1/learners/{id}/drawings"),
                Some(&parent.token()),
                Some((&kind, body)),
                Duration::from_secs(30),
            )
            .await;
            ledger.answered("drawing", &r);
            if matches!(r, Some((201, _))) {
                ledger.stored_drawings.lock().unwrap().push(Instant::now());
            }
        });
    }
}
