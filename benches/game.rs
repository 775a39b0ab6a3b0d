//! Class games under load: many classes play at once, and every student must see the reveal
//! quickly.
//!
//! Starts a release `studyhub` (`--server-bin`; PostgreSQL by default, a fresh database per run; `--sqlite`
//! for a SQLite file), makes one teacher and one class per `--classes`, `--class-size`
//! students in each, and one game of `math-addition-1` per class and round. Then, all classes
//! at once: every student joins from the play socket, the teacher's host socket runs the
//! game (`next` as soon as the previous reveal arrived), each student answers every question
//! after a random think time (0..`--think-ms`), so every question is revealed because
//! everyone answered. Measured in the generator:
//! - **reveal**: from sending the last answer of a question (in that game) to each student
//!   receiving its `game_reveal` (the fan-out the teacher waits for);
//! - host reveal: the same to the host's `reveal`; feedback: answer → `feedback`.
//!
//! ```sh
//! cargo bench --bench game                      # 10 classes of 30, 3 rounds (≈ 1 min)
//! cargo bench --bench game -- --classes 20 --class-size 30 --rounds 2 --sqlite
//! cargo bench --bench game -- --nodes 2         # two servers sharing Redis
//! cargo bench --bench game -- --help            # every option
//! ```
//! Options (the reference is `--help`, from `Args` below): `--classes N` (default 10),
//! `--class-size N` (students per class, default 30), `--rounds N` (games per class, default
//! 3), `--think-ms MS` (longest think time, default 1 000), `--sqlite`, `--nodes 2` (two
//! servers over the one database sharing Redis: students alternate between them and each
//! teacher hosts from the node that did not make the game), `--server-bin PATH`
//! (the `studyhub` to measure, default the one cargo built: a previous release's binary
//! compares it with the current one). PostgreSQL from `STUDYHUB_BENCH_DATABASE_URL` (default
//! `postgres://postgres@127.0.0.1:5432/postgres`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use clap::Parser;
use futures_util::{SinkExt, StreamExt};
use hdrhistogram::Histogram;
use rand::Rng;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

mod support;
use support::options::{self, ServerBin};
use support::{BenchDatabase, Server, free_port, hist, ms, studyhub, wait_for_port};

/// The game bench: many classes play a class game at once; how fast every student sees the
/// reveal.
#[derive(Debug, Clone, Parser)]
#[command(bin_name = "cargo bench --bench game --", after_help = support::DATABASE_HELP)]
struct Args {
    /// Classes playing at once, one teacher each
    #[arg(long, value_name = "N", default_value_t = 10)]
    classes: usize,
    /// Students per class
    #[arg(long, value_name = "N", default_value_t = 30)]
    class_size: usize,
    /// Games per class, one after the other
    #[arg(long, value_name = "N", default_value_t = 3)]
    rounds: usize,
    /// Each answer comes after a random think time of 0..MS
    #[arg(long, value_name = "MS", default_value_t = 1000)]
    think_ms: u64,
    /// A SQLite file instead of PostgreSQL
    #[arg(long)]
    sqlite: bool,
    /// Servers over the one database, sharing Redis (`STUDYHUB_BENCH_REDIS_URL`, default
    /// local): with 2, students alternate between the nodes and each class's teacher hosts
    /// from the node that did not make its game
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u8).range(1..=2))]
    nodes: u8,
    #[command(flatten)]
    server: ServerBin,
}

// ---------------------------------------------------------------- setup over HTTP

struct Class {
    teacher: String,
    /// (learner id, access token) per student.
    students: Vec<(String, String)>,
    /// One game per round.
    games: Vec<String>,
}

async fn post(client: &awc::Client, url: String, token: Option<&str>, body: Value) -> Value {
    let mut req = client.post(url);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let mut res = req.send_json(&body).await.expect("request");
    let v: Value = res.json().limit(1 << 20).await.unwrap_or_default();
    assert!(res.status().is_success(), "{}: {v}", res.status());
    v
}

fn make_classes(port: u16, args: &Args) -> Vec<Class> {
    let args = args.clone();
    actix_web::rt::System::new().block_on(async move {
        let client = awc::Client::builder().timeout(Duration::from_secs(60)).finish();
        let base = format!("http://127.0.0.1:{port}");
        let mut out = Vec::new();
        for c in 0..args.classes {
            let reg = |role: &str, name: String| {
                json!({"email": format!("{}-{}@example.com", role, uuid::Uuid::new_v4().simple()), "password": "bench-password", "name": name, "role": role})
            };
            let t = post(&client, format!("{base}/v1/auth/register"), None, reg("teacher", format!("Teacher {c}"))).await;
            let teacher = t["access_token"].as_str().unwrap().to_string();
            let class = post(&client, format!("{base}/v1/classes"), Some(&teacher), json!({"name": format!("Class {c}")})).await;
            let (class_id, code) = (class["id"].as_str().unwrap().to_string(), class["join_code"].as_str().unwrap().to_string());
            let mut students = Vec::new();
            for chunk in (0..args.class_size).collect::<Vec<_>>().chunks(16) {
                let futs = chunk.iter().map(|i| {
                    let (client, base, code) = (client.clone(), base.clone(), code.clone());
                    let body = reg("student", format!("Student {c}-{i}"));
                    async move {
                        let s = post(&client, format!("{base}/v1/auth/register"), None, body).await;
                        let token = s["access_token"].as_str().unwrap().to_string();
                        post(&client, format!("{base}/v1/classes/join"), Some(&token), json!({"join_code": code})).await;
                        let mut me = client.get(format!("{base}/v1/auth/me")).bearer_auth(&token).send().await.unwrap();
                        let me: Value = me.json().await.unwrap();
                        (me["learner"]["id"].as_str().unwrap().to_string(), token)
                    }
                });
                students.extend(futures_util::future::join_all(futs).await);
            }
            let mut games = Vec::new();
            for _ in 0..args.rounds {
                let g = post(&client, format!("{base}/v1/classes/{class_id}/games"), Some(&teacher),
                    json!({"activity_id": "math-addition-1", "seconds_per_question": 20})).await;
                games.push(g["game_id"].as_str().unwrap().to_string());
            }
            out.push(Class { teacher, students, games });
        }
        out
    })
}

// ---------------------------------------------------------------- the generator

type Socket = tokio_tungstenite::WebSocketStream<tokio::net::TcpStream>;

async fn connect(port: u16, path: &str, token: &str) -> Socket {
    let stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    stream.set_nodelay(true).unwrap();
    let mut req = format!("ws://127.0.0.1:{port}{path}")
        .into_client_request()
        .unwrap();
    req.headers_mut()
        .insert("authorization", format!("Bearer {token}").parse().unwrap());
    let (ws, _) = tokio_tungstenite::client_async(req, stream)
        .await
        .expect("websocket");
    ws
}

/// The next JSON frame (pings are answered by tungstenite), bounded so a stall fails.
async fn next_json(ws: &mut Socket) -> Value {
    loop {
        let msg = tokio::time::timeout(Duration::from_secs(60), ws.next())
            .await
            .expect("a frame within a minute")
            .expect("the socket is open")
            .expect("a websocket frame");
        if let Message::Text(t) = msg {
            return serde_json::from_str(&t).unwrap();
        }
    }
}

#[derive(Default)]
struct Shared {
    /// (game, question index) → when the latest answer to it was sent.
    last_answer: Mutex<HashMap<(String, u64), Instant>>,
    reveal: Mutex<Option<Histogram<u64>>>,
    host_reveal: Mutex<Option<Histogram<u64>>>,
    feedback: Mutex<Option<Histogram<u64>>>,
}

impl Shared {
    fn new() -> Self {
        let s = Shared::default();
        *s.reveal.lock().unwrap() = Some(hist());
        *s.host_reveal.lock().unwrap() = Some(hist());
        *s.feedback.lock().unwrap() = Some(hist());
        s
    }

    fn record(h: &Mutex<Option<Histogram<u64>>>, since: Instant) {
        let us = since.elapsed().as_micros().max(1) as u64;
        let _ = h.lock().unwrap().as_mut().unwrap().record(us);
    }

    fn since_last_answer(&self, frame: &Value) -> Option<Instant> {
        let key = (
            frame["game_id"].as_str()?.to_string(),
            frame["index"].as_u64()?,
        );
        self.last_answer.lock().unwrap().get(&key).copied()
    }
}

fn pick_answer(question: &Value) -> Value {
    let mut rng = rand::rng();
    match question["answer_type"].as_str().unwrap_or("") {
        "multiple_choice" => {
            let opts = question["options"].as_array().cloned().unwrap_or_default();
            opts.get(rng.random_range(0..opts.len().max(1)))
                .cloned()
                .unwrap_or(json!("?"))
        }
        "true_false" => json!(rng.random_bool(0.5)),
        "number" => json!(rng.random_range(0..20)),
        _ => json!("sum"),
    }
}

/// One student: plays every round's game of its class on one play socket.
async fn student(
    port: u16,
    learner: String,
    token: String,
    games: Vec<String>,
    think_ms: u64,
    shared: Arc<Shared>,
) {
    let mut ws = connect(port, &format!("/v1/play?learner_id={learner}"), &token).await;
    assert_eq!(next_json(&mut ws).await["type"], "hello");
    for game in games {
        ws.send(Message::text(
            json!({"type": "join_game", "game_id": game}).to_string(),
        ))
        .await
        .unwrap();
        let mut session = String::new();
        let mut seq = 0u64;
        let mut sent: Option<Instant> = None;
        loop {
            let v = next_json(&mut ws).await;
            match v["type"].as_str().unwrap_or("") {
                "game_joined" => session = v["session_id"].as_str().unwrap().to_string(),
                "game_question" => {
                    let think = rand::rng().random_range(0..=think_ms);
                    tokio::time::sleep(Duration::from_millis(think)).await;
                    seq += 1;
                    let q = &v["question"];
                    let frame = json!({"type": "answer", "session_id": session, "seq": seq, "question_id": q["id"], "answer": pick_answer(q)});
                    let now = Instant::now();
                    {
                        let key = (game.clone(), v["index"].as_u64().unwrap());
                        let mut last = shared.last_answer.lock().unwrap();
                        let e = last.entry(key).or_insert(now);
                        *e = (*e).max(now);
                    }
                    sent = Some(now);
                    ws.send(Message::text(frame.to_string())).await.unwrap();
                }
                "feedback" => {
                    if let Some(at) = sent.take() {
                        Shared::record(&shared.feedback, at);
                    }
                }
                "game_reveal" => {
                    if let Some(at) = shared.since_last_answer(&v) {
                        Shared::record(&shared.reveal, at);
                    }
                }
                "game_over" => break,
                "error" => panic!("student {learner}: {v}"),
                _ => {}
            }
        }
    }
    let _ = ws.close(None).await;
}

/// One teacher: runs the class's games one after the other, each from a full lobby.
async fn host(
    port: u16,
    class: usize,
    token: String,
    games: Vec<String>,
    players: usize,
    shared: Arc<Shared>,
) {
    for game in games {
        let mut ws = connect(port, &format!("/v1/games/{game}/host"), &token).await;
        loop {
            let v = next_json(&mut ws).await;
            if v["type"] == "lobby" && v["players"].as_array().unwrap().len() == players {
                break;
            }
        }
        ws.send(Message::text(r#"{"type":"next"}"#)).await.unwrap();
        loop {
            let v = next_json(&mut ws).await;
            match v["type"].as_str().unwrap_or("") {
                "reveal" => {
                    if let Some(at) = shared.since_last_answer(&v) {
                        Shared::record(&shared.host_reveal, at);
                    }
                    ws.send(Message::text(r#"{"type":"next"}"#)).await.unwrap();
                }
                "game_over" => break,
                "error" => panic!("class {class}: {v}"),
                _ => {}
            }
        }
        let _ = ws.close(None).await;
    }
}

/// Waits until every node says it shares Redis with the others.
fn wait_for_shared(ports: &[u16]) {
    let ports = ports.to_vec();
    actix_web::rt::System::new().block_on(async move {
        let client = awc::Client::default();
        for port in ports {
            let deadline = Instant::now() + Duration::from_secs(30);
            loop {
                let health: Value = match client
                    .get(format!("http://127.0.0.1:{port}/health"))
                    .send()
                    .await
                {
                    Ok(mut res) => res.json().await.unwrap_or_default(),
                    Err(_) => Value::Null,
                };
                if health["services"]["nodes"] == "shared" {
                    break;
                }
                assert!(
                    Instant::now() < deadline,
                    "node {port} never joined Redis: {health}"
                );
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    });
}

fn main() {
    let args: Args = options::parse();
    eprintln!("{args:?}");
    let data = tempfile::tempdir().unwrap();
    let mut pg: Option<BenchDatabase> = None;
    let url = if args.sqlite {
        data.path().join("bench.db").to_string_lossy().into_owned()
    } else {
        let db = BenchDatabase::create("bench_game");
        let url = db.url.clone();
        pg = Some(db);
        url
    };
    let redis = std::env::var("STUDYHUB_BENCH_REDIS_URL")
        .unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
    let prefix = format!("bench-game-{}", std::process::id());
    let mut servers = Vec::new();
    let mut ports = Vec::new();
    for _ in 0..args.nodes {
        let port = free_port();
        let mut cmd = studyhub(&args.server.bin, &url, port, data.path());
        // The server's default pool, as the figures in BENCHMARKS.md were measured.
        cmd.env("STUDYHUB_DATABASE_POOL_SIZE", "16");
        if args.nodes > 1 {
            cmd.env("REDIS_URL", &redis)
                .env("STUDYHUB_REDIS_PREFIX", &prefix)
                .env("STUDYHUB_ENCRYPTION_KEY", "11".repeat(32))
                .env(
                    "STUDYHUB_JWT_SECRET",
                    "bench-secret-bench-secret-bench-secret!",
                );
        }
        servers.push(Server(cmd.spawn().expect("the studyhub binary")));
        wait_for_port(port);
        ports.push(port);
    }
    if args.nodes > 1 {
        wait_for_shared(&ports);
    }
    let port = ports[0];
    let t = Instant::now();
    let classes = make_classes(port, &args);
    eprintln!(
        "{} classes of {} students, {} games each, made in {:.1}s",
        args.classes,
        args.class_size,
        args.rounds,
        t.elapsed().as_secs_f64()
    );

    let shared = Arc::new(Shared::new());
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let t = Instant::now();
    rt.block_on(async {
        let mut tasks = Vec::new();
        for (c, class) in classes.iter().enumerate() {
            for (i, (learner, token)) in class.students.iter().enumerate() {
                tasks.push(tokio::spawn(student(
                    ports[i % ports.len()],
                    learner.clone(),
                    token.clone(),
                    class.games.clone(),
                    args.think_ms,
                    shared.clone(),
                )));
            }
            tasks.push(tokio::spawn(host(
                ports[(c + 1) % ports.len()],
                c,
                class.teacher.clone(),
                class.games.clone(),
                class.students.len(),
                shared.clone(),
            )));
        }
        for t in tasks {
            t.await.expect("a player or host failed");
        }
    });
    let played = t.elapsed().as_secs_f64();
    drop(servers);
    drop(pg);

    let reveal = shared.reveal.lock().unwrap().take().unwrap();
    let host_reveal = shared.host_reveal.lock().unwrap().take().unwrap();
    let feedback = shared.feedback.lock().unwrap().take().unwrap();
    println!();
    println!(
        "{} students in {} classes, {} games each played at once in {:.1}s ({}, {} node{}; think time 0..{} ms)",
        args.classes * args.class_size,
        args.classes,
        args.rounds,
        played,
        if args.sqlite { "SQLite" } else { "PostgreSQL" },
        args.nodes,
        if args.nodes > 1 { "s" } else { "" },
        args.think_ms
    );
    println!("| measured | samples | p50 ms | p99 ms | max ms |\n|---|---|---|---|---|");
    for (name, h) in [
        ("last answer → every student's `game_reveal`", &reveal),
        ("last answer → host `reveal`", &host_reveal),
        ("answer → `feedback`", &feedback),
    ] {
        println!(
            "| {name} | {} | {} | {} | {:.2} |",
            h.len(),
            ms(h, 0.5),
            ms(h, 0.99),
            h.max() as f64 / 1000.0
        );
    }
}
