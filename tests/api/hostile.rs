//! Clients that lie, race or flood: every refusal is a clear 4xx, the same on both backends,
//! and nothing a learner did is lost because of someone else's action.

use awc::http::StatusCode;
use diesel::prelude::*;
use serde_json::json;
use studyhub::infra::db::{self, schema};

use crate::common::{TEST_PASSWORD, spawn_app, spawn_app_with};

#[actix_web::test]
async fn nul_in_any_text_is_422_and_in_an_address_404_on_both_backends() {
    let app = spawn_app().await;
    let (parent, child) = app.parent_with_child("Ada").await;
    let tok = Some(parent.access.as_str());
    let bad = [
        (
            "/v1/children",
            json!({"name": "Bo\u{0}b", "age": 7, "interests": []}),
            "name",
        ),
        (
            "/v1/children",
            json!({"name": "Bob", "age": 7, "interests": ["sp\u{0}ace"]}),
            "interests[0]",
        ),
        (
            "/v1/auth/register",
            json!({"email": "a\u{0}@example.com", "password": TEST_PASSWORD, "name": "Ann", "role": "parent"}),
            "email",
        ),
        (
            "/v1/auth/login",
            json!({"email": "a@example.com", "password": "pass\u{0}word"}),
            "password",
        ),
    ];
    for (path, body, field) in bad {
        let res = app.post(path, tok, &body).await;
        assert_eq!(
            res.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{path}: {}",
            res.body
        );
        assert!(
            res.body["error"]["details"]["fields"].get(field).is_some(),
            "{path}: {}",
            res.body
        );
    }
    let teacher = app.register("teacher").await;
    let res = app
        .post(
            "/v1/classes",
            Some(&teacher.access),
            &json!({"name": "7\u{0}B"}),
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.body);
    // In a path: the id cannot exist (404, not a 503 that says to retry).
    let res = app.get("/v1/children/ab%00cd", tok).await;
    assert_eq!(res.status, StatusCode::NOT_FOUND, "{}", res.body);
    let res = app
        .get(&format!("/v1/children/{child}%00/settings"), tok)
        .await;
    assert_eq!(res.status, StatusCode::NOT_FOUND, "{}", res.body);
    // In a query: that parameter is invalid.
    let res = app.get("/v1/notifications?before=x%00", tok).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.body);
    // The server is fine afterwards.
    let res = app.get(&format!("/v1/children/{child}"), tok).await;
    assert_eq!(res.status, StatusCode::OK);
}

#[actix_web::test]
async fn dates_far_outside_the_calendar_are_400_not_a_dropped_connection() {
    let app = spawn_app().await;
    let (parent, child) = app.parent_with_child("Ada").await;
    let tok = Some(parent.access.as_str());
    for query in [
        "progress/daily?from=%2B262142-12-31",
        "progress/daily?to=-262143-01-03",
        "progress/daily?from=1900-01-01&to=1900-01-02",
        "progress/weekly?week=262143-W01",
        "report.csv?week=262142-W52",
        "report.pdf?week=-5-W01",
    ] {
        let res = app.get(&format!("/v1/learners/{child}/{query}"), tok).await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST, "{query}: {}", res.body);
        assert_eq!(res.code(), "date_out_of_range", "{query}");
    }
    let admin = app.admin().await;
    let res = app
        .get(
            "/v1/audit?from=%2B200000-01-01T00:00:00Z",
            Some(&admin.access),
        )
        .await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST, "{}", res.body);
    let res = app
        .get(&format!("/v1/learners/{child}/progress/daily"), tok)
        .await;
    assert_eq!(res.status, StatusCode::OK);
}

#[actix_web::test]
async fn deleting_an_activity_archives_it_and_keeps_every_learners_history() {
    let app = spawn_app().await;
    let teacher = app.register("teacher").await;
    let q = |id: &str| json!({"id": id, "prompt": "Pick a", "answer_type": "multiple_choice", "options": ["a", "b"], "correct_answer": "a", "explanation": "a it is"});
    let res = app
        .post(
            "/v1/activities",
            Some(&teacher.access),
            &json!({"id": "rhythm-basics-9", "title": "Rhythm", "description": "Beats", "category": "music",
                    "difficulty": 1, "age_min": 5, "age_max": 16, "questions": [q("q1"), q("q2")]}),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    let (parent, child) = app.parent_with_child("Ada").await;
    // The teacher's activity is for their class: the child joins it.
    let class = app
        .post(
            "/v1/classes",
            Some(&teacher.access),
            &json!({"name": "Band"}),
        )
        .await;
    let res = app
        .post(
            &format!("/v1/children/{child}/classes"),
            Some(&parent.access),
            &json!({"join_code": class.body["join_code"]}),
        )
        .await;
    assert!(res.status.is_success(), "{}", res.body);
    let mut ws = app
        .ws(&format!("/v1/play?learner_id={child}"), &parent.access)
        .await;
    ws.expect("hello").await;
    ws.send(json!({"type": "start", "activity_id": "rhythm-basics-9"}))
        .await;
    let sid = ws.expect("started").await["session_id"]
        .as_str()
        .unwrap()
        .to_string();
    for (seq, q) in [(1, "q1"), (2, "q2")] {
        ws.send(json!({"type": "answer", "session_id": sid, "seq": seq, "question_id": q, "answer": "a"}))
            .await;
        ws.expect("feedback").await;
    }
    ws.expect("completed").await;
    ws.saved_up_to(2).await;

    let res = app
        .delete("/v1/activities/rhythm-basics-9", Some(&teacher.access))
        .await;
    assert_eq!(res.status, StatusCode::NO_CONTENT, "{}", res.body);
    // Gone from the catalog, no new sessions ...
    let list = app
        .get("/v1/activities?limit=200", Some(&parent.access))
        .await;
    assert!(!list.body.to_string().contains("rhythm-basics-9"));
    let res = app
        .get("/v1/activities/rhythm-basics-9", Some(&teacher.access))
        .await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
    ws.send(json!({"type": "start", "activity_id": "rhythm-basics-9"}))
        .await;
    assert_eq!(ws.expect("error").await["code"], "unknown_activity");
    // ... but the child's session, answers and progress stay.
    let mut conn = db::establish(&app.db.url).unwrap();
    let answers: i64 = schema::answers::table
        .filter(schema::answers::session_id.eq(&sid))
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(answers, 2);
    let res = app
        .get(&format!("/v1/sessions/{sid}"), Some(&parent.access))
        .await;
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(res.body["status"], "completed");
    let progress = app
        .get(
            &format!("/v1/learners/{child}/progress"),
            Some(&parent.access),
        )
        .await;
    assert_eq!(
        progress.body["activities_completed"], 1,
        "{}",
        progress.body
    );
}

#[actix_web::test]
async fn thirty_parallel_logins_get_five_password_checks() {
    let app = spawn_app().await;
    let parent = app.register("parent").await;
    let bodies: Vec<_> = (0..30)
        .map(|i| json!({"email": parent.email, "password": format!("wrong password {i}")}))
        .collect();
    let tries = bodies.iter().map(|b| app.post("/v1/auth/login", None, b));
    let results = futures_util::future::join_all(tries).await;
    let checked = results
        .iter()
        .filter(|r| r.status == StatusCode::UNAUTHORIZED)
        .count();
    let limited = results
        .iter()
        .filter(|r| r.status == StatusCode::TOO_MANY_REQUESTS)
        .count();
    assert_eq!((checked, limited), (5, 25));
    assert!(
        results
            .iter()
            .find(|r| r.status == StatusCode::TOO_MANY_REQUESTS)
            .unwrap()
            .headers
            .contains_key("retry-after")
    );
    // Even the right password waits now.
    let res = app
        .post(
            "/v1/auth/login",
            None,
            &json!({"email": parent.email, "password": TEST_PASSWORD}),
        )
        .await;
    assert_eq!(res.status, StatusCode::TOO_MANY_REQUESTS);
}

#[actix_web::test]
async fn registration_is_limited_per_address_and_a_spoofed_forwarded_hop_does_not_escape() {
    let app = spawn_app_with(|c| {
        c.register_limit_per_hour = 10;
        c.trust_proxy = true;
    })
    .await;
    let register = |i: usize, spoof: &'static str| {
        let req = app
            .client
            .post(app.url("/v1/auth/register"))
            // A client-chosen left-most hop, then the address our proxy saw.
            .insert_header(("x-forwarded-for", format!("{spoof}, 203.0.113.7")));
        async move {
            let mut res = req
                .send_json(&json!({"email": format!("p{i}@example.com"), "password": TEST_PASSWORD, "name": "Pat", "role": "parent"}))
                .await
                .unwrap();
            let _ = res.body().await;
            res.status()
        }
    };
    let spoofs = [
        "10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4", "10.0.0.5", "10.0.0.6",
    ];
    for i in 0..10 {
        assert_eq!(
            register(i, spoofs[i % spoofs.len()]).await,
            StatusCode::CREATED
        );
    }
    assert_eq!(
        register(10, "192.0.2.1").await,
        StatusCode::TOO_MANY_REQUESTS
    );
}

#[actix_web::test]
async fn every_byte_of_a_long_password_counts() {
    let app = spawn_app().await;
    let long = "p".repeat(100);
    let res = app
        .post(
            "/v1/auth/register",
            None,
            &json!({"email": "long@example.com", "password": long, "name": "Lee", "role": "parent"}),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    let mut other = "p".repeat(99);
    other.push('q');
    let res = app
        .post(
            "/v1/auth/login",
            None,
            &json!({"email": "long@example.com", "password": other}),
        )
        .await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED);
    let res = app
        .post(
            "/v1/auth/login",
            None,
            &json!({"email": "long@example.com", "password": long}),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK);
}

#[actix_web::test]
async fn a_teacher_neither_reads_nor_rewrites_another_teachers_assessments() {
    let app = spawn_app().await;
    let (teacher_a, student, learner, _) = crate::rest::class_with_student(&app).await;
    // Teacher B has the same student in a class of their own.
    let teacher_b = app.register("teacher").await;
    let class_b = app
        .post(
            "/v1/classes",
            Some(&teacher_b.access),
            &json!({"name": "Choir"}),
        )
        .await
        .body;
    let joined = app
        .post(
            "/v1/classes/join",
            Some(&student.access),
            &json!({"join_code": class_b["join_code"]}),
        )
        .await;
    assert!(joined.status.is_success(), "{}", joined.body);
    let url = format!("/v1/learners/{learner}/assessments");
    let a = app
        .post(
            &url,
            Some(&teacher_a.access),
            &json!({"assessment_type": "mock", "component": "listening", "grade": "A", "percentage": 88, "feedback": "A's private note"}),
        )
        .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    let id = a.body["id"].as_str().unwrap();
    let seen_by_b = app.get(&url, Some(&teacher_b.access)).await;
    assert_eq!(seen_by_b.status, StatusCode::OK);
    assert!(!seen_by_b.body.to_string().contains("A's private note"));
    let rewrite = app
        .put(
            &format!("/v1/assessments/{id}"),
            Some(&teacher_b.access),
            &json!({"assessment_type": "mock", "component": "listening", "grade": "U", "percentage": 1, "feedback": "rewritten"}),
        )
        .await;
    assert_eq!(rewrite.status, StatusCode::NOT_FOUND);
    let gone = app
        .delete(&format!("/v1/assessments/{id}"), Some(&teacher_b.access))
        .await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
    // The family still sees A's assessment unchanged.
    let family = app.get(&url, Some(&student.access)).await;
    assert_eq!(family.body[0]["grade"], "A");
}

#[actix_web::test]
async fn the_catalog_comes_in_pages() {
    let app = spawn_app().await;
    let all = app.get("/v1/activities?limit=200", None).await.body;
    let all: Vec<String> = all
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap().to_string())
        .collect();
    assert!(all.len() >= 18);
    let mut paged = Vec::new();
    let mut after = String::new();
    loop {
        let q = if after.is_empty() {
            "/v1/activities?limit=5".to_string()
        } else {
            format!("/v1/activities?limit=5&after={after}")
        };
        let page = app.get(&q, None).await.body;
        let page = page.as_array().unwrap();
        assert!(page.len() <= 5);
        if page.is_empty() {
            break;
        }
        paged.extend(page.iter().map(|a| a["id"].as_str().unwrap().to_string()));
        after = paged.last().unwrap().clone();
    }
    assert_eq!(paged, all);
    for bad in ["limit=0", "limit=201", "after=no-such-activity"] {
        let res = app.get(&format!("/v1/activities?{bad}"), None).await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    }
}

#[actix_web::test]
async fn a_password_change_ends_every_session_and_closes_sockets_with_4003() {
    let app = spawn_app().await;
    let (parent, child) = app.parent_with_child("Ada").await;
    let mut play = app
        .ws(&format!("/v1/play?learner_id={child}"), &parent.access)
        .await;
    play.expect("hello").await;
    let mut feed = app.ws("/v1/parent/live", &parent.access).await;
    feed.expect("hello").await;

    let change =
        |current: &str, new: &str| json!({"current_password": current, "new_password": new});
    let wrong = app
        .post(
            "/v1/auth/password",
            Some(&parent.access),
            &change("not my password", "a brand new secret"),
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    let short = app
        .post(
            "/v1/auth/password",
            Some(&parent.access),
            &change(TEST_PASSWORD, "short"),
        )
        .await;
    assert_eq!(short.status, StatusCode::UNPROCESSABLE_ENTITY);
    let res = app
        .post(
            "/v1/auth/password",
            Some(&parent.access),
            &change(TEST_PASSWORD, "a brand new secret"),
        )
        .await;
    assert_eq!(res.status, StatusCode::NO_CONTENT, "{}", res.body);
    assert_eq!(play.expect_close().await, Some(4003));
    assert_eq!(feed.expect_close().await, Some(4003));
    // The old access token and the old refresh token are both dead.
    let me = app.get("/v1/auth/me", Some(&parent.access)).await;
    assert_eq!(me.status, StatusCode::UNAUTHORIZED);
    assert_eq!(me.code(), "token_revoked");
    let refreshed = app
        .post(
            "/v1/auth/refresh",
            None,
            &json!({"refresh_token": parent.refresh}),
        )
        .await;
    assert_eq!(refreshed.status, StatusCode::UNAUTHORIZED);
    // The new password works, the old one does not.
    let login = |password: &str| json!({"email": parent.email, "password": password});
    let old = app
        .post("/v1/auth/login", None, &login(TEST_PASSWORD))
        .await;
    assert_eq!(old.status, StatusCode::UNAUTHORIZED);
    let new = app
        .post("/v1/auth/login", None, &login("a brand new secret"))
        .await;
    assert_eq!(new.status, StatusCode::OK);
    let token = new.body["access_token"].as_str().unwrap();
    assert_eq!(
        app.get("/v1/auth/me", Some(token)).await.status,
        StatusCode::OK
    );
}

#[actix_web::test]
async fn after_logout_the_access_token_no_longer_works() {
    let app = spawn_app().await;
    let parent = app.register("parent").await;
    assert_eq!(
        app.get("/v1/children", Some(&parent.access)).await.status,
        StatusCode::OK
    );
    let res = app
        .post(
            "/v1/auth/logout",
            Some(&parent.access),
            &json!({"refresh_token": parent.refresh}),
        )
        .await;
    assert_eq!(res.status, StatusCode::NO_CONTENT);
    let res = app.get("/v1/children", Some(&parent.access)).await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED);
    assert_eq!(res.code(), "token_revoked");
}

#[actix_web::test]
async fn erasure_ends_tokens_and_sockets_and_leaves_no_personal_data_in_the_audit_log() {
    let app = spawn_app().await;
    let (parent, child) = app.parent_with_child("Zebedee Quill").await;
    // A settings change is audited with old and new values.
    let res = app
        .put(
            &format!("/v1/children/{child}"),
            Some(&parent.access),
            &json!({"name": "Zebedee Quill-Smith", "age": 9, "interests": ["origami"]}),
        )
        .await;
    assert!(res.status.is_success(), "{}", res.body);
    let mut play = app
        .ws(&format!("/v1/play?learner_id={child}"), &parent.access)
        .await;
    play.expect("hello").await;
    let res = app
        .client
        .delete(app.url("/v1/me"))
        .bearer_auth(&parent.access)
        .send_json(&json!({"password": TEST_PASSWORD}))
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let code = play.expect_close().await;
    assert!(matches!(code, Some(4003) | Some(4001)), "{code:?}");
    assert_eq!(
        app.get("/v1/children", Some(&parent.access)).await.status,
        StatusCode::UNAUTHORIZED
    );
    let mut conn = db::establish(&app.db.url).unwrap();
    let values: Vec<(Option<String>, Option<String>)> = schema::audit_logs::table
        .select((
            schema::audit_logs::old_values,
            schema::audit_logs::new_values,
        ))
        .load(&mut conn)
        .unwrap();
    let text = format!("{values:?}");
    for personal in ["Zebedee", "Quill", "origami"] {
        assert!(!text.contains(personal), "{personal} left in {text}");
    }
}

#[actix_web::test]
async fn a_sixth_play_socket_replaces_the_oldest_and_a_flood_is_rate_limited() {
    let app = spawn_app().await;
    let (parent, child) = app.parent_with_child("Ada").await;
    let path = format!("/v1/play?learner_id={child}");
    let mut socks = Vec::new();
    for _ in 0..5 {
        let mut ws = app.ws(&path, &parent.access).await;
        ws.expect("hello").await;
        socks.push(ws);
    }
    let mut sixth = app.ws(&path, &parent.access).await;
    sixth.expect("hello").await;
    assert_eq!(socks[0].expect_close().await, Some(4009));
    // A burst past 40 frames: the extra ones get `rate_limited`, the socket stays open.
    sixth
        .send(json!({"type": "start", "activity_id": "math-addition-1"}))
        .await;
    let sid = sixth.expect("started").await["session_id"].clone();
    for _ in 0..60 {
        sixth
            .send(json!({"type": "resume", "session_id": sid}))
            .await;
    }
    // Wait out the burst, then play on: the socket was never closed.
    let mut limited = 0;
    let mut answered = 0;
    while answered + limited < 60 {
        match sixth.recv().await {
            crate::common::WsEvent::Json(v) if v["type"] == "error" => {
                assert_eq!(v["code"], "rate_limited", "{v}");
                limited += 1;
            }
            crate::common::WsEvent::Json(v) if v["type"] == "started" => answered += 1,
            crate::common::WsEvent::Json(_) => {}
            other => panic!("closed: {other:?}"),
        }
    }
    assert!(
        limited >= 15 && answered >= 35,
        "{limited} limited, {answered} answered"
    );
}

/// Answers still on their way to the database when the account is erased go with it: none
/// is parked as a dead letter (which would keep an erased child's data), nothing is stored.
#[actix_web::test]
async fn answers_in_flight_during_erasure_are_not_kept_anywhere() {
    let app = spawn_app().await;
    let (parent, child) = app.parent_with_child("Ottilie").await;
    let mut play = app
        .ws(&format!("/v1/play?learner_id={child}"), &parent.access)
        .await;
    play.expect("hello").await;
    play.send(json!({"type": "start", "activity_id": "math-addition-1"}))
        .await;
    let started = play.expect("started").await;
    let sid = started["session_id"].as_str().unwrap().to_owned();
    for (i, q) in started["activity"]["questions"]
        .as_array()
        .unwrap()
        .iter()
        .take(4)
        .enumerate()
    {
        play.send(json!({"type": "answer", "session_id": sid, "seq": i + 1,
            "question_id": q["id"], "answer": "1"}))
            .await;
    }
    let res = app
        .client
        .delete(app.url("/v1/me"))
        .bearer_auth(&parent.access)
        .send_json(&json!({"password": TEST_PASSWORD}))
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    play.expect_close().await;
    // Wait until the group commit has nothing left in hand: every item was written before
    // the erasure (and erased with it) or refused after it.
    crate::common::wait::poll_until(
        std::time::Duration::from_secs(20),
        "the flusher's queue drains",
        || async {
            let text = String::from_utf8(app.get("/metrics", None).await.raw).unwrap();
            text.lines().any(|l| l == "studyhub_flush_queue_depth 0")
        },
    )
    .await;
    let mut conn = db::establish(&app.db.url).unwrap();
    let letters: i64 = schema::dead_letters::table
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(
        letters, 0,
        "an erased learner's answers became dead letters"
    );
    let answers: i64 = schema::answers::table
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(answers, 0);
}
