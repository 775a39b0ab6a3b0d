//! The load generator's run: N connections at a given answer rate against one target
//! (engine, echo or relay), measured over a window, so every target gets the same load.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;

use super::catalog::Activity;
use super::cpu::{cpu_micros, machine_micros, switches, switches_between};
use super::learner::{Pace, Play, drive};
use super::observers::observe;
use super::report::Report;
use super::{hist, reads, rss_kib};

/// How hard and how long the generator plays: what a run reads of the bench's options
/// (the load bench's `--sessions`, `--rate`, ...; nodes gives each shard its own).
#[derive(Clone, Debug)]
pub(crate) struct Load {
    pub sessions: usize,
    /// Answers a second in all; 0: closed loop.
    pub rate: f64,
    pub seconds: u64,
    pub warmup: u64,
    /// Source addresses 127.0.0.1..=K.
    pub addrs: u8,
    /// Progress reads a second while learners play (engine only; 0: none).
    pub reads: f64,
}

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
pub(crate) struct Causes {
    /// (learner, session, question) → when the answer was sent.
    pub answers: std::sync::Mutex<std::collections::HashMap<(String, String, String), Instant>>,
    /// learner → when the answer that completed its activity was sent.
    pub completions: std::sync::Mutex<std::collections::HashMap<String, Instant>>,
    pub observing: AtomicBool,
}

/// What every connection of a run counts and reads (and the observers too).
pub(crate) struct Shared {
    pub causes: Causes,
    pub measuring: AtomicBool,
    pub stop: AtomicBool,
    pub sent: AtomicU64,
    pub answered: AtomicU64,
    pub connected: AtomicU64,
    pub failed: AtomicU64,
    pub saved: AtomicU64,
    pub busy: AtomicU64,
    pub errors: AtomicU64,
    pub closed: AtomicU64,
}

/// Latencies in microseconds, shared by all connections of a run (a histogram per
/// connection would cost the generator gigabytes at 20 000 connections).
#[derive(Clone)]
pub(crate) struct ConnResult {
    pub feedback: Arc<std::sync::Mutex<Histogram<u64>>>,
    pub saved: Arc<std::sync::Mutex<Histogram<u64>>>,
}

/// One run against the target on `port`: connection i plays on `path_of(i)` (with its
/// token), `observers` are the (path, token) feeds to time, `pid` the server process to
/// measure (CPU, RSS). Warms up, measures for `load.seconds` (a line a second on stderr),
/// stops every connection and returns the figures.
pub(crate) fn run_load(
    mode: Mode,
    load: &Load,
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
    let pace = (load.rate > 0.0).then(|| Pace {
        every: Duration::from_secs_f64(load.sessions as f64 / load.rate),
        first_within: Duration::from_secs(load.warmup),
    });
    let baseline = pid.map(rss_kib);
    rt.block_on(async {
        let ready = Arc::new(tokio::sync::Barrier::new(load.sessions + 1));
        let results = ConnResult { feedback: Arc::new(std::sync::Mutex::new(hist())), saved: Arc::new(std::sync::Mutex::new(hist())) };
        let parent_hist = Arc::new(std::sync::Mutex::new(hist()));
        let teacher_hist = Arc::new(std::sync::Mutex::new(hist()));
        shared.causes.observing.store(!observers.is_empty(), Ordering::Relaxed);
        let watchers: Vec<_> = observers
            .into_iter()
            .map(|(path, token)| tokio::spawn(observe(server, path, token, shared.clone(), parent_hist.clone(), teacher_hist.clone())))
            .collect();
        let gate = Arc::new(tokio::sync::Semaphore::new(200));
        let mut tasks = Vec::with_capacity(load.sessions);
        for i in 0..load.sessions {
            let (path, token) = path_of(i);
            let source = Ipv4Addr::new(127, 0, 0, 1 + (i % load.addrs as usize) as u8);
            let (shared, ready, gate, results, catalog) = (shared.clone(), ready.clone(), gate.clone(), results.clone(), catalog.clone());
            let i = i % catalog.len();
            tasks.push(tokio::spawn(async move {
                let permit = gate.acquire_owned().await.unwrap();
                let play = Play::new(mode, catalog, i, i as u64);
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
        let readers = (load.reads > 0.0 && mode == Mode::Engine).then(|| {
            let targets: Vec<(String, String)> = (0..load.sessions)
                .filter_map(|i| {
                    let (path, token) = path_of(i);
                    Some((path.split("learner_id=").nth(1)?.to_string(), token?))
                })
                .collect();
            let (m, s) = (shared.clone(), shared.clone());
            reads::start(
                port,
                targets,
                load.reads,
                move || m.measuring.load(Ordering::Relaxed),
                move || s.stop.load(Ordering::Relaxed),
            )
        });
        tokio::time::sleep(Duration::from_secs(load.warmup)).await;
        shared.measuring.store(true, Ordering::Relaxed);
        // The generator's own lag: a timer every 25 ms, and how late it runs. Every latency
        // above is measured by this runtime, so it includes this wait (a saturated box).
        let own_lag = {
            let shared = shared.clone();
            tokio::spawn(async move {
                let mut lag = hist();
                let every = Duration::from_millis(25);
                while !shared.stop.load(Ordering::Relaxed) && shared.measuring.load(Ordering::Relaxed) {
                    let due = tokio::time::Instant::now() + every;
                    tokio::time::sleep_until(due).await;
                    let late = tokio::time::Instant::now().saturating_duration_since(due);
                    let _ = lag.record((late.as_micros() as u64).max(1));
                }
                lag
            })
        };
        let t0 = Instant::now();
        let cpu0 = (pid.map(cpu_micros), cpu_micros(std::process::id()));
        let switches0 = pid.map(switches);
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
        for t in 1..=load.seconds {
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
        let switches1 = pid.map(switches);
        let rss = pid.map(rss_kib);
        shared.stop.store(true, Ordering::Relaxed);
        let generator_lag = own_lag.await.unwrap_or_else(|_| hist());
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
            server_switches: match (&switches0, &switches1) {
                (Some(a), Some(b)) if done > 0 => Some(switches_between(a, b) as f64 / done as f64),
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
            generator_lag,
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

pub(crate) fn label(mode: Mode) -> &'static str {
    match mode {
        Mode::Echo => "echo",
        Mode::Relay => "relay",
        Mode::Engine => "engine",
    }
}
