//! SIGTERM under load, against the real binary in a child process: the server stops
//! accepting, writes what it holds, tells every play socket its last `saved` and closes it
//! with 1012; everything that got `feedback` before the stop is stored, once.

use std::io::BufRead;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::Value;

use crate::common::players::{Player, stored_seqs};
use crate::common::{Api, TestDb};

const PLAYERS: usize = 20;

/// The `studyhub` binary serving `db` on a free port; killed outright if the test fails.
struct Served {
    child: Option<Child>,
    port: u16,
}

impl Served {
    fn start(db: &TestDb) -> Self {
        let mut c = Command::new(env!("CARGO_BIN_EXE_studyhub"));
        for (k, _) in std::env::vars() {
            if k.starts_with("STUDYHUB_") || k == "DATABASE_URL" || k == "REDIS_URL" {
                c.env_remove(k);
            }
        }
        c.env("DATABASE_URL", &db.url)
            .env("STUDYHUB_DATA_DIR", db.data_dir())
            .env("STUDYHUB_BIND", "127.0.0.1:0")
            .env("STUDYHUB_ENCRYPTION_KEY", "11".repeat(32))
            .env(
                "STUDYHUB_JWT_SECRET",
                "test-secret-test-secret-test-secret!",
            )
            .env("STUDYHUB_BCRYPT_COST", "4")
            .env("STUDYHUB_REGISTER_LIMIT_PER_HOUR", "1000")
            .env("STUDYHUB_WORKERS", "2")
            // Answers wait for the group commit until the stop writes them.
            .env("STUDYHUB_FLUSH_WINDOW_MS", "600000")
            .env("STUDYHUB_LOG_FORMAT", "json")
            .env("RUST_LOG", "info")
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
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

    fn terminate(&self) {
        let pid = self.child.as_ref().unwrap().id() as libc::pid_t;
        assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0);
    }

    /// Waits for the process to exit (bounded); whether it exited cleanly.
    async fn exited_cleanly(mut self) -> bool {
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

#[actix_web::test]
async fn sigterm_under_load_saves_everything_answered_and_closes_with_1012() {
    let db = TestDb::new();
    let server = Served::start(&db);
    let api = Api::new(server.port);
    let mut players = Vec::new();
    for i in 0..PLAYERS {
        let mut p = Player::join(&api, &format!("Kid {i}")).await;
        for _ in 0..3 {
            p.answer().await;
        }
        players.push(p);
    }
    // Under load: answers in flight when the signal lands.
    for p in players.iter_mut() {
        p.send_next().await;
        p.send_next().await;
    }
    server.terminate();
    for p in players.iter_mut() {
        assert_eq!(p.until_closed().await, Some(1012), "{}", p.child);
        assert!(p.answered >= 3);
        assert_eq!(
            p.saved, p.answered,
            "everything answered is saved before the close"
        );
    }
    // The listener is closed: nobody new gets in.
    assert!(
        api.client.get(api.url("/health")).send().await.is_err(),
        "connections are refused once the server stops"
    );
    assert!(server.exited_cleanly().await, "exit status 0");
    for p in &players {
        let want: Vec<u32> = (1..=p.answered).collect();
        assert_eq!(stored_seqs(&db.url, &p.session), want, "{}", p.child);
    }
}
