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
//! cargo bench --bench load -- --only engine --server-bin /path/to/old/studyhub  # an older release
//! cargo bench --bench load -- --help                                  # every option
//! ```
//! Options (the reference is `--help`, from `Args` below): `--sessions N`, `--rate R`
//! (answers/s in total; 0 = each connection sends its next message as soon as the last was
//! answered), `--seconds S` (measured), `--warmup S`, `--addrs K` (source addresses
//! 127.0.0.1..K, to get past the ephemeral port range), `--only engine|echo|relay`, `--reads
//! R` (parents' `GET /v1/learners/{id}/progress` a second while the engine's learners play,
//! timed), `--per-parent N` (children per parent, default 20), `--parent-share F` (share of
//! parents with a live feed open, default 0.2), `--class-size N` (learners per class, each
//! class watched by its teacher; 0 = none, default 30), `--activity ID` (every learner plays
//! only this one; by default learner i starts at the i-th activity of the whole catalog and
//! moves on to the next each time it completes one, answering four in five questions right),
//! `--server-bin PATH` (the `studyhub` to measure, default the one cargo built: a previous
//! release's binary compares it with the current one). With observers, it also reports
//! completion → parent notification and answer → teacher event latency. Answers refused
//! `busy` are counted and sent again (same seq) on the learner's next tick. CPU per answer is
//! each server process's user+system time over the measured window ÷ the answers it answered
//! (engine: ÷ the answers `saved`). PostgreSQL from `STUDYHUB_BENCH_DATABASE_URL` (default
//! `postgres://postgres@127.0.0.1:5432/postgres`; a fresh database is made and dropped).
//!
//! The parts live in `support/` (the generator, the echo server and the relay, the
//! observers, the report), shared with `nodes`; this file keeps the options and the run.

use std::process::Command;
use std::time::Instant;

use clap::Parser;

mod support;
use support::generator::{Load, Mode, run_load};
use support::options::ServerBin;
use support::report::{print, print_header};
use support::{
    BenchDatabase, Server, catalog, echo, fixtures, free_port, ms, options, raise_nofile, studyhub,
    wait_for_port,
};

/// The load bench: the engine's learners, and the echo and relay under the same generator.
#[derive(Clone, Debug, Parser)]
#[command(bin_name = "cargo bench --bench load --", after_help = support::DATABASE_HELP)]
struct Args {
    /// Connections: the engine's learners, the echo's and the relay's clients
    #[arg(long, value_name = "N", default_value_t = 1000)]
    sessions: usize,
    /// Answers a second in all (0: closed loop, each connection sends its next message as
    /// soon as the last was answered)
    #[arg(long, value_name = "R", default_value_t = 2000.0)]
    rate: f64,
    /// Seconds measured
    #[arg(long, value_name = "S", default_value_t = 15)]
    seconds: u64,
    /// Seconds of warm-up before the measured window (the first answers spread over it)
    #[arg(long, value_name = "S", default_value_t = 3)]
    warmup: u64,
    /// Source addresses 127.0.0.1..K, to get past the ephemeral port range
    #[arg(long, value_name = "K", default_value_t = 4)]
    addrs: u8,
    /// Only this target (default: echo, relay, then engine)
    #[arg(long, value_parser = ["engine", "echo", "relay"])]
    only: Option<String>,
    /// Share of parents with a live feed open (engine)
    #[arg(long, value_name = "F", default_value_t = 0.2)]
    parent_share: f64,
    /// Learners per class, each class watched by its teacher (0: no classes)
    #[arg(long, value_name = "N", default_value_t = 30)]
    class_size: usize,
    /// Children per parent (engine)
    #[arg(long, value_name = "N", default_value_t = 20)]
    per_parent: usize,
    /// Every learner plays only this activity (default: learner i starts at the i-th activity
    /// of the whole catalog and moves on to the next each time it completes one)
    #[arg(long, value_name = "ID")]
    activity: Option<String>,
    /// The starter content to play, a folder of activity files (default: this checkout's
    /// `content/activities`); with `--server-bin`, the older binary's own, so that both play
    /// the same catalog
    #[arg(long, value_name = "DIR")]
    catalog: Option<std::path::PathBuf>,
    /// Parents' `GET /v1/learners/{id}/progress` a second while the engine's learners play,
    /// timed (0: none)
    #[arg(long, value_name = "R", default_value_t = 0.0)]
    reads: f64,
    #[command(flatten)]
    server: ServerBin,
    /// This process is the echo and relay server on PORT (the bench starts itself so)
    #[arg(long, hide = true, value_name = "PORT")]
    serve_echo: Option<u16>,
}

impl Args {
    /// What the generator reads of the options.
    fn load(&self) -> Load {
        Load {
            sessions: self.sessions,
            rate: self.rate,
            seconds: self.seconds,
            warmup: self.warmup,
            addrs: self.addrs,
            reads: self.reads,
        }
    }
}

/// The echo server (it serves the relay too) in a process of its own, so that its CPU is
/// measured apart from the generator's: this bench's binary with `--serve-echo PORT`.
fn start_echo() -> (Server, u16) {
    let port = free_port();
    let echo = Server(
        Command::new(std::env::current_exe().unwrap())
            .args(["--serve-echo", &port.to_string()])
            .spawn()
            .unwrap(),
    );
    wait_for_port(port);
    (echo, port)
}

fn main() {
    let args: Args = options::parse();
    if let Some(port) = args.serve_echo {
        echo::serve(port);
        return;
    }
    let nofile = raise_nofile();
    eprintln!("open-file limit {nofile}; {args:?}");
    let catalog = catalog::catalog(args.activity.as_deref(), args.catalog.as_deref());
    let load = args.load();
    let mut reports = Vec::new();

    if args.only.is_none() || args.only.as_deref() == Some("echo") {
        let (echo, port) = start_echo();
        let pid = echo.0.id();
        reports.push(run_load(
            Mode::Echo,
            &load,
            port,
            |_| ("/echo".into(), None),
            Some(pid),
            Vec::new(),
            catalog.clone(),
        ));
    }

    if args.only.is_none() || args.only.as_deref() == Some("relay") {
        let (relay, port) = start_echo();
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
            &load,
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
            studyhub(&args.server.bin, &db.url, port, data.path())
                .spawn()
                .expect("the studyhub binary"),
        );
        wait_for_port(port);
        let pid = server.0.id();
        let t = Instant::now();
        let fixtures = fixtures::make_children(port, args.sessions, args.per_parent);
        eprintln!(
            "engine: {} children made in {:.1}s",
            args.sessions,
            t.elapsed().as_secs_f64()
        );
        let t = Instant::now();
        let classes = fixtures::make_classes(port, &fixtures, args.class_size);
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
            &load,
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
    print_header("target");
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
        println!(
            "{}: the generator's own lag (its timer every 25 ms, how late it ran; in every latency above): p50 {} ms, p99 {} ms",
            r.label,
            ms(&r.generator_lag, 0.5),
            ms(&r.generator_lag, 0.99)
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
