//! Triads and cadences: the chord some notes make, its position, the cadence two chords make.

use std::collections::BTreeSet;

use studyhub_actors::content::Question;

use super::super::expect::{Expect, Found, judge, text};
use super::super::words::{after, between, clean, norm};
use super::keys::{key_in, parse_key};
use super::notes::{Note, Pitch, parse_pitch, parse_pitches};
use super::stave::Stave;
use super::view::View;

struct Triad {
    root: Pitch,
    quality: &'static str,
    position: &'static str,
}

impl Triad {
    fn name(&self) -> String {
        format!("{} {}", self.root.name(), self.quality)
    }
}

/// The triad some notes make, from their letter names and sounds.
fn triad(notes: &[Note]) -> Result<Triad, String> {
    let letters: BTreeSet<usize> = notes.iter().map(Note::letter).collect();
    if letters.len() != 3 {
        return Err(format!("{} letter names, not a triad", letters.len()));
    }
    let bass = notes.iter().min_by_key(|n| n.midi).ok_or("no notes")?;
    for &root in &letters {
        let above = |l: usize| (l + 7 - root) % 7;
        if letters.iter().map(|l| above(*l)).collect::<BTreeSet<_>>() != BTreeSet::from([0, 2, 4]) {
            continue;
        }
        let pitch = |d: usize| {
            notes
                .iter()
                .find(|n| above(n.letter()) == d)
                .map(Note::pitch)
                .ok_or("a missing chord note")
        };
        let (r, t, f) = (pitch(0)?, pitch(2)?, pitch(4)?);
        if notes
            .iter()
            .any(|n| Ok(n.pitch()) != pitch(above(n.letter())))
        {
            return Err("one letter name with two different accidentals".into());
        }
        let quality = match (
            (t.pc() - r.pc()).rem_euclid(12),
            (f.pc() - r.pc()).rem_euclid(12),
        ) {
            (4, 7) => "major",
            (3, 7) => "minor",
            (3, 6) => "diminished",
            (4, 8) => "augmented",
            other => return Err(format!("3rd and 5th of {other:?} semitones")),
        };
        let position = match above(bass.letter()) {
            0 => "root position",
            2 => "first inversion",
            _ => "second inversion",
        };
        return Ok(Triad {
            root: r,
            quality,
            position,
        });
    }
    Err("the notes are not stacked in 3rds".into())
}

/// The three notes of `C major`, `B diminished`.
fn triad_named(s: &str) -> Option<[Pitch; 3]> {
    let n = norm(s);
    let (root, quality) = n.rsplit_once(' ')?;
    let root = parse_pitch(root)?;
    let (t, f) = match quality {
        "major" => (4, 7),
        "minor" => (3, 7),
        "diminished" => (3, 6),
        "augmented" => (4, 8),
        _ => return None,
    };
    Some([
        root,
        Pitch::spelled(root.letter + 2, root.pc() + t),
        Pitch::spelled(root.letter + 4, root.pc() + f),
    ])
}

const ROMAN: [&str; 7] = ["I", "II", "III", "IV", "V", "VI", "VII"];

/// perfect (V–I), plagal (IV–I), imperfect (… –V), interrupted (V–VI); degrees from 0.
fn cadence(from: usize, to: usize) -> Option<&'static str> {
    match (from, to) {
        (4, 0) => Some("perfect"),
        (3, 0) => Some("plagal"),
        (4, 5) => Some("interrupted"),
        (_, 4) => Some("imperfect"),
        _ => None,
    }
}

/// `V-I` → (4, 0).
fn parse_romans(s: &str) -> Option<(usize, usize)> {
    let (a, b) = s.trim().split_once('-')?;
    let r = |x: &str| ROMAN.iter().position(|n| *n == x.trim());
    Some((r(a)?, r(b)?))
}

pub(super) fn cadences(v: &View, _: &Question) -> Option<Found> {
    let p = v.p.as_str();
    if let Some(name) = between(p, "which chords make a ", " cadence") {
        let name = name.split(' ').next()?.to_string();
        return Some(judge(format!("the chords of a {name} cadence"), move |o| {
            let (a, b) = parse_romans(o).ok_or_else(|| format!("not two chords: {o:?}"))?;
            Ok(cadence(a, b) == Some(name.as_str()))
        }));
    }
    if let Some(rest) = after(p, "which cadence moves from chord ") {
        let (a, b) = rest.split_once(" to chord ")?;
        let b = b.split([' ', ',', '?']).next()?;
        let (a, b) = parse_romans(&format!("{}-{}", a.to_uppercase(), b.to_uppercase()))?;
        return Some(
            cadence(a, b)
                .map(|c| Expect::Text(c.into()))
                .ok_or_else(|| "no such cadence".into()),
        );
    }
    if !p.contains("cadence") {
        return None;
    }
    let key = match key_in(p) {
        Some(k) => k,
        None => match v.stave.as_ref().map(Stave::key) {
            Some(Ok(k)) => k,
            _ => {
                return Some(Err(
                    "a cadence needs its key, in the prompt or the stave".into()
                ));
            }
        },
    };
    let chords: Vec<Vec<Note>> = v.chords()?.into_iter().filter(|c| c.len() >= 3).collect();
    let [.., a, b] = chords.as_slice() else {
        return Some(Err("a cadence needs two chords".into()));
    };
    let roots = (triad(a), triad(b));
    let (Ok(a), Ok(b)) = roots else {
        return Some(Err("the last two chords are not triads".into()));
    };
    let (da, db) = (key.degree(a.root), key.degree(b.root));
    let Some(name) = cadence(da, db) else {
        return Some(Err(format!("{}–{} is no cadence", ROMAN[da], ROMAN[db])));
    };
    let romans = format!("{}-{}", ROMAN[da], ROMAN[db]);
    if let Some(claim) =
        between(p, "ends with a ", " cadence").or_else(|| between(p, "ends with an ", " cadence"))
    {
        return Some(Ok(Expect::Bool(claim == name)));
    }
    if p.contains("which chords") {
        return Some(text(romans));
    }
    let article = if name.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    };
    Some(judge(
        format!("{article} {name} cadence ({romans})"),
        move |o| Ok(norm(o).trim_end_matches(" cadence") == name),
    ))
}

pub(super) fn triads(v: &View, _: &Question) -> Option<Found> {
    let p = v.p.as_str();
    if let Some(name) = after(p, "which notes make up the triad of ") {
        let notes = triad_named(clean(name))?;
        return Some(judge(format!("the notes of {}", clean(name)), move |o| {
            Ok(parse_pitches(o).is_some_and(|x| x == notes))
        }));
    }
    if let Some(name) = after(p, "belong to the chord of ") {
        let notes = triad_named(clean(name))?;
        return Some(judge(format!("the notes of {}", clean(name)), move |o| {
            Ok(notes.contains(&parse_pitch(o).ok_or_else(|| format!("not a note: {o:?}"))?))
        }));
    }
    if let Some(rest) = after(p, "in the key of ") {
        let (k, rest) = rest.split_once(", chord ")?;
        let key = parse_key(k)?;
        let (roman, claim) = rest.split_once(" is ")?;
        let d = ROMAN.iter().position(|r| r.eq_ignore_ascii_case(roman))?;
        let scale = key.scale("major")?;
        let chord = [scale[d], scale[(d + 2) % 7], scale[(d + 4) % 7]];
        let (name, listed) = claim.split_once(" (")?;
        let listed = parse_pitches(listed.trim_end_matches(['.', ')']))?;
        let named = triad_named(name)?;
        return Some(Ok(Expect::Bool(named == chord && listed == chord)));
    }
    if !(p.contains("triad") || p.contains("chord")) {
        return None;
    }
    let t = match v.one_chord().and_then(|c| triad(&c)) {
        Ok(t) => t,
        Err(e) => return Some(Err(e)),
    };
    if let Some(claim) = after(p, "this triad is ").or_else(|| after(p, "this chord is ")) {
        let claim = norm(claim);
        return Some(Ok(Expect::Bool(
            claim == t.quality || claim == norm(&t.name()),
        )));
    }
    if let Some(name) = between(p, "this is a ", " chord")
        && norm(name) != norm(&t.name())
    {
        return Some(Err(format!(
            "the prompt calls it {name}, the notes make {}",
            t.name()
        )));
    }
    Some(if p.contains("position") {
        text(t.position)
    } else if p.contains("major or minor") || p.contains("major, minor") {
        text(t.quality)
    } else {
        text(t.name())
    })
}
