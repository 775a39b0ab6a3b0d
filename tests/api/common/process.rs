//! The real `studyhub` binary in a child process, serving a test's database on a free port:
//! for SIGTERM, and for several nodes that share nothing but PostgreSQL (or one SQLite file)
//! and Redis, as in production. Killed outright if the test fails.

use std::io::BufRead;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::Value;

use super::{Api, TestDb};

pub struct Served {
    child: Option<Child>,
    pub port: u16,
}

impl Served {
    /// Starts the binary with the test settings and `env` on top; returns once it listens.
    pub fn start(db: &TestDb, env: &[(&str, &str)]) -> Self {
        let mut c = Command::new(env!("CARGO_BIN_EXE_studyhub"));
        for (k, _) in std::env::vars() {
            if k.starts_with("STUDYHUB_")
                || ["DATABASE_URL", "REDIS_URL", "PORT"].contains(&k.as_str())
            {
                c.env_remove(k);
            }
        }
        c.env("DATABASE_URL", &db.url)
            .env("STUDYHUB_DATA_DIR", db.data_dir())
            .env("STUDYHUB_BIND", "127.0.0.1:0")
            .env("STUDYHUB_ENCRYPTION_KEY", "11".repeat(32))
            .env("STUDYHUB_JWT_SECRET", super::JWT_SECRET)
            .env("STUDYHUB_BCRYPT_COST", "4")
            .env("STUDYHUB_REGISTER_LIMIT_PER_HOUR", "1000")
            .env("STUDYHUB_WORKERS", "2")
            // As `test_config`: debug servers side by side on two cores run late.
            .env("STUDYHUB_BUSY_AFTER_LAG_MS", "3600000")
            .env("STUDYHUB_FLUSH_MAX_WAIT_MS", "3600000")
            .env("STUDYHUB_LOG_FORMAT", "json")
            .env("RUST_LOG", "info");
        for (k, v) in env {
            c.env(k, v);
        }
        c.stdout(Stdio::piped()).stderr(Stdio::null());
        let mut child = c.spawn().expect("the studyhub binary starts");
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        // Reads the log to the end (a full pipe would block the server).
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if std::env::var_os("TEST_LOG").is_some() {
                    println!("{line}");
                }
                let Ok(v) = serde_json::from_str::<Value>(&line) else {
                    continue;
                };
                if v["fields"]["message"] == "studyhub is listening" {
                    let _ = tx.send(v["fields"]["port"].as_u64().unwrap() as u16);
                }
            }
        });
        let port = rx
            .recv_timeout(Duration::from_secs(60))
            .expect("the server says where it listens");
        Served {
            child: Some(child),
            port,
        }
    }

    pub fn api(&self) -> Api {
        Api::new(self.port)
    }

    pub fn pid(&self) -> u32 {
        self.child.as_ref().unwrap().id()
    }

    pub fn terminate(&self) {
        let pid = self.pid() as libc::pid_t;
        assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0);
    }

    /// `kill -9`: the process dies at once, with whatever it holds in memory.
    pub fn kill(mut self) {
        let mut child = self.child.take().unwrap();
        child.kill().unwrap();
        child.wait().unwrap();
    }

    /// Waits for the process to exit (bounded); whether it exited cleanly.
    pub async fn exited_cleanly(mut self) -> bool {
        let mut child = self.child.take().unwrap();
        let waited = tokio::time::timeout(
            Duration::from_secs(60),
            tokio::task::spawn_blocking(move || child.wait()),
        )
        .await
        .expect("the server exits after SIGTERM");
        waited.unwrap().unwrap().success()
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Two processes over one database, sharing a Redis namespace of their own, both on Redis
/// (`/health` says `shared`) before this returns; `None` (skip) outside CI without Redis.
pub async fn two_nodes(env: &[(&str, &str)]) -> Option<(TestDb, Served, Served)> {
    let Ok(redis) = std::env::var("STUDYHUB_TEST_REDIS_URL") else {
        assert!(
            std::env::var("CI").is_err(),
            "CI must set STUDYHUB_TEST_REDIS_URL"
        );
        return None;
    };
    let db = TestDb::new();
    let prefix = format!("test-{}", uuid::Uuid::new_v4().simple());
    let mut all: Vec<(&str, &str)> =
        vec![("REDIS_URL", &redis), ("STUDYHUB_REDIS_PREFIX", &prefix)];
    all.extend_from_slice(env);
    // The first migrates (and seeds) the database; the second finds it ready.
    let a = Served::start(&db, &all);
    let b = Served::start(&db, &all);
    for node in [&a, &b] {
        let api = node.api();
        super::wait::poll_until(Duration::from_secs(10), "the node joins Redis", || async {
            let health = api.get("/health", None).await.body;
            health["services"]["nodes"] == "shared" && health["services"]["cache"] == "redis"
        })
        .await;
    }
    Some((db, a, b))
}
