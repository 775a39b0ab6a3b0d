//! Rhythm and metre: note values, time signatures and beats, from stave, sound or prompt.

use studyhub_actors::content::Question;

use super::super::calc::value;
use super::super::expect::{Expect, Found, judge, text};
use super::super::words::same;
use super::super::words::{after, between, clean, norm};
use super::view::View;

const NOTE_VALUES: [(&str, f64); 6] = [
    ("semibreve", 1.0),
    ("minim", 0.5),
    ("crotchet", 0.25),
    ("quaver", 0.125),
    ("semiquaver", 0.0625),
    ("demisemiquaver", 0.03125),
];

fn value_name(len: f64) -> Option<String> {
    for (name, v) in NOTE_VALUES {
        if same(len, v) {
            return Some(name.to_string());
        }
        if same(len, v * 1.5) {
            return Some(format!("dotted {name}"));
        }
    }
    None
}

/// Length in whole notes of `minim`, `dotted crotchet`, `quavers`.
fn value_len(s: &str) -> Option<f64> {
    let n = norm(s);
    let (dot, name) = match n.strip_prefix("dotted ") {
        Some(rest) => (1.5, rest),
        None => (1.0, n.as_str()),
    };
    let name = name.strip_suffix('s').unwrap_or(name);
    NOTE_VALUES
        .iter()
        .find(|(v, _)| *v == name)
        .map(|(_, l)| l * dot)
}

/// `6/8` → (6, 8).
fn meter(s: &str) -> Option<(u32, u32)> {
    let (a, b) = s.trim().split_once('/')?;
    Some((a.trim().parse().ok()?, b.trim().parse().ok()?))
}

fn meter_kind((top, bottom): (u32, u32)) -> Option<String> {
    let compound = top % 3 == 0 && top > 3 && bottom >= 8;
    let beats = if compound { top / 3 } else { top };
    let count = match beats {
        2 => "duple",
        3 => "triple",
        4 => "quadruple",
        _ => return None,
    };
    Some(format!(
        "{} {count}",
        if compound { "compound" } else { "simple" }
    ))
}

pub(super) fn rhythm(v: &View, _: &Question) -> Option<Found> {
    let p = v.p.as_str();
    if let Some(st) = &v.stave {
        let total: f64 = st.events.iter().map(|e| e.length).sum();
        let bar_len = st
            .tune
            .meter
            .as_deref()
            .and_then(meter)
            .map(|(a, b)| f64::from(a) / f64::from(b));
        if p.contains("completes it") {
            let last = st.bar_length(st.bars.last()?);
            return Some(
                value_name(bar_len? - last)
                    .map(Expect::Text)
                    .ok_or_else(|| {
                        format!("no single note lasts {}", bar_len.unwrap_or(0.0) - last)
                    }),
            );
        }
        if p.contains("note value") || p.contains("value of the rest") {
            let [e] = st.events.as_slice() else {
                return Some(Err("a note-value question shows one note or rest".into()));
            };
            let name = value_name(e.length)?;
            return Some(text(if e.notes.is_empty() {
                format!("{name} rest")
            } else {
                name
            }));
        }
        if let Some(n) = between(p, "lasts ", " crotchet beats") {
            let n = value(n)?;
            return Some(Ok(Expect::Bool(
                st.events.len() == 1 && same(total * 4.0, n),
            )));
        }
        if p.contains("how many crotchet beats") {
            return Some(Ok(Expect::Num(total * 4.0)));
        }
        if p.contains("which time signature fits") {
            let lengths: Vec<f64> = st.bars.iter().map(|b| st.bar_length(b)).collect();
            let first = *lengths.first()?;
            if lengths.iter().any(|l| !same(*l, first)) {
                return Some(Err(format!("bars of different lengths: {lengths:?}")));
            }
            return Some(judge(
                format!("bars of {first} of a whole note"),
                move |o| {
                    let (a, b) = meter(o).ok_or_else(|| format!("not a time signature: {o:?}"))?;
                    Ok(same(f64::from(a) / f64::from(b), first))
                },
            ));
        }
        let kind = st
            .tune
            .meter
            .as_deref()
            .and_then(meter)
            .and_then(meter_kind);
        if p.contains("kind of time signature is shown") {
            return Some(
                kind.map(Expect::Text)
                    .ok_or_else(|| "no time signature to classify".into()),
            );
        }
        if let Some(k) = between(p, "this melody is in ", " time") {
            return Some(
                kind.map(|kind| Expect::Bool(kind.starts_with(k)))
                    .ok_or_else(|| "no time signature".into()),
            );
        }
        if let Some(beat) = between(p, "how many ", " beats are in each bar") {
            return Some(Ok(Expect::Num(bar_len? / value_len(beat)?)));
        }
    }
    if let Some(so) = &v.sound {
        if p.contains("how many beats does the last note last")
            && p.contains("first note lasts one beat")
        {
            return Some(Ok(Expect::Num(
                so.durations.last()? / so.durations.first()?,
            )));
        }
        if p.contains("one beat is one crotchet") && p.contains("in all") {
            return Some(Ok(Expect::Num(so.durations.iter().sum())));
        }
    }
    if let Some(name) = between(p, "how many crotchet beats does a ", " last")
        .or_else(|| between(p, "how many crotchet beats does an ", " last"))
    {
        return Some(Ok(Expect::Num(value_len(name)? / 0.25)));
    }
    if let Some(rest) = after(p, "how many ")
        && let Some((small, big)) = rest.split_once(" fit in one ")
    {
        return Some(Ok(Expect::Num(value_len(clean(big))? / value_len(small)?)));
    }
    if let Some(n) = between(p, "which note lasts for ", " crotchet beats") {
        let n = value(n)?;
        return Some(judge(format!("the note of {n} beats"), move |o| {
            Ok(value_len(o).is_some_and(|l| same(l * 4.0, n)))
        }));
    }
    if let (Some(ts), Some(beat)) = (
        between(p, "in ", " time,"),
        between(p, "how many ", " beats are in each bar"),
    ) {
        let (a, b) = meter(ts)?;
        return Some(Ok(Expect::Num(
            f64::from(a) / f64::from(b) / value_len(beat)?,
        )));
    }
    if let Some(ts) = p
        .split(' ')
        .next()
        .filter(|_| p.contains("is an example of which kind of time"))
    {
        return Some(
            meter(ts)
                .and_then(meter_kind)
                .map(Expect::Text)
                .ok_or_else(|| format!("cannot classify {ts}")),
        );
    }
    if let Some(name) = after(p, "british name for a ") {
        let name = clean(name);
        return Some(
            [
                ("whole note", "semibreve"),
                ("half note", "minim"),
                ("quarter note", "crotchet"),
                ("eighth note", "quaver"),
                ("sixteenth note", "semiquaver"),
            ]
            .iter()
            .find(|(us, _)| *us == name)
            .map(|(_, uk)| Expect::Text(uk.to_string()))
            .ok_or_else(|| format!("no British name for {name:?}")),
        );
    }
    None
}
