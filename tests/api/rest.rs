//! The REST surface: authoring, progress, pages, assessments, audit, the dashboard, and who
//! may call what.

use crate::common;
use crate::common::rest_play::{addition, play, space};
use crate::common::{Account, TestApp, eventually, spawn_app};
use awc::http::StatusCode;
use serde_json::{Value, json};

fn question(id: &str) -> Value {
    json!({"id": id, "prompt": format!("What is {id}?"), "answer_type": "multiple_choice", "options": ["a", "b"], "correct_answer": "a", "explanation": "because"})
}

fn activity(questions: Vec<Value>) -> Value {
    json!({"title": "Rhythm Basics", "description": "Count the beats", "category": "music", "sub_category": "rhythm",
           "difficulty": 2, "age_min": 12, "age_max": 16, "questions": questions})
}

#[actix_web::test]
async fn teachers_write_activities_and_bad_content_is_refused_field_by_field() {
    let app = spawn_app().await;
    let teacher = app.register("teacher").await;
    let res = app
        .post(
            "/v1/activities",
            Some(&teacher.access),
            &activity(vec![question("q1"), question("q2")]),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    let id = res.body["id"].as_str().unwrap().to_string();
    assert!(id.starts_with("music-rhythm-basics-"), "{id}");
    assert!(!res.body.to_string().contains("correct_answer"));
    let got = app
        .get(&format!("/v1/activities/{id}"), Some(&teacher.access))
        .await;
    assert_eq!(got.body["question_count"], 2);

    let field = |r: &common::Response| r.body["error"]["details"]["fields"].clone();
    let cases: Vec<(Value, &str)> = vec![
        (activity(vec![]), "questions"),
        (
            activity((0..51).map(|i| question(&format!("q{i}"))).collect()),
            "questions",
        ),
        (
            activity(vec![question("q1"), question("q1")]),
            "questions[1].id",
        ),
        (
            activity(vec![
                json!({"id": "q1", "prompt": "?", "answer_type": "multiple_choice", "options": ["a", "b"], "correct_answer": "c"}),
            ]),
            "questions[0].correct_answer",
        ),
        (
            activity(vec![
                json!({"id": "q1", "prompt": "?", "answer_type": "number", "correct_answer": "seven"}),
            ]),
            "questions[0].correct_answer",
        ),
        (
            activity(vec![
                json!({"id": "q1", "prompt": "?", "answer_type": "true_false", "correct_answer": true, "options": ["x", "y"]}),
            ]),
            "questions[0].options",
        ),
        (
            activity(vec![
                json!({"id": "q1", "prompt": "", "answer_type": "text", "correct_answer": "x"}),
            ]),
            "questions[0].prompt",
        ),
    ];
    for (body, f) in cases {
        let res = app
            .post("/v1/activities", Some(&teacher.access), &body)
            .await;
        assert_eq!(
            res.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{f}: {}",
            res.body
        );
        assert!(field(&res)[f].is_string(), "{f} in {}", res.body);
    }
    let mut bad = activity(vec![question("q1")]);
    bad["difficulty"] = json!(9);
    bad["age_min"] = json!(1);
    let res = app
        .post("/v1/activities", Some(&teacher.access), &bad)
        .await;
    assert!(field(&res)["difficulty"].is_string() && field(&res)["age_min"].is_string());
    let mut clash = activity(vec![question("q1")]);
    clash["id"] = json!(id);
    assert_eq!(
        app.post("/v1/activities", Some(&teacher.access), &clash)
            .await
            .status,
        StatusCode::CONFLICT
    );

    // Only the author (or an admin) changes it; the catalog sees the change at once.
    let other = app.register("teacher").await;
    let edit = activity(vec![question("q1"), question("q2"), question("q3")]);
    assert_eq!(
        app.put(&format!("/v1/activities/{id}"), Some(&other.access), &edit)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let res = app
        .put(
            &format!("/v1/activities/{id}"),
            Some(&teacher.access),
            &edit,
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!(
        app.get(&format!("/v1/activities/{id}"), Some(&teacher.access))
            .await
            .body["question_count"],
        3
    );
    assert_eq!(
        app.put(
            "/v1/activities/math-addition-1",
            Some(&teacher.access),
            &edit
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );
    let parent = app.register("parent").await;
    assert_eq!(
        app.post("/v1/activities", Some(&parent.access), &edit)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.delete(&format!("/v1/activities/{id}"), Some(&teacher.access))
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        app.get(&format!("/v1/activities/{id}"), None).await.status,
        StatusCode::NOT_FOUND
    );
}

/// `one_try`: an activity may say a child gets no second try; it is kept, shown to players
/// (the play page reads it from `started`) and given back to the editor. By default: false.
#[actix_web::test]
async fn an_activity_may_give_one_try_only() {
    let app = spawn_app().await;
    let teacher = app.register("teacher").await;
    let tok = Some(teacher.access.as_str());
    let mut body = activity(vec![question("q1"), question("q2")]);
    body["one_try"] = json!(true);
    let res = app.post("/v1/activities", tok, &body).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    assert_eq!(res.body["one_try"], true, "{}", res.body);
    let id = res.body["id"].as_str().unwrap().to_string();
    let public = app.get(&format!("/v1/activities/{id}"), tok).await;
    assert_eq!(public.body["one_try"], true, "{}", public.body);
    let source = app.get(&format!("/v1/activities/{id}/source"), tok).await;
    assert_eq!(source.body["one_try"], true, "{}", source.body);
    let res = app
        .post(
            "/v1/activities",
            tok,
            &activity(vec![question("q1"), question("q2")]),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    assert_eq!(res.body["one_try"], false, "{}", res.body);
}

/// A summary read once is kept in memory and moved by each group commit: the next session's
/// end shows in it without a fresh read (it would stay behind for a minute otherwise), with
/// the same figures as the database's.
#[actix_web::test]
async fn a_kept_progress_summary_follows_each_completed_session() {
    let app = spawn_app().await;
    let (parent, child) = app.parent_with_child("Kit").await;
    let tok = parent.access.as_str();
    let url = format!("/v1/learners/{child}/progress");
    let math = play(&app, tok, &child, "math-addition-1", &addition(), &["q2"]).await;
    // first-steps unlocked (an unlock makes the summary be read again): kept from here on.
    let first = 10 * math["stars"].as_i64().unwrap() + 10;
    eventually(1000, || async {
        app.get(&url, Some(tok)).await.body["points"] == first
    })
    .await;
    let science = play(
        &app,
        tok,
        &child,
        "science-space-1",
        &space(),
        &["q2", "q3"],
    )
    .await;
    eventually(1000, || async {
        app.get(&url, Some(tok)).await.body["activities_completed"] == 2
    })
    .await;
    let p = app.get(&url, Some(tok)).await.body;
    let stars = math["stars"].as_i64().unwrap() + science["stars"].as_i64().unwrap();
    assert_eq!(p["stars"], stars);
    assert_eq!(p["points"], 10 * stars + 10, "{p}");
    assert_eq!(p["questions_answered"], 14);
    assert_eq!(p["questions_correct"], 11);
    let (a, b) = (
        math["accuracy"].as_f64().unwrap(),
        science["accuracy"].as_f64().unwrap(),
    );
    let avg = p["average_accuracy"].as_f64().unwrap();
    assert!((avg - (a + b) / 2.0).abs() < 1e-9, "{p}");
    assert_eq!(p["by_category"]["science"]["activities_completed"], 1);
    assert_eq!(p["by_category"]["science"]["questions_correct"], 5);
    assert_eq!(
        p["by_category"]["science"]["average_accuracy"],
        science["accuracy"]
    );
    assert_eq!(p["current_streak_days"], 1);
    // The database's own daily rows say the same.
    let weekly = app
        .get(&format!("/v1/learners/{child}/progress/weekly"), Some(tok))
        .await
        .body;
    for field in [
        "activities_completed",
        "questions_answered",
        "questions_correct",
        "stars",
    ] {
        assert_eq!(
            weekly["totals"][field], p[field],
            "{field}: {weekly} vs {p}"
        );
    }
}

/// The catalog's stars: each activity's best completed session, not its latest; an activity
/// never completed has none. Read like the rest of the progress, by the family only.
#[actix_web::test]
async fn best_stars_are_the_best_session_of_each_activity() {
    let app = spawn_app().await;
    let (parent, child) = app.parent_with_child("Noor").await;
    let tok = parent.access.as_str();
    let url = format!("/v1/learners/{child}/progress");
    let perfect = play(&app, tok, &child, "math-addition-1", &addition(), &[]).await;
    assert_eq!(perfect["stars"], 3);
    let poor = play(
        &app,
        tok,
        &child,
        "math-addition-1",
        &addition(),
        &["q1", "q2", "q3"],
    )
    .await;
    assert_eq!(poor["stars"], 1);
    let science = play(
        &app,
        tok,
        &child,
        "science-space-1",
        &space(),
        &["q2", "q3"],
    )
    .await;
    assert_eq!(science["stars"], 2);
    eventually(1000, || async {
        app.get(&url, Some(tok)).await.body["activities_completed"] == 3
    })
    .await;
    let p = app.get(&url, Some(tok)).await.body;
    assert_eq!(
        p["best_stars"],
        json!({"math-addition-1": 3, "science-space-1": 2}),
        "{p}"
    );
    // Someone else's parent reads nothing of it.
    let stranger = app.register("parent").await;
    let res = app.get(&url, Some(&stranger.access)).await;
    assert!(
        [StatusCode::FORBIDDEN, StatusCode::NOT_FOUND].contains(&res.status),
        "{}",
        res.status
    );
}

#[actix_web::test]
async fn progress_matches_a_scripted_history() {
    let app = spawn_app().await;
    let (parent, child) = app.parent_with_child("Iris").await;
    let tok = parent.access.as_str();
    let done = play(&app, tok, &child, "math-addition-1", &addition(), &["q2"]).await;
    assert_eq!(done["stars"], 2);
    let done = play(&app, tok, &child, "science-space-1", &space(), &[]).await;
    assert_eq!(done["stars"], 3);
    // Replaying math perfectly: the average uses the latest session of each activity.
    play(&app, tok, &child, "math-addition-1", &addition(), &[]).await;
    // Session ends and unlocks land with the next group commits.
    let url = format!("/v1/learners/{child}/progress");
    eventually(1000, || async {
        app.get(&url, Some(tok)).await.body["activities_completed"] == 3
    })
    .await;
    // first-steps (10) and perfect-score (20) unlock; stars 2 + 3 + 3 = 8.
    eventually(1000, || async {
        app.get(&url, Some(tok)).await.body["points"] == 8 * 10 + 10 + 20
    })
    .await;
    let p = app.get(&url, Some(tok)).await.body;
    assert_eq!(p["questions_answered"], 21);
    assert_eq!(p["questions_correct"], 20);
    assert_eq!(p["stars"], 8);
    assert_eq!(p["average_accuracy"], 100.0);
    assert_eq!(p["current_streak_days"], 1);
    assert_eq!(p["longest_streak_days"], 1);
    assert_eq!(p["by_category"]["math"]["activities_completed"], 2);
    assert_eq!(p["by_category"]["science"]["stars"], 3);

    let daily = app
        .get(&format!("/v1/learners/{child}/progress/daily"), Some(tok))
        .await;
    let days = daily.body["days"].as_array().unwrap();
    assert_eq!(days.len(), 7);
    assert_eq!(days[6]["activities_completed"], 3);
    assert_eq!(days[0]["activities_completed"], 0);
    let weekly = app
        .get(&format!("/v1/learners/{child}/progress/weekly"), Some(tok))
        .await;
    assert_eq!(weekly.body["totals"]["activities_completed"], 3);
    assert_eq!(weekly.body["days"].as_array().unwrap().len(), 7);
    let bad = app
        .get(
            &format!("/v1/learners/{child}/progress/weekly?week=2026-47"),
            Some(tok),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let bad = app
        .get(
            &format!("/v1/learners/{child}/progress/daily?from=2026-11-20&to=2026-11-01"),
            Some(tok),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);

    // Study pages add up and count as study time.
    let pages = format!("/v1/learners/{child}/pages");
    app.post(
        &pages,
        Some(tok),
        &json!({"page_id": "intervals", "title": "Intervals", "seconds": 120, "completed": false}),
    )
    .await;
    let res = app.post(&pages, Some(tok), &json!({"page_id": "intervals", "title": "Intervals", "seconds": 60, "completed": true})).await;
    assert_eq!(res.body["seconds"], 180);
    assert_eq!(res.body["completed"], true);
    let res = app
        .post(
            &pages,
            Some(tok),
            &json!({"page_id": "intervals", "title": "Intervals", "seconds": 10}),
        )
        .await;
    assert_eq!(res.body["completed"], true, "completion sticks");
    let res = app
        .post(
            &pages,
            Some(tok),
            &json!({"page_id": "", "title": "x", "seconds": -1}),
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        app.get(&url, Some(tok)).await.body["by_category"]["pages"]["study_seconds"],
        190
    );

    // The weekly report, as a PDF a parent can print and as CSV.
    let pdf = app
        .get(&format!("/v1/learners/{child}/report.pdf"), Some(tok))
        .await;
    assert_eq!(pdf.status, StatusCode::OK);
    assert_eq!(pdf.headers.get("content-type").unwrap(), "application/pdf");
    let doc = lopdf::Document::load_mem(&pdf.raw).expect("a PDF");
    let text = doc.extract_text(&[1]).unwrap();
    assert!(text.contains("Iris"), "{text}");
    assert!(
        text.contains("Adding Up to 20")
            && text.contains("Our Solar System")
            && text.contains("First Steps"),
        "{text}"
    );
    let csv = app
        .get(&format!("/v1/learners/{child}/report.csv"), Some(tok))
        .await;
    let csv = String::from_utf8(csv.raw).unwrap();
    assert_eq!(csv.lines().count(), 8);
    assert!(
        csv.lines().any(|l| l.split(',').nth(3) == Some("3")),
        "{csv}"
    );
    let stranger = app.register("parent").await;
    assert_eq!(
        app.get(
            &format!("/v1/learners/{child}/report.pdf"),
            Some(&stranger.access)
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );

    let dash = app.get("/v1/parent/dashboard", Some(tok)).await;
    assert_eq!(dash.status, StatusCode::OK);
    let kid = &dash.body["children"][0];
    assert_eq!(kid["id"], child.as_str());
    assert_eq!(kid["week"]["activities_completed"], 3);
    assert_eq!(kid["new_achievements"].as_array().unwrap().len(), 2);
    assert!(kid["unread_notifications"].as_i64().unwrap() >= 3);
}

pub async fn class_with_student(app: &TestApp) -> (Account, Account, String, String) {
    let teacher = app.register("teacher").await;
    let class = app
        .post(
            "/v1/classes",
            Some(&teacher.access),
            &json!({"name": "IGCSE Music"}),
        )
        .await
        .body;
    let student = app.register("student").await;
    let learner = app.get("/v1/auth/me", Some(&student.access)).await.body["learner"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    app.post(
        "/v1/classes/join",
        Some(&student.access),
        &json!({"join_code": class["join_code"]}),
    )
    .await;
    (
        teacher,
        student,
        learner,
        class["id"].as_str().unwrap().to_string(),
    )
}

#[actix_web::test]
async fn assessments_are_written_by_the_class_teacher_and_read_by_the_family() {
    let app = spawn_app().await;
    let (teacher, student, learner, _) = class_with_student(&app).await;
    let url = format!("/v1/learners/{learner}/assessments");
    let good = json!({"assessment_type": "mock", "component": "Listening", "grade": "a*", "percentage": 91.5, "feedback": "Excellent dictation"});
    let res = app.post(&url, Some(&teacher.access), &good).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    assert_eq!(res.body["grade"], "A*");
    assert_eq!(res.body["component"], "listening");
    let id = res.body["id"].as_str().unwrap().to_string();
    for (patch, f) in [
        (json!({"grade": "Z"}), "grade"),
        (json!({"percentage": 101}), "percentage"),
        (json!({"component": "juggling"}), "component"),
    ] {
        let mut body = good.clone();
        body.as_object_mut()
            .unwrap()
            .extend(patch.as_object().unwrap().clone());
        let res = app.post(&url, Some(&teacher.access), &body).await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{f}");
        assert!(
            res.body["error"]["details"]["fields"][f].is_string(),
            "{}",
            res.body
        );
    }
    let mut syllabus = good.clone();
    syllabus["component"] = json!("intervals");
    assert_eq!(
        app.post(&url, Some(&teacher.access), &syllabus)
            .await
            .status,
        StatusCode::CREATED
    );
    let other = app.register("teacher").await;
    assert_eq!(
        app.post(&url, Some(&other.access), &good).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get(&url, Some(&other.access)).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get(&url, Some(&student.access))
            .await
            .body
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert_eq!(
        app.get(&url, Some(&teacher.access)).await.status,
        StatusCode::OK
    );
    let stranger = app.register("parent").await;
    assert_eq!(
        app.get(&url, Some(&stranger.access)).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(app.get(&url, None).await.status, StatusCode::UNAUTHORIZED);
    let mut changed = good.clone();
    changed["grade"] = json!("B");
    assert_eq!(
        app.put(
            &format!("/v1/assessments/{id}"),
            Some(&other.access),
            &changed
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );
    let res = app
        .put(
            &format!("/v1/assessments/{id}"),
            Some(&teacher.access),
            &changed,
        )
        .await;
    assert_eq!(res.body["grade"], "B");
    assert_eq!(
        app.delete(&format!("/v1/assessments/{id}"), Some(&teacher.access))
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        app.get(&url, Some(&student.access))
            .await
            .body
            .as_array()
            .unwrap()
            .len(),
        1
    );

    // A parent reads their child's assessments.
    let (parent, child) = app.parent_with_child("Kid").await;
    let code = app
        .post("/v1/classes", Some(&teacher.access), &json!({"name": "Y9"}))
        .await
        .body["join_code"]
        .clone();
    app.post(
        &format!("/v1/children/{child}/classes"),
        Some(&parent.access),
        &json!({"join_code": code}),
    )
    .await;
    assert_eq!(
        app.post(
            &format!("/v1/learners/{child}/assessments"),
            Some(&teacher.access),
            &good
        )
        .await
        .status,
        StatusCode::CREATED
    );
    assert_eq!(
        app.get(
            &format!("/v1/learners/{child}/assessments"),
            Some(&parent.access)
        )
        .await
        .body
        .as_array()
        .unwrap()
        .len(),
        1
    );
}

#[actix_web::test]
async fn every_kind_of_change_is_audited_and_only_admins_read_the_log() {
    let app = spawn_app().await;
    let (parent, child) = app.parent_with_child("Audit").await;
    app.put(
        &format!("/v1/children/{child}"),
        Some(&parent.access),
        &json!({"name": "Audrey", "age": 9}),
    )
    .await;
    app.put(
        &format!("/v1/children/{child}/settings"),
        Some(&parent.access),
        &json!({"daily_time_limit_seconds": 1800}),
    )
    .await;
    app.post(
        &format!("/v1/children/{child}/screen-time/grant"),
        Some(&parent.access),
        &json!({"seconds": 600}),
    )
    .await;
    let (teacher, _, learner, class_id) = class_with_student(&app).await;
    app.post(
        &format!("/v1/learners/{learner}/assessments"),
        Some(&teacher.access),
        &json!({"assessment_type": "mock", "component": "composing", "grade": "7"}),
    )
    .await;
    app.delete(
        &format!("/v1/classes/{class_id}/members/{learner}"),
        Some(&teacher.access),
    )
    .await;
    app.post(
        "/v1/activities",
        Some(&teacher.access),
        &activity(vec![question("q1")]),
    )
    .await;

    assert_eq!(
        app.get("/v1/audit", Some(&parent.access)).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.get("/v1/audit", None).await.status,
        StatusCode::UNAUTHORIZED
    );
    let admin = app.admin().await;
    let log = app.get("/v1/audit?limit=200", Some(&admin.access)).await;
    assert_eq!(log.status, StatusCode::OK, "{}", log.body);
    let entries = log.body["entries"].as_array().unwrap();
    let kinds: std::collections::BTreeSet<String> = entries
        .iter()
        .map(|e| {
            format!(
                "{}:{}",
                e["entity_type"].as_str().unwrap(),
                e["action"].as_str().unwrap()
            )
        })
        .collect();
    for k in [
        "child:create",
        "child:update",
        "settings:update",
        "grant:create",
        "class:create",
        "membership:create",
        "membership:delete",
        "assessment:create",
        "activity:create",
    ] {
        assert!(kinds.contains(k), "{k} missing from {kinds:?}");
    }
    let update = entries
        .iter()
        .find(|e| e["entity_type"] == "child" && e["action"] == "update")
        .unwrap();
    assert_eq!(update["old_values"]["name"], "Audit");
    assert_eq!(update["new_values"]["name"], "Audrey");
    assert_eq!(update["user_id"], parent.id.as_str());
    assert_eq!(update["ip_address"], "127.0.0.1");
    let mine = app
        .get(
            &format!("/v1/audit?user_id={}", teacher.id),
            Some(&admin.access),
        )
        .await;
    assert!(
        mine.body["entries"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["user_id"] == teacher.id.as_str())
    );
    let page = app.get("/v1/audit?limit=2", Some(&admin.access)).await;
    assert_eq!(page.body["entries"].as_array().unwrap().len(), 2);
    assert!(page.body["next_before"].is_string());
    assert_eq!(
        app.get("/v1/audit?limit=0", Some(&admin.access))
            .await
            .status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
}

/// Many writers at once (REST changes while a child plays and the group commit writes): on
/// SQLite every write transaction takes the lock up front, so none fails with "busy".
#[actix_web::test]
async fn concurrent_writes_all_succeed() {
    let app = spawn_app().await;
    let (parent, child) = app.parent_with_child("Busy").await;
    let mut ws = app
        .ws(&format!("/v1/play?learner_id={child}"), &parent.access)
        .await;
    ws.expect("hello").await;
    ws.send(json!({"type": "start", "activity_id": "math-addition-1"}))
        .await;
    let sid = ws.expect("started").await["session_id"]
        .as_str()
        .unwrap()
        .to_string();
    let writes = (0..24).map(|i| {
        let app = &app;
        let tok = parent.access.clone();
        async move {
            match i % 3 {
                0 => app.post("/v1/children", Some(&tok), &json!({"name": format!("Kid {i}"), "age": 8})).await.status,
                1 => app.put(&format!("/v1/children/{}/settings", child_id(app, &tok).await), Some(&tok), &json!({"volume": 0.5})).await.status,
                _ => app.post("/v1/auth/register", None, &json!({"email": format!("c{i}-{}@example.com", uuid::Uuid::new_v4().simple()), "password": "long enough", "name": "Someone", "role": "teacher"})).await.status,
            }
        }
    });
    for (seq, (q, a)) in [("q1", json!(7)), ("q2", json!("13")), ("q3", json!(12))]
        .iter()
        .enumerate()
    {
        ws.send(json!({"type": "answer", "session_id": sid, "seq": seq + 1, "question_id": q, "answer": a})).await;
    }
    let statuses = futures_util::future::join_all(writes).await;
    assert!(statuses.iter().all(|s| s.is_success()), "{statuses:?}");
    ws.saved_up_to(3).await;
}

async fn child_id(app: &TestApp, token: &str) -> String {
    app.get("/v1/children", Some(token)).await.body[0]["id"]
        .as_str()
        .unwrap()
        .to_string()
}

#[actix_web::test]
async fn a_parent_exports_everything_then_erases_the_account() {
    let app = spawn_app().await;
    let (parent, child) = app.parent_with_child("Eve").await;
    let tok = parent.access.as_str();
    play(&app, tok, &child, "science-space-1", &space(), &["q2"]).await;
    let url = format!("/v1/learners/{child}/progress");
    eventually(1000, || async {
        app.get(&url, Some(tok)).await.body["activities_completed"] == 1
    })
    .await;

    let export = app.get("/v1/me/export", Some(tok)).await;
    assert_eq!(export.status, StatusCode::OK);
    assert_eq!(export.body["user"]["email"], parent.email.as_str());
    let kid = &export.body["learners"][0];
    assert_eq!(kid["learner"]["name"], "Eve");
    let answers = kid["sessions"][0]["answers"].as_array().unwrap();
    assert_eq!(answers.len(), 7);
    assert_eq!(answers[1]["answer"], "Mars", "answers come back decrypted");
    assert_eq!(answers[1]["correct"], false);

    let wrong = app
        .client
        .delete(app.url("/v1/me"))
        .bearer_auth(tok)
        .send_json(&json!({"password": "not it at all"}))
        .await
        .unwrap();
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    let ok = app
        .client
        .delete(app.url("/v1/me"))
        .bearer_auth(tok)
        .send_json(&json!({"password": common::TEST_PASSWORD}))
        .await
        .unwrap();
    assert_eq!(ok.status(), StatusCode::NO_CONTENT);
    let login = app
        .post(
            "/v1/auth/login",
            None,
            &json!({"email": parent.email, "password": common::TEST_PASSWORD}),
        )
        .await;
    assert_eq!(login.status, StatusCode::UNAUTHORIZED);
    use diesel::prelude::*;
    use studyhub::infra::db::schema::{activity_sessions, learners};
    let mut conn = studyhub::infra::db::establish(&app.db.url).unwrap();
    let left: i64 = learners::table
        .filter(learners::id.eq(&child))
        .count()
        .get_result(&mut conn)
        .unwrap();
    let sessions: i64 = activity_sessions::table
        .filter(activity_sessions::learner_id.eq(&child))
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(
        (left, sessions),
        (0, 0),
        "everything that hangs off the account is gone"
    );
}
