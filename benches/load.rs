//! Load benchmark for the live engine.
//!
//! Opens N learner websockets against a release `studyhub` server on PostgreSQL, plays
//! activities at a given total answer rate, and reports sessions held, answers/s, feedback
//! and saved latency percentiles (HDR histograms) and server RSS per session. In the same
//! run it drives a bare actix-ws echo server with the same generator, so the engine's rate
//! is reported as a ratio of the transport's.
//!
//! ```sh
//! cargo bench --bench load -- --sessions 2000 --rate 4000 --seconds 20
//! cargo bench --bench load -- --sessions 2000 --rate 0 --seconds 15   # closed loop: saturation
//! ```
//! Options: `--sessions N`, `--rate R` (answers/s in total; 0 = each connection sends its
//! next message as soon as the last was answered), `--seconds S` (measured), `--warmup S`,
//! `--addrs K` (source addresses 127.0.0.1..K, to get past the ephemeral port range),
//! `--only engine|echo`, `--parent-share F` (share of parents with a live feed open, default
//! 0.2), `--class-size N` (learners per class, each class watched by its teacher; 0 = none,
//! default 30). With observers, it also reports completion → parent notification and
//! answer → teacher event latency. PostgreSQL from `STUDYHUB_BENCH_DATABASE_URL` (default
//! `postgres://postgres@127.0.0.1:5432/postgres`; a fresh database is made and dropped).

use std::net::{Ipv4Addr, SocketAddr};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};
use futures_util::{SinkExt, StreamExt};
use hdrhistogram::Histogram;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

#[derive(Clone, Debug)]
struct Args {
    sessions: usize,
    rate: f64,
    seconds: u64,
    warmup: u64,
    addrs: u8,
    only: Option<String>,
    parent_share: f64,
    class_size: usize,
}

fn parse_args() -> Args {
    let mut a = Args {
        sessions: 1000,
        rate: 2000.0,
        seconds: 15,
        warmup: 3,
        addrs: 4,
        only: None,
        parent_share: 0.2,
        class_size: 30,
    };
    let argv: Vec<String> = std::env::args()
        .skip(1)
        .filter(|s| s != "--bench")
        .collect();
    let mut i = 0;
    while i < argv.len() {
        let v = argv.get(i + 1).cloned().unwrap_or_default();
        match argv[i].as_str() {
            "--sessions" => a.sessions = v.parse().expect("--sessions N"),
            "--rate" => a.rate = v.parse().expect("--rate R"),
            "--seconds" => a.seconds = v.parse().expect("--seconds S"),
            "--warmup" => a.warmup = v.parse().expect("--warmup S"),
            "--addrs" => a.addrs = v.parse().expect("--addrs K"),
            "--only" => a.only = Some(v),
            "--parent-share" => a.parent_share = v.parse().expect("--parent-share F"),
            "--class-size" => a.class_size = v.parse().expect("--class-size N"),
            other => panic!("unknown option {other}"),
        }
        i += 2;
    }
    a
}

/// Raises this process's open-file limit to the hard limit (children inherit it).
fn raise_nofile() -> u64 {
    unsafe {
        let mut lim = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim);
        lim.rlim_cur = lim.rlim_max;
        libc::setrlimit(libc::RLIMIT_NOFILE, &lim);
        lim.rlim_cur
    }
}

fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn wait_for_port(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(120);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "server on port {port} did not start"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
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
        HttpServer::new(|| App::new().route("/echo", web::get().to(echo)))
            .bind(("127.0.0.1", port))
            .unwrap()
            .run()
            .await
            .unwrap();
    });
}

// ---------------------------------------------------------------- setup over HTTP

struct Fixture {
    token: String,
    children: Vec<String>,
}

/// One parent per 500 children (tokens are per parent), all limits at 24 h.
fn make_children(port: u16, n: usize) -> Vec<Fixture> {
    actix_web::rt::System::new().block_on(async move {
        let client = awc::Client::builder().timeout(Duration::from_secs(60)).finish();
        let base = format!("http://127.0.0.1:{port}");
        let mut out = Vec::new();
        let mut left = n;
        let mut p = 0;
        while left > 0 {
            let k = left.min(500);
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

// ---------------------------------------------------------------- the generator

#[derive(Clone, Copy, PartialEq)]
enum Mode {
    Echo,
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
}

/// Latencies in microseconds, shared by all connections of a run (a histogram per
/// connection would cost the generator gigabytes at 20 000 connections).
#[derive(Clone)]
struct ConnResult {
    feedback: Arc<std::sync::Mutex<Histogram<u64>>>,
    saved: Arc<std::sync::Mutex<Histogram<u64>>>,
}

fn hist() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 120_000_000, 3).unwrap()
}

fn record(h: &std::sync::Mutex<Histogram<u64>>, at: Instant) {
    let _ = h
        .lock()
        .unwrap()
        .record(at.elapsed().as_micros().max(1) as u64);
}

async fn connect(
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

#[allow(clippy::too_many_arguments)]
async fn drive(
    mode: Mode,
    server: SocketAddr,
    source: Ipv4Addr,
    path: String,
    token: Option<String>,
    interval: Option<Duration>,
    shared: Arc<Shared>,
    ready: Arc<tokio::sync::Barrier>,
    mut result: ConnResult,
) -> ConnResult {
    let Some(ws) = connect(server, source, &path, token.as_deref()).await else {
        shared.failed.fetch_add(1, Ordering::Relaxed);
        ready.wait().await;
        return result;
    };
    let (mut tx, mut rx) = ws.split();
    let mut session = String::new();
    let mut questions: Vec<String> = Vec::new();
    if mode == Mode::Engine {
        // hello, then start the first activity.
        let _ = rx.next().await;
        let _ = tx
            .send(Message::text(
                json!({"type": "start", "activity_id": "math-addition-1"}).to_string(),
            ))
            .await;
        while let Some(Ok(Message::Text(t))) = rx.next().await {
            let v: Value = serde_json::from_str(&t).unwrap_or_default();
            if v["type"] == "started" {
                session = v["session_id"].as_str().unwrap_or_default().to_string();
                questions = v["activity"]["questions"]
                    .as_array()
                    .map(|qs| {
                        qs.iter()
                            .map(|q| q["id"].as_str().unwrap().to_string())
                            .collect()
                    })
                    .unwrap_or_default();
                break;
            }
        }
        if session.is_empty() {
            shared.failed.fetch_add(1, Ordering::Relaxed);
            ready.wait().await;
            return result;
        }
    }
    shared.connected.fetch_add(1, Ordering::Relaxed);
    ready.wait().await;

    let mut seq: u64 = 0;
    let mut acked_seq: u64 = 0;
    let mut saved_seq: u64 = 0;
    let mut sent_at: std::collections::VecDeque<(u64, Instant)> = std::collections::VecDeque::new();
    let mut ticker = interval.map(|d| {
        let mut t =
            tokio::time::interval_at(tokio::time::Instant::now() + d.mul_f64(rand_phase()), d);
        t.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        t
    });
    let mut in_flight = false;
    let mut restarting = false;
    loop {
        if shared.stop.load(Ordering::Relaxed) {
            break;
        }
        let send_now = match ticker.as_mut() {
            Some(t) => {
                tokio::select! {
                    _ = t.tick() => !restarting,
                    msg = rx.next() => {
                        if !handle(mode, msg, &mut session, &mut questions, &mut seq, &mut acked_seq, &mut saved_seq, &mut sent_at, &mut result, &shared, &mut tx, &mut restarting).await { break; }
                        false
                    }
                }
            }
            None => {
                if !in_flight && !restarting {
                    true
                } else {
                    let msg = tokio::time::timeout(Duration::from_secs(5), rx.next())
                        .await
                        .ok()
                        .flatten();
                    if !handle(
                        mode,
                        msg,
                        &mut session,
                        &mut questions,
                        &mut seq,
                        &mut acked_seq,
                        &mut saved_seq,
                        &mut sent_at,
                        &mut result,
                        &shared,
                        &mut tx,
                        &mut restarting,
                    )
                    .await
                    {
                        break;
                    }
                    in_flight = acked_seq < seq;
                    false
                }
            }
        };
        if send_now && (mode == Mode::Echo || !questions.is_empty()) {
            seq += 1;
            let q = if mode == Mode::Engine {
                questions[((seq - 1) as usize) % questions.len()].clone()
            } else {
                "q".into()
            };
            let frame = json!({"type": "answer", "session_id": session, "seq": seq, "question_id": q, "answer": 7}).to_string();
            let now = Instant::now();
            sent_at.push_back((seq, now));
            if mode == Mode::Engine && shared.causes.observing.load(Ordering::Relaxed) {
                let learner = path.rsplit('=').next().unwrap_or_default().to_string();
                if seq as usize == questions.len() {
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
                    .insert((learner, session.clone(), q.clone()), now);
            }
            if tx.send(Message::text(frame)).await.is_err() {
                break;
            }
            in_flight = true;
            if shared.measuring.load(Ordering::Relaxed) {
                shared.sent.fetch_add(1, Ordering::Relaxed);
            }
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

#[allow(clippy::too_many_arguments)]
async fn handle<S>(
    mode: Mode,
    msg: Option<Result<Message, tokio_tungstenite::tungstenite::Error>>,
    session: &mut String,
    questions: &mut Vec<String>,
    seq: &mut u64,
    acked_seq: &mut u64,
    saved_seq: &mut u64,
    sent_at: &mut std::collections::VecDeque<(u64, Instant)>,
    result: &mut ConnResult,
    shared: &Shared,
    tx: &mut S,
    restarting: &mut bool,
) -> bool
where
    S: futures_util::Sink<Message> + Unpin,
{
    let Some(Ok(Message::Text(text))) = msg else {
        return matches!(msg, Some(Ok(_)));
    };
    let measuring = shared.measuring.load(Ordering::Relaxed);
    let v: Value = serde_json::from_str(&text).unwrap_or_default();
    let kind = if mode == Mode::Echo {
        "feedback"
    } else {
        v["type"].as_str().unwrap_or("")
    };
    match kind {
        "feedback" => {
            let s = v["seq"].as_u64().unwrap_or(0);
            *acked_seq = (*acked_seq).max(s);
            if let Some((_, at)) = sent_at.iter().find(|(q, _)| *q == s)
                && measuring
            {
                record(&result.feedback, *at);
                shared.answered.fetch_add(1, Ordering::Relaxed);
            }
            if mode == Mode::Echo {
                sent_at.retain(|(q, _)| *q > s);
            }
        }
        "saved" => {
            let up = v["up_to_seq"].as_u64().unwrap_or(0);
            while let Some((q, at)) = sent_at.front().copied() {
                if q > up {
                    break;
                }
                if measuring {
                    record(&result.saved, at);
                }
                sent_at.pop_front();
            }
            *saved_seq = (*saved_seq).max(up);
        }
        "completed" => {
            // Play the next activity: a new session, seqs from 1 again.
            *restarting = true;
            let _ = tx
                .send(Message::text(
                    json!({"type": "start", "activity_id": "math-addition-1"}).to_string(),
                ))
                .await;
        }
        "started" => {
            *session = v["session_id"].as_str().unwrap_or_default().to_string();
            *questions = v["activity"]["questions"]
                .as_array()
                .map(|qs| {
                    qs.iter()
                        .map(|q| q["id"].as_str().unwrap().to_string())
                        .collect()
                })
                .unwrap_or_default();
            *seq = 0;
            *acked_seq = 0;
            *saved_seq = 0;
            sent_at.clear();
            *restarting = false;
        }
        _ => {}
    }
    true
}

struct Report {
    label: &'static str,
    held: u64,
    failed: u64,
    rate: f64,
    feedback: Histogram<u64>,
    saved: Histogram<u64>,
    parent_notify: Histogram<u64>,
    teacher_event: Histogram<u64>,
    rss_per_session_kib: Option<f64>,
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

fn run_load(
    mode: Mode,
    args: &Args,
    port: u16,
    path_of: impl Fn(usize) -> (String, Option<String>),
    pid: Option<u32>,
    observers: Vec<(String, String)>,
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
    });
    let interval =
        (args.rate > 0.0).then(|| Duration::from_secs_f64(args.sessions as f64 / args.rate));
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
            let (shared, ready, gate, results) = (shared.clone(), ready.clone(), gate.clone(), results.clone());
            tasks.push(tokio::spawn(async move {
                let permit = gate.acquire_owned().await.unwrap();
                let fut = drive(mode, server, source, path, token, interval, shared, ready, results);
                tokio::pin!(fut);
                // Release the connect permit once this connection is through the handshake.
                let r = tokio::select! { biased; r = &mut fut => Some(r), _ = tokio::time::sleep(Duration::from_millis(1)) => None };
                drop(permit);
                match r { Some(r) => r, None => fut.await }
            }));
        }
        ready.wait().await;
        eprintln!("{}: {} connected, {} failed; warming up", label(mode), shared.connected.load(Ordering::Relaxed), shared.failed.load(Ordering::Relaxed));
        tokio::time::sleep(Duration::from_secs(args.warmup)).await;
        shared.measuring.store(true, Ordering::Relaxed);
        let t0 = Instant::now();
        tokio::time::sleep(Duration::from_secs(args.seconds)).await;
        shared.measuring.store(false, Ordering::Relaxed);
        let elapsed = t0.elapsed().as_secs_f64();
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
        let held = shared.connected.load(Ordering::Relaxed);
        Report {
            label: label(mode),
            held,
            failed: shared.failed.load(Ordering::Relaxed),
            rate: shared.answered.load(Ordering::Relaxed) as f64 / elapsed,
            feedback,
            saved,
            parent_notify,
            teacher_event,
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
        Mode::Engine => "engine",
    }
}

fn ms(h: &Histogram<u64>, q: f64) -> String {
    if h.is_empty() {
        "-".into()
    } else {
        format!("{:.2}", h.value_at_quantile(q) as f64 / 1000.0)
    }
}

fn print(r: &Report) {
    println!(
        "| {} | {} | {} | {:.0} | {} | {} | {} | {} | {} |",
        r.label,
        r.held,
        r.failed,
        r.rate,
        ms(&r.feedback, 0.5),
        ms(&r.feedback, 0.99),
        ms(&r.saved, 0.5),
        ms(&r.saved, 0.99),
        r.rss_per_session_kib
            .map_or("-".into(), |k| format!("{k:.1}")),
    );
}

struct Server(Child);
impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
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
    let mut reports = Vec::new();

    if args.only.as_deref() != Some("engine") {
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
        ));
    }

    if args.only.as_deref() != Some("echo") {
        let admin = std::env::var("STUDYHUB_BENCH_DATABASE_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
        let name = format!("studyhub_bench_{}", std::process::id());
        let mut conn = PgConnection::establish(&admin).expect("PostgreSQL for the benchmark");
        conn.batch_execute(&format!("CREATE DATABASE {name}"))
            .unwrap();
        let url = format!("{}/{name}", admin.rsplit_once('/').unwrap().0);
        let data = tempfile::tempdir().unwrap();
        let port = free_port();
        let server = Server(
            Command::new(env!("CARGO_BIN_EXE_studyhub"))
                .env("DATABASE_URL", &url)
                .env("STUDYHUB_BIND", format!("127.0.0.1:{port}"))
                .env("STUDYHUB_DATA_DIR", data.path())
                .env("STUDYHUB_BCRYPT_COST", "4")
                .env("STUDYHUB_REGISTER_LIMIT_PER_HOUR", "1000000")
                .env("STUDYHUB_DATABASE_POOL_SIZE", "8")
                .env("RUST_LOG", "warn")
                .stdout(Stdio::null())
                .spawn()
                .expect("the studyhub binary"),
        );
        wait_for_port(port);
        let pid = server.0.id();
        let t = Instant::now();
        let fixtures = make_children(port, args.sessions);
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
        ));
        drop(server);
        let _ = conn.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
    }

    println!();
    println!(
        "sessions {}, offered rate {} answers/s ({}), {} s measured after {} s warm-up",
        args.sessions,
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
        "| target | sessions held | failed | answers/s | feedback p50 ms | feedback p99 ms | saved p50 ms | saved p99 ms | server RSS KiB/session |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    for r in &reports {
        print(r);
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
    }
    if let (Some(echo), Some(engine)) = (
        reports.iter().find(|r| r.label == "echo"),
        reports.iter().find(|r| r.label == "engine"),
    ) {
        println!(
            "\nengine ÷ echo (answers/s): {:.2}",
            engine.rate / echo.rate.max(1.0)
        );
    }
}
