//! Downtime windows over real websockets: a window set while a child plays closes play at
//! once (4002), a connection inside a window is told and closed, REST play is refused, and
//! the settings are checked field by field.

use crate::common::{Api, Ws, WsEvent, spawn_app};
use awc::http::StatusCode;
use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use serde_json::{Value, json};

const EVERY_DAY: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// A window of every day from an hour before now to an hour after, in `tz`'s local time
/// (it crosses midnight near midnight, which the server must handle too).
pub fn window_around_now(tz: &str) -> Value {
    let tz: Tz = tz.parse().unwrap();
    let local = Utc::now().with_timezone(&tz);
    let hhmm = |d: Duration| (local + d).format("%H:%M").to_string();
    json!({"days": EVERY_DAY, "start": hhmm(-Duration::hours(1)), "end": hhmm(Duration::hours(1))})
}

/// A parent with a child in `tz`; returns (parent token, child id).
pub async fn child_in(api: &Api, tz: &str) -> (String, String) {
    let parent = api.register("parent").await;
    let res = api
        .post(
            "/v1/children",
            Some(&parent.access),
            &json!({"name": "Ivo", "age": 8, "interests": [], "timezone": tz}),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    (parent.access, res.body["id"].as_str().unwrap().to_string())
}

/// `downtime` with an `until` about an hour ahead, then the close 4002.
pub async fn told_downtime_and_closed(ws: &mut Ws) {
    let until: DateTime<Utc> = ws.expect("downtime").await["until"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let ahead = until - Utc::now();
    assert!(
        ahead > Duration::minutes(58) && ahead <= Duration::hours(1),
        "until {until}"
    );
    // At once: the close is the very next frame.
    match ws.recv().await {
        WsEvent::Close(code) => assert_eq!(code, Some(4002)),
        WsEvent::Json(v) => panic!("expected the close, got {v}"),
    }
}

#[actix_web::test]
async fn a_window_set_during_play_closes_it_at_once_and_keeps_it_closed() {
    let app = spawn_app().await;
    // Kolkata is UTC+05:30: the window is in the child's local time, not the server's.
    let (parent, child) = child_in(&app, "Asia/Kolkata").await;
    let play = format!("/v1/play?learner_id={child}");
    let mut ws = app.ws(&play, &parent).await;
    ws.expect("hello").await;
    ws.send(json!({"type": "start", "activity_id": "math-addition-1"}))
        .await;
    ws.expect("started").await;

    let window = window_around_now("Asia/Kolkata");
    let res = app
        .put(
            &format!("/v1/children/{child}/settings"),
            Some(&parent),
            &json!({"downtime": [window]}),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!(res.body["downtime"], json!([window]));
    assert_eq!(
        res.body["daily_time_limit_seconds"], 3600,
        "the rest is kept"
    );
    told_downtime_and_closed(&mut ws).await;

    // A connection inside the window: hello, downtime, close.
    let mut again = app.ws(&play, &parent).await;
    again.expect("hello").await;
    told_downtime_and_closed(&mut again).await;

    // REST play is refused the same way, with the end of the window.
    let res = app
        .post(
            &format!("/v1/learners/{child}/sessions"),
            Some(&parent),
            &json!({"activity_id": "math-addition-1"}),
        )
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN, "{}", res.body);
    assert_eq!(res.code(), "downtime");
    assert!(res.body["error"]["details"]["until"].is_string());

    let stored = app
        .get(&format!("/v1/children/{child}/settings"), Some(&parent))
        .await;
    assert_eq!(stored.body["downtime"], json!([window]));

    // Lifted: play again at once.
    let res = app
        .put(
            &format!("/v1/children/{child}/settings"),
            Some(&parent),
            &json!({"downtime": []}),
        )
        .await;
    assert_eq!(res.body["downtime"], json!([]));
    let mut ws = app.ws(&play, &parent).await;
    ws.expect("hello").await;
    ws.send(json!({"type": "start", "activity_id": "math-addition-1"}))
        .await;
    ws.expect("started").await;
}

#[actix_web::test]
async fn windows_elsewhere_in_the_week_leave_play_alone() {
    let app = spawn_app().await;
    let (parent, child) = child_in(&app, "America/New_York").await;
    let tz: Tz = "America/New_York".parse().unwrap();
    // Only on the day after tomorrow (local), so never now.
    let later = (Utc::now().with_timezone(&tz) + Duration::days(2)).format("%a");
    let day = later.to_string().to_ascii_lowercase();
    let res = app
        .put(
            &format!("/v1/children/{child}/settings"),
            Some(&parent),
            &json!({"downtime": [{"days": [day], "start": "00:00", "end": "24:00"}], "volume": 0.5}),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!(res.body["downtime"][0]["end"], "24:00");
    let mut ws = app
        .ws(&format!("/v1/play?learner_id={child}"), &parent)
        .await;
    ws.expect("hello").await;
    ws.send(json!({"type": "start", "activity_id": "math-addition-1"}))
        .await;
    ws.expect("started").await;
}

#[actix_web::test]
async fn downtime_is_checked_window_by_window() {
    let app = spawn_app().await;
    let (parent, child) = child_in(&app, "UTC").await;
    let path = format!("/v1/children/{child}/settings");
    let put = |body: Value| {
        let (app, path, parent) = (&app, &path, &parent);
        async move { app.put(path, Some(parent), &body).await }
    };

    let res = put(json!({"downtime": [
        {"days": ["mon"], "start": "20:00", "end": "21:00"},
        {"days": ["monday"], "start": "25:00", "end": "21:00"},
        {"days": ["tue"], "start": "20:00", "end": "20:00"},
        {"days": [], "start": "20:00", "end": "21:00"},
    ]}))
    .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.body);
    let fields = &res.body["error"]["details"]["fields"];
    assert!(fields["downtime[1].days"].is_string(), "{fields}");
    assert!(fields["downtime[2].end"].is_string(), "{fields}");
    assert!(fields["downtime[3].days"].is_string(), "{fields}");
    assert!(fields.get("downtime[0].days").is_none(), "{fields}");

    let many: Vec<Value> = (0..15)
        .map(|_| json!({"days": ["sat"], "start": "08:00", "end": "09:00"}))
        .collect();
    let res = put(json!({"downtime": many})).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.body["error"]["details"]["fields"]["downtime"].is_string());

    let res = put(json!({"downtime": [{"days": "mon", "start": "08:00", "end": "09:00"}]})).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.body);
    let res = put(json!({"downtime": [{"days": ["sat"], "start": "08:00"}]})).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.body);

    // Nothing bad was stored; fourteen good ones are fine, written back in one form.
    assert_eq!(
        app.get(&path, Some(&parent)).await.body["downtime"],
        json!([])
    );
    let fourteen: Vec<Value> = (0..14)
        .map(|i| json!({"days": ["SUN", "sat"], "start": format!("{:02}:00", i), "end": format!("{:02}:30", i)}))
        .collect();
    let res = put(json!({"downtime": fourteen})).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!(res.body["downtime"].as_array().unwrap().len(), 14);
    assert_eq!(res.body["downtime"][0]["days"], json!(["sat", "sun"]));
}
