//! `LearnerActor`: one per live learner, shared by all of the learner's connections (and
//! REST calls). It owns the open session (answer key, seqs, first answers), grades and
//! answers `feedback` at once, hands each answer to the flusher, and runs the learner's
//! screen-time clock.

//!
//! The actor is split by concern: `messages` (what the rest of the engine sends it),
//! `play` (sessions and answers), `clock` (screen time), `enforce_downtime` (no play inside
//! the parent's windows), `requests` (asking the parent for more time), `fanout` (presence,
//! parent notifications, achievements), `game` (a class game's session) and `played` (what to
//! play next, from the completions the actor keeps). What it may use of the engine is
//! `env` ([`LearnerEnv`]), not the engine itself.

mod clock;
mod enforce_downtime;
mod env;
mod fanout;
mod game;
mod handle;
mod messages;
pub mod offline;
mod play;
mod played;
pub mod requests;
mod resume;

pub use handle::Learner;
pub use messages::*;
pub use played::NextFor;
pub(crate) use played::next_activity_for;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use actix::prelude::*;
use chrono::{NaiveDate, Utc};
use chrono_tz::Tz;
use tokio::sync::oneshot;

use crate::outbox::OutboxTx;

pub(crate) use self::env::LearnerEnv;
use crate::achievements::{Achievement, History};
use crate::downtime_windows::Schedule;
use crate::ids::{ClassId, LearnerId, Seq, SessionId};
use crate::protocol::{Completion, ErrorCode, OpenSessionView, Outbound, ServerMsg};
use crate::screen_time::{ScreenClock, local_date};
use crate::session::LiveSession;
use crate::store::{LearnerProfile, ScreenTimeToday, SessionStatus};

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
    learner_id: LearnerId,
    name: String,
    parent_id: Option<String>,
    class_ids: Vec<ClassId>,
    history: History,
    catalog: Arc<Vec<Achievement>>,
    tz: Tz,
    pub notifications_enabled: bool,
    env: Arc<dyn LearnerEnv>,
    conns: HashMap<u64, OutboxTx>,
    session: Option<LiveSession>,
    /// The session this actor ended last and how: a `resume` of it answers from here, as its
    /// end may not be in the database yet (a stale snapshot would reopen it). Boxed, as is
    /// `game`: both are rarely set, and every connected learner's actor is kept in memory.
    ended: Option<Box<(SessionId, SessionStatus, Completion)>>,
    clock: ScreenClock,
    downtime: Schedule,
    last_activity: Instant,
    rest_until: Option<Instant>,
    /// REST answers waiting to be saved: (session, seq, waiter told saved or refused).
    waiters: Vec<(SessionId, Seq, oneshot::Sender<bool>)>,
    last_persist: Instant,
    empty_since: Option<Instant>,
    /// The class game this learner plays in, if any.
    game: Option<Box<game::GameLink>>,
    /// When wrong game PINs were tried in the last minute (ten close the socket: guessing).
    wrong_pins: Vec<Instant>,
    /// Completions, for the next activity (read once when first asked).
    played: played::Played,
    /// Sharing with other nodes (see `crate::shared`): a report is on its way,
    sharing: bool,
    /// the other nodes were last told the learner is connected here,
    said_online: bool,
    /// and the clock's last change came from another node's seconds (it tells the parent).
    counted_elsewhere: bool,
    /// The seq last refused as busy (session, seq): answers pipelined behind it are refused
    /// alike until it comes again.
    shed: Option<(SessionId, Seq)>,
    /// The next tick: ticks come when something is due (see `clock::tick_gap`), not every
    /// second, so an idle learner costs a wake every half minute.
    next_tick: Option<(Instant, SpawnHandle)>,
    /// The screen-time span as last handed to the flusher (id, seconds): not written again
    /// while it is unchanged.
    persisted: Option<(String, u64)>,
    /// Offline sessions this actor completed from a sync (the last seq and the result): a
    /// sync sent again before that end is committed gets the same answer, counted once.
    offline_done: HashMap<SessionId, (Seq, Completion)>,
}

impl LearnerActor {
    pub(crate) fn new(
        env: Arc<dyn LearnerEnv>,
        profile: LearnerProfile,
        tz: Tz,
        today: NaiveDate,
        used: ScreenTimeToday,
        session: Option<LiveSession>,
        catalog: Arc<Vec<Achievement>>,
    ) -> Self {
        let now = Instant::now();
        let persist_every = env.config().persist_every;
        let mut clock = ScreenClock::new(
            &profile.id,
            tz,
            today,
            used.used_seconds,
            used.bonus_seconds,
            profile.daily_limit_seconds,
            now,
            Utc::now(),
            env.config().idle_after,
            env.config().push_every,
        );
        if env.shared().is_some() {
            clock.share();
        }
        Self {
            downtime: Schedule::new(profile.downtime, tz),
            learner_id: profile.id,
            name: profile.name,
            parent_id: profile.parent_id,
            class_ids: profile.class_ids,
            history: profile.history,
            catalog,
            tz,
            notifications_enabled: profile.notifications_enabled,
            env,
            conns: HashMap::new(),
            session,
            ended: None,
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
            game: None,
            wrong_pins: Vec::new(),
            played: played::Played::default(),
            sharing: false,
            said_online: false,
            counted_elsewhere: false,
            shed: None,
            next_tick: None,
            persisted: None,
            offline_done: HashMap::new(),
        }
    }

    fn send_to(&mut self, conn_id: u64, out: Outbound) {
        if let Some(tx) = self.conns.get(&conn_id)
            && tx.try_send(out).is_err()
        {
            // A connection that cannot keep up (or is gone) is dropped; its task closes.
            tracing::debug!(learner = %self.learner_id, conn_id, "dropping a connection that does not read");
            self.conns.remove(&conn_id);
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
            open_games: self.env.open_games(&self.class_ids),
        }
    }

    fn local_date(&self) -> NaiveDate {
        local_date(self.tz, Utc::now())
    }
}

impl Actor for LearnerActor {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        crate::lag::watch_this_thread();
        self.arm(ctx);
    }

    fn stopped(&mut self, ctx: &mut Context<Self>) {
        self.persist(true);
        if self.said_online
            && let Some(shared) = self.env.shared()
        {
            shared.set_presence(&self.learner_id, None);
        }
        self.env.unregister(&self.learner_id, &ctx.address());
    }
}
