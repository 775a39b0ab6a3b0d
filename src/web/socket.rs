//! The websocket loop shared by the play, parent and teacher feeds and the game host: one task
//! per connection reads frames and hands text to the feed, writes what the engine sends, keeps
//! the heartbeat, the frame limit and the error budget. All in one `select!` loop. Each route
//! checks its caller, [`upgrade`]s, joins its actor with the outbox, and [`Upgraded::spawn`]s.

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use actix_ws::{AggregatedMessage, CloseCode, CloseReason, ProtocolError, Session};
use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;
use studyhub_actors::flusher::{Load, Refusal};
use studyhub_actors::outbox::{OutboxRx, OutboxTx, outbox};
use studyhub_actors::protocol::{ErrorCode, Outbound, ServerMsg, close};

use crate::features::live::open_sockets::{Signals, Stop};
use crate::infra::error::{AppError, AppResult, Code};

pub const MAX_FRAME: usize = 16 * 1024;
/// The contract: every websocket is pinged every 25 s and dropped after 60 s silent. Fewer
/// pings keep an idle socket cheap (see BENCHMARKS.md, idle learners).
pub const PING_EVERY: Duration = Duration::from_secs(25);
/// Pings go out on a grid of slots this wide (see [`first_ping`]).
const PING_SLOT: Duration = Duration::from_millis(100);
pub const SILENT_LIMIT: Duration = Duration::from_secs(60);
const ERROR_BUDGET: usize = 20;
const ERROR_WINDOW: Duration = Duration::from_secs(10);
/// Frames the engine may queue for one connection before it is dropped as too slow.
pub const OUTBOX: usize = 256;
/// The same for parent and teacher feeds, which hear about many learners at once.
pub const FEED_OUTBOX: usize = 2048;

/// Frames a client may send: 20 a second on average, in bursts of up to 40.
const FRAMES_PER_SECOND: f64 = 20.0;
const FRAME_BURST: f64 = 40.0;
/// Kept over the rate this long, a client is closed (4008).
const FLOOD_LIMIT: Duration = Duration::from_secs(10);
/// A write that waits this long means the client stopped reading: closed with 1008.
const WRITE_TIMEOUT: Duration = Duration::from_secs(10);

/// A token bucket over a client's frames, and how long it has been flooding.
pub struct FrameLimiter {
    tokens: f64,
    at: Instant,
    flooding_since: Option<Instant>,
    last_refused: Option<Instant>,
}

pub enum FrameVerdict {
    Take,
    /// Over the rate: answer `rate_limited`, the frame is dropped.
    Refuse,
    /// Over the rate for [`FLOOD_LIMIT`]: close with 4008.
    Close,
}

impl FrameLimiter {
    pub fn new(now: Instant) -> Self {
        Self {
            tokens: FRAME_BURST,
            at: now,
            flooding_since: None,
            last_refused: None,
        }
    }

    pub fn frame(&mut self, now: Instant) -> FrameVerdict {
        let elapsed = now.saturating_duration_since(self.at).as_secs_f64();
        self.tokens = (self.tokens + elapsed * FRAMES_PER_SECOND).min(FRAME_BURST);
        self.at = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            return FrameVerdict::Take;
        }
        // A second without a refusal ends a flood.
        if self
            .last_refused
            .is_none_or(|t| now.saturating_duration_since(t) > Duration::from_secs(1))
        {
            self.flooding_since = Some(now);
        }
        self.last_refused = Some(now);
        match self.flooding_since {
            Some(since) if now.saturating_duration_since(since) >= FLOOD_LIMIT => {
                FrameVerdict::Close
            }
            _ => FrameVerdict::Refuse,
        }
    }
}

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

/// Why a connection ends: the close code sent (none when the client went away first) and a
/// reason, which is the close frame's description, the log's and the metric's label.
struct Ending {
    code: Option<u16>,
    reason: &'static str,
}

const fn ending(code: u16, reason: &'static str) -> Ending {
    Ending {
        code: Some(code),
        reason,
    }
}

const CLIENT_GONE: Ending = Ending {
    code: None,
    reason: "client_gone",
};
const CLIENT_CLOSED: Ending = Ending {
    code: None,
    reason: "client_closed",
};
const NOT_READING: Ending = ending(close::NOT_READING, "not_reading");
const TOO_MANY_ERRORS: Ending = ending(close::TOO_MANY_ERRORS, "too_many_errors");
const RESTARTING: Ending = ending(close::RESTARTING, "restarting");

/// Text frames are parsed by the engine crate's parser (fuzzed in `fuzz/`).
pub use studyhub_actors::protocol::parse_frame;

static NEXT_CONN: AtomicU64 = AtomicU64::new(1);

/// A websocket accepted and not yet running: the response that switches protocols, the
/// connection's id and the sender of its outbox, for the actor it joins.
pub struct Upgraded {
    pub response: actix_web::HttpResponse,
    pub conn_id: u64,
    pub tx: OutboxTx,
    session: Session,
    stream: actix_ws::MessageStream,
    rx: OutboxRx,
}

/// Accepts the upgrade (400 `not_a_websocket` for a plain request) with an outbox that holds
/// `capacity` frames before the client is dropped as too slow.
pub fn upgrade(
    req: &actix_web::HttpRequest,
    body: actix_web::web::Payload,
    capacity: usize,
) -> AppResult<Upgraded> {
    let (response, session, stream) = actix_ws::handle(req, body)
        .map_err(|e| AppError::bad_request(Code::NotAWebsocket, e.to_string()))?;
    let (tx, rx) = outbox(capacity);
    Ok(Upgraded {
        response,
        conn_id: next_conn_id(),
        tx,
        session,
        stream,
        rx,
    })
}

impl Upgraded {
    /// Runs the connection on its own task (see [`run`]) and answers the upgrade. Whatever
    /// `on_text` owns is dropped when the connection ends, however it ends: a guard there
    /// (see [`OnDrop`]) leaves the actor. The socket's own future is spawned, not one wrapped
    /// around it, which would keep a second copy of its parts for the whole connection.
    pub fn spawn(
        self,
        feed: &'static str,
        signals: Signals,
        load: Option<Load>,
        on_text: impl FnMut(&str) -> Result<Option<Handed>, ServerMsg> + 'static,
    ) -> actix_web::HttpResponse {
        let Upgraded {
            response,
            session,
            stream,
            rx,
            ..
        } = self;
        actix_web::rt::spawn(run(feed, session, stream, rx, signals, load, on_text));
        response
    }
}

/// Runs its closure when dropped: how a connection leaves its actor.
pub struct OnDrop<F: FnOnce()>(Option<F>);

impl<F: FnOnce()> OnDrop<F> {
    pub fn new(f: F) -> Self {
        Self(Some(f))
    }
}

impl<F: FnOnce()> Drop for OnDrop<F> {
    fn drop(&mut self) {
        if let Some(f) = self.0.take() {
            f();
        }
    }
}

/// A process-unique id for a connection.
pub fn next_conn_id() -> u64 {
    NEXT_CONN.fetch_add(1, Ordering::Relaxed)
}

/// A frame handed to an actor: resolves once the actor has handled it (`false`: the actor
/// is gone). While [`IN_FLIGHT`] of a connection's frames wait, it reads no more, so a busy
/// actor's mailbox stays bounded and the client's frames wait in its own socket buffer.
pub type Handed = Pin<Box<dyn Future<Output = bool>>>;

/// Frames of one connection an actor may hold unhandled before the socket stops reading.
pub const IN_FLIGHT: usize = 8;
/// How long a socket stops reading while the database is away and its buffer is full.
const PAUSE_MAX: Duration = Duration::from_secs(1);

/// Runs one connection until either side closes it. `on_text` takes each text frame and
/// returns the `error` to send back for a bad one, or what it handed to an actor; everything
/// else reaches the client through `rx`. With `load` (play), a full buffer while the
/// database is away also pauses reading for a while after each frame (answers would be
/// refused as `storage_unavailable` meanwhile). Returns when the connection is closed.
#[allow(clippy::too_many_arguments)]
pub fn run(
    feed: &'static str,
    mut session: Session,
    stream: actix_ws::MessageStream,
    mut rx: OutboxRx,
    signals: Signals,
    load: Option<Load>,
    mut on_text: impl FnMut(&str) -> Result<Option<Handed>, ServerMsg>,
) -> impl Future<Output = ()> {
    // Not an `async fn`: its arguments would be kept in the future twice, as given and as
    // moved into the body, for as long as the connection lasts (~500 bytes a connection).
    let Signals {
        mut revoked,
        mut stop,
    } = signals;
    let mut stream = stream
        .max_frame_size(MAX_FRAME)
        .aggregate_continuations()
        .max_continuation_size(MAX_FRAME);
    async move {
        metrics::gauge!("studyhub_live_connections", "feed" => feed).increment(1.0);
        let mut heartbeat = tokio::time::interval_at(first_ping(), PING_EVERY);
        let mut last_heard = Instant::now();
        let mut errors = ErrorBudget::default();
        let mut frames = FrameLimiter::new(Instant::now());
        let mut handed: FuturesUnordered<Handed> = FuturesUnordered::new();
        let mut paused_until: Option<tokio::time::Instant> = None;
        // A client that stops reading must not hang this task (the heartbeat lives here too).
        macro_rules! send {
            ($text:expr) => {
                match tokio::time::timeout(WRITE_TIMEOUT, session.text($text)).await {
                    Ok(Ok(())) => {}
                    Ok(Err(_)) => break CLIENT_GONE,
                    Err(_) => break NOT_READING,
                }
            };
        }

        // A socket opened while the server stops sees the stop at once.
        let mut phase = *stop.borrow_and_update();
        let ending: Ending = loop {
            if phase == Stop::Closing {
                break flush_outbox(&mut session, &mut rx).await;
            }
            let reading = handed.len() < IN_FLIGHT && paused_until.is_none();
            tokio::select! {
                out = rx.recv() => match out {
                    Some(Outbound::Frame { json, is_error }) => {
                        send!(json);
                        if is_error && errors.record(Instant::now()) {
                            break TOO_MANY_ERRORS;
                        }
                    }
                    Some(Outbound::Close { code, reason }) => break ending(code, reason),
                    // The engine dropped this connection: it could not keep up (256 frames waited).
                    None => break NOT_READING,
                },
                Some(taken) = handed.next(), if !handed.is_empty() => {
                    if !taken {
                        // The actor stopped under us (the server is stopping): reconnect.
                        break RESTARTING;
                    }
                },
                () = pause(paused_until), if paused_until.is_some() => paused_until = None,
                frame = stream.next(), if reading => {
                    let bad = match frame {
                        Some(Ok(AggregatedMessage::Text(text))) => {
                            last_heard = Instant::now();
                            match frames.frame(last_heard) {
                                // Stopping: not taken, not answered; the client sends it again
                                // to the server it reconnects to.
                                FrameVerdict::Take if phase != Stop::Running => None,
                                FrameVerdict::Take => match on_text(&text) {
                                    Ok(Some(h)) => {
                                        handed.push(h);
                                        paused_until = load.as_ref().and_then(pause_for);
                                        None
                                    }
                                    Ok(None) => None,
                                    Err(e) => Some(e),
                                },
                                FrameVerdict::Refuse => {
                                    // Not counted in the error budget: the flood rule decides.
                                    let err = ServerMsg::error(ErrorCode::RateLimited, "more than 20 frames a second; slow down", None);
                                    send!(err.to_json());
                                    None
                                }
                                FrameVerdict::Close => break ending(close::TOO_MANY_ERRORS, "flooding"),
                            }
                        }
                        Some(Ok(AggregatedMessage::Binary(_))) => {
                            last_heard = Instant::now();
                            Some(ServerMsg::error(ErrorCode::BadMessage, "binary frames are not supported; send JSON text", None))
                        }
                        Some(Ok(AggregatedMessage::Ping(bytes))) => {
                            last_heard = Instant::now();
                            if session.pong(&bytes).await.is_err() {
                                break CLIENT_GONE;
                            }
                            None
                        }
                        Some(Ok(AggregatedMessage::Pong(_))) => {
                            last_heard = Instant::now();
                            None
                        }
                        Some(Ok(AggregatedMessage::Close(_))) => break CLIENT_CLOSED,
                        Some(Err(ProtocolError::Overflow)) => break ending(close::TOO_BIG, "too_big"),
                        Some(Err(_)) | None => break CLIENT_GONE,
                    };
                    if let Some(err) = bad {
                        send!(err.to_json());
                        if errors.record(Instant::now()) {
                            break TOO_MANY_ERRORS;
                        }
                    }
                },
                Ok(()) = revoked.changed() => break ending(close::SIGNED_OUT, "signed_out"),
                Ok(()) = stop.changed() => phase = *stop.borrow_and_update(),
                _ = heartbeat.tick() => {
                    if last_heard.elapsed() > SILENT_LIMIT {
                        break ending(1001, "no_heartbeat");
                    }
                    match tokio::time::timeout(WRITE_TIMEOUT, session.ping(b"")).await {
                        Ok(Ok(())) => {}
                        Ok(Err(_)) => break CLIENT_GONE,
                        Err(_) => break NOT_READING,
                    }
                }
            }
        };
        metrics::gauge!("studyhub_live_connections", "feed" => feed).decrement(1.0);
        // Every close is logged and counted with its code and reason (code `none`: the client
        // went away, or closed first).
        let code = ending
            .code
            .map_or_else(|| "none".to_string(), |c| c.to_string());
        let reason = ending.reason.replace(' ', "_");
        tracing::info!(feed, code = %code, reason = %reason, "websocket closed");
        metrics::counter!("studyhub_ws_closes_total", "feed" => feed, "code" => code, "reason" => reason.clone())
            .increment(1);
        let close_with = ending.code.map(|code| CloseReason {
            code: CloseCode::Other(code),
            description: Some(reason),
        });
        let _ = tokio::time::timeout(WRITE_TIMEOUT, session.close(close_with)).await;
    }
}

/// When a new socket's first ping is due: a random slot of the next [`PING_EVERY`], on a grid
/// of [`PING_SLOT`]s shared by the whole process. Random, because sockets opened together (a
/// reconnect storm after a restart) would otherwise be pinged together every 25 s for as long
/// as they last, a burst the whole node feels; on a grid, because the sockets of one slot are
/// then pinged in one wake of their worker, which is what keeps idle sockets cheap.
pub fn first_ping() -> tokio::time::Instant {
    static ORIGIN: OnceLock<tokio::time::Instant> = OnceLock::new();
    let origin = *ORIGIN.get_or_init(tokio::time::Instant::now);
    let slot = PING_SLOT.as_millis() as u64;
    let slots = PING_EVERY.as_millis() as u64 / slot;
    let next = origin.elapsed().as_millis() as u64 / slot + 1;
    origin + Duration::from_millis((next + rand::random_range(0..slots)) * slot)
}

/// How long to stop reading after a frame, while the database is away and the answers
/// waiting for it fill the buffer. Past capacity (`busy`), reading goes on: a prompt `busy`
/// is better than frames waiting unread in the socket's buffer (issue #31).
fn pause_for(load: &Load) -> Option<tokio::time::Instant> {
    let wait = match load.refusal()? {
        Refusal::Busy { .. } => return None,
        Refusal::Unavailable => PAUSE_MAX,
    };
    metrics::counter!("studyhub_ws_read_pauses_total").increment(1);
    Some(tokio::time::Instant::now() + wait)
}

async fn pause(until: Option<tokio::time::Instant>) {
    if let Some(at) = until {
        tokio::time::sleep_until(at).await;
    }
}

/// Sends what the engine queued for this client (the last `feedback` and `saved` before a
/// stop), then the reason to close: 1012, or the close the engine queued itself.
async fn flush_outbox(session: &mut Session, rx: &mut OutboxRx) -> Ending {
    while let Some(out) = rx.try_recv() {
        match out {
            Outbound::Frame { json, .. } => {
                match tokio::time::timeout(WRITE_TIMEOUT, session.text(json)).await {
                    Ok(Ok(())) => {}
                    Ok(Err(_)) => return CLIENT_GONE,
                    Err(_) => return NOT_READING,
                }
            }
            Outbound::Close { code, reason } => return ending(code, reason),
        }
    }
    RESTARTING
}

#[cfg(test)]
mod tests {
    use super::*;
    use studyhub_actors::protocol::ClientMsg;

    #[test]
    fn first_pings_fall_within_one_ping_interval_on_one_grid_of_slots() {
        let now = tokio::time::Instant::now();
        let firsts: Vec<_> = (0..1_000).map(|_| first_ping()).collect();
        let after = tokio::time::Instant::now();
        for at in &firsts {
            assert!(*at > now && *at <= after + PING_EVERY + PING_SLOT, "{at:?}");
            // On the grid: sockets of one slot are pinged at the very same instant.
            let apart = at
                .max(&firsts[0])
                .duration_since(*at.min(&firsts[0]))
                .as_micros();
            assert_eq!(apart % PING_SLOT.as_micros(), 0, "{apart} µs off the grid");
        }
        // Spread: a thousand sockets opened together land in many slots, not one.
        let slots: std::collections::HashSet<_> = firsts.iter().collect();
        assert!(slots.len() > 50, "{} slots", slots.len());
    }

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
    fn twenty_frames_a_second_in_bursts_of_forty_and_ten_seconds_of_flood_close() {
        let t = Instant::now();
        let mut l = FrameLimiter::new(t);
        let taken = (0..60)
            .filter(|_| matches!(l.frame(t), FrameVerdict::Take))
            .count();
        assert_eq!(taken, 40, "a burst of 40");
        // Steady at 20 a second is fine.
        let mut l = FrameLimiter::new(t);
        for i in 0..400u64 {
            let now = t + Duration::from_millis(50 * i);
            assert!(matches!(l.frame(now), FrameVerdict::Take), "frame {i}");
        }
        // 40 a second for long enough closes; the refusals start once the burst is spent.
        let mut l = FrameLimiter::new(t);
        let mut closed_at = None;
        for i in 0..1_000u64 {
            let now = t + Duration::from_millis(25 * i);
            if matches!(l.frame(now), FrameVerdict::Close) {
                closed_at = Some(now - t);
                break;
            }
        }
        let closed_at = closed_at.expect("a flood is closed");
        assert!(
            closed_at >= Duration::from_secs(10) && closed_at < Duration::from_secs(13),
            "{closed_at:?}"
        );
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
