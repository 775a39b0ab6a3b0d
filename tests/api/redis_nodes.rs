//! Nodes sharing Redis: the content cache sees each other's changes, and a parent's change
//! reaches a child playing on another node. With Redis away the database answers and nobody
//! notices.

use crate::common;
use crate::common::{Api, KillableServer, eventually, spawn_app_with};
use awc::http::StatusCode;
use serde_json::{Value, json};

fn activity(n: usize) -> Value {
    let questions: Vec<Value> = (0..n)
        .map(|i| json!({"id": format!("q{i}"), "prompt": "?", "answer_type": "true_false", "correct_answer": true, "explanation": "yes"}))
        .collect();
    json!({"id": format!("science-cache-{}", uuid::Uuid::new_v4().simple()), "title": "Cache test", "category": "science",
           "difficulty": 1, "age_min": 6, "age_max": 9, "questions": questions})
}

/// Two servers over one database sharing a Redis namespace of their own; `None` (skip)
/// outside CI when no Redis is configured.
pub(crate) async fn two_nodes() -> Option<(common::TestApp, KillableServer, Api)> {
    let Ok(redis) = std::env::var("STUDYHUB_TEST_REDIS_URL") else {
        assert!(
            std::env::var("CI").is_err(),
            "CI must set STUDYHUB_TEST_REDIS_URL"
        );
        return None;
    };
    let prefix = format!("test-{}", uuid::Uuid::new_v4().simple());
    let (r1, p1) = (redis.clone(), prefix.clone());
    let app = spawn_app_with(move |c| {
        c.redis_url = Some(r1);
        c.redis_prefix = p1;
    })
    .await;
    let other = KillableServer::start(&app.db, move |c| {
        c.redis_url = Some(redis);
        c.redis_prefix = prefix;
    });
    let node_b = Api::new(other.port);
    // Both nodes on the bus before anything is published: a node joins it in the background.
    for api in [&app.api, &node_b] {
        crate::common::wait::poll_until(
            std::time::Duration::from_secs(10),
            "the node joins the bus",
            || async { api.get("/health", None).await.body["services"]["cache"] == "redis" },
        )
        .await;
    }
    Some((app, other, node_b))
}

#[actix_web::test]
async fn a_change_on_one_node_is_seen_on_another_sharing_redis() {
    let Some((app, other, node_b)) = two_nodes().await else {
        return;
    };
    assert_eq!(
        app.get("/health", None).await.body["services"]["cache"],
        "redis"
    );

    let teacher = app.register("teacher").await;
    let body = activity(1);
    let id = body["id"].as_str().unwrap().to_string();
    assert_eq!(
        app.post("/v1/activities", Some(&teacher.access), &body)
            .await
            .status,
        StatusCode::CREATED
    );
    // Node B reads it (and now holds it in both caches).
    assert_eq!(
        node_b
            .get(&format!("/v1/activities/{id}"), Some(&teacher.access))
            .await
            .body["question_count"],
        1
    );
    let listed = node_b
        .get("/v1/activities?category=science", Some(&teacher.access))
        .await;
    assert!(
        listed
            .body
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["id"] == id.as_str())
    );

    // Changed on node A: node B hears the invalidation and serves the new version.
    let mut edit = activity(3);
    edit["id"] = json!(id);
    assert_eq!(
        app.put(
            &format!("/v1/activities/{id}"),
            Some(&teacher.access),
            &edit
        )
        .await
        .status,
        StatusCode::OK
    );
    eventually(2000, || async {
        node_b
            .get(&format!("/v1/activities/{id}"), Some(&teacher.access))
            .await
            .body["question_count"]
            == 3
    })
    .await;
    eventually(2000, || async {
        node_b
            .get("/v1/activities?category=science", Some(&teacher.access))
            .await
            .body
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["id"] == id.as_str() && a["question_count"] == 3)
    })
    .await;
    assert_eq!(
        app.delete(&format!("/v1/activities/{id}"), Some(&teacher.access))
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    eventually(2000, || async {
        node_b
            .get(&format!("/v1/activities/{id}"), None)
            .await
            .status
            == StatusCode::NOT_FOUND
    })
    .await;
    other.kill();
}

#[actix_web::test]
async fn with_redis_away_the_database_serves_and_play_goes_on() {
    let app = spawn_app_with(|c| c.redis_url = Some("redis://127.0.0.1:1".into())).await;
    let health = app.get("/health", None).await;
    assert_eq!(health.status, StatusCode::OK);
    assert_eq!(health.body["services"]["cache"], "down");
    assert!(
        app.get("/v1/activities", None)
            .await
            .body
            .as_array()
            .unwrap()
            .len()
            >= 18
    );
    assert_eq!(
        app.get("/v1/activities/math-addition-1", None).await.status,
        StatusCode::OK
    );
    let (parent, child) = app.parent_with_child("Nia").await;
    let mut ws = app
        .ws(&format!("/v1/play?learner_id={child}"), &parent.access)
        .await;
    ws.expect("hello").await;
    ws.send(json!({"type": "start", "activity_id": "math-addition-1"}))
        .await;
    ws.expect("started").await;
}

#[actix_web::test]
async fn a_limit_set_on_one_node_ends_play_on_another() {
    let Some((app, other, node_b)) = two_nodes().await else {
        return;
    };
    let (parent, child) = app.parent_with_child("Ola").await;
    let mut ws = node_b
        .ws(&format!("/v1/play?learner_id={child}"), &parent.access)
        .await;
    ws.expect("hello").await;
    // Node A takes the grant and the new limit; the child on node B feels both at once.
    let res = app
        .post(
            &format!("/v1/children/{child}/screen-time/grant"),
            Some(&parent.access),
            &json!({"seconds": 600}),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(ws.expect("time").await["limit_seconds"], 4200);
    let res = app
        .put(
            &format!("/v1/children/{child}/settings"),
            Some(&parent.access),
            &json!({"daily_time_limit_seconds": 0}),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(ws.expect("time").await["limit_seconds"], 600);
    drop(ws);
    other.kill();
}

#[actix_web::test]
async fn parents_and_teachers_on_one_node_hear_learners_on_another() {
    let Some((app, other, node_b)) = two_nodes().await else {
        return;
    };

    // A parent watches on node A; the child plays on node B.
    let (parent, child) = app.parent_with_child("Remy").await;
    let teacher = app.register("teacher").await;
    let code = app
        .post(
            "/v1/classes",
            Some(&teacher.access),
            &json!({"name": "Mixed"}),
        )
        .await
        .body["join_code"]
        .clone();
    let class_id = app.get("/v1/classes", Some(&teacher.access)).await.body[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    app.post(
        &format!("/v1/children/{child}/classes"),
        Some(&parent.access),
        &json!({"join_code": code}),
    )
    .await;
    let mut feed = app.ws("/v1/parent/live", &parent.access).await;
    feed.until("hello").await;
    let mut view = app
        .ws(&format!("/v1/classes/{class_id}/live"), &teacher.access)
        .await;
    view.until("snapshot").await;

    let mut play = node_b
        .ws(&format!("/v1/play?learner_id={child}"), &parent.access)
        .await;
    play.expect("hello").await;
    let p = feed.until("presence").await;
    assert_eq!(
        (p["child_id"].as_str(), p["online"].as_bool()),
        (Some(child.as_str()), Some(true))
    );
    assert_eq!(view.until("presence").await["learner_id"], child.as_str());
    let sid = start_and_answer_one(&mut play).await;
    let a = view.until("answer").await;
    assert_eq!(
        (a["learner_id"].as_str(), a["correct"].as_bool()),
        (Some(child.as_str()), Some(true))
    );
    play.send(json!({"type": "finish", "session_id": sid}))
        .await;
    let n = feed.notification("activity_completed").await;
    assert_eq!(n["child_id"], child.as_str());
    assert_eq!(view.until("completed").await["learner_id"], child.as_str());
    drop(play);
    other.kill();
}

/// Access checks keep what they read (up to a minute while Redis is heard); a child renamed or
/// deleted on one node is seen so on the other within moments, through the control channel.
#[actix_web::test]
async fn a_child_changed_on_one_node_is_read_again_on_another() {
    let Some((app, other, node_b)) = two_nodes().await else {
        return;
    };
    let (parent, child) = app.parent_with_child("Pia").await;
    let tok = Some(parent.access.as_str());
    let one = format!("/v1/children/{child}");
    // Node B reads the child (and keeps it) before node A changes it.
    assert_eq!(node_b.get(&one, tok).await.body["name"], "Pia");
    let res = app
        .put(
            &one,
            tok,
            &json!({"name": "Pia Renamed", "age": 8, "interests": []}),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let within = std::time::Duration::from_secs(2);
    crate::common::wait::poll_until(within, "node B reads the new name", || async {
        node_b.get(&one, tok).await.body["name"] == "Pia Renamed"
    })
    .await;
    let progress = format!("/v1/learners/{child}/progress");
    assert_eq!(node_b.get(&progress, tok).await.status, StatusCode::OK);
    let res = app.delete(&one, tok).await;
    assert_eq!(res.status, StatusCode::NO_CONTENT, "{}", res.body);
    crate::common::wait::poll_until(within, "node B forgets the deleted child", || async {
        node_b.get(&progress, tok).await.status == StatusCode::NOT_FOUND
    })
    .await;
    assert_eq!(node_b.get(&one, tok).await.status, StatusCode::NOT_FOUND);
    other.kill();
}

/// Starts `math-shapes-1` and answers its first question right; the session's id.
async fn start_and_answer_one(play: &mut crate::common::Ws) -> String {
    play.send(json!({"type": "start", "activity_id": "math-shapes-1"}))
        .await;
    let sid = play.until("started").await["session_id"]
        .as_str()
        .unwrap()
        .to_string();
    play.send(
        json!({"type": "answer", "session_id": sid, "seq": 1, "question_id": "q1", "answer": 3}),
    )
    .await;
    sid
}

/// A progress summary read on one node is kept there; the child completing an activity on
/// another node reaches it through the control channel at once (not after the minute a kept
/// summary is trusted at most).
#[actix_web::test]
async fn a_summary_kept_on_one_node_follows_play_on_another() {
    let Some((app, other, node_b)) = two_nodes().await else {
        return;
    };
    let (parent, child) = app.parent_with_child("Noor").await;
    let tok = Some(parent.access.as_str());
    let progress = format!("/v1/learners/{child}/progress");
    assert_eq!(
        app.get(&progress, tok).await.body["activities_completed"],
        0
    );
    let mut play = node_b
        .ws(&format!("/v1/play?learner_id={child}"), &parent.access)
        .await;
    play.expect("hello").await;
    let sid = start_and_answer_one(&mut play).await;
    play.send(json!({"type": "finish", "session_id": sid}))
        .await;
    play.until("completed").await;
    let within = std::time::Duration::from_secs(3);
    crate::common::wait::poll_until(within, "node A sees the completion", || async {
        app.get(&progress, tok).await.body["activities_completed"] == 1
    })
    .await;
    drop(play);
    other.kill();
}
