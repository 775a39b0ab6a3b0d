//! A class game's frames, both ways: what the teacher's host socket sends and receives, and
//! what a student's play socket receives. Typed, serialized once per frame (once per player
//! only where the frame carries that player's own standing).

use crate::ids::{LearnerId, Seq, SessionId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::content::{Answer, PublicQuestion};
use crate::protocol::Outbound;

/// What the teacher sends on `GET /v1/games/{id}/host`.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum HostMsg {
    /// Show the next question (during an open question: close it now and reveal).
    Next,
    /// End the game now (an open question is revealed first).
    End,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct PlayerView {
    pub learner_id: LearnerId,
    pub name: String,
}

/// One line of a leaderboard (`top`, `podium`). Ranks are shared by equal scores (1, 1, 3).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Standing {
    pub learner_id: LearnerId,
    pub name: String,
    pub score: u32,
    pub rank: u32,
}

/// A player's own standing after a question.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
pub struct YouAfterQuestion {
    pub score: u32,
    pub rank: u32,
    /// Points this question gave (0 when wrong or not answered in time).
    pub points: u32,
    pub answered: bool,
    pub correct: bool,
}

#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
pub struct You {
    pub score: u32,
    pub rank: u32,
}

/// Answers given to one question, by option, in the question's order for choices.
/// Serialized as a JSON object (`{"7": 12, "8": 3}`) in that order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counts(pub Vec<(String, u32)>);

impl Serialize for Counts {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

/// The question as everyone sees it while it is open: never its answer.
#[derive(Debug, Clone, Serialize)]
pub struct OpenQuestion {
    pub game_id: String,
    /// 0-based position in the activity.
    pub index: usize,
    pub question_count: usize,
    pub question: PublicQuestion,
    /// Server time when the question closes.
    pub deadline: DateTime<Utc>,
    pub seconds: u32,
    /// Milliseconds left when this frame was made (for clients whose clock is off).
    pub remaining_ms: u64,
}

/// To the teacher's host sockets.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum HostFrame {
    Lobby {
        game_id: String,
        activity_id: String,
        players: Vec<PlayerView>,
    },
    Question(OpenQuestion),
    /// How many have answered the open question (counts only, never who or what).
    Answers {
        game_id: String,
        index: usize,
        answered: usize,
        total: usize,
    },
    Reveal {
        game_id: String,
        index: usize,
        correct_answer: Answer,
        explanation: String,
        counts_by_option: Counts,
        /// The five best, never the whole class.
        top: Vec<Standing>,
    },
    GameOver {
        game_id: String,
        podium: Vec<Standing>,
    },
}

/// To a student's play sockets (through the learner's actor).
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum PlayerFrame {
    GameJoined {
        game_id: String,
        session_id: SessionId,
        activity_id: String,
        question_count: usize,
        /// The last answer the server took in this session (0: none yet); the next is one more.
        last_seq: Seq,
    },
    GameQuestion(OpenQuestion),
    GameReveal {
        game_id: String,
        index: usize,
        correct_answer: Answer,
        explanation: String,
        you: YouAfterQuestion,
    },
    GameOver {
        game_id: String,
        you: You,
        podium: Vec<Standing>,
    },
}

fn out<T: Serialize>(frame: &T) -> Outbound {
    Outbound::Frame {
        json: serde_json::to_string(frame).expect("game frames always serialize"),
        is_error: false,
    }
}

impl HostFrame {
    pub fn out(&self) -> Outbound {
        out(self)
    }
}

impl PlayerFrame {
    pub fn out(&self) -> Outbound {
        out(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_messages_parse_and_counts_keep_their_order() {
        assert_eq!(
            serde_json::from_str::<HostMsg>(r#"{"type":"next"}"#).unwrap(),
            HostMsg::Next
        );
        assert!(serde_json::from_str::<HostMsg>(r#"{"type":"skip"}"#).is_err());
        let c = Counts(vec![("b".into(), 2), ("a".into(), 0)]);
        assert_eq!(serde_json::to_string(&c).unwrap(), r#"{"b":2,"a":0}"#);
        let f = HostFrame::Answers {
            game_id: "g".into(),
            index: 0,
            answered: 1,
            total: 3,
        };
        assert_eq!(
            serde_json::to_string(&f).unwrap(),
            r#"{"type":"answers","game_id":"g","index":0,"answered":1,"total":3}"#
        );
    }
}
