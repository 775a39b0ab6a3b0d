//! What a game leaves behind: who joined, each question's results and the end, handed to a
//! [`GameLog`] (the server's database) as they happen, so the teacher's report outlives the
//! game's actor and a node.

use crate::ids::{LearnerId, SessionId};

/// One player's result on one question (only players who answered it in time or late).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuestionResult {
    pub learner_id: LearnerId,
    pub correct: bool,
    pub points: u32,
    /// From the question opening to the answer being graded.
    pub millis: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GameRecord {
    /// A player joined (again: the session may have changed).
    Joined {
        game_id: String,
        learner_id: LearnerId,
        name: String,
        session_id: SessionId,
    },
    /// A question was opened (0-based index).
    Question { game_id: String, index: usize },
    /// A question closed with these answers.
    Revealed {
        game_id: String,
        index: usize,
        results: Vec<QuestionResult>,
    },
    /// The game ended: it takes no more players and its PIN is free.
    Over { game_id: String },
}

impl GameRecord {
    pub fn game_id(&self) -> &str {
        match self {
            GameRecord::Joined { game_id, .. }
            | GameRecord::Question { game_id, .. }
            | GameRecord::Revealed { game_id, .. }
            | GameRecord::Over { game_id } => game_id,
        }
    }
}

/// Where a game's records go. Best effort and in order: a lost record costs a line of a
/// report, never an answer (those are the players' sessions).
pub trait GameLog: Send + Sync + 'static {
    fn record(&self, record: GameRecord);
}
