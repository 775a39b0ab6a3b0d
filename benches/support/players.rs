//! The soak's learner: plays the starter catalog through nginx, an answer every few seconds,
//! and survives anything — reconnects (0.25 s doubling to 5 s, as the pages do), resumes its
//! session and sends again every answer not yet `saved`, as the contract says. Everything
//! the server acknowledged as stored goes to the ledger for the checker.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

use super::catalog::{Activity, answer_for};
use super::http;
use super::learner::connect;
use super::ledger::{Acked, Ledger, record_end};
use super::tokens::Identity;

/// What every learner shares.
pub(crate) struct World {
    pub nginx: SocketAddr,
    pub ledger: Arc<Ledger>,
    pub catalog: Arc<Vec<Activity>>,
    /// The mean time between two answers of one learner.
    pub every: Duration,
}

/// One learner of the soak.
pub(crate) struct Learner {
    pub id: String,
    pub parent: Identity,
    pub n: usize,
    /// A limited learner's parent grants 60 s once, when its time is up.
    pub limited: bool,
}

/// The session being played and what of it is not yet stored.
struct Game {
    at: usize,
    session: Option<String>,
    /// (seq, question, answer) of every answer sent in this session.
    sent: Vec<(u32, String, Value)>,
    saved: u32,
    fed_back: u32,
    completed: bool,
    /// A `start` is on its way.
    starting: bool,
    /// Resend from this seq once this instant passes (`busy`, `storage_unavailable`).
    retry: Option<(u32, Instant)>,
}

impl Game {
    fn unsaved(&self) -> bool {
        self.sent.iter().any(|(s, _, _)| *s > self.saved)
    }

    fn questions(&self, world: &World) -> usize {
        world.catalog[self.at].questions.len()
    }

    /// Acknowledges every answer up to `up_to` (not acknowledged yet) to the ledger.
    fn ack(&mut self, up_to: u32, learner: &str, ledger: &Ledger) {
        if up_to <= self.saved {
            return;
        }
        let session = self.session.clone().unwrap_or_default();
        let items: Vec<Acked> = self
            .sent
            .iter()
            .filter(|(s, _, _)| *s > self.saved && *s <= up_to)
            .map(|(s, q, _)| Acked {
                learner: learner.to_string(),
                session: session.clone(),
                seq: *s,
                question: q.clone(),
            })
            .collect();
        ledger.ack(items);
        self.saved = up_to;
    }
}

type Tx = futures_util::stream::SplitSink<
    tokio_tungstenite::WebSocketStream<tokio::net::TcpStream>,
    Message,
>;

async fn send(tx: &mut Tx, v: Value) -> bool {
    tx.send(Message::text(v.to_string())).await.is_ok()
}

/// Plays until the run winds down and every answer it sent is stored (or the run quits).
pub(crate) async fn play(me: Learner, world: Arc<World>) {
    let ledger = world.ledger.clone();
    let mut rng = rand::rngs::StdRng::seed_from_u64(me.n as u64);
    let mut g = Game {
        at: me.n % world.catalog.len(),
        session: None,
        sent: Vec::new(),
        saved: 0,
        fed_back: 0,
        completed: false,
        starting: false,
        retry: None,
    };
    let mut backoff = Duration::from_millis(250);
    let mut granted = false;
    let mut told_stuck = false;
    let source = Ipv4Addr::new(127, 0, 0, 1 + (me.n % 8) as u8);
    let path = format!("/v1/play?learner_id={}", me.id);
    // Connections spread over the first answer interval.
    tokio::time::sleep(world.every.mul_f64(rng.random::<f64>())).await;
    'connect: loop {
        if ledger.quitting() || (ledger.stopping() && !g.unsaved()) {
            return;
        }
        let Some(ws) = connect(world.nginx, source, &path, Some(&me.parent.token())).await else {
            ledger.dropped("play connect");
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(Duration::from_secs(5));
            continue;
        };
        let (mut tx, mut rx) = ws.split();
        // hello, then the session: resumed, or a new one.
        let hello = loop {
            match tokio::time::timeout(Duration::from_secs(15), rx.next()).await {
                Ok(Some(Ok(Message::Text(t)))) => {
                    break serde_json::from_str::<Value>(&t).unwrap_or_default();
                }
                Ok(Some(Ok(Message::Ping(_) | Message::Pong(_)))) => continue,
                Ok(other) => {
                    if record_end(&ledger, "play", other) == Some(4001) {
                        g = time_up(&me, &world, g, &mut granted).await;
                    }
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(Duration::from_secs(5));
                    continue 'connect;
                }
                Err(_) => {
                    ledger.dropped("play hello timeout");
                    continue 'connect;
                }
            }
        };
        let _ = hello;
        match &g.session {
            Some(s) if !g.completed || g.unsaved() => {
                let ok = send(&mut tx, json!({"type": "resume", "session_id": s})).await;
                if !ok {
                    continue 'connect;
                }
                g.starting = true;
            }
            _ => {
                if ledger.stopping() {
                    return;
                }
                next_activity(&mut g, &world);
                if !send(
                    &mut tx,
                    json!({"type": "start", "activity_id": world.catalog[g.at].id}),
                )
                .await
                {
                    continue 'connect;
                }
                g.starting = true;
            }
        }
        let jitter = |rng: &mut rand::rngs::StdRng| world.every.mul_f64(0.5 + rng.random::<f64>());
        let mut next_answer = tokio::time::Instant::now() + jitter(&mut rng);
        loop {
            if ledger.quitting() || (ledger.stopping() && !g.unsaved() && !g.starting) {
                let _ = tx.send(Message::Close(None)).await;
                return;
            }
            let msg = tokio::select! {
                m = rx.next() => m,
                () = tokio::time::sleep_until(next_answer) => {
                    next_answer = tokio::time::Instant::now() + jitter(&mut rng);
                    if ledger.stopping() && !told_stuck && ledger.t0.elapsed() > ledger.stop_at() + Duration::from_secs(60) {
                        told_stuck = true;
                        eprintln!(
                            "still waiting: learner {} session {:?}, sent {:?}, saved {}, fed back {}, starting {}, retry {:?}",
                            me.id, g.session, g.sent.iter().map(|s| s.0).collect::<Vec<_>>(), g.saved, g.fed_back, g.starting, g.retry
                        );
                    }
                    if let Some((from, at)) = g.retry
                        && Instant::now() >= at
                    {
                        g.retry = None;
                        if !resend(&mut tx, &g, from).await {
                            continue 'connect;
                        }
                        continue;
                    }
                    // The next answer once the last one was fed back.
                    if ledger.stopping() || g.starting || g.completed || g.session.is_none() || g.retry.is_some() {
                        continue;
                    }
                    let seq = g.sent.len() as u32 + 1;
                    if g.fed_back + 1 < seq || seq as usize > g.questions(&world) {
                        continue;
                    }
                    let (q, value) = answer_for(&world.catalog[g.at], seq as u64, me.n as u64);
                    g.sent.push((seq, q.clone(), value.clone()));
                    ledger.sent.fetch_add(1, Ordering::Relaxed);
                    let frame = json!({"type": "answer", "session_id": g.session, "seq": seq, "question_id": q, "answer": value});
                    if !send(&mut tx, frame).await {
                        continue 'connect;
                    }
                    continue;
                }
            };
            let text = match msg {
                Some(Ok(Message::Text(t))) => t,
                Some(Ok(
                    Message::Ping(_) | Message::Pong(_) | Message::Binary(_) | Message::Frame(_),
                )) => continue,
                other => {
                    if record_end(&ledger, "play", other) == Some(4001) {
                        g = time_up(&me, &world, g, &mut granted).await;
                    }
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(Duration::from_secs(5));
                    continue 'connect;
                }
            };
            let v: Value = serde_json::from_str(&text).unwrap_or_default();
            match v["type"].as_str().unwrap_or("") {
                "started" => {
                    backoff = Duration::from_millis(250);
                    g.starting = false;
                    let id = v["session_id"].as_str().unwrap_or_default().to_string();
                    if g.session.as_deref() == Some(&id) {
                        // Resumed: what it says is stored is acknowledged; the rest goes again.
                        let last = v["last_saved_seq"].as_u64().unwrap_or(0) as u32;
                        if last < g.saved {
                            ledger.went_back.lock().unwrap().push((
                                me.id.clone(),
                                id.clone(),
                                g.saved,
                                last,
                            ));
                        }
                        g.ack(last, &me.id, &ledger);
                        g.fed_back = g.fed_back.min(g.sent.len() as u32);
                        if !resend(&mut tx, &g, g.saved + 1).await {
                            continue 'connect;
                        }
                    } else {
                        g.session = Some(id);
                        g.sent.clear();
                        g.saved = 0;
                        g.fed_back = 0;
                        g.completed = false;
                        g.retry = None;
                    }
                }
                "feedback" if v["session_id"].as_str() == g.session.as_deref() => {
                    let seq = v["seq"].as_u64().unwrap_or(0) as u32;
                    g.fed_back = g.fed_back.max(seq);
                }
                "saved" if v["session_id"].as_str() == g.session.as_deref() => {
                    let up = v["up_to_seq"].as_u64().unwrap_or(0) as u32;
                    g.ack(up, &me.id, &ledger);
                }
                "completed" if v["session_id"].as_str() == g.session.as_deref() => {
                    if g.starting {
                        // A resume of a session completed meanwhile: every answer is in it,
                        // but what was never `saved` is not acknowledged.
                        let saved = g.saved;
                        g.sent.retain(|(s, _, _)| *s <= saved);
                    }
                    g.completed = true;
                    g.starting = false;
                }
                "error" => {
                    let code = v["code"].as_str().unwrap_or("?").to_string();
                    ledger.error(&code);
                    if code != "busy" && code != "time_up" {
                        eprintln!(
                            "{:>4} s: learner {} (session {:?}, sent {}, saved {}): {text}",
                            ledger.t0.elapsed().as_secs(),
                            me.id,
                            g.session,
                            g.sent.len(),
                            g.saved
                        );
                    }
                    let seq = v["seq"].as_u64().map(|s| s as u32);
                    match (code.as_str(), seq) {
                        ("busy" | "storage_unavailable" | "rate_limited", Some(s)) => {
                            let wait = v["retry_after_ms"].as_u64().unwrap_or(500);
                            g.retry = Some((s, Instant::now() + Duration::from_millis(wait)));
                        }
                        ("busy" | "storage_unavailable", None) => {
                            // A refused start or resume: again at the next connection.
                            tokio::time::sleep(Duration::from_millis(500)).await;
                            continue 'connect;
                        }
                        ("not_saved", Some(s)) => {
                            // Never stored: not acknowledged, not sent again.
                            g.sent.retain(|(q, _, _)| *q != s);
                        }
                        ("no_session", s) if s.is_none() || !g.starting => {
                            // The session is no longer open (abandoned, or never stored): what
                            // was not saved of it is gone; a new one.
                            if ledger.stopping() {
                                return;
                            }
                            next_activity(&mut g, &world);
                            if !send(
                                &mut tx,
                                json!({"type": "start", "activity_id": world.catalog[g.at].id}),
                            )
                            .await
                            {
                                continue 'connect;
                            }
                            g.starting = true;
                        }
                        _ => {}
                    }
                }
                _ => {}
            }
            // A completed session, all stored: the next activity.
            if g.completed && !g.unsaved() && !g.starting && g.session.is_some() {
                if ledger.stopping() {
                    let _ = tx.send(Message::Close(None)).await;
                    return;
                }
                next_activity(&mut g, &world);
                if !send(
                    &mut tx,
                    json!({"type": "start", "activity_id": world.catalog[g.at].id}),
                )
                .await
                {
                    continue 'connect;
                }
                g.starting = true;
            }
        }
    }
}

/// Moves to the catalog's next activity (a new session follows `start`).
fn next_activity(g: &mut Game, world: &World) {
    if g.session.is_some() {
        g.at = (g.at + 1) % world.catalog.len();
    }
    g.session = None;
    g.sent.clear();
    g.saved = 0;
    g.fed_back = 0;
    g.completed = false;
    g.retry = None;
}

/// Sends again every answer of the session from `from` on.
async fn resend(tx: &mut Tx, g: &Game, from: u32) -> bool {
    for (seq, q, value) in g.sent.iter().filter(|(s, _, _)| *s >= from) {
        let frame = json!({"type": "answer", "session_id": g.session, "seq": seq, "question_id": q, "answer": value});
        if !send(tx, frame).await {
            return false;
        }
    }
    true
}

/// Time is up (4001): a limited learner's parent grants a minute once; otherwise the learner
/// stops playing (what it sent and was not saved is left, as a closed page would).
async fn time_up(me: &Learner, world: &World, g: Game, granted: &mut bool) -> Game {
    if me.limited && !*granted {
        *granted = true;
        tokio::time::sleep(Duration::from_secs(5)).await;
        let port = world.nginx.port();
        let path = format!("/v1/children/{}/screen-time/grant", me.id);
        loop {
            let r = http::json(
                port,
                "POST",
                &path,
                Some(&me.parent.token()),
                &json!({"seconds": 60}),
            )
            .await;
            world.ledger.answered("grant", &r);
            if matches!(r, Some((s, _)) if s < 300) || world.ledger.stopping() {
                break;
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
        return g;
    }
    // Out of time for today: wait for the end of the run.
    while !world.ledger.stopping() {
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    Game {
        sent: Vec::new(),
        ..g
    }
}
