//! Melody and form: how a melody moves, how a second idea treats the first, letter plans.

use std::collections::BTreeSet;

use studyhub_actors::content::Question;

use super::super::expect::{Expect, Found, judge, text};
use super::super::words::{after, between};
use super::intervals::{interval, interval_name};
use super::notes::Note;
use super::view::{Sound, View};

const FORMS: &[(&str, &str)] = &[
    ("A B", "binary"),
    ("A B A", "ternary"),
    ("A B A C A", "rondo"),
    ("A A1 A2 A3", "theme and variations"),
];

/// A letter plan from a text (`A, then B, then A again` → `A B A`).
fn plan(s: &str) -> String {
    s.split_whitespace()
        .map(|w| w.trim_matches(|c: char| !c.is_alphanumeric()))
        .filter(|w| {
            let mut c = w.chars();
            c.next().is_some_and(|l| ('A'..='E').contains(&l)) && c.all(|d| d.is_ascii_digit())
        })
        .collect::<Vec<_>>()
        .join(" ")
}

pub(super) fn forms(v: &View, q: &Question) -> Option<Found> {
    let p = v.p.as_str();
    if p.contains("which form") {
        let letters = plan(after(&q.prompt, ":")?);
        return Some(
            FORMS
                .iter()
                .find(|f| f.0 == letters)
                .map(|f| Expect::Text(f.1.to_string()))
                .ok_or_else(|| format!("no form with the plan {letters:?}")),
        );
    }
    if let Some(form) = between(p, "which of these letter plans shows ", " form") {
        let form = form.to_string();
        return Some(judge(format!("the plan of {form} form"), move |o| {
            Ok(FORMS.iter().any(|f| f.0 == plan(o) && f.1 == form))
        }));
    }
    if let Some(section) = between(&q.prompt, "How many times is section ", " heard") {
        let letters = plan(between(&q.prompt, " plan ", ".")?);
        let n = letters.split(' ').filter(|l| *l == section).count();
        return Some(Ok(Expect::Num(n as f64)));
    }
    if p.contains("letter plan") {
        let so = v.sound.as_ref()?;
        let mut seen: Vec<Vec<i32>> = Vec::new();
        let mut letters = Vec::new();
        for phrase in so.phrases() {
            let midi: Vec<i32> = phrase.iter().map(|n| n.midi).collect();
            let i = seen.iter().position(|s| *s == midi).unwrap_or_else(|| {
                seen.push(midi);
                seen.len() - 1
            });
            letters.push(char::from(b'A' + i as u8).to_string());
        }
        return Some(text(letters.join(" ")));
    }
    None
}

/// How the second idea treats the first.
fn device(a: &[Note], b: &[Note]) -> Result<&'static str, String> {
    let midi = |x: &[Note]| x.iter().map(|n| n.midi).collect::<Vec<_>>();
    let moves = |x: &[Note]| {
        x.windows(2)
            .map(|w| w[1].step - w[0].step)
            .collect::<Vec<_>>()
    };
    if a.len() != b.len() || a.len() < 2 {
        return Err("the two ideas differ in length".into());
    }
    let reversed: Vec<i32> = midi(a).into_iter().rev().collect();
    Ok(if midi(a) == midi(b) {
        "repetition"
    } else if reversed == midi(b) {
        "retrograde"
    } else if moves(a) == moves(b) {
        "sequence"
    } else if moves(a).iter().map(|m| -m).collect::<Vec<_>>() == moves(b) {
        "inversion"
    } else {
        return Err("bar 2 neither repeats, reverses, shifts nor inverts bar 1".into());
    })
}

pub(super) fn melody(v: &View, _: &Question) -> Option<Found> {
    let p = v.p.as_str();
    let ideas = || -> Result<(Vec<Note>, Vec<Note>), String> {
        if let Some(st) = &v.stave {
            return Ok((st.bar_notes(0), st.bar_notes(1)));
        }
        match v.sound.as_ref().map(Sound::phrases).as_deref() {
            Some([a, b]) => Ok((a.clone(), b.clone())),
            _ => Err("two ideas: two bars, or two halves split by a rest".into()),
        }
    };
    if p.contains("bar 2 do with") || p.contains("second half do with") {
        return Some(
            ideas()
                .and_then(|(a, b)| device(&a, &b))
                .map(|d| Expect::Text(d.into())),
        );
    }
    if p.contains("exact repetition") {
        return Some(
            ideas()
                .and_then(|(a, b)| device(&a, &b))
                .map(|d| Expect::Bool(d == "repetition")),
        );
    }
    if p.contains("texture") && v.stave.is_some() {
        let st = v.stave.as_ref()?;
        let sizes: BTreeSet<usize> = st
            .events
            .iter()
            .map(|e| e.notes.len())
            .filter(|n| *n > 0)
            .collect();
        return Some(match sizes.iter().collect::<Vec<_>>()[..] {
            [1] => text("monophonic"),
            [..] if sizes.iter().all(|n| *n >= 2) => text("homophonic"),
            _ => Err("a texture the checker cannot tell from one stave".into()),
        });
    }
    if p.contains("what is it called") {
        let st = v.stave.as_ref()?;
        let pitches: BTreeSet<i32> = st
            .events
            .iter()
            .flat_map(|e| e.notes.iter().map(|n| n.midi))
            .collect();
        if pitches.len() == 1 {
            return Some(text("pedal"));
        }
        let bar = |b: &Vec<usize>| {
            b.iter()
                .map(|i| {
                    (
                        st.events[*i]
                            .notes
                            .iter()
                            .map(|n| n.midi)
                            .collect::<Vec<_>>(),
                        st.events[*i].length.to_bits(),
                    )
                })
                .collect::<Vec<_>>()
        };
        let first = bar(st.bars.first()?);
        return Some(
            if st.bars.len() >= 2 && st.bars.iter().all(|b| bar(b) == first) {
                text("ostinato")
            } else {
                Err("neither one held note nor one repeated bar".into())
            },
        );
    }
    let line = v.line()?;
    let moves: Vec<i32> = line
        .windows(2)
        .map(|w| (w[1].step - w[0].step).abs())
        .collect();
    if p.contains("how does this melody move") || p.contains("by step or") {
        let steps = moves.iter().filter(|m| **m <= 1).count();
        let leaps = moves.len() - steps;
        let by = match steps.cmp(&leaps) {
            std::cmp::Ordering::Greater => "step",
            std::cmp::Ordering::Less => "leap",
            std::cmp::Ordering::Equal => return Some(Err("as many steps as leaps".into())),
        };
        return Some(judge(
            format!("mostly by {by}"),
            move |o| Ok(o.contains(by)),
        ));
    }
    if p.contains("moves only by step") {
        return Some(Ok(Expect::Bool(moves.iter().all(|m| *m <= 1))));
    }
    let low = *line.iter().min_by_key(|n| (n.midi, n.step))?;
    let high = *line.iter().max_by_key(|n| (n.midi, n.step))?;
    if p.contains("the range of") {
        return Some(interval(low, high).map(|(n, q)| Expect::Text(interval_name(n, q))));
    }
    if p.contains("highest note") {
        return Some(text(high.pitch().name()));
    }
    if p.contains("lowest note") {
        return Some(text(low.pitch().name()));
    }
    if p.contains("rise or fall") {
        let (first, last) = (line.first()?, line.last()?);
        return Some(text(if last.midi > first.midi {
            "rise"
        } else {
            "fall"
        }));
    }
    if p.contains("biggest leap") {
        let most = line
            .windows(2)
            .map(|w| (w[1].midi - w[0].midi).abs())
            .max()?;
        return Some(Ok(Expect::Num(f64::from(most))));
    }
    None
}
