use super::*;

fn w(days: &[&str], start: &str, end: &str) -> Window {
    Window::try_from(WindowSpec {
        days: days.iter().map(|d| d.to_string()).collect(),
        start: start.into(),
        end: end.into(),
    })
    .unwrap()
}

fn utc(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

const LONDON: Tz = chrono_tz::Europe::London;

#[test]
fn windows_are_checked_and_written_back_in_a_fixed_form() {
    let ok = WindowSpec {
        days: vec!["sun".into(), "MON".into(), "mon".into()],
        start: "21:30".into(),
        end: "24:00".into(),
    };
    let window = Window::try_from(ok).unwrap();
    let back = WindowSpec::from(window);
    assert_eq!(back.days, ["mon", "sun"]);
    assert_eq!((back.start.as_str(), back.end.as_str()), ("21:30", "24:00"));
    let json = serde_json::to_string(&window).unwrap();
    assert_eq!(
        json,
        r#"{"days":["mon","sun"],"start":"21:30","end":"24:00"}"#
    );
    assert_eq!(serde_json::from_str::<Window>(&json).unwrap(), window);

    let bad = |days: &[&str], start: &str, end: &str| {
        Window::try_from(WindowSpec {
            days: days.iter().map(|d| d.to_string()).collect(),
            start: start.into(),
            end: end.into(),
        })
        .unwrap_err()
        .field
    };
    assert_eq!(bad(&[], "20:00", "21:00"), "days");
    assert_eq!(bad(&["monday"], "20:00", "21:00"), "days");
    assert_eq!(bad(&["mon"], "24:00", "21:00"), "start");
    assert_eq!(bad(&["mon"], "7:00", "21:00"), "start");
    assert_eq!(bad(&["mon"], "20:60", "21:00"), "start");
    assert_eq!(bad(&["mon"], "20:00", "24:01"), "end");
    assert_eq!(bad(&["mon"], "20:00", "+1:00"), "end");
    assert_eq!(bad(&["mon"], "20:00", "20:00"), "end");
    assert!(serde_json::from_str::<Window>(r#"{"days":["mon"],"start":"x","end":"y"}"#).is_err());
}

#[test]
fn only_the_listed_weekdays_of_the_local_calendar_count() {
    // 2026-01-05 is a Monday.
    let ws = [w(&["mon"], "20:00", "22:00")];
    assert_eq!(
        until(&ws, Tz::UTC, utc("2026-01-05T21:00:00Z")),
        Some(utc("2026-01-05T22:00:00Z"))
    );
    assert_eq!(
        until(&ws, Tz::UTC, utc("2026-01-05T20:00:00Z")),
        Some(utc("2026-01-05T22:00:00Z")),
        "the start is inside"
    );
    assert_eq!(
        until(&ws, Tz::UTC, utc("2026-01-05T22:00:00Z")),
        None,
        "the end is not"
    );
    assert_eq!(until(&ws, Tz::UTC, utc("2026-01-05T19:59:59Z")), None);
    assert_eq!(
        until(&ws, Tz::UTC, utc("2026-01-06T21:00:00Z")),
        None,
        "Tuesday"
    );
    // Auckland is 13 hours ahead in January: Monday 08:30 there is Sunday 19:30 in UTC.
    let nz = chrono_tz::Pacific::Auckland;
    let ws = [w(&["mon"], "08:00", "09:00")];
    assert_eq!(
        until(&ws, nz, utc("2026-01-04T19:30:00Z")),
        Some(utc("2026-01-04T20:00:00Z"))
    );
    assert_eq!(
        until(&ws, nz, utc("2026-01-05T19:30:00Z")),
        None,
        "Tuesday there"
    );
}

#[test]
fn a_window_may_run_past_midnight_into_the_next_day() {
    // Friday 22:00 to Saturday 07:00, London in winter (UTC+0). 2026-01-09 is a Friday.
    let ws = [w(&["fri"], "22:00", "07:00")];
    let end = Some(utc("2026-01-10T07:00:00Z"));
    assert_eq!(until(&ws, LONDON, utc("2026-01-09T23:00:00Z")), end);
    assert_eq!(
        until(&ws, LONDON, utc("2026-01-10T03:00:00Z")),
        end,
        "Saturday morning"
    );
    assert_eq!(until(&ws, LONDON, utc("2026-01-09T21:59:00Z")), None);
    assert_eq!(until(&ws, LONDON, utc("2026-01-10T07:00:00Z")), None);
    assert_eq!(
        until(&ws, LONDON, utc("2026-01-10T23:00:00Z")),
        None,
        "Saturday night"
    );
    // A window ending at midnight, and the same as 00:00.
    for end in ["24:00", "00:00"] {
        let ws = [w(&["fri"], "22:00", end)];
        assert_eq!(
            until(&ws, LONDON, utc("2026-01-09T23:59:00Z")),
            Some(utc("2026-01-10T00:00:00Z"))
        );
    }
}

#[test]
fn windows_that_join_on_are_one_downtime() {
    let ws = [
        w(&["mon"], "20:00", "24:00"),
        w(&["tue"], "00:00", "07:00"),
        w(&["tue"], "06:00", "08:00"),
    ];
    assert_eq!(
        until(&ws, Tz::UTC, utc("2026-01-05T21:00:00Z")),
        Some(utc("2026-01-06T08:00:00Z"))
    );
    // Every night 21:00 to 07:00: one night at a time.
    let nightly = [w(
        &["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
        "21:00",
        "07:00",
    )];
    assert_eq!(
        until(&nightly, Tz::UTC, utc("2026-01-05T22:00:00Z")),
        Some(utc("2026-01-06T07:00:00Z"))
    );
    // Every day, all day: until the end of the window that started today (the next one joins
    // on, so it runs on: bounded, never a loop).
    let always = [w(
        &["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
        "00:00",
        "24:00",
    )];
    let end = until(&always, Tz::UTC, utc("2026-01-05T12:00:00Z")).unwrap();
    assert!(end > utc("2026-01-06T00:00:00Z"), "{end}");
}

#[test]
fn spring_forward_a_skipped_start_begins_when_the_clocks_jump() {
    // London, Sunday 2026-03-29: 01:00 GMT becomes 02:00 BST (01:00 UTC).
    let ws = [w(&["sun"], "01:30", "03:00")];
    assert_eq!(until(&ws, LONDON, utc("2026-03-29T00:59:00Z")), None);
    assert_eq!(
        until(&ws, LONDON, utc("2026-03-29T01:00:00Z")),
        Some(utc("2026-03-29T02:00:00Z")),
        "starts at the jump, ends at 03:00 BST"
    );
    // A night that loses an hour: 00:00 to 08:00 lasts seven real hours.
    let night = [w(&["sun"], "00:00", "08:00")];
    assert_eq!(
        until(&night, LONDON, utc("2026-03-29T00:00:00Z")),
        Some(utc("2026-03-29T07:00:00Z"))
    );
    // A window wholly inside the skipped hour never happens that day.
    let skipped = [w(&["sun"], "01:10", "01:50")];
    for t in [
        "2026-03-29T00:30:00Z",
        "2026-03-29T01:00:00Z",
        "2026-03-29T01:30:00Z",
    ] {
        assert_eq!(until(&skipped, LONDON, utc(t)), None, "{t}");
    }
    // New York, Sunday 2026-03-08: 02:00 EST becomes 03:00 EDT (07:00 UTC).
    let ny = chrono_tz::America::New_York;
    let ws = [w(&["sun"], "02:30", "04:00")];
    assert_eq!(until(&ws, ny, utc("2026-03-08T06:59:00Z")), None);
    assert_eq!(
        until(&ws, ny, utc("2026-03-08T07:00:00Z")),
        Some(utc("2026-03-08T08:00:00Z"))
    );
    assert_eq!(
        day_bounds(LONDON, NaiveDate::from_ymd_opt(2026, 3, 29).unwrap()),
        (utc("2026-03-29T00:00:00Z"), utc("2026-03-29T23:00:00Z")),
        "a 23-hour day"
    );
}

#[test]
fn fall_back_a_repeated_time_counts_once_at_its_first_reading() {
    // London, Sunday 2026-10-25: 02:00 BST becomes 01:00 GMT, so 01:00–02:00 comes twice
    // (first 00:00–01:00 UTC, then 01:00–02:00 UTC).
    let ws = [w(&["sun"], "01:30", "02:30")];
    assert_eq!(until(&ws, LONDON, utc("2026-10-25T00:29:00Z")), None);
    let end = Some(utc("2026-10-25T02:30:00Z"));
    assert_eq!(
        until(&ws, LONDON, utc("2026-10-25T00:30:00Z")),
        end,
        "the first 01:30"
    );
    assert_eq!(
        until(&ws, LONDON, utc("2026-10-25T01:45:00Z")),
        end,
        "the second 01:45"
    );
    // Ending at a repeated time: it ends the first time the clock reads it.
    let early = [w(&["sun"], "00:00", "01:30")];
    assert_eq!(
        until(&early, LONDON, utc("2026-10-24T23:00:00Z")),
        Some(utc("2026-10-25T00:30:00Z"))
    );
    assert_eq!(
        until(&early, LONDON, utc("2026-10-25T01:00:00Z")),
        None,
        "the second 01:00 is after the window"
    );
    assert_eq!(
        day_bounds(LONDON, NaiveDate::from_ymd_opt(2026, 10, 25).unwrap()),
        (utc("2026-10-24T23:00:00Z"), utc("2026-10-26T00:00:00Z")),
        "a 25-hour day"
    );
}

#[test]
fn the_schedule_knows_the_next_start_and_changes_at_it() {
    let ws = vec![w(&["mon"], "20:00", "22:00")];
    assert_eq!(
        next_start(&ws, Tz::UTC, utc("2026-01-05T12:00:00Z")),
        Some(utc("2026-01-05T20:00:00Z"))
    );
    assert_eq!(
        next_start(&ws, Tz::UTC, utc("2026-01-05T21:00:00Z")),
        Some(utc("2026-01-12T20:00:00Z")),
        "next week"
    );
    let mut s = Schedule::new(ws, Tz::UTC);
    assert_eq!(s.at(utc("2026-01-05T19:59:00Z")), None);
    assert_eq!(
        s.at(utc("2026-01-05T20:00:00Z")),
        Some(utc("2026-01-05T22:00:00Z"))
    );
    assert_eq!(s.at(utc("2026-01-05T22:00:00Z")), None);
    s.set(vec![w(&["mon"], "21:00", "23:00")]);
    assert_eq!(
        s.at(utc("2026-01-05T22:00:00Z")),
        Some(utc("2026-01-05T23:00:00Z")),
        "a change counts at once"
    );
    s.set(Vec::new());
    assert!(s.is_empty());
    assert_eq!(s.at(utc("2026-01-05T22:00:00Z")), None);
}
