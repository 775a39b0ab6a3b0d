//! Who may call what, for every route the server has: the matrix in `authz/matrix.rs`, played
//! against one world of families, classes and their resources. The route list comes from
//! the server's own OpenAPI document: a route without a row, or a row without a route,
//! fails the test.

mod matrix;

use std::collections::{BTreeSet, HashMap};

use awc::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::common::{Account, TEST_PASSWORD, TestApp, spawn_app};
use matrix::{ACTORS, After, Row, Send};

/// Columns of the matrix the world's set-up acts as.
const A: usize = 0;
const T: usize = 2;
const S: usize = 4;
/// A's child's device.
const C: usize = 7;

const PNG: &[u8] =
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00";

/// The world every row is played in: parent A with a child in teacher T's class (with
/// student S), parent B with a child, teacher T2, student S2, an admin, and one of each
/// resource.
struct World {
    /// Signed-in accounts, indexed as the matrix's columns (anonymous has none).
    accounts: Vec<Account>,
    ids: HashMap<&'static str, String>,
}

impl World {
    async fn build(app: &TestApp) -> World {
        let (a, child) = app.parent_with_child("Ada").await;
        let (b, _) = app.parent_with_child("Bea").await;
        let t = app.register("teacher").await;
        let t2 = app.register("teacher").await;
        let s = app.register("student").await;
        let s2 = app.register("student").await;
        let admin = app.admin().await;
        let device = device_of(app, &a, &child).await;
        let mut w = World {
            accounts: vec![a, b, t, t2, s, s2, admin, device],
            ids: HashMap::new(),
        };
        w.ids.insert("child", child.clone());
        w.ids.insert("password", TEST_PASSWORD.into());
        w.ids.insert("email_a", w.accounts[A].email.clone());

        let class = ok(
            app.post("/v1/classes", Some(w.token(T)), &json!({"name": "Year 5"}))
                .await,
            201,
        );
        w.ids.insert("class", str_of(&class["id"]));
        w.ids.insert("join_code", str_of(&class["join_code"]));
        let join = json!({"join_code": class["join_code"]});
        ok(
            app.post("/v1/classes/join", Some(w.token(S)), &join).await,
            200,
        );
        // A pupil without an email in T's class, with their pictures and card.
        let path = format!("/v1/classes/{}/students", str_of(&class["id"]));
        let pupil = ok(
            app.post(&path, Some(w.token(T)), &json!({"name": "Pip"}))
                .await,
            201,
        );
        let lid = str_of(&pupil["learner_id"]);
        w.ids
            .insert("pupil_picture_a", str_of(&pupil["picture"][0]));
        w.ids
            .insert("pupil_picture_b", str_of(&pupil["picture"][1]));
        w.ids.insert("card_token", pupil_card(app, &lid));
        w.ids.insert("pupil", lid);
        let path = format!("/v1/children/{child}/classes");
        ok(app.post(&path, Some(w.token(A)), &join).await, 200);

        let activity = ok(
            app.post("/v1/activities", Some(w.token(T)), &one_question())
                .await,
            201,
        );
        w.ids.insert("activity", str_of(&activity["id"]));

        // A finished session gives A a notification.
        let session = w.fresh(app, "fresh_session").await;
        let path = format!("/v1/sessions/{session}/finish");
        ok(app.post(&path, Some(w.token(A)), &Value::Null).await, 200);
        w.ids.insert("session", session);
        let mut notification = None;
        for _ in 0..10_000 {
            let list = ok(app.get("/v1/notifications", Some(w.token(A))).await, 200);
            if let Some(n) = list["notifications"].as_array().and_then(|l| l.first()) {
                notification = Some(str_of(&n["id"]));
                break;
            }
            actix_web::rt::task::yield_now().await;
        }
        w.ids
            .insert("notification", notification.expect("A is notified"));

        // An answered request of A's child (one may be pending: the row asks for another).
        let path = format!("/v1/learners/{child}/time-requests");
        let asked = ok(
            app.post(&path, Some(w.token(A)), &json!({"seconds": 300}))
                .await,
            201,
        );
        let request = str_of(&asked["request_id"]);
        let path = format!("/v1/time-requests/{request}");
        ok(
            app.post(&path, Some(w.token(A)), &json!({"approve": false}))
                .await,
            200,
        );
        w.ids.insert("time_request", request);

        let assessment = w.fresh(app, "fresh_assessment").await;
        w.ids.insert("assessment", assessment);
        let drawing = w.fresh(app, "fresh_drawing").await;
        w.ids.insert("drawing", drawing);

        let backup = ok(
            app.post("/v1/backups", Some(w.token(A)), &Value::Null)
                .await,
            202,
        );
        w.ids.insert("backup", str_of(&backup["backup_id"]));
        w.settle_backups(app).await;

        app.state
            .storage
            .put(
                "content/authz-note.txt",
                bytes::Bytes::from_static(b"hello"),
                "text/plain",
            )
            .await
            .unwrap();
        w.ids.insert("content_key", "authz-note.txt".into());
        w
    }

    fn token(&self, who: usize) -> &str {
        &self.accounts[who].access
    }

    /// A new resource for a call that deletes or uses one up.
    async fn fresh(&self, app: &TestApp, name: &str) -> String {
        let child = &self.ids["child"];
        let (a, t) = (Some(self.token(A)), Some(self.token(T)));
        match name {
            "uuid" => uuid::Uuid::now_v7().to_string(),
            "fresh_email" => format!("authz-{}@example.com", uuid::Uuid::now_v7().simple()),
            "fresh_refresh_token" => app.register("parent").await.refresh,
            "fresh_account" => app.register("parent").await.id,
            "fresh_dead_letter" => crate::dead_letters::park_one(app, child).await,
            "fresh_child" => str_of(
                &ok(
                    app.post("/v1/children", a, &json!({"name": "Spare", "age": 6}))
                        .await,
                    201,
                )["id"],
            ),
            "fresh_member" => {
                let kid = Box::pin(self.fresh(app, "fresh_child")).await;
                let join = json!({"join_code": self.ids["join_code"]});
                ok(
                    app.post(&format!("/v1/children/{kid}/classes"), a, &join)
                        .await,
                    200,
                );
                kid
            }
            "fresh_session" => {
                let body = json!({"activity_id": self.ids["activity"]});
                let path = format!("/v1/learners/{child}/sessions");
                str_of(&ok(app.post(&path, a, &body).await, 201)["session_id"])
            }
            "fresh_assessment" => {
                let body =
                    json!({"assessment_type": "mock", "component": "listening", "grade": "A"});
                let path = format!("/v1/learners/{child}/assessments");
                str_of(&ok(app.post(&path, t, &body).await, 201)["id"])
            }
            "fresh_drawing" => {
                let path = format!("/v1/learners/{child}/drawings");
                let (status, body) = call(app, "POST", &path, a, &Send::Drawing).await;
                assert_eq!(status, 201, "{body}");
                str_of(&body["id"])
            }
            "fresh_game" => {
                let path = format!("/v1/classes/{}/games", self.ids["class"]);
                let body = json!({"activity_id": self.ids["activity"]});
                str_of(&ok(app.post(&path, t, &body).await, 201)["game_id"])
            }
            "fresh_time_request" => {
                // One pending request per child: each call asks for a new child.
                let kid = Box::pin(self.fresh(app, "fresh_child")).await;
                let mut ws = app
                    .ws(&format!("/v1/play?learner_id={kid}"), self.token(A))
                    .await;
                ws.expect("hello").await;
                ws.send(json!({"type": "ask_time", "seconds": 600})).await;
                str_of(&ws.expect("time_request").await["request_id"])
            }
            "fresh_push_subscription" => {
                let mut body = matrix::push_subscription();
                body["endpoint"] = json!(format!(
                    "https://93.184.215.14/push/{}",
                    uuid::Uuid::now_v7().simple()
                ));
                str_of(&ok(app.post("/v1/push/subscriptions", a, &body).await, 201)["id"])
            }
            "fresh_name" => format!("Pupil {}", uuid::Uuid::now_v7().simple()),
            "fresh_pupil" => {
                let name = Box::pin(self.fresh(app, "fresh_name")).await;
                let path = format!("/v1/classes/{}/students", self.ids["class"]);
                let made = ok(app.post(&path, t, &json!({"name": name})).await, 201);
                str_of(&made["learner_id"])
            }
            "fresh_activity" => {
                str_of(&ok(app.post("/v1/activities", t, &one_question()).await, 201)["id"])
            }
            other => self
                .ids
                .get(other)
                .unwrap_or_else(|| panic!("no {{{other}}} in the world"))
                .clone(),
        }
    }

    /// `text` with every `{name}` filled.
    async fn fill(&self, app: &TestApp, text: &str) -> String {
        let mut out = String::new();
        let mut rest = text;
        while let Some(start) = rest.find('{') {
            let end = start + rest[start..].find('}').expect("a closed placeholder");
            out.push_str(&rest[..start]);
            out.push_str(&self.fresh(app, &rest[start + 1..end]).await);
            rest = &rest[end + 1..];
        }
        out.push_str(rest);
        out
    }

    async fn fill_json(&self, app: &TestApp, v: &Value) -> Value {
        match v {
            Value::String(s) if s.starts_with('{') && s.ends_with('}') => {
                Value::String(self.fill(app, s).await)
            }
            Value::Array(items) => {
                let mut out = Vec::new();
                for item in items {
                    out.push(Box::pin(self.fill_json(app, item)).await);
                }
                Value::Array(out)
            }
            Value::Object(map) => {
                let mut out = serde_json::Map::new();
                for (k, item) in map {
                    out.insert(k.clone(), Box::pin(self.fill_json(app, item)).await);
                }
                Value::Object(out)
            }
            other => other.clone(),
        }
    }

    async fn sign_in_again(&mut self, app: &TestApp) {
        for (who, account) in self.accounts.iter_mut().enumerate() {
            if who == C {
                continue;
            }
            let body = json!({"email": account.email, "password": TEST_PASSWORD});
            let res = ok(app.post("/v1/auth/login", None, &body).await, 200);
            account.access = str_of(&res["access_token"]);
        }
        // The device's tokens are the parent's account: handed over again.
        let device = device_of(app, &self.accounts[A], &self.ids["child"]).await;
        self.accounts[C] = device;
    }

    /// Waits (each try a real request) until no account has a pending backup.
    async fn settle_backups(&self, app: &TestApp) {
        for (who, account) in self.accounts.iter().enumerate() {
            if who == C {
                continue;
            }
            let mut settled = false;
            for _ in 0..100_000 {
                let list = ok(app.get("/v1/backups", Some(&account.access)).await, 200);
                let pending = list
                    .as_array()
                    .or_else(|| list["backups"].as_array())
                    .is_some_and(|l| l.iter().any(|b| b["status"] == "pending"));
                if !pending {
                    settled = true;
                    break;
                }
                actix_web::rt::task::yield_now().await;
            }
            assert!(settled, "{}: a backup stays pending", ACTORS[who]);
        }
    }
}

/// "Play on this device" for `child`: the device's tokens, as an account of the matrix.
async fn device_of(app: &TestApp, parent: &Account, child: &str) -> Account {
    let path = format!("/v1/children/{child}/device-session");
    let body = ok(
        app.post(&path, Some(&parent.access), &Value::Null).await,
        201,
    );
    Account {
        id: parent.id.clone(),
        email: String::new(),
        access: str_of(&body["access_token"]),
        refresh: str_of(&body["refresh_token"]),
        body,
    }
}

/// A pupil's card token, made as the server makes it (reading the printed QR code would need
/// a QR reader).
fn pupil_card(app: &TestApp, learner_id: &str) -> String {
    use diesel::prelude::*;
    use studyhub::infra::db::schema::pupils;
    let mut conn = studyhub::infra::db::establish(&app.db.url).unwrap();
    let nonce: String = pupils::table
        .find(learner_id)
        .select(pupils::card_nonce)
        .first(&mut conn)
        .unwrap();
    app.state.card_key.token(learner_id, &nonce)
}

fn one_question() -> Value {
    json!({"title": "Authz one", "category": "math", "difficulty": 1, "age_min": 5, "age_max": 9,
        "questions": [{"id": "q1", "prompt": "1 + 1", "answer_type": "multiple_choice",
            "options": ["1", "2"], "correct_answer": "2", "explanation": "two"}]})
}

fn ok(res: crate::common::Response, want: u16) -> Value {
    assert_eq!(
        res.status.as_u16(),
        want,
        "setting up the world: {}",
        res.body
    );
    res.body
}

fn str_of(v: &Value) -> String {
    v.as_str()
        .unwrap_or_else(|| panic!("a string, not {v}"))
        .to_string()
}

/// A drawing's form, or content's (`file` alone).
fn multipart(send: &Send) -> (String, Vec<u8>) {
    let boundary = format!("b{}", uuid::Uuid::new_v4().simple());
    let mut body = Vec::new();
    let fields: &[(&str, Option<&str>, &[u8])] = match send {
        Send::Content => &[("file", Some("r.png"), PNG)],
        _ => &[
            ("title", None, &b"Rocket"[..]),
            ("category", None, b"space"),
            ("image", Some("r.png"), PNG),
        ],
    };
    for &(name, file, data) in fields {
        body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        let disposition = match file {
            Some(f) => format!(
                "Content-Disposition: form-data; name=\"{name}\"; filename=\"{f}\"\r\nContent-Type: image/png\r\n\r\n"
            ),
            None => format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n"),
        };
        body.extend_from_slice(disposition.as_bytes());
        body.extend_from_slice(data);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// One request; the status and the JSON body (null when there is none).
async fn call(
    app: &TestApp,
    method: &str,
    path: &str,
    token: Option<&str>,
    send: &Send,
) -> (u16, Value) {
    if let Send::Upgrade = send {
        return (app.ws_status(path, token).await.as_u16(), Value::Null);
    }
    let method = Method::from_bytes(method.as_bytes()).unwrap();
    let mut req = app.client.request(method, app.url(path));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let res = match send {
        Send::Json(v) => req.send_json(v).await,
        Send::Csv(text) => {
            req.insert_header(("content-type", "text/csv"))
                .send_body(*text)
                .await
        }
        Send::Drawing | Send::Content => {
            let (ct, body) = multipart(send);
            req.insert_header(("content-type", ct))
                .send_body(body)
                .await
        }
        _ => req.send().await,
    };
    let mut res = res.unwrap_or_else(|e| panic!("{path}: {e}"));
    let raw = res.body().limit(16 << 20).await.unwrap();
    (
        res.status().as_u16(),
        serde_json::from_slice(&raw).unwrap_or(Value::Null),
    )
}

/// `/v1/children/{child}?x={y}` and `/v1/children/{id}` both become `/v1/children/{}`.
fn shape(path: &str) -> String {
    let path = path.split('?').next().unwrap_or("");
    path.split('/')
        .map(|seg| if seg.starts_with('{') { "{}" } else { seg })
        .collect::<Vec<_>>()
        .join("/")
}

/// The server's routes, from its OpenAPI document: `METHOD /path`.
async fn server_routes(app: &TestApp) -> BTreeSet<String> {
    let doc = app.get("/v1/openapi.json", None).await;
    assert_eq!(doc.status, StatusCode::OK);
    let mut routes = BTreeSet::new();
    for (path, item) in doc.body["paths"].as_object().expect("paths") {
        for method in item.as_object().unwrap().keys() {
            if ["get", "put", "post", "delete", "patch", "head", "options"]
                .contains(&method.as_str())
            {
                routes.insert(format!("{} {path}", method.to_uppercase()));
            }
        }
    }
    routes
}

fn row_key(r: &Row) -> String {
    format!("{} {}", r.method, r.route)
}

#[actix_web::test]
async fn every_route_has_a_row_and_every_caller_gets_the_contracts_answer() {
    let app = spawn_app().await;
    let rows = matrix::rows();

    // The matrix and the server's routes are the same set.
    let served = server_routes(&app).await;
    let listed: BTreeSet<String> = rows.iter().map(row_key).collect();
    assert_eq!(listed.len(), rows.len(), "a route has two rows");
    let missing: Vec<_> = served.difference(&listed).collect();
    let stale: Vec<_> = listed.difference(&served).collect();
    assert!(
        missing.is_empty(),
        "routes without a row in authz/matrix.rs: {missing:?}"
    );
    assert!(
        stale.is_empty(),
        "rows for routes the server does not have: {stale:?}"
    );
    for r in &rows {
        assert_eq!(
            shape(r.path),
            shape(r.route),
            "{}: the path does not fit the route",
            row_key(r)
        );
    }

    let mut world = World::build(&app).await;
    let mut wrong = Vec::new();
    for r in &rows {
        for (who, actor) in ACTORS.iter().enumerate() {
            let token = world.accounts.get(who).map(|a| a.access.clone());
            let path = world.fill(&app, r.path).await;
            let send = match &r.send {
                Send::Json(v) => Send::Json(world.fill_json(&app, v).await),
                Send::Nothing => Send::Nothing,
                Send::Drawing => Send::Drawing,
                Send::Content => Send::Content,
                Send::Csv(text) => Send::Csv(text),
                Send::Upgrade => Send::Upgrade,
            };
            let (status, body) = call(&app, r.method, &path, token.as_deref(), &send).await;
            let want = r.expect[who];
            if status != want {
                wrong.push(format!(
                    "{} {path} as {actor}: {status}, want {want} {body}",
                    r.method
                ));
            } else if status >= 400
                && !matches!(r.send, Send::Upgrade)
                && !body["error"]["code"].is_string()
            {
                wrong.push(format!(
                    "{} {path} as {actor}: {status} without an error body",
                    r.method
                ));
            }
            // A forged token is no better than none.
            if token.is_none() && want == 401 {
                let (forged, _) =
                    call(&app, r.method, &path, Some("forged.jwt.token"), &send).await;
                if forged != 401 {
                    wrong.push(format!(
                        "{} {path} with a forged token: {forged}, want 401",
                        r.method
                    ));
                }
            }
        }
        match r.after {
            After::Nothing => {}
            After::SignInAgain => world.sign_in_again(&app).await,
            After::SettleBackups => world.settle_backups(&app).await,
        }
    }
    assert!(
        wrong.is_empty(),
        "{} calls answered wrongly:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

/// A ticket is bound to its caller and learner: issued only for a learner the caller may
/// play as, and good only for that learner's socket.
#[actix_web::test]
async fn tickets_open_only_their_own_learners_socket() {
    let app = spawn_app().await;
    let (a, child) = app.parent_with_child("Ada").await;
    let (b, other) = app.parent_with_child("Bea").await;
    let ticket = |token: String, learner: Option<String>| {
        let app = &app;
        async move {
            let res = app
                .post(
                    "/v1/realtime/tickets",
                    Some(&token),
                    &json!({"learner_id": learner}),
                )
                .await;
            (
                res.status.as_u16(),
                res.body["ticket"].as_str().map(String::from),
            )
        }
    };
    // B may not get a ticket for A's child.
    assert_eq!(ticket(b.access.clone(), Some(child.clone())).await.0, 404);
    // A's ticket for A's child opens A's child's socket, once.
    let (status, t) = ticket(a.access.clone(), Some(child.clone())).await;
    assert_eq!(status, 201);
    let t = t.unwrap();
    let play = |learner: &str, t: &str| format!("/v1/play?learner_id={learner}&ticket={t}");
    assert_eq!(app.ws_status(&play(&child, &t), None).await.as_u16(), 101);
    assert_eq!(app.ws_status(&play(&child, &t), None).await.as_u16(), 401);
    // A ticket bound to A's child does not open B's child's socket.
    let (_, t) = ticket(a.access.clone(), Some(child.clone())).await;
    assert_eq!(
        app.ws_status(&play(&other, &t.unwrap()), None)
            .await
            .as_u16(),
        403
    );
    // A ticket without a learner still only plays as the caller's own learners.
    let (_, t) = ticket(b.access.clone(), None).await;
    assert_eq!(
        app.ws_status(&play(&child, &t.unwrap()), None)
            .await
            .as_u16(),
        403
    );
    let (_, t) = ticket(b.access.clone(), None).await;
    assert_eq!(
        app.ws_status(&play(&other, &t.unwrap()), None)
            .await
            .as_u16(),
        101
    );
}

#[test]
fn shapes_compare_routes_and_paths() {
    assert_eq!(
        shape("/v1/children/{child}?x={y}"),
        shape("/v1/children/{id}")
    );
    assert_ne!(
        shape("/v1/children/{child}/settings"),
        shape("/v1/children/{id}")
    );
}
