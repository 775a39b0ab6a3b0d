//! Two engines on one in-memory store and one `MemoryShared` are two nodes: one budget per
//! learner (each wall-clock second counted once), presence seen from either.

use std::time::Instant;

use chrono::Utc;
use studyhub_actors::shared::MemoryShared;

use super::*;

fn node(
    store: &Arc<MemoryStore>,
    content: &Arc<MemoryContent>,
    shared: &Arc<MemoryShared>,
    name: &str,
) -> Arc<Engine> {
    let engine = Engine::start(store.clone(), content.clone(), config());
    engine.set_shared(shared.node(name));
    engine
}

fn answer(sid: &str, seq: u64, q: &str) -> serde_json::Value {
    json!({"type": "answer", "session_id": sid, "seq": seq, "question_id": q, "answer": seq})
}

/// On `node`: a `math-test` session, its first answer saved; then the socket goes (the actor
/// lingers). Returns the session's id.
async fn first_answer_then_leave(node: &Arc<Engine>, conn: u64) -> String {
    let mut phone = Conn::open(node, "kid", conn).await;
    phone.expect("hello").await;
    phone.send(json!({"type": "start", "activity_id": "math-test"}));
    let sid = phone.expect("started").await["session_id"]
        .as_str()
        .unwrap()
        .to_string();
    phone.send(answer(&sid, 1, "q1"));
    phone.expect("feedback").await;
    phone.saved_up_to(1).await;
    phone.learner.disconnect(phone.id);
    sid
}

/// On `node`: the session resumed (`started` returned), one answer saved, the socket gone.
async fn resume_answer_then_leave(
    node: &Arc<Engine>,
    conn: u64,
    sid: &str,
    seq: u64,
    q: &str,
) -> serde_json::Value {
    let mut c = Conn::open(node, "kid", conn).await;
    c.expect("hello").await;
    c.send(json!({"type": "resume", "session_id": sid}));
    let started = c.expect("started").await;
    c.send(answer(sid, seq, q));
    c.expect("feedback").await;
    c.saved_up_to(seq).await;
    c.learner.disconnect(c.id);
    started
}

async fn closed_with(c: &mut Conn, code: u16) {
    loop {
        if let Outbound::Close { code: got, .. } = c.next().await {
            return assert_eq!(got, code);
        }
    }
}

#[actix_rt::test]
async fn two_nodes_count_one_budget_and_end_play_on_both() {
    let (store, content) = setup(3);
    let shared = MemoryShared::new();
    let (a, b) = (
        node(&store, &content, &shared, "a"),
        node(&store, &content, &shared, "b"),
    );
    let started = Instant::now();
    // Both devices active (they just connected): the same seconds, counted once.
    let mut phone = Conn::open(&a, "kid", 1).await;
    phone.expect("hello").await;
    let mut tablet = Conn::open(&b, "kid", 2).await;
    tablet.expect("hello").await;
    // Node B sees node A's device (and its own).
    let seen = a.where_are(&["kid".into()]).await;
    assert!(seen["kid"].online);

    phone.expect("time_up").await;
    tablet.expect("time_up").await;
    assert!(
        started.elapsed() >= Duration::from_secs(2),
        "3 s of budget went in {:?}: seconds counted twice",
        started.elapsed()
    );
    closed_with(&mut phone, 4001).await;
    closed_with(&mut tablet, 4001).await;
    let today = studyhub_actors::screen_time::local_date(chrono_tz::Tz::UTC, Utc::now());
    assert_eq!(shared.used("kid", today), Some(3));
    // Each node stores the seconds it counted: together, the budget, once.
    let mut attempts = store.attempts();
    attempts
        .wait_for(|_| store.screen_seconds("kid") == 3)
        .await
        .unwrap();
    // Nobody is connected any more, on either node.
    assert!(
        b.where_are(&["kid".into()])
            .await
            .get("kid")
            .is_none_or(|s| !s.online)
    );
}

#[actix_rt::test]
async fn with_the_shared_state_away_each_node_counts_alone() {
    let (store, content) = setup(2);
    let shared = MemoryShared::new();
    shared.set_away(true);
    let a = node(&store, &content, &shared, "a");
    let mut phone = Conn::open(&a, "kid", 1).await;
    phone.expect("hello").await;
    phone.expect("time_up").await;
    closed_with(&mut phone, 4001).await;
    let today = studyhub_actors::screen_time::local_date(chrono_tz::Tz::UTC, Utc::now());
    assert_eq!(shared.used("kid", today), None);
}

/// A node keeps a learner's actor a while after its last socket (the linger), remembering the
/// open session as it was then. When the learner comes back to that node after playing on
/// the other (its node died), a resume answers what is stored, not what was remembered: the
/// client was told seq 2 is saved, so it sends seq 3 next (found by the chaos soak).
#[actix_rt::test]
async fn a_resume_where_the_session_is_remembered_answers_what_the_other_node_stored() {
    let (store, content) = setup(3600);
    let shared = MemoryShared::new();
    let (a, b) = (
        node(&store, &content, &shared, "a"),
        node(&store, &content, &shared, "b"),
    );
    // Node A: a session, its first answer saved; the socket goes, the actor lingers.
    let sid = first_answer_then_leave(&a, 1).await;
    // Node B: the same session resumed and played on, seq 2 saved.
    let started = resume_answer_then_leave(&b, 2, &sid, 2, "q2").await;
    assert_eq!(started["last_saved_seq"], 1);
    // Back on node A: seq 2 is saved, seq 3 is next.
    let mut back = Conn::open(&a, "kid", 3).await;
    back.expect("hello").await;
    back.send(json!({"type": "resume", "session_id": sid}));
    let started = back.expect("started").await;
    assert_eq!(started["last_saved_seq"], 2, "{started}");
    back.send(answer(&sid, 3, "q3"));
    let fb = back.expect("feedback").await;
    assert_eq!(fb["seq"], 3, "{fb}");
    back.saved_up_to(3).await;
    let seqs: Vec<i64> = store.answers(&sid).iter().map(|a| a.seq.into()).collect();
    assert_eq!(seqs, [1, 2, 3]);
}

/// `hello` on a node whose actor lingered says what is stored of the session it remembers:
/// how far it was saved elsewhere, or that it ended there (found by the chaos soak, after
/// `resume`'s fix). The nodes read again at once (`reread_after` zero; a second by default).
#[actix_rt::test]
async fn hello_on_a_node_that_remembers_the_session_says_what_the_other_node_stored() {
    let (store, content) = setup(3600);
    let shared = MemoryShared::new();
    let at_once = |name: &str| {
        let config = EngineConfig {
            reread_after: std::time::Duration::ZERO,
            ..config()
        };
        let engine = Engine::start(store.clone(), content.clone(), config);
        engine.set_shared(shared.node(name));
        engine
    };
    let (a, b) = (at_once("a"), at_once("b"));
    let sid = first_answer_then_leave(&a, 1).await;
    // On B, seq 2 saved; back on A, hello says so.
    resume_answer_then_leave(&b, 2, &sid, 2, "q2").await;
    let mut back = Conn::open(&a, "kid", 3).await;
    let hello = back.expect("hello").await;
    assert_eq!(hello["open_session"]["session_id"], sid.as_str(), "{hello}");
    assert_eq!(hello["open_session"]["last_saved_seq"], 2, "{hello}");
    back.learner.disconnect(back.id);
    // Finished on B; back on A, hello has no open session.
    let mut other = Conn::open(&b, "kid", 4).await;
    other.expect("hello").await;
    other.send(json!({"type": "resume", "session_id": sid}));
    other.expect("started").await;
    for (seq, q) in [(3, "q3"), (4, "q4")] {
        other.send(answer(&sid, seq, q));
        other.expect("feedback").await;
    }
    other.expect("completed").await;
    other.saved_up_to(4).await;
    other.learner.disconnect(other.id);
    let mut last = Conn::open(&a, "kid", 5).await;
    let hello = last.expect("hello").await;
    assert_eq!(hello["open_session"], serde_json::Value::Null, "{hello}");
}
