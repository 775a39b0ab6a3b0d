//! Any text frame a player sends is either a play message with plausible ids or a
//! `bad_message` error: never a panic, never anything else.
#![no_main]

use libfuzzer_sys::fuzz_target;
use studyhub_actors::protocol::{
    ClientMsg, ErrorCode, ServerMsg, is_plausible_id, parse_client_frame,
};

fuzz_target!(|data: &[u8]| {
    // Websocket text frames are UTF-8 (the transport refuses anything else).
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match parse_client_frame(text) {
        Ok(msg) => {
            // Exhaustive on purpose: a new message must say which of its fields are ids.
            let ids: Vec<&str> = match &msg {
                ClientMsg::Start { activity_id } => vec![activity_id],
                ClientMsg::Resume { session_id } | ClientMsg::Finish { session_id } => {
                    vec![session_id.as_str()]
                }
                ClientMsg::Answer {
                    session_id,
                    question_id,
                    ..
                } => vec![session_id.as_str(), question_id],
                ClientMsg::AskTime { .. } => vec![],
                ClientMsg::JoinGame { game_id, .. } => game_id.iter().map(String::as_str).collect(),
            };
            assert!(ids.iter().all(|id| is_plausible_id(id)), "{msg:?}");
        }
        Err(ServerMsg::Error { code, .. }) => assert_eq!(code, ErrorCode::BadMessage),
        Err(other) => panic!("a bad frame must become bad_message, got {other:?}"),
    }
});
