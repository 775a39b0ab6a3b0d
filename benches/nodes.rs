//! Two nodes behind nginx: N learners (default 30 000) through the sample balancer
//! configuration, and how long a parent notification takes to cross from one node to the other.
//!
//! Starts two release `studyhub` processes (`--server-bin`) on one fresh PostgreSQL database and
//! the local Redis (a namespace of their own), and nginx (Debian's) in front of them from
//! `deploy/nginx/studyhub.conf` with its ports replaced, four workers so that no process passes
//! the machine's 20 000 open files. Registers the learners (one parent per 20) on node A, then
//! runs the load bench's generator (`benches/support/generator.rs`: the whole catalog, busy
//! answers sent again) in `--shards` processes of their own, each with its share of the
//! learners and of the rate, all through nginx. Meanwhile `--feeds` parents keep their feed
//! open on **both** nodes directly: a notification is pushed by the node where the child plays
//! and relayed by Redis to the other, so the later of its two arrivals minus the earlier is the
//! cross-node delay.
//!
//! ```sh
//! cargo bench --bench nodes -- --learners 30000 --rate 3000 --seconds 30
//! cargo bench --bench nodes -- --help      # every option
//! ```
//! Options (the reference is `--help`, from `Opts` below): `--learners N`, `--rate R`
//! (answers/s in all), `--seconds S`, `--warmup S`, `--shards K` (generator processes, default
//! 2), `--feeds F` (parents watched on both nodes, default 100), `--addrs K` (source addresses
//! per shard), `--server-bin PATH` (the `studyhub` both nodes run, default the one cargo
//! built). PostgreSQL from `STUDYHUB_BENCH_DATABASE_URL`, Redis from
//! `STUDYHUB_BENCH_REDIS_URL` (defaults: local).

use std::collections::HashMap;
use std::io::{BufRead, Write};
use std::net::{Ipv4Addr, SocketAddr};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use clap::Parser;
use futures_util::StreamExt;
use serde_json::Value;
use tokio_tungstenite::tungstenite::Message;

mod support;
use support::cluster::{nginx, node_command};
use support::fixtures::{Fixture, make_children};
use support::generator::{Load, Mode, run_load};
use support::learner::connect;
use support::options::ServerBin;
use support::report::{print, print_header};
use support::{
    BenchDatabase, Server, catalog, free_port, hist, ms, options, raise_nofile, rss_kib,
    wait_for_port,
};

/// The nodes bench: learners through nginx over two nodes, and how long a parent
/// notification takes to cross from one node to the other.
#[derive(Debug, Parser)]
#[command(
    bin_name = "cargo bench --bench nodes --",
    after_help = "PostgreSQL from STUDYHUB_BENCH_DATABASE_URL, Redis from \
                  STUDYHUB_BENCH_REDIS_URL (defaults: the local ones); nginx is Debian's."
)]
struct Opts {
    /// Learners (one parent per 20), registered on node A, playing through nginx
    #[arg(long, value_name = "N", default_value_t = 30_000)]
    learners: usize,
    /// Answers a second in all, shared out between the shards
    #[arg(long, value_name = "R", default_value_t = 3_000.0)]
    rate: f64,
    /// Seconds measured
    #[arg(long, value_name = "S", default_value_t = 30)]
    seconds: u64,
    /// Seconds of warm-up before the measured window
    #[arg(long, value_name = "S", default_value_t = 5)]
    warmup: u64,
    /// Generator processes
    #[arg(long, value_name = "K", default_value_t = 2)]
    shards: usize,
    /// Parents whose feed is watched on both nodes
    #[arg(long, value_name = "F", default_value_t = 100)]
    feeds: usize,
    /// Source addresses per shard (127.0.0.1..K)
    #[arg(long, value_name = "K", default_value_t = 8)]
    addrs: u8,
    #[command(flatten)]
    server: ServerBin,
    /// This process is one generator shard: the learners FIRST..FIRST+COUNT of FILE, through
    /// PORT, with this run's --rate, --seconds, --warmup and --addrs (the bench starts it)
    #[arg(long, hide = true, num_args = 4, value_names = ["FILE", "FIRST", "COUNT", "PORT"])]
    shard: Option<Vec<String>>,
}

/// One generator process: `--shard <fixtures file> <first> <count> <port>` with the run's
/// `--rate` (its share), `--seconds`, `--warmup` and `--addrs`; prints its row of the load
/// bench's table.
fn shard(a: &[String], o: &Opts) {
    raise_nofile();
    let learners: Vec<(String, String)> =
        serde_json::from_slice(&std::fs::read(&a[0]).unwrap()).unwrap();
    let (first, count): (usize, usize) = (a[1].parse().unwrap(), a[2].parse().unwrap());
    let mine = learners[first..first + count].to_vec();
    let load = Load {
        sessions: count,
        rate: o.rate,
        seconds: o.seconds,
        warmup: o.warmup,
        addrs: o.addrs,
        reads: 0.0,
    };
    let t = Instant::now();
    let report = run_load(
        Mode::Engine,
        &load,
        a[3].parse().unwrap(),
        |i| {
            (
                format!("/v1/play?learner_id={}", mine[i].0),
                Some(mine[i].1.clone()),
            )
        },
        None,
        Vec::new(),
        catalog::catalog(None, None),
    );
    eprintln!("shard done in {:.1}s", t.elapsed().as_secs_f64());
    print(&report);
}

fn node(
    bin: &std::path::Path,
    url: &str,
    redis: &str,
    prefix: &str,
    data: &std::path::Path,
) -> (Server, u16) {
    let port = free_port();
    let child = node_command(bin, url, redis, prefix, data, port)
        .spawn()
        .expect("the studyhub binary");
    wait_for_port(port);
    (Server(child), port)
}

/// The RSS of a process and its children (nginx's workers), in MiB.
fn rss_tree_mib(pid: u32) -> f64 {
    let mut kib = rss_kib(pid);
    if let Ok(children) = std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children")) {
        kib += children
            .split_whitespace()
            .filter_map(|c| c.parse().ok())
            .map(rss_kib)
            .sum::<u64>();
    }
    kib as f64 / 1024.0
}

fn metrics(port: u16) -> String {
    Command::new("curl")
        .args(["-s", &format!("http://127.0.0.1:{port}/metrics")])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).to_string())
        .unwrap_or_default()
}

/// Play sockets a node holds, from its `/metrics`.
fn play_sockets(port: u16) -> u64 {
    metrics(port)
        .lines()
        .find_map(|l| l.strip_prefix("studyhub_live_connections{feed=\"play\"} "))
        .and_then(|v| v.trim().parse::<f64>().ok())
        .unwrap_or(0.0) as u64
}

/// When each notification reached the feed on each node (0 = A, 1 = B).
type Arrivals = Arc<Mutex<HashMap<String, [Option<Instant>; 2]>>>;

/// Why each feed closed ("node A: 1011 not_reading"), by count: a closed feed misses what
/// is pushed until it is back (it reconnects at once).
type Closes = Arc<Mutex<HashMap<String, usize>>>;

async fn watch(port: u16, node: usize, token: String, arrivals: Arrivals, closes: Closes) {
    let server = SocketAddr::from(([127, 0, 0, 1], port));
    let name = ["A", "B"][node];
    loop {
        let Some(ws) = connect(server, Ipv4Addr::LOCALHOST, "/v1/parent/live", Some(&token)).await
        else {
            eprintln!("a parent feed on node {name} could not connect");
            return;
        };
        let (_tx, mut rx) = ws.split();
        let why = loop {
            match rx.next().await {
                Some(Ok(Message::Text(text))) => {
                    let v: Value = serde_json::from_str(&text).unwrap_or_default();
                    if v["type"] == "notification"
                        && let Some(id) = v["notification"]["id"].as_str()
                    {
                        let now = Instant::now();
                        arrivals.lock().unwrap().entry(id.to_string()).or_default()[node] =
                            Some(now);
                    }
                }
                Some(Ok(Message::Close(frame))) => {
                    break frame.map_or("no code".to_string(), |f| {
                        format!("{} {}", u16::from(f.code), f.reason)
                    });
                }
                Some(Ok(_)) => {}
                Some(Err(e)) => break format!("error {e}"),
                None => break "gone".to_string(),
            }
        };
        *closes
            .lock()
            .unwrap()
            .entry(format!("node {name}: {why}"))
            .or_default() += 1;
    }
}

fn main() {
    let o: Opts = options::parse();
    if let Some(a) = &o.shard {
        shard(a, &o);
        return;
    }
    raise_nofile();
    let redis = std::env::var("STUDYHUB_BENCH_REDIS_URL")
        .unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
    let db = BenchDatabase::create("nodes");
    let url = db.url.clone();
    let prefix = format!("bench-{}", std::process::id());
    let dir = tempfile::tempdir().unwrap();
    let (a, a_port) = node(&o.server.bin, &url, &redis, &prefix, dir.path());
    let (b, b_port) = node(&o.server.bin, &url, &redis, &prefix, dir.path());
    let (lb, lb_port) = nginx([a_port, b_port], dir.path(), false);

    let t = Instant::now();
    let fixtures: Vec<Fixture> = make_children(a_port, o.learners, 20);
    eprintln!(
        "{} learners made in {:.1}s",
        o.learners,
        t.elapsed().as_secs_f64()
    );
    let learners: Vec<(String, String)> = fixtures
        .iter()
        .flat_map(|f| f.children.iter().map(move |c| (c.clone(), f.token.clone())))
        .collect();
    let file = dir.path().join("learners.json");
    std::fs::write(&file, serde_json::to_vec(&learners).unwrap()).unwrap();

    // Parents watched on both nodes.
    let arrivals: Arrivals = Arc::default();
    let closes: Closes = Arc::default();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    for f in fixtures.iter().take(o.feeds) {
        for (node, port) in [(0, a_port), (1, b_port)] {
            rt.spawn(watch(
                port,
                node,
                f.token.clone(),
                arrivals.clone(),
                closes.clone(),
            ));
        }
    }

    let per = o.learners / o.shards;
    let t0 = Instant::now();
    let mut shards = Vec::new();
    for k in 0..o.shards {
        let count = if k + 1 == o.shards {
            o.learners - per * k
        } else {
            per
        };
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args(["--shard", &file.display().to_string()])
            .args([per * k, count].map(|n| n.to_string()))
            .arg(lb_port.to_string())
            .args(["--rate", &(o.rate / o.shards as f64).to_string()])
            .args(["--seconds", &o.seconds.to_string()])
            .args(["--warmup", &o.warmup.to_string()])
            .args(["--addrs", &o.addrs.to_string()])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let err = child.stderr.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(err).lines().map_while(Result::ok) {
                if line.contains("connected,") {
                    let _ = tx.send((Instant::now(), line.clone()));
                }
                eprintln!("shard {k}: {line}");
            }
        });
        shards.push((child, rx));
    }
    // All connected: how long, where they landed, what it costs.
    let mut connected_at = Vec::new();
    for (_, rx) in &shards {
        connected_at.push(
            rx.recv_timeout(Duration::from_secs(600))
                .expect("a shard connects"),
        );
    }
    let all_in = connected_at.iter().map(|(t, _)| *t).max().unwrap() - t0;
    let held = (play_sockets(a_port), play_sockets(b_port));
    let mut rss = Vec::new();
    let sample = |rss: &mut Vec<(f64, f64, f64)>| {
        rss.push((
            rss_kib(a.0.id()) as f64 / 1024.0,
            rss_kib(b.0.id()) as f64 / 1024.0,
            rss_tree_mib(lb.0.id()),
        ))
    };
    sample(&mut rss);
    let mut rows = Vec::new();
    for (mut child, _) in shards {
        let mut out = String::new();
        std::io::Read::read_to_string(child.stdout.as_mut().unwrap(), &mut out).unwrap();
        sample(&mut rss);
        child.wait().unwrap();
        rows.extend(
            out.lines()
                .filter(|l| l.starts_with('|'))
                .map(str::to_string),
        );
    }
    rt.shutdown_timeout(Duration::from_secs(1));

    let arrivals = arrivals.lock().unwrap();
    let mut cross = hist();
    let mut one_side = 0;
    let mut only = [0usize; 2];
    for [x, y] in arrivals.values() {
        match (x, y) {
            (Some(x), Some(y)) => {
                let d = if x > y { *x - *y } else { *y - *x };
                let _ = cross.record(d.as_micros().max(1) as u64);
            }
            (Some(_), None) => {
                one_side += 1;
                only[0] += 1;
            }
            _ => {
                one_side += 1;
                only[1] += 1;
            }
        }
    }

    println!();
    println!(
        "{} learners through nginx over two nodes, {} generator processes, {} answers/s offered, {} s measured",
        o.learners, o.shards, o.rate, o.seconds
    );
    println!(
        "\nall connected in {:.1} s ({:.0} learners/s, ticketless: token header); play sockets: node A {}, node B {}",
        all_in.as_secs_f64(),
        o.learners as f64 / all_in.as_secs_f64(),
        held.0,
        held.1
    );
    let last = rss.iter().fold((0.0f64, 0.0f64, 0.0f64), |m, r| {
        (m.0.max(r.0), m.1.max(r.1), m.2.max(r.2))
    });
    println!(
        "peak RSS MiB: node A {:.0}, node B {:.0}, nginx (all workers) {:.0}",
        last.0, last.1, last.2
    );
    println!();
    print_header("shard");
    for r in rows {
        println!("{r}");
    }
    println!(
        "\n| cross-node notification (later arrival − earlier) | seen on both | p50 ms | p99 ms | max ms | seen on one only |\n|---|---|---|---|---|---|\n| {} parents watched on both nodes | {} | {} | {} | {} | {} |",
        o.feeds,
        cross.len(),
        ms(&cross, 0.5),
        ms(&cross, 0.99),
        ms(&cross, 1.0),
        one_side
    );
    println!(
        "(seen only on node A: {}, only on node B: {})",
        only[0], only[1]
    );
    // What each node's relay did (events published, received, dropped; Redis reconnects).
    for (name, port) in [("A", a_port), ("B", b_port)] {
        let relay: Vec<String> = metrics(port)
            .lines()
            .filter(|l| {
                (l.starts_with("studyhub_bus_") || l.starts_with("studyhub_redis_"))
                    && !l.contains("_bucket")
                    && !l.contains("quantile")
            })
            .map(str::to_string)
            .collect();
        println!("\nnode {name} relay: {}", relay.join("; "));
    }
    let closes = closes.lock().unwrap();
    if closes.is_empty() {
        println!("\nwatched feeds closed: none");
    } else {
        println!("\nwatched feeds closed (each reconnected at once):");
        for (why, n) in closes.iter() {
            println!("- {why}: {n}");
        }
    }
    let _ = std::io::stdout().flush();
    drop((lb, a, b));
    drop(db);
}
