//! One generator connection: a learner (or echo client) that connects, plays and counts
//! what comes back, the unit the generator runs N of.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use hdrhistogram::Histogram;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use super::catalog::{Activity, answer_for};
use super::generator::{ConnResult, Mode, Shared};

/// Records the time since `at`, in µs.
pub(crate) fn record(h: &std::sync::Mutex<Histogram<u64>>, at: Instant) {
    let _ = h
        .lock()
        .unwrap()
        .record(at.elapsed().as_micros().max(1) as u64);
}

/// A websocket to `server` from the `source` address, with the bearer `token` if any.
pub(crate) async fn connect(
    server: SocketAddr,
    source: Ipv4Addr,
    path: &str,
    token: Option<&str>,
) -> Option<tokio_tungstenite::WebSocketStream<tokio::net::TcpStream>> {
    let socket = tokio::net::TcpSocket::new_v4().ok()?;
    socket.bind(SocketAddr::new(source.into(), 0)).ok()?;
    let stream = socket.connect(server).await.ok()?;
    stream.set_nodelay(true).ok()?;
    let mut req = format!("ws://{server}{path}").into_client_request().ok()?;
    if let Some(t) = token {
        req.headers_mut()
            .insert("authorization", format!("Bearer {t}").parse().ok()?);
    }
    // Small buffers: tungstenite's default 128 KiB read buffer would cost the generator
    // over a gigabyte at 10 000 connections.
    let config = tokio_tungstenite::tungstenite::protocol::WebSocketConfig::default()
        .read_buffer_size(4096)
        .write_buffer_size(0);
    let (ws, _) = tokio_tungstenite::client_async_with_config(req, stream, Some(config))
        .await
        .ok()?;
    Some(ws)
}

/// One learner's (or echo client's) play state.
pub(crate) struct Play {
    mode: Mode,
    catalog: Arc<Vec<Activity>>,
    /// Index into the catalog of the activity being played.
    at: usize,
    salt: u64,
    session: String,
    seq: u64,
    acked_seq: u64,
    sent_at: std::collections::VecDeque<(u64, Instant)>,
    /// The last session's answers still waiting for their `saved` when the next one started.
    previous: Option<(String, std::collections::VecDeque<(u64, Instant)>)>,
    /// A `start` is on its way (or must be sent again after `busy`).
    restarting: bool,
    start_again: bool,
    /// The first `start` was refused for good.
    refused: bool,
}

impl Play {
    /// Starts at the catalog's activity `at`; `salt` spreads its wrong answers.
    pub(crate) fn new(mode: Mode, catalog: Arc<Vec<Activity>>, at: usize, salt: u64) -> Self {
        Play {
            mode,
            catalog,
            at,
            salt,
            session: String::new(),
            seq: 0,
            acked_seq: 0,
            sent_at: Default::default(),
            previous: None,
            restarting: false,
            start_again: false,
            refused: false,
        }
    }

    fn start_frame(&self) -> Message {
        Message::text(json!({"type": "start", "activity_id": self.catalog[self.at].id}).to_string())
    }
}

/// An open loop's pace: an answer `every`, the first one at a random point of
/// `first_within` (learners do not all begin in the same second: started together, every
/// learner of an activity completed it, and unlocked `first-steps`, in the same second).
#[derive(Clone, Copy)]
pub(crate) struct Pace {
    pub every: Duration,
    pub first_within: Duration,
}

/// Plays one connection until the run stops; `ready` is passed once it is playing (or has
/// failed).
#[allow(clippy::too_many_arguments)]
pub(crate) async fn drive(
    mut play: Play,
    server: SocketAddr,
    source: Ipv4Addr,
    path: String,
    token: Option<String>,
    pace: Option<Pace>,
    shared: Arc<Shared>,
    ready: Arc<tokio::sync::Barrier>,
    result: ConnResult,
) -> ConnResult {
    let mode = play.mode;
    let Some(ws) = connect(server, source, &path, token.as_deref()).await else {
        shared.failed.fetch_add(1, Ordering::Relaxed);
        ready.wait().await;
        return result;
    };
    let (mut tx, mut rx) = ws.split();
    if mode == Mode::Engine {
        // hello, then start the first activity.
        let _ = rx.next().await;
        let _ = tx.send(play.start_frame()).await;
        play.restarting = true;
        while play.restarting {
            let msg = tokio::time::timeout(Duration::from_secs(30), rx.next())
                .await
                .ok()
                .flatten();
            if msg.is_none() || !handle(&mut play, msg, &result, &shared, &mut tx).await {
                break;
            }
            // Refused for another reason than `busy` (pushes of `time` would keep it waiting).
            if play.refused {
                break;
            }
            if play.start_again {
                play.start_again = false;
                let _ = tx.send(play.start_frame()).await;
            }
        }
        if play.session.is_empty() {
            shared.failed.fetch_add(1, Ordering::Relaxed);
            ready.wait().await;
            return result;
        }
    }
    shared.connected.fetch_add(1, Ordering::Relaxed);
    ready.wait().await;

    let mut ticker = pace.map(|p| {
        let first = p.first_within.max(p.every).mul_f64(rand_phase());
        let mut t = tokio::time::interval_at(tokio::time::Instant::now() + first, p.every);
        t.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        t
    });
    let learner = path.rsplit('=').next().unwrap_or_default().to_string();
    loop {
        if shared.stop.load(Ordering::Relaxed) {
            break;
        }
        let send_now = match ticker.as_mut() {
            Some(t) => {
                tokio::select! {
                    _ = t.tick() => true,
                    msg = rx.next() => {
                        if !handle(&mut play, msg, &result, &shared, &mut tx).await { break; }
                        false
                    }
                }
            }
            None => {
                // Every question answered: the next frame to wait for is `completed`.
                let all_answered = mode == Mode::Engine
                    && play.seq as usize >= play.catalog[play.at].questions.len();
                let in_flight = play.acked_seq < play.seq || all_answered;
                if !in_flight && !play.restarting {
                    true
                } else {
                    let msg = tokio::time::timeout(Duration::from_secs(5), rx.next())
                        .await
                        .ok()
                        .flatten();
                    if !handle(&mut play, msg, &result, &shared, &mut tx).await {
                        break;
                    }
                    // Closed loop: a refused start goes again at once.
                    if play.start_again {
                        play.start_again = false;
                        let _ = tx.send(play.start_frame()).await;
                    }
                    false
                }
            }
        };
        if !send_now {
            continue;
        }
        if play.start_again {
            play.start_again = false;
            if tx.send(play.start_frame()).await.is_err() {
                break;
            }
            continue;
        }
        // Every question is answered once; then the client waits for `completed` (a next
        // answer would get `no_session`).
        if play.restarting
            || (mode == Mode::Engine && play.seq as usize >= play.catalog[play.at].questions.len())
        {
            continue;
        }
        play.seq += 1;
        let seq = play.seq;
        let (q, value) = match mode {
            Mode::Engine => answer_for(&play.catalog[play.at], seq, play.salt),
            Mode::Echo | Mode::Relay => ("q".into(), json!(7)),
        };
        let frame = json!({"type": "answer", "session_id": play.session, "seq": seq, "question_id": q, "answer": value}).to_string();
        let now = Instant::now();
        play.sent_at.push_back((seq, now));
        if mode == Mode::Engine && shared.causes.observing.load(Ordering::Relaxed) {
            if seq as usize == play.catalog[play.at].questions.len() {
                shared
                    .causes
                    .completions
                    .lock()
                    .unwrap()
                    .insert(learner.clone(), now);
            }
            shared
                .causes
                .answers
                .lock()
                .unwrap()
                .insert((learner.clone(), play.session.clone(), q), now);
        }
        if tx.send(Message::text(frame)).await.is_err() {
            break;
        }
        if shared.measuring.load(Ordering::Relaxed) {
            shared.sent.fetch_add(1, Ordering::Relaxed);
        }
    }
    let _ = tx.send(Message::Close(None)).await;
    result
}

fn rand_phase() -> f64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(0);
    (h.finish() % 10_000) as f64 / 10_000.0
}

/// Takes one frame from the server; false when the connection is over.
async fn handle<S>(
    play: &mut Play,
    msg: Option<Result<Message, tokio_tungstenite::tungstenite::Error>>,
    result: &ConnResult,
    shared: &Shared,
    tx: &mut S,
) -> bool
where
    S: futures_util::Sink<Message> + Unpin,
{
    let Some(Ok(Message::Text(text))) = msg else {
        if let Some(Ok(Message::Close(frame))) = &msg {
            let code = frame.as_ref().map_or(1005, |f| u16::from(f.code));
            eprintln!("closed by the server: {code}");
            shared.closed.fetch_add(1, Ordering::Relaxed);
        }
        return matches!(msg, Some(Ok(ref m)) if !m.is_close());
    };
    let measuring = shared.measuring.load(Ordering::Relaxed);
    let v: Value = serde_json::from_str(&text).unwrap_or_default();
    let kind = match play.mode {
        Mode::Echo => "feedback",
        // The first copy of an answer is its feedback, a later one says it is saved.
        Mode::Relay if v["seq"].as_u64().unwrap_or(0) > play.acked_seq => "feedback",
        Mode::Relay => "relayed",
        Mode::Engine => v["type"].as_str().unwrap_or(""),
    };
    match kind {
        "feedback" => {
            let s = v["seq"].as_u64().unwrap_or(0);
            play.acked_seq = play.acked_seq.max(s);
            if let Some((_, at)) = play.sent_at.iter().find(|(q, _)| *q == s)
                && measuring
            {
                record(&result.feedback, *at);
                shared.answered.fetch_add(1, Ordering::Relaxed);
            }
            if play.mode == Mode::Echo {
                play.sent_at.retain(|(q, _)| *q > s);
            }
        }
        "saved" | "relayed" => {
            let up = v[if kind == "saved" { "up_to_seq" } else { "seq" }]
                .as_u64()
                .unwrap_or(0);
            // A `saved` names its session: the one before may still be saving its last answers.
            let pending = match (&mut play.previous, v["session_id"].as_str()) {
                (Some((id, pending)), Some(of)) if id == of => pending,
                _ => &mut play.sent_at,
            };
            while let Some((q, at)) = pending.front().copied() {
                if q > up {
                    break;
                }
                if measuring {
                    record(&result.saved, at);
                    shared.saved.fetch_add(1, Ordering::Relaxed);
                }
                pending.pop_front();
            }
        }
        "error" if v["code"] == "busy" => {
            if measuring {
                shared.busy.fetch_add(1, Ordering::Relaxed);
            }
            match v["seq"].as_u64() {
                // Nothing of it was kept: that seq (and any sent behind it) goes again.
                Some(s) if s >= 1 && s <= play.seq => {
                    play.seq = s - 1;
                    play.acked_seq = play.acked_seq.min(s - 1);
                    play.sent_at.retain(|(q, _)| *q < s);
                }
                Some(_) => {}
                None => play.start_again = play.restarting,
            }
        }
        "error" => {
            eprintln!("error frame: {text}");
            shared.errors.fetch_add(1, Ordering::Relaxed);
            play.refused = play.restarting && v.get("seq").is_none();
        }
        "completed" => {
            // Play the next activity of the catalog: a new session, seqs from 1 again.
            play.at = (play.at + 1) % play.catalog.len();
            play.restarting = true;
            let _ = tx.send(play.start_frame()).await;
        }
        "started" => {
            let session = v["session_id"].as_str().unwrap_or_default().to_string();
            let last = std::mem::replace(&mut play.session, session);
            play.previous = Some((last, std::mem::take(&mut play.sent_at)));
            play.seq = 0;
            play.acked_seq = 0;
            play.restarting = false;
            play.start_again = false;
        }
        _ => {}
    }
    true
}
