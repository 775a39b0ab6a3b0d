//! Note names and their spelling, and the questions that read notes, letters and clefs.

use studyhub_actors::content::{Question, midi_of};

use super::super::expect::{Expect, Found, judge, text};
use super::super::words::{after, clean, norm};
use super::view::View;

pub(super) const LETTERS: [char; 7] = ['C', 'D', 'E', 'F', 'G', 'A', 'B'];
pub(super) const NATURAL: [i32; 7] = [0, 2, 4, 5, 7, 9, 11];

/// A written note: where it sits (`step`: letter + 7 × octave, C4 = 28) and how it sounds
/// (MIDI, C4 = 60). The two together give its spelling.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Note {
    pub(super) step: i32,
    pub(super) midi: i32,
}

impl Note {
    pub(super) fn letter(&self) -> usize {
        self.step.rem_euclid(7) as usize
    }
    pub(super) fn alter(&self) -> i32 {
        self.midi - ((self.step.div_euclid(7) + 1) * 12 + NATURAL[self.letter()])
    }
    pub(super) fn pitch(&self) -> Pitch {
        Pitch {
            letter: self.letter(),
            alter: self.alter(),
        }
    }
}

/// Scientific pitch as `audio` writes it (`F#4`, `Bb2`).
pub(super) fn sci(s: &str) -> Option<Note> {
    let midi = i32::from(midi_of(s)?);
    let letter = LETTERS.iter().position(|c| s.starts_with(*c))? as i32;
    let octave = s.chars().last()?.to_digit(10)? as i32;
    Some(Note {
        step: octave * 7 + letter,
        midi,
    })
}

/// A note name without its octave.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct Pitch {
    pub(super) letter: usize,
    pub(super) alter: i32,
}

impl Pitch {
    pub(super) fn pc(&self) -> i32 {
        (NATURAL[self.letter] + self.alter).rem_euclid(12)
    }
    pub(super) fn name(&self) -> String {
        let l = LETTERS[self.letter];
        match self.alter {
            0 => l.to_string(),
            1 => format!("{l}-sharp"),
            -1 => format!("{l}-flat"),
            2 => format!("{l}-double-sharp"),
            -2 => format!("{l}-double-flat"),
            a => format!("{l}{a:+}"),
        }
    }
    /// The spelling of pitch class `pc` on `letter`.
    pub(super) fn spelled(letter: usize, pc: i32) -> Pitch {
        let mut alter = (pc - NATURAL[letter % 7]).rem_euclid(12);
        if alter > 6 {
            alter -= 12;
        }
        Pitch {
            letter: letter % 7,
            alter,
        }
    }
}

/// `F-sharp`, `B flat`, `E`.
pub(super) fn parse_pitch(s: &str) -> Option<Pitch> {
    let n = norm(s);
    let mut words = n.split(' ');
    let mut first = words.next()?.chars();
    let (Some(l), None) = (first.next(), first.next()) else {
        return None;
    };
    let letter = LETTERS.iter().position(|c| c.to_ascii_lowercase() == l)?;
    let alter = match words.collect::<Vec<_>>().as_slice() {
        [] | ["natural"] => 0,
        ["sharp"] => 1,
        ["flat"] => -1,
        ["double", "sharp"] => 2,
        ["double", "flat"] => -2,
        _ => return None,
    };
    Some(Pitch { letter, alter })
}

/// `C E-flat G`.
pub(super) fn parse_pitches(s: &str) -> Option<Vec<Pitch>> {
    let n = norm(s);
    let mut out: Vec<String> = Vec::new();
    for w in n.split(' ') {
        match w {
            "sharp" | "flat" | "double" => out.last_mut()?.push_str(&format!(" {w}")),
            _ => out.push(w.to_string()),
        }
    }
    out.iter().map(|p| parse_pitch(p)).collect()
}

fn ordinal_word(n: usize) -> String {
    match n {
        1 => "1st".into(),
        2 => "2nd".into(),
        3 => "3rd".into(),
        _ => format!("{n}th"),
    }
}

fn ordinal_in(s: &str) -> Option<usize> {
    [
        "first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth",
    ]
    .iter()
    .position(|w| s.split(' ').any(|x| x == *w))
    .map(|i| i + 1)
}

/// The bottom line of each clef, as a staff step.
fn bottom_line(clef: &str) -> Option<i32> {
    match clef {
        "treble" => Some(4 * 7 + 2),
        "bass" => Some(2 * 7 + 4),
        "alto" => Some(3 * 7 + 3),
        _ => None,
    }
}

pub(super) fn reading(v: &View, _: &Question) -> Option<Found> {
    let p = v.p.as_str();
    if let Some(l) = after(p, "which letter comes after ") {
        let l = parse_pitch(clean(l))?;
        return Some(text(LETTERS[(l.letter + 1) % 7].to_string()));
    }
    for clef in ["treble", "bass"] {
        let bottom = bottom_line(clef)?;
        let letters = |from: i32| {
            (0..5)
                .map(|k| LETTERS[(from + 2 * k).rem_euclid(7) as usize])
                .collect::<Vec<char>>()
        };
        if p.contains(&format!("on the lines of the {clef} stave")) {
            let lines = letters(bottom);
            return Some(judge(format!("the lines of the {clef} stave"), move |o| {
                let o = parse_pitch(o).ok_or_else(|| format!("not a note: {o:?}"))?;
                Ok(lines.contains(&LETTERS[o.letter]))
            }));
        }
        if p.contains(&format!("in the {clef} clef")) && p.contains("spaces") && p.contains("spell")
        {
            let spaces: String = letters(bottom + 1)[..4].iter().collect();
            return Some(text(spaces));
        }
    }
    if p.contains("played differently") {
        let (st, so) = (v.stave.as_ref()?, v.sound.as_ref()?);
        let written = v.stave_line(st);
        let played = v.sound_line(so);
        let differ: Vec<usize> = (0..written.len())
            .filter(|i| played.get(*i).map(|n| n.midi) != Some(written[*i].midi))
            .collect();
        return Some(match differ.as_slice() {
            [i] if written.len() == played.len() => {
                text(format!("the {} note", ordinal_word(i + 1)))
            }
            _ => Err(format!("the audio differs from the stave at {differ:?}")),
        });
    }
    let st = v.stave.as_ref()?;
    let notes: Vec<Note> = v.stave_line(st);
    if p.contains("spell") {
        return Some(text(
            notes
                .iter()
                .map(|n| LETTERS[n.letter()])
                .collect::<String>()
                .to_lowercase(),
        ));
    }
    if let Some(n) = ordinal_in(p).filter(|_| p.contains(" note?")) {
        return Some(
            notes
                .get(n - 1)
                .map(|n| Expect::Text(n.pitch().name()))
                .ok_or_else(|| "no such note".into()),
        );
    }
    if p.contains("which note is this") || p.contains("this note is ") {
        let [one] = notes.as_slice() else {
            return Some(Err("a which-note question shows one note".into()));
        };
        if let Some(claim) = after(p, "this note is ") {
            return Some(Ok(Expect::Bool(
                parse_pitch(clean(claim)) == Some(one.pitch()),
            )));
        }
        return Some(text(one.pitch().name()));
    }
    None
}
