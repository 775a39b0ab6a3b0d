//! The events the engine's actors send one another about a learner, and the bus carries to
//! other nodes: what a class view is told (`ClassEvent`), what a parent's feed is told
//! (`ParentFrame`), and the two as one bus message (`LiveEvent`). A leaf: it depends on the
//! wire types of `protocol` only, so any actor (and the server's bus) can use it.

use crate::ids::{ClassId, LearnerId, SessionId};
use actix::Message;
use serde::{Deserialize, Serialize};

use crate::protocol::{AchievementView, TimeView};

/// What a learner's actor tells the monitors of its classes.
#[derive(Message, Debug, Clone, serde::Serialize, serde::Deserialize)]
#[rtype(result = "()")]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ClassEvent {
    Presence {
        learner_id: LearnerId,
        online: bool,
        activity_id: Option<String>,
        session_id: Option<SessionId>,
    },
    Answer {
        learner_id: LearnerId,
        session_id: SessionId,
        question_id: String,
        correct: bool,
        answered: u32,
        right: u32,
    },
    Completed {
        learner_id: LearnerId,
        session_id: SessionId,
        activity_id: String,
        accuracy: f64,
        stars: u8,
    },
    Achievement {
        learner_id: LearnerId,
        achievement: AchievementView,
    },
    TimeUp {
        learner_id: LearnerId,
    },
}

impl ClassEvent {
    pub fn learner_id(&self) -> &LearnerId {
        match self {
            ClassEvent::Presence { learner_id, .. }
            | ClassEvent::Answer { learner_id, .. }
            | ClassEvent::Completed { learner_id, .. }
            | ClassEvent::Achievement { learner_id, .. }
            | ClassEvent::TimeUp { learner_id } => learner_id,
        }
    }
}

/// What a parent's feed is told about a child, on this node or (through the bus) another.
#[derive(Message, Debug, Clone, Serialize, Deserialize)]
#[rtype(result = "()")]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ParentFrame {
    /// The child came online, went offline, or started/ended an activity.
    Presence {
        child_id: LearnerId,
        online: bool,
        activity_id: Option<String>,
    },
    /// The child's screen time changed.
    Time { child_id: LearnerId, time: TimeView },
    /// A stored notification (pushed on the node that stored it, then relayed).
    Notification { notification: serde_json::Value },
    /// A request for more time was answered (so every device of the parent knows).
    TimeRequestAnswered {
        child_id: LearnerId,
        request_id: String,
        approved: bool,
        seconds: u64,
    },
}

/// A live event on its way to another node's parents or class views.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "to", rename_all = "snake_case")]
pub enum LiveEvent {
    Parent {
        parent_id: String,
        frame: ParentFrame,
    },
    Class {
        class_id: ClassId,
        event: ClassEvent,
    },
    /// To these learners' play sockets, wherever they are connected.
    Learners {
        learner_ids: Vec<LearnerId>,
        push: LearnerPush,
    },
    /// A class game opened, changed or closed: every node's list of open games and its
    /// replica of the game (if it runs one) follow.
    Game(GameNews),
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "news", rename_all = "snake_case")]
pub enum GameNews {
    Opened {
        class_id: ClassId,
        game: crate::protocol::OpenGame,
    },
    /// Its journal has a new step.
    Changed {
        game_id: String,
    },
    Closed {
        game_id: String,
    },
}

/// What reaches a learner's play sockets from outside its own play.
#[derive(Message, Debug, Clone, Serialize, Deserialize)]
#[rtype(result = "()")]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LearnerPush {
    /// A class game opened in one of the learner's classes.
    GameOpen(crate::protocol::OpenGame),
}
