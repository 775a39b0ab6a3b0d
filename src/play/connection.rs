//! One task per play websocket: frames in are parsed into protocol messages and handed to
//! the learner's actor; what the actor sends back goes out. Heartbeats, the frame limit and
//! the error budget live here, in one `select!` loop.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use actix::Addr;
use actix_ws::{CloseCode, CloseReason, ProtocolError, Session};
use futures_util::StreamExt;
use studyhub_actors::learner::{Connect, Disconnect, FromClient, LearnerActor};
use studyhub_actors::protocol::{ClientMsg, ErrorCode, Outbound, ServerMsg, close};
use tokio::sync::mpsc;

pub const MAX_FRAME: usize = 16 * 1024;
pub const PING_EVERY: Duration = Duration::from_secs(10);
pub const SILENT_LIMIT: Duration = Duration::from_secs(30);
const ERROR_BUDGET: usize = 20;
const ERROR_WINDOW: Duration = Duration::from_secs(10);

static NEXT_CONN: AtomicU64 = AtomicU64::new(1);

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

/// Parses a text frame into a protocol message, or the `error` to answer it with.
pub fn parse_frame(text: &str) -> Result<ClientMsg, ServerMsg> {
    serde_json::from_str::<ClientMsg>(text).map_err(|e| {
        let message = if serde_json::from_str::<serde::de::IgnoredAny>(text).is_err() {
            "frames must be JSON objects".to_string()
        } else {
            format!("not a valid message: {e}")
        };
        ServerMsg::error(ErrorCode::BadMessage, message, None)
    })
}

pub async fn run(addr: Addr<LearnerActor>, mut session: Session, stream: actix_ws::MessageStream) {
    let conn_id = NEXT_CONN.fetch_add(1, Ordering::Relaxed);
    let (tx, mut rx) = mpsc::channel::<Outbound>(256);
    if addr.send(Connect { conn_id, tx }).await.is_err() {
        let _ = session.close(reason(1011, "try again")).await;
        return;
    }
    metrics::gauge!("studyhub_play_connections").increment(1.0);
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
                // The actor dropped this connection (it stopped, or we could not keep up).
                None => break reason(1011, "try again"),
            },
            frame = stream.next() => match frame {
                Some(Ok(actix_ws::AggregatedMessage::Text(text))) => {
                    last_heard = Instant::now();
                    match parse_frame(&text) {
                        Ok(msg) => addr.do_send(FromClient { conn_id, msg }),
                        Err(err) => {
                            if session.text(err.to_json()).await.is_err() {
                                break None;
                            }
                            if errors.record(Instant::now()) {
                                break reason(close::TOO_MANY_ERRORS, "too many errors");
                            }
                        }
                    }
                }
                Some(Ok(actix_ws::AggregatedMessage::Binary(_))) => {
                    last_heard = Instant::now();
                    let err = ServerMsg::error(ErrorCode::BadMessage, "binary frames are not supported; send JSON text", None);
                    if session.text(err.to_json()).await.is_err() {
                        break None;
                    }
                    if errors.record(Instant::now()) {
                        break reason(close::TOO_MANY_ERRORS, "too many errors");
                    }
                }
                Some(Ok(actix_ws::AggregatedMessage::Ping(bytes))) => {
                    last_heard = Instant::now();
                    if session.pong(&bytes).await.is_err() {
                        break None;
                    }
                }
                Some(Ok(actix_ws::AggregatedMessage::Pong(_))) => last_heard = Instant::now(),
                Some(Ok(actix_ws::AggregatedMessage::Close(_))) => break None,
                Some(Err(ProtocolError::Overflow)) => break reason(close::TOO_BIG, "frame too large"),
                Some(Err(_)) | None => break None,
            },
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
    addr.do_send(Disconnect { conn_id });
    metrics::gauge!("studyhub_play_connections").decrement(1.0);
    let _ = session.close(close_with).await;
}

#[cfg(test)]
mod tests {
    use super::*;

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
            let ServerMsg::Error { code, .. } = parse_frame(text).unwrap_err() else {
                panic!()
            };
            assert_eq!(code, ErrorCode::BadMessage);
        }
        assert!(parse_frame(r#"{"type":"start","activity_id":"a"}"#).is_ok());
    }
}
