//! The engine against the in-memory store: whole plays, exactly-once across a failing
//! database and a restart, and the screen-time clock. Every wait is for a message, bounded
//! by a timeout so a bug fails instead of hanging.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use studyhub_actors::content::{ActivityContent, Answer, AnswerType, Question};
use studyhub_actors::game::{GameSpec, GameState};
use studyhub_actors::learner::{Learner, Settings};
use studyhub_actors::memory::{MemoryContent, MemoryStore};
use studyhub_actors::outbox::{OutboxRx, outbox};
use studyhub_actors::protocol::{ClientMsg, Outbound};
use studyhub_actors::store::Activity;
use studyhub_actors::{Engine, EngineConfig};

/// Downtime and requests for more time, with the helpers below.
#[path = "engine/time_rules.rs"]
mod time_rules;

/// Whose activities a learner may start.
#[path = "engine/visibility.rs"]
mod visibility;

/// Offline sessions and time synced back.
#[path = "engine/offline.rs"]
mod offline;

/// Two engines sharing one budget (two nodes).
#[path = "engine/nodes.rs"]
mod nodes;

fn activity() -> Activity {
    let q = |id: &str, key: f64| Question {
        id: id.into(),
        prompt: format!("{id}?"),
        answer_type: AnswerType::Number,
        options: None,
        correct_answer: Answer::Number(key),
        explanation: format!("it is {key}"),
        tolerance: None,
        media: Default::default(),
    };
    Activity {
        id: "math-test".into(),
        title: "Test".into(),
        description: "d".into(),
        category: "math".into(),
        sub_category: None,
        difficulty: 1,
        age_min: 5,
        age_max: 9,
        archived: false,
        author_id: None,
        visibility: studyhub_actors::visibility::Visibility::Public,
        content: ActivityContent {
            questions: vec![q("q1", 1.0), q("q2", 2.0), q("q3", 3.0), q("q4", 4.0)],
            ..Default::default()
        },
    }
}

fn config() -> EngineConfig {
    let mut c = EngineConfig::default();
    c.flush.window = Duration::from_millis(5);
    // Tests run side by side on few cores, so a thread often runs late; only the test of
    // the refusal for it sets a bound.
    c.flush.max_lag = Duration::from_secs(3_600);
    c.tick = Duration::from_millis(100);
    c
}

struct Conn {
    id: u64,
    rx: OutboxRx,
    learner: Learner,
}

impl Conn {
    async fn open(engine: &Arc<Engine>, learner: &str, id: u64) -> Conn {
        let learner = engine.learner(&learner.into()).await.unwrap();
        let (tx, rx) = outbox(256);
        assert!(learner.connect(id, tx).await);
        Conn { id, rx, learner }
    }

    async fn next(&mut self) -> Outbound {
        tokio::time::timeout(Duration::from_secs(10), self.rx.recv())
            .await
            .expect("a message in time")
            .expect("open channel")
    }

    /// The next frame of `kind`, skipping periodic pushes of other kinds.
    async fn expect(&mut self, kind: &str) -> Value {
        loop {
            match self.next().await {
                Outbound::Frame { json, .. } => {
                    let v: Value = serde_json::from_str(&json).unwrap();
                    if v["type"] == kind {
                        return v;
                    }
                    assert!(
                        ["time", "saved", "time_warning"].contains(&v["type"].as_str().unwrap()),
                        "expected {kind}, got {v}"
                    );
                }
                Outbound::Close { code, .. } => panic!("expected {kind}, got close {code}"),
            }
        }
    }

    /// Starts `math-test`; its session id.
    async fn start(&mut self) -> String {
        self.send(json!({"type": "start", "activity_id": "math-test"}));
        self.expect("started").await["session_id"]
            .as_str()
            .unwrap()
            .to_string()
    }

    fn send(&self, msg: Value) {
        let msg: ClientMsg = serde_json::from_value(msg).unwrap();
        self.learner.push(self.id, msg);
    }

    async fn saved_up_to(&mut self, seq: u64) {
        loop {
            let v = self.expect("saved").await;
            if v["up_to_seq"].as_u64().unwrap() >= seq {
                return;
            }
        }
    }
}

/// An `answer` frame.
fn answer(sid: &str, seq: u64, question_id: &str, value: u64) -> Value {
    json!({"type": "answer", "session_id": sid, "seq": seq, "question_id": question_id, "answer": value})
}

fn setup(limit: u64) -> (Arc<MemoryStore>, Arc<MemoryContent>) {
    let store = MemoryStore::new();
    store.add_learner("kid", limit);
    (store, MemoryContent::new([activity()]))
}

#[actix_rt::test]
async fn a_whole_activity_is_graded_saved_and_completed() {
    let (store, content) = setup(3600);
    let engine = Engine::start(store.clone(), content, config());
    let mut c = Conn::open(&engine, "kid", 1).await;
    let hello = c.expect("hello").await;
    assert_eq!(hello["learner_id"], "kid");
    assert_eq!(hello["open_session"], Value::Null);
    assert_eq!(hello["time"]["limit_seconds"], 3600);

    c.send(json!({"type": "start", "activity_id": "math-test"}));
    let started = c.expect("started").await;
    let sid = started["session_id"].as_str().unwrap().to_string();
    let text = started.to_string();
    assert!(
        !text.contains("correct_answer") && !text.contains("explanation"),
        "no key before answering: {text}"
    );
    assert_eq!(started["activity"]["question_count"], 4);

    let answers = [("q1", 1.0), ("q2", 5.0), ("q3", 3.0), ("q4", 4.0)];
    for (i, (q, a)) in answers.iter().enumerate() {
        c.send(json!({"type": "answer", "session_id": sid, "seq": i + 1, "question_id": q, "answer": a}));
        let fb = c.expect("feedback").await;
        assert_eq!(fb["seq"], i as u64 + 1);
        assert_eq!(fb["correct"], *q != "q2");
        assert!(fb["explanation"].is_string() && fb.get("correct_answer").is_some());
    }
    let done = c.expect("completed").await;
    assert_eq!(done["questions_total"], 4);
    assert_eq!(done["questions_correct"], 3);
    assert_eq!(done["accuracy"], 75.0);
    assert_eq!(done["stars"], 2);
    c.saved_up_to(4).await;
    assert_eq!(store.answers(&sid).len(), 4);
    // The session's end is queued behind its answers: once one more batch has been
    // attempted after the one that saved seq 4, the row says completed.
    let mut attempts = store.attempts();
    let seen = *attempts.borrow();
    if store.session(&sid).unwrap().stars.is_none() {
        attempts.wait_for(|n| *n > seen).await.unwrap();
    }
    assert_eq!(store.session(&sid).unwrap().stars, Some(2));
}

#[actix_rt::test]
async fn duplicates_are_counted_once_and_gaps_refused() {
    let (store, content) = setup(3600);
    let engine = Engine::start(store.clone(), content, config());
    let mut c = Conn::open(&engine, "kid", 1).await;
    c.expect("hello").await;
    let sid = c.start().await;
    c.send(
        json!({"type": "answer", "session_id": sid, "seq": 1, "question_id": "q1", "answer": 1}),
    );
    let first = c.expect("feedback").await;
    c.send(
        json!({"type": "answer", "session_id": sid, "seq": 1, "question_id": "q1", "answer": 1}),
    );
    let dup = c.expect("feedback").await;
    assert_eq!(dup["duplicate"], true);
    assert_eq!(dup["progress"], first["progress"]);
    c.send(
        json!({"type": "answer", "session_id": sid, "seq": 3, "question_id": "q2", "answer": 2}),
    );
    let err = c.expect("error").await;
    assert_eq!(err["code"], "bad_seq");
    c.send(json!({"type": "answer", "session_id": "other", "seq": 2, "question_id": "q2", "answer": 2}));
    assert_eq!(c.expect("error").await["code"], "no_session");
    c.saved_up_to(1).await;
    assert_eq!(store.answers(&sid).len(), 1);
}

/// A seq that is no seq at all (0, negative, past what the database holds) is refused as a
/// gap is, echoed as sent.
#[actix_rt::test]
async fn seqs_out_of_range_are_bad_seq_echoed_as_sent() {
    let (store, content) = setup(3600);
    let engine = Engine::start(store.clone(), content, config());
    let mut c = Conn::open(&engine, "kid", 1).await;
    c.expect("hello").await;
    let sid = c.start().await;
    c.send(
        json!({"type": "answer", "session_id": sid, "seq": 1, "question_id": "q1", "answer": 1}),
    );
    c.expect("feedback").await;
    for seq in [0, -3, 2_147_483_648, i64::MAX, i64::MIN] {
        c.send(json!({"type": "answer", "session_id": sid, "seq": seq, "question_id": "q2", "answer": 2}));
        let err = c.expect("error").await;
        assert_eq!(err["code"], "bad_seq", "{seq}");
        assert_eq!(err["seq"], seq, "{seq}");
        assert_eq!(err["message"], "expected seq 2", "{seq}");
    }
    // The session is checked first, as for any seq.
    c.send(json!({"type": "answer", "session_id": "other", "seq": 0, "question_id": "q2", "answer": 2}));
    assert_eq!(c.expect("error").await["code"], "no_session");
    // The largest seq the database holds is a seq: a gap here.
    c.send(json!({"type": "answer", "session_id": sid, "seq": i32::MAX, "question_id": "q2", "answer": 2}));
    assert_eq!(c.expect("error").await["seq"], i32::MAX);
    c.send(
        json!({"type": "answer", "session_id": sid, "seq": 2, "question_id": "q2", "answer": 2}),
    );
    assert_eq!(c.expect("feedback").await["seq"], 2);
    c.saved_up_to(2).await;
    let seqs: Vec<i64> = store.answers(&sid).iter().map(|a| a.seq.into()).collect();
    assert_eq!(seqs, [1, 2]);
}

#[actix_rt::test]
async fn a_failing_database_delays_saved_but_loses_nothing() {
    let (store, content) = setup(3600);
    let engine = Engine::start(store.clone(), content, config());
    let mut c = Conn::open(&engine, "kid", 1).await;
    c.expect("hello").await;
    let sid = c.start().await;
    store.set_failing(true);
    for (seq, q) in [(1, "q1"), (2, "q2")] {
        c.send(json!({"type": "answer", "session_id": sid, "seq": seq, "question_id": q, "answer": seq}));
        c.expect("feedback").await;
    }
    // Wait until the flusher has tried (and failed) twice: still nothing saved.
    store.attempts().wait_for(|n| *n >= 2).await.unwrap();
    assert!(store.answers(&sid).is_empty());
    while let Some(out) = c.rx.try_recv() {
        assert!(
            !matches!(out, Outbound::Frame { ref json, .. } if json.contains("\"saved\"")),
            "nothing saved yet"
        );
    }
    store.set_failing(false);
    c.saved_up_to(2).await;
    let saved = store.answers(&sid);
    assert_eq!(
        saved.iter().map(|a| i64::from(a.seq)).collect::<Vec<_>>(),
        [1, 2]
    );
}

#[actix_rt::test]
async fn an_answer_the_database_refuses_is_not_saved_and_blocks_no_one() {
    let (store, content) = setup(3600);
    store.refuse_answers_to("q2");
    let engine = Engine::start(store.clone(), content, config());
    let mut c = Conn::open(&engine, "kid", 1).await;
    c.expect("hello").await;
    let sid = c.start().await;
    for (seq, q) in [(1, "q1"), (2, "q2"), (3, "q3")] {
        c.send(json!({"type": "answer", "session_id": sid, "seq": seq, "question_id": q, "answer": seq}));
    }
    // Every answer is graded; seq 2 alone is reported `not_saved`, the others are saved.
    let mut feedback = 0;
    let mut not_saved = Vec::new();
    let mut saved_up_to = 0;
    while feedback < 3 || not_saved.is_empty() || saved_up_to < 3 {
        let Outbound::Frame { json, .. } = c.next().await else {
            panic!("closed")
        };
        let v: Value = serde_json::from_str(&json).unwrap();
        match v["type"].as_str().unwrap() {
            "feedback" => feedback += 1,
            "error" => {
                assert_eq!(v["code"], "not_saved", "{v}");
                not_saved.push(v["seq"].as_u64().unwrap());
            }
            "saved" => saved_up_to = v["up_to_seq"].as_u64().unwrap(),
            _ => {}
        }
    }
    assert_eq!(not_saved, [2]);
    let stored: Vec<i64> = store.answers(&sid).iter().map(|a| a.seq.into()).collect();
    assert_eq!(stored, [1, 3]);
    // Seq 2 stays used: play goes on at seq 4.
    c.send(
        json!({"type": "answer", "session_id": sid, "seq": 4, "question_id": "q4", "answer": 4}),
    );
    assert_eq!(c.expect("feedback").await["seq"], 4);
}

#[actix_rt::test]
async fn a_full_buffer_refuses_answers_without_using_their_seq() {
    let (store, content) = setup(3600);
    let mut cfg = config();
    cfg.flush.max_buffer = 2;
    let engine = Engine::start(store.clone(), content, cfg);
    let mut c = Conn::open(&engine, "kid", 1).await;
    c.expect("hello").await;
    // The database is away from the start: the session row and one answer fill the buffer.
    store.set_failing(true);
    let sid = c.start().await;
    c.send(
        json!({"type": "answer", "session_id": sid, "seq": 1, "question_id": "q1", "answer": 1}),
    );
    c.expect("feedback").await;
    c.send(
        json!({"type": "answer", "session_id": sid, "seq": 2, "question_id": "q2", "answer": 2}),
    );
    let err = c.expect("error").await;
    assert_eq!(err["code"], "storage_unavailable");
    store.set_failing(false);
    c.saved_up_to(1).await;
    // The refused seq is still free.
    c.send(
        json!({"type": "answer", "session_id": sid, "seq": 2, "question_id": "q2", "answer": 2}),
    );
    let fb = c.expect("feedback").await;
    assert!(fb.get("duplicate").is_none());
    c.saved_up_to(2).await;
}

#[actix_rt::test]
async fn past_capacity_answers_are_busy_keep_nothing_and_pipelined_ones_too() {
    let (store, content) = setup(3600);
    let mut cfg = config();
    // The database answers, but the group commit holds two items for a whole second.
    cfg.flush.window = Duration::from_secs(1);
    cfg.flush.max_queue = 2;
    let engine = Engine::start(store.clone(), content, cfg);
    let mut c = Conn::open(&engine, "kid", 1).await;
    c.expect("hello").await;
    let sid = c.start().await;
    // The session row and seq 1 fill the queue; 2 is refused, and 3 sent behind it too
    // (busy, not bad_seq: the client sends both again).
    c.send(answer(&sid, 1, "q1", 1));
    c.expect("feedback").await;
    c.send(answer(&sid, 2, "q2", 2));
    c.send(answer(&sid, 3, "q3", 3));
    for seq in [2, 3] {
        let err = c.expect("error").await;
        assert_eq!(err["code"], "busy", "{err}");
        assert_eq!(err["seq"], seq);
        assert!(err["retry_after_ms"].as_u64().unwrap() >= 100, "{err}");
    }
    // A new session is refused alike while the queue is full.
    c.send(json!({"type": "start", "activity_id": "math-test"}));
    assert_eq!(c.expect("error").await["code"], "busy");
    c.saved_up_to(1).await;
    // Once committed there is room: 2 and 3 are new answers (their seqs were kept free).
    for (seq, q) in [(2, "q2"), (3, "q3")] {
        c.send(answer(&sid, seq, q, seq));
        let fb = c.expect("feedback").await;
        assert_eq!(fb["seq"], seq);
        assert!(fb.get("duplicate").is_none());
        c.saved_up_to(seq).await;
    }
    let seqs: Vec<i64> = store.answers(&sid).iter().map(|a| a.seq.into()).collect();
    assert_eq!(
        seqs,
        [1, 2, 3],
        "each answer taken is stored once, none refused is"
    );
}

/// Waits (bounded) until this thread's lag probe says `ok` of how late it runs.
async fn until_late(ok: impl Fn(Duration) -> bool) {
    for _ in 0..200 {
        if ok(studyhub_actors::lag::late()) {
            return;
        }
        tokio::time::timeout(Duration::from_secs(5), studyhub_actors::lag::next_look())
            .await
            .expect("the probe looks every 25 ms");
    }
    panic!(
        "the lag probe still says {:?}",
        studyhub_actors::lag::late()
    );
}

#[actix_rt::test]
async fn a_node_running_late_answers_busy_at_once_and_takes_the_answer_once_it_catches_up() {
    let (store, content) = setup(3600);
    let mut cfg = config();
    cfg.flush.max_lag = Duration::from_millis(50);
    let engine = Engine::start(store.clone(), content, cfg);
    let mut c = Conn::open(&engine, "kid", 1).await;
    c.expect("hello").await;
    let sid = c.start().await;
    c.send(answer(&sid, 1, "q1", 1));
    c.expect("feedback").await;
    // The thread the learner's actor runs on is held for 200 ms, as more ready work than it
    // can run would hold it; the group commit's queue is empty all along.
    let held = std::time::Instant::now();
    while held.elapsed() < Duration::from_millis(200) {
        std::hint::spin_loop();
    }
    until_late(|late| late > Duration::from_millis(50)).await;
    c.send(answer(&sid, 2, "q2", 2));
    let err = c.expect("error").await;
    assert_eq!(err["code"], "busy", "{err}");
    assert_eq!(err["seq"], 2);
    assert!(err["retry_after_ms"].as_u64().unwrap() >= 100, "{err}");
    // On time again: the same seq is a new answer (the refused one kept nothing). Sent again
    // after any other `busy`, as a client does: a busy test machine may hold this thread too.
    let fb = loop {
        until_late(|late| late <= Duration::from_millis(50)).await;
        c.send(answer(&sid, 2, "q2", 2));
        let frame = loop {
            let Outbound::Frame { json, .. } = c.next().await else {
                panic!("closed")
            };
            let v: Value = serde_json::from_str(&json).unwrap();
            if v["type"] == "feedback" || v["type"] == "error" {
                break v;
            }
        };
        if frame["type"] == "feedback" {
            break frame;
        }
        assert_eq!(frame["code"], "busy", "{frame}");
    };
    assert_eq!(fb["seq"], 2);
    assert!(fb.get("duplicate").is_none(), "{fb}");
    c.saved_up_to(2).await;
    let seqs: Vec<i64> = store.answers(&sid).iter().map(|a| a.seq.into()).collect();
    assert_eq!(seqs, [1, 2]);
}

#[actix_rt::test]
async fn after_a_crash_resume_rebuilds_what_was_saved() {
    let (store, content) = setup(3600);
    // The first "server" runs in its own actix system on its own thread, and dies with it:
    // whatever its flusher had not written is gone, as in a crash.
    let (s, c2) = (store.clone(), content.clone());
    let sid = std::thread::spawn(move || {
        actix::System::new().block_on(async move {
            let engine = Engine::start(s.clone(), c2, config());
            let mut c = Conn::open(&engine, "kid", 1).await;
            c.expect("hello").await;
            c.send(json!({"type": "start", "activity_id": "math-test"}));
            let sid = c.expect("started").await["session_id"].as_str().unwrap().to_string();
            c.send(json!({"type": "answer", "session_id": sid, "seq": 1, "question_id": "q1", "answer": 9}));
            c.expect("feedback").await;
            c.saved_up_to(1).await;
            // The database goes away: seq 2 is graded but never saved before the crash.
            s.set_failing(true);
            c.send(json!({"type": "answer", "session_id": sid, "seq": 2, "question_id": "q2", "answer": 2}));
            c.expect("feedback").await;
            sid
        })
    })
    .join()
    .unwrap();
    store.set_failing(false);
    assert_eq!(store.answers(&sid).len(), 1);
    // A restarted server over the same database.
    let engine = Engine::start(store.clone(), content, config());
    let mut c = Conn::open(&engine, "kid", 2).await;
    let hello = c.expect("hello").await;
    assert_eq!(hello["open_session"]["session_id"], sid.as_str());
    assert_eq!(hello["open_session"]["last_saved_seq"], 1);
    c.send(json!({"type": "resume", "session_id": sid}));
    let started = c.expect("started").await;
    assert_eq!(
        started["answers"],
        json!([{"seq": 1, "question_id": "q1", "correct": false}])
    );
    assert_eq!(started["last_saved_seq"], 1);
    // The client resends what was not saved (and a saved one again, which is a duplicate).
    c.send(
        json!({"type": "answer", "session_id": sid, "seq": 1, "question_id": "q1", "answer": 1}),
    );
    assert_eq!(c.expect("feedback").await["duplicate"], true);
    for (seq, q, a) in [(2, "q2", 2), (3, "q3", 3), (4, "q4", 4)] {
        c.send(
            json!({"type": "answer", "session_id": sid, "seq": seq, "question_id": q, "answer": a}),
        );
        c.expect("feedback").await;
    }
    let done = c.expect("completed").await;
    assert_eq!(
        done["questions_correct"], 3,
        "q1's first answer was wrong and is counted once"
    );
    c.saved_up_to(4).await;
    assert_eq!(
        store
            .answers(&sid)
            .iter()
            .map(|a| i64::from(a.seq))
            .collect::<Vec<_>>(),
        [1, 2, 3, 4]
    );
}

#[actix_rt::test]
async fn no_time_left_means_hello_time_up_close() {
    let (store, content) = setup(0);
    let engine = Engine::start(store, content, config());
    let mut c = Conn::open(&engine, "kid", 1).await;
    let hello = c.expect("hello").await;
    assert_eq!(hello["time"]["left_seconds"], 0);
    c.expect("time_up").await;
    assert_eq!(
        c.next().await,
        Outbound::Close {
            code: 4001,
            reason: "time_up"
        }
    );
}

#[actix_rt::test]
async fn two_devices_share_one_clock_a_lower_limit_ends_both_and_a_grant_restores() {
    let (store, content) = setup(3600);
    let engine = Engine::start(store, content, config());
    let mut a = Conn::open(&engine, "kid", 1).await;
    let mut b = Conn::open(&engine, "kid", 2).await;
    a.expect("hello").await;
    b.expect("hello").await;
    assert!(
        a.learner == b.learner,
        "one actor, so one clock, for both devices"
    );
    // The parent lowers the limit below what is used: both devices end at once.
    engine.settings_changed(
        &"kid".into(),
        Settings {
            daily_limit_seconds: Some(0),
            notifications_enabled: true,
            downtime: Vec::new(),
        },
    );
    for c in [&mut a, &mut b] {
        assert_eq!(c.expect("time").await["left_seconds"], 0);
        c.expect("time_up").await;
        assert_eq!(
            c.next().await,
            Outbound::Close {
                code: 4001,
                reason: "time_up"
            }
        );
    }
    // A grant for today lets the child play again, on a new connection.
    engine.grant(&"kid".into(), 600);
    let mut c = Conn::open(&engine, "kid", 3).await;
    let hello = c.expect("hello").await;
    assert_eq!(hello["time"]["left_seconds"], 600);
    c.send(json!({"type": "start", "activity_id": "math-test"}));
    c.expect("started").await;
}

#[actix_rt::test]
async fn drain_writes_what_is_queued() {
    let (store, content) = setup(3600);
    let mut cfg = config();
    cfg.flush.window = Duration::from_secs(600);
    let engine = Engine::start(store.clone(), content, cfg);
    let mut c = Conn::open(&engine, "kid", 1).await;
    c.expect("hello").await;
    let sid = c.start().await;
    c.send(
        json!({"type": "answer", "session_id": sid, "seq": 1, "question_id": "q1", "answer": 1}),
    );
    c.expect("feedback").await;
    assert!(store.answers(&sid).is_empty(), "the window holds it");
    assert!(engine.drain(Duration::from_secs(5)).await);
    assert_eq!(store.answers(&sid).len(), 1);
    assert_eq!(engine.backlog(), 0);
}

#[actix_rt::test]
async fn finish_completes_early_once_for_every_device() {
    let (store, content) = setup(3600);
    let engine = Engine::start(store, content, config());
    let mut a = Conn::open(&engine, "kid", 1).await;
    let mut b = Conn::open(&engine, "kid", 2).await;
    a.expect("hello").await;
    b.expect("hello").await;
    a.send(json!({"type": "start", "activity_id": "math-test"}));
    let sid = a.expect("started").await["session_id"]
        .as_str()
        .unwrap()
        .to_string();
    a.send(
        json!({"type": "answer", "session_id": sid, "seq": 1, "question_id": "q1", "answer": 1}),
    );
    a.expect("feedback").await;
    a.send(json!({"type": "finish", "session_id": sid}));
    let done = a.expect("completed").await;
    assert_eq!(
        (
            done["questions_total"].as_u64(),
            done["questions_correct"].as_u64()
        ),
        (Some(4), Some(1))
    );
    assert_eq!(done["accuracy"], 25.0);
    assert_eq!(b.expect("completed").await, done);
    // Exactly once: the next thing device A hears is the answer to its next message.
    a.send(json!({"type": "finish", "session_id": sid}));
    assert_eq!(a.expect("error").await["code"], "no_session");
}

#[actix_rt::test]
async fn a_limit_changed_while_the_learners_actor_starts_is_not_lost() {
    let (store, content) = setup(3600);
    let engine = Engine::start(store.clone(), content, config());
    let gate = store.hold_screen_time_reads();
    // The start has read the profile (limit 3600) and waits on screen time ...
    let starting = {
        let engine = engine.clone();
        actix_rt::spawn(async move { engine.learner(&"kid".into()).await.unwrap() })
    };
    // One turn of the (single-threaded) runtime: the start runs until it waits on the gate.
    tokio::task::yield_now().await;
    // ... when the parent lowers the limit: stored, then told to a learner not live yet.
    store.set_limit("kid", Some(120));
    engine.settings_changed(
        &"kid".into(),
        Settings {
            daily_limit_seconds: Some(120),
            notifications_enabled: true,
            downtime: Vec::new(),
        },
    );
    gate.add_permits(1_000);
    let learner = starting.await.unwrap();
    let (tx, mut rx) = outbox(256);
    assert!(learner.connect(1, tx).await);
    // The new limit reaches the actor (hello may still show the old one; a `time` follows).
    loop {
        let Outbound::Frame { json, .. } = tokio::time::timeout(Duration::from_secs(10), rx.recv())
            .await
            .expect("a frame in time")
            .expect("open")
        else {
            panic!("closed")
        };
        let v: Value = serde_json::from_str(&json).unwrap();
        if v["time"]["limit_seconds"] == 120 || v["limit_seconds"] == 120 {
            break;
        }
    }
}

fn game_spec(game_id: &str, pin: &str) -> GameSpec {
    GameSpec {
        game_id: game_id.into(),
        pin: pin.into(),
        class_id: "c".into(),
        class_name: "4B".into(),
        teacher_id: "t".into(),
        activity: Arc::new(activity()),
        seconds_per_question: 20,
        extra_time: Default::default(),
    }
}

#[actix_rt::test]
async fn a_game_started_here_is_found_by_its_id() {
    let (store, content) = setup(3600);
    let engine = Engine::start(store, content, config());
    let host = engine.start_game(game_spec("g", "123456"), Vec::new());
    assert_eq!(engine.live_games(), 1);
    assert!(engine.game("other").is_none());
    let found = engine.game("g").expect("the game is hosted here");
    let info = found.info().await.expect("live");
    assert_eq!(
        (
            info.game_id.as_str(),
            info.teacher_id.as_str(),
            info.pin.as_str()
        ),
        ("g", "t", "123456")
    );
    assert_eq!(host.info().await.unwrap().state, GameState::Lobby);
}

#[actix_rt::test]
async fn the_class_is_invited_joins_by_pin_and_a_reload_goes_on_from_the_last_seq() {
    let (store, content) = setup(3600);
    store.add_to_class("kid", "c");
    store.add_learner("other", 3600);
    let engine = Engine::start(store, content, config());
    let mut c = Conn::open(&engine, "kid", 1).await;
    let hello = c.expect("hello").await;
    assert_eq!(hello["open_games"], json!([]));
    let mut stranger = Conn::open(&engine, "other", 2).await;
    stranger.expect("hello").await;

    // The class's students hear of the game at once.
    let host = engine.start_game(game_spec("g", "123456"), vec!["kid".into()]);
    let open = c.expect("game_open").await;
    assert_eq!(
        open,
        json!({"type": "game_open", "game_id": "g", "pin": "123456", "class_name": "4B",
            "activity_title": "Test"})
    );

    // A wrong PIN is no_game; the right one joins.
    c.send(json!({"type": "join_game", "pin": "654321"}));
    assert_eq!(c.expect("error").await["code"], "no_game");
    c.send(json!({"type": "join_game", "pin": "123456"}));
    let joined = c.expect("game_joined").await;
    assert_eq!(
        (joined["game_id"].as_str(), joined["last_seq"].as_u64()),
        (Some("g"), Some(0))
    );
    let sid = joined["session_id"].as_str().unwrap().to_string();
    let (tx, _teacher) = outbox(64);
    host.connect(9, tx);
    host.command(9, studyhub_actors::game::HostMsg::Next);
    let q = c.expect("game_question").await;
    assert_eq!(q["question"]["id"], "q1");
    c.send(
        json!({"type": "answer", "session_id": sid, "seq": 1, "question_id": "q1", "answer": 1}),
    );
    c.expect("feedback").await;

    // A reload: a new connection finds the game in hello and goes on from seq 2.
    drop(c);
    let mut again = Conn::open(&engine, "kid", 3).await;
    let hello = again.expect("hello").await;
    assert_eq!(hello["open_games"][0]["pin"], "123456");
    again.send(json!({"type": "join_game", "game_id": "g"}));
    let joined = again.expect("game_joined").await;
    assert_eq!(
        (joined["session_id"].as_str(), joined["last_seq"].as_u64()),
        (Some(sid.as_str()), Some(1))
    );

    // The stranger is not invited, and guessing PINs closes the socket on the tenth.
    for _ in 0..9 {
        stranger.send(json!({"type": "join_game", "pin": "000000"}));
        assert_eq!(stranger.expect("error").await["code"], "no_game");
    }
    stranger.send(json!({"type": "join_game", "pin": "000000"}));
    loop {
        match stranger.next().await {
            Outbound::Close { code, .. } => {
                assert_eq!(code, 4008);
                break;
            }
            Outbound::Frame { json, .. } => assert!(!json.contains("game_open"), "{json}"),
        }
    }
}
