//! What the family page reads, over the API: the weekly view's most missed questions
//! (`GET /v1/learners/{id}/progress/weekly`, `most_missed`), the classes of a child
//! (`GET /v1/children/{id}/classes`) and the requests for more time still waiting
//! (`GET /v1/time-requests`).

use crate::common::rest_play::{addition, play};
use crate::common::{TestApp, eventually, spawn_app};
use awc::http::StatusCode;
use serde_json::{Value, json};

/// A teacher's class; returns (teacher token, join code).
async fn class(app: &TestApp, name: &str) -> (String, String) {
    let teacher = app.register("teacher").await;
    let res = app
        .post(
            "/v1/classes",
            Some(&teacher.access),
            &json!({"name": name, "subject": "Maths"}),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    (
        teacher.access,
        res.body["join_code"].as_str().unwrap().to_string(),
    )
}

async fn weekly(app: &TestApp, token: &str, child: &str) -> Value {
    let res = app
        .get(
            &format!("/v1/learners/{child}/progress/weekly"),
            Some(token),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    res.body
}

fn missed(week: &Value) -> Vec<(String, String, i64)> {
    week["most_missed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["activity_id"].as_str().unwrap().to_string(),
                m["question_id"].as_str().unwrap().to_string(),
                m["times_missed"].as_i64().unwrap(),
            )
        })
        .collect()
}

/// Two wrong answers to one question and one to another: listed most missed first, with the
/// prompt the child saw; a teacher reads only what they may see; a stranger nothing.
#[actix_web::test]
async fn the_week_lists_the_questions_missed_most_often() {
    let app = spawn_app().await;
    let (parent, child) = app.parent_with_child("Noor").await;
    let tok = parent.access.as_str();
    assert_eq!(weekly(&app, tok, &child).await["most_missed"], json!([]));

    // Two classes: the first teacher's own quiz is for their classes only.
    let (author, code) = class(&app, "3A").await;
    let (other, other_code) = class(&app, "Choir").await;
    for code in [&code, &other_code] {
        let res = app
            .post(
                &format!("/v1/children/{child}/classes"),
                Some(tok),
                &json!({"join_code": code}),
            )
            .await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    }
    let quiz = json!({"id": "missed-quiz", "title": "Doubles", "category": "math", "difficulty": 1,
        "age_min": 5, "age_max": 9, "questions": [{"id": "d1", "prompt": "What is 4 + 4?",
        "answer_type": "number", "correct_answer": 8}]});
    let res = app.post("/v1/activities", Some(&author), &quiz).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);

    play(
        &app,
        tok,
        &child,
        "math-addition-1",
        &addition(),
        &["q2", "q3"],
    )
    .await;
    play(&app, tok, &child, "math-addition-1", &addition(), &["q2"]).await;
    play(
        &app,
        tok,
        &child,
        "missed-quiz",
        &[("d1", json!(8), json!(9))],
        &["d1"],
    )
    .await;

    // Answers are stored by the group commit, a moment after they are answered.
    eventually(2000, || async {
        missed(&weekly(&app, tok, &child).await).len() == 3
    })
    .await;
    let week = weekly(&app, tok, &child).await;
    assert_eq!(
        missed(&week),
        vec![
            ("math-addition-1".to_string(), "q2".to_string(), 2),
            ("math-addition-1".to_string(), "q3".to_string(), 1),
            ("missed-quiz".to_string(), "d1".to_string(), 1),
        ],
        "{week}"
    );
    let first = &week["most_missed"][0];
    let activity = app
        .get("/v1/activities/math-addition-1", Some(tok))
        .await
        .body;
    let q2 = activity["questions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["id"] == "q2")
        .unwrap();
    assert_eq!(first["prompt"], q2["prompt"], "{week}");
    assert_eq!(first["activity_title"], activity["title"]);
    assert_eq!(week["most_missed"][2]["prompt"], "What is 4 + 4?");

    // The quiz's author reads it all; the other teacher of the child reads the public
    // activity's questions but not the prompt of a quiz that is not theirs to see.
    assert_eq!(missed(&weekly(&app, &author, &child).await).len(), 3);
    let seen_by_other = missed(&weekly(&app, &other, &child).await);
    assert_eq!(seen_by_other.len(), 2, "{seen_by_other:?}");
    assert!(seen_by_other.iter().all(|(a, _, _)| a == "math-addition-1"));

    // Another parent learns nothing, not even that the child exists.
    let stranger = app.register("parent").await;
    let res = app
        .get(
            &format!("/v1/learners/{child}/progress/weekly"),
            Some(&stranger.access),
        )
        .await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);

    // Another week has nothing missed.
    let res = weekly_of(&app, tok, &child, "2020-W10").await;
    assert_eq!(res["most_missed"], json!([]));
}

async fn weekly_of(app: &TestApp, token: &str, child: &str, week: &str) -> Value {
    let res = app
        .get(
            &format!("/v1/learners/{child}/progress/weekly?week={week}"),
            Some(token),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    res.body
}

/// The family page lists a child's classes with their teacher, no join code; only for the
/// child's parent.
#[actix_web::test]
async fn a_parent_reads_the_classes_of_a_child() {
    let app = spawn_app().await;
    let (parent, child) = app.parent_with_child("Ivo").await;
    let tok = parent.access.as_str();
    let url = format!("/v1/children/{child}/classes");
    let res = app.get(&url, Some(tok)).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!(res.body, json!([]));

    let (_, code) = class(&app, "Year 2 Robins").await;
    let (_, code2) = class(&app, "Art club").await;
    for c in [&code, &code2, &code] {
        let res = app.post(&url, Some(tok), &json!({"join_code": c})).await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    }
    let res = app.get(&url, Some(tok)).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let list = res.body.as_array().unwrap();
    let names: Vec<&str> = list.iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["Art club", "Year 2 Robins"]);
    assert_eq!(list[1]["subject"], "Maths");
    assert!(
        list[1]["teacher_name"]
            .as_str()
            .is_some_and(|n| !n.is_empty()),
        "{}",
        res.body
    );
    assert!(list[1].get("join_code").is_none(), "{}", res.body);
    assert!(list[1]["joined_at"].is_string());

    let stranger = app.register("parent").await;
    assert_eq!(
        app.get(&url, Some(&stranger.access)).await.status,
        StatusCode::NOT_FOUND
    );
    let teacher = app.register("teacher").await;
    assert_eq!(
        app.get(&url, Some(&teacher.access)).await.status,
        StatusCode::FORBIDDEN
    );
}

/// A request the child made is listed until it is answered, for its own parent only.
#[actix_web::test]
async fn pending_requests_are_listed_until_answered() {
    let app = spawn_app().await;
    let (parent, child) = app.parent_with_child("Mo").await;
    let tok = parent.access.as_str();
    assert_eq!(
        app.get("/v1/time-requests", Some(tok)).await.body,
        json!([])
    );
    let mut ws = app.ws(&format!("/v1/play?learner_id={child}"), tok).await;
    ws.expect("hello").await;
    ws.send(json!({"type": "ask_time", "seconds": 900, "reason": "one more song"}))
        .await;
    let id = ws.expect("time_request").await["request_id"]
        .as_str()
        .unwrap()
        .to_string();

    let res = app.get("/v1/time-requests", Some(tok)).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let list = res.body.as_array().unwrap();
    assert_eq!(list.len(), 1, "{}", res.body);
    assert_eq!(list[0]["id"], id.as_str());
    assert_eq!(list[0]["child_id"], child.as_str());
    assert_eq!(list[0]["seconds"], 900);
    assert_eq!(list[0]["reason"], "one more song");
    assert_eq!(list[0]["status"], "pending");

    let stranger = app.register("parent").await;
    let res = app.get("/v1/time-requests", Some(&stranger.access)).await;
    assert_eq!(res.body, json!([]));
    let teacher = app.register("teacher").await;
    let res = app.get("/v1/time-requests", Some(&teacher.access)).await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);

    let res = app
        .post(
            &format!("/v1/time-requests/{id}"),
            Some(tok),
            &json!({"approve": false}),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!(
        app.get("/v1/time-requests", Some(tok)).await.body,
        json!([])
    );
}
