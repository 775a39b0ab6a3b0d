//! The clock: counting, warnings, time up, sharing a budget, no limit.

use super::*;

fn clock(used: u64, limit: u64, now: Instant) -> ScreenClock {
    ScreenClock::new(
        &"l1".into(),
        Tz::UTC,
        local_date(Tz::UTC, Utc::now()),
        used,
        0,
        Some(limit),
        now,
        Utc::now(),
        Duration::from_secs(60),
        Duration::from_secs(60),
    )
}

#[test]
fn without_a_limit_two_hours_count_and_nothing_runs_out() {
    let t0 = Instant::now();
    let wall = Utc::now()
        .date_naive()
        .and_hms_opt(8, 0, 0)
        .unwrap()
        .and_utc();
    let mut c = ScreenClock::new(
        &"student".into(),
        Tz::UTC,
        local_date(Tz::UTC, wall),
        3500,
        0,
        None,
        t0,
        wall,
        Duration::from_secs(60),
        Duration::from_secs(60),
    );
    let mut events = Vec::new();
    // Two hours of play, active every 30 s, ticking when the clock asks.
    let mut at = t0;
    while at < t0 + Duration::from_secs(7200) {
        let due = c.next_due(at, wall, true, at).expect("counting");
        assert!(
            due <= Duration::from_secs(60),
            "pushes keep coming: {due:?}"
        );
        at += due.min(Duration::from_secs(30));
        events.extend(c.tick(at, wall, true, at - Duration::from_secs(1)));
    }
    assert!(c.used() >= 3500 + 7190, "{}", c.used());
    assert!(!c.is_up());
    assert!(
        events.iter().all(|e| matches!(e, ClockEvent::Time)),
        "only time pushes: {events:?}"
    );
    assert_eq!(c.view().limit_seconds, None);
    assert_eq!(c.view().left_seconds, None);
    // A goal the student sets later is a limit like a child's.
    c.set_limit(Some(3600));
    assert_eq!(c.check(at), [ClockEvent::TimeUp]);
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
    // Connected again at 3 s, last active at 0: counted up to the end of the idle window
    // (60 s), not after it.
    c.tick(t0 + Duration::from_secs(3), wall, false, t0);
    c.tick(t0 + Duration::from_secs(63), wall, true, t0);
    assert_eq!(c.used(), 58);
    c.tick(t0 + Duration::from_secs(64), wall, true, t0);
    assert_eq!(c.used(), 58, "idle for more than 60 s: no counting");
}

#[test]
fn the_next_tick_is_due_at_the_first_of_idle_end_warning_push_and_time_up() {
    let t0 = Instant::now();
    // Midday, so that the end of the day is never the first thing due.
    let wall = Utc::now()
        .date_naive()
        .and_hms_opt(12, 0, 0)
        .unwrap()
        .and_utc();
    let secs = Duration::from_secs;
    // 1 000 s left: the 60 s push comes first, then the idle window's end.
    let mut c = clock(2600, 3600, t0);
    assert_eq!(c.next_due(t0, wall, true, t0), Some(secs(60)));
    c.pushed(t0 + secs(30));
    assert_eq!(c.next_due(t0 + secs(10), wall, true, t0), Some(secs(50)));
    // 320 s left: the 300 s warning is 20 s away.
    let c = clock(3600 - 320, 3600, t0);
    assert_eq!(c.next_due(t0, wall, true, t0), Some(secs(20)));
    // 5 s left: time up in 5 s.
    let c = clock(3595, 3600, t0);
    assert_eq!(c.next_due(t0, wall, true, t0), Some(secs(5)));
    // Not counting: absent, idle, or nothing left.
    assert_eq!(c.next_due(t0, wall, false, t0), None);
    assert_eq!(c.next_due(t0 + secs(61), wall, true, t0), None);
    assert_eq!(clock(3600, 3600, t0).next_due(t0, wall, true, t0), None);
    // Ticking at those moments fires what was due, as ticking every second did.
    let mut c = clock(3600 - 320, 3600, t0);
    let mut t = t0;
    let mut events = Vec::new();
    while let Some(due) = c.next_due(t, wall, true, t) {
        t += due;
        events.extend(c.tick(t, wall, true, t));
    }
    let kinds: Vec<_> = events
        .into_iter()
        .filter(|e| !matches!(e, ClockEvent::Time))
        .collect();
    assert_eq!(
        kinds,
        [
            ClockEvent::Warning(300),
            ClockEvent::Warning(60),
            ClockEvent::TimeUp
        ]
    );
    assert_eq!(t - t0, secs(320), "time up exactly when the time ran out");
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
    assert_eq!(c.left(), Some(120));
    assert!(!c.is_up());
    let mut again = Vec::new();
    for _ in 0..60 {
        t += Duration::from_secs(1);
        again.extend(c.tick(t, wall, true, t));
    }
    assert!(again.contains(&ClockEvent::Warning(60)), "{again:?}");
}

#[test]
fn two_nodes_sharing_a_budget_count_each_second_once() {
    use crate::shared::{DayCount, count_rule};
    let t0 = Instant::now();
    let wall0 = Utc::now();
    let (mut a, mut b) = (clock(0, 10, t0), clock(0, 10, t0));
    a.share();
    b.share();
    let mut day: Option<DayCount> = None;
    let mut settle = |c: &mut ScreenClock, away: bool| {
        let r = c.report().unwrap();
        if away {
            c.alone(&r);
        } else {
            let (d, counted) = count_rule(day, &r);
            day = Some(d);
            c.counted(&r, counted);
        }
    };
    // Both devices active for 6 s: 6 s used, not 12.
    for i in 1..=6 {
        let (t, wall) = (
            t0 + Duration::from_secs(i),
            wall0 + chrono::Duration::seconds(i as i64),
        );
        a.tick(t, wall, true, t);
        b.tick(t, wall, true, t);
        settle(&mut a, false);
        settle(&mut b, false);
    }
    assert_eq!((a.used(), b.used()), (6, 6));
    assert_eq!(
        a.span(None).seconds + b.span(None).seconds,
        6,
        "each second stored once"
    );
    // The shared counter is away for 2 s: each node counts alone, then adds it.
    for i in 7..=8 {
        let (t, wall) = (
            t0 + Duration::from_secs(i),
            wall0 + chrono::Duration::seconds(i as i64),
        );
        a.tick(t, wall, true, t);
        settle(&mut a, true);
    }
    assert_eq!((a.used(), b.used()), (8, 6));
    // Back: b only reads, and hears a's seconds.
    let (t, wall) = (
        t0 + Duration::from_secs(9),
        wall0 + chrono::Duration::seconds(9),
    );
    a.tick(t, wall, true, t);
    settle(&mut a, false);
    b.tick(t, wall, false, t);
    settle(&mut b, false);
    assert_eq!((a.used(), b.used()), (9, 9));
    // The last second: b, idle, is told time is up too.
    let (t, wall) = (
        t0 + Duration::from_secs(10),
        wall0 + chrono::Duration::seconds(10),
    );
    a.tick(t, wall, true, t);
    settle(&mut a, false);
    settle(&mut b, false);
    assert!(a.is_up() && b.is_up());
    assert_eq!(b.check(t), vec![ClockEvent::TimeUp]);
}

#[test]
fn a_lower_limit_is_time_up_at_once() {
    let t0 = Instant::now();
    let mut c = clock(100, 3600, t0);
    c.set_limit(Some(50));
    assert_eq!(c.check(t0), vec![ClockEvent::TimeUp]);
    assert_eq!(c.view().left_seconds, Some(0));
}
