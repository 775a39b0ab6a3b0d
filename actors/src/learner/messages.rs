//! What the rest of the engine sends a learner actor, and how it answers.

use std::time::Instant;

use actix::prelude::*;
use tokio::sync::oneshot;

use crate::outbox::OutboxTx;

use super::{LearnerActor, MAX_CONNECTIONS, ReplyTo};
use crate::downtime_windows::Window;
use crate::ids::ClassId;
use crate::protocol::{ClientMsg, Outbound, ServerMsg, close};
use crate::store::{SessionSnapshot, SessionStatus};

// What `Status` answers lives with what the nodes share: it is also their presence word.
use crate::shared::LearnerStatus;

/// A new connection of this learner. The actor sends `hello` (and, with no time left,
/// `time_up` and a 4001 close) through `tx`.
#[derive(Message)]
#[rtype(result = "()")]
pub(crate) struct Connect {
    pub conn_id: u64,
    pub tx: OutboxTx,
}

#[derive(Message)]
#[rtype(result = "()")]
pub(crate) struct Disconnect {
    pub conn_id: u64,
}

/// A parsed frame from one of the learner's connections.
#[derive(Message)]
#[rtype(result = "()")]
pub(crate) struct FromClient {
    pub conn_id: u64,
    pub msg: ClientMsg,
}

/// The same engine over REST: the reply carries what a websocket would have received, and
/// for an answer a receiver that resolves once it is saved.
#[derive(Message)]
#[rtype(result = "()")]
pub(crate) struct Rest {
    pub msg: ClientMsg,
    pub reply: oneshot::Sender<RestReply>,
}

#[derive(Debug)]
pub struct RestReply {
    pub msgs: Vec<ServerMsg>,
    /// Resolves `true` once saved, `false` if the database refused it for good.
    pub saved: Option<oneshot::Receiver<bool>>,
}

/// The current state of a session, for `GET /v1/sessions/{id}` (None: not live here).
#[derive(Message)]
#[rtype(result = "Option<SessionSnapshot>")]
pub(crate) struct Snapshot {
    pub session_id: String,
}

/// Where the learner is, for a class monitor's first snapshot.
#[derive(Message)]
#[rtype(result = "LearnerStatus")]
pub struct Status;

/// The learner's classes changed.
#[derive(Message)]
#[rtype(result = "()")]
pub struct Classes {
    pub class_ids: Vec<ClassId>,
}

/// Study time outside activities (study pages), counted for achievements.
#[derive(Message)]
#[rtype(result = "()")]
pub(crate) struct StudySeconds {
    pub seconds: u64,
}

/// Write the screen-time span now (shutdown).
#[derive(Message)]
#[rtype(result = "()")]
pub struct Persist;

/// The server stops: tell every connection what is saved (after the last group commit).
#[derive(Message)]
#[rtype(result = "()")]
pub struct SaySaved;

/// The clock as it stands now.
#[derive(Message)]
#[rtype(result = "crate::protocol::TimeView")]
pub(crate) struct TimeNow;

/// What a parent's settings change for live play.
#[derive(Message, Debug, Clone, PartialEq)]
#[rtype(result = "()")]
pub struct Settings {
    pub daily_limit_seconds: Option<u64>,
    pub notifications_enabled: bool,
    pub downtime: Vec<Window>,
}

#[derive(Message)]
#[rtype(result = "()")]
pub struct Grant {
    pub seconds: u64,
}

/// Seconds a device played offline on `date` (the learner's day), newly counted by a sync
/// (already stored): the live budget counts them at once.
#[derive(Message, Debug, Clone)]
#[rtype(result = "()")]
pub struct OfflineTime {
    pub date: chrono::NaiveDate,
    pub seconds: u64,
}

/// The limit, notifications and today's grants as stored now: sent when a change raced the
/// actor's start (it may have loaded the values from before the change).
#[derive(Message)]
#[rtype(result = "()")]
pub struct Refresh {
    pub daily_limit_seconds: Option<u64>,
    pub notifications_enabled: bool,
    pub downtime: Vec<Window>,
    pub bonus_seconds: u64,
}

/// A teacher recorded or changed an assessment of this learner (already stored).
#[derive(Message, Debug, Clone)]
#[rtype(result = "()")]
pub struct AssessmentRecorded(pub crate::protocol::AssessmentFrame);

/// The parent answered a request for more time (an approval is already stored as a grant).
#[derive(Message, Debug, Clone)]
#[rtype(result = "()")]
pub struct TimeRequestAnswered {
    pub request_id: String,
    pub approved: bool,
    pub seconds: u64,
}

impl Handler<Connect> for LearnerActor {
    type Result = ();

    fn handle(&mut self, msg: Connect, ctx: &mut Context<Self>) {
        let hello = Outbound::msg(&self.hello());
        if let Some(until) = self.downtime.at(chrono::Utc::now()) {
            let _ = msg.tx.try_send(hello);
            let _ = msg
                .tx
                .try_send(Outbound::msg(&ServerMsg::Downtime { until }));
            let _ = msg.tx.try_send(Outbound::Close {
                code: close::DOWNTIME,
                reason: "downtime",
            });
            return;
        }
        if self.clock.is_up() {
            let _ = msg.tx.try_send(hello);
            let _ = msg.tx.try_send(Outbound::msg(&ServerMsg::TimeUp));
            let _ = msg.tx.try_send(Outbound::Close {
                code: close::TIME_UP,
                reason: "time_up",
            });
            return;
        }
        let now = Instant::now();
        // Without a socket here a while (lingering after its sockets left, or started by a
        // sync or a REST call): with several nodes, the session it remembers may have gone on
        // elsewhere. A quick reconnect (a network blip) reads nothing.
        let reread_after = self.env.config().reread_after;
        let quiet = self
            .empty_since
            .is_some_and(|since| now.duration_since(since) >= reread_after);
        self.settle(now);
        self.last_activity = now;
        self.empty_since = None;
        self.clock.pushed(now);
        // At most five devices at once: a sixth replaces the oldest (ids only grow).
        while self.conns.len() >= MAX_CONNECTIONS {
            let Some(oldest) = self.conns.keys().min().copied() else {
                break;
            };
            self.send_to(
                oldest,
                Outbound::Close {
                    code: close::REPLACED,
                    reason: "replaced",
                },
            );
            self.conns.remove(&oldest);
        }
        let first = self.conns.is_empty();
        self.conns.insert(msg.conn_id, msg.tx);
        let remembered = self.session.as_ref().map(|s| s.id.clone());
        if let Some(id) = remembered.filter(|_| first && quiet && self.env.shared().is_some()) {
            // `hello` says what is stored (as `resume` does: see `catch_up`), nothing else
            // reaching the actor before it.
            let (store, conn_id) = (self.env.store().clone(), msg.conn_id);
            let read = id.clone();
            let io = async move { store.load_session(&read).await };
            ctx.wait(io.into_actor(self).map(move |stored, act, ctx| {
                act.catch_up(&id, stored);
                let hello = Outbound::msg(&act.hello());
                act.send_to(conn_id, hello);
                act.announce_presence();
                act.arm(ctx);
            }));
            return;
        }
        self.send_to(msg.conn_id, hello);
        if first {
            self.announce_presence();
        }
        self.arm(ctx);
    }
}

impl Handler<Disconnect> for LearnerActor {
    type Result = ();

    fn handle(&mut self, msg: Disconnect, ctx: &mut Context<Self>) {
        if !self.conns.contains_key(&msg.conn_id) {
            return;
        }
        let now = Instant::now();
        self.settle(now);
        self.conns.remove(&msg.conn_id);
        self.persist(false);
        if self.conns.is_empty() {
            self.announce_presence();
        }
        // The linger starts now, not at the next (sparse) tick.
        if !self.present(now) {
            self.empty_since.get_or_insert(now);
        }
        self.arm(ctx);
    }
}

impl Handler<FromClient> for LearnerActor {
    type Result = ();

    fn handle(&mut self, msg: FromClient, ctx: &mut Context<Self>) {
        if self.conns.contains_key(&msg.conn_id) {
            self.handle_client(msg.msg, ReplyTo::Conn(msg.conn_id), ctx);
        }
    }
}

impl Handler<Rest> for LearnerActor {
    type Result = ();

    fn handle(&mut self, msg: Rest, ctx: &mut Context<Self>) {
        self.handle_client(msg.msg, ReplyTo::Rest(msg.reply), ctx);
    }
}

impl Handler<Snapshot> for LearnerActor {
    type Result = Option<SessionSnapshot>;

    fn handle(&mut self, msg: Snapshot, _: &mut Context<Self>) -> Option<SessionSnapshot> {
        let s = self.session.as_ref().filter(|s| s.id == msg.session_id)?;
        let p = s.progress();
        Some(SessionSnapshot {
            session_id: s.id.clone(),
            learner_id: self.learner_id.clone(),
            activity_id: s.activity.id.clone(),
            status: SessionStatus::Open,
            started_at: s.started_at,
            ended_at: None,
            questions_total: p.total,
            questions_correct: p.correct,
            accuracy: None,
            stars: None,
            duration_seconds: None,
            answers: s
                .summary()
                .into_iter()
                .map(|a| crate::store::SavedAnswer {
                    seq: a.seq,
                    question_id: a.question_id,
                    correct: a.correct,
                })
                .collect(),
        })
    }
}

impl Handler<Status> for LearnerActor {
    type Result = MessageResult<Status>;

    fn handle(&mut self, _: Status, _: &mut Context<Self>) -> Self::Result {
        MessageResult(self.status())
    }
}

impl Handler<Classes> for LearnerActor {
    type Result = ();

    fn handle(&mut self, msg: Classes, _: &mut Context<Self>) {
        self.class_ids = msg.class_ids;
        self.announce_presence();
    }
}
