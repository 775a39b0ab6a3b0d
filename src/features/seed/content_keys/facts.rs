//! Keys that are facts, not computations: maths and music prompts keyed by hand.

use studyhub_actors::content::Question;

use super::expect::{Expect, Found};

/// Maths facts that are not a computation.
pub(super) const MATH_FACTS: &[(&str, Fact)] = &[(
    "True or false: two hands have 10 fingers altogether.",
    Fact::Bool(true),
)];

pub(super) enum Fact {
    Bool(bool),
    Num(f64),
    Text(&'static str),
}

pub(super) fn fact(table: &[(&str, Fact)], q: &Question) -> Option<Found> {
    table.iter().find(|(p, _)| *p == q.prompt).map(|(_, f)| {
        Ok(match f {
            Fact::Bool(b) => Expect::Bool(*b),
            Fact::Num(n) => Expect::Num(*n),
            Fact::Text(t) => Expect::Text(t.to_string()),
        })
    })
}

/// Facts of music theory and history that are not a computation.
pub(super) const MUSIC_FACTS: &[(&str, Fact)] = &[
    ("How many lines does a stave (staff) have?", Fact::Num(5.0)),
    (
        "True or false: the treble clef is also called the G clef.",
        Fact::Bool(true),
    ),
    (
        "True or false: a note written higher up the stave sounds lower.",
        Fact::Bool(false),
    ),
    (
        "Which clef is used for low notes, such as the left hand of the piano?",
        Fact::Text("bass clef"),
    ),
    (
        "True or false: a quaver rest lasts as long as a quaver.",
        Fact::Bool(true),
    ),
    (
        "True or false: the harmonic minor scale raises the 7th degree.",
        Fact::Bool(true),
    ),
    (
        "What one-word name is given to an augmented 4th, such as F up to B?",
        Fact::Text("tritone"),
    ),
    (
        "True or false: the harpsichord's strings are plucked.",
        Fact::Bool(true),
    ),
    (
        "True or false: timpani can be tuned to definite pitches.",
        Fact::Bool(true),
    ),
    (
        "How many different notes are there in a triad?",
        Fact::Num(3.0),
    ),
    (
        "What is the technical name for the first note of a scale, on which chord I is built?",
        Fact::Text("tonic"),
    ),
    (
        "True or false: an imperfect cadence ends on chord V.",
        Fact::Bool(true),
    ),
    (
        "True or false: a canon, where one part copies another a few beats later, has a polyphonic texture.",
        Fact::Bool(true),
    ),
];
