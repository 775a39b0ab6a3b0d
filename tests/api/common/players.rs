//! Children playing `math-addition-1` over real play sockets, keeping what a careful client
//! keeps: the last seq with `feedback`, the last `saved`, and how the socket closed. Any
//! `error` a player sees fails the test (faults must not reach players).

use diesel::prelude::*;
use serde_json::{Value, json};

use super::{Api, Ws, WsEvent};

/// math-addition-1's questions, each with its right answer.
pub const ADDITION: [(&str, &str); 7] = [
    ("q1", "7"),
    ("q2", "\"13\""),
    ("q3", "12"),
    ("q4", "true"),
    ("q5", "\"15\""),
    ("q6", "9"),
    ("q7", "\"sum\""),
];

pub struct Player {
    pub ws: Ws,
    pub child: String,
    /// The parent's access token the child plays with.
    pub token: String,
    pub session: String,
    /// Answers sent (seqs 1..=sent).
    pub sent: u32,
    /// The highest seq answered with `feedback`.
    pub answered: u32,
    /// The highest `saved`.
    pub saved: u32,
    pub completed: bool,
    /// The close code, once the server closed the socket.
    pub closed: Option<Option<u16>>,
}

impl Player {
    /// A new parent's child on `api`, with a play socket and math-addition-1 started.
    pub async fn join(api: &Api, name: &str) -> Self {
        let (parent, child) = api.parent_with_child(name).await;
        Self::play(api, &parent.access, &child).await
    }

    /// `child` on `api` (played by `token`'s holder), with math-addition-1 started.
    pub async fn play(api: &Api, token: &str, child: &str) -> Self {
        let child = child.to_string();
        let mut ws = api.ws(&format!("/v1/play?learner_id={child}"), token).await;
        ws.expect("hello").await;
        ws.send(json!({"type": "start", "activity_id": "math-addition-1"}))
            .await;
        let session = ws.expect("started").await["session_id"]
            .as_str()
            .unwrap()
            .to_string();
        Player {
            ws,
            child,
            token: token.to_string(),
            session,
            sent: 0,
            answered: 0,
            saved: 0,
            completed: false,
            closed: None,
        }
    }

    /// Sends the next answer without waiting for its feedback.
    pub async fn send_next(&mut self) {
        let seq = self.sent + 1;
        let (q, value) = ADDITION[(seq as usize - 1) % ADDITION.len()];
        let answer: Value = serde_json::from_str(value).unwrap();
        self.ws
            .send(json!({"type": "answer", "session_id": self.session, "seq": seq, "question_id": q, "answer": answer}))
            .await;
        self.sent = seq;
    }

    /// Handles one frame from the server.
    pub async fn read(&mut self) {
        match self.ws.recv().await {
            WsEvent::Json(v) => match v["type"].as_str().unwrap_or("") {
                "feedback" => {
                    let seq = v["seq"].as_u64().unwrap() as u32;
                    assert_eq!(seq, self.answered + 1, "feedback in order: {v}");
                    self.answered = seq;
                }
                "saved" => {
                    assert_eq!(v["session_id"], self.session.as_str());
                    let seq = v["up_to_seq"].as_u64().unwrap() as u32;
                    assert!(seq <= self.answered, "saved {seq} before its feedback");
                    self.saved = self.saved.max(seq);
                }
                "completed" => self.completed = true,
                "time" | "time_warning" | "achievement" => {}
                _ => panic!("a player saw {v}"),
            },
            WsEvent::Close(code) => self.closed = Some(code),
        }
    }

    /// Answers the next question and waits for its feedback.
    pub async fn answer(&mut self) {
        self.send_next().await;
        while self.answered < self.sent {
            self.read().await;
            assert!(self.closed.is_none(), "closed while answering");
        }
    }

    /// Answers every question left: the session completes.
    pub async fn finish(&mut self) {
        while self.sent < ADDITION.len() as u32 {
            self.answer().await;
        }
        while !self.completed {
            self.read().await;
            assert!(self.closed.is_none(), "closed before completed");
        }
    }

    /// After the server closed the socket (1012): connects again through `api` (a balancer
    /// picks a node), finds the session open with everything `saved` stored, and resumes it;
    /// the next answer is the one after the last saved seq.
    pub async fn reconnect(&mut self, api: &Api) {
        assert!(self.closed.is_some(), "reconnect after the server closed");
        let mut ws = api
            .ws(&format!("/v1/play?learner_id={}", self.child), &self.token)
            .await;
        let hello = ws.expect("hello").await;
        assert_eq!(
            hello["open_session"]["session_id"],
            self.session.as_str(),
            "{hello}"
        );
        let last = hello["open_session"]["last_saved_seq"].as_u64().unwrap() as u32;
        assert_eq!(last, self.saved, "what was saved is stored: {hello}");
        ws.send(json!({"type": "resume", "session_id": self.session}))
            .await;
        let started = ws.expect("started").await;
        assert_eq!(started["answers"].as_array().unwrap().len(), last as usize);
        self.ws = ws;
        self.sent = last;
        self.answered = last;
        self.closed = None;
    }

    /// Waits until everything up to `seq` is `saved`.
    pub async fn saved_up_to(&mut self, seq: u32) {
        while self.saved < seq {
            self.read().await;
            assert!(self.closed.is_none(), "closed before saved {seq}");
        }
    }

    /// Reads until the server closes the socket; returns the close code.
    pub async fn until_closed(&mut self) -> Option<u16> {
        while self.closed.is_none() {
            self.read().await;
        }
        self.closed.unwrap()
    }
}

/// The seqs stored for a session, in order.
pub fn stored_seqs(database_url: &str, session_id: &str) -> Vec<u32> {
    use studyhub::infra::db::schema::answers;
    let mut conn = studyhub::infra::db::establish(database_url).unwrap();
    answers::table
        .filter(answers::session_id.eq(session_id))
        .order(answers::seq)
        .select(answers::seq)
        .load::<i32>(&mut conn)
        .unwrap()
        .into_iter()
        .map(|s| s as u32)
        .collect()
}

/// How many activities a learner has completed, as counted in its daily progress.
pub fn completions(database_url: &str, learner_id: &str) -> i32 {
    use studyhub::infra::db::schema::daily_progress;
    let mut conn = studyhub::infra::db::establish(database_url).unwrap();
    daily_progress::table
        .filter(daily_progress::learner_id.eq(learner_id))
        .select(daily_progress::activities_completed)
        .load::<i32>(&mut conn)
        .unwrap()
        .into_iter()
        .sum()
}
