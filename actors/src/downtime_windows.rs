//! Downtime: weekly windows of the child's local time in which there is no play. Pure logic:
//! the learner actor asks [`Schedule::at`] whether an instant is inside a window, and until when.
//!
//! A window `{days, start, end}` starts on each of `days` at `start` (local time) and ends at
//! `end` the same day, or the next day when `end` is not after `start` (it crosses midnight);
//! `end` may be `24:00`. Local times become instants by one rule, also on daylight-saving days:
//! a time is the first instant at which the local clock reads it, or, inside the hour the
//! clocks skip, the first instant after the skip. So a window never starts twice on the day
//! the clocks go back, and one that starts in the skipped hour starts when the clocks jump.

use chrono::{DateTime, Datelike, Duration, LocalResult, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

/// At most this many windows per child.
pub const MAX_WINDOWS: usize = 14;

const DAY_NAMES: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
const MINUTES_PER_DAY: u16 = 24 * 60;

/// A window as clients send it: `{"days": ["mon", …], "start": "HH:MM", "end": "HH:MM"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WindowSpec {
    pub days: Vec<String>,
    pub start: String,
    pub end: String,
}

/// A checked window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "WindowSpec", into = "WindowSpec")]
pub struct Window {
    /// Bit `i` set: the window starts on weekday `i` (0 is Monday).
    days: u8,
    /// Minutes after local midnight, 0..1440.
    start: u16,
    /// Minutes after local midnight, 0..=1440; not after `start` means the next day.
    end: u16,
}

/// Why a window is refused: the field (`days`, `start` or `end`) and a reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WindowError {
    pub field: &'static str,
    pub reason: String,
}

impl std::fmt::Display for WindowError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.field, self.reason)
    }
}

/// `HH:MM` as minutes after midnight; `24:00` only where `allow_24` (an end).
fn parse_hhmm(s: &str, allow_24: bool) -> Option<u16> {
    let (h, m) = s.split_once(':')?;
    if h.len() != 2 || m.len() != 2 || !h.bytes().chain(m.bytes()).all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (h, m): (u16, u16) = (h.parse().ok()?, m.parse().ok()?);
    match (h, m) {
        (0..=23, 0..=59) => Some(h * 60 + m),
        (24, 0) if allow_24 => Some(MINUTES_PER_DAY),
        _ => None,
    }
}

fn hhmm(minutes: u16) -> String {
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

impl TryFrom<WindowSpec> for Window {
    type Error = WindowError;

    fn try_from(spec: WindowSpec) -> Result<Self, WindowError> {
        let mut days = 0u8;
        for d in &spec.days {
            let name = d.trim().to_ascii_lowercase();
            let Some(i) = DAY_NAMES.iter().position(|n| *n == name) else {
                return Err(WindowError {
                    field: "days",
                    reason: format!("{d:?} is not a day; use mon, tue, wed, thu, fri, sat, sun"),
                });
            };
            days |= 1 << i;
        }
        if days == 0 {
            return Err(WindowError {
                field: "days",
                reason: "at least one day".into(),
            });
        }
        let start = parse_hhmm(spec.start.trim(), false).ok_or_else(|| WindowError {
            field: "start",
            reason: "a local time HH:MM from 00:00 to 23:59".into(),
        })?;
        let end = parse_hhmm(spec.end.trim(), true).ok_or_else(|| WindowError {
            field: "end",
            reason: "a local time HH:MM from 00:00 to 24:00".into(),
        })?;
        if end == start {
            return Err(WindowError {
                field: "end",
                reason: "must differ from start (for a whole day use 00:00 to 24:00)".into(),
            });
        }
        Ok(Window { days, start, end })
    }
}

impl From<Window> for WindowSpec {
    fn from(w: Window) -> Self {
        WindowSpec {
            days: DAY_NAMES
                .iter()
                .enumerate()
                .filter(|(i, _)| w.days & (1 << i) != 0)
                .map(|(_, n)| n.to_string())
                .collect(),
            start: hhmm(w.start),
            end: hhmm(w.end),
        }
    }
}

/// The instant at which the local clock first reads `local`, or the first instant after the
/// skipped time it falls in.
pub fn resolve(tz: Tz, local: NaiveDateTime) -> DateTime<Utc> {
    match tz.from_local_datetime(&local) {
        LocalResult::Single(t) => t.with_timezone(&Utc),
        LocalResult::Ambiguous(a, b) => a.min(b).with_timezone(&Utc),
        LocalResult::None => {
            // Skipped: the clocks jump at a whole minute, so the first minute that exists after
            // `local` is the jump itself. Bounded: no zone skips more than a day.
            let mut t = local;
            for _ in 0..(2 * MINUTES_PER_DAY) {
                t += Duration::minutes(1);
                if let Some(at) = tz.from_local_datetime(&t).earliest() {
                    return at.with_timezone(&Utc);
                }
            }
            local.and_utc()
        }
    }
}

/// The start and end instants of the child's local day `date`.
pub fn day_bounds(tz: Tz, date: NaiveDate) -> (DateTime<Utc>, DateTime<Utc>) {
    let midnight = |d: NaiveDate| resolve(tz, d.and_hms_opt(0, 0, 0).expect("midnight exists"));
    (midnight(date), midnight(date + Duration::days(1)))
}

impl Window {
    fn on(&self, date: NaiveDate) -> bool {
        self.days & (1 << date.weekday().num_days_from_monday()) != 0
    }

    /// The window that starts on local `date` (whether or not `date` is one of its days).
    fn span(&self, tz: Tz, date: NaiveDate) -> (DateTime<Utc>, DateTime<Utc>) {
        let midnight = date.and_hms_opt(0, 0, 0).expect("midnight exists");
        let start = resolve(tz, midnight + Duration::minutes(self.start.into()));
        let end_day = if self.end > self.start {
            midnight
        } else {
            midnight + Duration::days(1)
        };
        (
            start,
            resolve(tz, end_day + Duration::minutes(self.end.into())),
        )
    }
}

/// The spans of `windows` that start on local days around `at`: `before` days back to `after`
/// days ahead.
fn spans(
    windows: &[Window],
    tz: Tz,
    at: DateTime<Utc>,
    before: i64,
    after: i64,
) -> impl Iterator<Item = (DateTime<Utc>, DateTime<Utc>)> + '_ {
    let today = at.with_timezone(&tz).date_naive();
    (-before..=after)
        .filter_map(move |d| today.checked_add_signed(Duration::days(d)))
        .flat_map(move |date| {
            windows
                .iter()
                .filter(move |w| w.on(date))
                .map(move |w| w.span(tz, date))
        })
}

/// The latest end of the windows that hold `at`. A window lasts at most a day, so only those
/// starting the local day before, the day of, or (around a clock change at midnight) the day
/// after `at` can hold it.
fn holding(windows: &[Window], tz: Tz, at: DateTime<Utc>) -> Option<DateTime<Utc>> {
    spans(windows, tz, at, 1, 1)
        .filter(|(s, e)| *s <= at && at < *e)
        .map(|(_, e)| e)
        .max()
}

/// When `at` is inside downtime: when it ends, following windows that overlap or join on
/// (Monday 20:00–24:00 then Tuesday 00:00–07:00 is one downtime until Tuesday 07:00).
pub fn until(windows: &[Window], tz: Tz, at: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let mut end = holding(windows, tz, at)?;
    // Each step moves `end` later by up to a day; more steps than windows a week is a loop.
    for _ in 0..=(MAX_WINDOWS * 7) {
        match holding(windows, tz, end) {
            Some(next) if next > end => end = next,
            _ => break,
        }
    }
    Some(end)
}

/// The first window start after `at`, within the next week.
pub fn next_start(windows: &[Window], tz: Tz, at: DateTime<Utc>) -> Option<DateTime<Utc>> {
    spans(windows, tz, at, 1, 8)
        .map(|(s, _)| s)
        .filter(|s| *s > at)
        .min()
}

/// A child's windows with what was last worked out, so a tick costs a comparison: the answer
/// holds until the downtime ends (inside) or the next window starts (outside).
#[derive(Debug, Clone)]
pub struct Schedule {
    windows: Vec<Window>,
    tz: Tz,
    valid_until: DateTime<Utc>,
    until: Option<DateTime<Utc>>,
}

/// Outside a window, the answer is worked out again at least this often anyway.
const RECHECK_EVERY: Duration = Duration::hours(1);

impl Schedule {
    pub fn new(windows: Vec<Window>, tz: Tz) -> Self {
        Self {
            windows,
            tz,
            valid_until: DateTime::<Utc>::MIN_UTC,
            until: None,
        }
    }

    pub fn set(&mut self, windows: Vec<Window>) {
        *self = Self::new(windows, self.tz);
    }

    pub fn is_empty(&self) -> bool {
        self.windows.is_empty()
    }

    /// Inside downtime at `now`: until when.
    pub fn at(&mut self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        if self.windows.is_empty() {
            return None;
        }
        if now >= self.valid_until {
            self.until = until(&self.windows, self.tz, now);
            self.valid_until = match self.until {
                Some(end) => end,
                None => next_start(&self.windows, self.tz, now)
                    .map_or(now + RECHECK_EVERY, |s| s.min(now + RECHECK_EVERY)),
            };
        }
        self.until
    }

    /// When the answer of [`Self::at`] may change next (None: no windows).
    pub fn next_change(&mut self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.at(now);
        (!self.windows.is_empty()).then_some(self.valid_until)
    }
}

#[cfg(test)]
mod tests;
