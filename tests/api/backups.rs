//! Encrypted backups: user and system backups over HTTP (local folder and S3), rate limits,
//! pruning, the schedule (one node when several share Redis), `studyhub backup` and
//! `studyhub restore` (all or nothing, into an empty database), key rotation, and moving an
//! installation from SQLite to PostgreSQL and back, comparing every table.

use std::path::Path;
use std::process::Command;

use awc::http::StatusCode;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use serde_json::{Value, json};
use studyhub::features::backup::{self, tables};
use studyhub::infra::db::{self, Backend, schema::backup_logs};
use studyhub::{Application, RawConfig};

use crate::common::{self, Api, TestApp, TestDb, eventually, spawn_app, spawn_app_with};

const KEY_A: &str = "1111111111111111111111111111111111111111111111111111111111111111";
const KEY_B: &str = "2222222222222222222222222222222222222222222222222222222222222222";

fn addition() -> Vec<(&'static str, Value)> {
    vec![
        ("q1", json!(7)),
        ("q2", json!("13")),
        ("q3", json!(1)),
        ("q4", json!(true)),
        ("q5", json!("15")),
        ("q6", json!(9)),
        ("q7", json!("sum")),
    ]
}

fn space() -> Vec<(&'static str, Value)> {
    vec![
        ("q1", json!(8)),
        ("q2", json!("Mars")),
        ("q3", json!(true)),
        ("q4", json!("Mars")),
        ("q5", json!(false)),
        ("q6", json!("mercury")),
        ("q7", json!(365)),
    ]
}

/// A parent's notifications of one kind (`None` for callers who have none).
async fn notes(api: &Api, token: &str, kind: &str) -> Option<usize> {
    let res = api.get("/v1/notifications?limit=100", Some(token)).await;
    (res.status == StatusCode::OK).then(|| {
        res.body["notifications"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|n| n["kind"] == kind)
            .count()
    })
}

/// Plays a whole activity over REST (200 means saved), then waits until what follows a
/// completion is stored (the session, and for a child the parent's notifications).
async fn play(api: &Api, token: &str, learner: &str, activity: &str, answers: &[(&str, Value)]) {
    let done_before = notes(api, token, "activity_completed").await;
    let res = api
        .post(
            &format!("/v1/learners/{learner}/sessions"),
            Some(token),
            &json!({"activity_id": activity}),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    let sid = res.body["session_id"].as_str().unwrap().to_string();
    for (i, (q, a)) in answers.iter().enumerate() {
        let res = api
            .post(
                &format!("/v1/sessions/{sid}/answers"),
                Some(token),
                &json!({"seq": i + 1, "question_id": q, "answer": a}),
            )
            .await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    }
    eventually(5000, || async {
        api.get(&format!("/v1/sessions/{sid}"), Some(token))
            .await
            .body["status"]
            == "completed"
    })
    .await;
    if let Some(before) = done_before {
        let url = format!("/v1/learners/{learner}/achievements");
        eventually(20_000, || async {
            let unlocked = api
                .get(&url, Some(token))
                .await
                .body
                .as_array()
                .unwrap()
                .len();
            notes(api, token, "activity_completed").await == Some(before + 1)
                && notes(api, token, "achievement_unlocked").await == Some(unlocked)
        })
        .await;
    }
}

/// Waits until a backup leaves `pending`; returns its view.
async fn settled(api: &Api, token: &str, id: &str) -> Value {
    let url = format!("/v1/backups/{id}");
    // Polls (each try a real request) until it settles; bounded so a stuck backup fails.
    for _ in 0..200_000 {
        let res = api.get(&url, Some(token)).await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.body);
        if res.body["status"] != "pending" {
            return res.body;
        }
        actix_web::rt::task::yield_now().await;
    }
    panic!("backup {id} still pending");
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(bytes))
}

/// A user backup end to end on whichever store the app has.
async fn user_backup_round_trip(app: &TestApp) {
    let (parent, child) = app.parent_with_child("Bea").await;
    let tok = parent.access.as_str();
    play(app, tok, &child, "math-addition-1", &addition()).await;

    let res = app.post("/v1/backups", Some(tok), &json!({})).await;
    assert_eq!(res.status, StatusCode::ACCEPTED, "{}", res.body);
    let id = res.body["backup_id"].as_str().unwrap().to_string();
    let b = settled(app, tok, &id).await;
    assert_eq!(b["status"], "verified", "{b}");
    assert_eq!(b["kind"], "user");
    assert_eq!(b["id"], id.as_str());
    let sha = b["sha256"].as_str().unwrap();
    assert_eq!(sha.len(), 64);
    let created = chrono::DateTime::parse_from_rfc3339(b["created_at"].as_str().unwrap()).unwrap();
    let expires = chrono::DateTime::parse_from_rfc3339(b["expires_at"].as_str().unwrap()).unwrap();
    assert_eq!((expires - created).num_days(), 30);

    // The stored object is the file the log describes.
    let key = backup::object_key(backup::Kind::User, &id);
    let obj = app
        .state
        .storage
        .get(&key)
        .await
        .unwrap()
        .expect("the object");
    assert_eq!(obj.bytes.len() as i64, b["size_bytes"].as_i64().unwrap());
    assert_eq!(sha256_hex(&obj.bytes), sha);
    assert!(
        !obj.bytes.windows(3).any(|w| w == b"Bea"),
        "names are encrypted"
    );

    // Listed for its owner, invisible to anyone else.
    let list = app.get("/v1/backups", Some(tok)).await;
    assert_eq!(list.body.as_array().unwrap().len(), 1);
    let stranger = app.register("parent").await;
    assert_eq!(
        app.get(&format!("/v1/backups/{id}"), Some(&stranger.access))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get("/v1/backups", Some(&stranger.access))
            .await
            .body
            .as_array()
            .unwrap()
            .len(),
        0
    );
    assert_eq!(
        app.get("/v1/backups", None).await.status,
        StatusCode::UNAUTHORIZED
    );

    // The user backup holds that account only, and restores on its own into an empty database.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("user.shb");
    std::fs::write(&file, &obj.bytes).unwrap();
    let target = TestDb::empty();
    let mut conn = db::establish(&target.url).unwrap();
    let cipher = app.state.settings.cipher();
    let report = backup::restore_file(
        &mut conn,
        &file,
        &cipher,
        Some(sha),
        &mut |_, _| {},
        &mut |_, _| {},
    )
    .unwrap();
    let count = |t: &str| report.tables.iter().find(|x| x.0 == t).unwrap().1;
    assert_eq!(count("users"), 1);
    assert_eq!(count("learners"), 1);
    assert_eq!(count("answers"), 7);
    assert_eq!(count("activities"), 1);
    assert_eq!(
        count("refresh_tokens"),
        0,
        "no sign-in secrets in a user backup"
    );
    let emails: Vec<String> = studyhub::infra::db::schema::users::table
        .select(studyhub::infra::db::schema::users::email)
        .load(&mut conn)
        .unwrap();
    assert_eq!(emails, vec![parent.email.clone()]);
    let hashes: Vec<String> = studyhub::infra::db::schema::users::table
        .select(studyhub::infra::db::schema::users::password_hash)
        .load(&mut conn)
        .unwrap();
    assert_eq!(
        hashes,
        vec![String::new()],
        "no password hash in a user backup"
    );

    // Erasing the account deletes its backups, files included.
    let gone = app
        .client
        .delete(app.url("/v1/me"))
        .bearer_auth(tok)
        .send_json(&json!({"password": common::TEST_PASSWORD}))
        .await
        .unwrap();
    assert_eq!(gone.status(), StatusCode::NO_CONTENT);
    assert!(app.state.storage.get(&key).await.unwrap().is_none());
}

#[actix_web::test]
async fn user_backups_on_the_local_store() {
    let app = spawn_app().await;
    assert_eq!(app.state.storage.kind(), "local");
    user_backup_round_trip(&app).await;
}

#[actix_web::test]
async fn user_backups_on_s3() {
    let Ok(endpoint) = std::env::var("STUDYHUB_TEST_S3_ENDPOINT") else {
        assert!(
            std::env::var("CI").is_err(),
            "CI must set STUDYHUB_TEST_S3_ENDPOINT"
        );
        return;
    };
    let bucket = format!(
        "studyhub-bk-{}",
        &uuid::Uuid::new_v4().simple().to_string()[..12]
    );
    let app = spawn_app_with(move |c| {
        c.s3_bucket = Some(bucket);
        c.s3_endpoint = Some(endpoint);
        c.s3_region = Some("us-east-1".into());
        c.s3_path_style = true;
    })
    .await;
    assert_eq!(app.state.storage.kind(), "s3");
    user_backup_round_trip(&app).await;
}

#[actix_web::test]
async fn user_backups_are_rate_limited() {
    let app = spawn_app().await;
    let parent = app.register("parent").await;
    let tok = parent.access.as_str();
    // One pending at a time: a second request while one runs is refused.
    {
        let mut conn = db::establish(&app.db.url).unwrap();
        backup::log_pending(
            &mut conn,
            &uuid::Uuid::now_v7().to_string(),
            backup::Kind::User,
            Some(&parent.id),
            studyhub::infra::time::now(),
        )
        .unwrap();
    }
    let res = app.post("/v1/backups", Some(tok), &json!({})).await;
    assert_eq!(res.status, StatusCode::TOO_MANY_REQUESTS, "{}", res.body);
    assert!(res.headers.get("retry-after").is_some());
    {
        let mut conn = db::establish(&app.db.url).unwrap();
        diesel::delete(backup_logs::table)
            .execute(&mut conn)
            .unwrap();
    }
    // Three a day.
    for _ in 0..backup::USER_PER_DAY {
        let res = app.post("/v1/backups", Some(tok), &json!({})).await;
        assert_eq!(res.status, StatusCode::ACCEPTED, "{}", res.body);
        let id = res.body["backup_id"].as_str().unwrap().to_string();
        assert_eq!(settled(&app, tok, &id).await["status"], "verified");
    }
    let res = app.post("/v1/backups", Some(tok), &json!({})).await;
    assert_eq!(res.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(res.code(), "rate_limited");
    let wait: u64 = res
        .headers
        .get("retry-after")
        .unwrap()
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(wait > 23 * 3600 && wait <= 24 * 3600, "{wait}");
}

#[actix_web::test]
async fn expired_backups_are_pruned_objects_and_rows() {
    let app = spawn_app().await;
    let parent = app.register("parent").await;
    let tok = parent.access.as_str();
    let id = app.post("/v1/backups", Some(tok), &json!({})).await.body["backup_id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(settled(&app, tok, &id).await["status"], "verified");
    let key = backup::object_key(backup::Kind::User, &id);
    assert!(app.state.storage.get(&key).await.unwrap().is_some());
    // Not yet expired: nothing goes.
    assert_eq!(
        backup::prune(app.state.db.pool(), &app.state.storage)
            .await
            .unwrap(),
        0
    );
    {
        let mut conn = db::establish(&app.db.url).unwrap();
        diesel::update(backup_logs::table.find(&id))
            .set(
                backup_logs::expires_at
                    .eq(studyhub::infra::time::now() - chrono::Duration::seconds(1)),
            )
            .execute(&mut conn)
            .unwrap();
    }
    assert_eq!(
        backup::prune(app.state.db.pool(), &app.state.storage)
            .await
            .unwrap(),
        1
    );
    assert!(app.state.storage.get(&key).await.unwrap().is_none());
    assert_eq!(
        app.get(&format!("/v1/backups/{id}"), Some(tok))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

/// The `studyhub` binary with a configuration of its own (no file, no inherited settings).
fn cli(data_dir: &Path, database_url: &str, key: &str, old_keys: Option<&str>) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_studyhub"));
    for (k, _) in std::env::vars() {
        if k.starts_with("STUDYHUB_") || ["DATABASE_URL", "REDIS_URL", "PORT"].contains(&k.as_str())
        {
            c.env_remove(k);
        }
    }
    c.current_dir(data_dir)
        .env("DATABASE_URL", database_url)
        .env("STUDYHUB_DATA_DIR", data_dir)
        .env("STUDYHUB_ENCRYPTION_KEY", key)
        .env(
            "STUDYHUB_JWT_SECRET",
            "test-secret-test-secret-test-secret!",
        )
        .env("STUDYHUB_SEED_DEMO", "false")
        .env("RUST_LOG", "warn");
    if let Some(old) = old_keys {
        c.env("STUDYHUB_ENCRYPTION_KEYS_OLD", old);
    }
    c
}

fn run_ok(mut c: Command) -> String {
    let out = c.output().unwrap();
    assert!(
        out.status.success(),
        "{:?} failed: {}{}",
        c,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn run_err(mut c: Command) -> String {
    let out = c.output().unwrap();
    assert!(!out.status.success(), "{c:?} should have failed");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Every table of a database, rows as JSON, timestamps to the microsecond (PostgreSQL's
/// precision), without the listed backup log rows.
fn dump(url: &str, skip_backups: &[&str]) -> Vec<(String, Vec<Value>)> {
    let mut conn = db::establish(url).unwrap();
    let mut all = tables::dump_json(&mut conn).unwrap();
    for (name, rows) in &mut all {
        if name == "backup_logs" {
            rows.retain(|r| !skip_backups.contains(&r["id"].as_str().unwrap()));
        }
        for r in rows.iter_mut() {
            for v in r.as_object_mut().unwrap().values_mut() {
                if let Some(s) = v.as_str()
                    && let Ok(t) = chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f")
                {
                    *v = json!(t.format("%Y-%m-%dT%H:%M:%S%.6f").to_string());
                }
            }
        }
    }
    all
}

fn assert_same(a: &[(String, Vec<Value>)], b: &[(String, Vec<Value>)]) {
    assert_eq!(a.len(), b.len());
    for ((ta, ra), (tb, rb)) in a.iter().zip(b) {
        assert_eq!(ta, tb);
        assert_eq!(ra.len(), rb.len(), "rows of {ta}");
        for (x, y) in ra.iter().zip(rb) {
            assert_eq!(x, y, "a row of {ta}");
        }
    }
}

fn rows_in(d: &[(String, Vec<Value>)], table: &str) -> usize {
    d.iter().find(|t| t.0 == table).unwrap().1.len()
}

/// Whether a database has no tables of ours at all (a failed restore left nothing behind).
fn has_no_tables(url: &str) -> bool {
    let mut conn = db::establish(url).unwrap();
    #[derive(QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let sql = match Backend::of_url(url) {
        Backend::Sqlite => {
            "SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'table' AND name = 'users'"
        }
        Backend::Postgres => {
            "SELECT COUNT(*) AS n FROM information_schema.tables WHERE table_schema = 'public' AND table_name = 'users'"
        }
    };
    diesel::sql_query(sql).get_result::<N>(&mut conn).unwrap().n == 0
}

#[actix_web::test]
async fn system_backup_by_an_admin_restores_with_the_cli_and_bad_input_changes_nothing() {
    let app = spawn_app().await;
    let (parent, child) = app.parent_with_child("Cal").await;
    play(&app, &parent.access, &child, "math-addition-1", &addition()).await;
    app.state
        .engine
        .drain(std::time::Duration::from_secs(10))
        .await;
    let admin = app.admin().await;
    let res = app
        .post("/v1/backups", Some(&admin.access), &json!({}))
        .await;
    assert_eq!(res.status, StatusCode::ACCEPTED, "{}", res.body);
    let id = res.body["backup_id"].as_str().unwrap().to_string();
    let b = settled(&app, &admin.access, &id).await;
    assert_eq!(b["status"], "verified", "{b}");
    assert_eq!(b["kind"], "system");
    // Parents do not see system backups.
    assert_eq!(
        app.get(&format!("/v1/backups/{id}"), Some(&parent.access))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let data_dir = app.db.data_dir();

    // By id from the object store, into an empty database of the same backend.
    let target = TestDb::empty();
    let out = cli(&data_dir, &target.url, KEY_A, None)
        .args(["restore", &id])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("answers"), "a summary per table: {stderr}");
    let source = dump(&app.db.url, &[&id]);
    let restored = dump(&target.url, &[]);
    assert!(rows_in(&restored, "answers") >= 7);
    assert_same(&source, &restored);

    // The restored database is not empty any more: a second restore is refused, unchanged.
    let err = run_err({
        let mut c = cli(&data_dir, &target.url, KEY_A, None);
        c.args(["restore", &id]);
        c
    });
    assert!(err.contains("not empty"), "{err}");
    assert_same(&dump(&target.url, &[]), &restored);

    // A file: wrong key, truncated, altered, wrong checksum: clear messages, nothing written.
    let file = data_dir.join("system.shb");
    let obj = app
        .state
        .storage
        .get(&backup::object_key(backup::Kind::System, &id))
        .await
        .unwrap()
        .unwrap();
    std::fs::write(&file, &obj.bytes).unwrap();
    let empty = TestDb::empty();
    let attempt = |f: &Path, key: &str, extra: &[&str]| {
        let mut c = cli(&data_dir, &empty.url, key, None);
        c.arg("restore").arg(f).args(extra);
        run_err(c)
    };
    let err = attempt(&file, KEY_B, &[]);
    assert!(
        err.contains("STUDYHUB_ENCRYPTION_KEYS_OLD") && err.contains("unchanged"),
        "{err}"
    );
    let cut = data_dir.join("cut.shb");
    std::fs::write(&cut, &obj.bytes[..obj.bytes.len() - 100]).unwrap();
    assert!(attempt(&cut, KEY_A, &[]).contains("truncated"));
    let altered = data_dir.join("altered.shb");
    let mut bytes = obj.bytes.to_vec();
    let at = bytes.len() - 200;
    bytes[at] ^= 1;
    std::fs::write(&altered, &bytes).unwrap();
    assert!(attempt(&altered, KEY_A, &[]).contains("altered"));
    let err = attempt(&file, KEY_A, &["--sha256", &"0".repeat(64)]);
    assert!(err.contains("SHA-256"), "{err}");
    assert!(
        has_no_tables(&empty.url),
        "a failed restore leaves the database as it was"
    );
    // And the right key with the file works.
    let mut c = cli(&data_dir, &empty.url, KEY_A, None);
    c.arg("restore")
        .arg(&file)
        .args(["--sha256", b["sha256"].as_str().unwrap()]);
    run_ok(c);
    assert_same(&source, &dump(&empty.url, &[]));
}

#[actix_web::test]
async fn key_rotation_keeps_old_answers_and_backups_readable() {
    let db = TestDb::new();
    let raw_a = common::test_config(&db);
    let app_a = start(raw_a.clone()).await;
    let (parent, child) = app_a.0.parent_with_child("Dee").await;
    play(
        &app_a.0,
        &parent.access,
        &child,
        "science-space-1",
        &space(),
    )
    .await;
    let data_dir = db.data_dir();
    let file = data_dir.join("before.shb");
    let (_, report) = backup::backup_to_file(
        app_a.1.db.pool(),
        &app_a.1.settings.cipher(),
        &file,
        &mut |_| {},
    )
    .unwrap();
    let key_a_id = studyhub::infra::crypto::key_id(&[0x11; 32]);
    assert_eq!(report.header.key_id, key_a_id);

    // Rotate: a new key, the old one kept for reading.
    let mut raw_b = raw_a.clone();
    raw_b.encryption_key = Some(KEY_B.into());
    raw_b.encryption_keys_old = Some(KEY_A.into());
    let app_b = start(raw_b.clone()).await;
    let login = app_b
        .0
        .post(
            "/v1/auth/login",
            None,
            &json!({"email": parent.email, "password": common::TEST_PASSWORD}),
        )
        .await;
    let tok = login.body["access_token"].as_str().unwrap().to_string();
    let export = app_b.0.get("/v1/me/export", Some(&tok)).await;
    let answers = &export.body["learners"][0]["sessions"][0]["answers"];
    assert_eq!(
        answers[1]["answer"],
        "Mars",
        "old answers still decrypt: {export:?}",
        export = export.body
    );
    // New answers are written with the new key, and both read back.
    play(&app_b.0, &tok, &child, "math-addition-1", &addition()).await;
    let export = app_b.0.get("/v1/me/export", Some(&tok)).await;
    let sessions = export.body["learners"][0]["sessions"].as_array().unwrap();
    assert_eq!(sessions.len(), 2);
    assert!(sessions.iter().all(|s| {
        s["answers"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| !a["answer"].is_null())
    }));

    // The old backup restores with the old key kept; not with the new key alone.
    let t1 = TestDb::empty();
    let err = run_err({
        let mut c = cli(&data_dir, &t1.url, KEY_B, None);
        c.arg("restore").arg(&file);
        c
    });
    assert!(err.contains(&key_a_id), "{err}");
    let mut c = cli(&data_dir, &t1.url, KEY_B, Some(KEY_A));
    c.arg("restore").arg(&file);
    run_ok(c);
    // A backup taken after the rotation carries the new key's id.
    let out = data_dir.join("after.shb");
    let (_, report) = backup::backup_to_file(
        app_b.1.db.pool(),
        &app_b.1.settings.cipher(),
        &out,
        &mut |_| {},
    )
    .unwrap();
    assert_eq!(
        report.header.key_id,
        studyhub::infra::crypto::key_id(&[0x22; 32])
    );
}

/// A server on a configuration of the test's choosing.
async fn start(raw: RawConfig) -> (Api, actix_web::web::Data<studyhub::web::state::AppState>) {
    let app = Application::build(raw.resolve().unwrap())
        .await
        .expect("server starts");
    let port = app.port();
    let state = app.state();
    actix_web::rt::spawn(app.run_until_stopped());
    (Api::new(port), state)
}

fn config(url: &str, data_dir: &Path) -> RawConfig {
    RawConfig {
        bind: "127.0.0.1:0".into(),
        data_dir: data_dir.to_path_buf(),
        database_url: Some(url.to_string()),
        database_pool_size: 4,
        jwt_secret: Some("test-secret-test-secret-test-secret!".into()),
        encryption_key: Some(KEY_A.into()),
        bcrypt_cost: 4,
        workers: Some(1),
        ..RawConfig::default()
    }
}

#[actix_web::test]
async fn the_schedule_takes_one_system_backup_per_period_across_nodes() {
    let redis = std::env::var("STUDYHUB_TEST_REDIS_URL").ok();
    let db = TestDb::new();
    let mut raw = common::test_config(&db);
    raw.backup_interval_secs = 2;
    raw.redis_url = redis.clone();
    raw.redis_prefix = format!("bk{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
    let (api, _state) = start(raw.clone()).await;
    // A second node on the same database (and Redis, when there is one).
    let nodes = if redis.is_some() {
        vec![start(raw.clone()).await]
    } else {
        Vec::new()
    };
    let url = db.url.clone();
    let system = move || -> Vec<(String, String, chrono::NaiveDateTime)> {
        let mut conn = db::establish(&url).unwrap();
        backup_logs::table
            .filter(backup_logs::scope.eq("system"))
            .order(backup_logs::created_at.asc())
            .select((
                backup_logs::id,
                backup_logs::status,
                backup_logs::created_at,
            ))
            .load(&mut conn)
            .unwrap()
    };
    eventually(500_000, || {
        let system = system.clone();
        async move {
            actix_web::rt::task::yield_now().await;
            system().iter().any(|b| b.1 == "verified")
        }
    })
    .await;
    let taken = system();
    // One backup for the first period, whichever node took it; later ones a period apart.
    assert!(taken.iter().all(|b| b.1 != "failed"), "{taken:?}");
    for w in taken.windows(2) {
        assert!(
            (w[1].2 - w[0].2).num_milliseconds() >= 1900,
            "two backups in one period: {taken:?}"
        );
    }
    drop(nodes);
    let _ = api;
}

/// A PostgreSQL server the move test may create databases on.
fn pg_admin() -> Option<String> {
    ["STUDYHUB_TEST_POSTGRES_URL", "STUDYHUB_TEST_DATABASE_URL"]
        .iter()
        .filter_map(|v| std::env::var(v).ok())
        .find(|u| Backend::of_url(u) == Backend::Postgres)
}

/// A new, empty PostgreSQL database, dropped at the end.
struct PgDb {
    admin: String,
    name: String,
    url: String,
}

impl PgDb {
    fn new(admin: &str) -> Self {
        let name = format!("studyhub_mv_{}", uuid::Uuid::new_v4().simple());
        let mut c = PgConnection::establish(admin).unwrap();
        c.batch_execute(&format!("CREATE DATABASE {name}")).unwrap();
        let (base, _) = admin.rsplit_once('/').unwrap();
        PgDb {
            admin: admin.to_string(),
            url: format!("{base}/{name}"),
            name,
        }
    }
}

impl Drop for PgDb {
    fn drop(&mut self) {
        if let Ok(mut c) = PgConnection::establish(&self.admin) {
            let _ = c.batch_execute(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ));
        }
    }
}

/// Families, a class, time granted, activities played: something of every kind.
async fn populate(api: &Api) -> (common::Account, String) {
    let (parent, child) = api.parent_with_child("Moe").await;
    play(api, &parent.access, &child, "math-addition-1", &addition()).await;
    let teacher = api.register("teacher").await;
    let class = api
        .post(
            "/v1/classes",
            Some(&teacher.access),
            &json!({"name": "Class 2B", "subject": "math"}),
        )
        .await;
    assert_eq!(class.status, StatusCode::CREATED, "{}", class.body);
    let res = api
        .post(
            &format!("/v1/children/{child}/classes"),
            Some(&parent.access),
            &json!({"join_code": class.body["join_code"]}),
        )
        .await;
    assert!(res.status.is_success(), "{}", res.body);
    let res = api
        .post(
            &format!("/v1/children/{child}/screen-time/grant"),
            Some(&parent.access),
            &json!({"seconds": 600}),
        )
        .await;
    assert!(res.status.is_success(), "{}", res.body);
    // A pupil without an email: the pupils table moves too.
    let class_id = class.body["id"].as_str().unwrap();
    let res = api
        .post(
            &format!("/v1/classes/{class_id}/students"),
            Some(&teacher.access),
            &json!({"name": "Pip"}),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    let student = api.register("student").await;
    let me = api.get("/v1/auth/me", Some(&student.access)).await;
    let learner = me.body["learner"]["id"].as_str().unwrap().to_string();
    play(api, &student.access, &learner, "science-space-1", &space()).await;
    (parent, child)
}

async fn log_in_and_play(api: &Api, email: &str, child: &str) {
    let login = api
        .post(
            "/v1/auth/login",
            None,
            &json!({"email": email, "password": common::TEST_PASSWORD}),
        )
        .await;
    assert_eq!(login.status, StatusCode::OK, "{}", login.body);
    let tok = login.body["access_token"].as_str().unwrap();
    let export = api.get("/v1/me/export", Some(tok)).await;
    assert_eq!(
        export.body["learners"][0]["sessions"][0]["answers"][1]["answer"], "13",
        "answers moved and still decrypt"
    );
    play(api, tok, child, "science-space-1", &space()).await;
    let progress = api
        .get(&format!("/v1/learners/{child}/progress"), Some(tok))
        .await;
    assert_eq!(
        progress.body["activities_completed"], 2,
        "{}",
        progress.body
    );
}

#[actix_web::test]
async fn an_installation_moves_from_sqlite_to_postgres_and_back() {
    let Some(admin) = pg_admin() else {
        assert!(
            std::env::var("CI").is_err(),
            "CI must set STUDYHUB_TEST_POSTGRES_URL (or STUDYHUB_TEST_DATABASE_URL)"
        );
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let lite = dir.path().join("laptop.db").to_string_lossy().into_owned();
    let (api, state) = start(config(&lite, dir.path())).await;
    let (parent, child) = populate(&api).await;
    state.engine.drain(std::time::Duration::from_secs(10)).await;

    // SQLite → PostgreSQL with the command line.
    let file = dir.path().join("move.shb");
    let id = run_ok({
        let mut c = cli(dir.path(), &lite, KEY_A, None);
        c.arg("backup").arg("--out").arg(&file);
        c
    });
    assert_eq!(id.trim().len(), 36, "prints the backup id: {id}");
    let pg = PgDb::new(&admin);
    run_ok({
        let mut c = cli(dir.path(), &pg.url, KEY_A, None);
        c.arg("restore").arg(&file);
        c
    });
    let on_sqlite = dump(&lite, &[]);
    let on_pg = dump(&pg.url, &[]);
    for t in [
        "users",
        "refresh_tokens",
        "learners",
        "learner_settings",
        "activities",
        "activity_sessions",
        "answers",
        "achievements",
        "daily_progress",
        "screen_time_grants",
        "classes",
        "class_members",
        "pupils",
    ] {
        assert!(rows_in(&on_sqlite, t) > 0, "{t} has rows to move");
    }
    assert_same(&on_sqlite, &on_pg);

    // The server runs on the result: sign in and play on.
    let pg_dir = tempfile::tempdir().unwrap();
    let (api_pg, state_pg) = start(config(&pg.url, pg_dir.path())).await;
    log_in_and_play(&api_pg, &parent.email, &child).await;
    state_pg
        .engine
        .drain(std::time::Duration::from_secs(10))
        .await;

    // And back: PostgreSQL → a new SQLite file.
    let back = pg_dir.path().join("back.shb");
    run_ok({
        let mut c = cli(pg_dir.path(), &pg.url, KEY_A, None);
        c.arg("backup").arg("--out").arg(&back);
        c
    });
    let lite2 = pg_dir
        .path()
        .join("again.db")
        .to_string_lossy()
        .into_owned();
    // Restore asks for an existing database: for SQLite, an empty file.
    std::fs::File::create(&lite2).unwrap();
    run_ok({
        let mut c = cli(pg_dir.path(), &lite2, KEY_A, None);
        c.arg("restore").arg(&back);
        c
    });
    assert_same(&dump(&pg.url, &[]), &dump(&lite2, &[]));
    let lite_dir = tempfile::tempdir().unwrap();
    let (api_lite, _) = start(config(&lite2, lite_dir.path())).await;
    let login = api_lite
        .post(
            "/v1/auth/login",
            None,
            &json!({"email": parent.email, "password": common::TEST_PASSWORD}),
        )
        .await;
    assert_eq!(login.status, StatusCode::OK);
    let tok = login.body["access_token"].as_str().unwrap();
    play(&api_lite, tok, &child, "math-addition-1", &addition()).await;
}

const PNG: &[u8] =
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00";

async fn upload_drawing(app: &TestApp, token: &str, learner: &str) -> String {
    let boundary = "bkboundary";
    let mut body = Vec::new();
    for (name, file, data) in [
        ("title", None, &b"Rocket"[..]),
        ("category", None, &b"space"[..]),
        ("image", Some("r.png"), PNG),
    ] {
        body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        match file {
            Some(f) => body.extend_from_slice(format!("Content-Disposition: form-data; name=\"{name}\"; filename=\"{f}\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes()),
            None => body.extend_from_slice(format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes()),
        }
        body.extend_from_slice(data);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    let mut res = app
        .client
        .post(app.url(&format!("/v1/learners/{learner}/drawings")))
        .bearer_auth(token)
        .insert_header((
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        ))
        .send_body(body)
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let v: Value = serde_json::from_slice(&res.body().await.unwrap()).unwrap();
    v["id"].as_str().unwrap().to_string()
}

async fn import(api: &Api, token: &str, body: &[u8], content_type: &str) -> common::Response {
    let mut res = api
        .client
        .post(api.url("/v1/me/import"))
        .bearer_auth(token)
        .insert_header(("content-type", content_type))
        .send_body(body.to_vec())
        .await
        .unwrap();
    let raw = res.body().limit(1 << 20).await.unwrap().to_vec();
    common::Response {
        status: res.status(),
        headers: res.headers().clone(),
        body: serde_json::from_slice(&raw).unwrap_or(Value::Null),
        raw,
    }
}

#[actix_web::test]
async fn an_export_imports_into_another_installation_once() {
    let there = spawn_app().await;
    let (parent, child) = there.parent_with_child("Ivy").await;
    play(&there, &parent.access, &child, "science-space-1", &space()).await;
    upload_drawing(&there, &parent.access, &child).await;
    let export = there.get("/v1/me/export", Some(&parent.access)).await;
    assert_eq!(export.status, StatusCode::OK);
    let drawing = &export.body["learners"][0]["drawings"][0];
    assert_eq!(drawing["content_type"], "image/png");
    assert!(
        drawing["image_base64"].is_string(),
        "the export carries the image: {drawing}"
    );
    assert!(drawing.get("_object_key").is_none());

    let here = spawn_app_with(|c| c.encryption_key = Some(KEY_B.into())).await;
    let me = here.register("parent").await;
    let tok = me.access.as_str();
    let file = serde_json::to_vec(&export.body).unwrap();
    let res = import(&here, tok, &file, "application/json").await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let created = &res.body["created"];
    assert_eq!(created["learners"], 1, "{}", res.body);
    assert_eq!(created["sessions"], 1);
    assert_eq!(created["answers"], 7);
    assert_eq!(created["drawings"], 1);
    assert!(created["notifications"].as_u64().unwrap() >= 1);

    // Everything is there under the new account, with new ids, answers readable here.
    let mine = here.get("/v1/me/export", Some(tok)).await.body;
    let kid = &mine["learners"][0];
    assert_eq!(kid["learner"]["name"], "Ivy");
    assert_ne!(kid["learner"]["id"], child.as_str());
    let answers = kid["sessions"][0]["answers"].as_array().unwrap();
    assert_eq!(answers.len(), 7);
    assert_eq!(answers[1]["answer"], "Mars");
    let pic = kid["drawings"][0]["id"].as_str().unwrap();
    let img = here
        .get(&format!("/v1/drawings/{pic}/image"), Some(tok))
        .await;
    assert_eq!(img.status, StatusCode::OK);
    assert_eq!(img.raw, PNG);
    let progress = here
        .get(
            &format!(
                "/v1/learners/{}/progress",
                kid["learner"]["id"].as_str().unwrap()
            ),
            Some(tok),
        )
        .await;
    assert_eq!(
        progress.body["activities_completed"], 1,
        "{}",
        progress.body
    );

    // A second import of the same file creates nothing.
    let again = import(&here, tok, &file, "application/json").await;
    assert_eq!(again.status, StatusCode::OK);
    assert!(
        again.body["created"]
            .as_object()
            .unwrap()
            .values()
            .all(|v| v == 0),
        "{}",
        again.body
    );
    assert_eq!(
        here.get("/v1/children", Some(tok))
            .await
            .body
            .as_array()
            .unwrap()
            .len(),
        1
    );

    // Not an export, not JSON, an admin: refused.
    let res = import(&here, tok, b"{\"hello\": 1}", "application/json").await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    let res = import(&here, tok, &file, "text/plain").await;
    assert_eq!(res.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let admin = here.admin().await;
    let res = import(&here, &admin.access, &file, "application/json").await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
}

/// Every table the migrations create is in a backup (schema.rs and the backup's list are
/// checked against each other by a unit test; this checks them against the database).
#[actix_web::test]
async fn every_table_of_the_database_is_backed_up() {
    let app = spawn_app().await;
    let mut conn = db::establish(&app.db.url).unwrap();
    #[derive(QueryableByName)]
    struct T {
        #[diesel(sql_type = diesel::sql_types::Text)]
        name: String,
    }
    let sql = match app.db.backend {
        Backend::Sqlite => {
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        }
        Backend::Postgres => {
            "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public'"
        }
    };
    let mut found: Vec<String> = diesel::sql_query(sql)
        .load::<T>(&mut conn)
        .unwrap()
        .into_iter()
        .map(|t| t.name)
        .filter(|n| n != "__diesel_schema_migrations")
        .collect();
    found.sort();
    let mut listed: Vec<String> = tables::TABLES.iter().map(|t| t.to_string()).collect();
    listed.sort();
    assert_eq!(
        found, listed,
        "tables in the database vs tables in a backup"
    );
}

/// `backup` and `restore` run from the wrong folder, or with a mistyped database, refuse it
/// instead of creating an empty database and reporting a backup of nothing.
#[test]
fn backup_and_restore_refuse_a_database_that_does_not_exist() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-such.db");
    let url = missing.to_string_lossy().into_owned();
    let err = run_err({
        let mut c = cli(dir.path(), &url, KEY_A, None);
        c.args(["backup", "--out"]).arg(dir.path().join("b.shb"));
        c
    });
    assert!(err.contains("does not exist"), "{err}");
    let err = run_err({
        let mut c = cli(dir.path(), &url, KEY_A, None);
        c.args(["restore", "some-id"]);
        c
    });
    assert!(err.contains("does not exist"), "{err}");
    assert!(!missing.exists(), "no database was created");
    assert!(!dir.path().join("b.shb").exists(), "no backup was written");

    // A database studyhub never set up holds nothing to back up.
    let blank = dir.path().join("blank.db");
    std::fs::File::create(&blank).unwrap();
    let err = run_err({
        let mut c = cli(dir.path(), &blank.to_string_lossy(), KEY_A, None);
        c.args(["backup", "--out"]).arg(dir.path().join("b.shb"));
        c
    });
    assert!(err.contains("holds no studyhub data"), "{err}");
}
