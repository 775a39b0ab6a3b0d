//! Note names and their spelling: scientific pitch, letters, accidentals.

use studyhub_actors::content::midi_of;

use super::super::words::norm;

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
