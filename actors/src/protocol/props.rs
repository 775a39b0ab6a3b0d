//! Property tests of the play frame parser: any text is a message or `bad_message`, never a
//! panic; every valid frame parses back to what was written.

use proptest::prelude::*;
use serde_json::{Value, json};

use super::{ClientMsg, ErrorCode, ServerMsg, is_plausible_id, parse_client_frame};
use crate::content::Answer;

/// The parser's contract, for any text.
fn check(text: &str) -> Result<(), TestCaseError> {
    match parse_client_frame(text) {
        Ok(msg) => {
            let ids: Vec<&str> = match &msg {
                ClientMsg::Start { activity_id } => vec![activity_id],
                ClientMsg::Resume { session_id } | ClientMsg::Finish { session_id } => {
                    vec![session_id]
                }
                ClientMsg::Answer {
                    session_id,
                    question_id,
                    ..
                } => vec![session_id, question_id],
                ClientMsg::AskTime { .. } => vec![],
                ClientMsg::JoinGame { game_id, .. } => game_id.iter().map(String::as_str).collect(),
            };
            prop_assert!(ids.iter().all(|id| is_plausible_id(id)), "{msg:?}");
        }
        Err(ServerMsg::Error { code, .. }) => prop_assert_eq!(code, ErrorCode::BadMessage),
        Err(other) => prop_assert!(false, "not an error frame: {other:?}"),
    }
    Ok(())
}

/// Any JSON value, a few levels deep.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>().prop_map(|f| json!(f)),
        ".{0,40}".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(".{0,12}", inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Objects that look like frames: a known (or unknown) type and the usual fields, each any
/// JSON value or missing.
fn frame_like() -> impl Strategy<Value = Value> {
    let kind = prop_oneof![
        Just(json!("start")),
        Just(json!("resume")),
        Just(json!("answer")),
        Just(json!("finish")),
        Just(json!("dance")),
        any_json(),
    ];
    let field = || prop::option::of(any_json());
    (kind, field(), field(), field(), field(), field()).prop_map(
        |(kind, activity, session, seq, question, answer)| {
            let mut v = json!({"type": kind});
            for (name, value) in [
                ("activity_id", activity),
                ("session_id", session),
                ("seq", seq),
                ("question_id", question),
                ("answer", answer),
            ] {
                if let Some(value) = value {
                    v[name] = value;
                }
            }
            v
        },
    )
}

/// Ids a client may send: 1 to 25 characters of up to 4 bytes, none a control character.
fn id() -> impl Strategy<Value = String> {
    "\\PC{1,25}"
}

fn answer() -> impl Strategy<Value = Answer> {
    prop_oneof![
        any::<bool>().prop_map(Answer::Bool),
        // Binary fractions: written and read back exactly.
        (any::<i32>(), 0u32..12).prop_map(|(n, k)| Answer::Number(n as f64 / (1u32 << k) as f64)),
        ".{0,60}".prop_map(Answer::Text),
    ]
}

fn client_msg() -> impl Strategy<Value = ClientMsg> {
    prop_oneof![
        id().prop_map(|activity_id| ClientMsg::Start { activity_id }),
        id().prop_map(|id| ClientMsg::Resume {
            session_id: id.into()
        }),
        id().prop_map(|id| ClientMsg::Finish {
            session_id: id.into()
        }),
        (id(), any::<i64>(), id(), answer()).prop_map(|(session_id, seq, question_id, answer)| {
            ClientMsg::Answer {
                session_id: session_id.into(),
                seq,
                question_id,
                answer,
            }
        }),
        id().prop_map(|g| ClientMsg::JoinGame {
            game_id: Some(g),
            pin: None
        }),
        "[0-9]{6}".prop_map(|pin| ClientMsg::JoinGame {
            game_id: None,
            pin: Some(pin)
        }),
    ]
}

/// The frame as the protocol page spells it.
fn written(msg: &ClientMsg) -> String {
    let answer = |a: &Answer| match a {
        Answer::Bool(b) => json!(b),
        Answer::Number(n) => json!(n),
        Answer::Text(t) => json!(t),
        Answer::Choices(c) => json!(c),
    };
    match msg {
        ClientMsg::Start { activity_id } => json!({"type": "start", "activity_id": activity_id}),
        ClientMsg::Resume { session_id } => json!({"type": "resume", "session_id": session_id}),
        ClientMsg::Finish { session_id } => json!({"type": "finish", "session_id": session_id}),
        ClientMsg::Answer {
            session_id,
            seq,
            question_id,
            answer: a,
        } => json!({"type": "answer", "session_id": session_id, "seq": seq,
            "question_id": question_id, "answer": answer(a)}),
        ClientMsg::JoinGame { game_id, pin } => {
            json!({"type": "join_game", "game_id": game_id, "pin": pin})
        }
        ClientMsg::AskTime { seconds, reason } => {
            json!({"type": "ask_time", "seconds": seconds, "reason": reason})
        }
    }
    .to_string()
}

proptest! {
    #![proptest_config(cases(256))]

    #[test]
    fn any_text_is_a_message_or_bad_message(text in ".{0,200}") {
        check(&text)?;
    }

    #[test]
    fn any_json_is_a_message_or_bad_message(v in any_json()) {
        check(&v.to_string())?;
    }

    #[test]
    fn frame_like_objects_are_a_message_or_bad_message(v in frame_like()) {
        check(&v.to_string())?;
    }

    #[test]
    fn valid_frames_round_trip(msg in client_msg()) {
        let text = written(&msg);
        prop_assert_eq!(parse_client_frame(&text).ok(), Some(msg), "{}", text);
    }

    #[test]
    fn ids_with_control_characters_or_too_long_are_refused(
        prefix in "\\PC{0,10}",
        control in prop::sample::select(vec!['\0', '\n', '\t', '\u{7f}', '\u{9f}']),
        extra in 101usize..300,
    ) {
        let bad = format!("{prefix}{control}");
        let frame = json!({"type": "resume", "session_id": bad}).to_string();
        prop_assert!(parse_client_frame(&frame).is_err());
        let long = json!({"type": "start", "activity_id": "a".repeat(extra)}).to_string();
        prop_assert!(parse_client_frame(&long).is_err());
    }
}

/// A modest number of cases by default, so the suite stays fast; `PROPTEST_CASES=…` runs more.
fn cases(default: u32) -> ProptestConfig {
    let mut config = ProptestConfig::default();
    if std::env::var_os("PROPTEST_CASES").is_none() {
        config.cases = default;
    }
    config
}
