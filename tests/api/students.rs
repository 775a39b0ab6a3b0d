//! Students own their study: their grades reach them live, and the family hears of them.

use actix_web::http::StatusCode;
use serde_json::json;

use crate::common::spawn_app;
use crate::rest::class_with_student;

#[actix_rt::test]
async fn an_assessment_reaches_the_students_play_socket_and_the_parent_at_once() {
    let app = spawn_app().await;
    let (teacher, student, learner, class_id) = class_with_student(&app).await;
    let mut play = app
        .ws(&format!("/v1/play?learner_id={learner}"), &student.access)
        .await;
    play.expect("hello").await;

    let body = json!({"assessment_type": "mock", "component": "listening", "grade": "7",
        "percentage": 78.0, "feedback": "Good dictation; check the cadences."});
    let url = format!("/v1/learners/{learner}/assessments");
    let created = app.post(&url, Some(&teacher.access), &body).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let id = created.body["id"].as_str().unwrap().to_string();
    let frame = play.until("assessment").await;
    assert_eq!(frame["assessment"]["id"], id.as_str());
    assert_eq!(frame["assessment"]["grade"], "7");
    assert_eq!(frame["assessment"]["feedback"], body["feedback"]);
    assert!(frame["assessment"]["assessed_at"].is_string());

    let mut changed = body.clone();
    changed["grade"] = json!("8");
    let res = app
        .put(
            &format!("/v1/assessments/{id}"),
            Some(&teacher.access),
            &changed,
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let frame = play.until("assessment").await;
    assert_eq!(frame["assessment"]["grade"], "8");

    // The student's own list; nobody else has one.
    let mine = app.get("/v1/me/assessments", Some(&student.access)).await;
    assert_eq!(mine.status, StatusCode::OK);
    assert_eq!(mine.body[0]["id"], id.as_str());
    assert_eq!(mine.body[0]["grade"], "8");
    let res = app.get("/v1/me/assessments", Some(&teacher.access)).await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);

    // A parent's child in the class: the parent gets a stored notification, live too.
    let (parent, child) = app.parent_with_child("Ada").await;
    let code = app
        .get(&format!("/v1/classes/{class_id}"), Some(&teacher.access))
        .await
        .body["join_code"]
        .clone();
    let joined = app
        .post(
            &format!("/v1/children/{child}/classes"),
            Some(&parent.access),
            &json!({"join_code": code}),
        )
        .await;
    assert!(joined.status.is_success(), "{}", joined.body);
    let mut feed = app.ws("/v1/parent/live", &parent.access).await;
    feed.expect("hello").await;
    let res = app
        .post(
            &format!("/v1/learners/{child}/assessments"),
            Some(&teacher.access),
            &body,
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    let note = feed.notification("assessment_recorded").await;
    assert_eq!(note["child_id"], child.as_str());
    assert_eq!(note["data"]["assessment"]["grade"], "7");
    let stored = app
        .get("/v1/notifications?unread=true", Some(&parent.access))
        .await;
    assert!(
        stored.body["notifications"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["kind"] == "assessment_recorded"),
        "{}",
        stored.body
    );
}
