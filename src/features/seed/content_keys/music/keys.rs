//! Keys and scales: key signatures, relative keys, scale degrees, the scale some notes climb.

use studyhub_actors::content::abc;

use super::super::words::norm;
use super::notes::{LETTERS, Note, Pitch, parse_pitch};

#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Key {
    pub(super) tonic: Pitch,
    pub(super) minor: bool,
}

pub(super) const DEGREES: [&str; 7] = [
    "tonic",
    "supertonic",
    "mediant",
    "subdominant",
    "dominant",
    "submediant",
    "leading note",
];

impl Key {
    pub(super) fn name(&self) -> String {
        format!(
            "{} {}",
            self.tonic.name(),
            if self.minor { "minor" } else { "major" }
        )
    }
    /// Sharps (+) or flats (-) of its key signature, from the ABC reader.
    pub(super) fn sharps(&self) -> Option<i8> {
        let mut abc_key = LETTERS[self.tonic.letter].to_string();
        match self.tonic.alter {
            0 => {}
            1 => abc_key.push('#'),
            -1 => abc_key.push('b'),
            _ => return None,
        }
        if self.minor {
            abc_key.push('m');
        }
        abc::key_signature(&abc_key)
    }
    /// The major or minor key of a key signature.
    pub(super) fn of_signature(sharps: i8, minor: bool) -> Key {
        let s = i32::from(sharps);
        let major = Pitch::spelled((4 * s).rem_euclid(7) as usize, 7 * s);
        let key = Key {
            tonic: major,
            minor: false,
        };
        if minor { key.relative() } else { key }
    }
    pub(super) fn relative(&self) -> Key {
        if self.minor {
            Key {
                tonic: Pitch::spelled(self.tonic.letter + 2, self.tonic.pc() + 3),
                minor: false,
            }
        } else {
            Key {
                tonic: Pitch::spelled(self.tonic.letter + 5, self.tonic.pc() + 9),
                minor: true,
            }
        }
    }
    /// Its scale (major; natural, harmonic or melodic minor).
    pub(super) fn scale(&self, kind: &str) -> Option<Vec<Pitch>> {
        let steps = scale_pattern(kind)?;
        Some(
            (0..7)
                .map(|i| Pitch::spelled(self.tonic.letter + i, self.tonic.pc() + steps[i]))
                .collect(),
        )
    }
    /// 0 for the tonic … 6 for the 7th, by letter name.
    pub(super) fn degree(&self, p: Pitch) -> usize {
        (p.letter + 7 - self.tonic.letter) % 7
    }
}

fn scale_pattern(kind: &str) -> Option<[i32; 7]> {
    Some(match kind {
        "major" => [0, 2, 4, 5, 7, 9, 11],
        "natural minor" => [0, 2, 3, 5, 7, 8, 10],
        "harmonic minor" => [0, 2, 3, 5, 7, 8, 11],
        "melodic minor" => [0, 2, 3, 5, 7, 9, 11],
        _ => return None,
    })
}

/// `E-flat major`, `A minor`.
pub(super) fn parse_key(s: &str) -> Option<Key> {
    let n = norm(s);
    let (tonic, mode) = n.rsplit_once(' ')?;
    Some(Key {
        tonic: parse_pitch(tonic)?,
        minor: match mode {
            "major" => false,
            "minor" => true,
            _ => return None,
        },
    })
}

/// The first key named in a text (`… in G major …`).
pub(super) fn key_in(s: &str) -> Option<Key> {
    let n = norm(s);
    let w: Vec<&str> = n
        .split(' ')
        .map(|w| w.trim_matches([',', '(', ')', ':', '.', '?']))
        .collect();
    for i in 1..w.len() {
        if w[i] == "major" || w[i] == "minor" {
            for from in [i.saturating_sub(2), i - 1] {
                if let Some(k) = parse_key(&w[from..=i].join(" ")) {
                    return Some(k);
                }
            }
        }
    }
    None
}

/// The key of a `K:` field (`Am`, `Eb`, `F#m`, `C clef=bass`).
pub(super) fn abc_key(k: &str) -> Option<Key> {
    let name = k.split_whitespace().next()?;
    let mut c = name.chars();
    let first = c.next()?;
    let letter = LETTERS.iter().position(|l| *l == first)?;
    let rest: String = c.collect();
    let (alter, mode) = match rest.as_bytes().first() {
        Some(b'#') => (1, &rest[1..]),
        Some(b'b') => (-1, &rest[1..]),
        _ => (0, rest.as_str()),
    };
    Some(Key {
        tonic: Pitch { letter, alter },
        minor: match mode.to_ascii_lowercase().as_str() {
            "" | "maj" | "major" => false,
            "m" | "min" | "minor" => true,
            _ => return None,
        },
    })
}

/// The scale some notes climb: its tonic and kind.
pub(super) fn scale_of(notes: &[Note]) -> Result<(Pitch, &'static str), String> {
    let [first, .., last] = notes else {
        return Err("not a scale".into());
    };
    if notes.len() != 8
        || notes.windows(2).any(|w| w[1].step != w[0].step + 1)
        || last.midi != first.midi + 12
    {
        return Err("a scale here climbs eight notes by step to the octave".into());
    }
    let steps: Vec<i32> = notes[..7].iter().map(|n| n.midi - first.midi).collect();
    ["major", "natural minor", "harmonic minor", "melodic minor"]
        .into_iter()
        .find(|k| scale_pattern(k).is_some_and(|p| p[..] == steps[..]))
        .map(|k| (first.pitch(), k))
        .ok_or_else(|| format!("no scale climbs {steps:?}"))
}
