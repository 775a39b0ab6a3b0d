//! kill -9 under load, against the real binary in a child process: a few hundred learners
//! play at once, each with answers in flight, when the process dies. A new process on the
//! same database takes them back: each reconnects, finds at least everything it saw `saved`
//! stored, resumes and sends again what was not; in the end every answer is stored exactly
//! once and every completion counted once.

use futures_util::future::join_all;
use serde_json::json;

use crate::common::Api;
use crate::common::TestDb;
use crate::common::players::{ADDITION, Player, completions, stored_seqs};
use crate::common::process::Served;

const PLAYERS: usize = 200;
/// Players joining or reconnecting at once (all 200 at once would only queue on the test's
/// own thread).
const AT_ONCE: usize = 10;

/// Back on `api` after the crash: at least what the player saw saved is stored; the session
/// is resumed after the last stored seq, so what was lost in flight is sent again.
/// Returns how many of the player's answers were lost in flight (sent, never stored).
async fn come_back(p: &mut Player, api: &Api) -> u32 {
    let mut ws = api
        .ws(&format!("/v1/play?learner_id={}", p.child), &p.token)
        .await;
    let hello = ws.expect("hello").await;
    assert_eq!(
        hello["open_session"]["session_id"],
        p.session.as_str(),
        "{hello}"
    );
    let stored = hello["open_session"]["last_saved_seq"].as_u64().unwrap() as u32;
    assert!(
        stored >= p.saved,
        "{}: saw {} saved, {} stored after the crash",
        p.child,
        p.saved,
        stored
    );
    assert!(stored <= p.sent, "{}: more stored than sent", p.child);
    ws.send(json!({"type": "resume", "session_id": p.session}))
        .await;
    let started = ws.expect("started").await;
    assert_eq!(
        started["answers"].as_array().unwrap().len(),
        stored as usize
    );
    let lost = p.sent - stored;
    p.ws = ws;
    p.sent = stored;
    p.answered = stored;
    p.saved = stored;
    p.closed = None;
    lost
}

#[actix_web::test]
async fn kill_9_under_load_loses_nothing_saved_and_stores_every_answer_once() {
    let db = TestDb::new();
    let first = Served::start(&db, &[]);
    let port = first.port;
    let mut players = Vec::with_capacity(PLAYERS);
    for chunk in (0..PLAYERS).collect::<Vec<_>>().chunks(AT_ONCE) {
        // A client each: one client holds at most 100 connections, sockets included.
        let joined = join_all(
            chunk
                .iter()
                .map(|i| async move { Player::join(&Api::new(port), &format!("Kid {i}")).await }),
        )
        .await;
        players.extend(joined);
    }

    // Everyone plays at once: two answers with their feedback, stored (so the session is
    // too: a start is durable only with the group commit, like an answer), then two more
    // sent without waiting, so the kill lands with answers in the socket, in the actor and
    // in the group commit.
    join_all(players.iter_mut().map(|p| async move {
        p.answer().await;
        p.answer().await;
        p.saved_up_to(2).await;
        p.send_next().await;
        p.send_next().await;
    }))
    .await;
    first.kill();

    let second = Served::start(&db, &[]);
    for chunk in players.chunks_mut(AT_ONCE) {
        join_all(
            chunk
                .iter_mut()
                .map(|p| async { come_back(p, &Api::new(second.port)).await }),
        )
        .await;
    }
    join_all(players.iter_mut().map(|p| async move {
        p.finish().await;
        p.saved_up_to(ADDITION.len() as u32).await;
    }))
    .await;

    let all: Vec<u32> = (1..=ADDITION.len() as u32).collect();
    for p in &players {
        assert_eq!(stored_seqs(&db.url, &p.session), all, "{}", p.child);
        assert_eq!(completions(&db.url, &p.child), 1, "{}", p.child);
    }
}
