//! Reading a stave: `abc::parse`'s events with the letters as written, bar by bar, and marks.

use studyhub_actors::content::abc;

use super::keys::{Key, abc_key};
use super::notes::{LETTERS, Note};

pub(super) struct Ev {
    pub(super) notes: Vec<Note>,
    pub(super) length: f64,
}

/// A stave as the checker reads it: `abc::parse`'s events (pitches with the key signature and
/// accidentals applied, lengths) with the letter names as written, bar by bar, and the words
/// and signs written on it.
pub(super) struct Stave {
    pub(super) tune: abc::Tune,
    pub(super) events: Vec<Ev>,
    /// Event indices of each bar that holds any.
    pub(super) bars: Vec<Vec<usize>>,
    /// (bar, words) written above or below.
    pub(super) words: Vec<(usize, String)>,
    /// Decorations, staccato dots and slurs, in order.
    pub(super) marks: Vec<String>,
}

fn skip_length(c: &[char], i: &mut usize) {
    while c.get(*i).is_some_and(|x| x.is_ascii_digit() || *x == '/') {
        *i += 1;
    }
}

/// The staff step of a note head at `c[*i]` (accidentals first), moving past it.
fn head(c: &[char], i: &mut usize) -> Option<i32> {
    while c.get(*i).is_some_and(|x| matches!(x, '^' | '_' | '=')) {
        *i += 1;
    }
    let l = *c.get(*i)?;
    let letter = LETTERS.iter().position(|x| *x == l.to_ascii_uppercase())? as i32;
    let mut octave = if l.is_ascii_uppercase() { 4 } else { 5 };
    *i += 1;
    while let Some(m) = c.get(*i).filter(|m| **m == ',' || **m == '\'') {
        octave += if *m == ',' { -1 } else { 1 };
        *i += 1;
    }
    Some(octave * 7 + letter)
}

fn closing(c: &[char], from: usize, end: char) -> Result<usize, String> {
    (from..c.len())
        .find(|j| c[*j] == end)
        .ok_or_else(|| format!("{end:?} not closed"))
}

pub(super) fn read_stave(text: &str) -> Result<Stave, String> {
    let tune = abc::parse(text).map_err(|e| format!("the stave: {e}"))?;
    let mut heads: Vec<(Vec<i32>, usize)> = Vec::new();
    let (mut bar, mut bar_used) = (0, false);
    let (mut words, mut marks) = (Vec::new(), Vec::new());
    let mut body = false;
    for line in text.lines() {
        let b = line.as_bytes();
        if b.len() > 1 && b[0].is_ascii_alphabetic() && b[1] == b':' {
            body |= line.starts_with("K:");
            continue;
        }
        if !body {
            continue;
        }
        let c: Vec<char> = line.chars().collect();
        let mut i = 0;
        while i < c.len() {
            match c[i] {
                '%' => break,
                ' ' | '\t' | '-' | ')' | '>' | '<' | '`' | '~' | 'y' | 'T' | 'L' | 'M' | 'O'
                | 'P' | 'S' | 'u' | 'v' => i += 1,
                d if d.is_ascii_digit() || d == '/' => i += 1,
                'H' => {
                    marks.push("fermata".to_string());
                    i += 1;
                }
                '.' => {
                    marks.push("staccato".to_string());
                    i += 1;
                }
                '(' => {
                    i += 1;
                    if c.get(i).is_some_and(char::is_ascii_digit) {
                        skip_length(&c, &mut i);
                    } else {
                        marks.push("slur(".to_string());
                    }
                }
                '"' => {
                    let end = closing(&c, i + 1, '"')?;
                    let t: String = c[i + 1..end].iter().collect();
                    if let Some(w) = t.strip_prefix(['^', '_', '<', '>', '@']) {
                        words.push((bar, w.to_string()));
                    }
                    i = end + 1;
                }
                e @ ('!' | '+') => {
                    let end = closing(&c, i + 1, e)?;
                    marks.push(c[i + 1..end].iter().collect());
                    i = end + 1;
                }
                '{' => i = closing(&c, i + 1, '}')? + 1,
                '|' | ':' | ']' => {
                    while c.get(i).is_some_and(|x| matches!(x, '|' | ':' | ']')) {
                        i += 1;
                    }
                    skip_length(&c, &mut i);
                    if bar_used {
                        bar += 1;
                        bar_used = false;
                    }
                }
                '[' => match c.get(i + 1) {
                    Some('|') => i += 1,
                    Some(d) if d.is_ascii_digit() => {
                        i += 1;
                        skip_length(&c, &mut i);
                    }
                    Some(f) if f.is_ascii_alphabetic() && c.get(i + 2) == Some(&':') => {
                        i = closing(&c, i, ']')? + 1;
                    }
                    _ => {
                        i += 1;
                        let mut chord = Vec::new();
                        while c.get(i).is_some_and(|x| *x != ']') {
                            if c[i] == '-' {
                                i += 1;
                                continue;
                            }
                            chord.push(head(&c, &mut i).ok_or("the checker cannot read a chord")?);
                            skip_length(&c, &mut i);
                        }
                        i += 1;
                        skip_length(&c, &mut i);
                        heads.push((chord, bar));
                        bar_used = true;
                    }
                },
                'z' | 'x' | 'Z' | 'X' => {
                    i += 1;
                    skip_length(&c, &mut i);
                    heads.push((Vec::new(), bar));
                    bar_used = true;
                }
                _ => {
                    let step = head(&c, &mut i).ok_or_else(|| {
                        format!("the checker cannot read {:?} in the stave", c[i])
                    })?;
                    skip_length(&c, &mut i);
                    heads.push((vec![step], bar));
                    bar_used = true;
                }
            }
        }
    }
    if heads.len() != tune.events.len() {
        return Err(format!(
            "the checker reads {} events, the ABC reader {}",
            heads.len(),
            tune.events.len()
        ));
    }
    let mut events = Vec::new();
    let mut bars: Vec<Vec<usize>> = Vec::new();
    for (i, ((steps, bar), e)) in heads.into_iter().zip(&tune.events).enumerate() {
        if steps.len() != e.pitches.len() {
            return Err(format!(
                "event {i}: {} note heads, {} pitches",
                steps.len(),
                e.pitches.len()
            ));
        }
        let notes: Vec<Note> = steps
            .iter()
            .zip(&e.pitches)
            .map(|(step, midi)| Note {
                step: *step,
                midi: i32::from(*midi),
            })
            .collect();
        if notes.iter().any(|n| n.alter().abs() > 2) {
            return Err(format!("event {i}: a note head and its sound disagree"));
        }
        while bars.len() <= bar {
            bars.push(Vec::new());
        }
        bars[bar].push(i);
        events.push(Ev {
            notes,
            length: e.length,
        });
    }
    bars.retain(|b| !b.is_empty());
    Ok(Stave {
        tune,
        events,
        bars,
        words,
        marks,
    })
}

impl Stave {
    pub(super) fn bar_length(&self, bar: &[usize]) -> f64 {
        bar.iter().map(|i| self.events[*i].length).sum()
    }
    pub(super) fn bar_notes(&self, bar: usize) -> Vec<Note> {
        self.bars
            .get(bar)
            .map(|b| {
                b.iter()
                    .flat_map(|i| sorted(&self.events[*i].notes))
                    .collect()
            })
            .unwrap_or_default()
    }
    pub(super) fn key(&self) -> Result<Key, String> {
        abc_key(&self.tune.key).ok_or_else(|| format!("cannot read the key {:?}", self.tune.key))
    }
}

pub(super) fn sorted(notes: &[Note]) -> Vec<Note> {
    let mut n = notes.to_vec();
    n.sort_by_key(|n| (n.midi, n.step));
    n
}
