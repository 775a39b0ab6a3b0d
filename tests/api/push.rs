//! Web Push with real parts: a push receiver on 127.0.0.1 started by the test (an actix
//! server, `STUDYHUB_PUSH_ALLOW_INSECURE` lets it be plain http on loopback) that checks each
//! push's VAPID token with the server's public key and decrypts the payload with the
//! subscription's private key, as a browser's push service and browser would.

use std::time::Duration;

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use awc::http::StatusCode;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use p256::elliptic_curve::sec1::ToEncodedPoint;
use rand::RngCore;
use serde_json::{Value, json};
use tokio::sync::mpsc;

use crate::child_device::hand_over;
use crate::common::rest_play::{addition, play, space};
use crate::common::{Api, TestApp, eventually, spawn_app, spawn_app_with};

/// How the receiver answers.
#[derive(Clone, Copy)]
pub enum Answer {
    Created,
    Gone,
    /// Takes the request and never answers.
    Never,
}

/// One push as the receiver got it.
pub struct Push {
    path: String,
    headers: actix_web::http::header::HeaderMap,
    body: web::Bytes,
}

impl Push {
    fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_else(|| panic!("no {name} header"))
    }
}

pub struct Receiver {
    /// `http://127.0.0.1:port`
    pub origin: String,
    pushes: mpsc::UnboundedReceiver<Push>,
}

impl Receiver {
    pub async fn start(answer: Answer) -> Self {
        let (tx, pushes) = mpsc::unbounded_channel();
        let server = HttpServer::new(move || {
            let tx = tx.clone();
            App::new().default_service(web::to(move |req: HttpRequest, body: web::Bytes| {
                let tx = tx.clone();
                async move {
                    let _ = tx.send(Push {
                        path: req.path().to_string(),
                        headers: req.headers().clone(),
                        body,
                    });
                    match answer {
                        Answer::Created => HttpResponse::Created().finish(),
                        Answer::Gone => HttpResponse::Gone().finish(),
                        Answer::Never => std::future::pending().await,
                    }
                }
            }))
        })
        .workers(1)
        .disable_signals()
        .bind(("127.0.0.1", 0))
        .unwrap();
        let port = server.addrs()[0].port();
        actix_web::rt::spawn(server.run());
        Receiver {
            origin: format!("http://127.0.0.1:{port}"),
            pushes,
        }
    }

    pub async fn next(&mut self) -> Push {
        tokio::time::timeout(Duration::from_secs(20), self.pushes.recv())
            .await
            .expect("a push within 20 s")
            .expect("the receiver runs")
    }
}

/// A browser's subscription keys: its P-256 key pair and auth secret.
pub struct Browser {
    secret: p256::SecretKey,
    auth: [u8; 16],
}

impl Browser {
    pub fn new() -> Self {
        let mut rng = rand::rng();
        let secret = loop {
            let mut b = [0u8; 32];
            rng.fill_bytes(&mut b);
            if let Ok(k) = p256::SecretKey::from_slice(&b) {
                break k;
            }
        };
        let mut auth = [0u8; 16];
        rng.fill_bytes(&mut auth);
        Browser { secret, auth }
    }

    fn keys(&self) -> Value {
        let point = self.secret.public_key().to_encoded_point(false);
        json!({
            "p256dh": URL_SAFE_NO_PAD.encode(point.as_bytes()),
            "auth": URL_SAFE_NO_PAD.encode(self.auth),
        })
    }

    pub fn subscription(&self, endpoint: &str) -> Value {
        json!({"endpoint": endpoint, "keys": self.keys(), "expirationTime": null})
    }

    /// What the browser reads of a push (RFC 8291 aes128gcm).
    pub fn decrypt_text(&self, push: &Push) -> String {
        let plain = web_push_native::decrypt(
            push.body.to_vec(),
            &self.secret,
            &web_push_native::Auth::from(self.auth),
        )
        .expect("the payload decrypts with the subscription's key");
        String::from_utf8(plain).unwrap()
    }

    pub fn decrypt(&self, push: &Push) -> Value {
        serde_json::from_str(&self.decrypt_text(push)).unwrap()
    }
}

pub async fn subscribe(api: &Api, token: &str, body: &Value) -> crate::common::Response {
    api.post("/v1/push/subscriptions", Some(token), body).await
}

/// The field a 422 names.
fn refused_field(res: &crate::common::Response) -> String {
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.body);
    let fields = res.body["error"]["details"]["fields"].as_object().unwrap();
    fields.keys().next().unwrap().clone()
}

/// Checks a push's headers as a push service does (RFC 8030, RFC 8292): the VAPID token
/// verifies with the server's public key, for this receiver, within 24 hours.
async fn check_vapid(app: &TestApp, receiver: &Receiver, push: &Push) {
    let key = app
        .get("/v1/push/key", Some(&app.register("parent").await.access))
        .await;
    let public = key.body["public_key"].as_str().unwrap();
    let header = push.header("authorization");
    let (token, k) = header
        .strip_prefix("vapid t=")
        .and_then(|r| r.split_once(", k="))
        .unwrap_or_else(|| panic!("vapid header: {header}"));
    assert_eq!(k, public);
    let point = URL_SAFE_NO_PAD.decode(public).unwrap();
    let decoding = DecodingKey::from_ec_components(
        &URL_SAFE_NO_PAD.encode(&point[1..33]),
        &URL_SAFE_NO_PAD.encode(&point[33..]),
    )
    .unwrap();
    let mut v = Validation::new(Algorithm::ES256);
    v.set_audience(&[&receiver.origin]);
    v.set_required_spec_claims(&["exp", "aud", "sub"]);
    let claims = jsonwebtoken::decode::<Value>(token, &decoding, &v)
        .expect("the VAPID token verifies")
        .claims;
    let left = claims["exp"].as_i64().unwrap() - chrono::Utc::now().timestamp();
    assert!(left > 0 && left <= 24 * 3600, "exp in {left} s");
    let sub = claims["sub"].as_str().unwrap();
    assert!(
        sub.starts_with("mailto:") || sub.starts_with("https://"),
        "{sub}"
    );
    assert_eq!(push.header("content-encoding"), "aes128gcm");
    let ttl: u64 = push.header("ttl").parse().unwrap();
    assert!(ttl > 0);
}

async fn insecure_app() -> TestApp {
    spawn_app_with(|c| c.push_allow_insecure = true).await
}

#[actix_web::test]
async fn subscriptions_are_checked_kept_once_and_only_their_owners() {
    let app = spawn_app().await;
    let (parent, child) = app.parent_with_child("Ada").await;
    let browser = Browser::new();

    assert_eq!(
        app.get("/v1/push/key", None).await.status,
        StatusCode::UNAUTHORIZED
    );
    let key = app.get("/v1/push/key", Some(&parent.access)).await;
    assert_eq!(key.status, StatusCode::OK, "{}", key.body);
    let point = URL_SAFE_NO_PAD
        .decode(key.body["public_key"].as_str().unwrap())
        .unwrap();
    assert_eq!(
        (point.len(), point[0]),
        (65, 4),
        "an uncompressed P-256 point"
    );

    // Only https, only public addresses (literal or resolved), without the test switch.
    for endpoint in [
        "http://93.184.215.14/push/1",
        "https://127.0.0.1/push/1",
        "https://localhost/push/1",
        "https://10.0.0.7/push/1",
        "https://169.254.169.254/latest",
        "https://100.64.1.1/push/1",
        "https://[::1]/push/1",
        "https://[::ffff:192.168.1.1]/push/1",
        "https://[fd00::1]/push/1",
        "/push/1",
        "",
    ] {
        let res = subscribe(&app, &parent.access, &browser.subscription(endpoint)).await;
        assert_eq!(refused_field(&res), "endpoint", "{endpoint}: {}", res.body);
    }
    let endpoint = "https://93.184.215.14/push/ada-phone";
    let mut bad = browser.subscription(endpoint);
    bad["keys"]["p256dh"] = json!("AAAA");
    assert_eq!(
        refused_field(&subscribe(&app, &parent.access, &bad).await),
        "keys.p256dh"
    );
    let mut bad = browser.subscription(endpoint);
    bad["keys"]["auth"] = json!(URL_SAFE_NO_PAD.encode([1u8; 15]));
    assert_eq!(
        refused_field(&subscribe(&app, &parent.access, &bad).await),
        "keys.auth"
    );

    // Stored once: the same endpoint again updates it.
    let res = subscribe(&app, &parent.access, &browser.subscription(endpoint)).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    let id = res.body["id"].as_str().unwrap().to_string();
    let again = subscribe(&app, &parent.access, &Browser::new().subscription(endpoint)).await;
    assert_eq!(again.status, StatusCode::CREATED);
    assert_eq!(again.body["id"], id.as_str());

    // Another account's subscription is not there for anyone else.
    let teacher = app.register("teacher").await;
    let res = app
        .delete(
            &format!("/v1/push/subscriptions/{id}"),
            Some(&teacher.access),
        )
        .await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
    let res = app
        .delete(
            &format!("/v1/push/subscriptions/{id}"),
            Some(&parent.access),
        )
        .await;
    assert_eq!(res.status, StatusCode::NO_CONTENT);
    let res = app
        .delete(
            &format!("/v1/push/subscriptions/{id}"),
            Some(&parent.access),
        )
        .await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);

    // Teachers subscribe too; twenty per account.
    for i in 0..20 {
        let res = subscribe(
            &app,
            &teacher.access,
            &browser.subscription(&format!("https://93.184.215.14/push/t{i}")),
        )
        .await;
        assert_eq!(res.status, StatusCode::CREATED, "{i}: {}", res.body);
    }
    let res = subscribe(
        &app,
        &teacher.access,
        &browser.subscription("https://93.184.215.14/push/t20"),
    )
    .await;
    assert_eq!(refused_field(&res), "endpoint");

    // A child's device plays; it does not get the family's notifications.
    let (device, _) = hand_over(&app, &parent, &child).await;
    assert_eq!(
        app.get("/v1/push/key", Some(&device)).await.status,
        StatusCode::FORBIDDEN
    );
    let res = subscribe(&app, &device, &browser.subscription(endpoint)).await;
    assert_eq!(res.status, StatusCode::FORBIDDEN, "{}", res.body);
}

#[actix_web::test]
async fn a_childs_request_reaches_the_parents_browser_with_approve_and_deny() {
    let app = insecure_app().await;
    let mut receiver = Receiver::start(Answer::Created).await;
    let (parent, child) = app.parent_with_child("Ada").await;
    let browser = Browser::new();
    let endpoint = format!("{}/push/ada-parent-phone", receiver.origin);
    let res = subscribe(&app, &parent.access, &browser.subscription(&endpoint)).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);

    // The child asks from its own device.
    let (device, _) = hand_over(&app, &parent, &child).await;
    let res = app
        .post(
            &format!("/v1/learners/{child}/time-requests"),
            Some(&device),
            &json!({"seconds": 900, "reason": "to finish my song"}),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    let request_id = res.body["request_id"].as_str().unwrap().to_string();

    let push = receiver.next().await;
    assert_eq!(push.path, "/push/ada-parent-phone");
    check_vapid(&app, &receiver, &push).await;
    assert_eq!(push.header("urgency"), "high");
    let msg = browser.decrypt(&push);
    assert_eq!(msg["kind"], "time_request", "{msg}");
    assert_eq!(msg["child_id"], child.as_str());
    assert_eq!(msg["body"], "to finish my song");
    assert_eq!(msg["data"]["request_id"], request_id.as_str());
    assert_eq!(msg["data"]["seconds"], 900);
    let actions: Vec<&str> = msg["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["approve", "deny"]);
    // It is the stored notification.
    let stored = app.get("/v1/notifications", Some(&parent.access)).await;
    assert_eq!(
        stored.body["notifications"][0]["id"], msg["id"],
        "{}",
        stored.body
    );

    // "Approve" on the notification: the service worker's call.
    let answer_url = msg["answer_url"].as_str().unwrap();
    assert_eq!(answer_url, format!("/v1/time-requests/{request_id}"));
    let res = app
        .post(answer_url, Some(&parent.access), &json!({"approve": true}))
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!(res.body["status"], "approved");
    let status = app
        .get(
            &format!("/v1/learners/{child}/time-requests/{request_id}"),
            Some(&device),
        )
        .await;
    assert_eq!(status.body["status"], "approved");
}

/// Notifications stored together are pushed with one read of their parents' subscriptions:
/// each still reaches its own parent's browser, and only theirs.
#[actix_web::test]
async fn requests_of_several_families_at_once_each_reach_their_own_parent() {
    let app = insecure_app().await;
    let mut receiver = Receiver::start(Answer::Created).await;
    let mut families = Vec::new();
    for name in ["Ada", "Ben", "Cy"] {
        let (parent, child) = app.parent_with_child(name).await;
        let browser = Browser::new();
        let path = format!("/push/{name}");
        let endpoint = format!("{}{path}", receiver.origin);
        let res = subscribe(&app, &parent.access, &browser.subscription(&endpoint)).await;
        assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
        let (device, _) = hand_over(&app, &parent, &child).await;
        families.push((path, browser, child, device));
    }
    // The three children ask at the same moment.
    let body = json!({"seconds": 600, "reason": "one more song"});
    let paths: Vec<String> = families
        .iter()
        .map(|(_, _, child, _)| format!("/v1/learners/{child}/time-requests"))
        .collect();
    let asks = families
        .iter()
        .zip(&paths)
        .map(|((_, _, _, device), path)| app.post(path, Some(device), &body));
    for res in futures_util::future::join_all(asks).await {
        assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    }
    let mut heard = Vec::new();
    for _ in 0..families.len() {
        let push = receiver.next().await;
        let (path, browser, child, _) = families
            .iter()
            .find(|(path, ..)| *path == push.path)
            .unwrap_or_else(|| panic!("a push to {}", push.path));
        // Only that parent's browser can read it, and it is about that parent's child.
        let msg = browser.decrypt(&push);
        assert_eq!(msg["kind"], "time_request", "{msg}");
        assert_eq!(msg["child_id"], child.as_str(), "{path}: {msg}");
        heard.push(path.clone());
    }
    heard.sort();
    assert_eq!(heard, ["/push/Ada", "/push/Ben", "/push/Cy"]);
}

#[actix_web::test]
async fn an_endpoint_its_service_calls_gone_is_forgotten() {
    let app = insecure_app().await;
    let mut receiver = Receiver::start(Answer::Gone).await;
    let (parent, child) = app.parent_with_child("Ben").await;
    let browser = Browser::new();
    let sub = browser.subscription(&format!("{}/push/old-phone", receiver.origin));
    let res = subscribe(&app, &parent.access, &sub).await;
    let id = res.body["id"].as_str().unwrap().to_string();

    // A finished activity (stored by the group commit) is pushed, and answered 410.
    play(
        &app,
        &parent.access,
        &child,
        "math-addition-1",
        &addition(),
        &[],
    )
    .await;
    let msg = browser.decrypt(&receiver.next().await);
    assert_eq!(msg["kind"], "activity_completed", "{msg}");

    // Forgotten: subscribing the endpoint again makes a new subscription, not the old one.
    eventually(2_000, || async {
        let res = subscribe(&app, &parent.access, &sub).await;
        res.body["id"].as_str() != Some(id.as_str())
    })
    .await;
}

#[actix_web::test]
async fn a_push_service_that_never_answers_does_not_hold_up_play() {
    let app = insecure_app().await;
    let mut receiver = Receiver::start(Answer::Never).await;
    let (parent, child) = app.parent_with_child("Cy").await;
    for phone in 0..12 {
        let browser = Browser::new();
        let sub = browser.subscription(&format!("{}/push/phone-{phone}", receiver.origin));
        assert_eq!(
            subscribe(&app, &parent.access, &sub).await.status,
            StatusCode::CREATED
        );
    }
    let mut feed = app.ws("/v1/parent/live", &parent.access).await;
    feed.until("hello").await;

    play(
        &app,
        &parent.access,
        &child,
        "math-addition-1",
        &addition(),
        &[],
    )
    .await;
    // The pushes of that completion are stuck at the silent service: more of them than the
    // sender sends at once.
    for _ in 0..8 {
        receiver.next().await;
    }
    // Play goes on meanwhile: every answer graded and saved, the completion on the feed.
    let completed = play(
        &app,
        &parent.access,
        &child,
        "science-space-1",
        &space(),
        &["q2"],
    )
    .await;
    assert!(completed["stars"].is_number(), "{completed}");
    loop {
        let note = feed.notification("activity_completed").await;
        if note["data"]["activity_id"] == "science-space-1" {
            break;
        }
    }
}
