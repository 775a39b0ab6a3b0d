//! What every benchmark needs around the load itself: options, ports, processes, memory and
//! histograms, and the load bench's parts that other benches reuse (the generator, its
//! servers and its report). Each bench includes it (`mod support;`) and uses what it needs.
#![allow(dead_code)]

pub(crate) mod catalog;
pub(crate) mod checker;
pub(crate) mod class_games;
pub(crate) mod cluster;
pub(crate) mod cpu;
pub(crate) mod echo;
pub(crate) mod faults;
pub(crate) mod fixtures;
pub(crate) mod generator;
pub(crate) mod http;
pub(crate) mod learner;
pub(crate) mod ledger;
pub(crate) mod observers;
pub(crate) mod options;
pub(crate) mod players;
/// The TCP proxy the API tests use (cut, heal, latency), shared rather than copied.
#[path = "../../tests/api/common/proxy.rs"]
pub(crate) mod proxy;
pub(crate) mod reads;
pub(crate) mod relay;
pub(crate) mod report;
pub(crate) mod rest_load;
pub(crate) mod soak_report;
pub(crate) mod tokens;
pub(crate) mod watchers;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};
use hdrhistogram::Histogram;

/// Where [`BenchDatabase`] comes from, for a bench's `--help` (`after_help`).
pub(crate) const DATABASE_HELP: &str = "PostgreSQL from STUDYHUB_BENCH_DATABASE_URL (default \
     postgres://postgres@127.0.0.1:5432/postgres): a fresh database is made for the run and \
     dropped after it.";

/// A fresh PostgreSQL database for one run (on `STUDYHUB_BENCH_DATABASE_URL`'s server,
/// default the local one), dropped with this.
pub(crate) struct BenchDatabase {
    pub url: String,
    name: String,
    admin: PgConnection,
}

impl BenchDatabase {
    pub(crate) fn create(label: &str) -> Self {
        let admin_url = std::env::var("STUDYHUB_BENCH_DATABASE_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
        let name = format!("studyhub_{label}_{}", std::process::id());
        let mut admin = PgConnection::establish(&admin_url).expect("PostgreSQL for the benchmark");
        admin
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .unwrap();
        let url = format!("{}/{name}", admin_url.rsplit_once('/').unwrap().0);
        Self { url, name, admin }
    }
}

impl Drop for BenchDatabase {
    fn drop(&mut self) {
        let drop = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name);
        let _ = self.admin.batch_execute(&drop);
    }
}

/// The `studyhub` at `bin` (`--server-bin`: by default the release one cargo built) on
/// `database_url`, listening on `port`, keeping its files in `data`, with the bench's
/// settings (cheap password hashing, no registration limit, a pool of 8, warnings only);
/// callers add their own before `spawn`.
pub(crate) fn studyhub(
    bin: &std::path::Path,
    database_url: &str,
    port: u16,
    data: &std::path::Path,
) -> Command {
    let mut cmd = Command::new(bin);
    cmd.env("DATABASE_URL", database_url)
        .env("STUDYHUB_BIND", format!("127.0.0.1:{port}"))
        .env("STUDYHUB_DATA_DIR", data)
        .env("STUDYHUB_BCRYPT_COST", "4")
        .env("STUDYHUB_REGISTER_LIMIT_PER_HOUR", "1000000")
        .env("STUDYHUB_DATABASE_POOL_SIZE", "8")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null());
    cmd
}

/// Raises this process's open-file limit to the hard limit (children inherit it).
pub(crate) fn raise_nofile() -> u64 {
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

/// A process's resident memory (VmRSS), KiB.
pub(crate) fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

pub(crate) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Waits (up to two minutes) until something listens on the port.
pub(crate) fn wait_for_port(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(120);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "server on port {port} did not start"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A process the bench started: killed when dropped.
pub(crate) struct Server(pub Child);

impl Server {
    /// Killed outright (SIGKILL), as a crash would.
    pub(crate) fn kill9(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Latencies in µs, up to two minutes.
pub(crate) fn hist() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 120_000_000, 3).unwrap()
}

/// The quantile in ms ("-" for an empty histogram).
pub(crate) fn ms(h: &Histogram<u64>, q: f64) -> String {
    if h.is_empty() {
        "-".into()
    } else {
        format!("{:.2}", h.value_at_quantile(q) as f64 / 1000.0)
    }
}
