//! Offline sync under load: what one sync of many answers costs, and many devices syncing
//! within a minute (p99 per sync, nothing lost).
//!
//! Starts a `studyhub` (`--server-bin`; PostgreSQL by default, a fresh database per run;
//! `--sqlite` for a SQLite file), makes parents with children (one child per device), takes
//! each child's offline pack, then:
//! - **one big sync**: `--big-syncs` syncs, one after the other, of `--answers` answers each
//!   (sessions of `math-addition-1`, seven answers a session, each completing it) and a
//!   time span, each from a child of its own; the time from sending to the 200;
//! - **many devices**: `--devices` children each send one sync (one completed session and a
//!   time span) at a random moment within `--window-secs`; the time of each; then every
//!   child's progress is read back: every answer and completion must be there, once.
//!
//! ```sh
//! cargo bench --bench sync                       # 1 000 devices in 60 s, syncs of 200 answers
//! cargo bench --bench sync -- --devices 200 --window-secs 10 --sqlite
//! cargo bench --bench sync -- --help             # every option
//! ```

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use clap::Parser;
use hdrhistogram::Histogram;
use rand::Rng;
use serde_json::{Value, json};

mod support;
use support::options::{self, ServerBin};
use support::{BenchDatabase, Server, free_port, hist, ms, studyhub, wait_for_port};

/// The sync bench: the cost of a big offline sync, and many devices syncing at once.
#[derive(Debug, Clone, Parser)]
#[command(bin_name = "cargo bench --bench sync --", after_help = support::DATABASE_HELP)]
struct Args {
    /// Devices (one child each) syncing within the window
    #[arg(long, value_name = "N", default_value_t = 1000)]
    devices: usize,
    /// The window the devices' syncs are spread over
    #[arg(long, value_name = "SECONDS", default_value_t = 60)]
    window_secs: u64,
    /// Answers in each big sync (in sessions of seven)
    #[arg(long, value_name = "N", default_value_t = 200)]
    answers: usize,
    /// Big syncs, one after the other
    #[arg(long, value_name = "N", default_value_t = 20)]
    big_syncs: usize,
    /// A SQLite file instead of PostgreSQL
    #[arg(long)]
    sqlite: bool,
    #[command(flatten)]
    server: ServerBin,
}

/// `math-addition-1`'s questions and right answers (the starter content).
const ADDITION: [(&str, &str); 7] = [
    ("q1", "7"),
    ("q2", "\"13\""),
    ("q3", "12"),
    ("q4", "true"),
    ("q5", "\"15\""),
    ("q6", "9"),
    ("q7", "\"sum\""),
];

struct Child {
    id: String,
    token: String,
    /// The pack's `issued_at`: offline time is played after it.
    issued_at: chrono::DateTime<Utc>,
}

async fn call(
    client: &awc::Client,
    method: &str,
    url: String,
    token: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let req = match method {
        "GET" => client.get(url),
        _ => client.post(url),
    }
    .bearer_auth(token);
    let mut res = match body {
        Some(b) => req.send_json(&b).await,
        None => req.send().await,
    }
    .expect("request");
    let v: Value = res.json().limit(8 << 20).await.unwrap_or_default();
    (res.status().as_u16(), v)
}

/// Parents with twenty children each; every child has its offline pack.
async fn make_children(client: &awc::Client, base: &str, n: usize) -> Vec<Child> {
    let mut out = Vec::new();
    for p in 0..n.div_ceil(20) {
        let email = format!("parent-{}@example.com", uuid::Uuid::new_v4().simple());
        let mut res = client
            .post(format!("{base}/v1/auth/register"))
            .send_json(&json!({"email": email, "password": "bench-password", "name": format!("Parent {p}"), "role": "parent"}))
            .await
            .unwrap();
        let v: Value = res.json().await.unwrap();
        let token = v["access_token"].as_str().expect("registered").to_string();
        let kids = (n - out.len()).min(20);
        let made = futures_util::future::join_all((0..kids).map(|i| {
            let (client, token) = (client.clone(), token.clone());
            let base = base.to_string();
            async move {
                let (status, child) = call(
                    &client,
                    "POST",
                    format!("{base}/v1/children"),
                    &token,
                    Some(json!({"name": format!("Kid {p}-{i}"), "age": 7, "interests": []})),
                )
                .await;
                assert_eq!(status, 201, "{child}");
                let id = child["id"].as_str().unwrap().to_string();
                let (status, pack) = call(
                    &client,
                    "GET",
                    format!("{base}/v1/learners/{id}/offline-pack"),
                    &token,
                    None,
                )
                .await;
                assert_eq!(status, 200);
                let issued_at = pack["issued_at"].as_str().unwrap().parse().unwrap();
                Child {
                    id,
                    token,
                    issued_at,
                }
            }
        }))
        .await;
        out.extend(made);
    }
    out
}

/// A sync of `sessions` completed sessions (seven right answers each) played in the last
/// minutes, and a span of play since the pack was issued.
fn sync_body(sessions: usize, issued_at: chrono::DateTime<Utc>) -> Value {
    let now = Utc::now();
    let start = now - chrono::Duration::seconds(sessions as i64 * 7 + 10);
    let list: Vec<Value> = (0..sessions)
        .map(|s| {
            let at = start + chrono::Duration::seconds(s as i64 * 7);
            let answers: Vec<Value> = ADDITION
                .iter()
                .enumerate()
                .map(|(i, (q, a))| {
                    json!({"seq": i + 1, "question_id": q,
                    "answer": serde_json::from_str::<Value>(a).unwrap(),
                    "answered_at": at + chrono::Duration::seconds(i as i64 + 1)})
                })
                .collect();
            json!({"session_id": uuid::Uuid::now_v7().to_string(), "activity_id": "math-addition-1",
                "started_at": at, "finished": true, "answers": answers})
        })
        .collect();
    json!({"device_id": uuid::Uuid::new_v4().to_string(), "sessions": list,
        "time": [{"from": issued_at, "to": now.max(issued_at + chrono::Duration::seconds(1))}]})
}

async fn sync(client: &awc::Client, base: &str, child: &Child, body: &Value) -> Duration {
    let t = Instant::now();
    let (status, reply) = call(
        client,
        "POST",
        format!("{base}/v1/learners/{}/sync", child.id),
        &child.token,
        Some(body.clone()),
    )
    .await;
    let took = t.elapsed();
    assert_eq!(status, 200, "{reply}");
    for s in reply["sessions"].as_array().unwrap() {
        assert_eq!(s["stored_up_to_seq"], 7, "{s}");
        assert_eq!(s["completed"]["questions_correct"], 7, "{s}");
    }
    took
}

fn record(h: &mut Histogram<u64>, d: Duration) {
    let _ = h.record(d.as_micros().max(1) as u64);
}

fn main() {
    let args: Args = options::parse();
    eprintln!("{args:?}");
    support::raise_nofile();
    let data = tempfile::tempdir().unwrap();
    let mut pg: Option<BenchDatabase> = None;
    let url = if args.sqlite {
        data.path().join("bench.db").to_string_lossy().into_owned()
    } else {
        let db = BenchDatabase::create("bench_sync");
        let url = db.url.clone();
        pg = Some(db);
        url
    };
    let port = free_port();
    let server = Server(
        studyhub(&args.server.bin, &url, port, data.path())
            .env("STUDYHUB_DATABASE_POOL_SIZE", "16")
            .spawn()
            .expect("the studyhub binary"),
    );
    wait_for_port(port);
    let base = format!("http://127.0.0.1:{port}");
    let sessions = args.answers.div_ceil(ADDITION.len());

    let (big, many, window, lost) = actix_web::rt::System::new().block_on(async {
        let client = awc::Client::builder()
            .timeout(Duration::from_secs(120))
            .connector(awc::Connector::new().limit(2000))
            .finish();
        let t = Instant::now();
        let children = make_children(&client, &base, args.devices + args.big_syncs).await;
        eprintln!(
            "{} children with their packs in {:.1}s",
            children.len(),
            t.elapsed().as_secs_f64()
        );
        let (big_ones, devices) = children.split_at(args.big_syncs);

        let mut big = hist();
        for child in big_ones {
            let body = sync_body(sessions, child.issued_at);
            record(&mut big, sync(&client, &base, child, &body).await);
        }

        let window = Duration::from_secs(args.window_secs);
        let t = Instant::now();
        let devices: Vec<Arc<Child>> = devices
            .iter()
            .map(|c| {
                Arc::new(Child {
                    id: c.id.clone(),
                    token: c.token.clone(),
                    issued_at: c.issued_at,
                })
            })
            .collect();
        let tasks: Vec<_> = devices
            .iter()
            .map(|child| {
                let delay = window.mul_f64(rand::rng().random::<f64>());
                let (client, base, child) = (client.clone(), base.clone(), child.clone());
                actix_web::rt::spawn(async move {
                    actix_web::rt::time::sleep(delay).await;
                    sync(&client, &base, &child, &sync_body(1, child.issued_at)).await
                })
            })
            .collect();
        let mut many = hist();
        for task in tasks {
            record(&mut many, task.await.expect("a device's sync"));
        }
        let took = t.elapsed();

        // Nothing lost, nothing twice: each device's one session is there, once.
        let mut lost = 0;
        for chunk in devices.chunks(50) {
            let reads = futures_util::future::join_all(chunk.iter().map(|c| {
                let (client, base) = (client.clone(), base.clone());
                async move {
                    let (_, p) = call(
                        &client,
                        "GET",
                        format!("{base}/v1/learners/{}/progress", c.id),
                        &c.token,
                        None,
                    )
                    .await;
                    p["activities_completed"] == 1 && p["questions_answered"] == 7
                }
            }))
            .await;
            lost += reads.iter().filter(|ok| !**ok).count();
        }
        (big, many, took, lost)
    });
    drop(server);
    drop(pg);

    let backend = if args.sqlite { "SQLite" } else { "PostgreSQL" };
    println!();
    println!(
        "one sync of {} answers ({sessions} sessions and a span), {} syncs one after the other ({backend}):",
        sessions * ADDITION.len(),
        args.big_syncs
    );
    println!(
        "  p50 {} ms, p99 {} ms, max {} ms",
        ms(&big, 0.5),
        ms(&big, 0.99),
        ms(&big, 1.0)
    );
    println!(
        "{} devices syncing (one completed session of 7 answers and a span each) within {} s, done in {:.1} s:",
        args.devices,
        args.window_secs,
        window.as_secs_f64()
    );
    println!(
        "  p50 {} ms, p99 {} ms, max {} ms",
        ms(&many, 0.5),
        ms(&many, 0.99),
        ms(&many, 1.0)
    );
    println!("  lost or counted twice: {lost} of {}", args.devices);
    assert_eq!(lost, 0, "every device's sync is stored once");
}
