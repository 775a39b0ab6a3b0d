//! Live play end to end: a real server, real websockets, a real database.

use crate::common;
use crate::common::{WsEvent, spawn_app};
use awc::http::StatusCode;
use diesel::prelude::*;
use serde_json::{Value, json};

/// math-addition-1's questions with a right answer and a wrong one each.
pub(crate) const ADDITION: [(&str, &str, &str); 7] = [
    ("q1", "7", "6"),
    ("q2", "\"13\"", "\"12\""),
    ("q3", "12", "11"),
    ("q4", "true", "false"),
    ("q5", "\"15\"", "\"14\""),
    ("q6", "9", "8"),
    ("q7", "\"sum\"", "\"total\""),
];

pub(crate) fn answer(session: &str, seq: usize, q: &str, value: &str) -> Value {
    json!({"type": "answer", "session_id": session, "seq": seq, "question_id": q, "answer": serde_json::from_str::<Value>(value).unwrap()})
}

pub(crate) async fn start(ws: &mut common::Ws, activity: &str) -> Value {
    ws.send(json!({"type": "start", "activity_id": activity}))
        .await;
    ws.expect("started").await
}

#[actix_web::test]
async fn a_child_plays_a_whole_activity() {
    let app = spawn_app().await;
    let (parent, child) = app.parent_with_child("Mia").await;
    let mut ws = app
        .ws(&format!("/v1/play?learner_id={child}"), &parent.access)
        .await;
    let hello = ws.expect("hello").await;
    assert_eq!(hello["learner_id"], child.as_str());
    assert_eq!(hello["open_session"], Value::Null);
    assert_eq!(hello["time"]["limit_seconds"], 3600);
    assert_eq!(
        hello["time"]["left_seconds"].as_u64().unwrap()
            + hello["time"]["used_seconds"].as_u64().unwrap(),
        3600
    );

    let started = start(&mut ws, "math-addition-1").await;
    let sid = started["session_id"].as_str().unwrap().to_string();
    assert_eq!(started["answers"], json!([]));
    assert_eq!(
        started["activity"]["questions"].as_array().unwrap().len(),
        7
    );
    let text = started.to_string();
    assert!(
        !text.contains("correct_answer") && !text.contains("explanation"),
        "{text}"
    );

    for (i, (q, right, wrong)) in ADDITION.iter().enumerate() {
        let given = if *q == "q2" { wrong } else { right };
        ws.send(answer(&sid, i + 1, q, given)).await;
        let fb = ws.expect("feedback").await;
        assert_eq!(fb["seq"], i as u64 + 1);
        assert_eq!(fb["question_id"], *q);
        assert_eq!(fb["correct"], *q != "q2", "{fb}");
        assert_eq!(
            fb["correct_answer"],
            serde_json::from_str::<Value>(right).unwrap()
        );
        assert!(!fb["explanation"].as_str().unwrap().is_empty());
        assert_eq!(fb["progress"]["answered"], i as u64 + 1);
        assert_eq!(fb["progress"]["total"], 7);
    }
    let done = ws.expect("completed").await;
    assert_eq!(done["session_id"], sid.as_str());
    assert_eq!(done["questions_total"], 7);
    assert_eq!(done["questions_correct"], 6);
    assert_eq!(done["accuracy"].as_f64().unwrap(), 600.0 / 7.0);
    assert_eq!(done["stars"], 2);
    ws.saved_up_to(7).await;

    let res = app
        .get(&format!("/v1/sessions/{sid}"), Some(&parent.access))
        .await;
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(res.body["answers"].as_array().unwrap().len(), 7);
    assert_eq!(res.body["last_saved_seq"], 7);

    // Answers are encrypted at rest: the stored bytes are not the answer.
    let pool = app.state.db.pool().clone();
    let responses: Vec<Vec<u8>> = {
        use studyhub::infra::db::schema::answers;
        let mut conn = pool.get().unwrap();
        answers::table
            .filter(answers::session_id.eq(&sid))
            .select(answers::response)
            .load(&mut conn)
            .unwrap()
    };
    assert_eq!(responses.len(), 7);
    for r in &responses {
        assert!(!String::from_utf8_lossy(r).contains("sum") && r.len() > 12 + 16);
        let plain = app.state.cipher.decrypt(r).unwrap();
        assert!(serde_json::from_slice::<Value>(&plain).is_ok());
    }
}

#[actix_web::test]
async fn duplicate_seqs_get_their_feedback_again_and_gaps_are_refused() {
    let app = spawn_app().await;
    let student = app.register("student").await;
    let learner = app.get("/v1/auth/me", Some(&student.access)).await.body["learner"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let mut ws = app
        .ws(&format!("/v1/play?learner_id={learner}"), &student.access)
        .await;
    ws.expect("hello").await;
    let sid = start(&mut ws, "math-addition-1").await["session_id"]
        .as_str()
        .unwrap()
        .to_string();
    ws.send(answer(&sid, 1, "q1", "6")).await;
    let first = ws.expect("feedback").await;
    assert_eq!(first["correct"], false);
    // Same seq again, even with another answer: the original feedback, counted once.
    ws.send(answer(&sid, 1, "q1", "7")).await;
    let dup = ws.expect("feedback").await;
    assert_eq!(dup["duplicate"], true);
    assert_eq!(dup["correct"], false);
    assert_eq!(dup["progress"], first["progress"]);
    ws.send(answer(&sid, 5, "q2", "\"13\"")).await;
    let gap = ws.expect("error").await;
    assert_eq!(gap["code"], "bad_seq");
    assert_eq!(gap["seq"], 5);
    // No seq at all (0, negative, past the database's column): refused alike, echoed as sent.
    for seq in [0, -1, 2_147_483_648_i64] {
        ws.send(json!({"type": "answer", "session_id": sid, "seq": seq, "question_id": "q2", "answer": "13"}))
            .await;
        let bad = ws.expect("error").await;
        assert_eq!(
            (bad["code"].as_str(), bad["seq"].as_i64()),
            (Some("bad_seq"), Some(seq))
        );
    }
    ws.send(answer(&sid, 2, "q1", "7")).await;
    let again = ws.expect("feedback").await;
    assert_eq!(again["correct"], true);
    assert_eq!(
        again["progress"]["correct"], 0,
        "accuracy counts the first answer"
    );
    ws.saved_up_to(2).await;
}

#[actix_web::test]
async fn bad_frames_are_answered_without_closing() {
    let app = spawn_app().await;
    let (parent, child) = app.parent_with_child("Leo").await;
    let mut ws = app
        .ws(&format!("/v1/play?learner_id={child}"), &parent.access)
        .await;
    ws.expect("hello").await;
    ws.send_text("{not json").await;
    assert_eq!(ws.expect("error").await["code"], "bad_message");
    ws.send(json!({"type": "juggle"})).await;
    assert_eq!(ws.expect("error").await["code"], "bad_message");
    ws.send(json!({"type": "answer", "session_id": "x"})).await;
    assert_eq!(ws.expect("error").await["code"], "bad_message");
    ws.send_binary(b"\x00\x01").await;
    assert_eq!(ws.expect("error").await["code"], "bad_message");
    ws.send(json!({"type": "start", "activity_id": "no-such-activity"}))
        .await;
    assert_eq!(ws.expect("error").await["code"], "unknown_activity");
    ws.send(json!({"type": "finish", "session_id": "nope"}))
        .await;
    assert_eq!(ws.expect("error").await["code"], "no_session");
    let sid = start(&mut ws, "science-space-1").await["session_id"]
        .as_str()
        .unwrap()
        .to_string();
    ws.send(answer(&sid, 1, "q99", "8")).await;
    assert_eq!(ws.expect("error").await["code"], "unknown_question");
    // Still open and playing.
    ws.send(answer(&sid, 1, "q1", "8")).await;
    assert_eq!(ws.expect("feedback").await["correct"], true);
}

#[actix_web::test]
async fn an_oversized_frame_closes_with_1009() {
    let app = spawn_app().await;
    let (parent, child) = app.parent_with_child("Ava").await;
    let mut ws = app
        .ws(&format!("/v1/play?learner_id={child}"), &parent.access)
        .await;
    ws.expect("hello").await;
    let big = json!({"type": "start", "activity_id": "x".repeat(17 * 1024)});
    ws.send(big).await;
    assert_eq!(ws.expect_close().await, Some(1009));
}

#[actix_web::test]
async fn more_than_twenty_errors_in_ten_seconds_close_with_4008() {
    let app = spawn_app().await;
    let (parent, child) = app.parent_with_child("Max").await;
    let mut ws = app
        .ws(&format!("/v1/play?learner_id={child}"), &parent.access)
        .await;
    ws.expect("hello").await;
    for _ in 0..21 {
        ws.send_text("nonsense").await;
    }
    let mut errors = 0;
    let code = loop {
        match ws.recv().await {
            WsEvent::Json(v) if v["type"] == "error" => errors += 1,
            WsEvent::Json(_) => {}
            WsEvent::Close(code) => break code,
        }
    };
    assert_eq!(code, Some(4008));
    assert_eq!(errors, 21);
}

#[actix_web::test]
async fn only_the_family_may_play_and_tickets_are_single_use() {
    let app = spawn_app().await;
    let (parent, child) = app.parent_with_child("Zoe").await;
    let stranger = app.register("parent").await;
    let teacher = app.register("teacher").await;
    let path = format!("/v1/play?learner_id={child}");
    assert_eq!(
        app.ws_status(&path, Some(&stranger.access)).await,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.ws_status(&path, Some(&teacher.access)).await,
        StatusCode::FORBIDDEN
    );
    assert_eq!(app.ws_status(&path, None).await, StatusCode::UNAUTHORIZED);
    assert_eq!(
        app.ws_status("/v1/play?learner_id=not-a-learner", Some(&parent.access))
            .await,
        StatusCode::FORBIDDEN
    );

    // Tickets: bound to the caller and the learner, used once.
    let res = app
        .post(
            "/v1/realtime/tickets",
            Some(&stranger.access),
            &json!({"learner_id": child}),
        )
        .await;
    assert_eq!(
        res.status,
        StatusCode::NOT_FOUND,
        "no ticket for another family's child"
    );
    let res = app
        .post(
            "/v1/realtime/tickets",
            Some(&parent.access),
            &json!({"learner_id": child}),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED);
    assert_eq!(res.body["expires_in"], 30);
    let ticket = res.body["ticket"].as_str().unwrap();
    let with_ticket = format!("{path}&ticket={ticket}");
    assert_eq!(
        app.ws_status(&with_ticket, None).await,
        StatusCode::SWITCHING_PROTOCOLS
    );
    assert_eq!(
        app.ws_status(&with_ticket, None).await,
        StatusCode::UNAUTHORIZED,
        "a ticket works once"
    );
    let (_, other_child) = app.parent_with_child("Other").await;
    let res = app
        .post("/v1/realtime/tickets", Some(&parent.access), &json!({}))
        .await;
    let unbound = res.body["ticket"].as_str().unwrap();
    let other = format!("/v1/play?learner_id={other_child}&ticket={unbound}");
    assert_eq!(app.ws_status(&other, None).await, StatusCode::FORBIDDEN);
}

#[actix_web::test]
async fn answer_keys_never_leave_before_an_answer() {
    let app = spawn_app().await;
    let list = app.get("/v1/activities", None).await;
    assert_eq!(list.status, StatusCode::OK);
    let items = list.body.as_array().unwrap();
    assert!(items.len() >= 18);
    assert!(
        items
            .iter()
            .all(|a| a["question_count"].as_u64().unwrap() >= 5)
    );
    let music = app.get("/v1/activities?category=music", None).await;
    assert!(
        music
            .body
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["category"] == "music")
    );
    let young = app.get("/v1/activities?age=5", None).await;
    assert!(
        young
            .body
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["age_min"].as_i64().unwrap() <= 5)
    );
    for a in items {
        let one = app
            .get(
                &format!("/v1/activities/{}", a["id"].as_str().unwrap()),
                None,
            )
            .await;
        assert_eq!(one.status, StatusCode::OK);
        let text = one.body.to_string();
        assert!(
            !text.contains("correct_answer")
                && !text.contains("explanation")
                && !text.contains("tolerance"),
            "{text}"
        );
        assert!(!one.body["questions"].as_array().unwrap().is_empty());
    }
    assert_eq!(
        app.get("/v1/activities/nope", None).await.status,
        StatusCode::NOT_FOUND
    );
}

#[actix_web::test]
async fn two_devices_share_one_budget() {
    let app = spawn_app().await;
    let (parent, child) = app.parent_with_child("Ivy").await;
    let path = format!("/v1/play?learner_id={child}");
    let mut a = app.ws(&path, &parent.access).await;
    let mut b = app.ws(&path, &parent.access).await;
    a.expect("hello").await;
    b.expect("hello").await;
    let res = app
        .post(
            &format!("/v1/children/{child}/screen-time/grant"),
            Some(&parent.access),
            &json!({"seconds": 600}),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!(res.body["bonus_seconds"], 600);
    // One clock: both devices hear the same budget at once.
    let ta = a.expect("time").await;
    let tb = b.expect("time").await;
    assert_eq!(ta["limit_seconds"], 4200);
    assert_eq!(ta, tb);
    // A limit change reaches both as well.
    let res = app
        .put(
            &format!("/v1/children/{child}/settings"),
            Some(&parent.access),
            &json!({"daily_time_limit_seconds": 1200}),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(a.expect("time").await["limit_seconds"], 1800);
    assert_eq!(b.expect("time").await["limit_seconds"], 1800);
}

#[actix_web::test]
async fn a_limit_of_zero_is_hello_time_up_close_and_a_grant_lets_the_child_play() {
    let app = spawn_app().await;
    let (parent, child) = app.parent_with_child("Noa").await;
    let res = app
        .put(
            &format!("/v1/children/{child}/settings"),
            Some(&parent.access),
            &json!({"daily_time_limit_seconds": 0}),
        )
        .await;
    assert_eq!(res.body["daily_time_limit_seconds"], 0);
    let path = format!("/v1/play?learner_id={child}");
    let mut ws = app.ws(&path, &parent.access).await;
    let hello = ws.expect("hello").await;
    assert_eq!(hello["time"]["left_seconds"], 0);
    assert!(matches!(ws.recv().await, WsEvent::Json(v) if v["type"] == "time_up"));
    assert_eq!(ws.expect_close().await, Some(4001));

    let res = app
        .post(
            &format!("/v1/children/{child}/screen-time/grant"),
            Some(&parent.access),
            &json!({"seconds": 300}),
        )
        .await;
    assert_eq!(res.body["left_seconds"], 300);
    let mut ws = app.ws(&path, &parent.access).await;
    assert_eq!(ws.expect("hello").await["time"]["left_seconds"], 300);
    start(&mut ws, "math-counting-1").await;
}

#[actix_web::test]
async fn lowering_the_limit_while_playing_ends_the_session_live() {
    let app = spawn_app().await;
    let (parent, child) = app.parent_with_child("Eli").await;
    let path = format!("/v1/play?learner_id={child}");
    let mut a = app.ws(&path, &parent.access).await;
    let mut b = app.ws(&path, &parent.access).await;
    a.expect("hello").await;
    b.expect("hello").await;
    start(&mut a, "math-shapes-1").await;
    let res = app
        .put(
            &format!("/v1/children/{child}/settings"),
            Some(&parent.access),
            &json!({"daily_time_limit_seconds": 0}),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK);
    for ws in [&mut a, &mut b] {
        assert_eq!(ws.expect("time").await["left_seconds"], 0);
        ws.expect("time_up").await;
        assert_eq!(ws.expect_close().await, Some(4001));
    }
    let today = app
        .get(
            &format!("/v1/children/{child}/screen-time/today"),
            Some(&parent.access),
        )
        .await;
    assert_eq!(today.body["limit_seconds"], 0);
    assert_eq!(today.body["left_seconds"], 0);
}

#[actix_web::test]
async fn rest_play_gives_the_same_results() {
    let app = spawn_app().await;
    let (parent, child) = app.parent_with_child("Kai").await;
    let tok = Some(parent.access.as_str());
    let res = app
        .post(
            &format!("/v1/learners/{child}/sessions"),
            tok,
            &json!({"activity_id": "math-addition-1"}),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    assert!(!res.body.to_string().contains("correct_answer"));
    let sid = res.body["session_id"].as_str().unwrap().to_string();
    let url = format!("/v1/sessions/{sid}/answers");
    let mut last = Value::Null;
    for (i, (q, right, wrong)) in ADDITION.iter().enumerate() {
        let given = if *q == "q2" { wrong } else { right };
        let body = json!({"seq": i + 1, "question_id": q, "answer": serde_json::from_str::<Value>(given).unwrap()});
        let res = app.post(&url, tok, &body).await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.body);
        assert_eq!(res.body["correct"], *q != "q2");
        if i == 0 {
            let dup = app.post(&url, tok, &body).await;
            assert_eq!(dup.body["duplicate"], true);
            let gap = app
                .post(
                    &url,
                    tok,
                    &json!({"seq": 9, "question_id": "q2", "answer": "13"}),
                )
                .await;
            assert_eq!(gap.status, StatusCode::CONFLICT);
            assert_eq!(gap.code(), "bad_seq");
            // REST checks the range in its body, before the engine: 422, naming the field.
            for seq in [json!(0), json!(-1), json!(2_147_483_648_i64)] {
                let body = json!({"seq": seq, "question_id": "q2", "answer": "13"});
                let out = app.post(&url, tok, &body).await;
                assert_eq!(out.status, StatusCode::UNPROCESSABLE_ENTITY, "{seq}");
                assert_eq!(out.code(), "validation_failed");
                assert!(out.body["error"]["details"]["fields"]["seq"].is_string());
            }
            let bad = app
                .post(
                    &url,
                    tok,
                    &json!({"seq": 2, "question_id": "q42", "answer": "13"}),
                )
                .await;
            assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
            assert_eq!(bad.code(), "unknown_question");
        }
        last = res.body;
    }
    assert_eq!(last["completed"]["questions_correct"], 6);
    assert_eq!(last["completed"]["stars"], 2);
    let session = app.get(&format!("/v1/sessions/{sid}"), tok).await;
    assert_eq!(session.body["status"], "completed");
    assert_eq!(session.body["stars"], 2);
    assert_eq!(session.body["last_saved_seq"], 7);
    // Another family cannot see or play it.
    let stranger = app.register("parent").await;
    assert_eq!(
        app.get(&format!("/v1/sessions/{sid}"), Some(&stranger.access))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let res = app
        .post(
            &format!("/v1/learners/{child}/sessions"),
            Some(&stranger.access),
            &json!({"activity_id": "math-addition-1"}),
        )
        .await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
    // Screen time applies to REST play too.
    app.put(
        &format!("/v1/children/{child}/settings"),
        tok,
        &json!({"daily_time_limit_seconds": 0}),
    )
    .await;
    let res = app
        .post(
            &format!("/v1/learners/{child}/sessions"),
            tok,
            &json!({"activity_id": "math-addition-1"}),
        )
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    assert_eq!(res.code(), "time_up");
}
