//! The soak's faults: a seeded schedule (printed, repeatable) and how each is injected and
//! healed — a node killed (-9) or stopped (SIGTERM) and started again on its port, the
//! database cut, restarted or slowed (200 ms) behind its proxy, Redis cut or restarted, a
//! node's wall clock stepped 2 minutes forward for a while (libfaketime), the object store cut.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use serde_json::Value;

use super::http::get_blocking;
use super::proxy::Proxy;
use super::{Server, wait_for_port};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Kind {
    Kill9,
    Sigterm,
    DbCut,
    DbRestart,
    DbLatency,
    RedisCut,
    RedisRestart,
    ClockStep,
    StoreFail,
}

impl Kind {
    pub(crate) const ALL: [Kind; 9] = [
        Kind::Kill9,
        Kind::Sigterm,
        Kind::DbCut,
        Kind::DbRestart,
        Kind::DbLatency,
        Kind::RedisCut,
        Kind::RedisRestart,
        Kind::ClockStep,
        Kind::StoreFail,
    ];

    pub(crate) fn label(self) -> &'static str {
        match self {
            Kind::Kill9 => "node kill -9",
            Kind::Sigterm => "node SIGTERM",
            Kind::DbCut => "database cut",
            Kind::DbRestart => "database restart",
            Kind::DbLatency => "database +200 ms",
            Kind::RedisCut => "Redis cut",
            Kind::RedisRestart => "Redis restart",
            Kind::ClockStep => "node clock +2 min",
            Kind::StoreFail => "object store down",
        }
    }

    /// Held for a while (then healed), rather than done at once.
    pub(crate) fn held(self) -> bool {
        matches!(
            self,
            Kind::DbCut | Kind::DbLatency | Kind::RedisCut | Kind::StoreFail | Kind::ClockStep
        )
    }
}

/// One fault of the schedule: when (since the load started), what, on which node, how long.
#[derive(Clone, Debug)]
pub(crate) struct Fault {
    pub at: Duration,
    pub kind: Kind,
    pub node: usize,
    pub hold: Duration,
}

/// `count` faults over `run`, every kind in turn (each round shuffled), one at a time, from
/// `seed`. The first comes after 20 s of load, the last leaves 20 s before the end.
pub(crate) fn schedule(seed: u64, count: usize, run: Duration, kinds: &[Kind]) -> Vec<Fault> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let lead = Duration::from_secs(20).min(run / 6);
    let span = run.saturating_sub(lead * 2);
    let slot = span / count.max(1) as u32;
    let mut order = Vec::new();
    while order.len() < count {
        let mut round = kinds.to_vec();
        round.shuffle(&mut rng);
        order.extend(round);
    }
    order
        .into_iter()
        .take(count)
        .enumerate()
        .map(|(i, kind)| {
            // A held fault lasts 5–20 s, and at most half its slot.
            let longest = (slot / 2).as_secs().clamp(1, 20);
            let hold = Duration::from_secs(rng.random_range(longest.min(5)..=longest));
            let jitter = slot.saturating_sub(hold).mul_f64(rng.random::<f64>() * 0.5);
            Fault {
                at: lead + slot * i as u32 + jitter,
                kind,
                node: rng.random_range(0..2),
                hold,
            }
        })
        .collect()
}

/// A node: its port, its process, and how to start it again.
pub(crate) struct Node {
    pub port: u16,
    pub server: Option<Server>,
    pub command: Box<dyn Fn() -> Command>,
    /// libfaketime's offset file (`FAKETIME_TIMESTAMP_FILE`), when the clock can be stepped.
    pub clock: Option<PathBuf>,
    pub offset_secs: i64,
}

impl Node {
    pub(crate) fn start(&mut self) {
        let child = (self.command)().spawn().expect("the studyhub binary");
        self.server = Some(Server(child));
        wait_for_port(self.port);
    }

    /// The node's process id now.
    pub(crate) fn pid(&self) -> Option<u32> {
        self.server.as_ref().map(|s| s.0.id())
    }
}

/// A redis-server of the run's own, restarted by the faults.
pub(crate) struct Redis {
    pub port: u16,
    dir: PathBuf,
    server: Option<Server>,
}

impl Redis {
    pub(crate) fn start(port: u16, dir: PathBuf) -> Self {
        let mut r = Redis {
            port,
            dir,
            server: None,
        };
        r.spawn();
        r
    }

    fn spawn(&mut self) {
        let child = Command::new("redis-server")
            .args([
                "--port",
                &self.port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .arg("--dir")
            .arg(&self.dir)
            .stdout(Stdio::null())
            .spawn()
            .expect("redis-server");
        self.server = Some(Server(child));
        wait_for_port(self.port);
    }

    fn restart(&mut self) {
        if let Some(mut s) = self.server.take() {
            s.kill9();
        }
        std::thread::sleep(Duration::from_secs(1));
        self.spawn();
    }
}

/// Everything a fault acts on.
pub(crate) struct Targets {
    pub nodes: Vec<Node>,
    pub db: Proxy,
    pub redis_proxy: Proxy,
    pub redis: Redis,
    pub store: Proxy,
    /// The database's server (admin URL) and the run's database, for a restart.
    pub admin_url: String,
    pub db_name: String,
    /// Restart the machine's PostgreSQL cluster (`pg_ctlcluster`), not only this run's
    /// connections.
    pub restart_postgres: bool,
}

/// What happened: when the fault began and ended (healed, or the node back), and how long
/// until the nodes said they were whole again (`/health`), for the faults it shows.
#[derive(Clone, Debug)]
pub(crate) struct Done {
    pub fault: Fault,
    pub began: Instant,
    pub ended: Instant,
    pub health_back: Option<Duration>,
    pub note: String,
}

impl Targets {
    pub(crate) fn inject(&mut self, f: &Fault) -> Done {
        let began = Instant::now();
        let mut note = String::new();
        let mut health = None;
        // When a held fault was healed (before waiting for the nodes to say so).
        let mut healed = None;
        match f.kind {
            Kind::Kill9 => {
                let node = &mut self.nodes[f.node];
                if let Some(mut s) = node.server.take() {
                    s.kill9();
                }
                node.start();
                note = format!(
                    "node {} back in {:.1} s",
                    f.node,
                    began.elapsed().as_secs_f64()
                );
            }
            Kind::Sigterm => {
                let node = &mut self.nodes[f.node];
                if let Some(mut s) = node.server.take() {
                    unsafe { libc::kill(s.0.id() as i32, libc::SIGTERM) };
                    let deadline = Instant::now() + Duration::from_secs(30);
                    while s.0.try_wait().ok().flatten().is_none() && Instant::now() < deadline {
                        std::thread::sleep(Duration::from_millis(20));
                    }
                    let exited = s.0.try_wait().ok().flatten();
                    note = format!(
                        "stopped in {:.1} s ({}), ",
                        began.elapsed().as_secs_f64(),
                        exited.map_or("killed after 30 s".into(), |e| e.to_string())
                    );
                    s.kill9();
                }
                node.start();
                note += &format!(
                    "node {} back in {:.1} s",
                    f.node,
                    began.elapsed().as_secs_f64()
                );
            }
            Kind::DbCut => {
                self.db.cut();
                std::thread::sleep(f.hold);
                self.db.heal();
            }
            Kind::DbLatency => {
                self.db.set_latency(Duration::from_millis(200));
                std::thread::sleep(f.hold);
                self.db.set_latency(Duration::ZERO);
            }
            Kind::DbRestart => {
                if self.restart_postgres {
                    let version = std::fs::read_dir("/etc/postgresql")
                        .ok()
                        .and_then(|mut d| d.next())
                        .and_then(|e| e.ok())
                        .map(|e| e.file_name().to_string_lossy().into_owned())
                        .unwrap_or_else(|| "15".into());
                    let ok = Command::new("pg_ctlcluster")
                        .args(["--skip-systemctl-redirect", &version, "main", "restart"])
                        .status()
                        .is_ok_and(|s| s.success());
                    note = format!(
                        "pg_ctlcluster {version} main restart: {}",
                        if ok { "done" } else { "FAILED" }
                    );
                } else {
                    // Every connection of this run's database ended by the server, as a
                    // restart does to its clients (the machine's other databases untouched).
                    let sql = format!(
                        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = '{}' AND pid <> pg_backend_pid()",
                        self.db_name
                    );
                    let out = Command::new("psql")
                        .args([&self.admin_url, "-Atc", &sql])
                        .output();
                    note = format!(
                        "{} backends terminated",
                        out.map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
                            .unwrap_or_default()
                    );
                }
            }
            Kind::RedisCut => {
                self.redis_proxy.cut();
                std::thread::sleep(f.hold);
                self.redis_proxy.heal();
                healed = Some(Instant::now());
                health = self.wait_health(|h| {
                    h["services"]["nodes"] == "shared" && h["services"]["cache"] == "redis"
                });
            }
            Kind::RedisRestart => {
                self.redis.restart();
                healed = Some(Instant::now());
                health = self.wait_health(|h| {
                    h["services"]["nodes"] == "shared" && h["services"]["cache"] == "redis"
                });
            }
            Kind::ClockStep => {
                // Forward 2 minutes for the hold, then back (as NTP would set it right): the
                // node's wall clock only, its monotonic clock untouched.
                let node = &mut self.nodes[f.node];
                match &node.clock {
                    Some(file) => {
                        std::fs::write(file, format!("+{}\n", node.offset_secs + 120)).unwrap();
                        std::thread::sleep(f.hold);
                        std::fs::write(file, format!("+{}\n", node.offset_secs)).unwrap();
                        note = format!(
                            "node {} 120 s ahead for {} s, then back",
                            f.node,
                            f.hold.as_secs()
                        );
                    }
                    None => note = "skipped: no libfaketime".into(),
                }
            }
            Kind::StoreFail => {
                self.store.cut();
                std::thread::sleep(f.hold);
                self.store.heal();
                healed = Some(Instant::now());
                health = self.wait_health(|h| h["services"]["storage"] != "down");
            }
        }
        let ended = healed.unwrap_or_else(Instant::now);
        let health_back = health.map(|at: Instant| at.saturating_duration_since(ended));
        Done {
            fault: f.clone(),
            began,
            ended,
            health_back,
            note,
        }
    }

    /// Polls every node's `/health` (directly) until `whole` holds on all of them (30 s at
    /// most): when it did.
    fn wait_health(&self, whole: impl Fn(&Value) -> bool) -> Option<Instant> {
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if self
                .nodes
                .iter()
                .all(|n| health(n.port).is_some_and(|h| whole(&h)))
            {
                return Some(Instant::now());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        None
    }

    /// Every fault healed: the proxies open and fast, both nodes running.
    pub(crate) fn heal_all(&mut self) {
        self.db.heal();
        self.db.set_latency(Duration::ZERO);
        self.redis_proxy.heal();
        self.store.heal();
        for n in &mut self.nodes {
            if n.server
                .as_mut()
                .is_none_or(|s| s.0.try_wait().ok().flatten().is_some())
            {
                n.start();
            }
        }
    }
}

/// A node's `/health` body (direct, 2 s at most).
pub(crate) fn health(port: u16) -> Option<Value> {
    get_blocking(port, "/health", None).map(|r| r.1)
}
