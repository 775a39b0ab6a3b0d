//! One learner's screen-time clock for today, shared by all of the learner's connections.
//! Pure logic: the learner actor ticks it, and acts on the events it returns.

use crate::ids::LearnerId;
use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;

use crate::protocol::TimeView;
use crate::shared::{Counted, Report};
use crate::store::ScreenTimeSpan;

/// Warnings are pushed when this much time is left.
pub const WARNINGS: [u64; 2] = [300, 60];

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClockEvent {
    /// `left_seconds` crossed one of [`WARNINGS`].
    Warning(u64),
    /// Nothing left.
    TimeUp,
    /// The periodic `time` push is due.
    Time,
    /// The learner's local date changed; the finished span of yesterday is returned.
    NewDay(ScreenTimeSpan),
}

/// Counting shared with other nodes: what this clock saw and has not told them yet.
#[derive(Debug, Default)]
struct Unreported {
    /// The last wall-clock second seen active.
    to: i64,
    seconds: u64,
    /// Seconds counted alone (the shared counter was away), to be added to it.
    alone: u64,
}

#[derive(Debug)]
pub struct ScreenClock {
    learner_id: LearnerId,
    tz: Tz,
    pub date: NaiveDate,
    /// Seconds used today elsewhere (earlier spans, other nodes), as loaded.
    base_used: u64,
    /// Milliseconds counted by this clock today (shared: the seconds this node added).
    here_ms: u64,
    /// Set when several nodes share the learner's budget (see `crate::shared`).
    shared: Option<Unreported>,
    /// The wall-clock second of the last tick.
    last_wall: i64,
    bonus: u64,
    /// `None`: no daily limit (a student who set none): nothing runs out.
    limit: Option<u64>,
    warned: [bool; 2],
    up: bool,
    span_id: String,
    span_started: DateTime<Utc>,
    /// When the local `date` ends.
    day_ends: DateTime<Utc>,
    last_tick: Instant,
    last_push: Instant,
    idle_after: Duration,
    push_every: Duration,
}

pub fn parse_tz(name: &str) -> Tz {
    name.parse().unwrap_or(Tz::UTC)
}

pub fn local_date(tz: Tz, at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&tz).date_naive()
}

impl ScreenClock {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        learner_id: &LearnerId,
        tz: Tz,
        date: NaiveDate,
        used_seconds: u64,
        bonus_seconds: u64,
        limit_seconds: Option<u64>,
        now: Instant,
        wall: DateTime<Utc>,
        idle_after: Duration,
        push_every: Duration,
    ) -> Self {
        let mut clock = Self {
            learner_id: learner_id.clone(),
            tz,
            date,
            base_used: used_seconds,
            here_ms: 0,
            shared: None,
            last_wall: wall.timestamp(),
            bonus: bonus_seconds,
            limit: limit_seconds,
            warned: [false; 2],
            up: false,
            span_id: uuid::Uuid::now_v7().to_string(),
            span_started: wall,
            day_ends: crate::downtime_windows::day_bounds(tz, date).1,
            last_tick: now,
            last_push: now,
            idle_after,
            push_every,
        };
        clock.rearm();
        clock
    }

    pub fn used(&self) -> u64 {
        self.base_used + self.here_ms / 1000
    }

    /// Today's limit with the grants; `None` without a limit.
    pub fn allowed(&self) -> Option<u64> {
        self.limit.map(|l| l + self.bonus)
    }

    /// `None` without a limit.
    pub fn left(&self) -> Option<u64> {
        self.allowed().map(|a| a.saturating_sub(self.used()))
    }

    pub fn view(&self) -> TimeView {
        TimeView {
            used_seconds: self.used(),
            limit_seconds: self.allowed(),
            left_seconds: self.left(),
        }
    }

    pub fn is_up(&self) -> bool {
        self.left() == Some(0)
    }

    /// This clock's span of today, for persisting.
    pub fn span(&self, ended_at: Option<DateTime<Utc>>) -> ScreenTimeSpan {
        ScreenTimeSpan {
            id: self.span_id.clone(),
            learner_id: self.learner_id.clone(),
            date: self.date,
            started_at: self.span_started,
            ended_at,
            seconds: self.here_ms / 1000,
        }
    }

    /// Forget warnings whose threshold is above what is left again (after a grant or a
    /// higher limit), so they fire again on the way down.
    fn rearm(&mut self) {
        let left = self.left().unwrap_or(u64::MAX);
        for (i, w) in WARNINGS.iter().enumerate() {
            if left > *w {
                self.warned[i] = false;
            }
        }
        if left > 0 {
            self.up = false;
        }
    }

    pub fn set_limit(&mut self, limit_seconds: Option<u64>) {
        self.limit = limit_seconds;
        self.rearm();
    }

    pub fn grant(&mut self, seconds: u64) {
        self.bonus += seconds;
        self.rearm();
    }

    /// Seconds counted somewhere else on `date` (a device's offline play, already stored): part
    /// of today's used time from now on. Another day's seconds change nothing here.
    pub fn add_elsewhere(&mut self, date: NaiveDate, seconds: u64) {
        // With a shared counter (several nodes), its total replaces `base_used` at the next
        // report: the counter itself is told by the sync (`shared_counts::add_elsewhere`).
        if date == self.date {
            self.base_used += seconds;
        }
    }

    /// Today's grants as the database has them (a grant that raced the actor's start).
    pub fn set_bonus(&mut self, bonus_seconds: u64) {
        self.bonus = bonus_seconds;
        self.rearm();
    }

    /// Advances the clock. Time counts only while `present` (a connection is open) and the
    /// learner did something within the idle window (`last_activity`).
    pub fn tick(
        &mut self,
        now: Instant,
        wall: DateTime<Utc>,
        present: bool,
        last_activity: Instant,
    ) -> Vec<ClockEvent> {
        let mut events = Vec::new();
        let today = local_date(self.tz, wall);
        if today != self.date {
            let finished = self.span(Some(wall));
            self.date = today;
            self.day_ends = crate::downtime_windows::day_bounds(self.tz, today).1;
            self.base_used = 0;
            self.here_ms = 0;
            if let Some(u) = &mut self.shared {
                *u = Unreported::default();
            }
            self.bonus = 0;
            self.span_id = uuid::Uuid::now_v7().to_string();
            self.span_started = wall;
            self.warned = [false; 2];
            self.up = false;
            events.push(ClockEvent::NewDay(finished));
        }
        let since = std::mem::replace(&mut self.last_tick, now);
        let wall_s = wall.timestamp();
        let from = std::mem::replace(&mut self.last_wall, wall_s);
        // Nothing is counted past the end of the allowance (play has stopped there).
        if !present || self.is_up() {
            return events;
        }
        let active_until = last_activity + self.idle_after;
        match &mut self.shared {
            // Ticks come only when something is due (see `next_due`), and the actor ticks
            // before presence or activity changes: the time since the last tick counts up to
            // the end of the idle window. That window also bounds what a stalled timer (a
            // suspended process) can charge.
            None => {
                let counted = now.min(active_until).saturating_duration_since(since);
                if counted.is_zero() {
                    return events;
                }
                self.here_ms += counted.as_millis() as u64;
            }
            // Whole wall-clock seconds, so that nodes agree which second they saw (shared
            // clocks tick every second).
            Some(u) => {
                if now > active_until {
                    return events;
                }
                let seconds = (wall_s - from).clamp(0, 5) as u64;
                if seconds > 0 {
                    u.seconds += seconds;
                    u.to = wall_s;
                }
            }
        }
        events.extend(self.check(now));
        events
    }

    /// How long until this clock needs a tick: the end of the idle window, the next warning,
    /// time up, the next `time` push or the end of the local day. `None` while it is not
    /// counting (absent, idle or nothing left), or when it is shared (those tick every second).
    pub fn next_due(
        &self,
        now: Instant,
        wall: DateTime<Utc>,
        present: bool,
        last_activity: Instant,
    ) -> Option<Duration> {
        let left = self.left();
        let active_until = last_activity + self.idle_after;
        if self.shared.is_some() || !present || left == Some(0) || now >= active_until {
            return None;
        }
        let secs = Duration::from_secs;
        let warning = WARNINGS
            .iter()
            .filter_map(|w| left.filter(|l| l > w).map(|l| secs(l - w)));
        let day_ends = (self.day_ends - wall).to_std().unwrap_or_default();
        [
            active_until - now,
            left.map_or(Duration::MAX, secs),
            (self.last_push + self.push_every).saturating_duration_since(now),
            day_ends,
        ]
        .into_iter()
        .chain(warning)
        .min()
    }

    /// Seconds this clock counted today (what a span of it holds).
    pub fn counted_seconds(&self) -> u64 {
        self.here_ms / 1000
    }

    /// From now on the budget is shared with other nodes: ticks note what they saw, and
    /// [`Self::report`] / [`Self::counted`] settle it with the shared counter.
    pub fn share(&mut self) {
        self.shared.get_or_insert_with(Unreported::default);
    }

    /// Seconds counted alone are waiting to be added to the shared counter.
    pub fn owes(&self) -> bool {
        self.shared.as_ref().is_some_and(|u| u.alone > 0)
    }

    /// What to tell the shared counter now (what was seen since the last report is taken;
    /// [`Self::alone`] gives it back if nobody answers).
    pub fn report(&mut self) -> Option<Report> {
        let seed = self.used();
        // No limit: nothing caps the day's total.
        let cap = self.allowed().unwrap_or(u64::MAX);
        let u = self.shared.as_mut()?;
        Some(Report {
            learner_id: self.learner_id.clone(),
            date: self.date,
            to: u.to,
            seconds: std::mem::take(&mut u.seconds),
            alone: std::mem::take(&mut u.alone),
            seed,
            cap,
            presence: None,
        })
    }

    /// The shared counter's answer: today's total, of which `added` seconds are this node's.
    pub fn counted(&mut self, report: &Report, counted: Counted) {
        if report.date != self.date {
            return;
        }
        self.here_ms += counted.added * 1000;
        self.base_used = counted.used.saturating_sub(self.here_ms / 1000);
    }

    /// Nobody answered `report`: what it saw counts here alone (this node enforces on its
    /// own), and is added to the shared counter once it answers again.
    pub fn alone(&mut self, report: &Report) {
        if report.date != self.date {
            return;
        }
        let seconds = report.seconds.min(self.left().unwrap_or(u64::MAX));
        self.here_ms += seconds * 1000;
        if let Some(u) = &mut self.shared {
            u.alone += seconds + report.alone;
        }
    }

    /// Warnings and time-up for the current state (also called right after a change).
    pub fn check(&mut self, now: Instant) -> Vec<ClockEvent> {
        let mut events = Vec::new();
        let Some(left) = self.left() else {
            // No limit: only the regular `time` push.
            if now.saturating_duration_since(self.last_push) >= self.push_every {
                self.last_push = now;
                events.push(ClockEvent::Time);
            }
            return events;
        };
        if left == 0 {
            if !self.up {
                self.up = true;
                self.warned = [true; 2];
                events.push(ClockEvent::TimeUp);
            }
            return events;
        }
        // The lowest threshold reached wins; the ones above it are then spent too.
        if let Some(i) = WARNINGS.iter().rposition(|w| left <= *w)
            && !self.warned[i]
        {
            for w in self.warned.iter_mut().take(i + 1) {
                *w = true;
            }
            events.push(ClockEvent::Warning(left));
        }
        if now.saturating_duration_since(self.last_push) >= self.push_every {
            self.last_push = now;
            events.push(ClockEvent::Time);
        }
        events
    }

    pub fn pushed(&mut self, now: Instant) {
        self.last_push = now;
    }
}

#[cfg(test)]
mod tests;
