//! Keys and scales: key signatures, relative keys, scale degrees, the scale some notes climb.

use studyhub_actors::content::{Question, abc};

use super::super::expect::{Expect, Found, judge, text};
use super::super::words::{after, between, clean, count_of, norm};
use super::notes::{LETTERS, Note, Pitch, parse_pitch};
use super::view::View;

#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Key {
    tonic: Pitch,
    minor: bool,
}

const DEGREES: [&str; 7] = [
    "tonic",
    "supertonic",
    "mediant",
    "subdominant",
    "dominant",
    "submediant",
    "leading note",
];

impl Key {
    fn name(&self) -> String {
        format!(
            "{} {}",
            self.tonic.name(),
            if self.minor { "minor" } else { "major" }
        )
    }
    /// Sharps (+) or flats (-) of its key signature, from the ABC reader.
    fn sharps(&self) -> Option<i8> {
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
    fn of_signature(sharps: i8, minor: bool) -> Key {
        let s = i32::from(sharps);
        let major = Pitch::spelled((4 * s).rem_euclid(7) as usize, 7 * s);
        let key = Key {
            tonic: major,
            minor: false,
        };
        if minor { key.relative() } else { key }
    }
    fn relative(&self) -> Key {
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
fn scale_of(notes: &[Note]) -> Result<(Pitch, &'static str), String> {
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

pub(super) fn keys(v: &View, q: &Question) -> Option<Found> {
    let p = v.p.as_str();
    if let Some(st) = &v.stave {
        let sharps = st.tune.key_accidentals;
        if p.contains("key signature") && p.contains("major key") {
            return Some(text(Key::of_signature(sharps, false).name()));
        }
        if p.contains("key signature") && p.contains("minor key") {
            return Some(text(Key::of_signature(sharps, true).name()));
        }
        if let Some(k) = after(p, "this key signature belongs to ") {
            let k = parse_key(k)?;
            return Some(Ok(Expect::Bool(k.sharps() == Some(sharps))));
        }
        if p.contains("which key is this melody in") {
            let last = st
                .events
                .iter()
                .rev()
                .find_map(|e| e.notes.first())?
                .pitch()
                .pc();
            let (major, minor) = (
                Key::of_signature(sharps, false),
                Key::of_signature(sharps, true),
            );
            return Some(if last == major.tonic.pc() {
                text(major.name())
            } else if last == minor.tonic.pc() {
                text(minor.name())
            } else {
                Err("the melody ends on neither the major nor the minor tonic".into())
            });
        }
        if p.contains("last note") && (p.contains("technical name") || p.contains("degree")) {
            let key = key_in(p).map_or_else(|| st.key(), Ok);
            let last = st
                .events
                .iter()
                .rev()
                .find_map(|e| e.notes.first())?
                .pitch();
            return Some(key.map(|k| Expect::Text(DEGREES[k.degree(last)].to_string())));
        }
    }
    if p.contains("scale") && v.line().is_some() && !p.contains("which of these") {
        let (tonic, kind) = match scale_of(&v.line()?) {
            Ok(s) => s,
            Err(e) => return Some(Err(e)),
        };
        let full = format!("{} {kind}", tonic.name());
        let options = q.options.clone().unwrap_or_default();
        let lettered = options
            .iter()
            .any(|o| parse_pitch(o.split(' ').next().unwrap_or("")).is_some());
        return Some(if lettered {
            text(full)
        } else if options.iter().all(|o| o == "major" || o == "minor") {
            text(if kind == "major" { "major" } else { "minor" })
        } else {
            text(kind)
        });
    }
    let sign_count = |s: &str| -> Option<i8> {
        let mut w = s.split_whitespace();
        let n = count_of(w.next()?)? as i8;
        let kind = w.next()?;
        Some(if kind.starts_with("flat") {
            -n
        } else if kind.starts_with("sharp") {
            n
        } else {
            return None;
        })
    };
    if let Some(kind) = between(p, "how many ", " ")
        && (kind == "sharps" || kind == "flats")
    {
        let k = key_in(p)?;
        let s = k.sharps()?;
        let n = if (kind == "sharps") == (s > 0) {
            s.abs()
        } else {
            0
        };
        return Some(Ok(Expect::Num(f64::from(n))));
    }
    if let Some(rest) = after(p, "which major key has ") {
        let n = sign_count(rest)?;
        return Some(text(Key::of_signature(n, false).name()));
    }
    if let Some(rest) = after(p, "which of these keys have a key signature of ") {
        let n = sign_count(rest)?;
        return Some(judge(format!("keys with {}", clean(rest)), move |o| {
            let k = parse_key(o).ok_or_else(|| format!("not a key: {o:?}"))?;
            Ok(k.sharps() == Some(n))
        }));
    }
    if let Some(k) = after(p, "relative minor of ").or_else(|| after(p, "relative major of ")) {
        return Some(
            parse_key(clean(k.split('?').next()?))
                .map(|k| Expect::Text(k.relative().name()))
                .ok_or_else(|| format!("cannot read the key in {p:?}")),
        );
    }
    if let Some(rest) = after(p, "which of these notes are in the scale of ") {
        let scale = parse_key(clean(rest))?.scale("major")?;
        return Some(judge(format!("the notes of {}", clean(rest)), move |o| {
            let o = parse_pitch(o).ok_or_else(|| format!("not a note: {o:?}"))?;
            Ok(scale.contains(&o))
        }));
    }
    if let Some(claim) = after(p, "true or false: ") {
        if let Some((k, has)) = claim.split_once(" has ")
            && let (Some(k), Some(n)) = (parse_key(k), sign_count(has))
        {
            return Some(Ok(Expect::Bool(k.sharps() == Some(n))));
        }
        for (d, name) in DEGREES.iter().enumerate() {
            if let Some(rest) = after(claim, &format!("the {name} of ")) {
                let (k, note) = rest.split_once(" is ")?;
                let key = parse_key(k)?;
                let note = parse_pitch(clean(note))?;
                return Some(Ok(Expect::Bool(key.scale("major")?[d] == note)));
            }
        }
    }
    for (d, name) in DEGREES.iter().enumerate() {
        if let Some(rest) = after(p, &format!("what is the {name} of ")) {
            let key = parse_key(clean(rest))?;
            let kind = if key.minor { "harmonic minor" } else { "major" };
            return Some(text(key.scale(kind)?[d].name()));
        }
    }
    None
}
