//! Intervals: number and quality between two notes, semitones, and the interval questions.

use studyhub_actors::content::Question;

use super::super::expect::{Expect, Found, judge};
use super::super::words::{after, clean, norm};
use super::notes::{NATURAL, Note, Pitch, parse_pitch};
use super::view::View;

const ORD: [&str; 8] = ["unison", "2nd", "3rd", "4th", "5th", "6th", "7th", "octave"];
const MAJOR_SEMIS: [i32; 8] = [0, 2, 4, 5, 7, 9, 11, 12];
const QUALITIES: [&str; 5] = ["perfect", "major", "minor", "augmented", "diminished"];

fn perfect_kind(n: i32) -> bool {
    matches!(n, 1 | 4 | 5 | 8)
}

/// Number and quality of the interval between two notes (either order).
pub(super) fn interval(a: Note, b: Note) -> Result<(i32, &'static str), String> {
    let (lo, hi) = if (a.midi, a.step) <= (b.midi, b.step) {
        (a, b)
    } else {
        (b, a)
    };
    let n = hi.step - lo.step + 1;
    if !(1..=8).contains(&n) {
        return Err(format!("an interval spanning {n} letter names"));
    }
    let d = hi.midi - lo.midi - MAJOR_SEMIS[(n - 1) as usize];
    let q = match (perfect_kind(n), d) {
        (true, 0) => "perfect",
        (false, 0) => "major",
        (false, -1) => "minor",
        (_, 1) => "augmented",
        (true, -1) | (false, -2) => "diminished",
        _ => {
            return Err(format!(
                "no quality for a {} of {d:+} semitones",
                ORD[(n - 1) as usize]
            ));
        }
    };
    Ok((n, q))
}

pub(super) fn interval_name(n: i32, q: &str) -> String {
    let o = ORD[(n - 1) as usize];
    if (n == 1 || n == 8) && q == "perfect" {
        o.to_string()
    } else {
        format!("{q} {o}")
    }
}

/// `perfect 5th` → (5, perfect); `octave` → (8, perfect); `6th` → (6, none).
fn parse_interval(s: &str) -> Option<(i32, Option<&'static str>)> {
    let n = norm(s);
    let words: Vec<&str> = n.split(' ').collect();
    let (last, quality) = words.split_last()?;
    let number = ORD.iter().position(|o| o == last)? as i32 + 1;
    match quality {
        [] if number == 1 || number == 8 => Some((number, Some("perfect"))),
        [] => Some((number, None)),
        [q] => QUALITIES
            .iter()
            .find(|x| *x == q)
            .map(|q| (number, Some(*q))),
        _ => None,
    }
}

fn semitones(number: i32, quality: &str) -> Option<i32> {
    let base = MAJOR_SEMIS[(number - 1) as usize];
    Some(
        base + match (perfect_kind(number), quality) {
            (true, "perfect") | (false, "major") => 0,
            (false, "minor") => -1,
            (_, "augmented") => 1,
            (true, "diminished") => -1,
            (false, "diminished") => -2,
            _ => return None,
        },
    )
}

/// The note on `to`'s letter at or above `from` (within an octave).
fn up_to(from: Pitch, to: Pitch) -> (Note, Note) {
    let lo = Note {
        step: 28 + from.letter as i32,
        midi: 60 + NATURAL[from.letter] + from.alter,
    };
    let steps = (to.letter + 7 - from.letter) % 7;
    let step = lo.step + steps as i32;
    let hi = Note {
        step,
        midi: (step.div_euclid(7) + 1) * 12 + NATURAL[to.letter] + to.alter,
    };
    (lo, hi)
}

pub(super) fn intervals(v: &View, _: &Question) -> Option<Found> {
    let p = v.p.as_str();
    if let Some(rest) = after(p, "interval from ") {
        let (a, b) = rest.split_once(" up to ")?;
        let (lo, hi) = up_to(parse_pitch(a)?, parse_pitch(clean(b))?);
        return Some(interval(lo, hi).map(|(n, q)| Expect::Text(interval_name(n, q))));
    }
    if let Some(name) = after(p, "how many semitones are in ") {
        let name = clean(name)
            .trim_start_matches("an ")
            .trim_start_matches("a ");
        let (n, q) = parse_interval(name)?;
        return Some(Ok(Expect::Num(f64::from(semitones(n, q?)?))));
    }
    if let Some(claim) = after(p, "true or false: ")
        && let Some((notes, name)) = claim.split_once(" is a ")
        && let Some((a, b)) = notes.split_once(" up to ")
    {
        let (lo, hi) = up_to(parse_pitch(a)?, parse_pitch(b)?);
        let claimed = parse_interval(clean(name))?;
        return Some(interval(lo, hi).map(|(n, q)| Expect::Bool((n, Some(q)) == claimed)));
    }
    if p.contains("which of these intervals can be perfect") {
        return Some(judge("the perfect kinds", |o| {
            parse_interval(o)
                .map(|(n, _)| perfect_kind(n))
                .ok_or_else(|| format!("not an interval: {o:?}"))
        }));
    }
    v.line()?;
    let two = v.two();
    if p.contains("semitone apart") || p.contains("a tone apart") {
        let want = if p.contains("semitone") { 1 } else { 2 };
        return Some(two.map(|(a, b)| Expect::Bool((a.midi - b.midi).abs() == want)));
    }
    if p.contains("how many semitones") {
        return Some(two.map(|(a, b)| Expect::Num(f64::from((a.midi - b.midi).abs()))));
    }
    if p.contains("what number is this interval") {
        return Some(
            two.and_then(|(a, b)| interval(a, b))
                .map(|(n, _)| Expect::Num(f64::from(n))),
        );
    }
    if let Some(claim) = after(p, "this interval is a ") {
        let claimed = parse_interval(clean(claim))?;
        return Some(
            two.and_then(|(a, b)| interval(a, b))
                .map(|(n, q)| Expect::Bool((n, Some(q)) == claimed)),
        );
    }
    if p.contains("interval") {
        return Some(
            two.and_then(|(a, b)| interval(a, b))
                .map(|(n, q)| Expect::Text(interval_name(n, q))),
        );
    }
    if p.contains("higher or lower than the first") {
        return Some(
            two.map(|(a, b)| Expect::Text(if b.midi > a.midi { "higher" } else { "lower" }.into())),
        );
    }
    if p.contains("which one is lower, the first or the second") {
        return Some(two.map(|(a, b)| {
            Expect::Text(
                if a.midi < b.midi {
                    "the first"
                } else {
                    "the second"
                }
                .into(),
            )
        }));
    }
    None
}
