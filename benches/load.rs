//! Load benchmark for the live engine.
//!
//! Opens N learner websockets against a release `studyhub` server on PostgreSQL, plays
//! activities at a given total answer rate, and reports sessions held, answers/s, feedback
//! and saved latency percentiles (HDR histograms) and server RSS per session. In the same
//! run it drives a bare actix-ws echo server with the same generator, so the engine's rate
//! is reported as a ratio of the transport's, and a relay: the echo sending the frames the
//! engine sends for an answer (feedback, the teacher's event, `saved` after a 20 ms commit)
//! without doing its work, the transport's floor for this protocol.
//!
//! ```sh
//! cargo bench --bench load -- --sessions 2000 --rate 4000 --seconds 20
//! cargo bench --bench load -- --sessions 2000 --rate 0 --seconds 15   # closed loop: saturation
//! ```
//! Options: `--sessions N`, `--rate R` (answers/s in total; 0 = each connection sends its
//! next message as soon as the last was answered), `--seconds S` (measured), `--warmup S`,
//! `--addrs K` (source addresses 127.0.0.1..K, to get past the ephemeral port range),
//! `--only engine|echo|relay`, `--reads R` (parents' `GET /v1/learners/{id}/progress` a
//! second while the engine's learners play, timed), `--per-parent N` (children per parent, default 20), `--parent-share F`
//! (share of parents with a live feed open, default 0.2), `--class-size N` (learners per class,
//! each class watched by its teacher; 0 = none, default 30), `--activity ID` (every learner
//! plays only this one; by default learner i starts at the i-th activity of the whole catalog
//! and moves on to the next each time it completes one, answering four in five questions
//! right). With observers, it also reports completion → parent notification and answer →
//! teacher event latency. Answers refused `busy` are counted and sent again (same seq) on the
//! learner's next tick. CPU per answer is each server process's user+system time over the
//! measured window ÷ the answers it answered (engine: ÷ the answers `saved`). PostgreSQL from `STUDYHUB_BENCH_DATABASE_URL` (default
//! `postgres://postgres@127.0.0.1:5432/postgres`; a fresh database is made and dropped).

use std::net::{Ipv4Addr, SocketAddr};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use hdrhistogram::Histogram;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

// Shared with the other benches (`nodes` reaches them as `load::…`).
#[path = "support/reads.rs"]
mod reads;
#[path = "support/mod.rs"]
mod support;
pub(crate) use support::{
    BenchDatabase, Server, free_port, hist, ms, raise_nofile, read_options, rss_kib, studyhub,
    wait_for_port,
};

#[derive(Clone, Debug)]
pub(crate) struct Args {
    pub sessions: usize,
    pub rate: f64,
    pub seconds: u64,
    pub warmup: u64,
    pub addrs: u8,
    pub only: Option<String>,
    pub parent_share: f64,
    pub class_size: usize,
    pub per_parent: usize,
    pub activity: Option<String>,
    /// Progress reads a second while learners play (engine only; 0: none).
    pub reads: f64,
}

pub(crate) fn parse_args() -> Args {
    let mut a = Args {
        sessions: 1000,
        rate: 2000.0,
        seconds: 15,
        warmup: 3,
        addrs: 4,
        only: None,
        parent_share: 0.2,
        class_size: 30,
        per_parent: 20,
        activity: None,
        reads: 0.0,
    };
    read_options(&[], |flag, v| match flag {
        "--sessions" => a.sessions = v.parse().expect("--sessions N"),
        "--rate" => a.rate = v.parse().expect("--rate R"),
        "--seconds" => a.seconds = v.parse().expect("--seconds S"),
        "--warmup" => a.warmup = v.parse().expect("--warmup S"),
        "--addrs" => a.addrs = v.parse().expect("--addrs K"),
        "--only" => a.only = Some(v.to_string()),
        "--parent-share" => a.parent_share = v.parse().expect("--parent-share F"),
        "--class-size" => a.class_size = v.parse().expect("--class-size N"),
        "--per-parent" => a.per_parent = v.parse().expect("--per-parent N"),
        "--activity" => a.activity = Some(v.to_string()),
        "--reads" => a.reads = v.parse().expect("--reads R"),
        other => panic!("unknown option {other}"),
    });
    a
}

// ---------------------------------------------------------------- the echo server

fn serve_echo(port: u16) {
    use actix_web::{App, HttpRequest, HttpServer, web};
    async fn echo(
        req: HttpRequest,
        body: web::Payload,
    ) -> actix_web::Result<actix_web::HttpResponse> {
        let (res, mut session, stream) = actix_ws::handle(&req, body)?;
        let mut stream = stream.max_frame_size(16 * 1024);
        actix_web::rt::spawn(async move {
            while let Some(Ok(msg)) = stream.next().await {
                match msg {
                    #[allow(clippy::collapsible_match)] // the send must happen, not be a guard
                    actix_ws::Message::Text(t) => {
                        if session.text(t).await.is_err() {
                            break;
                        }
                    }
                    actix_ws::Message::Ping(p) => {
                        let _ = session.pong(&p).await;
                    }
                    actix_ws::Message::Close(_) => break,
                    _ => {}
                }
            }
            let _ = session.close(None).await;
        });
        Ok(res)
    }
    actix_web::rt::System::new().block_on(async move {
        HttpServer::new(|| {
            App::new()
                .route("/echo", web::get().to(echo))
                .route("/relay", web::get().to(relay))
                .route("/watch", web::get().to(watch))
        })
        // As the server does: the same transport.
        .tcp_nodelay(true)
        .bind(("127.0.0.1", port))
        .unwrap()
        .run()
        .await
        .unwrap();
    });
}

/// The relay's class watchers, by class number.
static WATCHERS: std::sync::Mutex<Vec<(usize, actix_ws::Session)>> =
    std::sync::Mutex::new(Vec::new());

fn class_of(req: &actix_web::HttpRequest) -> usize {
    req.query_string()
        .strip_prefix("class=")
        .and_then(|k| k.parse().ok())
        .unwrap_or(0)
}

/// A learner's socket on the relay: the frames the engine sends for one answer, without the
/// engine (no parsing, grading, storage): the answer back at once (`feedback`), a copy to
/// the class's watcher (the teacher's event), and the latest answer again 20 ms after the
/// first one not yet repeated (`saved` after a group commit); and the protocol's ping every
/// 10 s.
async fn relay(
    req: actix_web::HttpRequest,
    body: actix_web::web::Payload,
) -> actix_web::Result<actix_web::HttpResponse> {
    let class = class_of(&req);
    let (res, mut session, stream) = actix_ws::handle(&req, body)?;
    let mut stream = stream.max_frame_size(16 * 1024);
    actix_web::rt::spawn(async move {
        let mut unsaved = None;
        let commit = tokio::time::sleep(Duration::ZERO);
        tokio::pin!(commit);
        // The protocol's heartbeat: a ping every 10 s, on the server's own schedule.
        use studyhub::live::socket::{PING_EVERY, first_ping};
        let mut heartbeat = tokio::time::interval_at(first_ping(), PING_EVERY);
        loop {
            tokio::select! {
                _ = heartbeat.tick() => {
                    if session.ping(b"").await.is_err() {
                        break;
                    }
                }
                msg = stream.next() => match msg {
                    Some(Ok(actix_ws::Message::Text(t))) => {
                        if session.text(t.clone()).await.is_err() {
                            break;
                        }
                        let watcher = WATCHERS.lock().unwrap().iter().find(|(k, _)| *k == class).map(|(_, w)| w.clone());
                        if let Some(mut w) = watcher {
                            let _ = w.text(t.clone()).await;
                        }
                        if unsaved.is_none() {
                            commit.as_mut().reset(tokio::time::Instant::now() + Duration::from_millis(20));
                        }
                        unsaved = Some(t);
                    }
                    Some(Ok(actix_ws::Message::Ping(p))) => {
                        let _ = session.pong(&p).await;
                    }
                    Some(Ok(actix_ws::Message::Close(_))) | Some(Err(_)) | None => break,
                    Some(Ok(_)) => {}
                },
                () = &mut commit, if unsaved.is_some() => {
                    if let Some(t) = unsaved.take()
                        && session.text(t).await.is_err()
                    {
                        break;
                    }
                }
            }
        }
        let _ = session.close(None).await;
    });
    Ok(res)
}

/// A class's watcher on the relay: hears a copy of every answer of its class.
async fn watch(
    req: actix_web::HttpRequest,
    body: actix_web::web::Payload,
) -> actix_web::Result<actix_web::HttpResponse> {
    let class = class_of(&req);
    let (res, session, mut stream) = actix_ws::handle(&req, body)?;
    WATCHERS.lock().unwrap().push((class, session));
    actix_web::rt::spawn(async move { while let Some(Ok(_)) = stream.next().await {} });
    Ok(res)
}

// ---------------------------------------------------------------- setup over HTTP

pub(crate) struct Fixture {
    pub token: String,
    pub children: Vec<String>,
}

/// One parent per `per_parent` children (tokens are per parent), all limits at 24 h.
pub(crate) fn make_children(port: u16, n: usize, per_parent: usize) -> Vec<Fixture> {
    actix_web::rt::System::new().block_on(async move {
        let client = awc::Client::builder().timeout(Duration::from_secs(60)).finish();
        let base = format!("http://127.0.0.1:{port}");
        let mut out = Vec::new();
        let mut left = n;
        let mut p = 0;
        while left > 0 {
            let k = left.min(per_parent.max(1));
            let mut res = client
                .post(format!("{base}/v1/auth/register"))
                .send_json(&json!({"email": format!("bench{p}@example.com"), "password": "bench-password", "name": "Bench Parent", "role": "parent"}))
                .await
                .unwrap();
            let body: Value = res.json().await.unwrap();
            let token = body["access_token"].as_str().expect("registered").to_string();
            let mut children = Vec::with_capacity(k);
            for chunk in (0..k).collect::<Vec<_>>().chunks(32) {
                let futs = chunk.iter().map(|i| {
                    let client = client.clone();
                    let token = token.clone();
                    let base = base.clone();
                    async move {
                        let mut res = client
                            .post(format!("{base}/v1/children"))
                            .bearer_auth(&token)
                            .send_json(&json!({"name": format!("Kid {i}"), "age": 8}))
                            .await
                            .unwrap();
                        let body: Value = res.json().await.unwrap();
                        let id = body["id"].as_str().expect("child made").to_string();
                        client
                            .put(format!("{base}/v1/children/{id}/settings"))
                            .bearer_auth(&token)
                            .send_json(&json!({"daily_time_limit_seconds": 86400}))
                            .await
                            .unwrap();
                        id
                    }
                });
                children.extend(futures_util::future::join_all(futs).await);
            }
            out.push(Fixture { token, children });
            left -= k;
            p += 1;
        }
        out
    })
}

/// Classes of `size` over all children (enrolled by their parents), one teacher per 10
/// classes. Returns (teacher token, class id) per class.
fn make_classes(port: u16, fixtures: &[Fixture], size: usize) -> Vec<(String, String)> {
    if size == 0 {
        return Vec::new();
    }
    let jobs: Vec<(String, Vec<String>)> = fixtures
        .iter()
        .flat_map(|f| {
            f.children
                .chunks(size)
                .map(move |c| (f.token.clone(), c.to_vec()))
        })
        .collect();
    actix_web::rt::System::new().block_on(async move {
        let client = awc::Client::builder().timeout(Duration::from_secs(60)).finish();
        let base = format!("http://127.0.0.1:{port}");
        let mut out = Vec::new();
        let mut teacher = String::new();
        for (i, (parent_token, children)) in jobs.into_iter().enumerate() {
            if i % 10 == 0 {
                let mut res = client
                    .post(format!("{base}/v1/auth/register"))
                    .send_json(&json!({"email": format!("teacher{i}@example.com"), "password": "bench-password", "name": "Bench Teacher", "role": "teacher"}))
                    .await
                    .unwrap();
                teacher = res.json::<Value>().await.unwrap()["access_token"].as_str().unwrap().to_string();
            }
            let mut res = client.post(format!("{base}/v1/classes")).bearer_auth(&teacher).send_json(&json!({"name": format!("Class {i}")})).await.unwrap();
            let class: Value = res.json().await.unwrap();
            let code = class["join_code"].as_str().unwrap().to_string();
            for chunk in children.chunks(32) {
                let futs = chunk.iter().map(|child| {
                    let (client, base, token, code) = (client.clone(), base.clone(), parent_token.clone(), code.clone());
                    async move {
                        client.post(format!("{base}/v1/children/{child}/classes")).bearer_auth(&token).send_json(&json!({"join_code": code})).await.unwrap();
                    }
                });
                futures_util::future::join_all(futs).await;
            }
            out.push((teacher.clone(), class["id"].as_str().unwrap().to_string()));
        }
        out
    })
}

// ---------------------------------------------------------------- the catalog

/// One activity as the generator plays it: its question ids with their right answers (read
/// from the starter content the server seeds), so four answers in five can be right.
pub(crate) struct Activity {
    id: String,
    questions: Vec<(String, Value)>,
}

/// The starter catalog, or just `only` when given.
pub(crate) fn catalog(only: Option<&str>) -> Arc<Vec<Activity>> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/content/activities");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .expect("content/activities")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    let mut out = Vec::new();
    for f in files {
        let list: Vec<Value> = serde_json::from_slice(&std::fs::read(&f).unwrap()).unwrap();
        for a in list {
            let id = a["id"].as_str().unwrap().to_string();
            if only.is_some_and(|o| o != id) {
                continue;
            }
            let questions = a["questions"]
                .as_array()
                .unwrap()
                .iter()
                .map(|q| {
                    (
                        q["id"].as_str().unwrap().to_string(),
                        q["correct_answer"].clone(),
                    )
                })
                .collect();
            out.push(Activity { id, questions });
        }
    }
    assert!(
        !out.is_empty(),
        "no activity {only:?} in the starter content"
    );
    Arc::new(out)
}

/// Which answer to send: right four times in five (spread by learner and seq).
fn answer_for(activity: &Activity, seq: u64, salt: u64) -> (String, Value) {
    let (q, right) = &activity.questions[((seq - 1) as usize) % activity.questions.len()];
    let wrong = (seq.wrapping_mul(2_654_435_761) ^ salt).is_multiple_of(5);
    let value = if wrong {
        json!("not it")
    } else {
        right.clone()
    };
    (q.clone(), value)
}

/// A process's user+system CPU time so far, in microseconds.
fn cpu_micros(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name (which may hold spaces) start at field 3.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<u64> = rest
        .split_whitespace()
        .map(|x| x.parse().unwrap_or(0))
        .collect();
    let ticks = f.get(11).copied().unwrap_or(0) + f.get(12).copied().unwrap_or(0);
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as u64;
    ticks * 1_000_000 / hz
}

/// CPU time so far (µs) of the whole machine (busy, all processes) and of PostgreSQL's
/// processes: with the server's and the generator's own, where the two cores went.
fn machine_micros() -> (u64, u64) {
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as u64;
    let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let f: Vec<u64> = stat
        .lines()
        .next()
        .unwrap_or("")
        .split_whitespace()
        .skip(1)
        .map(|x| x.parse().unwrap_or(0))
        .collect();
    // user nice system idle iowait irq softirq steal: all but idle and iowait are busy.
    let busy: u64 = f
        .iter()
        .take(8)
        .enumerate()
        .filter(|(i, _)| *i != 3 && *i != 4)
        .map(|(_, v)| v)
        .sum();
    let postgres: u64 = std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/comm"))
                .is_ok_and(|c| c.trim() == "postgres")
        })
        .map(cpu_micros)
        .sum();
    (busy * 1_000_000 / hz, postgres)
}

// ---------------------------------------------------------------- the generator

#[derive(Clone, Copy, PartialEq)]
pub(crate) enum Mode {
    Echo,
    /// The echo with the engine's frames: each answer is echoed at once, copied to its
    /// class's watcher, and echoed again once a 20 ms timer fires (as `saved` would be).
    Relay,
    Engine,
}

/// When each observed event was caused, so the parent and teacher feeds can time it.
#[derive(Default)]
struct Causes {
    /// (learner, session, question) → when the answer was sent.
    answers: std::sync::Mutex<std::collections::HashMap<(String, String, String), Instant>>,
    /// learner → when the answer that completed its activity was sent.
    completions: std::sync::Mutex<std::collections::HashMap<String, Instant>>,
    observing: AtomicBool,
}

struct Shared {
    causes: Causes,
    measuring: AtomicBool,
    stop: AtomicBool,
    sent: AtomicU64,
    answered: AtomicU64,
    connected: AtomicU64,
    failed: AtomicU64,
    saved: AtomicU64,
    busy: AtomicU64,
    errors: AtomicU64,
    closed: AtomicU64,
}

/// Latencies in microseconds, shared by all connections of a run (a histogram per
/// connection would cost the generator gigabytes at 20 000 connections).
#[derive(Clone)]
struct ConnResult {
    feedback: Arc<std::sync::Mutex<Histogram<u64>>>,
    saved: Arc<std::sync::Mutex<Histogram<u64>>>,
}

fn record(h: &std::sync::Mutex<Histogram<u64>>, at: Instant) {
    let _ = h
        .lock()
        .unwrap()
        .record(at.elapsed().as_micros().max(1) as u64);
}

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
struct Play {
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
    fn start_frame(&self) -> Message {
        Message::text(json!({"type": "start", "activity_id": self.catalog[self.at].id}).to_string())
    }
}

/// An open loop's pace: an answer `every`, the first one at a random point of
/// `first_within` (learners do not all begin in the same second: started together, every
/// learner of an activity completed it, and unlocked `first-steps`, in the same second).
#[derive(Clone, Copy)]
struct Pace {
    every: Duration,
    first_within: Duration,
}

#[allow(clippy::too_many_arguments)]
async fn drive(
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

pub(crate) struct Report {
    label: &'static str,
    held: u64,
    failed: u64,
    rate: f64,
    saved_rate: f64,
    busy: u64,
    errors: u64,
    closed: u64,
    /// Server CPU µs per unit of work (engine: per durable answer; echo: per message).
    server_cpu_us: Option<f64>,
    generator_cpu_us: Option<f64>,
    server_cores: f64,
    /// Cores busy over the window: the whole machine, and PostgreSQL's processes.
    machine_cores: f64,
    database_cores: f64,
    generator_cores: f64,
    feedback: Histogram<u64>,
    saved: Histogram<u64>,
    parent_notify: Histogram<u64>,
    teacher_event: Histogram<u64>,
    rss_per_session_kib: Option<f64>,
    /// `GET /v1/learners/{id}/progress` latencies and failures (`--reads`).
    progress_reads: Option<(Histogram<u64>, u64, String)>,
}

/// A parent or teacher feed that times the events it receives against their causes.
async fn observe(
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
        match v["type"].as_str() {
            Some("answer") => {
                let key = (
                    v["learner_id"].as_str().unwrap_or_default().to_string(),
                    v["session_id"].as_str().unwrap_or_default().to_string(),
                    v["question_id"].as_str().unwrap_or_default().to_string(),
                );
                let cause = shared.causes.answers.lock().unwrap().remove(&key);
                if let (Some(at), true) = (cause, measuring) {
                    record(&teacher, at);
                }
            }
            Some("notification") if v["notification"]["kind"] == "activity_completed" => {
                let child = v["notification"]["child_id"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string();
                let cause = shared.causes.completions.lock().unwrap().remove(&child);
                if let (Some(at), true) = (cause, measuring) {
                    record(&parent, at);
                }
            }
            _ => {}
        }
    }
}

pub(crate) fn run_load(
    mode: Mode,
    args: &Args,
    port: u16,
    path_of: impl Fn(usize) -> (String, Option<String>),
    pid: Option<u32>,
    observers: Vec<(String, String)>,
    catalog: Arc<Vec<Activity>>,
) -> Report {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let server = SocketAddr::from(([127, 0, 0, 1], port));
    let shared = Arc::new(Shared {
        causes: Causes::default(),
        measuring: AtomicBool::new(false),
        stop: AtomicBool::new(false),
        sent: AtomicU64::new(0),
        answered: AtomicU64::new(0),
        connected: AtomicU64::new(0),
        failed: AtomicU64::new(0),
        saved: AtomicU64::new(0),
        busy: AtomicU64::new(0),
        errors: AtomicU64::new(0),
        closed: AtomicU64::new(0),
    });
    // The first answers spread over the warm-up, so the measured window sees the mix of a
    // steady state rather than every learner completing in step.
    let pace = (args.rate > 0.0).then(|| Pace {
        every: Duration::from_secs_f64(args.sessions as f64 / args.rate),
        first_within: Duration::from_secs(args.warmup),
    });
    let baseline = pid.map(rss_kib);
    rt.block_on(async {
        let ready = Arc::new(tokio::sync::Barrier::new(args.sessions + 1));
        let results = ConnResult { feedback: Arc::new(std::sync::Mutex::new(hist())), saved: Arc::new(std::sync::Mutex::new(hist())) };
        let parent_hist = Arc::new(std::sync::Mutex::new(hist()));
        let teacher_hist = Arc::new(std::sync::Mutex::new(hist()));
        shared.causes.observing.store(!observers.is_empty(), Ordering::Relaxed);
        let watchers: Vec<_> = observers
            .into_iter()
            .map(|(path, token)| tokio::spawn(observe(server, path, token, shared.clone(), parent_hist.clone(), teacher_hist.clone())))
            .collect();
        let gate = Arc::new(tokio::sync::Semaphore::new(200));
        let mut tasks = Vec::with_capacity(args.sessions);
        for i in 0..args.sessions {
            let (path, token) = path_of(i);
            let source = Ipv4Addr::new(127, 0, 0, 1 + (i % args.addrs as usize) as u8);
            let (shared, ready, gate, results, catalog) = (shared.clone(), ready.clone(), gate.clone(), results.clone(), catalog.clone());
            let i = i % catalog.len();
            tasks.push(tokio::spawn(async move {
                let permit = gate.acquire_owned().await.unwrap();
                let play = Play { mode, catalog, at: i, salt: i as u64, session: String::new(), seq: 0, acked_seq: 0, sent_at: Default::default(), previous: None, restarting: false, start_again: false, refused: false };
                let fut = drive(play, server, source, path, token, pace, shared, ready, results);
                tokio::pin!(fut);
                // Release the connect permit once this connection is through the handshake.
                let r = tokio::select! { biased; r = &mut fut => Some(r), _ = tokio::time::sleep(Duration::from_millis(1)) => None };
                drop(permit);
                match r { Some(r) => r, None => fut.await }
            }));
        }
        ready.wait().await;
        eprintln!("{}: {} connected, {} failed; warming up", label(mode), shared.connected.load(Ordering::Relaxed), shared.failed.load(Ordering::Relaxed));
        // Parents reading progress while their children play (the engine's play paths
        // name the learner; the echo's do not).
        let readers = (args.reads > 0.0 && mode == Mode::Engine).then(|| {
            let targets: Vec<(String, String)> = (0..args.sessions)
                .filter_map(|i| {
                    let (path, token) = path_of(i);
                    Some((path.split("learner_id=").nth(1)?.to_string(), token?))
                })
                .collect();
            let (m, s) = (shared.clone(), shared.clone());
            reads::start(
                port,
                targets,
                args.reads,
                move || m.measuring.load(Ordering::Relaxed),
                move || s.stop.load(Ordering::Relaxed),
            )
        });
        tokio::time::sleep(Duration::from_secs(args.warmup)).await;
        shared.measuring.store(true, Ordering::Relaxed);
        let t0 = Instant::now();
        let cpu0 = (pid.map(cpu_micros), cpu_micros(std::process::id()));
        let machine0 = machine_micros();
        // A line a second on stderr: a stall shows as a dip, and whether the generator's
        // sends dipped too tells which side stalled.
        let counts = || {
            [&shared.sent, &shared.answered, &shared.saved, &shared.busy]
                .map(|c| c.load(Ordering::Relaxed))
        };
        let mut last = counts();
        let mut second = tokio::time::interval_at(
            tokio::time::Instant::now() + Duration::from_secs(1),
            Duration::from_secs(1),
        );
        for t in 1..=args.seconds {
            second.tick().await;
            let now = counts();
            let d: Vec<u64> = now.iter().zip(last).map(|(n, l)| n - l).collect();
            eprintln!(
                "{}: second {t}: sent {}, fed back {}, saved {}, busy {}",
                label(mode),
                d[0],
                d[1],
                d[2],
                d[3]
            );
            last = now;
        }
        let machine1 = machine_micros();
        shared.measuring.store(false, Ordering::Relaxed);
        let elapsed = t0.elapsed().as_secs_f64();
        let cpu1 = (pid.map(cpu_micros), cpu_micros(std::process::id()));
        let rss = pid.map(rss_kib);
        shared.stop.store(true, Ordering::Relaxed);
        for t in tasks {
            let _ = tokio::time::timeout(Duration::from_secs(30), t).await;
        }
        let feedback = results.feedback.lock().unwrap().clone();
        let saved = results.saved.lock().unwrap().clone();
        for w in watchers {
            w.abort();
        }
        let parent_notify = parent_hist.lock().unwrap().clone();
        let teacher_event = teacher_hist.lock().unwrap().clone();
        let progress_reads = readers.map(|(r, thread)| {
            let _ = thread.join();
            let latency = r.latency.lock().unwrap().clone();
            let sources = r.sources.lock().unwrap().clone();
            (latency, r.failed.load(Ordering::Relaxed), sources)
        });
        let held = shared.connected.load(Ordering::Relaxed);
        let answered = shared.answered.load(Ordering::Relaxed);
        // The engine's unit of work is a durable answer; the echo's, an echoed message.
        let done = match mode {
            Mode::Engine => shared.saved.load(Ordering::Relaxed),
            Mode::Echo | Mode::Relay => answered,
        };
        Report {
            label: label(mode),
            held,
            failed: shared.failed.load(Ordering::Relaxed),
            rate: answered as f64 / elapsed,
            saved_rate: shared.saved.load(Ordering::Relaxed) as f64 / elapsed,
            busy: shared.busy.load(Ordering::Relaxed),
            errors: shared.errors.load(Ordering::Relaxed),
            closed: shared.closed.load(Ordering::Relaxed),
            server_cpu_us: match (cpu0.0, cpu1.0) {
                (Some(a), Some(b)) if done > 0 => Some((b - a) as f64 / done as f64),
                _ => None,
            },
            generator_cpu_us: (done > 0).then(|| (cpu1.1 - cpu0.1) as f64 / done as f64),
            server_cores: match (cpu0.0, cpu1.0) {
                (Some(a), Some(b)) => (b - a) as f64 / 1e6 / elapsed,
                _ => 0.0,
            },
            machine_cores: machine1.0.saturating_sub(machine0.0) as f64 / 1e6 / elapsed,
            database_cores: machine1.1.saturating_sub(machine0.1) as f64 / 1e6 / elapsed,
            generator_cores: (cpu1.1 - cpu0.1) as f64 / 1e6 / elapsed,
            feedback,
            saved,
            parent_notify,
            teacher_event,
            progress_reads,
            rss_per_session_kib: match (baseline, rss) {
                (Some(b), Some(r)) if held > 0 => Some(r.saturating_sub(b) as f64 / held as f64),
                _ => None,
            },
        }
    })
}

fn label(mode: Mode) -> &'static str {
    match mode {
        Mode::Echo => "echo",
        Mode::Relay => "relay",
        Mode::Engine => "engine",
    }
}

pub(crate) fn print(r: &Report) {
    let us = |v: Option<f64>| v.map_or("-".into(), |v| format!("{v:.0}"));
    println!(
        "| {} | {} | {} | {:.0} | {} | {} | {} | {} | {} | {} | {:.2} | {} | {} | {} | {} | {} |",
        r.label,
        r.held,
        r.failed,
        r.rate,
        if r.label == "engine" {
            format!("{:.0}", r.saved_rate)
        } else {
            "-".into()
        },
        r.busy,
        r.errors,
        r.closed,
        us(r.server_cpu_us),
        us(r.generator_cpu_us),
        r.server_cores,
        ms(&r.feedback, 0.5),
        ms(&r.feedback, 0.99),
        ms(&r.saved, 0.5),
        ms(&r.saved, 0.99),
        r.rss_per_session_kib
            .map_or("-".into(), |k| format!("{k:.1}")),
    );
}

fn main() {
    let argv: Vec<String> = std::env::args().collect();
    if argv.get(1).map(String::as_str) == Some("--serve-echo") {
        serve_echo(argv[2].parse().unwrap());
        return;
    }
    let args = parse_args();
    let nofile = raise_nofile();
    eprintln!("open-file limit {nofile}; {args:?}");
    let catalog = catalog(args.activity.as_deref());
    let mut reports = Vec::new();

    if args.only.is_none() || args.only.as_deref() == Some("echo") {
        let port = free_port();
        let echo = Server(
            Command::new(std::env::current_exe().unwrap())
                .args(["--serve-echo", &port.to_string()])
                .spawn()
                .unwrap(),
        );
        wait_for_port(port);
        let pid = echo.0.id();
        reports.push(run_load(
            Mode::Echo,
            &args,
            port,
            |_| ("/echo".into(), None),
            Some(pid),
            Vec::new(),
            catalog.clone(),
        ));
    }

    if args.only.is_none() || args.only.as_deref() == Some("relay") {
        let port = free_port();
        let relay = Server(
            Command::new(std::env::current_exe().unwrap())
                .args(["--serve-echo", &port.to_string()])
                .spawn()
                .unwrap(),
        );
        wait_for_port(port);
        let pid = relay.0.id();
        let class_size = args.class_size.max(1);
        let watchers = if args.class_size == 0 {
            Vec::new()
        } else {
            (0..args.sessions.div_ceil(class_size))
                .map(|k| (format!("/watch?class={k}"), String::new()))
                .collect()
        };
        reports.push(run_load(
            Mode::Relay,
            &args,
            port,
            |i| (format!("/relay?class={}", i / class_size), None),
            Some(pid),
            watchers,
            catalog.clone(),
        ));
    }

    if args.only.is_none() || args.only.as_deref() == Some("engine") {
        let db = BenchDatabase::create("bench");
        let data = tempfile::tempdir().unwrap();
        let port = free_port();
        let server = Server(
            studyhub(&db.url, port, data.path())
                .spawn()
                .expect("the studyhub binary"),
        );
        wait_for_port(port);
        let pid = server.0.id();
        let t = Instant::now();
        let fixtures = make_children(port, args.sessions, args.per_parent);
        eprintln!(
            "engine: {} children made in {:.1}s",
            args.sessions,
            t.elapsed().as_secs_f64()
        );
        let t = Instant::now();
        let classes = make_classes(port, &fixtures, args.class_size);
        eprintln!(
            "engine: {} classes made in {:.1}s",
            classes.len(),
            t.elapsed().as_secs_f64()
        );
        let feeds =
            ((fixtures.len() as f64 * args.parent_share).ceil() as usize).min(fixtures.len());
        let observers: Vec<(String, String)> = fixtures
            .iter()
            .take(feeds)
            .map(|f| ("/v1/parent/live".to_string(), f.token.clone()))
            .chain(
                classes
                    .iter()
                    .map(|(token, id)| (format!("/v1/classes/{id}/live"), token.clone())),
            )
            .collect();
        let learners: Vec<(String, String)> = fixtures
            .iter()
            .flat_map(|f| f.children.iter().map(move |c| (c.clone(), f.token.clone())))
            .collect();
        reports.push(run_load(
            Mode::Engine,
            &args,
            port,
            |i| {
                (
                    format!("/v1/play?learner_id={}", learners[i].0),
                    Some(learners[i].1.clone()),
                )
            },
            Some(pid),
            observers,
            catalog.clone(),
        ));
        drop(server);
        drop(db);
    }

    println!();
    println!(
        "sessions {}, {} activities, {} children per parent, offered rate {} answers/s ({}), {} s measured after {} s warm-up",
        args.sessions,
        catalog.len(),
        args.per_parent,
        args.rate,
        if args.rate > 0.0 {
            "open loop"
        } else {
            "closed loop"
        },
        args.seconds,
        args.warmup
    );
    println!(
        "| target | sessions held | failed | answers/s | saved/s | busy | errors | closed | server CPU µs/answer | generator CPU µs/answer | server cores | feedback p50 ms | feedback p99 ms | saved p50 ms | saved p99 ms | server RSS KiB/session |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
    for r in &reports {
        print(r);
    }
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    for r in &reports {
        println!(
            "{}: the machine's cores busy {:.2} of {cores}: server {:.2}, PostgreSQL {:.2}, generator {:.2}, the rest {:.2}",
            r.label,
            r.machine_cores,
            r.server_cores,
            r.database_cores,
            r.generator_cores,
            (r.machine_cores - r.server_cores - r.database_cores - r.generator_cores).max(0.0)
        );
    }
    for r in reports.iter().filter(|r| r.label == "engine") {
        println!("\n| observed | events | p50 ms | p99 ms |\n|---|---|---|---|");
        println!(
            "| completion → parent notification | {} | {} | {} |",
            r.parent_notify.len(),
            ms(&r.parent_notify, 0.5),
            ms(&r.parent_notify, 0.99)
        );
        println!(
            "| answer → teacher event | {} | {} | {} |",
            r.teacher_event.len(),
            ms(&r.teacher_event, 0.5),
            ms(&r.teacher_event, 0.99)
        );
        if let Some((reads, failed, sources)) = &r.progress_reads {
            println!(
                "| GET /v1/learners/{{id}}/progress ({failed} failed) | {} | {} | {} |",
                reads.len(),
                ms(reads, 0.5),
                ms(reads, 0.99)
            );
            println!("progress summaries answered (whole run): {sources}");
        }
    }
    if let (Some(relay), Some(engine)) = (
        reports.iter().find(|r| r.label == "relay"),
        reports.iter().find(|r| r.label == "engine"),
    ) && let (Some(e), Some(o)) = (engine.server_cpu_us, relay.server_cpu_us)
    {
        println!(
            "engine CPU per durable answer ÷ relay CPU per answer (the same frames, no engine): {:.2}",
            e / o.max(0.001)
        );
    }
    if let (Some(echo), Some(engine)) = (
        reports.iter().find(|r| r.label == "echo"),
        reports.iter().find(|r| r.label == "engine"),
    ) {
        println!(
            "\nengine ÷ echo (answers/s): {:.2}",
            engine.rate / echo.rate.max(1.0)
        );
        if let (Some(e), Some(o)) = (engine.server_cpu_us, echo.server_cpu_us) {
            println!(
                "engine CPU per durable answer ÷ echo CPU per message: {:.2}",
                e / o.max(0.001)
            );
        }
    }
}
