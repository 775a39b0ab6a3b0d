//! What the soak's clients saw, for the checker: every answer acknowledged as stored, every
//! websocket close, every error code and HTTP status, each game's final scores, and when
//! answers were saved (the recovery times are read from that).

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// The width of a bucket of the saved-answer counts (recovery times are read to this).
pub(crate) const BUCKET: Duration = Duration::from_millis(250);

/// One answer the server said it stored (a `saved` frame, a resume's `last_saved_seq`, a
/// REST 200 or a sync's `stored_up_to_seq`).
#[derive(Clone, Debug)]
pub(crate) struct Acked {
    pub learner: String,
    pub session: String,
    pub seq: u32,
    pub question: String,
}

/// The close codes the contract and docs/protocol.md allow (1006, no close frame at all, is
/// counted apart: it is what a killed node or a cut connection looks like).
pub(crate) const ALLOWED_CLOSES: [u16; 10] =
    [1000, 1001, 1008, 1009, 1012, 4001, 4002, 4003, 4008, 4009];

pub(crate) struct Ledger {
    pub t0: Instant,
    pub acked: Mutex<Vec<Acked>>,
    /// Answers `saved`, by [`BUCKET`] since `t0`.
    saved_buckets: Mutex<Vec<u32>>,
    /// (feed, code, reason) → count.
    pub closes: Mutex<BTreeMap<(String, u16, String), u64>>,
    /// Connections that ended without a close frame, by feed.
    pub dropped: Mutex<BTreeMap<String, u64>>,
    /// Play `error` codes, by code.
    pub errors: Mutex<BTreeMap<String, u64>>,
    /// (what, status) → count, for every REST call (0: no answer).
    pub statuses: Mutex<BTreeMap<(String, u16), u64>>,
    /// The first body of each refused REST call, by (what, status).
    pub samples: Mutex<BTreeMap<(String, u16), String>>,
    /// (game, learner) → score in the player's `game_over`.
    pub game_scores: Mutex<BTreeMap<(String, String), i64>>,
    /// Resumes whose `last_saved_seq` was below what the client had already seen `saved`:
    /// (learner, session, seen saved, resume's last_saved_seq).
    pub went_back: Mutex<Vec<(String, String, u32, u32)>>,
    /// When a drawing was stored (201), for the object store's recovery.
    pub stored_drawings: Mutex<Vec<Instant>>,
    pub sent: AtomicU64,
    pub saved: AtomicU64,
    pub notifications: AtomicU64,
    /// No new answers, starts or games from now on (the run is winding down).
    pub stop_sending: AtomicBool,
    /// Every client leaves now.
    pub quit: AtomicBool,
    stop_ms: AtomicU64,
}

impl Ledger {
    pub(crate) fn new() -> Self {
        Ledger {
            t0: Instant::now(),
            acked: Mutex::default(),
            saved_buckets: Mutex::default(),
            closes: Mutex::default(),
            dropped: Mutex::default(),
            errors: Mutex::default(),
            statuses: Mutex::default(),
            samples: Mutex::default(),
            went_back: Mutex::default(),
            game_scores: Mutex::default(),
            stored_drawings: Mutex::default(),
            sent: AtomicU64::new(0),
            saved: AtomicU64::new(0),
            notifications: AtomicU64::new(0),
            stop_sending: AtomicBool::new(false),
            quit: AtomicBool::new(false),
            stop_ms: AtomicU64::new(0),
        }
    }

    /// When the run began winding down (since `t0`).
    pub(crate) fn stop_at(&self) -> Duration {
        Duration::from_millis(self.stop_ms.load(Ordering::Relaxed))
    }

    /// No new answers from now on.
    pub(crate) fn wind_down(&self) {
        self.stop_ms
            .store(self.t0.elapsed().as_millis() as u64, Ordering::Relaxed);
        self.stop_sending.store(true, Ordering::Relaxed);
    }

    pub(crate) fn stopping(&self) -> bool {
        self.stop_sending.load(Ordering::Relaxed)
    }

    pub(crate) fn quitting(&self) -> bool {
        self.quit.load(Ordering::Relaxed)
    }

    /// Answers stored (and acknowledged) now.
    pub(crate) fn ack(&self, items: impl IntoIterator<Item = Acked>) {
        let items: Vec<Acked> = items.into_iter().collect();
        if items.is_empty() {
            return;
        }
        let n = items.len() as u32;
        self.saved.fetch_add(n as u64, Ordering::Relaxed);
        let b = (self.t0.elapsed().as_millis() / BUCKET.as_millis()) as usize;
        {
            let mut buckets = self.saved_buckets.lock().unwrap();
            if buckets.len() <= b {
                buckets.resize(b + 1, 0);
            }
            buckets[b] += n;
        }
        self.acked.lock().unwrap().extend(items);
    }

    pub(crate) fn buckets(&self) -> Vec<u32> {
        self.saved_buckets.lock().unwrap().clone()
    }

    pub(crate) fn close(&self, feed: &str, code: u16, reason: &str) {
        *self
            .closes
            .lock()
            .unwrap()
            .entry((feed.to_string(), code, reason.to_string()))
            .or_default() += 1;
    }

    pub(crate) fn dropped(&self, feed: &str) {
        *self
            .dropped
            .lock()
            .unwrap()
            .entry(feed.to_string())
            .or_default() += 1;
    }

    pub(crate) fn error(&self, code: &str) {
        *self
            .errors
            .lock()
            .unwrap()
            .entry(code.to_string())
            .or_default() += 1;
    }

    /// A REST call's status, and its body when it was refused (the first of its kind).
    pub(crate) fn answered(&self, what: &str, reply: &Option<(u16, serde_json::Value)>) {
        self.status(what, reply.as_ref().map(|r| r.0));
        if let Some((status, body)) = reply
            && *status >= 400
        {
            self.samples
                .lock()
                .unwrap()
                .entry((what.to_string(), *status))
                .or_insert_with(|| body.to_string());
        }
    }

    pub(crate) fn status(&self, what: &str, status: Option<u16>) {
        *self
            .statuses
            .lock()
            .unwrap()
            .entry((what.to_string(), status.unwrap_or(0)))
            .or_default() += 1;
    }
}

/// How a websocket's read ended, for the ledger: a close frame's code and reason, or none.
pub(crate) fn record_end(
    ledger: &Ledger,
    feed: &str,
    msg: Option<
        Result<tokio_tungstenite::tungstenite::Message, tokio_tungstenite::tungstenite::Error>,
    >,
) -> Option<u16> {
    use tokio_tungstenite::tungstenite::Message;
    match msg {
        Some(Ok(Message::Close(Some(f)))) => {
            let code = u16::from(f.code);
            ledger.close(feed, code, &f.reason);
            Some(code)
        }
        Some(Ok(Message::Close(None))) => {
            ledger.close(feed, 1005, "");
            Some(1005)
        }
        _ => {
            ledger.dropped(feed);
            None
        }
    }
}

/// How long after `from` the answers saved came back to 80 % of their rate before the fault
/// (the median of the 1 s windows of the 10 s before it: a flush after an earlier fault does
/// not raise the bar), in 1 s windows sliding by a bucket: `None` when it never did before
/// the next fault, or there was no rate to come back to.
pub(crate) fn recovery(
    buckets: &[u32],
    t0: Instant,
    began: Instant,
    from: Instant,
    until: Instant,
) -> Option<Duration> {
    let idx =
        |t: Instant| (t.saturating_duration_since(t0).as_millis() / BUCKET.as_millis()) as usize;
    let per_window = (Duration::from_secs(1).as_millis() / BUCKET.as_millis()) as usize;
    let window = |start: usize| -> u32 { buckets[start..start + per_window].iter().sum() };
    let b = idx(began).min(buckets.len());
    let mut before: Vec<u32> = (b.saturating_sub(10 * per_window)..b.saturating_sub(per_window))
        .map(window)
        .collect();
    before.sort();
    let baseline = before.get(before.len() / 2).copied().unwrap_or(0) as f64;
    if baseline < 1.0 {
        return None;
    }
    let last = idx(until).min(buckets.len().saturating_sub(per_window));
    let start = (idx(from) + 1..last).find(|&s| window(s) as f64 >= 0.8 * baseline)?;
    let end = BUCKET * (start + per_window) as u32;
    Some(end.saturating_sub(from.saturating_duration_since(t0)))
}
