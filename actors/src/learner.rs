//! `LearnerActor`: one per live learner, shared by all of the learner's connections (and
//! REST calls). It owns the open session (answer key, seqs, first answers), grades and
//! answers `feedback` at once, hands each answer to the flusher, and runs the learner's
//! screen-time clock.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use actix::prelude::*;
use chrono::{NaiveDate, Utc};
use chrono_tz::Tz;
use tokio::sync::{mpsc, oneshot};

use crate::achievements::{Achievement, Completion as HistoryCompletion, History};
use crate::bus::LiveEvent;
use crate::classes::ClassEvent;
use crate::content::Answer;
use crate::engine::Engine;
use crate::flusher::{Durable, Item, Unlocked};
use crate::parents::ParentFrame;
use crate::protocol::{ClientMsg, ErrorCode, OpenSessionView, Outbound, ServerMsg, close};
use crate::screen_time::{ClockEvent, ScreenClock, local_date};
use crate::session::{AnswerResult, LiveSession};
use crate::store::{
    Activity, AnswerRecord, LearnerProfile, NewSession, Notification, NotificationKind,
    ScreenTimeToday, SessionEnd, SessionSnapshot, SessionStatus, StoreError, UnlockRequest,
};

/// A new connection of this learner. The actor sends `hello` (and, with no time left,
/// `time_up` and a 4001 close) through `tx`.
#[derive(Message)]
#[rtype(result = "()")]
pub struct Connect {
    pub conn_id: u64,
    pub tx: mpsc::Sender<Outbound>,
}

#[derive(Message)]
#[rtype(result = "()")]
pub struct Disconnect {
    pub conn_id: u64,
}

/// A parsed frame from one of the learner's connections.
#[derive(Message)]
#[rtype(result = "()")]
pub struct FromClient {
    pub conn_id: u64,
    pub msg: ClientMsg,
}

/// The same engine over REST: the reply carries what a websocket would have received, and
/// for an answer a receiver that resolves once it is saved.
#[derive(Message)]
#[rtype(result = "()")]
pub struct Rest {
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
pub struct Snapshot {
    pub session_id: String,
}

/// Where the learner is, for a class monitor's first snapshot.
#[derive(Message)]
#[rtype(result = "LearnerStatus")]
pub struct Status;

#[derive(Debug, Clone, Default)]
pub struct LearnerStatus {
    pub online: bool,
    pub activity_id: Option<String>,
    pub session_id: Option<String>,
    pub answered: u32,
    pub correct: u32,
}

/// The learner's classes changed.
#[derive(Message)]
#[rtype(result = "()")]
pub struct Classes {
    pub class_ids: Vec<String>,
}

/// Study time outside activities (study pages), counted for achievements.
#[derive(Message)]
#[rtype(result = "()")]
pub struct StudySeconds {
    pub seconds: u64,
}

/// Write the screen-time span now (shutdown).
#[derive(Message)]
#[rtype(result = "()")]
pub struct Persist;

/// The clock as it stands now.
#[derive(Message)]
#[rtype(result = "crate::protocol::TimeView")]
pub struct TimeNow;

#[derive(Message)]
#[rtype(result = "()")]
pub struct Settings {
    pub daily_limit_seconds: u64,
    pub notifications_enabled: bool,
}

#[derive(Message)]
#[rtype(result = "()")]
pub struct Grant {
    pub seconds: u64,
}

/// The limit, notifications and today's grants as stored now: sent when a change raced the
/// actor's start (it may have loaded the values from before the change).
#[derive(Message)]
#[rtype(result = "()")]
pub struct Refresh {
    pub daily_limit_seconds: u64,
    pub notifications_enabled: bool,
    pub bonus_seconds: u64,
}

/// Play sockets one learner may have open at once.
pub const MAX_CONNECTIONS: usize = 5;

/// A number in [0, 1) that differs from actor to actor.
fn jitter() -> f64 {
    (uuid::Uuid::new_v4().as_u128() % 10_000) as f64 / 10_000.0
}

enum ReplyTo {
    Conn(u64),
    Rest(oneshot::Sender<RestReply>),
}

pub struct LearnerActor {
    learner_id: String,
    name: String,
    parent_id: Option<String>,
    class_ids: Vec<String>,
    history: History,
    catalog: Arc<Vec<Achievement>>,
    tz: Tz,
    pub notifications_enabled: bool,
    engine: Arc<Engine>,
    conns: HashMap<u64, mpsc::Sender<Outbound>>,
    session: Option<LiveSession>,
    clock: ScreenClock,
    last_activity: Instant,
    rest_until: Option<Instant>,
    /// REST answers waiting to be saved: (session, seq, waiter told saved or refused).
    waiters: Vec<(String, u32, oneshot::Sender<bool>)>,
    last_persist: Instant,
    empty_since: Option<Instant>,
}

impl LearnerActor {
    pub(crate) fn new(
        engine: Arc<Engine>,
        profile: LearnerProfile,
        tz: Tz,
        today: NaiveDate,
        used: ScreenTimeToday,
        session: Option<LiveSession>,
        catalog: Arc<Vec<Achievement>>,
    ) -> Self {
        let now = Instant::now();
        let persist_every = engine.config.persist_every;
        let clock = ScreenClock::new(
            &profile.id,
            tz,
            today,
            used.used_seconds,
            used.bonus_seconds,
            profile.daily_limit_seconds,
            now,
            Utc::now(),
            engine.config.idle_after,
            engine.config.push_every,
        );
        Self {
            learner_id: profile.id,
            name: profile.name,
            parent_id: profile.parent_id,
            class_ids: profile.class_ids,
            history: profile.history,
            catalog,
            tz,
            notifications_enabled: profile.notifications_enabled,
            engine,
            conns: HashMap::new(),
            session,
            clock,
            last_activity: now,
            rest_until: None,
            waiters: Vec::new(),
            // Spread persists over the interval, so learners who connected together do not
            // all write at the same second.
            last_persist: now
                .checked_sub(persist_every.mul_f64(jitter()))
                .unwrap_or(now),
            empty_since: Some(now),
        }
    }

    fn present(&self, now: Instant) -> bool {
        !self.conns.is_empty() || self.rest_until.is_some_and(|t| t > now)
    }

    /// Tells the parent's feed and the class monitors where the learner is now.
    fn announce_presence(&self) {
        let online = !self.conns.is_empty();
        let activity_id = self.session.as_ref().map(|s| s.activity.id.clone());
        if let Some(parent_id) = self.parent_id.clone() {
            let frame = ParentFrame::Presence {
                child_id: self.learner_id.clone(),
                online,
                activity_id: activity_id.clone(),
            };
            self.engine.announce(LiveEvent::Parent { parent_id, frame });
        }
        self.class_event(ClassEvent::Presence {
            learner_id: self.learner_id.clone(),
            online,
            activity_id,
            session_id: self.session.as_ref().map(|s| s.id.clone()),
        });
    }

    fn class_event(&self, event: ClassEvent) {
        for id in &self.class_ids {
            self.engine.announce(LiveEvent::Class {
                class_id: id.clone(),
                event: event.clone(),
            });
        }
    }

    /// Stores a notification for the parent (pushed unless the parent turned them off).
    fn notify_parent(
        &self,
        kind: NotificationKind,
        title: String,
        body: String,
        data: serde_json::Value,
    ) {
        let Some(parent_id) = self.parent_id.clone() else {
            return;
        };
        let notification = Notification {
            id: uuid::Uuid::now_v7().to_string(),
            parent_id: parent_id.clone(),
            child_id: self.learner_id.clone(),
            kind,
            title,
            body,
            data,
            created_at: Utc::now(),
        };
        let to = self.engine.parent(&parent_id).recipient();
        // Stored in the group commit; the notifier pushes it once it is committed.
        self.engine.flush.push(
            Item::Notification {
                notification,
                push: self.notifications_enabled,
                to,
            },
            None,
        );
    }

    fn push_time_to_parent(&self) {
        if let Some(parent_id) = self.parent_id.clone() {
            let frame = ParentFrame::Time {
                child_id: self.learner_id.clone(),
                time: self.clock.view(),
            };
            self.engine.announce(LiveEvent::Parent { parent_id, frame });
        }
    }

    /// Checks the catalog after a completion; the database decides each unlock once, and only
    /// what it stored is announced (to the child, the parent and the classes).
    fn check_achievements(&mut self, ctx: &mut Context<Self>) {
        let met: Vec<String> = self
            .history
            .newly_met(&self.catalog)
            .into_iter()
            .map(|a| a.id.clone())
            .collect();
        if met.is_empty() {
            return;
        }
        let request = UnlockRequest {
            learner_id: self.learner_id.clone(),
            achievement_ids: met,
            at: Utc::now(),
        };
        self.engine.flush.push(
            Item::Unlock {
                request,
                to: ctx.address().recipient(),
            },
            None,
        );
    }

    fn send_to(&mut self, conn_id: u64, out: Outbound) {
        if let Some(tx) = self.conns.get(&conn_id) {
            if tx.try_send(out).is_err() {
                // A connection that cannot keep up (or is gone) is dropped; its task closes.
                tracing::debug!(learner = %self.learner_id, conn_id, "dropping a connection that does not read");
                self.conns.remove(&conn_id);
            }
        }
    }

    fn broadcast(&mut self, msg: &ServerMsg) {
        if self.conns.is_empty() {
            return;
        }
        let out = Outbound::msg(msg);
        let ids: Vec<u64> = self.conns.keys().copied().collect();
        for id in ids {
            self.send_to(id, out.clone());
        }
    }

    fn reply(&mut self, to: ReplyTo, msgs: Vec<ServerMsg>, saved: Option<oneshot::Receiver<bool>>) {
        match to {
            ReplyTo::Conn(id) => {
                for m in &msgs {
                    self.send_to(id, Outbound::msg(m));
                }
            }
            ReplyTo::Rest(tx) => {
                let _ = tx.send(RestReply { msgs, saved });
            }
        }
    }

    fn error(
        &mut self,
        to: ReplyTo,
        code: ErrorCode,
        message: impl Into<String>,
        seq: Option<i64>,
    ) {
        self.reply(to, vec![ServerMsg::error(code, message, seq)], None);
    }

    fn hello(&self) -> ServerMsg {
        ServerMsg::Hello {
            learner_id: self.learner_id.clone(),
            time: self.clock.view(),
            open_session: self.session.as_ref().map(|s| OpenSessionView {
                session_id: s.id.clone(),
                activity_id: s.activity.id.clone(),
                last_saved_seq: s.last_saved_seq,
            }),
        }
    }

    fn local_date(&self) -> NaiveDate {
        local_date(self.tz, Utc::now())
    }

    fn handle_client(&mut self, msg: ClientMsg, to: ReplyTo, ctx: &mut Context<Self>) {
        let now = Instant::now();
        self.last_activity = now;
        if matches!(to, ReplyTo::Rest(_)) {
            self.rest_until = Some(now + self.engine.config.rest_presence);
            self.empty_since = None;
        }
        match msg {
            ClientMsg::Start { activity_id } => self.start_session(activity_id, to, ctx),
            ClientMsg::Resume { session_id } => self.resume(session_id, to, ctx),
            ClientMsg::Answer {
                session_id,
                seq,
                question_id,
                answer,
            } => self.answer(session_id, seq, question_id, answer, to, ctx),
            ClientMsg::Finish { session_id } => {
                if self.session.as_ref().is_some_and(|s| s.id == session_id) {
                    let completed = self.complete(SessionStatus::Completed, ctx);
                    // Connections already got `completed` from the broadcast.
                    if let ReplyTo::Rest(_) = to {
                        self.reply(to, vec![completed], None);
                    }
                } else {
                    self.error(to, ErrorCode::NoSession, "that session is not open", None);
                }
            }
        }
    }

    fn start_session(&mut self, activity_id: String, to: ReplyTo, ctx: &mut Context<Self>) {
        if self.clock.is_up() {
            return self.error(to, ErrorCode::TimeUp, "no screen time left today", None);
        }
        // The activity comes from the content cache (a database read only on a miss).
        // `wait`: no other message of this learner is handled until the session exists.
        let fut = self.engine.content.activity(&activity_id);
        ctx.wait(fut.into_actor(self).map(move |res, act, ctx| match res {
            Ok(Some(activity)) if !activity.archived => act.open_session(activity, to, ctx),
            Ok(_) => act.error(to, ErrorCode::UnknownActivity, "no such activity", None),
            Err(e) => {
                tracing::warn!(error = %e, "could not load an activity");
                act.error(
                    to,
                    ErrorCode::StorageUnavailable,
                    "could not start now; try again shortly",
                    None,
                )
            }
        }));
    }

    /// Opens a session: its row goes to the flusher ahead of its answers, so play starts at
    /// once (also while the database is away); a REST caller waits until the row is saved.
    fn open_session(&mut self, activity: Arc<Activity>, to: ReplyTo, ctx: &mut Context<Self>) {
        if self.session.is_some() {
            self.complete(SessionStatus::Abandoned, ctx);
        }
        let session_id = uuid::Uuid::now_v7().to_string();
        let started_at = Utc::now();
        self.engine.flush.push(
            Item::Start(NewSession {
                session_id: session_id.clone(),
                learner_id: self.learner_id.clone(),
                activity_id: activity.id.clone(),
                questions_total: activity.content.questions.len() as u32,
                started_at,
            }),
            Some(ctx.address().recipient()),
        );
        let session = LiveSession::new(session_id.clone(), activity, started_at);
        let started = ServerMsg::Started {
            session_id: session_id.clone(),
            activity: session.activity.public(),
            answers: Vec::new(),
            last_saved_seq: 0,
        };
        self.session = Some(session);
        let saved = self.saved_waiter(&to, &session_id, 0, true);
        self.reply(to, vec![started], saved);
        self.announce_presence();
    }

    fn started_msg(session: &LiveSession) -> ServerMsg {
        ServerMsg::Started {
            session_id: session.id.clone(),
            activity: session.activity.public(),
            answers: session.summary(),
            last_saved_seq: session.last_saved_seq,
        }
    }

    fn resume(&mut self, session_id: String, to: ReplyTo, ctx: &mut Context<Self>) {
        if let Some(s) = self.session.as_ref().filter(|s| s.id == session_id) {
            let msg = Self::started_msg(s);
            return self.reply(to, vec![msg], None);
        }
        let store = self.engine.store.clone();
        let content = self.engine.content.clone();
        let learner_id = self.learner_id.clone();
        let io = async move {
            let Some(snapshot) = store.load_session(&session_id).await? else {
                return Ok(None);
            };
            if snapshot.learner_id != learner_id {
                return Ok(None);
            }
            let activity = content.activity(&snapshot.activity_id).await?;
            Ok::<_, StoreError>(Some((snapshot, activity)))
        };
        ctx.wait(io.into_actor(self).map(move |res, act, ctx| match res {
            Ok(Some((snapshot, _))) if snapshot.status == SessionStatus::Completed => {
                let completed = ServerMsg::Completed(crate::protocol::Completion {
                    session_id: snapshot.session_id,
                    activity_id: snapshot.activity_id,
                    questions_total: snapshot.questions_total,
                    questions_correct: snapshot.questions_correct,
                    accuracy: snapshot.accuracy.unwrap_or(0.0),
                    stars: snapshot.stars.unwrap_or(1),
                    duration_seconds: snapshot.duration_seconds.unwrap_or(0),
                });
                act.reply(to, vec![completed], None);
            }
            Ok(Some((snapshot, Some(activity)))) if snapshot.status == SessionStatus::Open => {
                if act.session.is_some() {
                    act.complete(SessionStatus::Abandoned, ctx);
                }
                let session = LiveSession::from_snapshot(&snapshot, activity);
                let msg = Self::started_msg(&session);
                act.session = Some(session);
                act.reply(to, vec![msg], None);
                act.announce_presence();
            }
            Ok(_) => act.error(
                to,
                ErrorCode::NoSession,
                "no open session with that id",
                None,
            ),
            Err(e) => {
                tracing::warn!(error = %e, "could not load a session");
                act.error(
                    to,
                    ErrorCode::StorageUnavailable,
                    "could not resume now; try again shortly",
                    None,
                )
            }
        }));
    }

    fn answer(
        &mut self,
        session_id: String,
        seq: i64,
        question_id: String,
        answer: Answer,
        to: ReplyTo,
        ctx: &mut Context<Self>,
    ) {
        if self.clock.is_up() {
            return self.error(
                to,
                ErrorCode::TimeUp,
                "no screen time left today",
                Some(seq),
            );
        }
        let Some(session) = self.session.as_mut().filter(|s| s.id == session_id) else {
            return self.error(
                to,
                ErrorCode::NoSession,
                "that session is not open",
                Some(seq),
            );
        };
        // Reserve a place before grading: with the buffer full, the answer is refused and
        // its seq stays free for the resend.
        let next = session.last_seq() as i64 + 1;
        let reservation = if seq == next {
            match self.engine.flush.reserve() {
                Some(r) => Some(r),
                None => {
                    return self.error(
                        to,
                        ErrorCode::StorageUnavailable,
                        "answers cannot be saved right now; send it again shortly",
                        Some(seq),
                    );
                }
            }
        } else {
            None
        };
        match session.answer(seq, &question_id, &answer) {
            AnswerResult::Rejected(code, message) => self.error(to, code, message, Some(seq)),
            AnswerResult::Duplicate(feedback) => {
                let saved = self.saved_waiter(&to, &session_id, feedback.seq, false);
                self.reply(to, vec![ServerMsg::Feedback(feedback)], saved);
            }
            AnswerResult::New {
                feedback,
                first_attempt,
                complete,
            } => {
                let category = session.activity.category.clone();
                let record = AnswerRecord {
                    session_id: session_id.clone(),
                    learner_id: self.learner_id.clone(),
                    seq: feedback.seq,
                    question_id: feedback.question_id.clone(),
                    answer_json: serde_json::to_string(&answer).unwrap_or_default(),
                    correct: feedback.correct,
                    first_attempt,
                    answered_at: Utc::now(),
                    category,
                    local_date: self.local_date(),
                };
                let seq_u = feedback.seq;
                self.class_event(ClassEvent::Answer {
                    learner_id: self.learner_id.clone(),
                    session_id: session_id.clone(),
                    question_id: feedback.question_id.clone(),
                    correct: feedback.correct,
                    answered: feedback.progress.answered,
                    right: feedback.progress.correct,
                });
                reservation
                    .expect("a new seq always has a reservation")
                    .send(record, ctx.address().recipient());
                let mut msgs = vec![ServerMsg::Feedback(feedback)];
                let saved = self.saved_waiter(&to, &session_id, seq_u, false);
                if complete {
                    if let ReplyTo::Conn(_) = to {
                        // Feedback first, then `completed` to every connection.
                        self.reply(to, msgs, None);
                        self.complete(SessionStatus::Completed, ctx);
                        return;
                    }
                    msgs.push(self.complete(SessionStatus::Completed, ctx));
                }
                self.reply(to, msgs, saved);
            }
        }
    }

    /// For REST: a receiver that resolves once `seq` is saved (at once if it already is).
    /// Websocket clients learn it from `saved`, so they get none (nothing to track per answer).
    /// `fresh`: the item was just queued, so it cannot be saved yet (seq 0 is a new session).
    fn saved_waiter(
        &mut self,
        to: &ReplyTo,
        session_id: &str,
        seq: u32,
        fresh: bool,
    ) -> Option<oneshot::Receiver<bool>> {
        if let ReplyTo::Conn(_) = to {
            return None;
        }
        let (tx, rx) = oneshot::channel();
        let already = !fresh
            && self
                .session
                .as_ref()
                .is_some_and(|s| s.id == session_id && s.last_saved_seq >= seq);
        if already {
            let _ = tx.send(true);
        } else {
            self.waiters.push((session_id.to_string(), seq, tx));
        }
        Some(rx)
    }

    /// Ends the live session: the end goes to the flusher behind its answers, `completed`
    /// to every connection. Returns the `completed` message.
    fn complete(&mut self, status: SessionStatus, ctx: &mut Context<Self>) -> ServerMsg {
        let session = self.session.take().expect("complete needs a live session");
        let now = Utc::now();
        let c = session.completion(now);
        self.engine.flush.push(
            Item::End(SessionEnd {
                session_id: session.id.clone(),
                learner_id: self.learner_id.clone(),
                status,
                questions_answered: session.progress().answered,
                questions_correct: c.questions_correct,
                accuracy: c.accuracy,
                stars: c.stars,
                duration_seconds: c.duration_seconds,
                ended_at: now,
                category: session.activity.category.clone(),
                local_date: self.local_date(),
            }),
            None,
        );
        if status == SessionStatus::Completed {
            self.broadcast(&ServerMsg::Completed(c.clone()));
            self.class_event(ClassEvent::Completed {
                learner_id: self.learner_id.clone(),
                session_id: c.session_id.clone(),
                activity_id: c.activity_id.clone(),
                accuracy: c.accuracy,
                stars: c.stars,
            });
            self.notify_parent(
                NotificationKind::ActivityCompleted,
                format!("{} completed “{}”", self.name, session.activity.title),
                format!("{} of {} right, {} star{}", c.questions_correct, c.questions_total, c.stars, if c.stars == 1 { "" } else { "s" }),
                serde_json::json!({"session_id": c.session_id, "activity_id": c.activity_id, "accuracy": c.accuracy, "stars": c.stars}),
            );
            self.history.record(
                HistoryCompletion {
                    category: session.activity.category.clone(),
                    accuracy: c.accuracy,
                },
                self.local_date(),
                c.duration_seconds,
            );
            self.check_achievements(ctx);
        }
        self.announce_presence();
        ServerMsg::Completed(c)
    }

    fn persist(&mut self, ended: bool) {
        self.last_persist = Instant::now();
        let span = self.clock.span(ended.then(Utc::now));
        if span.seconds == 0 {
            return;
        }
        // Through the group commit like everything else the engine writes.
        self.engine.flush.push(Item::Span(span), None);
    }

    fn time_up(&mut self) {
        self.broadcast(&ServerMsg::TimeUp);
        let ids: Vec<u64> = self.conns.keys().copied().collect();
        for id in ids {
            self.send_to(
                id,
                Outbound::Close {
                    code: close::TIME_UP,
                    reason: "time_up",
                },
            );
        }
        self.conns.clear();
        self.rest_until = None;
        self.persist(false);
    }

    fn on_clock(&mut self, events: Vec<ClockEvent>) {
        for event in events {
            match event {
                ClockEvent::Warning(left) => {
                    self.broadcast(&ServerMsg::TimeWarning { left_seconds: left });
                    self.notify_parent(
                        NotificationKind::TimeWarning,
                        format!(
                            "{} has {} minute{} of screen time left today",
                            self.name,
                            left.div_ceil(60),
                            if left.div_ceil(60) == 1 { "" } else { "s" }
                        ),
                        String::new(),
                        serde_json::json!({"left_seconds": left}),
                    );
                }
                ClockEvent::TimeUp => {
                    self.time_up();
                    self.notify_parent(
                        NotificationKind::TimeLimitReached,
                        format!("{} reached today's screen-time limit", self.name),
                        String::new(),
                        serde_json::json!({"limit_seconds": self.clock.allowed()}),
                    );
                    self.class_event(ClassEvent::TimeUp {
                        learner_id: self.learner_id.clone(),
                    });
                    self.announce_presence();
                }
                ClockEvent::Time => {
                    let view = self.clock.view();
                    self.broadcast(&ServerMsg::Time(view));
                    self.push_time_to_parent();
                }
                ClockEvent::NewDay(span) => self.engine.flush.push(Item::Span(span), None),
            }
        }
    }

    /// After a limit change or a grant: tell everyone, and end play at once if nothing is left.
    fn time_changed(&mut self) {
        let now = Instant::now();
        self.clock.pushed(now);
        let view = self.clock.view();
        self.broadcast(&ServerMsg::Time(view));
        self.push_time_to_parent();
        let events = self.clock.check(now);
        self.on_clock(events);
    }

    fn tick(&mut self, ctx: &mut Context<Self>) {
        let now = Instant::now();
        if self.rest_until.is_some_and(|t| t <= now) {
            self.rest_until = None;
        }
        let present = self.present(now);
        let events = self
            .clock
            .tick(now, Utc::now(), present, self.last_activity);
        self.on_clock(events);
        if present && now.duration_since(self.last_persist) >= self.engine.config.persist_every {
            self.persist(false);
        }
        if self.present(now) || !self.waiters.is_empty() {
            self.empty_since = None;
        } else {
            let since = *self.empty_since.get_or_insert(now);
            if now.duration_since(since) >= self.engine.config.linger {
                ctx.stop();
            }
        }
    }
}

impl Actor for LearnerActor {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        ctx.run_interval(self.engine.config.tick, |act, ctx| act.tick(ctx));
    }

    fn stopped(&mut self, ctx: &mut Context<Self>) {
        self.persist(true);
        self.engine.unregister(&self.learner_id, &ctx.address());
    }
}

impl Handler<Connect> for LearnerActor {
    type Result = ();

    fn handle(&mut self, msg: Connect, _: &mut Context<Self>) {
        let hello = Outbound::msg(&self.hello());
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
        self.send_to(msg.conn_id, hello);
        if first {
            self.announce_presence();
        }
    }
}

impl Handler<Disconnect> for LearnerActor {
    type Result = ();

    fn handle(&mut self, msg: Disconnect, _: &mut Context<Self>) {
        if self.conns.remove(&msg.conn_id).is_some() {
            self.persist(false);
            if self.conns.is_empty() {
                self.announce_presence();
            }
        }
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

impl Handler<Durable> for LearnerActor {
    type Result = ();

    fn handle(&mut self, msg: Durable, _: &mut Context<Self>) {
        if let Some(s) = self.session.as_mut().filter(|s| s.id == msg.session_id) {
            s.last_saved_seq = s.last_saved_seq.max(msg.up_to_seq);
        }
        let mut i = 0;
        while i < self.waiters.len() {
            let (session, seq, _) = &self.waiters[i];
            let outcome = if *session != msg.session_id {
                None
            } else if msg.refused.contains(seq) {
                Some(false)
            } else {
                (*seq <= msg.up_to_seq).then_some(true)
            };
            match outcome {
                Some(saved) => {
                    let (_, _, tx) = self.waiters.swap_remove(i);
                    let _ = tx.send(saved);
                }
                None => i += 1,
            }
        }
        // A refused answer is never `saved`: every device hears it can never be stored.
        for seq in &msg.refused {
            self.broadcast(&ServerMsg::error(
                ErrorCode::NotSaved,
                "this answer can never be stored; play goes on",
                Some(i64::from(*seq)),
            ));
        }
        if msg.up_to_seq > 0 {
            self.broadcast(&ServerMsg::Saved {
                session_id: msg.session_id,
                up_to_seq: msg.up_to_seq,
            });
        }
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

impl Handler<Settings> for LearnerActor {
    type Result = ();

    fn handle(&mut self, msg: Settings, _: &mut Context<Self>) {
        self.notifications_enabled = msg.notifications_enabled;
        self.clock.set_limit(msg.daily_limit_seconds);
        self.time_changed();
    }
}

impl Handler<Grant> for LearnerActor {
    type Result = ();

    fn handle(&mut self, msg: Grant, _: &mut Context<Self>) {
        self.clock.grant(msg.seconds);
        self.time_changed();
    }
}

impl Handler<Refresh> for LearnerActor {
    type Result = ();

    fn handle(&mut self, msg: Refresh, _: &mut Context<Self>) {
        self.notifications_enabled = msg.notifications_enabled;
        self.clock.set_limit(msg.daily_limit_seconds);
        self.clock.set_bonus(msg.bonus_seconds);
        self.time_changed();
    }
}

impl Handler<TimeNow> for LearnerActor {
    type Result = MessageResult<TimeNow>;

    fn handle(&mut self, _: TimeNow, _: &mut Context<Self>) -> Self::Result {
        MessageResult(self.clock.view())
    }
}

impl Handler<Status> for LearnerActor {
    type Result = MessageResult<Status>;

    fn handle(&mut self, _: Status, _: &mut Context<Self>) -> Self::Result {
        let progress = self.session.as_ref().map(|s| s.progress());
        MessageResult(LearnerStatus {
            online: !self.conns.is_empty(),
            activity_id: self.session.as_ref().map(|s| s.activity.id.clone()),
            session_id: self.session.as_ref().map(|s| s.id.clone()),
            answered: progress.map_or(0, |p| p.answered),
            correct: progress.map_or(0, |p| p.correct),
        })
    }
}

impl Handler<Classes> for LearnerActor {
    type Result = ();

    fn handle(&mut self, msg: Classes, _: &mut Context<Self>) {
        self.class_ids = msg.class_ids;
        self.announce_presence();
    }
}

impl Handler<StudySeconds> for LearnerActor {
    type Result = ();

    fn handle(&mut self, msg: StudySeconds, ctx: &mut Context<Self>) {
        self.history.add_study_seconds(msg.seconds);
        self.check_achievements(ctx);
    }
}

impl Handler<Unlocked> for LearnerActor {
    type Result = ();

    /// Only what this commit stored first is announced: to the child, the parent, the classes.
    fn handle(&mut self, msg: Unlocked, _: &mut Context<Self>) {
        let catalog = self.catalog.clone();
        for a in catalog
            .iter()
            .filter(|a| msg.achievement_ids.contains(&a.id))
        {
            self.broadcast(&ServerMsg::Achievement {
                achievement: a.view(),
            });
            self.notify_parent(
                NotificationKind::AchievementUnlocked,
                format!("{} unlocked “{}”", self.name, a.title),
                a.description.clone(),
                serde_json::json!({"achievement_id": a.id, "reward_points": a.reward_points, "badge_icon_url": a.badge_icon_url}),
            );
            self.class_event(ClassEvent::Achievement {
                learner_id: self.learner_id.clone(),
                achievement: a.view(),
            });
        }
    }
}

impl Handler<Persist> for LearnerActor {
    type Result = ();

    fn handle(&mut self, _: Persist, _: &mut Context<Self>) {
        self.persist(false);
    }
}
