//! One learner's screen-time clock for today, shared by all of the learner's connections.
//! Pure logic: the learner actor ticks it, and acts on the events it returns.

use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;

use crate::protocol::TimeView;
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

#[derive(Debug)]
pub struct ScreenClock {
    learner_id: String,
    tz: Tz,
    pub date: NaiveDate,
    /// Seconds used today elsewhere (earlier spans, other nodes), as loaded.
    base_used: u64,
    /// Milliseconds counted by this clock today.
    here_ms: u64,
    bonus: u64,
    limit: u64,
    warned: [bool; 2],
    up: bool,
    span_id: String,
    span_started: DateTime<Utc>,
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
        learner_id: &str,
        tz: Tz,
        date: NaiveDate,
        used_seconds: u64,
        bonus_seconds: u64,
        limit_seconds: u64,
        now: Instant,
        wall: DateTime<Utc>,
        idle_after: Duration,
        push_every: Duration,
    ) -> Self {
        let mut clock = Self {
            learner_id: learner_id.to_string(),
            tz,
            date,
            base_used: used_seconds,
            here_ms: 0,
            bonus: bonus_seconds,
            limit: limit_seconds,
            warned: [false; 2],
            up: false,
            span_id: uuid::Uuid::now_v7().to_string(),
            span_started: wall,
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

    pub fn allowed(&self) -> u64 {
        self.limit + self.bonus
    }

    pub fn left(&self) -> u64 {
        self.allowed().saturating_sub(self.used())
    }

    pub fn view(&self) -> TimeView {
        TimeView {
            used_seconds: self.used(),
            limit_seconds: self.allowed(),
            left_seconds: self.left(),
        }
    }

    pub fn is_up(&self) -> bool {
        self.left() == 0
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
        let left = self.left();
        for (i, w) in WARNINGS.iter().enumerate() {
            if left > *w {
                self.warned[i] = false;
            }
        }
        if left > 0 {
            self.up = false;
        }
    }

    pub fn set_limit(&mut self, limit_seconds: u64) {
        self.limit = limit_seconds;
        self.rearm();
    }

    pub fn grant(&mut self, seconds: u64) {
        self.bonus += seconds;
        self.rearm();
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
            self.base_used = 0;
            self.here_ms = 0;
            self.bonus = 0;
            self.span_id = uuid::Uuid::now_v7().to_string();
            self.span_started = wall;
            self.warned = [false; 2];
            self.up = false;
            events.push(ClockEvent::NewDay(finished));
        }
        let elapsed = now.saturating_duration_since(self.last_tick);
        self.last_tick = now;
        let active = present && now.saturating_duration_since(last_activity) <= self.idle_after;
        // Nothing is counted past the end of the allowance (play has stopped there).
        if !active || self.left() == 0 {
            return events;
        }
        // A stalled timer (suspended process) must not charge a child for the stall.
        self.here_ms += elapsed.min(Duration::from_secs(5)).as_millis() as u64;
        events.extend(self.check(now));
        events
    }

    /// Warnings and time-up for the current state (also called right after a change).
    pub fn check(&mut self, now: Instant) -> Vec<ClockEvent> {
        let mut events = Vec::new();
        let left = self.left();
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
mod tests {
    use super::*;

    fn clock(used: u64, limit: u64, now: Instant) -> ScreenClock {
        ScreenClock::new(
            "l1",
            Tz::UTC,
            local_date(Tz::UTC, Utc::now()),
            used,
            0,
            limit,
            now,
            Utc::now(),
            Duration::from_secs(60),
            Duration::from_secs(60),
        )
    }

    #[test]
    fn counts_only_when_present_and_not_idle() {
        let t0 = Instant::now();
        let mut c = clock(0, 3600, t0);
        let wall = Utc::now();
        c.tick(t0 + Duration::from_secs(1), wall, true, t0);
        assert_eq!(c.used(), 1);
        c.tick(t0 + Duration::from_secs(2), wall, false, t0);
        assert_eq!(c.used(), 1, "no connection, no counting");
        // Idle for more than 60 s: no counting.
        c.tick(t0 + Duration::from_secs(63), wall, true, t0);
        c.tick(t0 + Duration::from_secs(64), wall, true, t0);
        assert_eq!(c.used(), 1);
    }

    #[test]
    fn warns_at_300_and_60_then_time_up_once() {
        let t0 = Instant::now();
        let wall = Utc::now();
        let mut c = clock(3600 - 302, 3600, t0);
        let mut events = Vec::new();
        let mut t = t0;
        for _ in 0..310 {
            t += Duration::from_secs(1);
            events.extend(c.tick(t, wall, true, t));
        }
        let warnings: Vec<_> = events
            .iter()
            .filter(|e| matches!(e, ClockEvent::Warning(_)))
            .collect();
        assert_eq!(
            warnings,
            [&ClockEvent::Warning(300), &ClockEvent::Warning(60)]
        );
        assert_eq!(
            events.iter().filter(|e| **e == ClockEvent::TimeUp).count(),
            1
        );
        assert!(c.is_up());
        // A grant re-arms: time again, and the 60 s warning fires again on the way down.
        c.grant(120);
        assert_eq!(c.left(), 120);
        assert!(!c.is_up());
        let mut again = Vec::new();
        for _ in 0..60 {
            t += Duration::from_secs(1);
            again.extend(c.tick(t, wall, true, t));
        }
        assert!(again.contains(&ClockEvent::Warning(60)), "{again:?}");
    }

    #[test]
    fn a_lower_limit_is_time_up_at_once() {
        let t0 = Instant::now();
        let mut c = clock(100, 3600, t0);
        c.set_limit(50);
        assert_eq!(c.check(t0), vec![ClockEvent::TimeUp]);
        assert_eq!(c.view().left_seconds, 0);
    }
}
