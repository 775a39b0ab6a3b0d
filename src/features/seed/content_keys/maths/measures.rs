//! Time and units: how many of one unit make another, clocks, days and months.

use studyhub_actors::content::Question;

use super::super::calc::value;
use super::super::expect::{Expect, Found, fmt_num, judge, text};
use super::super::words::same;
use super::super::words::{after, between, clean, count_of};

/// `how many minutes are there in 3 hours`, `how many pence make £1`,
/// `how many 10p coins make £1`.
pub(super) fn units(p: &str, _: &Question) -> Option<Found> {
    let rest = after(p, "how many ")?;
    let (small, big) = [" are there in ", " are in ", " make "]
        .iter()
        .find_map(|sep| rest.split_once(sep))?;
    let big = clean(big);
    let base = |unit: &str| -> Option<(&'static str, f64)> {
        let unit = unit.trim();
        let unit = unit.strip_suffix('s').unwrap_or(unit);
        Some(match unit {
            "second" => ("time", 1.0),
            "minute" => ("time", 60.0),
            "hour" => ("time", 3600.0),
            "day" => ("time", 86400.0),
            "week" => ("time", 604_800.0),
            "month" => ("calendar", 1.0),
            "year" => ("calendar", 12.0),
            "pence" | "penny" => ("money", 1.0),
            _ => return None,
        })
    };
    let (kind_big, amount) = if big.starts_with('£') {
        ("money", value(big)?)
    } else {
        let (qty, unit) = match big.strip_prefix("half an ").or(big.strip_prefix("half a ")) {
            Some(unit) => (0.5, unit),
            None => {
                let (q, u) = big.split_once(' ')?;
                (count_of(q)?, u)
            }
        };
        let (kind, size) = base(unit)?;
        (kind, qty * size)
    };
    let (kind_small, size) = match base(small) {
        Some(b) => b,
        None => ("money", value(small.strip_suffix(" coins")?)?),
    };
    Some(if kind_small == kind_big {
        Ok(Expect::Num(amount / size))
    } else {
        Err(format!("cannot count {small} in {big}"))
    })
}

const DAYS: [&str; 7] = [
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
];
const MONTHS: [(&str, u32); 12] = [
    ("january", 31),
    ("february", 28),
    ("march", 31),
    ("april", 30),
    ("may", 31),
    ("june", 30),
    ("july", 31),
    ("august", 31),
    ("september", 30),
    ("october", 31),
    ("november", 30),
    ("december", 31),
];

/// `3 o'clock`, `half past 7`, `quarter to 6` as minutes after midnight (or noon).
fn clock_words(s: &str) -> Option<f64> {
    let w: Vec<&str> = s.split_whitespace().map(clean).collect();
    for i in 0..w.len() {
        let hour = |j: usize| w.get(j).and_then(|h| h.parse::<f64>().ok());
        match (w[i], w.get(i + 1).copied()) {
            ("half", Some("past")) => return Some(hour(i + 2)? * 60.0 + 30.0),
            ("quarter", Some("past")) => return Some(hour(i + 2)? * 60.0 + 15.0),
            ("quarter", Some("to")) => return Some(hour(i + 2)? * 60.0 - 15.0),
            (h, Some("o'clock")) => return Some(h.parse::<f64>().ok()? * 60.0),
            _ => {}
        }
    }
    None
}

/// A time in a text written with digits (`3:15`).
fn clock_digits(s: &str) -> Option<f64> {
    s.split_whitespace()
        .map(clean)
        .find(|w| w.contains(':') && w.chars().next().is_some_and(|c| c.is_ascii_digit()))
        .and_then(value)
}

pub(super) fn clock(p: &str, _: &Question) -> Option<Found> {
    if let Some(rest) = after(p, "which time shows ") {
        return Some(
            clock_words(rest)
                .map(Expect::Num)
                .ok_or_else(|| format!("cannot read the time in {p:?}")),
        );
    }
    if let Some(rest) = after(p, "how do we say ") {
        let t = clock_digits(rest)?;
        return Some(judge(format!("the words for {}", fmt_num(t)), move |o| {
            Ok(clock_words(o).is_some_and(|v| same(v, t)))
        }));
    }
    if let (Some(now), Some(later)) = (
        between(p, "it is ", ". "),
        after(p, "what time will it be in "),
    ) {
        let now = value(now)?;
        let (n, unit) = clean(later).split_once(' ')?;
        let n: f64 = n.parse().ok()?;
        let minutes = if unit.starts_with("hour") { 60.0 } else { 1.0 };
        return Some(Ok(Expect::Num(now + n * minutes)));
    }
    if p.starts_with("how many minutes is it from ") {
        let from = value(between(p, " from ", " to ")?)?;
        let to = value(clean(after(p, " to ")?))?;
        return Some(Ok(Expect::Num(to - from)));
    }
    if let Some(t) = between(p, "what is ", " in 24-hour time") {
        let (h, half) = t.trim().split_once(' ')?;
        let h: f64 = h.parse().ok()?;
        let h = match half {
            "am" => h % 12.0,
            "pm" => h % 12.0 + 12.0,
            _ => return None,
        };
        return Some(Ok(Expect::Num(h * 60.0)));
    }
    for (list, name) in [(&DAYS[..], "day"), (&MONTHS.map(|m| m.0)[..], "month")] {
        for (dir, step) in [("after", 1), ("before", list.len() - 1)] {
            if let Some(x) = after(p, &format!("what {name} comes {dir} ")) {
                let x = clean(x);
                let i = list.iter().position(|d| *d == x)?;
                return Some(text(list[(i + step) % list.len()]));
            }
        }
    }
    if let Some(n) = between(p, "which of these months have ", " days") {
        let n: u32 = n.trim().parse().ok()?;
        return Some(judge(format!("months of {n} days"), move |o| {
            let o = o.to_lowercase();
            MONTHS
                .iter()
                .find(|m| m.0 == o)
                .map(|m| m.1 == n)
                .ok_or_else(|| format!("no month {o:?}"))
        }));
    }
    None
}

/// Clock words (`quarter to 4`) and lengths of time (`1 hour and 30 minutes`) as minutes.
pub(super) fn times_as_numbers(s: &str) -> String {
    let w: Vec<&str> = s.split_whitespace().collect();
    let mut out: Vec<String> = Vec::new();
    let mut i = 0;
    while i < w.len() {
        if let Some(t) = clock_words(&w[i..w.len().min(i + 3)].join(" "))
            && (w[i] == "half"
                || w[i] == "quarter"
                || w.get(i + 1).is_some_and(|n| n.starts_with("o'clock")))
        {
            let h = (t / 60.0).floor();
            out.push(format!("{}:{:02}", h, (t - h * 60.0) as i64));
            i += if w[i] == "half" || w[i] == "quarter" {
                3
            } else {
                2
            };
            continue;
        }
        let unit = w.get(i + 1).map(|u| clean(u));
        if let (Ok(n), Some(u)) = (w[i].parse::<f64>(), unit)
            && (u.starts_with("hour") || u.starts_with("minute"))
        {
            let mut minutes = if u.starts_with("hour") { n * 60.0 } else { n };
            i += 2;
            if w.get(i) == Some(&"and")
                && let (Some(Ok(m)), Some(mu)) =
                    (w.get(i + 1).map(|m| m.parse::<f64>()), w.get(i + 2))
                && mu.starts_with("minute")
            {
                minutes += m;
                i += 3;
            }
            out.push(format!("({})", fmt_num(minutes)));
            continue;
        }
        out.push(w[i].to_string());
        i += 1;
    }
    out.join(" ")
}
