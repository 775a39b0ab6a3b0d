//! The chaos soak (issue #34): two release nodes behind nginx on PostgreSQL and Redis, a
//! realistic load, faults on a seeded schedule, and a checker that compares what the clients
//! were told with what is stored.
//!
//! - Load (all through nginx): `--learners` learners (default 3 000) playing the starter
//!   catalog, an answer every `--answer-every` seconds each, reconnecting and resuming through
//!   every fault (`benches/support/players.rs`); every parent's live feed and every class's
//!   teacher view (`watchers.rs`); a class game every `--game-every` seconds
//!   (`class_games.rs`); progress reads, offline syncs and drawings in the object store
//!   (`rest_load.rs`). A twentieth of the children have a daily limit of a third of the run,
//!   and one 60 s grant when it runs out.
//! - Services: a fresh PostgreSQL database reached through a TCP proxy, a redis-server of the
//!   run's own through another, moto (S3) through a third (`tests/api/common/proxy.rs`, which
//!   cuts, heals and slows); each node under libfaketime (when installed) so its wall clock
//!   can be stepped.
//! - Faults (`faults.rs`): `--faults` (default one per 25 s: 24 in 10 minutes) from `--seed`,
//!   printed before the load starts, one at a time: kill -9 or SIGTERM of a node (started
//!   again on its port), the database cut 5–20 s, restarted (this run's connections ended by
//!   the server; `--restart-postgres`: the machine's cluster restarted) or slowed by 200 ms,
//!   Redis cut or restarted, a node's wall clock 2 minutes forward for 5–20 s (then set
//!   right), the object store cut 5–20 s.
//! - Then quiet: no new answers, every fault healed, every learner waits for its last `saved`;
//!   the checker (`checker.rs`) prints every violation with its learner and seq.
//!
//! ```sh
//! CARGO_TARGET_DIR=/work/main/target cargo bench --bench soak --no-run
//! target/release/deps/soak-* --server-bin target/release/studyhub --seed 7
//! target/release/deps/soak-* --seconds 120 --faults 5 --learners 1000    # the short run
//! ```
//! Exits 1 when the checker found a violation.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use clap::Parser;
use serde_json::json;

mod support;
use support::checker::check;
use support::class_games::{self, Games, game_class};
use support::cluster::{nginx, node_command};
use support::faults::{Done, Kind, Node, Redis, Targets, health, schedule};
use support::fixtures::{make_children, make_classes};
use support::ledger::Ledger;
use support::options::{self, ServerBin};
use support::players::{self, Learner, World};
use support::proxy::Proxy;
use support::tokens::Identity;
use support::{BenchDatabase, catalog, free_port, http, raise_nofile, rest_load, soak_report};

const FAKETIME: &str = "/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1";

/// The chaos soak: load through nginx over two nodes, faults on a seeded schedule, and a
/// check of everything the clients were told against what is stored.
#[derive(Debug, Clone, Parser)]
#[command(
    bin_name = "cargo bench --bench soak --",
    after_help = "PostgreSQL from STUDYHUB_BENCH_DATABASE_URL (a fresh database per run), moto \
                  from STUDYHUB_BENCH_S3_ENDPOINT (default http://127.0.0.1:9000); redis-server \
                  and nginx are started by the soak."
)]
struct Args {
    /// Seconds of load (faults within them); then the run quiets down and is checked
    #[arg(long, value_name = "S", default_value_t = 600)]
    seconds: u64,
    /// The schedule's seed (default: from the clock; printed either way)
    #[arg(long)]
    seed: Option<u64>,
    /// Faults in the run (default: one per 25 s)
    #[arg(long, value_name = "N")]
    faults: Option<usize>,
    /// Learners playing (one parent per 20, classes of 30 with a teacher per 10 classes)
    #[arg(long, value_name = "N", default_value_t = 3000)]
    learners: usize,
    /// Mean seconds between two answers of one learner
    #[arg(long, value_name = "S", default_value_t = 6.0)]
    answer_every: f64,
    /// A class game every S seconds
    #[arg(long, value_name = "S", default_value_t = 60)]
    game_every: u64,
    /// Students of the game's class
    #[arg(long, value_name = "N", default_value_t = 8)]
    game_students: usize,
    /// Progress reads a second
    #[arg(long, value_name = "R", default_value_t = 10.0)]
    reads: f64,
    /// An offline sync every MS milliseconds
    #[arg(long, value_name = "MS", default_value_t = 1000)]
    sync_every_ms: u64,
    /// A drawing uploaded every MS milliseconds
    #[arg(long, value_name = "MS", default_value_t = 2000)]
    drawing_every_ms: u64,
    /// The "database restarted" fault restarts the machine's PostgreSQL cluster
    /// (`pg_ctlcluster`), disturbing everyone else on it; without this flag it ends every
    /// connection of the run's database from the server side instead
    #[arg(long)]
    restart_postgres: bool,
    /// Only these fault kinds (comma-separated: kill9, sigterm, db-cut, db-restart,
    /// db-latency, redis-cut, redis-restart, clock, store)
    #[arg(long, value_delimiter = ',')]
    kinds: Vec<String>,
    /// Keep the run's folder (nginx's and each node's logs) and print where it is
    #[arg(long)]
    keep: bool,
    #[command(flatten)]
    server: ServerBin,
}

fn kind_of(name: &str) -> Kind {
    match name {
        "kill9" => Kind::Kill9,
        "sigterm" => Kind::Sigterm,
        "db-cut" => Kind::DbCut,
        "db-restart" => Kind::DbRestart,
        "db-latency" => Kind::DbLatency,
        "redis-cut" => Kind::RedisCut,
        "redis-restart" => Kind::RedisRestart,
        "clock" => Kind::ClockStep,
        "store" => Kind::StoreFail,
        other => panic!("unknown fault kind {other:?}"),
    }
}

fn main() {
    let args: Args = options::parse();
    raise_nofile();
    let seed = args.seed.unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs()
            % 100_000
    });
    let run = Duration::from_secs(args.seconds);
    let count = args.faults.unwrap_or((args.seconds as usize).div_ceil(25));
    let kinds: Vec<Kind> = if args.kinds.is_empty() {
        Kind::ALL.to_vec()
    } else {
        args.kinds.iter().map(|k| kind_of(k)).collect()
    };
    let plan = schedule(seed, count, run, &kinds);
    let command = format!(
        "soak --seed {seed} --seconds {} --faults {count} --learners {}{}",
        args.seconds,
        args.learners,
        if args.restart_postgres {
            " --restart-postgres"
        } else {
            ""
        }
    );
    println!("chaos soak: {command}");
    soak_report::schedule(seed, &plan);
    let faketime = std::path::Path::new(FAKETIME).exists();
    if !faketime {
        println!(
            "libfaketime is not installed (apt-get install faketime): clock steps are skipped"
        );
    }

    // Services, each behind its proxy.
    let dir = tempfile::tempdir().unwrap();
    let db = BenchDatabase::create("soak");
    let db_proxy = Proxy::in_front_of(&db.url);
    let node_url = db_proxy.redirect(&db.url);
    let redis = Redis::start(free_port(), dir.path().to_path_buf());
    let redis_proxy = Proxy::start(&format!("127.0.0.1:{}", redis.port));
    let redis_url = format!("redis://{}", redis_proxy.addr);
    let s3 = std::env::var("STUDYHUB_BENCH_S3_ENDPOINT")
        .unwrap_or_else(|_| "http://127.0.0.1:9000".into());
    let store = Proxy::in_front_of(&s3);
    let store_url = store.redirect(&s3);
    let prefix = format!("soak-{}", std::process::id());
    let bucket = format!("studyhub-soak-{}", std::process::id());
    let mut nodes = Vec::new();
    for i in 0..2 {
        let port = free_port();
        let clock = faketime.then(|| {
            let f = dir.path().join(format!("clock-{i}"));
            std::fs::write(&f, "+0\n").unwrap();
            f
        });
        let data = dir.path().join(format!("node-{i}"));
        std::fs::create_dir_all(&data).unwrap();
        let (bin, url, redis_url, prefix, bucket, store_url, clock_file) = (
            args.server.bin.clone(),
            node_url.clone(),
            redis_url.clone(),
            prefix.clone(),
            bucket.clone(),
            store_url.clone(),
            clock.clone(),
        );
        let command = move || {
            let mut cmd = node_command(&bin, &url, &redis_url, &prefix, &data, port);
            // Both nodes' logs (each restart appended), kept with `--keep`.
            let log = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(data.join("node.log"))
                .unwrap();
            cmd.env("STUDYHUB_S3_BUCKET", &bucket)
                .env("STUDYHUB_S3_ENDPOINT", &store_url)
                .env("STUDYHUB_S3_REGION", "us-east-1")
                .env("STUDYHUB_S3_PATH_STYLE", "true")
                .env(
                    "AWS_ACCESS_KEY_ID",
                    std::env::var("AWS_ACCESS_KEY_ID").unwrap_or_else(|_| "test".into()),
                )
                .env(
                    "AWS_SECRET_ACCESS_KEY",
                    std::env::var("AWS_SECRET_ACCESS_KEY").unwrap_or_else(|_| "test".into()),
                )
                .env("STUDYHUB_DATABASE_POOL_SIZE", "16")
                .stdout(log.try_clone().unwrap())
                .stderr(log);
            if let Some(f) = &clock_file {
                // The wall clock only: tokio's timers and Instant stay on the real monotonic
                // clock, as after an NTP step.
                cmd.env("LD_PRELOAD", FAKETIME)
                    .env("FAKETIME_TIMESTAMP_FILE", f)
                    .env("FAKETIME_NO_CACHE", "1")
                    .env("FAKETIME_DONT_FAKE_MONOTONIC", "1");
            }
            cmd
        };
        let mut node = Node {
            port,
            server: None,
            command: Box::new(command),
            clock,
            offset_secs: 0,
        };
        node.start();
        nodes.push(node);
    }
    let ports = [nodes[0].port, nodes[1].port];
    let deadline = Instant::now() + Duration::from_secs(60);
    while !ports
        .iter()
        .all(|&p| health(p).is_some_and(|h| h["services"]["nodes"] == "shared"))
    {
        assert!(
            Instant::now() < deadline,
            "the nodes never shared Redis: {:?}",
            health(ports[0])
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let (lb, lb_port) = nginx(ports, dir.path(), true);
    let nginx_addr = std::net::SocketAddr::from(([127, 0, 0, 1], lb_port));

    // The people, made on node A before the run.
    let t = Instant::now();
    let fixtures = make_children(ports[0], args.learners, 20);
    let classes = make_classes(ports[0], &fixtures, 30);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let limit = (args.seconds / 3).max(60);
    let mut learners = Vec::new();
    for f in &fixtures {
        let parent = Identity::of(&f.token);
        for c in &f.children {
            let n = learners.len();
            learners.push(Learner {
                id: c.clone(),
                parent: parent.clone(),
                n,
                limited: n % 20 == 7,
            });
        }
    }
    let game = rt.block_on(async {
        for l in learners.iter().filter(|l| l.limited) {
            let path = format!("/v1/children/{}/settings", l.id);
            let r = http::json(
                ports[0],
                "PUT",
                &path,
                Some(&l.parent.token()),
                &json!({"daily_time_limit_seconds": limit}),
            )
            .await;
            assert!(matches!(r, Some((200, _))), "{r:?}");
        }
        game_class(ports[0], args.game_students).await
    });
    let game = Arc::new(game);
    println!(
        "{} learners ({} with a {limit} s limit), {} parents, {} classes, a game class of {}: made in {:.1} s",
        learners.len(),
        learners.iter().filter(|l| l.limited).count(),
        fixtures.len(),
        classes.len(),
        game.students.len(),
        t.elapsed().as_secs_f64()
    );

    // The load.
    let ledger = Arc::new(Ledger::new());
    let world = Arc::new(World {
        nginx: nginx_addr,
        ledger: ledger.clone(),
        catalog: catalog::catalog(None, None),
        every: Duration::from_secs_f64(args.answer_every),
    });
    let unlimited: Arc<Vec<rest_load::Child>> = Arc::new(
        learners
            .iter()
            .filter(|l| !l.limited)
            .map(|l| (l.id.clone(), l.parent.clone()))
            .collect(),
    );
    let addition = world
        .catalog
        .iter()
        .find(|a| a.id == "math-addition-1")
        .map(|a| support::catalog::Activity {
            id: a.id.clone(),
            questions: a.questions.clone(),
        })
        .expect("math-addition-1");
    let games: Games = Arc::default();
    let mut players = Vec::new();
    let mut others = Vec::new();
    {
        let _guard = rt.enter();
        for f in &fixtures {
            others.push(rt.spawn(support::watchers::watch(
                nginx_addr,
                "parent feed",
                "/v1/parent/live".into(),
                Identity::of(&f.token),
                ledger.clone(),
            )));
        }
        for (token, class) in &classes {
            others.push(rt.spawn(support::watchers::watch(
                nginx_addr,
                "class view",
                format!("/v1/classes/{class}/live"),
                Identity::of(token),
                ledger.clone(),
            )));
        }
        for l in learners {
            players.push(rt.spawn(players::play(l, world.clone())));
        }
        others.push(rt.spawn(class_games::run(
            nginx_addr,
            game.clone(),
            Duration::from_secs(args.game_every),
            ledger.clone(),
            games.clone(),
        )));
        others.push(rt.spawn(rest_load::readers(
            lb_port,
            unlimited.clone(),
            args.reads,
            ledger.clone(),
        )));
        others.push(rt.spawn(rest_load::syncs(
            lb_port,
            unlimited.clone(),
            Arc::new(addition),
            Duration::from_millis(args.sync_every_ms),
            ledger.clone(),
        )));
        others.push(rt.spawn(rest_load::drawings(
            lb_port,
            unlimited.clone(),
            Duration::from_millis(args.drawing_every_ms),
            ledger.clone(),
        )));
    }

    // The faults, on this thread; a progress line every 10 s from another.
    let started = Instant::now();
    let progress = {
        let ledger = ledger.clone();
        std::thread::spawn(move || {
            let mut last = (0, 0);
            while !ledger.stopping() {
                std::thread::sleep(Duration::from_secs(10));
                let now = (
                    ledger.sent.load(Ordering::Relaxed),
                    ledger.saved.load(Ordering::Relaxed),
                );
                eprintln!(
                    "{:>4} s: answers sent {}/s, saved {}/s, notifications {}",
                    started.elapsed().as_secs(),
                    (now.0 - last.0) / 10,
                    (now.1 - last.1) / 10,
                    ledger.notifications.load(Ordering::Relaxed)
                );
                last = now;
            }
        })
    };
    let mut targets = Targets {
        nodes,
        db: db_proxy,
        redis_proxy,
        redis,
        store,
        admin_url: std::env::var("STUDYHUB_BENCH_DATABASE_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into()),
        db_name: db.url.rsplit('/').next().unwrap().to_string(),
        restart_postgres: args.restart_postgres,
    };
    let mut done: Vec<Done> = Vec::new();
    for f in &plan {
        if let Some(wait) = f.at.checked_sub(started.elapsed()) {
            std::thread::sleep(wait);
        }
        let d = targets.inject(f);
        println!(
            "{} UTC {:>4} s: {}{} — {:.1} s{}{}",
            chrono::Utc::now().format("%H:%M:%S"),
            d.began.duration_since(started).as_secs(),
            f.kind.label(),
            if matches!(f.kind, Kind::Kill9 | Kind::Sigterm | Kind::ClockStep) {
                format!(" (node {})", f.node)
            } else {
                String::new()
            },
            d.ended.duration_since(d.began).as_secs_f64(),
            d.health_back.map_or(String::new(), |h| format!(
                ", health whole {:.2} s after",
                h.as_secs_f64()
            )),
            if d.note.is_empty() {
                String::new()
            } else {
                format!(" ({})", d.note)
            },
        );
        done.push(d);
    }
    if let Some(wait) = run.checked_sub(started.elapsed()) {
        std::thread::sleep(wait);
    }

    // Quiet: no new answers, everything healed, every learner's last `saved` awaited.
    let sent_during_load = ledger.sent.load(Ordering::Relaxed);
    ledger.wind_down();
    let stopped = Instant::now();
    targets.heal_all();
    let (drained, left) = rt.block_on(async {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
        let mut left = 0;
        for p in players {
            if tokio::time::timeout_at(deadline, p).await.is_err() {
                left += 1;
            }
        }
        (stopped.elapsed(), left)
    });
    // Games under way get their end.
    std::thread::sleep(Duration::from_secs(2));
    rt.block_on(async {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(150);
        for o in others.drain(others.len() - 4..) {
            let _ = tokio::time::timeout_at(deadline, o).await;
        }
    });
    ledger.quit.store(true, Ordering::Relaxed);
    rt.shutdown_timeout(Duration::from_secs(5));
    let _ = progress.join();
    println!(
        "quiet after {:.1} s ({} learners still waiting for a `saved` when given up)",
        drained.as_secs_f64(),
        left
    );

    // The checker.
    let t = Instant::now();
    let games = games.lock().unwrap().clone();
    let violations = check(
        &db.url,
        &ledger,
        &dir.path().join("access.log"),
        &games,
        &game.teacher,
        lb_port,
        2,
    );
    println!("checked in {:.1} s", t.elapsed().as_secs_f64());

    soak_report::print(
        &soak_report::Run {
            seed,
            seconds: args.seconds,
            command: &command,
            started,
            stopped,
            sent_during_load,
            access_log: &dir.path().join("access.log"),
        },
        &done,
        &ledger,
        &violations,
    );
    // Everything the run started stops here: `exit` below runs no destructor.
    drop((lb, targets));
    if args.keep {
        // The database too, for a look at what the checker found.
        println!("the run's database: {}", db.url);
        std::mem::forget(db);
    } else {
        drop(db);
    }
    if args.keep {
        println!("the run's folder: {}", dir.keep().display());
    }
    if !violations.is_empty() {
        std::process::exit(1);
    }
}
