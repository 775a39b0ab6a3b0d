//! The play protocol's messages, typed both ways. Serialized once by the engine, parsed once
//! by the connection; nothing on this path goes through `serde_json::Value`.

use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::content::{Answer, AnswerType, PublicQuestion};
use crate::ids::{LearnerId, Seq, SessionId};

/// A frame from a player. Ids are checked as they are parsed (see [`id`]), so nothing the
/// database could refuse ever gets past the parser.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClientMsg {
    Start {
        #[serde(deserialize_with = "id")]
        activity_id: String,
    },
    Resume {
        session_id: SessionId,
    },
    Answer {
        session_id: SessionId,
        /// As sent (any JSON integer that fits `i64`): the learner actor makes it a [`Seq`]
        /// ([`Seq::from_wire`]) and refuses anything else as `bad_seq`.
        seq: i64,
        #[serde(deserialize_with = "id")]
        question_id: String,
        answer: Answer,
    },
    Finish {
        session_id: SessionId,
    },
    /// The child asks the parent for more time today (checked by the learner actor).
    AskTime {
        seconds: i64,
        #[serde(default)]
        reason: Option<String>,
    },
    /// Join a class game, by its id or its 6-digit PIN: a session of its activity is opened
    /// (or kept) for its answers.
    JoinGame {
        #[serde(default, deserialize_with = "some_id")]
        game_id: Option<String>,
        #[serde(default)]
        pin: Option<String>,
    },
}

pub use crate::ids::{MAX_ID_LEN, is_plausible_id};

fn id<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let s = String::deserialize(d)?;
    if is_plausible_id(&s) {
        Ok(s)
    } else {
        Err(crate::ids::implausible())
    }
}

fn some_id<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    match Option::<String>::deserialize(d)? {
        Some(s) if !is_plausible_id(&s) => Err(crate::ids::implausible()),
        other => Ok(other),
    }
}

/// Parses a text frame into a feed's message type, or the `error` to answer it with. Any
/// text at all gets one or the other: this is the edge the fuzz targets and property tests
/// hammer.
pub fn parse_frame<T: DeserializeOwned>(text: &str) -> Result<T, ServerMsg> {
    serde_json::from_str::<T>(text).map_err(|e| {
        let message = if serde_json::from_str::<serde::de::IgnoredAny>(text).is_err() {
            "frames must be JSON objects".to_string()
        } else {
            format!("not a valid message: {e}")
        };
        ServerMsg::error(ErrorCode::BadMessage, message, None)
    })
}

/// A play frame from a learner's socket (or a REST play call), parsed.
pub fn parse_client_frame(text: &str) -> Result<ClientMsg, ServerMsg> {
    parse_frame(text)
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
pub struct TimeView {
    pub used_seconds: u64,
    /// Today's limit with its grants; `null` for a learner with no limit.
    pub limit_seconds: Option<u64>,
    /// `null` for a learner with no limit.
    pub left_seconds: Option<u64>,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct OpenSessionView {
    pub session_id: SessionId,
    pub activity_id: String,
    pub last_saved_seq: Seq,
}

/// A class game that takes players now, as a learner of its class hears of it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct OpenGame {
    pub game_id: String,
    pub pin: String,
    pub class_name: String,
    pub activity_title: String,
}

/// An activity as players see it: questions without their answer keys.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PublicActivity {
    pub id: String,
    pub title: String,
    pub description: String,
    pub category: String,
    pub sub_category: Option<String>,
    pub difficulty: i32,
    pub age_min: i32,
    pub age_max: i32,
    pub question_count: usize,
    /// Shown before the first question.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub introduction: Option<String>,
    /// Whether it may be played offline (it goes into offline packs).
    pub offline: bool,
    /// No second try after a wrong answer (docs/protocol.md, "One more try").
    pub one_try: bool,
    pub questions: Vec<PublicQuestion>,
    /// `private`, `classes` or `public`.
    pub visibility: crate::visibility::Visibility,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AnswerSummary {
    pub seq: Seq,
    pub question_id: String,
    pub correct: bool,
}

#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Progress {
    pub answered: u32,
    pub correct: u32,
    pub total: u32,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Feedback {
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub session_id: SessionId,
    pub seq: Seq,
    pub question_id: String,
    pub correct: bool,
    pub correct_answer: Answer,
    pub explanation: String,
    pub progress: Progress,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub duplicate: bool,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Completion {
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub session_id: SessionId,
    pub activity_id: String,
    pub questions_total: u32,
    pub questions_correct: u32,
    pub accuracy: f64,
    pub stars: u8,
    pub duration_seconds: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AchievementView {
    pub id: String,
    pub title: String,
    pub description: String,
    pub badge_icon_url: Option<String>,
    pub reward_points: i32,
}

/// The error codes of the play protocol.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    BadMessage,
    UnknownActivity,
    NoSession,
    BadSeq,
    UnknownQuestion,
    TimeUp,
    RateLimited,
    Forbidden,
    /// The database has been away long enough that the answer buffer is full: the answer
    /// was not taken (not graded, not counted); send it again later.
    StorageUnavailable,
    /// Past capacity: nothing of this answer (or start) was kept; send it again after
    /// `retry_after_ms`.
    Busy,
    /// The database refuses this answer for good (a dead letter): it is never `saved`; the
    /// socket and every other answer go on.
    NotSaved,
    /// Inside a downtime window: no play until it ends.
    Downtime,
    /// `ask_time` while an earlier request still waits for the parent.
    TimeRequestPending,
    /// `ask_time` past the three requests of the child's day.
    TimeRequestLimit,
    /// A parent's answer to a request that is already answered.
    AlreadyAnswered,
    /// A parent's answer to a request that is not theirs or does not exist.
    UnknownRequest,
    /// `join_game` for a game that is not open (never made, over and gone, or a wrong PIN).
    NoGame,
    /// `join_game` by a learner who is not in the game's class.
    NotInClass,
    /// The game has ended: nothing more to join or drive.
    GameOver,
    /// In a game's session, an answer to a question that is not the one open now.
    QuestionClosed,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::BadMessage => "bad_message",
            ErrorCode::UnknownActivity => "unknown_activity",
            ErrorCode::NoSession => "no_session",
            ErrorCode::BadSeq => "bad_seq",
            ErrorCode::UnknownQuestion => "unknown_question",
            ErrorCode::TimeUp => "time_up",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::StorageUnavailable => "storage_unavailable",
            ErrorCode::Busy => "busy",
            ErrorCode::NotSaved => "not_saved",
            ErrorCode::Downtime => "downtime",
            ErrorCode::TimeRequestPending => "time_request_pending",
            ErrorCode::TimeRequestLimit => "time_request_limit",
            ErrorCode::AlreadyAnswered => "already_answered",
            ErrorCode::UnknownRequest => "unknown_request",
            ErrorCode::NoGame => "no_game",
            ErrorCode::NotInClass => "not_in_class",
            ErrorCode::GameOver => "game_over",
            ErrorCode::QuestionClosed => "question_closed",
        }
    }

    /// Whether the error is the client's doing, counted against its error budget (4008).
    /// The server's own conditions (past capacity, database away or refusing) never close
    /// a socket.
    pub fn is_clients_fault(self) -> bool {
        !matches!(
            self,
            ErrorCode::Busy | ErrorCode::StorageUnavailable | ErrorCode::NotSaved
        )
    }
}

/// A teacher's assessment as the learner's play sockets receive it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AssessmentFrame {
    pub id: String,
    pub assessment_type: String,
    pub component: String,
    pub grade: String,
    pub percentage: Option<f64>,
    pub feedback: Option<String>,
    pub assessed_at: DateTime<Utc>,
}

/// A frame to a player.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerMsg {
    Hello {
        learner_id: LearnerId,
        time: TimeView,
        open_session: Option<OpenSessionView>,
        /// Class games open now in the learner's classes.
        open_games: Vec<OpenGame>,
    },
    /// A class game opened in one of the learner's classes.
    GameOpen(OpenGame),
    Started {
        session_id: SessionId,
        activity: PublicActivity,
        answers: Vec<AnswerSummary>,
        last_saved_seq: Seq,
    },
    Feedback(Feedback),
    Saved {
        session_id: SessionId,
        up_to_seq: Seq,
    },
    Completed(Completion),
    Achievement {
        achievement: AchievementView,
    },
    Time(TimeView),
    TimeWarning {
        left_seconds: u64,
    },
    TimeUp,
    /// Inside a downtime window (then the close 4002).
    Downtime {
        until: DateTime<Utc>,
    },
    /// An `ask_time` was stored and the parent told.
    TimeRequest {
        request_id: String,
        status: &'static str,
    },
    /// The parent answered; `time` follows.
    TimeRequestAnswered {
        request_id: String,
        approved: bool,
        seconds: u64,
    },
    /// A teacher recorded or changed an assessment of this learner.
    Assessment {
        assessment: AssessmentFrame,
    },
    Error {
        code: ErrorCode,
        message: String,
        /// The answer's seq as the client sent it (which may be no [`Seq`] at all).
        #[serde(skip_serializing_if = "Option::is_none")]
        seq: Option<i64>,
        /// With `downtime`: when play may start again.
        #[serde(skip_serializing_if = "Option::is_none")]
        until: Option<DateTime<Utc>>,
        /// With `busy`: when to send it again.
        #[serde(skip_serializing_if = "Option::is_none")]
        retry_after_ms: Option<u64>,
    },
}

impl ServerMsg {
    pub fn error(code: ErrorCode, message: impl Into<String>, seq: Option<i64>) -> Self {
        ServerMsg::Error {
            code,
            message: message.into(),
            seq,
            until: None,
            retry_after_ms: None,
        }
    }

    /// The refusal of an answer (or a start) past capacity: nothing of it was kept.
    pub fn busy(seq: Option<i64>, retry_after: std::time::Duration) -> Self {
        ServerMsg::Error {
            code: ErrorCode::Busy,
            message:
                "past capacity: nothing of this answer was kept; send it again after retry_after_ms"
                    .into(),
            seq,
            until: None,
            retry_after_ms: Some(retry_after.as_millis().max(1) as u64),
        }
    }

    /// The refusal of play inside a downtime window.
    pub fn downtime_error(until: DateTime<Utc>, seq: Option<i64>) -> Self {
        ServerMsg::Error {
            code: ErrorCode::Downtime,
            message: format!(
                "no play during downtime; play again at {}",
                until.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            ),
            seq,
            until: Some(until),
            retry_after_ms: None,
        }
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("server messages always serialize")
    }
}

/// What the engine hands a connection: a serialized frame, or the instruction to close.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outbound {
    Frame { json: String, is_error: bool },
    Close { code: u16, reason: &'static str },
}

impl Outbound {
    pub fn msg(msg: &ServerMsg) -> Self {
        Outbound::Frame {
            json: msg.to_json(),
            is_error: matches!(msg, ServerMsg::Error { code, .. } if code.is_clients_fault()),
        }
    }
}

/// Close codes of the play protocol.
pub mod close {
    pub const TIME_UP: u16 = 4001;
    /// A downtime window of the child's settings began (or was on at connect).
    pub const DOWNTIME: u16 = 4002;
    /// The account's password changed, it signed out everywhere, or it was erased.
    pub const SIGNED_OUT: u16 = 4003;
    /// A sixth play socket of one learner closes the oldest.
    pub const REPLACED: u16 = 4009;
    /// The client stopped reading what the server sends.
    pub const NOT_READING: u16 = 1008;
    pub const TOO_MANY_ERRORS: u16 = 4008;
    pub const TOO_BIG: u16 = 1009;
    /// The server is stopping (a restart or a deploy): reconnect, to another node if any.
    pub const RESTARTING: u16 = 1012;
}

impl AnswerType {
    pub fn as_str(self) -> &'static str {
        match self {
            AnswerType::MultipleChoice => "multiple_choice",
            AnswerType::MultiSelect => "multi_select",
            AnswerType::TrueFalse => "true_false",
            AnswerType::Number => "number",
            AnswerType::Text => "text",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_messages_parse_by_type() {
        let m: ClientMsg = serde_json::from_str(
            r#"{"type":"answer","session_id":"s","seq":3,"question_id":"q1","answer":"13"}"#,
        )
        .unwrap();
        assert_eq!(
            m,
            ClientMsg::Answer {
                session_id: "s".into(),
                seq: 3,
                question_id: "q1".into(),
                answer: Answer::Text("13".into())
            }
        );
        assert!(serde_json::from_str::<ClientMsg>(r#"{"type":"dance"}"#).is_err());
        for bad in [
            r#"{"type":"start","activity_id":"math\u0000"}"#,
            r#"{"type":"resume","session_id":""}"#,
            r#"{"type":"finish","session_id":"a\nb"}"#,
        ] {
            assert!(serde_json::from_str::<ClientMsg>(bad).is_err(), "{bad}");
        }
        let long = format!(r#"{{"type":"start","activity_id":"{}"}}"#, "a".repeat(101));
        assert!(serde_json::from_str::<ClientMsg>(&long).is_err());
        // A seq is carried as sent, for the engine to check (and echo in `bad_seq`); a number
        // past 64 bits is no frame at all.
        let answer = |seq: &str| {
            parse_client_frame(&format!(
                r#"{{"type":"answer","session_id":"s","seq":{seq},"question_id":"q1","answer":1}}"#
            ))
        };
        for seq in [0, -3, i64::MAX, i64::MIN] {
            assert!(
                matches!(answer(&seq.to_string()), Ok(ClientMsg::Answer { seq: s, .. }) if s == seq)
            );
        }
        for seq in ["9223372036854775808", "1.5", "\"1\"", "null"] {
            assert!(
                matches!(
                    answer(seq),
                    Err(ServerMsg::Error {
                        code: ErrorCode::BadMessage,
                        ..
                    })
                ),
                "{seq}"
            );
        }
    }

    #[test]
    fn server_messages_carry_their_type() {
        let json = ServerMsg::TimeUp.to_json();
        assert_eq!(json, r#"{"type":"time_up"}"#);
        let json = ServerMsg::Saved {
            session_id: "s".into(),
            up_to_seq: Seq::from(4),
        }
        .to_json();
        assert_eq!(json, r#"{"type":"saved","session_id":"s","up_to_seq":4}"#);
        let json = ServerMsg::error(ErrorCode::BadSeq, "gap", Some(7)).to_json();
        assert!(json.contains(r#""code":"bad_seq""#) && json.contains(r#""seq":7"#));
    }
}

pub mod feeds;
#[cfg(test)]
mod props;
