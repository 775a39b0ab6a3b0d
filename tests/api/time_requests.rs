//! Asking for more time over real websockets: the child asks, the parent's feed hears it,
//! the parent answers (REST or the feed) and the child gets the answer and its time; one
//! pending request and three a day; across two nodes sharing Redis.

use crate::common::{Api, Ws, WsEvent, spawn_app};
use crate::downtime::{child_in, told_downtime_and_closed, window_around_now};
use awc::http::StatusCode;
use serde_json::{Value, json};

async fn ask(ws: &mut Ws, seconds: u64) -> String {
    ws.send(json!({"type": "ask_time", "seconds": seconds, "reason": "to finish my song"}))
        .await;
    let v = ws.expect("time_request").await;
    assert_eq!(v["status"], "pending");
    v["request_id"].as_str().unwrap().to_string()
}

async fn refused(ws: &mut Ws, frame: Value) -> String {
    ws.send(frame).await;
    ws.expect("error").await["code"]
        .as_str()
        .unwrap()
        .to_string()
}

/// `time_request_answered`, then at once `time`: returns both.
async fn answered(ws: &mut Ws) -> (Value, Value) {
    let answer = ws.until("time_request_answered").await;
    let WsEvent::Json(time) = ws.recv().await else {
        panic!("closed")
    };
    assert_eq!(time["type"], "time", "time follows the answer: {time}");
    (answer, time)
}

async fn answer_rest(api: &Api, token: &str, id: &str, body: Value) -> crate::common::Response {
    api.post(&format!("/v1/time-requests/{id}"), Some(token), &body)
        .await
}

#[actix_web::test]
async fn a_request_reaches_the_parent_and_an_approval_gives_the_child_time() {
    let app = spawn_app().await;
    let (parent, child) = child_in(&app, "Europe/London").await;
    let mut feed = app.ws("/v1/parent/live", &parent).await;
    feed.until("hello").await;
    let mut ws = app
        .ws(&format!("/v1/play?learner_id={child}"), &parent)
        .await;
    let limit = ws.expect("hello").await["time"]["limit_seconds"]
        .as_u64()
        .unwrap();

    let id = ask(&mut ws, 900).await;
    let told = feed.notification("time_request").await;
    assert_eq!(told["child_id"], child.as_str());
    assert_eq!(told["data"]["request_id"], id.as_str());
    assert_eq!(told["data"]["seconds"], 900);
    assert_eq!(told["body"], "to finish my song");
    // Stored, not only pushed.
    let unread = app
        .get("/v1/notifications?unread=true", Some(&parent))
        .await;
    assert!(unread.body.to_string().contains(&id), "{}", unread.body);

    // Someone else's parent cannot answer it; nor may more than was asked be granted.
    let stranger = app.register("parent").await;
    let res = answer_rest(&app, &stranger.access, &id, json!({"approve": true})).await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
    let res = answer_rest(
        &app,
        &parent,
        &id,
        json!({"approve": true, "seconds": 1200}),
    )
    .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.body);
    assert!(res.body["error"]["details"]["fields"]["seconds"].is_string());

    let res = answer_rest(&app, &parent, &id, json!({"approve": true, "seconds": 600})).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!(res.body["status"], "approved");
    assert_eq!(res.body["granted_seconds"], 600);
    assert_eq!(res.body["seconds"], 900);
    let (answer, time) = answered(&mut ws).await;
    assert_eq!(
        answer,
        json!({"type": "time_request_answered", "request_id": id, "approved": true, "seconds": 600})
    );
    assert_eq!(time["limit_seconds"], limit + 600);
    // Every device of the parent learns it was answered.
    let echo = feed.until("time_request_answered").await;
    assert_eq!(
        (echo["request_id"].as_str(), echo["approved"].as_bool()),
        (Some(id.as_str()), Some(true))
    );

    // Once only.
    let res = answer_rest(&app, &parent, &id, json!({"approve": false})).await;
    assert_eq!(res.status, StatusCode::CONFLICT);
    assert_eq!(res.code(), "already_answered");
    // It is a grant for today, and audited.
    let today = app
        .get(
            &format!("/v1/children/{child}/screen-time/today"),
            Some(&parent),
        )
        .await;
    assert_eq!(today.body["bonus_seconds"], 600);
    let admin = app.admin().await;
    let log = app
        .get("/v1/audit?entity_type=time_request", Some(&admin.access))
        .await;
    let entries = log.body["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 1, "{}", log.body);
    assert_eq!(entries[0]["entity_id"], id.as_str());
}

#[actix_web::test]
async fn one_pending_request_three_a_day_and_denials_over_the_feed() {
    let app = spawn_app().await;
    let (parent, child) = child_in(&app, "Pacific/Auckland").await;
    let mut feed = app.ws("/v1/parent/live", &parent).await;
    feed.until("hello").await;
    let mut ws = app
        .ws(&format!("/v1/play?learner_id={child}"), &parent)
        .await;
    let limit = ws.expect("hello").await["time"]["limit_seconds"]
        .as_u64()
        .unwrap();

    for bad in [
        json!({"type": "ask_time", "seconds": 299}),
        json!({"type": "ask_time", "seconds": 3601}),
        json!({"type": "ask_time"}),
    ] {
        assert_eq!(refused(&mut ws, bad).await, "bad_message");
    }
    for round in 0..3 {
        let id = ask(&mut ws, 300).await;
        let asked = json!({"type": "ask_time", "seconds": 600});
        assert_eq!(refused(&mut ws, asked).await, "time_request_pending");
        if round == 0 {
            // The feed checks its frame; an unknown request is named as such.
            feed.send(json!({"type": "answer_time_request", "request_id": id, "approve": true, "seconds": 30}))
                .await;
            assert_eq!(feed.until("error").await["code"], "bad_message");
            feed.send(json!({"type": "answer_time_request", "request_id": uuid::Uuid::now_v7().to_string(), "approve": true}))
                .await;
            assert_eq!(feed.until("error").await["code"], "unknown_request");
        }
        feed.send(json!({"type": "answer_time_request", "request_id": id, "approve": false}))
            .await;
        let (answer, time) = answered(&mut ws).await;
        assert_eq!(
            (answer["approved"].as_bool(), answer["seconds"].as_u64()),
            (Some(false), Some(0))
        );
        assert_eq!(time["limit_seconds"], limit, "a denial grants nothing");
        if round == 0 {
            feed.send(json!({"type": "answer_time_request", "request_id": id, "approve": true}))
                .await;
            assert_eq!(feed.until("error").await["code"], "already_answered");
        }
    }
    assert_eq!(
        refused(&mut ws, json!({"type": "ask_time", "seconds": 300})).await,
        "time_request_limit"
    );

    // A student has no parent to ask.
    let student = app.register("student").await;
    let learner = app.get("/v1/auth/me", Some(&student.access)).await.body["learner"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let mut own = app
        .ws(&format!("/v1/play?learner_id={learner}"), &student.access)
        .await;
    own.expect("hello").await;
    assert_eq!(
        refused(&mut own, json!({"type": "ask_time", "seconds": 300})).await,
        "forbidden"
    );
}

#[actix_web::test]
async fn asked_on_one_node_answered_on_another() {
    let Some((app, other, node_b)) = crate::redis_nodes::two_nodes().await else {
        return;
    };
    let (parent, child) = child_in(&app, "UTC").await;
    let mut feed = node_b.ws("/v1/parent/live", &parent).await;
    feed.until("hello").await;
    let mut ws = app
        .ws(&format!("/v1/play?learner_id={child}"), &parent)
        .await;
    let limit = ws.expect("hello").await["time"]["limit_seconds"]
        .as_u64()
        .unwrap();

    // Asked on node A, heard on node B's feed, answered on node B.
    let id = ask(&mut ws, 1200).await;
    let told = feed.notification("time_request").await;
    assert_eq!(told["data"]["request_id"], id.as_str());
    let res = answer_rest(&node_b, &parent, &id, json!({"approve": true})).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let (answer, time) = answered(&mut ws).await;
    assert_eq!(
        (answer["approved"].as_bool(), answer["seconds"].as_u64()),
        (Some(true), Some(1200))
    );
    assert_eq!(time["limit_seconds"], limit + 1200);

    // Downtime set on node B closes play on node A at once.
    let res = node_b
        .put(
            &format!("/v1/children/{child}/settings"),
            Some(&parent),
            &json!({"downtime": [window_around_now("UTC")]}),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    told_downtime_and_closed(&mut ws).await;
    drop(feed);
    other.kill();
}
