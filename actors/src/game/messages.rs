//! What the game actor takes and what it tells learner actors.

use crate::ids::{ClassId, LearnerId, SessionId};
use chrono::{DateTime, Utc};
use std::sync::Arc;

use crate::outbox::OutboxTx;
use actix::prelude::*;

use super::{GameState, HostMsg};
use crate::content::Answer;
use crate::protocol::{ErrorCode, Outbound};
use crate::store::Activity;

/// What a learner's actor learns from the game, with the frame for its connections.
#[derive(Message, Debug, Clone)]
#[rtype(result = "()")]
pub struct ToPlayer {
    pub game_id: String,
    pub event: PlayerEvent,
    pub frame: Outbound,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlayerEvent {
    /// This question is open: answers to it (and only it) are taken.
    Question {
        question_id: String,
    },
    Reveal,
    Over,
}

/// A learner joins (or joins again after reconnecting).
#[derive(Message)]
#[rtype(result = "Result<JoinReply, ErrorCode>")]
pub struct Join {
    pub learner_id: LearnerId,
    pub name: String,
    /// The learner's classes now: the game's class must be one of them.
    pub class_ids: Vec<ClassId>,
    pub to: Recipient<ToPlayer>,
}

pub enum JoinReply {
    Joined {
        activity: Arc<Activity>,
        /// The session this player answered in so far (none for a new player).
        session_id: Option<SessionId>,
        /// Where the game is now: the open question, or the last reveal.
        catch_up: Option<ToPlayer>,
    },
    /// The game is over; the player's final `game_over`.
    Over(ToPlayer),
}

/// The session a player's answers go to.
#[derive(Message)]
#[rtype(result = "()")]
pub struct Bind {
    pub learner_id: LearnerId,
    pub session_id: SessionId,
}

/// A learner's actor graded a new answer in the game's session.
#[derive(Message)]
#[rtype(result = "()")]
pub struct Answered {
    pub learner_id: LearnerId,
    pub question_id: String,
    pub answer: Answer,
    pub correct: bool,
    /// When it was graded.
    pub at: DateTime<Utc>,
}

/// Another node appended to the game's journal.
#[derive(Message)]
#[rtype(result = "()")]
pub(crate) struct Wake;

#[derive(Message)]
#[rtype(result = "()")]
pub(crate) struct HostConnect {
    pub conn_id: u64,
    pub tx: OutboxTx,
}

#[derive(Message)]
#[rtype(result = "()")]
pub(crate) struct HostDisconnect {
    pub conn_id: u64,
}

#[derive(Message)]
#[rtype(result = "()")]
pub(crate) struct HostCommand {
    pub conn_id: u64,
    pub msg: HostMsg,
}

/// A student's extra time in a class changed (games of other classes ignore it).
#[derive(Message)]
#[rtype(result = "()")]
pub struct SetExtraTime {
    pub class_id: ClassId,
    pub learner_id: LearnerId,
    pub percent: u32,
}

/// Who may host the game, for the host socket's authorization.
#[derive(Message)]
#[rtype(result = "GameInfo")]
pub(crate) struct Info;

#[derive(Debug, Clone)]
pub struct GameInfo {
    pub game_id: String,
    pub pin: String,
    pub class_id: ClassId,
    pub class_name: String,
    pub teacher_id: String,
    pub activity_id: String,
    pub activity_title: String,
    pub seconds_per_question: u32,
    pub question_count: usize,
    pub players: usize,
    pub state: GameState,
}
