//! The screen-time clock: ticks, warnings, time up, limit changes and grants.

use std::time::{Duration, Instant};

use actix::prelude::*;
use chrono::Utc;

use super::{Grant, LearnerActor, OfflineTime, Refresh, Settings, StudySeconds, TimeNow};
use crate::events::ClassEvent;
use crate::events::LiveEvent;
use crate::events::ParentFrame;
use crate::flusher::Item;
use crate::protocol::{Outbound, ServerMsg, close};
use crate::screen_time::ClockEvent;
use crate::store::NotificationKind;

/// The longest a learner's actor sleeps when nothing is due: it still notices a new day, a
/// changed downtime schedule and its linger within this.
const MAX_GAP: Duration = Duration::from_secs(30);

impl LearnerActor {
    pub(super) fn push_time_to_parent(&self) {
        if let Some(parent_id) = self.parent_id.clone() {
            let frame = ParentFrame::Time {
                child_id: self.learner_id.clone(),
                time: self.clock.view(),
            };
            self.env.announce(LiveEvent::Parent { parent_id, frame });
        }
    }

    pub(super) fn time_up(&mut self) {
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

    pub(super) fn on_clock(&mut self, events: Vec<ClockEvent>) {
        for event in events {
            match event {
                ClockEvent::Warning(left) => {
                    self.broadcast(&ServerMsg::TimeWarning { left_seconds: left });
                    // The node whose seconds crossed the line tells the parent, once.
                    if self.counted_elsewhere {
                        continue;
                    }
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
                    self.announce_presence();
                    if self.counted_elsewhere {
                        continue;
                    }
                    self.notify_parent(
                        NotificationKind::TimeLimitReached,
                        format!("{} reached today's screen-time limit", self.name),
                        String::new(),
                        serde_json::json!({"limit_seconds": self.clock.allowed()}),
                    );
                    self.class_event(ClassEvent::TimeUp {
                        learner_id: self.learner_id.clone(),
                    });
                }
                ClockEvent::Time => {
                    let view = self.clock.view();
                    self.broadcast(&ServerMsg::Time(view));
                    self.push_time_to_parent();
                }
                ClockEvent::NewDay(span) => self.env.flush().push(Item::Span(span), None),
            }
        }
    }

    /// After a limit change or a grant: tell everyone, and end play at once if nothing is left.
    pub(super) fn time_changed(&mut self) {
        let now = Instant::now();
        self.clock.pushed(now);
        let view = self.clock.view();
        self.broadcast(&ServerMsg::Time(view));
        self.push_time_to_parent();
        let events = self.clock.check(now);
        self.on_clock(events);
    }

    /// Settles the clock with the other nodes (one report at a time): what this node saw is
    /// counted once, the day's total comes back, and time runs out on every node within a
    /// tick. Nobody answering, this node counts and enforces alone.
    fn share(&mut self, ctx: &mut Context<Self>) {
        let Some(shared) = self.env.shared().cloned() else {
            return;
        };
        if self.sharing {
            return;
        }
        let Some(mut report) = self.clock.report() else {
            return;
        };
        let online = !self.conns.is_empty();
        report.presence = online.then(|| self.status());
        self.said_online = online;
        self.sharing = true;
        let fut = shared.count(report.clone());
        ctx.spawn(fut.into_actor(self).map(move |counted, act, _| {
            act.sharing = false;
            match counted {
                Some(c) => {
                    act.clock.counted(&report, c);
                    act.counted_elsewhere = c.added == 0;
                }
                None => act.clock.alone(&report),
            }
            let events = act.clock.check(Instant::now());
            act.on_clock(events);
            act.counted_elsewhere = false;
        }));
    }

    /// Whether screen time is counting now: connected and active within the idle window.
    pub(super) fn counting(&self, now: Instant) -> bool {
        self.present(now)
            && now.saturating_duration_since(self.last_activity) <= self.env.config().idle_after
    }

    /// Brings the clock up to now under the state that held until now. Ticks are sparse,
    /// so this runs before presence or activity changes (the next tick counts from here).
    pub(super) fn settle(&mut self, now: Instant) {
        let present = self.present(now);
        let events = self
            .clock
            .tick(now, Utc::now(), present, self.last_activity);
        self.on_clock(events);
    }

    /// How long until the next tick: the first of the clock's next event, the next
    /// persist, a downtime window's start, the end of REST presence and the linger, at most
    /// [`MAX_GAP`] and at least the configured tick. Shared clocks tick every `tick`.
    fn tick_gap(&mut self, now: Instant) -> Duration {
        let step = self.env.config().tick;
        if self.env.shared().is_some() {
            return step;
        }
        let wall = Utc::now();
        let present = self.present(now);
        let mut gap = MAX_GAP;
        let mut due = |d: Duration| gap = gap.min(d);
        if let Some(d) = self.clock.next_due(now, wall, present, self.last_activity) {
            due(d);
        }
        if let Some(t) = self.rest_until {
            due(t.saturating_duration_since(now));
        }
        if !self.conns.is_empty()
            && let Some(at) = self.downtime.next_change(wall)
        {
            due((at - wall).to_std().unwrap_or_default());
        }
        if present && self.unpersisted() {
            due((self.last_persist + self.env.config().persist_every)
                .saturating_duration_since(now));
        }
        if !present && self.waiters.is_empty() {
            let since = self.empty_since.unwrap_or(now);
            due((since + self.env.config().linger).saturating_duration_since(now));
        }
        gap.max(step)
    }

    /// Schedules the next tick, unless one is already due sooner.
    pub(super) fn arm(&mut self, ctx: &mut Context<Self>) {
        if ctx.state() != ActorState::Running && ctx.state() != ActorState::Started {
            return;
        }
        let now = Instant::now();
        let gap = self.tick_gap(now);
        if self
            .next_tick
            .as_ref()
            .is_some_and(|(at, _)| *at <= now + gap)
        {
            return;
        }
        if let Some((_, handle)) = self.next_tick.take() {
            ctx.cancel_future(handle);
        }
        let handle = ctx.run_later(gap, |act, ctx| {
            act.next_tick = None;
            act.tick(ctx);
            act.arm(ctx);
        });
        self.next_tick = Some((now + gap, handle));
    }

    fn tick(&mut self, ctx: &mut Context<Self>) {
        let now = Instant::now();
        if self.rest_until.is_some_and(|t| t <= now) {
            self.rest_until = None;
        }
        self.check_downtime();
        let present = self.present(now);
        let events = self
            .clock
            .tick(now, Utc::now(), present, self.last_activity);
        self.on_clock(events);
        if present || self.said_online || self.clock.owes() {
            self.share(ctx);
        }
        if present && now.duration_since(self.last_persist) >= self.env.config().persist_every {
            self.persist(false);
        }
        if self.present(now) || !self.waiters.is_empty() {
            self.empty_since = None;
        } else {
            let since = *self.empty_since.get_or_insert(now);
            if now.duration_since(since) >= self.env.config().linger {
                ctx.stop();
            }
        }
    }
}

impl Handler<Settings> for LearnerActor {
    type Result = ();

    fn handle(&mut self, msg: Settings, ctx: &mut Context<Self>) {
        self.settle(Instant::now());
        self.notifications_enabled = msg.notifications_enabled;
        self.downtime.set(msg.downtime);
        self.clock.set_limit(msg.daily_limit_seconds);
        self.time_changed();
        self.check_downtime();
        self.arm(ctx);
    }
}

impl Handler<Grant> for LearnerActor {
    type Result = ();

    fn handle(&mut self, msg: Grant, ctx: &mut Context<Self>) {
        self.settle(Instant::now());
        self.clock.grant(msg.seconds);
        self.time_changed();
        self.arm(ctx);
    }
}

impl Handler<OfflineTime> for LearnerActor {
    type Result = ();

    /// Offline time counts even past the limit (it happened): the clock may go straight to
    /// time up.
    fn handle(&mut self, msg: OfflineTime, ctx: &mut Context<Self>) {
        self.settle(Instant::now());
        self.clock.add_elsewhere(msg.date, msg.seconds);
        self.time_changed();
        self.arm(ctx);
    }
}

impl Handler<Refresh> for LearnerActor {
    type Result = ();

    fn handle(&mut self, msg: Refresh, ctx: &mut Context<Self>) {
        self.settle(Instant::now());
        self.notifications_enabled = msg.notifications_enabled;
        self.downtime.set(msg.downtime);
        self.clock.set_limit(msg.daily_limit_seconds);
        self.clock.set_bonus(msg.bonus_seconds);
        self.time_changed();
        self.check_downtime();
        self.arm(ctx);
    }
}

impl Handler<TimeNow> for LearnerActor {
    type Result = MessageResult<TimeNow>;

    fn handle(&mut self, _: TimeNow, _: &mut Context<Self>) -> Self::Result {
        MessageResult(self.clock.view())
    }
}

impl Handler<StudySeconds> for LearnerActor {
    type Result = ();

    fn handle(&mut self, msg: StudySeconds, ctx: &mut Context<Self>) {
        self.history.add_study_seconds(msg.seconds);
        self.check_achievements(ctx);
    }
}
