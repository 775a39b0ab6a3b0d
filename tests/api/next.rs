//! `GET /v1/learners/{id}/next` over HTTP, on histories played through the real play socket:
//! harder after two completions at ≥ 90 %, easier after one under 50 %; the same answer from
//! the learner's live actor and from another node that reads the database.

use crate::common::{Api, KillableServer, Ws, spawn_app};
use awc::http::StatusCode;
use serde_json::{Value, json};

/// math-addition-1's questions with their right answers.
const ADDITION: [(&str, &str); 7] = [
    ("q1", "7"),
    ("q2", "\"13\""),
    ("q3", "12"),
    ("q4", "true"),
    ("q5", "\"15\""),
    ("q6", "9"),
    ("q7", "\"sum\""),
];

/// Plays a whole activity (achievements unlocked on the way may arrive in between); `right` gives the answer to send for a question (by id, type),
/// or `None` for one no question accepts. Returns (session id, completed frame).
async fn play(
    ws: &mut Ws,
    activity: &str,
    right: impl Fn(&str) -> Option<Value>,
) -> (String, Value) {
    ws.send(json!({"type": "start", "activity_id": activity}))
        .await;
    let started = ws.until("started").await;
    let sid = started["session_id"].as_str().unwrap().to_string();
    let questions = started["activity"]["questions"].as_array().unwrap().clone();
    for (i, q) in questions.iter().enumerate() {
        let id = q["id"].as_str().unwrap();
        let answer = right(id).unwrap_or_else(|| json!("not an answer to anything"));
        ws.send(json!({"type": "answer", "session_id": sid, "seq": i + 1, "question_id": id, "answer": answer}))
            .await;
        ws.until("feedback").await;
    }
    let done = ws.until("completed").await;
    (sid, done)
}

fn addition(q: &str) -> Option<Value> {
    ADDITION
        .iter()
        .find(|(id, _)| *id == q)
        .map(|(_, v)| serde_json::from_str(v).unwrap())
}

async fn next(api: &Api, learner: &str, token: &str) -> Value {
    let res = api
        .get(&format!("/v1/learners/{learner}/next"), Some(token))
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    res.body
}

async fn activity(api: &Api, id: &str) -> Value {
    let res = api.get(&format!("/v1/activities/{id}"), None).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    res.body
}

#[actix_web::test]
async fn harder_after_two_good_completions_easier_after_a_poor_one_live_and_from_the_database() {
    let app = spawn_app().await;
    // Age 7, interested in space.
    let (parent, child) = app.parent_with_child("Ada").await;
    let first = next(&app, &child, &parent.access).await;
    assert_eq!(first["reason"], "start_here");
    assert_eq!(first["activity_id"], "science-space-1", "{first}");

    let mut ws = app
        .ws(&format!("/v1/play?learner_id={child}"), &parent.access)
        .await;
    ws.expect("hello").await;
    // One completion at 100 % is not enough to step up.
    let (_, done) = play(&mut ws, "math-addition-1", addition).await;
    assert_eq!(done["accuracy"], 100.0);
    let one = next(&app, &child, &parent.access).await;
    assert_eq!(one["reason"], "keep_going", "{one}");
    assert_eq!(
        activity(&app, one["activity_id"].as_str().unwrap()).await["difficulty"],
        1
    );

    // The second one is asked for at once, before it is saved: the live actor knows it.
    play(&mut ws, "math-addition-1", addition).await;
    let up = next(&app, &child, &parent.access).await;
    assert_eq!(up["reason"], "harder", "{up}");
    let harder = activity(&app, up["activity_id"].as_str().unwrap()).await;
    assert_eq!(harder["category"], "math");
    assert_eq!(harder["difficulty"], 2);

    // Nothing right on the harder one: one step down.
    let (sid, done) = play(&mut ws, harder["id"].as_str().unwrap(), |_| None).await;
    assert_eq!(done["accuracy"], 0.0);
    let down = next(&app, &child, &parent.access).await;
    assert_eq!(down["reason"], "easier", "{down}");
    let easier = activity(&app, down["activity_id"].as_str().unwrap()).await;
    assert_eq!(easier["category"], "math");
    assert_eq!(easier["difficulty"], 1);
    // The learner's age (7) holds: never an activity outside it.
    assert!(easier["age_min"].as_i64().unwrap() <= 7 && easier["age_max"].as_i64().unwrap() >= 7);

    // Another node, the same database, no live actor there: the same answer from the store.
    crate::common::eventually(500, || async {
        let s = app
            .get(&format!("/v1/sessions/{sid}"), Some(&parent.access))
            .await;
        s.body["status"] == "completed"
    })
    .await;
    let other = KillableServer::start(&app.db, |_| {});
    let from_db = next(&Api::new(other.port), &child, &parent.access).await;
    assert_eq!(from_db, down);
    other.kill();

    // Readers only: another parent gets 404.
    let stranger = app.register("parent").await;
    let res = app
        .get(
            &format!("/v1/learners/{child}/next"),
            Some(&stranger.access),
        )
        .await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
    let res = app.get(&format!("/v1/learners/{child}/next"), None).await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED);
}

#[actix_web::test]
async fn a_student_without_an_age_gets_something_startable() {
    let app = spawn_app().await;
    let student = app.register("student").await;
    let learner = app.get("/v1/auth/me", Some(&student.access)).await.body["learner"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let n = next(&app, &learner, &student.access).await;
    assert_eq!(n["reason"], "start_here");
    // Startable: the play socket accepts it.
    let mut ws = app
        .ws(&format!("/v1/play?learner_id={learner}"), &student.access)
        .await;
    ws.expect("hello").await;
    ws.send(json!({"type": "start", "activity_id": n["activity_id"]}))
        .await;
    ws.expect("started").await;
}
