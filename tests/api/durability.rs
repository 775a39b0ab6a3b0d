//! What holds when things go wrong around an answer: a server killed with answers in flight,
//! a learner deleted while answers wait, a `resume` racing the completing answer.

use crate::common;
use crate::common::{Api, KillableServer, TestDb, WsEvent, spawn_app};
use crate::play::{ADDITION, answer, start};
use awc::http::StatusCode;
use diesel::prelude::*;
use serde_json::json;

/// A server killed with answers in flight: nothing saved is lost, nothing counted twice.
#[actix_web::test]
async fn a_killed_server_loses_no_saved_answer_and_counts_none_twice() {
    let db = TestDb::new();
    // Batches of 3, and a window long enough that a partial batch is still in flight when
    // the server dies.
    let first = KillableServer::start(&db, |c| {
        c.flush_max_batch = 3;
        c.flush_window_ms = 600_000;
    });
    let api = Api::new(first.port);
    let (parent, child) = api.parent_with_child("Sam").await;
    let path = format!("/v1/play?learner_id={child}");
    let mut ws = api.ws(&path, &parent.access).await;
    ws.expect("hello").await;
    let sid = start(&mut ws, "math-addition-1").await["session_id"]
        .as_str()
        .unwrap()
        .to_string();
    // The session row and seqs 1-2 fill the first batch of 3, committed at once. Waiting for
    // it before sending more keeps 3 and 4 out of that write: arriving while it ran, they
    // would be written right after it instead of waiting for the window.
    for (i, (q, right, _)) in ADDITION.iter().take(2).enumerate() {
        ws.send(answer(&sid, i + 1, q, right)).await;
        ws.expect("feedback").await;
    }
    ws.saved_up_to(2).await;
    // 3 and 4 then wait for the window, which the crash cuts short.
    for (i, (q, right, _)) in ADDITION.iter().enumerate().skip(2).take(2) {
        ws.send(answer(&sid, i + 1, q, right)).await;
        ws.expect("feedback").await;
    }
    // Killed with the socket still open: a disconnect would write the screen-time span,
    // and that third item would fill the batch and commit 3 and 4 before the crash.
    first.kill();
    drop(ws);

    let second = KillableServer::start(&db, |_| {});
    let api = Api::new(second.port);
    let mut ws = api.ws(&path, &parent.access).await;
    let hello = ws.expect("hello").await;
    assert_eq!(hello["open_session"]["session_id"], sid.as_str());
    assert_eq!(
        hello["open_session"]["last_saved_seq"], 2,
        "seqs 3 and 4 were in flight and are gone"
    );
    ws.send(json!({"type": "resume", "session_id": sid})).await;
    let resumed = ws.expect("started").await;
    assert_eq!(resumed["last_saved_seq"], 2);
    assert_eq!(resumed["answers"].as_array().unwrap().len(), 2);
    // The client resends everything it has not seen saved, plus one it has (a duplicate).
    for (i, (q, right, _)) in ADDITION.iter().enumerate().skip(1) {
        ws.send(answer(&sid, i + 1, q, right)).await;
        let fb = ws.expect("feedback").await;
        assert_eq!(fb.get("duplicate").is_some(), i == 1);
    }
    let done = ws.expect("completed").await;
    assert_eq!(done["questions_correct"], 7);
    assert_eq!(done["stars"], 3);
    ws.saved_up_to(7).await;
    let session = api
        .get(&format!("/v1/sessions/{sid}"), Some(&parent.access))
        .await;
    assert_eq!(session.body["status"], "completed");

    let mut conn = studyhub::infra::db::establish(&db.url).unwrap();
    use studyhub::infra::db::schema::{answers, daily_progress};
    let seqs: Vec<i32> = answers::table
        .filter(answers::session_id.eq(&sid))
        .order(answers::seq)
        .select(answers::seq)
        .load(&mut conn)
        .unwrap();
    assert_eq!(seqs, [1, 2, 3, 4, 5, 6, 7]);
    let completed: Vec<i32> = daily_progress::table
        .filter(daily_progress::learner_id.eq(&child))
        .select(daily_progress::activities_completed)
        .load(&mut conn)
        .unwrap();
    assert_eq!(completed, [1], "the completion is counted once");
    drop(ws);
    second.kill();
}

/// A child deleted while its answers wait for the group commit must not block anybody else.
#[actix_web::test]
async fn answers_of_a_deleted_child_do_not_block_other_learners() {
    let app = common::spawn_app_with(|c| {
        c.flush_max_batch = 2;
        c.flush_window_ms = 600_000;
    })
    .await;
    let (pa, a) = app.parent_with_child("Gone").await;
    let (pb, b) = app.parent_with_child("Stays").await;
    let mut wa = app
        .ws(&format!("/v1/play?learner_id={a}"), &pa.access)
        .await;
    let mut wb = app
        .ws(&format!("/v1/play?learner_id={b}"), &pb.access)
        .await;
    wa.expect("hello").await;
    wb.expect("hello").await;
    // Two starts fill a batch of 2: both session rows are written.
    let sa = start(&mut wa, "math-addition-1").await["session_id"]
        .as_str()
        .unwrap()
        .to_string();
    let sb = start(&mut wb, "math-addition-1").await["session_id"]
        .as_str()
        .unwrap()
        .to_string();
    wa.send(answer(&sa, 1, "q1", "7")).await;
    wa.expect("feedback").await;
    let res = app
        .delete(&format!("/v1/children/{a}"), Some(&pa.access))
        .await;
    assert_eq!(res.status, StatusCode::NO_CONTENT);
    // B's answer completes the batch with A's orphan in it. Stopping A's play may first put
    // one item of A's own in the queue (its screen time, when a second was counted), which
    // then shares the orphan's batch; B's second answer fills the next batch in that case.
    wb.send(answer(&sb, 1, "q1", "7")).await;
    wb.expect("feedback").await;
    wb.send(answer(&sb, 2, "q2", "13")).await;
    wb.expect("feedback").await;
    wb.saved_up_to(1).await;
    assert_eq!(
        app.get(&format!("/v1/children/{a}"), Some(&pa.access))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

/// A `resume` sent right behind the completing answer: one `completed`, one notification.
#[actix_web::test]
async fn a_resume_racing_the_completing_answer_completes_once() {
    let app = spawn_app().await;
    let (parent, child) = app.parent_with_child("Rae").await;
    let path = format!("/v1/play?learner_id={child}");
    let mut ws = app.ws(&path, &parent.access).await;
    ws.expect("hello").await;
    let sid = start(&mut ws, "math-addition-1").await["session_id"]
        .as_str()
        .unwrap()
        .to_string();
    for (i, (q, right, _)) in ADDITION.iter().enumerate().take(6) {
        ws.send(answer(&sid, i + 1, q, right)).await;
        ws.expect("feedback").await;
    }
    // The last answer and a resume in the same breath, and a second device resuming too.
    let mut other = app.ws(&path, &parent.access).await;
    other.expect("hello").await;
    let (q, right, _) = ADDITION[6];
    ws.send(answer(&sid, 7, q, right)).await;
    ws.send(json!({"type": "resume", "session_id": sid})).await;
    other
        .send(json!({"type": "resume", "session_id": sid}))
        .await;

    // The completion, then the resume's answer: `completed` again (the session ended here,
    // whether or not its end is committed yet; a snapshot read before the commit would reopen
    // it with six answers), or `started` with all seven answers had the resume come first.
    let mut completed = 0;
    loop {
        match ws.recv().await {
            WsEvent::Json(v) if v["type"] == "completed" => {
                completed += 1;
                assert_eq!(v["session_id"], sid.as_str(), "{v}");
                if completed == 2 {
                    break;
                }
            }
            WsEvent::Json(v) if v["type"] == "started" || v["type"] == "error" => {
                if v["type"] == "started" {
                    assert_eq!(v["answers"].as_array().unwrap().len(), 7, "{v}");
                } else {
                    assert_eq!(v["code"], "no_session", "{v}");
                }
                break;
            }
            WsEvent::Json(_) => {}
            WsEvent::Close(c) => panic!("closed ({c:?})"),
        }
    }
    if completed == 0 {
        ws.expect("completed").await;
    }
    ws.saved_up_to(7).await;

    // Everything pushed before a later save is committed by then (the group commit is in
    // order): play one more answer elsewhere and wait for its `saved`.
    let next = start(&mut ws, "math-addition-1").await["session_id"]
        .as_str()
        .unwrap()
        .to_string();
    ws.send(answer(&next, 1, "q1", "7")).await;
    ws.saved_up_to(1).await;
    let list = app
        .get("/v1/notifications?limit=100", Some(&parent.access))
        .await;
    let completions = list.body["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["kind"] == "activity_completed")
        .count();
    assert_eq!(completions, 1, "{:?}", list.body);
    let session = app
        .get(&format!("/v1/sessions/{sid}"), Some(&parent.access))
        .await;
    assert_eq!(session.body["status"], "completed", "{:?}", session.body);
}
