//! Connect speed, reconnect storms and kill -9 under load, against a release `studyhub` on
//! PostgreSQL (a fresh database per run).
//!
//! Every learner comes back the way a browser does: a ticket over HTTP (`POST
//! /v1/realtime/tickets` with the parent's token), the websocket upgrade on the same
//! connection with `?ticket=`, `hello`, `start` (or `resume` of its open session, resending
//! what was not `saved`), and one answer answered with `feedback`: then it is "back and
//! playing". Phases:
//! 1. `cold`: all N connect at once to a server that has never seen them (every learner's
//!    actor is loaded from the database);
//! 2. `storm`: all drop, then all reconnect at once (their actors still live);
//! 3. `kill -9`: every learner plays (one answer every `--every-ms`), the server is killed
//!    outright with answers in flight and started again; all reconnect at once, resume and
//!    resend what was not `saved`. Then the database must hold every answer that was `saved`,
//!    each session's answers without a gap, and `hello` must never show less saved than the
//!    client saw.
//!
//! Reports per phase the time until all are back, the rate, one learner's way back (p50, p99,
//! max) and errors.
//!
//! ```sh
//! cargo bench --bench connect -- --learners 15000
//! cargo bench --bench connect -- --help      # every option
//! ```
//! Options (the reference is `--help`, from `Args` below): `--learners N` (default 15 000),
//! `--addrs K` (source addresses 127.0.0.1..K, default 8), `--inflight C` (handshakes at once,
//! default 2 000), `--every-ms M` (default 4 000), `--play-secs S` (play before the kill,
//! default 10), `--skip-kill`, `--server-bin PATH` (the `studyhub` to measure, started again
//! after the kill; default the one cargo built: a previous release's binary compares it with
//! the current one). PostgreSQL from `STUDYHUB_BENCH_DATABASE_URL` (default
//! `postgres://postgres@127.0.0.1:5432/postgres`).

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use clap::Parser;
use diesel::{Connection, PgConnection, RunQueryDsl};
use hdrhistogram::Histogram;

mod support;
use support::fixtures::make_children;
use support::options::{self, ServerBin};
use support::{BenchDatabase, Server, free_port, raise_nofile, rss_kib, studyhub, wait_for_port};

/// The connect bench: cold connects, a reconnect storm and kill -9 under load, each timed
/// until every learner is back and playing.
#[derive(Parser)]
#[command(bin_name = "cargo bench --bench connect --", after_help = support::DATABASE_HELP)]
struct Args {
    /// Learners (one parent per 500)
    #[arg(long, value_name = "N", default_value_t = 15_000)]
    learners: usize,
    /// Source addresses 127.0.0.1..K, to get past the ephemeral port range
    #[arg(long, value_name = "K", default_value_t = 8)]
    addrs: u8,
    /// Handshakes at once
    #[arg(long, value_name = "C", default_value_t = 2_000)]
    inflight: usize,
    /// Each learner answers every M ms while playing before the kill
    #[arg(long, value_name = "M", default_value_t = 4_000)]
    every_ms: u64,
    /// Seconds of play before the kill
    #[arg(long, value_name = "S", default_value_t = 10)]
    play_secs: u64,
    /// No kill -9 phase
    #[arg(long = "skip-kill", action = clap::ArgAction::SetFalse)]
    kill: bool,
    #[command(flatten)]
    server: ServerBin,
}

// ---------------------------------------------------------------- the server

/// The `studyhub` at `bin` on `url`, and when it listened.
fn start_server(
    bin: &std::path::Path,
    url: &str,
    data: &std::path::Path,
    port: u16,
) -> (Server, Instant) {
    let server = Server(
        studyhub(bin, url, port, data)
            .spawn()
            .expect("the studyhub binary"),
    );
    wait_for_port(port);
    (server, Instant::now())
}

/// Parents (one per 500 children) and their children, all limits at 24 h: (token, child).
fn make_learners(port: u16, n: usize) -> Vec<(Arc<str>, String)> {
    make_children(port, n, 500)
        .into_iter()
        .flat_map(|f| {
            let token: Arc<str> = f.token.into();
            f.children.into_iter().map(move |c| (token.clone(), c))
        })
        .collect()
}

#[path = "connect/learner.rs"]
mod learner;
use learner::{Learner, Ws, come_back, next, play};

// ---------------------------------------------------------------- phases

struct Phase {
    name: &'static str,
    back: usize,
    errors: std::collections::BTreeMap<String, usize>,
    /// From the phase's start to the last learner back.
    all_back: Duration,
    /// From the server listening (kill -9 phase) to the last learner back.
    since_listening: Option<Duration>,
    way_back: Histogram<u64>,
    rss_kib: u64,
}

/// What a storm ends with: each learner with its socket (if it came back), the time until
/// the last one was back, each one's way back, and the errors by kind.
struct Storm {
    back: Vec<(Learner, Option<Ws>)>,
    all_back: Duration,
    way_back: Histogram<u64>,
    errors: std::collections::BTreeMap<String, usize>,
}

impl Storm {
    /// The phase's figures; the learners and their sockets go on to the next phase.
    fn phase(self, name: &'static str, rss_kib: u64) -> (Phase, Vec<(Learner, Option<Ws>)>) {
        let phase = Phase {
            name,
            back: self.back.iter().filter(|(_, ws)| ws.is_some()).count(),
            errors: self.errors,
            all_back: self.all_back,
            since_listening: None,
            way_back: self.way_back,
            rss_kib,
        };
        (phase, self.back)
    }
}

/// Every learner comes back at once (at most `inflight` handshakes at a time), retrying a
/// refused TCP connect (the server not listening yet) every 50 ms; other errors count.
fn storm(
    rt: &tokio::runtime::Runtime,
    server: SocketAddr,
    learners: Vec<Learner>,
    inflight: usize,
) -> Storm {
    rt.block_on(async move {
        let t0 = Instant::now();
        let gate = Arc::new(tokio::sync::Semaphore::new(inflight));
        let tasks: Vec<_> = learners
            .into_iter()
            .map(|mut l| {
                let gate = gate.clone();
                tokio::spawn(async move {
                    let started = Instant::now();
                    loop {
                        let permit = gate.acquire().await.unwrap();
                        let res = come_back(server, &mut l).await;
                        drop(permit);
                        match res {
                            Err(e) if e.starts_with("connect") => {
                                tokio::time::sleep(Duration::from_millis(50)).await;
                            }
                            Ok(ws) => return (l, Some(ws), started.elapsed(), None),
                            Err(e) => return (l, None, started.elapsed(), Some(e)),
                        }
                    }
                })
            })
            .collect();
        let mut out = Vec::with_capacity(tasks.len());
        let mut way_back = Histogram::<u64>::new_with_bounds(1, 600_000_000, 3).unwrap();
        let mut errors = std::collections::BTreeMap::new();
        let mut last = Duration::ZERO;
        for t in tasks {
            let (l, ws, took, err) = t.await.unwrap();
            if let Some(e) = err {
                // Group "closed 1012", "ticket 503"…, not per-learner text.
                let key: String = e.chars().take(40).collect();
                *errors.entry(key).or_insert(0) += 1;
            } else {
                let _ = way_back.record(took.as_micros().max(1) as u64);
                last = last.max(t0.elapsed());
            }
            out.push((l, ws));
        }
        Storm {
            back: out,
            all_back: last,
            way_back,
            errors,
        }
    })
}

fn report(p: &Phase, n: usize) {
    let ms = |q: f64| p.way_back.value_at_quantile(q) as f64 / 1000.0;
    println!(
        "| {} | {}/{} | {:.2} | {:.0} | {:.0} | {:.0} | {:.0} | {} | {} | {:?} |",
        p.name,
        p.back,
        n,
        p.all_back.as_secs_f64(),
        p.since_listening
            .map_or(f64::NAN, |d| d.as_secs_f64() * 1000.0),
        p.back as f64 / p.all_back.as_secs_f64().max(0.001),
        ms(0.5),
        ms(0.99),
        p.way_back.max() as f64 / 1000.0,
        p.rss_kib / 1024,
        p.errors,
    );
}

fn main() {
    let args: Args = options::parse();
    let nofile = raise_nofile();
    eprintln!(
        "open-file limit {nofile}; {} learners, {} source addresses, {} handshakes at once",
        args.learners, args.addrs, args.inflight
    );
    let db = BenchDatabase::create("connect");
    let url = db.url.clone();
    let data = tempfile::tempdir().unwrap();
    let port = free_port();
    let server_addr = SocketAddr::from(([127, 0, 0, 1], port));
    let (mut server, _) = start_server(&args.server.bin, &url, data.path(), port);
    let t = Instant::now();
    let made = make_learners(port, args.learners);
    eprintln!(
        "{} learners made in {:.1}s",
        made.len(),
        t.elapsed().as_secs_f64()
    );
    let learners: Vec<Learner> = made
        .into_iter()
        .enumerate()
        .map(|(i, (token, id))| Learner {
            id,
            token,
            source: Some(Ipv4Addr::new(
                127,
                0,
                0,
                1 + (i % args.addrs as usize) as u8,
            )),
            ..Learner::default()
        })
        .collect();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let n = learners.len();
    let mut phases = Vec::new();

    // 1. Cold: the server has never seen them.
    eprintln!("cold connect of {n}…");
    let (phase, back) = storm(&rt, server_addr, learners, args.inflight)
        .phase("cold connect", rss_kib(server.0.id()));
    phases.push(phase);

    // 2. All drop, then all come back at once.
    let learners: Vec<Learner> = rt.block_on(async {
        let mut out = Vec::with_capacity(back.len());
        for (l, ws) in back {
            if let Some(mut ws) = ws {
                let _ = ws.close(None).await;
            }
            out.push(l);
        }
        out
    });
    eprintln!("reconnect storm of {n}…");
    let (phase, back) = storm(&rt, server_addr, learners, args.inflight)
        .phase("reconnect storm (actors live)", rss_kib(server.0.id()));
    phases.push(phase);

    let mut lost = 0;
    let mut gaps = 0;
    if args.kill {
        // 3. Play, kill -9 with answers in flight, restart, everyone back.
        eprintln!("playing {} s, then kill -9…", args.play_secs);
        let stop = Arc::new(AtomicBool::new(false));
        let answered = Arc::new(AtomicU64::new(0));
        let players: Vec<_> = back
            .into_iter()
            .map(|(l, ws)| {
                let stop = stop.clone();
                rt.spawn(async move {
                    match ws {
                        Some(ws) => play(ws, l, Duration::from_millis(args.every_ms), stop).await,
                        None => l,
                    }
                })
            })
            .collect();
        std::thread::sleep(Duration::from_secs(args.play_secs));
        let killed_at = Instant::now();
        server.kill9();
        let learners: Vec<Learner> = rt.block_on(async {
            let mut out = Vec::new();
            for p in players {
                out.push(p.await.unwrap());
            }
            out
        });
        answered.store(
            learners.iter().map(|l| l.fed as u64).sum(),
            Ordering::Relaxed,
        );
        let saved_before: u64 = learners.iter().map(|l| l.saved as u64).sum();
        let sent_before: u64 = learners.iter().map(|l| l.sent as u64).sum();
        eprintln!(
            "killed: {} answers sent, {} with feedback, {} saved (client view); restarting…",
            sent_before,
            answered.load(Ordering::Relaxed),
            saved_before
        );
        let restart = std::thread::spawn({
            let (bin, url, data) = (
                args.server.bin.clone(),
                url.clone(),
                data.path().to_path_buf(),
            );
            move || start_server(&bin, &url, &data, port)
        });
        let storm = storm(&rt, server_addr, learners, args.inflight);
        let (new_server, listening_at) = restart.join().unwrap();
        server = new_server;
        let (mut phase, back) = storm.phase("kill -9, restart, all back", rss_kib(server.0.id()));
        phase.since_listening =
            Some((killed_at + phase.all_back).saturating_duration_since(listening_at));
        phases.push(phase);
        lost = back.iter().filter(|(l, _)| l.lost).count();
        // Wait for every `saved`, then check the database: each learner's answers 1..=sent,
        // no gap, every one it saw saved among them.
        let learners: Vec<Learner> = rt.block_on(async {
            let mut out = Vec::new();
            for (mut l, ws) in back {
                if let Some(mut ws) = ws {
                    while l.saved < l.sent {
                        match next(&mut ws).await {
                            Ok(v) if v["type"] == "saved" => {
                                l.saved = l.saved.max(v["up_to_seq"].as_u64().unwrap_or(0) as u32)
                            }
                            Ok(_) => {}
                            Err(_) => break,
                        }
                    }
                    let _ = ws.close(None).await;
                }
                out.push(l);
            }
            out
        });
        let mut db = PgConnection::establish(&url).unwrap();
        #[derive(diesel::QueryableByName)]
        struct Row {
            #[diesel(sql_type = diesel::sql_types::Text)]
            session_id: String,
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
            #[diesel(sql_type = diesel::sql_types::Integer)]
            top: i32,
        }
        let rows: Vec<Row> = diesel::sql_query(
            "SELECT session_id, count(*) AS n, max(seq) AS top FROM answers GROUP BY session_id",
        )
        .load(&mut db)
        .unwrap();
        let stored: std::collections::HashMap<String, (i64, i32)> = rows
            .into_iter()
            .map(|r| (r.session_id, (r.n, r.top)))
            .collect();
        for l in &learners {
            let Some(s) = &l.session else { continue };
            let (n, top) = stored.get(s).copied().unwrap_or((0, 0));
            if n != i64::from(top) || (top as u32) < l.saved {
                gaps += 1;
            }
        }
        let total: i64 = stored.values().map(|(n, _)| n).sum();
        eprintln!(
            "database: {total} answers stored; {gaps} sessions with a gap or a lost saved answer; {lost} hellos showed less saved than the client had seen"
        );
    }
    drop(server);
    drop(db);

    println!();
    println!(
        "{n} learners; ticket + upgrade + hello + start/resume + one answer with feedback each"
    );
    println!(
        "| phase | back | all back s | from listening ms | learners/s | way back p50 ms | p99 ms | max ms | server RSS MiB | errors |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|");
    for p in &phases {
        report(p, n);
    }
    if args.kill {
        println!(
            "\nkill -9: {lost} learners saw less saved after the restart than before; {gaps} sessions with a gap or a saved answer missing"
        );
    }
}
