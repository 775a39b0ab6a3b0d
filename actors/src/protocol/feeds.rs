//! The frames parent feeds and class views send, typed: one variant per `type` of
//! docs/protocol.md ("Parent feed", "Class live view"), borrowing from the event they
//! describe, so nothing is built twice on the way out.

use serde::Serialize;
use serde_json::Value;

use super::{AchievementView, TimeView};
use crate::ids::{LearnerId, SessionId};

/// A student as a class view shows them (the snapshot's `students`).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct StudentState {
    pub learner_id: LearnerId,
    pub name: String,
    pub online: bool,
    pub activity_id: Option<String>,
    pub session_id: Option<SessionId>,
    pub answered: u32,
    pub correct: u32,
}

/// A class as its live view's `snapshot` shows it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ClassInfo {
    pub id: String,
    pub name: String,
    pub subject: Option<String>,
    pub join_code: String,
}

/// A child as the parent feed's `hello` shows it: where it is and its time today.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ChildStatus {
    pub id: String,
    pub name: String,
    pub online: bool,
    pub activity_id: Option<String>,
    pub time: TimeView,
}

/// A frame of `GET /v1/parent/live`.
#[derive(Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ParentFeedFrame<'a> {
    /// The first frame: every child, and the unread notifications.
    Hello {
        unread_count: i64,
        children: &'a [ChildStatus],
    },
    Presence {
        child_id: &'a str,
        online: bool,
        activity_id: Option<&'a str>,
    },
    Time {
        child_id: &'a str,
        #[serde(flatten)]
        time: &'a TimeView,
    },
    Notification {
        notification: &'a Value,
    },
    TimeRequestAnswered {
        child_id: &'a str,
        request_id: &'a str,
        approved: bool,
        seconds: u64,
    },
}

/// A frame of `GET /v1/classes/{id}/live`.
#[derive(Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClassFeedFrame<'a> {
    Snapshot {
        class: &'a ClassInfo,
        students: Vec<&'a StudentState>,
    },
    Presence {
        learner_id: &'a str,
        online: bool,
        activity_id: Option<&'a str>,
        session_id: Option<&'a str>,
    },
    Answer {
        learner_id: &'a str,
        session_id: &'a str,
        question_id: &'a str,
        correct: bool,
        /// The session's questions answered and first answers right so far: a second try at
        /// a question (a new seq) moves neither.
        answered: u32,
        right: u32,
    },
    Completed {
        learner_id: &'a str,
        session_id: &'a str,
        activity_id: &'a str,
        accuracy: f64,
        stars: u8,
    },
    Achievement {
        learner_id: &'a str,
        achievement: &'a AchievementView,
    },
    TimeUp {
        learner_id: &'a str,
    },
}

impl ClassFeedFrame<'_> {
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a feed frame serializes")
    }

    /// `{"type":"batch","events":[…]}` of frames already serialized, in their order (joined
    /// as they are, not parsed and written again).
    pub fn batch(events: &[String]) -> String {
        let mut json =
            String::with_capacity(32 + events.iter().map(|e| e.len() + 1).sum::<usize>());
        json.push_str(r#"{"type":"batch","events":["#);
        for (i, event) in events.iter().enumerate() {
            if i > 0 {
                json.push(',');
            }
            json.push_str(event);
        }
        json.push_str("]}");
        json
    }
}

impl ParentFeedFrame<'_> {
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a feed frame serializes")
    }
}
