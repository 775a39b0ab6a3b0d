//! A game's journal: every step that changes it (a player joins, a question opens or
//! closes, an answer is graded, the game ends), in one order that the database keeps. Each
//! node with a host or a player of the game runs a replica that applies the journal and
//! renders it to its own sockets, so a game is not tied to a node: any replica may append a
//! step, and a node that stops leaves nothing behind that another cannot read again.
//!
//! Two nodes never both decide a step differently: a step is a request ("open question 3",
//! "close question 3"), and applying it checks it against the state the journal's order
//! gives, so a step sent twice (two replicas' timers) or too late changes nothing. Times are
//! the journal's own (UTC, stamped by the node that appended the step), so every replica
//! scores an answer alike.

use std::collections::HashMap;
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::GameSpec;
use crate::content::Answer;
use crate::ids::{LearnerId, SessionId};
use crate::store::StoreFuture;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum Step {
    /// A student joined (the first time; a reconnect changes nothing here).
    Join { learner_id: LearnerId, name: String },
    /// The session a player's answers go to.
    Bind {
        learner_id: LearnerId,
        session_id: SessionId,
    },
    /// Question `index` (0-based) opens, at the step's time.
    Open { index: usize },
    /// Question `index` closes: scores count and the answer is shown.
    Close { index: usize },
    /// The game ends (an open question closes first).
    End,
    /// A player's graded answer, at the step's time (when it was graded).
    Answer {
        learner_id: LearnerId,
        question_id: String,
        answer: Answer,
        correct: bool,
    },
    /// A student's extra time from the next question on (percent of the question's time).
    ExtraTime { learner_id: LearnerId, percent: u32 },
}

/// A step as the journal gave it back: its place and its time.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub n: i64,
    pub at: DateTime<Utc>,
    pub step: Step,
}

/// Where games and their journals are kept (the server's database; memory in the engine's
/// tests), so that any node can run a replica of any game.
pub trait GameStore: Send + Sync + 'static {
    /// Adds `step` after the last entry of the game's journal.
    fn append(&self, game_id: &str, at: DateTime<Utc>, step: Step) -> StoreFuture<()>;
    /// The game's entries after `after` (0: all), in order.
    fn read(&self, game_id: &str, after: i64) -> StoreFuture<Vec<Entry>>;
    /// A game made on any node, as it was made (`None`: no such game, or over).
    fn spec(&self, game_id: &str) -> StoreFuture<Option<GameSpec>>;
    /// The game not over yet with this PIN.
    fn open_by_pin(&self, pin: &str) -> StoreFuture<Option<String>>;
}

/// Journals in memory, for the engine alone: games live on the node that made them.
#[derive(Default)]
pub struct MemoryJournal(Mutex<HashMap<String, Vec<Entry>>>);

impl GameStore for MemoryJournal {
    fn spec(&self, _: &str) -> StoreFuture<Option<GameSpec>> {
        Box::pin(async { Ok(None) })
    }

    fn open_by_pin(&self, _: &str) -> StoreFuture<Option<String>> {
        Box::pin(async { Ok(None) })
    }

    fn append(&self, game_id: &str, at: DateTime<Utc>, step: Step) -> StoreFuture<()> {
        let mut all = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let entries = all.entry(game_id.to_string()).or_default();
        let n = entries.len() as i64 + 1;
        entries.push(Entry { n, at, step });
        Box::pin(async { Ok(()) })
    }

    fn read(&self, game_id: &str, after: i64) -> StoreFuture<Vec<Entry>> {
        let all = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let entries: Vec<Entry> = all
            .get(game_id)
            .map(|e| e.iter().filter(|e| e.n > after).cloned().collect())
            .unwrap_or_default();
        Box::pin(async { Ok(entries) })
    }
}
