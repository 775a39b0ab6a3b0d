//! Test harness: every test gets its own real server on port 0 and its own fresh database.
//!
//! The backend comes from `STUDYHUB_TEST_DATABASE_URL`: unset, each test gets a temporary
//! SQLite file; set to a Postgres URL (of a database the test may create databases from,
//! e.g. `postgres://postgres@127.0.0.1:5432/postgres`), each test gets a new Postgres
//! database cloned from a migrated template, dropped again when the test ends.

#![allow(dead_code)]

pub mod nginx;
pub mod players;
pub mod process;
pub mod proxy;
pub mod rest_play;
pub mod smtp;
pub mod wait;

use std::sync::OnceLock;

use awc::http::StatusCode;
use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection, RunQueryDsl};
use serde_json::{Value, json};
use studyhub::infra::db::{self, Backend};
use studyhub::{Application, RawConfig};
use tempfile::TempDir;

/// The JWT secret of every test server, in-process or a child process.
pub const JWT_SECRET: &str = "test-secret-test-secret-test-secret!";
pub const TEST_PASSWORD: &str = "correct horse battery";

/// A database for one test.
pub struct TestDb {
    pub url: String,
    pub backend: Backend,
    pg_admin: Option<(String, String)>,
    _dir: TempDir,
}

/// The PostgreSQL the tests use (`STUDYHUB_TEST_DATABASE_URL`), if they use one.
pub fn admin_url() -> Option<String> {
    std::env::var("STUDYHUB_TEST_DATABASE_URL")
        .ok()
        .filter(|s| !s.trim().is_empty())
        .map(|url| without_tls(&url))
}

/// Tests talk to a PostgreSQL on loopback: no TLS. (With TLS, libpq's OpenSSL clean-up at
/// process exit can race the pool threads of servers still running, and the test binary
/// sometimes died with SIGSEGV after every test had passed.)
pub fn without_tls(url: &str) -> String {
    if url.contains("sslmode=") {
        url.to_string()
    } else if url.contains('?') {
        format!("{url}&sslmode=disable")
    } else {
        format!("{url}?sslmode=disable")
    }
}

fn with_db(admin: &str, name: &str) -> String {
    let (path, query) = admin.split_once('?').unwrap_or((admin, ""));
    let (base, _) = path
        .rsplit_once('/')
        .expect("a Postgres URL with a database name");
    if query.is_empty() {
        format!("{base}/{name}")
    } else {
        format!("{base}/{name}?{query}")
    }
}

/// The migrated template, named after the migrations' content so a changed migration gets
/// a new template. Created once, under an advisory lock (test binaries run in parallel).
fn pg_template(admin: &str) -> String {
    static TEMPLATE: OnceLock<String> = OnceLock::new();
    TEMPLATE
        .get_or_init(|| {
            use sha2::{Digest, Sha256};
            let mut hasher = Sha256::new();
            let mut entries: Vec<_> = walk("migrations/postgres");
            entries.sort();
            for path in entries {
                hasher.update(path.as_bytes());
                hasher.update(std::fs::read(&path).unwrap());
            }
            let name = format!("studyhub_tpl_{}", &hex::encode(hasher.finalize())[..16]);
            let mut admin_conn = PgConnection::establish(admin).expect("connect to Postgres");
            admin_conn
                .batch_execute("SELECT pg_advisory_lock(727274)")
                .unwrap();
            let exists: bool = diesel::select(diesel::dsl::sql::<diesel::sql_types::Bool>(
                &format!("EXISTS (SELECT 1 FROM pg_database WHERE datname = '{name}')"),
            ))
            .get_result(&mut admin_conn)
            .unwrap();
            if !exists {
                admin_conn
                    .batch_execute(&format!("CREATE DATABASE {name}"))
                    .unwrap();
                let mut c = db::establish(&with_db(admin, &name)).unwrap();
                db::run_migrations(&mut c).unwrap();
            }
            admin_conn
                .batch_execute("SELECT pg_advisory_unlock(727274)")
                .unwrap();
            name
        })
        .clone()
}

fn walk(dir: &str) -> Vec<String> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(p.to_str().unwrap()));
        } else {
            out.push(p.to_string_lossy().into_owned());
        }
    }
    out
}

impl TestDb {
    /// A fresh, migrated database (empty SQLite file: the server migrates it at start).
    pub fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        match admin_url() {
            None => TestDb {
                url: dir.path().join("test.db").to_string_lossy().into_owned(),
                backend: Backend::Sqlite,
                pg_admin: None,
                _dir: dir,
            },
            Some(admin) => {
                let template = pg_template(&admin);
                let name = format!("studyhub_t_{}", uuid::Uuid::new_v4().simple());
                let mut c = PgConnection::establish(&admin).expect("connect to Postgres");
                c.batch_execute(&format!("CREATE DATABASE {name} TEMPLATE {template}"))
                    .unwrap();
                TestDb {
                    url: with_db(&admin, &name),
                    backend: Backend::Postgres,
                    pg_admin: Some((admin, name)),
                    _dir: dir,
                }
            }
        }
    }

    /// A fresh database with nothing applied (for the migration round trip).
    pub fn empty() -> Self {
        let dir = tempfile::tempdir().unwrap();
        match admin_url() {
            None => TestDb {
                // An empty file: an existing database with nothing in it.
                url: {
                    let path = dir.path().join("empty.db");
                    std::fs::File::create(&path).unwrap();
                    path.to_string_lossy().into_owned()
                },
                backend: Backend::Sqlite,
                pg_admin: None,
                _dir: dir,
            },
            Some(admin) => {
                let name = format!("studyhub_t_{}", uuid::Uuid::new_v4().simple());
                let mut c = PgConnection::establish(&admin).unwrap();
                c.batch_execute(&format!("CREATE DATABASE {name}")).unwrap();
                TestDb {
                    url: with_db(&admin, &name),
                    backend: Backend::Postgres,
                    pg_admin: Some((admin, name)),
                    _dir: dir,
                }
            }
        }
    }

    pub fn data_dir(&self) -> std::path::PathBuf {
        self._dir.path().to_path_buf()
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some((admin, name)) = &self.pg_admin
            && let Ok(mut c) = PgConnection::establish(admin)
        {
            let _ = c.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
        }
    }
}

/// Talks to one server over HTTP and websockets.
pub struct Api {
    pub address: String,
    pub port: u16,
    pub client: awc::Client,
}

impl Api {
    pub fn new(port: u16) -> Self {
        Api {
            address: format!("http://127.0.0.1:{port}"),
            port,
            client: awc::Client::builder()
                .timeout(std::time::Duration::from_secs(30))
                .finish(),
        }
    }
}

pub struct TestApp {
    pub api: Api,
    pub db: TestDb,
    pub state: actix_web::web::Data<studyhub::web::state::AppState>,
}

impl std::ops::Deref for TestApp {
    type Target = Api;
    fn deref(&self) -> &Api {
        &self.api
    }
}

/// `TEST_LOG=1` (any value) shows the servers' logs, filtered by `RUST_LOG` (default `info`).
fn init_test_log() {
    static ONCE: OnceLock<()> = OnceLock::new();
    ONCE.get_or_init(|| {
        if std::env::var_os("TEST_LOG").is_some() {
            studyhub::infra::telemetry::init("pretty");
        }
    });
}

pub fn test_config(db: &TestDb) -> RawConfig {
    init_test_log();
    RawConfig {
        bind: "127.0.0.1:0".into(),
        data_dir: db.data_dir(),
        database_url: Some(db.url.clone()),
        database_pool_size: 4,
        jwt_secret: Some(JWT_SECRET.into()),
        encryption_key: Some("11".repeat(32)),
        bcrypt_cost: 4,
        workers: Some(1),
        // Tests register many accounts from one address; `hostile` tests the real limit.
        register_limit_per_hour: 1_000,
        // Tests drive hundreds of calls a second from one address and one account;
        // `security::one_account_past_its_budget…` tests the budget itself.
        rest_budget_per_sec: 10_000,
        rest_budget_burst: 100_000,
        rest_budget_anonymous_per_sec: 10_000,
        rest_budget_anonymous_burst: 100_000,
        // Dozens of debug servers share two cores here, so a worker often runs late and a
        // commit is slow; the engine's tests cover both refusals.
        busy_after_lag_ms: 3_600_000,
        flush_max_wait_ms: 3_600_000,
        ..RawConfig::default()
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

pub async fn spawn_app_with(customize: impl FnOnce(&mut RawConfig)) -> TestApp {
    let db = TestDb::new();
    let mut raw = test_config(&db);
    customize(&mut raw);
    let app = Application::build(raw.resolve().unwrap())
        .await
        .expect("server starts");
    let port = app.port();
    let state = app.state();
    actix_web::rt::spawn(app.run_until_stopped());
    TestApp {
        api: Api::new(port),
        db,
        state,
    }
}

/// An account made through the API.
pub struct Account {
    pub id: String,
    pub email: String,
    pub access: String,
    pub refresh: String,
    pub body: Value,
}

pub struct Response {
    pub status: StatusCode,
    pub headers: awc::http::header::HeaderMap,
    pub body: Value,
    pub raw: Vec<u8>,
}

impl Response {
    /// The contract's error code, for error responses.
    pub fn code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or("")
    }
}

impl Api {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    async fn finish(
        mut res: awc::ClientResponse<
            impl futures_util::Stream<Item = Result<actix_web::web::Bytes, awc::error::PayloadError>>
            + Unpin,
        >,
    ) -> Response {
        let raw = res.body().limit(16 * 1024 * 1024).await.unwrap().to_vec();
        let body = serde_json::from_slice(&raw).unwrap_or(Value::Null);
        Response {
            status: res.status(),
            headers: res.headers().clone(),
            body,
            raw,
        }
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: &Value) -> Response {
        let mut req = self.client.post(self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        Self::finish(req.send_json(body).await.unwrap()).await
    }

    pub async fn post_raw(
        &self,
        path: &str,
        content_type: &str,
        body: impl Into<Vec<u8>>,
    ) -> Response {
        let req = self
            .client
            .post(self.url(path))
            .insert_header(("content-type", content_type));
        Self::finish(req.send_body(body.into()).await.unwrap()).await
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Response {
        let mut req = self.client.get(self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        Self::finish(req.send().await.unwrap()).await
    }

    /// This node's open websockets of one kind (`play`, `game_host`…), from its metrics.
    pub async fn live_sockets(&self, feed: &str) -> u64 {
        let text = String::from_utf8(self.get("/metrics", None).await.raw).unwrap();
        let prefix = format!("studyhub_live_connections{{feed=\"{feed}\"}} ");
        text.lines()
            .find_map(|l| l.strip_prefix(prefix.as_str()))
            .map_or(0, |v| v.trim().parse::<f64>().unwrap() as u64)
    }

    pub async fn register(&self, role: &str) -> Account {
        let email = format!("{}-{}@example.com", role, uuid::Uuid::new_v4().simple());
        let res = self
            .post("/v1/auth/register", None, &json!({"email": email, "password": TEST_PASSWORD, "name": format!("Test {role}"), "role": role}))
            .await;
        assert_eq!(res.status, StatusCode::CREATED, "register: {}", res.body);
        Account {
            id: res.body["user"]["id"].as_str().unwrap().to_string(),
            email,
            access: res.body["access_token"].as_str().unwrap().to_string(),
            refresh: res.body["refresh_token"].as_str().unwrap().to_string(),
            body: res.body,
        }
    }
}

/// A websocket client for the play and live feeds.
pub struct Ws {
    framed: actix_codec::Framed<awc::BoxedSocket, awc::ws::Codec>,
    /// The events of a `batch` frame (class views) not read yet.
    batched: std::collections::VecDeque<Value>,
}

#[derive(Debug)]
pub enum WsEvent {
    Json(Value),
    Close(Option<u16>),
}

/// Pushes that may arrive at any time and that `expect` skips.
const BACKGROUND: [&str; 3] = ["time", "saved", "time_warning"];

impl Ws {
    pub async fn send(&mut self, v: Value) {
        self.send_text(&v.to_string()).await;
    }

    pub async fn send_text(&mut self, s: &str) {
        use futures_util::SinkExt;
        self.framed
            .send(awc::ws::Message::Text(s.to_string().into()))
            .await
            .unwrap();
    }

    pub async fn send_binary(&mut self, b: &[u8]) {
        use futures_util::SinkExt;
        self.framed
            .send(awc::ws::Message::Binary(b.to_vec().into()))
            .await
            .unwrap();
    }

    /// The next frame as it came, bounded so a missing frame fails the test; pings are
    /// answered. `None`: the socket ended.
    async fn frame(&mut self) -> Option<awc::ws::Frame> {
        self.frame_within(std::time::Duration::from_secs(20)).await
    }

    async fn frame_within(&mut self, limit: std::time::Duration) -> Option<awc::ws::Frame> {
        use futures_util::{SinkExt, StreamExt};
        let frame = tokio::time::timeout(limit, self.framed.next())
            .await
            .expect("a websocket frame in time");
        match frame {
            Some(Ok(frame)) => {
                if let awc::ws::Frame::Ping(p) = &frame {
                    let _ = self.framed.send(awc::ws::Message::Pong(p.clone())).await;
                }
                Some(frame)
            }
            Some(Err(e)) => panic!("websocket error: {e}"),
            None => None,
        }
    }

    /// The next message or close (answering pings). A `batch` (class views) is read as the
    /// events in it, in order.
    pub async fn recv(&mut self) -> WsEvent {
        loop {
            if let Some(event) = self.batched.pop_front() {
                return WsEvent::Json(event);
            }
            match self.frame().await {
                Some(awc::ws::Frame::Text(t)) => {
                    let v: Value = serde_json::from_slice(&t).unwrap();
                    if v["type"] == "batch" {
                        let events = v["events"].as_array().expect("a batch has events");
                        assert!(events.len() > 1, "a batch of one: {v}");
                        self.batched.extend(events.iter().cloned());
                        continue;
                    }
                    return WsEvent::Json(v);
                }
                Some(awc::ws::Frame::Close(reason)) => {
                    return WsEvent::Close(reason.map(|r| u16::from(r.code)));
                }
                Some(_) => {}
                None => return WsEvent::Close(None),
            }
        }
    }

    /// Reads (and drops) messages until the server pings (every 25 s: a ping may take that
    /// long, longer than a frame is otherwise waited for).
    pub async fn next_ping(&mut self) {
        loop {
            match self.frame_within(std::time::Duration::from_secs(40)).await {
                Some(awc::ws::Frame::Ping(_)) => return,
                Some(_) => {}
                None => panic!("the socket ended before a ping"),
            }
        }
    }

    /// The next message of type `kind`, skipping background pushes.
    pub async fn expect(&mut self, kind: &str) -> Value {
        loop {
            match self.recv().await {
                WsEvent::Json(v) if v["type"] == kind => return v,
                WsEvent::Json(v) if BACKGROUND.contains(&v["type"].as_str().unwrap_or("")) => {}
                other => panic!("expected {kind}, got {other:?}"),
            }
        }
    }

    /// Waits for the close frame, skipping messages; returns its code.
    pub async fn expect_close(&mut self) -> Option<u16> {
        loop {
            if let WsEvent::Close(code) = self.recv().await {
                return code;
            }
        }
    }

    pub async fn saved_up_to(&mut self, seq: u64) {
        loop {
            match self.recv().await {
                WsEvent::Json(v)
                    if v["type"] == "saved" && v["up_to_seq"].as_u64().unwrap() >= seq =>
                {
                    return;
                }
                WsEvent::Json(_) => {}
                WsEvent::Close(c) => panic!("closed ({c:?}) before saved {seq}"),
            }
        }
    }
}

impl Api {
    pub fn ws_url(&self, path: &str) -> String {
        format!("ws://127.0.0.1:{}{}", self.port, path)
    }

    /// Opens a websocket with a bearer token; panics unless it upgrades.
    pub async fn ws(&self, path: &str, token: &str) -> Ws {
        let (res, framed) = self
            .client
            .ws(self.ws_url(path))
            .bearer_auth(token)
            .max_frame_size(1024 * 1024)
            .connect()
            .await
            .unwrap_or_else(|e| panic!("websocket {path}: {e}"));
        assert_eq!(res.status(), StatusCode::SWITCHING_PROTOCOLS);
        Ws {
            framed,
            batched: Default::default(),
        }
    }

    /// Tries to open a websocket; the HTTP status when it is refused.
    pub async fn ws_status(&self, path: &str, token: Option<&str>) -> StatusCode {
        let mut req = self.client.ws(self.ws_url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        match req.connect().await {
            Ok((res, _)) => res.status(),
            Err(awc::error::WsClientError::InvalidResponseStatus(status)) => status,
            Err(e) => panic!("websocket {path}: {e}"),
        }
    }

    /// A parent with one child; returns (parent, child id).
    pub async fn parent_with_child(&self, name: &str) -> (Account, String) {
        let parent = self.register("parent").await;
        let res = self
            .post(
                "/v1/children",
                Some(&parent.access),
                &json!({"name": name, "age": 7, "interests": ["space"]}),
            )
            .await;
        assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
        let id = res.body["id"].as_str().unwrap().to_string();
        (parent, id)
    }

    pub async fn put(&self, path: &str, token: Option<&str>, body: &Value) -> Response {
        let mut req = self.client.put(self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        Self::finish(req.send_json(body).await.unwrap()).await
    }

    pub async fn delete(&self, path: &str, token: Option<&str>) -> Response {
        let mut req = self.client.delete(self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        Self::finish(req.send().await.unwrap()).await
    }

    /// The audit log's entries for `query` (`action=login_failed`, say), read by an admin.
    pub async fn audit_entries(&self, admin: &str, query: &str) -> Vec<Value> {
        let res = self
            .get(&format!("/v1/audit?{query}&limit=100"), Some(admin))
            .await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.body);
        res.body["entries"].as_array().cloned().unwrap_or_default()
    }

    /// Any method with a JSON body (`DELETE /v1/me {password}`, say).
    pub async fn send(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: &Value,
    ) -> Response {
        let method = awc::http::Method::from_bytes(method.as_bytes()).unwrap();
        let mut req = self.client.request(method, self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        Self::finish(req.send_json(body).await.unwrap()).await
    }
}

/// A server in its own actix system on its own thread, which a test can kill outright (no
/// graceful shutdown, no final flush), as a crash would.
pub struct KillableServer {
    pub port: u16,
    system: actix_rt::System,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl KillableServer {
    pub fn start(db: &TestDb, customize: impl FnOnce(&mut RawConfig) + Send + 'static) -> Self {
        let mut raw = test_config(db);
        customize(&mut raw);
        let (tx, rx) = std::sync::mpsc::channel();
        let thread = std::thread::spawn(move || {
            let sys = actix_rt::System::new();
            sys.block_on(async move {
                let app = Application::build(raw.resolve().unwrap())
                    .await
                    .expect("server starts");
                tx.send((app.port(), actix_rt::System::current())).unwrap();
                actix_rt::spawn(app.run_until_stopped());
            });
            let _ = sys.run();
        });
        let (port, system) = rx.recv().expect("the server started");
        KillableServer {
            port,
            system,
            thread: Some(thread),
        }
    }

    pub fn kill(mut self) {
        self.system.stop();
        if let Some(t) = self.thread.take() {
            t.join().unwrap();
        }
    }
}

impl Ws {
    /// The next message of type `kind`, whatever comes before it.
    pub async fn until(&mut self, kind: &str) -> Value {
        loop {
            match self.recv().await {
                WsEvent::Json(v) if v["type"] == kind => return v,
                WsEvent::Json(_) => {}
                WsEvent::Close(c) => panic!("closed ({c:?}) while waiting for {kind}"),
            }
        }
    }

    /// The host's lobby once it lists `players` players (a join reaches the lobby when the
    /// game's journal gives it back, perhaps after the host connected).
    pub async fn lobby_with(&mut self, players: usize) -> Value {
        loop {
            let lobby = self.expect("lobby").await;
            if lobby["players"].as_array().map(Vec::len) == Some(players) {
                return lobby;
            }
        }
    }

    /// The next `notification` of `kind`.
    pub async fn notification(&mut self, kind: &str) -> Value {
        loop {
            let v = self.until("notification").await;
            if v["notification"]["kind"] == kind {
                return v["notification"].clone();
            }
        }
    }
}

/// Polls `check` (each call is a real request or query) until it holds; panics after `tries`.
pub async fn eventually<F, Fut>(tries: usize, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    for _ in 0..tries {
        if check().await {
            return;
        }
        actix_web::rt::task::yield_now().await;
    }
    panic!("condition not reached after {tries} tries");
}

impl TestApp {
    /// An admin account (admins cannot register), signed in.
    pub async fn admin(&self) -> Account {
        use diesel::prelude::*;
        use studyhub::infra::db::schema::users;
        let email = format!("admin-{}@example.com", uuid::Uuid::new_v4().simple());
        let hash = bcrypt::hash(TEST_PASSWORD, 4).unwrap();
        let t = chrono::Utc::now().naive_utc();
        let mut conn = studyhub::infra::db::establish(&self.db.url).unwrap();
        diesel::insert_into(users::table)
            .values((
                users::id.eq(uuid::Uuid::now_v7().to_string()),
                users::email.eq(&email),
                users::name.eq("Admin"),
                users::role.eq("admin"),
                users::password_hash.eq(hash),
                users::token_version.eq(0),
                users::active.eq(true),
                users::created_at.eq(t),
                users::updated_at.eq(t),
            ))
            .execute(&mut conn)
            .unwrap();
        let res = self
            .post(
                "/v1/auth/login",
                None,
                &json!({"email": email, "password": TEST_PASSWORD}),
            )
            .await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.body);
        Account {
            id: res.body["user"]["id"].as_str().unwrap().to_string(),
            email,
            access: res.body["access_token"].as_str().unwrap().to_string(),
            refresh: res.body["refresh_token"].as_str().unwrap().to_string(),
            body: res.body,
        }
    }
}
