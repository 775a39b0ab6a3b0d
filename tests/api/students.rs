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

/// An hour and more already played today, as the database holds it.
fn played_today(database_url: &str, learner_id: &str, seconds: i32) {
    use diesel::prelude::*;
    use studyhub::infra::db::schema::screen_time_logs as logs;
    let mut conn = studyhub::infra::db::establish(database_url).unwrap();
    let now = chrono::Utc::now().naive_utc();
    diesel::insert_into(logs::table)
        .values((
            logs::id.eq(uuid::Uuid::now_v7().to_string()),
            logs::learner_id.eq(learner_id),
            logs::date.eq(now.date()),
            logs::started_at.eq(now - chrono::Duration::seconds(seconds.into())),
            logs::ended_at.eq(Some(now)),
            logs::seconds.eq(seconds),
            logs::updated_at.eq(now),
        ))
        .execute(&mut conn)
        .unwrap();
}

#[actix_rt::test]
async fn a_student_has_no_limit_until_they_set_their_own_goal() {
    let app = spawn_app().await;
    let student = app.register("student").await;
    let learner = app.get("/v1/auth/me", Some(&student.access)).await.body["learner"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let settings = app.get("/v1/me/settings", Some(&student.access)).await;
    assert_eq!(settings.status, StatusCode::OK, "{}", settings.body);
    assert!(
        settings.body["daily_time_limit_seconds"].is_null(),
        "{}",
        settings.body
    );

    // Revising for more than an hour: still playing, no limit anywhere.
    played_today(&app.db.url, &learner, 3_700);
    let mut play = app
        .ws(&format!("/v1/play?learner_id={learner}"), &student.access)
        .await;
    let hello = play.expect("hello").await;
    assert!(
        hello["time"]["used_seconds"].as_u64().unwrap() >= 3_700,
        "{hello}"
    );
    assert!(hello["time"]["limit_seconds"].is_null(), "{hello}");
    assert!(hello["time"]["left_seconds"].is_null(), "{hello}");
    play.send(json!({"type": "start", "activity_id": "music-note-values-1"}))
        .await;
    let started = play.until("started").await;
    let session = started["session_id"].clone();
    play.send(json!({"type": "answer", "session_id": session, "seq": 1,
        "question_id": "q1", "answer": 4}))
        .await;
    assert_eq!(play.until("feedback").await["correct"], true);

    // Their own daily goal is a limit like a child's, felt at once; null lifts it again.
    let res = app
        .put(
            "/v1/me/settings",
            Some(&student.access),
            &json!({"daily_time_limit_seconds": 3_600}),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!(res.body["daily_time_limit_seconds"], 3_600);
    play.until("time_up").await;
    assert_eq!(play.expect_close().await, Some(4001));
    let res = app
        .put(
            "/v1/me/settings",
            Some(&student.access),
            &json!({"daily_time_limit_seconds": null, "volume": 0.5}),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert!(res.body["daily_time_limit_seconds"].is_null());
    assert_eq!(res.body["volume"], 0.5);
    let mut again = app
        .ws(&format!("/v1/play?learner_id={learner}"), &student.access)
        .await;
    assert!(again.expect("hello").await["time"]["left_seconds"].is_null());

    // Checked like any body; a goal is the student's own.
    let res = app
        .put(
            "/v1/me/settings",
            Some(&student.access),
            &json!({"daily_time_limit_seconds": -5}),
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.body["error"]["details"]["fields"]["daily_time_limit_seconds"].is_string());
    let (parent, _) = app.parent_with_child("Kid").await;
    let res = app.get("/v1/me/settings", Some(&parent.access)).await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
}

#[actix_rt::test]
async fn the_study_hubs_results_and_saved_data_move_over_once() {
    let app = spawn_app().await;
    let student = app.register("student").await;
    let learner = app.get("/v1/auth/me", Some(&student.access)).await.body["learner"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let progress = format!("/v1/learners/{learner}/progress");

    // An existing client submits a result it graded itself: kept and counted.
    let quiz = json!({"quizId": "intervals-1", "quizTitle": "Intervals", "score": 9,
        "totalQuestions": 10, "percentage": 90, "timeSpent": 300,
        "answers": ["M3", "P5", "m6", "P4", "M2", "m3", "P8", "M6", "m7", "TT"]});
    let res = app
        .post("/v1/quizzes/submit", Some(&student.access), &quiz)
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    assert_eq!(res.body["client_graded"], true);
    let p = app.get(&progress, Some(&student.access)).await.body;
    assert_eq!(p["activities_completed"], 1, "{p}");
    assert_eq!(p["questions_answered"], 10, "{p}");

    // The hub's saved data: imported once, the same file again adds nothing.
    let saved = json!({
        "quizResults": [
            {"quizId": "keys-1", "quizTitle": "Keys", "score": 6, "totalQuestions": 8,
             "percentage": 75, "timeSpent": 240, "answers": [], "completedAt": "2026-11-30T17:00:00Z"},
            {"quizId": "keys-1", "quizTitle": "Keys", "score": 8, "totalQuestions": 8,
             "percentage": 100, "timeSpent": 200, "answers": [], "completedAt": "2026-12-01T17:00:00Z"}
        ],
        "pageProgress": [
            {"pageId": "cadences", "pageTitle": "Cadences", "timeSpent": 600, "completed": true,
             "visitedAt": "2026-12-01T16:00:00Z"}
        ]
    });
    let res = app
        .post("/v1/me/import/study-hub", Some(&student.access), &saved)
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!(res.body, json!({"imported": 3, "skipped": 0}));
    let res = app
        .post("/v1/me/import/study-hub", Some(&student.access), &saved)
        .await;
    assert_eq!(res.body, json!({"imported": 0, "skipped": 3}));
    let p = app.get(&progress, Some(&student.access)).await.body;
    assert_eq!(p["activities_completed"], 3, "{p}");
    assert_eq!(p["questions_answered"], 26, "{p}");
    let export = app.get("/v1/me/export", Some(&student.access)).await.body;
    let kept = export["learners"][0]["quiz_results"].as_array().unwrap();
    assert_eq!(kept.len(), 3, "{export}");
    assert!(kept.iter().all(|q| q["client_graded"] == true));

    // Checked like any body; only a student's own learner takes them.
    let mut bad = quiz.clone();
    bad["score"] = json!(11);
    let res = app
        .post("/v1/quizzes/submit", Some(&student.access), &bad)
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.body);
    let (parent, _) = app.parent_with_child("Kid").await;
    let res = app
        .post("/v1/quizzes/submit", Some(&parent.access), &quiz)
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
}
