//! `studyhub rotate-key` on a serving installation: answers stored under key A, the node
//! restarted with key B (A kept to read), children playing over REST while the command runs;
//! then every answer is in the database once, under B, readable with B alone. A second run
//! has nothing to do; a run without the key of some records refuses to report done.

use std::path::Path;
use std::process::{Command, Output};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use awc::http::StatusCode;
use diesel::prelude::*;
use serde_json::{Value, json};
use studyhub::infra::crypto::Cipher;
use studyhub::infra::db::{self, schema::answers};

use crate::common::process::Served;
use crate::common::{Api, TestDb};

const KEY_A: &str = "1111111111111111111111111111111111111111111111111111111111111111";
const KEY_B: &str = "2222222222222222222222222222222222222222222222222222222222222222";
const KEY_C: &str = "3333333333333333333333333333333333333333333333333333333333333333";

/// `studyhub rotate-key` against the test's database with these keys.
fn rotate_key(url: &str, data_dir: &Path, key: &str, old: &str) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_studyhub"));
    for (k, _) in std::env::vars() {
        if k.starts_with("STUDYHUB_") || k == "DATABASE_URL" || k == "REDIS_URL" {
            c.env_remove(k);
        }
    }
    c.arg("rotate-key")
        .env("DATABASE_URL", url)
        .env("STUDYHUB_DATA_DIR", data_dir)
        .env("STUDYHUB_ENCRYPTION_KEY", key)
        .env("STUDYHUB_OLD_ENCRYPTION_KEYS", old)
        .env(
            "STUDYHUB_JWT_SECRET",
            "test-secret-test-secret-test-secret!",
        )
        .output()
        .expect("the studyhub binary runs")
}

/// Answers one question of a new session over REST; 200 means saved. Returns how many saved.
async fn play_a_session(api: &Api, token: &str, child: &str) -> usize {
    let res = api
        .post(
            &format!("/v1/learners/{child}/sessions"),
            Some(token),
            &json!({"activity_id": "math-addition-1"}),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    let sid = res.body["session_id"].as_str().unwrap().to_string();
    let mut saved = 0;
    for (seq, (q, a)) in [("q1", json!(7)), ("q2", json!("13")), ("q3", json!(1))]
        .into_iter()
        .enumerate()
    {
        let res = api
            .post(
                &format!("/v1/sessions/{sid}/answers"),
                Some(token),
                &json!({"seq": seq + 1, "question_id": q, "answer": a}),
            )
            .await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.body);
        saved += 1;
    }
    saved
}

fn stored(db: &TestDb) -> Vec<Vec<u8>> {
    let mut conn = db::establish(&db.url).unwrap();
    answers::table
        .select(answers::response)
        .load(&mut conn)
        .unwrap()
}

fn key(hex_key: &str) -> [u8; 32] {
    hex::decode(hex_key).unwrap().try_into().unwrap()
}

#[actix_web::test]
async fn keys_rotate_while_children_play() {
    let db = TestDb::new();
    let mut saved = 0;
    let (token, child) = {
        let node = Served::start(&db, &[("STUDYHUB_ENCRYPTION_KEY", KEY_A)]);
        let api = node.api();
        let (parent, child) = api.parent_with_child("Ada").await;
        for _ in 0..20 {
            saved += play_a_session(&api, &parent.access, &child).await;
        }
        (parent.access, child)
    };
    assert!(
        stored(&db)
            .iter()
            .all(|r| Cipher::new(&key(KEY_A)).is_current(r))
    );

    // The node again with key B, A kept to read; children play while the command runs.
    let node = Served::start(
        &db,
        &[
            ("STUDYHUB_ENCRYPTION_KEY", KEY_B),
            ("STUDYHUB_OLD_ENCRYPTION_KEYS", KEY_A),
        ],
    );
    let api = node.api();
    let running = Arc::new(AtomicBool::new(true));
    let (flag, url, dir) = (running.clone(), db.url.clone(), db.data_dir());
    let rotation = tokio::task::spawn_blocking(move || {
        let out = rotate_key(&url, &dir, KEY_B, KEY_A);
        flag.store(false, Ordering::SeqCst);
        out
    });
    let mut during = 0;
    while running.load(Ordering::SeqCst) {
        during += play_a_session(&api, &token, &child).await;
    }
    let out = rotation.await.unwrap();
    let said = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{said}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(said.contains("done:"), "{said}");
    assert!(during > 0, "nobody played while the key rotated");
    saved += during;
    saved += play_a_session(&api, &token, &child).await;

    // Every answer once, under B, readable with B alone.
    let only_b = Cipher::new(&key(KEY_B));
    let records = stored(&db);
    assert_eq!(records.len(), saved, "an answer was lost or doubled");
    for r in &records {
        assert!(only_b.is_current(r), "a record still names another key");
        let answer: Value = serde_json::from_slice(&only_b.decrypt(r).unwrap()).unwrap();
        assert!(!answer.is_null());
    }

    // Again: nothing left to do.
    let again = rotate_key(&db.url, &db.data_dir(), KEY_B, KEY_A);
    let said = String::from_utf8_lossy(&again.stdout).into_owned();
    assert!(
        again.status.success() && said.contains("(0 rewritten"),
        "{said}"
    );

    // A key C without B configured: the records cannot be read, so it is not done, and
    // nothing is rewritten.
    let wrong = rotate_key(&db.url, &db.data_dir(), KEY_C, KEY_A);
    let err = String::from_utf8_lossy(&wrong.stderr).into_owned();
    assert!(!wrong.status.success(), "{err}");
    assert!(err.contains("not configured"), "{err}");
    assert!(stored(&db).iter().all(|r| only_b.is_current(r)));
}
