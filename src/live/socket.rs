//! The websocket loop shared by the play, parent and teacher feeds: one task per connection
//! reads frames and hands text to the feed, writes what the engine sends, keeps the heartbeat,
//! the frame limit and the error budget. All in one `select!` loop.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use actix_ws::{AggregatedMessage, CloseCode, CloseReason, ProtocolError, Session};
use futures_util::StreamExt;
use serde::de::DeserializeOwned;
use studyhub_actors::protocol::{ErrorCode, Outbound, ServerMsg, close};
use tokio::sync::mpsc;

pub const MAX_FRAME: usize = 16 * 1024;
pub const PING_EVERY: Duration = Duration::from_secs(10);
pub const SILENT_LIMIT: Duration = Duration::from_secs(30);
const ERROR_BUDGET: usize = 20;
const ERROR_WINDOW: Duration = Duration::from_secs(10);
/// Frames the engine may queue for one connection before it is dropped as too slow.
pub const OUTBOX: usize = 256;
/// The same for parent and teacher feeds, which hear about many learners at once.
pub const FEED_OUTBOX: usize = 2048;

/// Counts errors sent to a client; more than [`ERROR_BUDGET`] in [`ERROR_WINDOW`] ends it.
#[derive(Default)]
pub struct ErrorBudget(VecDeque<Instant>);

impl ErrorBudget {
    /// Records one error; `true` when the budget is exceeded.
    pub fn record(&mut self, now: Instant) -> bool {
        while self
            .0
            .front()
            .is_some_and(|t| now.duration_since(*t) > ERROR_WINDOW)
        {
            self.0.pop_front();
        }
        self.0.push_back(now);
        self.0.len() > ERROR_BUDGET
    }
}

fn reason(code: u16, description: &str) -> Option<CloseReason> {
    Some(CloseReason {
        code: CloseCode::Other(code),
        description: Some(description.to_string()),
    })
}

/// Parses a text frame into a feed's message type, or the `error` to answer it with.
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

static NEXT_CONN: AtomicU64 = AtomicU64::new(1);

/// A process-unique id for a connection.
pub fn next_conn_id() -> u64 {
    NEXT_CONN.fetch_add(1, Ordering::Relaxed)
}

/// Runs one connection until either side closes it. `on_text` takes each text frame and
/// returns the `error` to send back for a bad one; everything else reaches the client
/// through `rx`. Returns when the connection is closed.
pub async fn run(
    feed: &'static str,
    mut session: Session,
    stream: actix_ws::MessageStream,
    mut rx: mpsc::Receiver<Outbound>,
    mut revoked: tokio::sync::watch::Receiver<u64>,
    mut on_text: impl FnMut(&str) -> Result<(), ServerMsg>,
) {
    metrics::gauge!("studyhub_live_connections", "feed" => feed).increment(1.0);
    let mut stream = stream
        .max_frame_size(MAX_FRAME)
        .aggregate_continuations()
        .max_continuation_size(MAX_FRAME);
    let mut heartbeat = tokio::time::interval(PING_EVERY);
    heartbeat.tick().await;
    let mut last_heard = Instant::now();
    let mut errors = ErrorBudget::default();

    let close_with: Option<CloseReason> = loop {
        tokio::select! {
            out = rx.recv() => match out {
                Some(Outbound::Frame { json, is_error }) => {
                    if session.text(json).await.is_err() {
                        break None;
                    }
                    if is_error && errors.record(Instant::now()) {
                        break reason(close::TOO_MANY_ERRORS, "too many errors");
                    }
                }
                Some(Outbound::Close { code, reason: why }) => break reason(code, why),
                // The engine dropped this connection (it stopped, or we could not keep up).
                None => break reason(1011, "try again"),
            },
            frame = stream.next() => {
                let bad = match frame {
                    Some(Ok(AggregatedMessage::Text(text))) => {
                        last_heard = Instant::now();
                        on_text(&text).err()
                    }
                    Some(Ok(AggregatedMessage::Binary(_))) => {
                        last_heard = Instant::now();
                        Some(ServerMsg::error(ErrorCode::BadMessage, "binary frames are not supported; send JSON text", None))
                    }
                    Some(Ok(AggregatedMessage::Ping(bytes))) => {
                        last_heard = Instant::now();
                        if session.pong(&bytes).await.is_err() {
                            break None;
                        }
                        None
                    }
                    Some(Ok(AggregatedMessage::Pong(_))) => {
                        last_heard = Instant::now();
                        None
                    }
                    Some(Ok(AggregatedMessage::Close(_))) => break None,
                    Some(Err(ProtocolError::Overflow)) => break reason(close::TOO_BIG, "frame too large"),
                    Some(Err(_)) | None => break None,
                };
                if let Some(err) = bad {
                    if session.text(err.to_json()).await.is_err() {
                        break None;
                    }
                    if errors.record(Instant::now()) {
                        break reason(close::TOO_MANY_ERRORS, "too many errors");
                    }
                }
            },
            Ok(()) = revoked.changed() => break reason(close::SIGNED_OUT, "signed out"),
            _ = heartbeat.tick() => {
                if last_heard.elapsed() > SILENT_LIMIT {
                    break reason(1001, "no heartbeat");
                }
                if session.ping(b"").await.is_err() {
                    break None;
                }
            }
        }
    };
    metrics::gauge!("studyhub_live_connections", "feed" => feed).decrement(1.0);
    let _ = session.close(close_with).await;
}

#[cfg(test)]
mod tests {
    use super::*;
    use studyhub_actors::protocol::ClientMsg;

    #[test]
    fn more_than_twenty_errors_in_ten_seconds_trip_the_budget() {
        let mut b = ErrorBudget::default();
        let t = Instant::now();
        for i in 0..20 {
            assert!(!b.record(t + Duration::from_millis(i)), "error {i}");
        }
        assert!(b.record(t + Duration::from_millis(20)));
        let mut b = ErrorBudget::default();
        for i in 0..40u64 {
            assert!(
                !b.record(t + Duration::from_secs(i)),
                "one a second is fine"
            );
        }
    }

    #[test]
    fn bad_frames_become_bad_message_errors() {
        for text in [
            "not json",
            "{\"type\":\"dance\"}",
            "{\"type\":\"answer\"}",
            "[]",
        ] {
            let ServerMsg::Error { code, .. } = parse_frame::<ClientMsg>(text).unwrap_err() else {
                panic!()
            };
            assert_eq!(code, ErrorCode::BadMessage);
        }
        assert!(parse_frame::<ClientMsg>(r#"{"type":"start","activity_id":"a"}"#).is_ok());
    }
}
