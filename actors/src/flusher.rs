//! Group commit. Every learner's graded answers (and session ends) join one queue; the
//! flusher writes them in batches, one transaction each, `window` after the first one
//! arrived, as soon as a batch is full, or as soon as the write before them is committed.
//! Only after a commit does it tell each learner which seqs are durable (`acknowledge`). A
//! failed write is retried with backoff and never acknowledged.
//!
//! Learners leave items in the `intake` list; the queue is bounded (see
//! [`Load`]): while the database takes writes, past `max_queue` items (or `max_wait` of commits)
//! new answers are refused as `busy`, so the answers taken keep a bounded wait for `saved`;
//! while it is away, the buffer holds up to `max_buffer`, then answers are refused as
//! `storage_unavailable`.

mod acknowledge;
mod intake;
mod load;

pub use load::{Load, Refusal};

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use actix::prelude::*;

use self::acknowledge::acknowledge;
use self::intake::{Intake, Wake};
use crate::ids::Seq;
use crate::store::{
    AnswerRecord, Batch, NewSession, Notification, ScreenTimeSpan, SessionEnd, Store, UnlockRequest,
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
