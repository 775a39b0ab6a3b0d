//! Reading the stave: which note is on which line or space, in which clef, and which note of a
//! tune is asked about.

use studyhub_actors::content::Question;

use super::super::expect::{Expect, Found, judge, text};
use super::super::words::{after, clean};
use super::notes::*;
use super::view::View;

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
