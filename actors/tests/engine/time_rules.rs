//! Downtime windows and asking for more time, against the in-memory store.

use chrono::{Duration as Span, Utc};
use studyhub_actors::downtime_windows::{Window, WindowSpec};
use studyhub_actors::learner::TimeRequestAnswered;
use studyhub_actors::store::NotificationKind;

use super::*;

/// A window of every day from an hour ago to an hour ahead (UTC, the test learner's zone).
fn around_now() -> Window {
    let now = Utc::now();
    let hhmm = |t: chrono::DateTime<Utc>| t.format("%H:%M").to_string();
    Window::try_from(WindowSpec {
        days: ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
            .map(String::from)
            .to_vec(),
        start: hhmm(now - Span::hours(1)),
        end: hhmm(now + Span::hours(1)),
    })
    .unwrap()
}

fn settings(downtime: Vec<Window>) -> Settings {
    Settings {
        daily_limit_seconds: Some(3600),
        notifications_enabled: true,
        downtime,
    }
}

async fn closed_with(c: &mut Conn, code: u16) {
    loop {
        match c.next().await {
            Outbound::Close { code: got, .. } => return assert_eq!(got, code),
            Outbound::Frame { .. } => {}
        }
    }
}

#[actix_rt::test]
async fn a_window_that_begins_closes_play_and_keeps_it_closed_until_lifted() {
    let (store, content) = setup(3600);
    let engine = Engine::start(store, content, config());
    let mut a = Conn::open(&engine, "kid", 1).await;
    a.expect("hello").await;
    engine.settings_changed(&"kid".into(), settings(vec![around_now()]));
    let until: chrono::DateTime<Utc> =
        serde_json::from_value(a.expect("downtime").await["until"].clone()).unwrap();
    let ahead = until - Utc::now();
    assert!(
        ahead > Span::minutes(58) && ahead <= Span::hours(1),
        "{until}"
    );
    closed_with(&mut a, 4002).await;

    // Connecting inside the window: hello, downtime, close.
    let mut b = Conn::open(&engine, "kid", 2).await;
    b.expect("hello").await;
    b.expect("downtime").await;
    closed_with(&mut b, 4002).await;

    // Play over REST is refused too, with the end of the window.
    let reply = b
        .learner
        .rest(ClientMsg::Start {
            activity_id: "math-test".into(),
        })
        .await
        .unwrap();
    let refusal: Value = serde_json::to_value(&reply.msgs[0]).unwrap();
    assert_eq!(refusal["code"], "downtime", "{refusal}");
    assert_eq!(
        serde_json::from_value::<chrono::DateTime<Utc>>(refusal["until"].clone()).unwrap(),
        until
    );

    // Lifted: play again.
    engine.settings_changed(&"kid".into(), settings(Vec::new()));
    let mut c = Conn::open(&engine, "kid", 3).await;
    c.expect("hello").await;
    c.send(json!({"type": "start", "activity_id": "math-test"}));
    c.expect("started").await;
}

#[actix_rt::test]
async fn a_child_asks_for_time_once_at_a_time_and_three_times_a_day() {
    let (store, content) = setup(3600);
    let engine = Engine::start(store.clone(), content, config());
    let mut c = Conn::open(&engine, "kid", 1).await;
    let left = c.expect("hello").await["time"]["left_seconds"]
        .as_u64()
        .unwrap();

    c.send(json!({"type": "ask_time", "seconds": 100}));
    assert_eq!(c.expect("error").await["code"], "bad_message");
    c.send(json!({"type": "ask_time", "seconds": 600, "reason": "x".repeat(501)}));
    assert_eq!(c.expect("error").await["code"], "bad_message");

    let mut asked = Vec::new();
    for round in 0..3 {
        c.send(json!({"type": "ask_time", "seconds": 600, "reason": " a long song "}));
        let pending = c.expect("time_request").await;
        assert_eq!(pending["status"], "pending");
        let id = pending["request_id"].as_str().unwrap().to_string();
        // One at a time.
        c.send(json!({"type": "ask_time", "seconds": 300}));
        assert_eq!(c.expect("error").await["code"], "time_request_pending");
        // The parent answers (the server stores it, then tells the engine).
        store.answer_time_request(&id);
        let approved = round == 0;
        engine.time_request_answered(
            &"kid".into(),
            TimeRequestAnswered {
                request_id: id.clone(),
                approved,
                seconds: 420,
            },
        );
        let answered = c.expect("time_request_answered").await;
        assert_eq!(answered["request_id"], id.as_str());
        assert_eq!(answered["approved"], approved);
        assert_eq!(answered["seconds"], if approved { 420 } else { 0 });
        let Outbound::Frame { json, .. } = c.next().await else {
            panic!("closed")
        };
        let time: Value = serde_json::from_str(&json).unwrap();
        assert_eq!(time["type"], "time", "time follows the answer: {time}");
        assert!(time["left_seconds"].as_u64().unwrap() + 5 >= left + 420);
        asked.push(id);
    }
    c.send(json!({"type": "ask_time", "seconds": 300}));
    assert_eq!(c.expect("error").await["code"], "time_request_limit");

    // The parent was told of each request, stored first.
    engine.drain(Duration::from_secs(5)).await;
    let told: Vec<_> = store
        .notifications()
        .into_iter()
        .filter(|n| n.kind == NotificationKind::TimeRequest)
        .collect();
    assert_eq!(told.len(), 3);
    assert_eq!(told[0].data["request_id"], asked[0].as_str());
    assert_eq!(told[0].data["seconds"], 600);
    assert_eq!(told[0].body, "a long song");
    assert_eq!(told[0].title, "kid asks for 10 more minutes");
}
