//! Group commit. Every learner's graded answers (and session ends) join one queue; the
//! flusher writes them in batches, one transaction each, `window` after the first one
//! arrived, as soon as a batch is full, or as soon as the write before them is committed. Only after a commit does it
//! tell each learner which seqs are durable. A failed write is retried with backoff and
//! never acknowledged.
//!
//! The queue is bounded twice (see [`Load`]): while the database takes writes, past
//! `max_queue` items new answers are refused as `busy` (so the answers taken keep a bounded
//! wait for `saved`); while it is away, the buffer holds up to `max_buffer`, then answers are
//! refused as `storage_unavailable`.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use actix::prelude::*;

use crate::ids::Seq;
use crate::store::{
    AnswerRecord, Batch, BatchResult, ItemKey, NewSession, Notification, ScreenTimeSpan,
    SessionEnd, Store, UnlockRequest,
};

#[derive(Debug, Clone, Copy)]
pub struct FlushConfig {
    pub window: Duration,
    /// The most items one transaction writes.
    pub max_batch: usize,
    /// Items that may wait while the database is away; past it answers are refused
    /// (`storage_unavailable`).
    pub max_buffer: usize,
    /// Items that may wait while the database takes writes; past it answers are refused as
    /// `busy`: the database is slower than the answers coming in.
    pub max_queue: usize,
    /// The longest the items waiting may take to commit at the rate the database has been
    /// taking them; past it answers are refused as `busy`, as past `max_queue`.
    pub max_wait: Duration,
    /// How late a worker thread may run ready work (see [`crate::lag`]) before the answers
    /// it handles are refused as `busy`: the node has more to do than its cores can.
    pub max_lag: Duration,
}

impl Default for FlushConfig {
    fn default() -> Self {
        Self {
            window: Duration::from_millis(5),
            max_batch: 2_000,
            max_buffer: 200_000,
            max_queue: 5_000,
            max_wait: Duration::from_millis(250),
            max_lag: Duration::from_millis(50),
        }
    }
}

/// Told to a learner once a batch with answers of `session_id` is committed: every seq up to
/// `up_to_seq` is stored except those in `refused`, which the database refuses for good (they
/// are dead letters; [`Seq::NONE`] stands for the session row itself).
#[derive(Message, Debug, Clone, PartialEq, Eq)]
#[rtype(result = "()")]
pub struct Durable {
    pub session_id: crate::ids::SessionId,
    pub up_to_seq: Seq,
    pub refused: Vec<Seq>,
}

#[derive(Debug, Clone)]
pub enum Item {
    Start(NewSession),
    Answer(AnswerRecord),
    /// A session's end; its notice, if this commit stored it (the end closed the session),
    /// goes to the parent's notifier (`parent`, pushed if its `bool`).
    End {
        end: SessionEnd,
        parent: Option<(Recipient<Stored>, bool)>,
    },
    Span(ScreenTimeSpan),
    /// Achievements met: `to` hears which ones this commit stored first; their notices,
    /// stored with them, go to the parent's notifier (`parent`, pushed if its `bool`).
    Unlock {
        request: UnlockRequest,
        to: Recipient<Unlocked>,
        parent: Option<(Recipient<Stored>, bool)>,
    },
    /// A parent's notification; `to` pushes it once stored (if `push`).
    Notification {
        notification: Notification,
        push: bool,
        to: Recipient<Stored>,
    },
}

/// Told to a learner once its unlocks are committed: the achievements that were new.
#[derive(Message, Debug, Clone)]
#[rtype(result = "()")]
pub struct Unlocked {
    pub achievement_ids: Vec<String>,
}

/// Told to a parent's notifier once a notification is committed.
#[derive(Message, Debug, Clone)]
#[rtype(result = "()")]
pub struct Stored {
    pub notification: Notification,
    pub push: bool,
}

struct Pending {
    item: Item,
    notify: Option<Recipient<Durable>>,
}

/// Where learners leave items for the flusher: one list shared by every worker thread. An
/// item costs a lock and a push; only the first item after the flusher went idle wakes it
/// (a message to its thread), and the rest wait out the window or the write in flight
/// without waking anyone. A message per item woke the flusher's thread for nearly every
/// answer (issue #31: a context switch per answer).
struct Intake {
    state: std::sync::Mutex<IntakeState>,
    /// A batch's worth: the flusher is woken to write it without waiting out the window.
    full: usize,
}

#[derive(Default)]
struct IntakeState {
    items: Vec<Pending>,
    /// The flusher knows there is work (a window or a write is under way, or a [`Wake`] is
    /// on its way): items added meanwhile need not wake it.
    awake: bool,
}

impl Intake {
    fn new(full: usize) -> Self {
        Self {
            state: Default::default(),
            full: full.max(1),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, IntakeState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Adds an item; what to tell the flusher, if anything.
    fn add(&self, pending: Pending) -> Option<Wake> {
        let mut state = self.lock();
        state.items.push(pending);
        if !std::mem::replace(&mut state.awake, true) {
            Some(Wake {
                full: state.items.len() >= self.full,
            })
        } else if state.items.len() == self.full {
            Some(Wake { full: true })
        } else {
            None
        }
    }

    /// Everything added so far, in order.
    fn take(&self) -> Vec<Pending> {
        std::mem::take(&mut self.lock().items)
    }

    /// Marks the flusher idle if nothing is waiting (`true`); decided under the lock, so an
    /// item added at the same moment either is seen here or wakes the flusher.
    fn idle_if_empty(&self) -> bool {
        let mut state = self.lock();
        if state.items.is_empty() {
            state.awake = false;
        }
        !state.awake
    }
}

/// Told to the flusher when items wait in the [`Intake`] and it was idle, or when a batch's
/// worth waits (`full`: write it now rather than at the end of the window).
#[derive(Message)]
#[rtype(result = "()")]
struct Wake {
    full: bool,
}

/// Why an answer cannot be taken now (nothing of it was kept).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Past capacity: the database is slower than the answers coming in. Send it again after
    /// `retry_after`.
    Busy { retry_after: Duration },
    /// The database has been away so long that the buffer is full.
    Unavailable,
}

/// The flusher's load, readable without a message round trip: learners read it to refuse
/// an answer before grading it, sockets to slow their reads while answers would be refused.
#[derive(Clone)]
pub struct Load(Arc<LoadState>);

struct LoadState {
    /// Items waiting, the batch being written included (counted by the senders).
    items: AtomicUsize,
    /// The last write failed: the database is away, the buffer holds up to `max_buffer`.
    failing: AtomicBool,
    /// Items committed per second while writing (smoothed; `f64` bits), for retry hints.
    rate: AtomicU64,
    max_queue: usize,
    max_buffer: usize,
    max_lag: Duration,
    max_wait: Duration,
    window: Duration,
}

/// The shortest and longest wait a `busy` asks for.
const RETRY_MIN: Duration = Duration::from_millis(100);
const RETRY_MAX: Duration = Duration::from_secs(5);

/// `wait` and up to a quarter more, at random, so refused clients do not all come back at once.
fn spread(wait: Duration) -> Duration {
    wait.mul_f64(1.0 + (uuid::Uuid::new_v4().as_u128() % 1_000) as f64 / 4_000.0)
}

impl Load {
    fn new(config: &FlushConfig) -> Self {
        Self(Arc::new(LoadState {
            items: AtomicUsize::new(0),
            failing: AtomicBool::new(false),
            rate: AtomicU64::new(0f64.to_bits()),
            max_queue: config.max_queue.max(1),
            max_buffer: config.max_buffer.max(1),
            max_lag: config.max_lag,
            max_wait: config.max_wait,
            window: config.window,
        }))
    }

    pub fn get(&self) -> usize {
        self.0.items.load(Ordering::Relaxed)
    }

    /// Why a new answer would be refused now, if it would.
    pub fn refusal(&self) -> Option<Refusal> {
        self.refusal_at(self.get())
    }

    fn refusal_at(&self, n: usize) -> Option<Refusal> {
        let late = crate::lag::late();
        if n >= self.0.max_buffer {
            Some(Refusal::Unavailable)
        } else if n >= self.bound() && !self.0.failing.load(Ordering::Acquire) {
            Some(Refusal::Busy {
                retry_after: self.retry_after(n),
            })
        } else if late > self.0.max_lag {
            Some(Refusal::Busy {
                retry_after: spread(late * 4).clamp(RETRY_MIN, RETRY_MAX),
            })
        } else {
            None
        }
    }

    fn rate(&self) -> f64 {
        f64::from_bits(self.0.rate.load(Ordering::Relaxed))
    }

    /// The items that may wait: `max_queue`, or fewer when the database commits them more
    /// slowly than `max_wait` allows (never fewer than a tenth of `max_queue`: the rate of
    /// small batches says little of what the database can take).
    fn bound(&self) -> usize {
        let rate = self.rate();
        if rate <= 0.0 {
            return self.0.max_queue;
        }
        let by_rate = (rate * self.0.max_wait.as_secs_f64()) as usize;
        by_rate
            .clamp(self.0.max_queue / 10, self.0.max_queue)
            .max(1)
    }

    /// The retry hint while the queue is full: about the time it takes to drain to half its
    /// bound at the rate it has been committing, [`spread`].
    fn retry_after(&self, n: usize) -> Duration {
        let rate = self.rate();
        let excess = n.saturating_sub(self.bound() / 2) as f64;
        let base = if rate > 0.0 {
            Duration::from_secs_f64(excess / rate)
        } else {
            self.0.window * 2
        };
        spread(base).clamp(RETRY_MIN, RETRY_MAX)
    }

    fn committed(&self, items: usize, took: Duration) {
        let now = items as f64 / took.as_secs_f64().max(0.001);
        let old = f64::from_bits(self.0.rate.load(Ordering::Relaxed));
        let new = if old > 0.0 {
            old * 0.8 + now * 0.2
        } else {
            now
        };
        self.0.rate.store(new.to_bits(), Ordering::Relaxed);
        self.0.items.fetch_sub(items, Ordering::AcqRel);
        self.0.failing.store(false, Ordering::Release);
    }
}

pub struct Flusher {
    store: Arc<dyn Store>,
    config: FlushConfig,
    intake: Arc<Intake>,
    /// Items taken from the intake and not yet committed (a batch's worth at a time is
    /// written; a failed batch comes back to the front).
    queue: VecDeque<Pending>,
    in_flight: bool,
    timer: Option<SpawnHandle>,
    backoff: Duration,
    load: Load,
    /// Callers waiting for the queue to be empty (shutdown).
    drains: Vec<tokio::sync::oneshot::Sender<()>>,
}

/// Writes everything queued now; answers once the queue is empty.
#[derive(Message)]
#[rtype(result = "()")]
pub struct Drain(pub tokio::sync::oneshot::Sender<()>);

impl Flusher {
    pub fn new(store: Arc<dyn Store>, config: FlushConfig) -> Self {
        Self {
            store,
            config,
            intake: Arc::new(Intake::new(config.max_batch)),
            queue: VecDeque::new(),
            in_flight: false,
            timer: None,
            backoff: Duration::from_millis(50),
            load: Load::new(&config),
            drains: Vec::new(),
        }
    }

    pub fn load(&self) -> Load {
        self.load.clone()
    }

    fn schedule(&mut self, ctx: &mut Context<Self>, after: Duration) {
        if self.timer.is_none() {
            self.timer = Some(ctx.run_later(after, |act, ctx| {
                act.timer = None;
                act.flush(ctx);
            }));
        }
    }

    /// Writes the next batch, unless one is in flight; with nothing left to write, the
    /// flusher goes idle and answers the drains.
    fn flush(&mut self, ctx: &mut Context<Self>) {
        if self.in_flight {
            return;
        }
        self.queue.extend(self.intake.take());
        if self.queue.is_empty() {
            if self.intake.idle_if_empty() {
                for d in self.drains.drain(..) {
                    let _ = d.send(());
                }
            } else {
                // Added between the two looks: written with the next window.
                let window = self.config.window;
                self.schedule(ctx, window);
            }
            return;
        }
        if let Some(t) = self.timer.take() {
            ctx.cancel_future(t);
        }
        let n = self.queue.len().min(self.config.max_batch);
        let taken: Vec<Pending> = self.queue.drain(..n).collect();
        let mut batch = Batch::default();
        for p in &taken {
            match &p.item {
                Item::Start(s) => batch.starts.push(s.clone()),
                Item::Answer(a) => batch.answers.push(a.clone()),
                Item::End { end, .. } => batch.ends.push(end.clone()),
                Item::Notification { notification, .. } => {
                    batch.notifications.push(notification.clone())
                }
                Item::Unlock { request, .. } => batch.unlocks.push(request.clone()),
                Item::Span(s) => match batch.spans.iter_mut().find(|x| x.id == s.id) {
                    Some(x) => *x = s.clone(),
                    None => batch.spans.push(s.clone()),
                },
            }
        }
        self.in_flight = true;
        let started = std::time::Instant::now();
        self.store
            .write_batch(batch)
            .into_actor(self)
            .map(move |res, act, ctx| {
                act.in_flight = false;
                match res {
                    Ok(result) => {
                        tracing::trace!(items = taken.len(), elapsed_ms = started.elapsed().as_millis() as u64, "batch committed");
                        act.load.committed(taken.len(), started.elapsed());
                        act.backoff = Duration::from_millis(50);
                        acknowledge(taken, &result);
                        // Whatever arrived during the write has waited long enough.
                        act.flush(ctx);
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, items = taken.len(), retry_in_ms = act.backoff.as_millis() as u64, "batch failed; will retry");
                        metrics::counter!("studyhub_flush_retries_total").increment(1);
                        act.load.0.failing.store(true, Ordering::Release);
                        for p in taken.into_iter().rev() {
                            act.queue.push_front(p);
                        }
                        let wait = act.backoff;
                        act.backoff = (act.backoff * 2).min(Duration::from_secs(5));
                        act.schedule(ctx, wait);
                    }
                }
            })
            .spawn(ctx);
    }
}

/// One `Durable` per session per batch, for the highest seq committed ([`Seq::NONE`]: the
/// session row) and the seqs refused. Refused notifications and unlocks are never announced.
fn acknowledge(taken: Vec<Pending>, result: &BatchResult) {
    let mut best: HashMap<crate::ids::SessionId, (Seq, Vec<Seq>, Recipient<Durable>)> =
        HashMap::new();
    // Checked without building keys: on the answer path the list is almost always empty.
    let refused = &result.refused;
    let answer_refused = |sid: &str, n: Seq| {
        refused.iter().any(
            |k| matches!(k, ItemKey::Answer { session_id, seq } if session_id == sid && *seq == n),
        )
    };
    let start_refused = |sid: &str| {
        refused
            .iter()
            .any(|k| matches!(k, ItemKey::Start { session_id } if session_id == sid))
    };
    for p in taken {
        let (session_id, seq, is_refused) = match p.item {
            Item::Answer(a) => {
                let r = answer_refused(&a.session_id, a.seq);
                (a.session_id, a.seq, r)
            }
            Item::Start(s) => {
                let r = start_refused(&s.session_id);
                (s.session_id, Seq::NONE, r)
            }
            // Only an offline sync asks to hear of an end (`Seq::MAX`: the whole session, its
            // end included, is committed); live ends go without a recipient.
            Item::End { end, parent } => {
                let r = refused.iter().any(
                    |k| matches!(k, ItemKey::End { session_id } if *session_id == end.session_id),
                );
                if let (Some(notification), Some((notifier, push))) = (end.notice, parent)
                    && result.ended.contains(&end.session_id)
                {
                    notifier.do_send(Stored { notification, push });
                }
                (end.session_id, Seq::MAX, r)
            }
            Item::Notification {
                notification,
                push,
                to,
            } => {
                let dropped = refused
                    .iter()
                    .any(|k| matches!(k, ItemKey::Notification { id } if *id == notification.id));
                if !dropped {
                    to.do_send(Stored { notification, push });
                }
                continue;
            }
            Item::Unlock {
                request,
                to,
                parent,
            } => {
                if let Some((notifier, push)) = parent {
                    for n in request.notices_of(&result.unlocked) {
                        notifier.do_send(Stored {
                            notification: n.clone(),
                            push,
                        });
                    }
                }
                let new: Vec<String> = request
                    .achievement_ids
                    .into_iter()
                    .filter(|id| {
                        result
                            .unlocked
                            .iter()
                            .any(|(l, a)| *l == request.learner_id && a == id)
                    })
                    .collect();
                if !new.is_empty() {
                    to.do_send(Unlocked {
                        achievement_ids: new,
                    });
                }
                continue;
            }
            _ => continue,
        };
        if let Some(notify) = p.notify {
            let entry = best
                .entry(session_id)
                .or_insert((Seq::NONE, Vec::new(), notify));
            if is_refused {
                entry.1.push(seq);
            } else {
                entry.0 = entry.0.max(seq);
            }
        }
    }
    for (session_id, (up_to_seq, refused, notify)) in best {
        notify.do_send(Durable {
            session_id,
            up_to_seq,
            refused,
        });
    }
}

impl Actor for Flusher {
    type Context = Context<Self>;
}

impl Handler<Drain> for Flusher {
    type Result = ();

    fn handle(&mut self, msg: Drain, ctx: &mut Context<Self>) {
        self.drains.push(msg.0);
        self.flush(ctx);
    }
}

impl Handler<Wake> for Flusher {
    type Result = ();

    fn handle(&mut self, wake: Wake, ctx: &mut Context<Self>) {
        if wake.full {
            self.flush(ctx);
        } else if !self.in_flight {
            let window = self.config.window;
            self.schedule(ctx, window);
        }
    }
}

/// How learners reach the flusher. The load is counted at the sender, so a full queue is
/// seen before the message is even queued.
#[derive(Clone)]
pub struct FlushHandle {
    addr: Addr<Flusher>,
    intake: Arc<Intake>,
    load: Load,
}

impl FlushHandle {
    pub fn start(store: Arc<dyn Store>, config: FlushConfig) -> Self {
        let flusher = Flusher::new(store, config);
        let load = flusher.load();
        let intake = flusher.intake.clone();
        Self {
            addr: flusher.start(),
            intake,
            load,
        }
    }

    /// A place in the queue for one answer, or why there is none (the answer must then be
    /// refused before it is graded, so its seq stays free).
    pub fn reserve(&self) -> Result<Reservation, Refusal> {
        let mut refused = None;
        let taken = self
            .load
            .0
            .items
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                refused = self.load.refusal_at(n);
                refused.is_none().then_some(n + 1)
            });
        match (taken, refused) {
            (Ok(_), _) => Ok(Reservation {
                handle: Some(self.clone()),
            }),
            (Err(_), Some(why)) => Err(why),
            (Err(_), None) => Err(Refusal::Unavailable),
        }
    }

    /// Queues a new session, a session end or a screen-time span. Always taken: they are
    /// few and small (a session start asks [`Load::refusal`] first), and a session's rows
    /// must stay in order around its answers.
    pub fn push(&self, item: Item, notify: Option<Recipient<Durable>>) {
        self.load.0.items.fetch_add(1, Ordering::AcqRel);
        self.enqueue(Pending { item, notify });
    }

    fn enqueue(&self, pending: Pending) {
        if let Some(wake) = self.intake.add(pending) {
            self.addr.do_send(wake);
        }
    }

    pub fn backlog(&self) -> usize {
        self.load.get()
    }

    pub fn load(&self) -> &Load {
        &self.load
    }

    /// Resolves once everything queued so far is committed.
    pub async fn drain(&self) {
        let (tx, rx) = tokio::sync::oneshot::channel();
        if self.addr.send(Drain(tx)).await.is_ok() {
            let _ = rx.await;
        }
    }
}

/// A reserved place in the flusher's buffer; released if dropped unused.
pub struct Reservation {
    handle: Option<FlushHandle>,
}

impl Reservation {
    pub fn send(mut self, record: AnswerRecord, notify: Recipient<Durable>) {
        if let Some(h) = self.handle.take() {
            h.enqueue(Pending {
                item: Item::Answer(record),
                notify: Some(notify),
            });
        }
    }
}

impl Drop for Reservation {
    fn drop(&mut self) {
        if let Some(h) = self.handle.take() {
            h.load.0.items.fetch_sub(1, Ordering::AcqRel);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(max_queue: usize) -> Load {
        Load::new(&FlushConfig {
            max_queue,
            max_wait: Duration::from_millis(250),
            ..FlushConfig::default()
        })
    }

    #[test]
    fn the_queue_is_bounded_by_what_the_database_commits_in_the_wait_allowed() {
        let l = load(5_000);
        // Before any commit: the bound is `max_queue`.
        assert!(l.refusal_at(4_999).is_none());
        assert!(matches!(l.refusal_at(5_000), Some(Refusal::Busy { .. })));
        // Committing 4 000 a second: a quarter of a second is 1 000 items.
        l.0.items.store(400, Ordering::Relaxed);
        l.committed(400, Duration::from_millis(100));
        assert!(l.refusal_at(999).is_none());
        let Some(Refusal::Busy { retry_after }) = l.refusal_at(1_000) else {
            panic!("busy past a quarter second's worth")
        };
        assert!(retry_after >= RETRY_MIN && retry_after <= RETRY_MAX);
        // A fast database: `max_queue` bounds it again.
        for _ in 0..50 {
            l.0.items.store(2_000, Ordering::Relaxed);
            l.committed(2_000, Duration::from_millis(10));
        }
        assert!(l.refusal_at(4_999).is_none());
        assert!(l.refusal_at(5_000).is_some());
        // A crawling one: never fewer than a tenth of `max_queue` may wait.
        for _ in 0..50 {
            l.0.items.store(1, Ordering::Relaxed);
            l.committed(1, Duration::from_secs(1));
        }
        assert!(l.refusal_at(499).is_none());
        assert!(l.refusal_at(500).is_some());
    }
}
