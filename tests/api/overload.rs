//! Past capacity, by rule: a tiny group-commit queue (`flush_queue_max`) that players overrun.
//! Answers that cannot be taken get `busy` with `retry_after_ms` and nothing of them is kept;
//! everything that got `feedback` is stored exactly once; the queue stays within its bound
//! (read from `/metrics`); no socket is closed for it; and every close is counted by reason.

use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use awc::http::StatusCode;
use futures_util::future::join_all;
use serde_json::{Value, json};

use crate::common::players::{ADDITION, completions, stored_seqs};
use crate::common::wait::poll_until;
use crate::common::{Api, TestApp, Ws, WsEvent, spawn_app_with};

/// The group commit's queue bound in these tests, and a window long enough to fill it.
const QUEUE: usize = 10;

/// The values of a metric in `/metrics` whose line starts with `prefix`, summed.
async fn metric(api: &Api, prefix: &str) -> f64 {
    let text = String::from_utf8(api.get("/metrics", None).await.raw).unwrap();
    text.lines()
        .filter(|l| l.starts_with(prefix))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

/// A client that does what `busy` asks: waits `retry_after_ms`, then sends again from the
/// refused seq. It checks that a resent answer is new (`duplicate` would mean the refused
/// one was kept after all).
struct Careful {
    ws: Ws,
    child: String,
    session: String,
    /// Seqs answered with `feedback` (1..=answered, in order).
    answered: u32,
    saved: u32,
    completed: bool,
    busy: u32,
}

impl Careful {
    async fn join(api: &Api, name: &str) -> Self {
        let (parent, child) = api.parent_with_child(name).await;
        let mut ws = api
            .ws(&format!("/v1/play?learner_id={child}"), &parent.access)
            .await;
        ws.expect("hello").await;
        let mut me = Careful {
            ws,
            child,
            session: String::new(),
            answered: 0,
            saved: 0,
            completed: false,
            busy: 0,
        };
        // A start is refused like an answer while the queue is full.
        loop {
            me.ws
                .send(json!({"type": "start", "activity_id": "math-addition-1"}))
                .await;
            match me.next().await {
                v if v["type"] == "started" => {
                    me.session = v["session_id"].as_str().unwrap().to_string();
                    return me;
                }
                v => me.back_off(&v, 1).await,
            }
        }
    }

    /// The next frame that is not a background push; a close fails the test.
    async fn next(&mut self) -> Value {
        loop {
            if let Some(v) = self.read().await {
                return v;
            }
        }
    }

    /// Reads one frame: background pushes (`saved`, `completed`, `time`…) are noted and give
    /// `None`; anything else is returned.
    async fn read(&mut self) -> Option<Value> {
        match self.ws.recv().await {
            WsEvent::Json(v) => match v["type"].as_str().unwrap_or("") {
                "time" | "time_warning" | "achievement" => None,
                "saved" => {
                    let up = v["up_to_seq"].as_u64().unwrap() as u32;
                    assert!(up <= self.answered, "saved {up} before its feedback");
                    self.saved = self.saved.max(up);
                    None
                }
                "completed" => {
                    self.completed = true;
                    None
                }
                _ => Some(v),
            },
            WsEvent::Close(code) => panic!("{} closed ({code:?}) under overload", self.child),
        }
    }

    /// Waits as `busy` asks, and at least as long as `frames` take at 20 a second (the
    /// frame limit), reading the socket meanwhile: every reply is in, so only pushes (the
    /// `saved` of earlier answers) may arrive.
    async fn back_off(&mut self, v: &Value, frames: u64) {
        assert_eq!(v["type"], "error", "{v}");
        assert_eq!(v["code"], "busy", "only busy may refuse here: {v}");
        let wait = v["retry_after_ms"]
            .as_u64()
            .expect("busy says when to retry");
        assert!((1..=5_000).contains(&wait), "{v}");
        self.busy += 1;
        let until = tokio::time::Instant::now() + Duration::from_millis(wait.max(50 * frames));
        while let Ok(got) = tokio::time::timeout_at(until, self.read()).await {
            if let Some(v) = got {
                panic!("{} got {v} while backing off", self.child);
            }
        }
    }

    /// Sends every answer from `answered + 1` on at once (pipelined), reads one reply per
    /// answer, and backs off once for the first refusal. Returns when all seven have feedback.
    async fn play(&mut self) {
        while self.answered < ADDITION.len() as u32 {
            let from = self.answered + 1;
            for seq in from..=ADDITION.len() as u32 {
                let (q, value) = ADDITION[seq as usize - 1];
                let answer: Value = serde_json::from_str(value).unwrap();
                self.ws
                    .send(json!({"type": "answer", "session_id": self.session, "seq": seq, "question_id": q, "answer": answer}))
                    .await;
            }
            let mut refused = None;
            for _ in from..=ADDITION.len() as u32 {
                let v = self.next().await;
                if v["type"] == "feedback" {
                    let seq = v["seq"].as_u64().unwrap() as u32;
                    assert!(refused.is_none(), "feedback for {seq} after a refusal: {v}");
                    assert_eq!(seq, self.answered + 1, "feedback in order: {v}");
                    assert!(
                        v.get("duplicate").is_none(),
                        "a refused answer was kept: {v}"
                    );
                    self.answered = seq;
                } else {
                    // The first refusal is the next seq; everything sent behind it is refused
                    // alike (busy, not bad_seq).
                    assert_eq!(v["code"], "busy", "{v}");
                    let seq = v["seq"].as_u64().unwrap() as u32;
                    assert!(seq > self.answered, "{v}");
                    if refused.is_none() {
                        assert_eq!(seq, self.answered + 1, "{v}");
                    }
                    refused.get_or_insert(v);
                }
            }
            if let Some(v) = refused {
                let frames = u64::from(ADDITION.len() as u32 - from + 1);
                self.back_off(&v, frames).await;
            }
        }
        while !self.completed || self.saved < ADDITION.len() as u32 {
            if let Some(v) = self.read().await {
                panic!("{} got {v} while waiting for saved", self.child);
            }
        }
    }
}

async fn tiny_queue() -> TestApp {
    spawn_app_with(|c| {
        c.flush_queue_max = QUEUE;
        // Batches wait long enough for the players to overrun the queue between commits.
        c.flush_window_ms = 300;
        c.flush_max_batch = 10_000;
    })
    .await
}

#[actix_web::test]
async fn past_capacity_answers_are_busy_and_what_was_taken_is_saved_once() {
    const PLAYERS: usize = 16;
    let app = tiny_queue().await;
    let mut players = Vec::new();
    for i in 0..PLAYERS {
        players.push(Careful::join(&app, &format!("Kid {i}")).await);
    }
    // The queue depth, sampled from /metrics while they play.
    let deepest = Rc::new(Cell::new(0f64));
    let playing = Rc::new(Cell::new(true));
    let sampler = {
        let (deepest, playing, api) = (deepest.clone(), playing.clone(), Api::new(app.port));
        actix_web::rt::spawn(async move {
            // A sample every 20 ms, however long a scrape takes.
            let mut every = tokio::time::interval(Duration::from_millis(20));
            while playing.get() {
                every.tick().await;
                let depth = metric(&api, "studyhub_flush_queue_depth").await;
                deepest.set(deepest.get().max(depth));
            }
        })
    };
    join_all(players.iter_mut().map(|p| p.play())).await;
    playing.set(false);
    sampler.await.unwrap();

    let busy: u32 = players.iter().map(|p| p.busy).sum();
    assert!(
        busy > 0,
        "16 players × 7 pipelined answers overrun a queue of {QUEUE}"
    );
    // Metrics are process-wide (other tests add to them): at least ours.
    assert!(metric(&app, "studyhub_answers_refused_total{code=\"busy\"}").await >= busy as f64);
    // Bounded: answers and starts stop at the bound; a completion adds its end, its parent
    // notification and its unlock request behind them, and the unlock's commit then adds the
    // parent's notification of each achievement it unlocked (a first, all-right activity:
    // first-steps and perfect-score). Five items a player, whatever the offered load.
    let bound = (QUEUE + 5 * PLAYERS) as f64;
    assert!(
        deepest.get() > 0.0 && deepest.get() <= bound,
        "queue depth peaked at {} (bound {bound})",
        deepest.get()
    );
    // Everything that got feedback is stored exactly once; nothing refused was kept.
    for p in &players {
        assert_eq!(stored_seqs(&app.db.url, &p.session), [1, 2, 3, 4, 5, 6, 7]);
        assert_eq!(completions(&app.db.url, &p.child), 1, "{}", p.child);
    }
    // No socket was closed for any of it (a close fails `Careful::read`).
}

/// Over REST the same refusal is a 503 `busy` with `Retry-After`, and nothing is kept.
#[actix_web::test]
async fn a_rest_answer_past_capacity_is_503_busy_with_retry_after() {
    let app = spawn_app_with(|c| {
        c.flush_queue_max = 2;
        c.flush_window_ms = 2_000;
        c.flush_max_batch = 10_000;
    })
    .await;
    let (parent, rest_child) = app.parent_with_child("Rest").await;
    let res = app
        .post(
            &format!("/v1/learners/{rest_child}/sessions"),
            Some(&parent.access),
            &json!({"activity_id": "math-addition-1"}),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    let session = res.body["session_id"].as_str().unwrap().to_string();
    // A player fills the queue (its session row and one answer) within the window.
    let mut player = Careful::join(&app, "Ws").await;
    player
        .ws
        .send(json!({"type": "answer", "session_id": player.session, "seq": 1, "question_id": "q1", "answer": 7}))
        .await;
    assert_eq!(player.next().await["type"], "feedback");
    let res = app
        .post(
            &format!("/v1/sessions/{session}/answers"),
            Some(&parent.access),
            &json!({"seq": 1, "question_id": "q1", "answer": 7}),
        )
        .await;
    assert_eq!(res.status, StatusCode::SERVICE_UNAVAILABLE, "{}", res.body);
    assert_eq!(res.code(), "busy");
    let ms = res.body["error"]["details"]["retry_after_ms"]
        .as_u64()
        .unwrap();
    let header: u64 = res
        .headers
        .get("retry-after")
        .unwrap()
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(header, ms.div_ceil(1000).max(1));
    // Once there is room the same seq is a new answer, saved (200).
    poll_until(Duration::from_secs(10), "room in the queue", || async {
        let res = app
            .post(
                &format!("/v1/sessions/{session}/answers"),
                Some(&parent.access),
                &json!({"seq": 1, "question_id": "q1", "answer": 7}),
            )
            .await;
        assert!(
            res.status == StatusCode::OK || res.code() == "busy",
            "{}",
            res.body
        );
        res.status == StatusCode::OK && res.body.get("duplicate").is_none()
    })
    .await;
    assert_eq!(stored_seqs(&app.db.url, &session), [1]);
}

/// Every close is counted in `/metrics` by feed, code and reason.
#[actix_web::test]
async fn closes_are_counted_by_reason() {
    let app = spawn_app_with(|_| {}).await;
    let (parent, child) = app.parent_with_child("Sam").await;
    let path = format!("/v1/play?learner_id={child}");
    // A sixth socket replaces the oldest (4009).
    let mut sockets = Vec::new();
    for _ in 0..6 {
        let mut ws = app.ws(&path, &parent.access).await;
        ws.expect("hello").await;
        sockets.push(ws);
    }
    assert_eq!(sockets[0].expect_close().await, Some(4009));
    // Too many bad frames (4008).
    for _ in 0..21 {
        sockets[1].send_text("not json").await;
    }
    assert_eq!(sockets[1].expect_close().await, Some(4008));
    // The client closes first.
    drop(sockets.pop());
    let api = Api::new(app.port);
    for (reason, code) in [
        ("replaced", "4009"),
        ("too_many_errors", "4008"),
        ("client_gone", "none"),
    ] {
        let line = format!(
            "studyhub_ws_closes_total{{feed=\"play\",code=\"{code}\",reason=\"{reason}\"}}"
        );
        poll_until(Duration::from_secs(10), &line, || async {
            metric(&api, &line).await >= 1.0
        })
        .await;
    }
}

/// REST handlers and the engine's reads may take every connection of the shared pool (a
/// flood of reads, each within its budget): the group commit has connections of its own, so
/// an answer is still `saved` while none of the shared ones is free.
#[actix_web::test]
async fn answers_are_saved_while_other_work_holds_every_shared_connection() {
    let app = crate::common::spawn_app().await;
    let (parent, child) = app.parent_with_child("Ivy").await;
    let mut ws = app
        .ws(&format!("/v1/play?learner_id={child}"), &parent.access)
        .await;
    ws.expect("hello").await;
    let sid = crate::play::start(&mut ws, "math-addition-1").await["session_id"]
        .as_str()
        .unwrap()
        .to_string();
    // Every connection of the shared pool, held until the end.
    let pool = app.state.db.pool().clone();
    let held = actix_web::web::block(move || {
        std::iter::from_fn(|| pool.get_timeout(Duration::from_millis(200)).ok()).collect::<Vec<_>>()
    })
    .await
    .unwrap();
    assert!(!held.is_empty());
    assert!(
        app.state.db.pool().try_get().is_none(),
        "the shared pool is exhausted"
    );
    let (q, right) = ADDITION[0];
    ws.send(
        json!({"type": "answer", "session_id": sid, "seq": 1, "question_id": q,
        "answer": serde_json::from_str::<Value>(right).unwrap()}),
    )
    .await;
    ws.expect("feedback").await;
    let saved = ws.expect("saved").await;
    assert_eq!(saved["up_to_seq"], 1, "{saved}");
    drop(held);
    assert_eq!(stored_seqs(&app.db.url, &sid), [1]);
}
