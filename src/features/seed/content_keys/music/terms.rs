//! Italian terms, signs, tempi and dynamics: their tables and the questions about them.

use std::collections::BTreeSet;

use studyhub_actors::content::Question;

use super::super::expect::{Expect, Found, judge, text};
use super::super::words::{after, between, clean, norm};
use super::view::View;

/// Italian terms: term, meaning, what it is about.
const TERMS: &[(&str, &str, &str)] = &[
    ("largo", "slow and broad", "tempo"),
    ("adagio", "slow", "tempo"),
    ("andante", "at a walking pace", "tempo"),
    ("moderato", "at a moderate speed", "tempo"),
    ("allegro", "fast and lively", "tempo"),
    ("vivace", "lively and fast", "tempo"),
    ("presto", "very fast", "tempo"),
    ("accelerando", "gradually getting faster", "tempo"),
    ("ritardando", "gradually getting slower", "tempo"),
    ("rallentando", "gradually getting slower", "tempo"),
    ("a tempo", "back to the original speed", "tempo"),
    ("rubato", "with flexible timing", "tempo"),
    ("pianissimo", "very soft", "dynamics"),
    ("piano", "soft", "dynamics"),
    ("mezzo piano", "moderately soft", "dynamics"),
    ("mezzo forte", "moderately loud", "dynamics"),
    ("forte", "loud", "dynamics"),
    ("fortissimo", "very loud", "dynamics"),
    ("crescendo", "gradually getting louder", "dynamics"),
    ("diminuendo", "gradually getting softer", "dynamics"),
    ("decrescendo", "gradually getting softer", "dynamics"),
    ("sforzando", "a sudden strong accent", "dynamics"),
    ("legato", "smoothly", "style"),
    ("staccato", "short and detached", "style"),
    ("dolce", "sweetly", "style"),
    ("cantabile", "in a singing style", "style"),
    ("pizzicato", "plucked", "style"),
    ("arco", "with the bow", "style"),
    ("tutti", "everyone plays", "style"),
    ("fermata", "a pause: hold the note longer", "sign"),
    ("da capo", "from the beginning", "sign"),
    ("fine", "the end", "sign"),
];

/// Abbreviations, signs and ABC decorations → terms.
const SIGNS: &[(&str, &str)] = &[
    ("pp", "pianissimo"),
    ("p", "piano"),
    ("mp", "mezzo piano"),
    ("mf", "mezzo forte"),
    ("f", "forte"),
    ("ff", "fortissimo"),
    ("sfz", "sforzando"),
    ("cresc.", "crescendo"),
    ("crescendo(", "crescendo"),
    ("<(", "crescendo"),
    ("dim.", "diminuendo"),
    ("diminuendo(", "diminuendo"),
    (">(", "diminuendo"),
    ("rit.", "ritardando"),
    ("rall.", "rallentando"),
    ("accel.", "accelerando"),
    ("pizz.", "pizzicato"),
    ("d.c.", "da capo"),
    ("slur(", "legato"),
];

/// Typical speeds (beats a minute) of the tempo words.
const TEMPI: &[(&str, u32, u32)] = &[
    ("largo", 40, 60),
    ("adagio", 60, 76),
    ("andante", 76, 108),
    ("moderato", 108, 120),
    ("allegro", 120, 168),
    ("vivace", 140, 176),
    ("presto", 168, 208),
];

const LOUDNESS: [&str; 6] = [
    "pianissimo",
    "piano",
    "mezzo piano",
    "mezzo forte",
    "forte",
    "fortissimo",
];

fn term(s: &str) -> Option<&'static (&'static str, &'static str, &'static str)> {
    let t = s.trim().to_lowercase();
    let t = SIGNS
        .iter()
        .find(|(sign, _)| *sign == t)
        .map_or(t.as_str(), |(_, term)| *term)
        .to_string();
    TERMS.iter().find(|(name, _, _)| *name == t)
}

fn meaning(s: &str) -> Result<&'static str, String> {
    term(s)
        .map(|t| t.1)
        .ok_or_else(|| format!("{s:?} is not in the table of Italian terms"))
}

fn tempo_mid(s: &str) -> Option<f64> {
    let t = term(s)?.0;
    TEMPI
        .iter()
        .find(|(n, _, _)| *n == t)
        .map(|(_, lo, hi)| f64::from(lo + hi) / 2.0)
}

fn loudness(s: &str) -> Option<usize> {
    let t = term(s)?.0;
    LOUDNESS.iter().position(|l| *l == t)
}

pub(super) fn italian(v: &View, _: &Question) -> Option<Found> {
    let p = v.p.as_str();
    if let Some(st) = &v.stave
        && [
            "word above",
            "marking",
            "the sign ",
            "dots",
            "curved line",
            "hairpin",
        ]
        .iter()
        .any(|w| p.contains(w))
    {
        let bar = between(p, "bar ", " ").and_then(|n| n.parse::<usize>().ok());
        let mut names: Vec<String> = st
            .words
            .iter()
            .filter(|(b, _)| bar.is_none_or(|n| *b + 1 == n))
            .map(|(_, w)| w.clone())
            .collect();
        if bar.is_none() && !p.contains("word above") {
            names.extend(st.marks.iter().filter(|m| !m.ends_with(')')).cloned());
        }
        let terms: BTreeSet<&str> = names.iter().filter_map(|n| term(n)).map(|t| t.0).collect();
        let [t] = terms.into_iter().collect::<Vec<_>>()[..] else {
            return Some(Err(format!(
                "the stave carries {names:?}: the checker needs one term"
            )));
        };
        let m = meaning(t).ok()?;
        if let Some(claim) = after(p, "means ") {
            return Some(Ok(Expect::Bool(
                norm(claim.trim_matches(['"', '.', ' '])) == norm(m),
            )));
        }
        return Some(text(m));
    }
    if let Some(t) = between(p, "what does ", " mean") {
        return Some(meaning(t).map(|m| Expect::Text(m.to_string())));
    }
    if let Some(m) = between(p, "italian word means \"", "\"") {
        let m = m.to_string();
        return Some(judge(format!("the term meaning {m:?}"), move |o| {
            Ok(norm(meaning(o)?) == norm(&m))
        }));
    }
    if let Some(sign) = between(p, "the marking ", " is short for") {
        return Some(
            term(sign)
                .map(|t| Expect::Text(t.0.to_string()))
                .ok_or_else(|| format!("{sign:?} is not in the table of signs")),
        );
    }
    if let Some(claim) = after(p, "true or false: ") {
        for (word, faster) in [
            (" is faster than ", true),
            (" is slower than ", false),
            (" is louder than ", true),
            (" is softer than ", false),
        ] {
            if let Some((a, b)) = claim.split_once(word) {
                let b = clean(b);
                let (x, y) = if word.contains("fast") || word.contains("slow") {
                    (tempo_mid(a)?, tempo_mid(b)?)
                } else {
                    (loudness(a)? as f64, loudness(b)? as f64)
                };
                return Some(Ok(Expect::Bool(if faster { x > y } else { x < y })));
            }
        }
    }
    if p.contains("which of these words tell the player to play slowly") {
        return Some(judge("the slow tempo words", |o| {
            tempo_mid(o)
                .map(|b| b < 80.0)
                .ok_or_else(|| format!("no tempo for {o:?}"))
        }));
    }
    if p.contains("which of these words tell the player to play fast") {
        return Some(judge("the fast tempo words", |o| {
            tempo_mid(o)
                .map(|b| b > 120.0)
                .ok_or_else(|| format!("no tempo for {o:?}"))
        }));
    }
    if p.contains("which of these markings mean play softly")
        || p.contains("which of these markings mean play loudly")
    {
        let soft = p.contains("softly");
        return Some(judge("the dynamics asked for", move |o| {
            loudness(o)
                .map(|l| (l <= 2) == soft)
                .ok_or_else(|| format!("no loudness for {o:?}"))
        }));
    }
    if p.contains("which of these words are about how fast to play") {
        return Some(judge("the tempo words", |o| {
            term(o)
                .map(|t| t.2 == "tempo")
                .ok_or_else(|| format!("{o:?} is not in the table"))
        }));
    }
    if let Some(so) = &v.sound {
        if p.contains("is this played ") {
            let bpm = so.tempo;
            return Some(judge(
                format!("the tempo word for {bpm} beats a minute"),
                move |o| {
                    let t = term(o).ok_or_else(|| format!("{o:?} is not in the table"))?;
                    let (_, lo, hi) = TEMPI
                        .iter()
                        .find(|x| x.0 == t.0)
                        .ok_or("not a tempo word")?;
                    Ok((*lo..=*hi).contains(&bpm))
                },
            ));
        }
        if p.contains("what happens to the speed") {
            let d = &so.durations;
            let slower = d.windows(2).all(|w| w[1] >= w[0]) && d[d.len() - 1] > d[0];
            let faster = d.windows(2).all(|w| w[1] <= w[0]) && d[d.len() - 1] < d[0];
            let change = match (slower, faster) {
                (true, false) => "gradually getting slower",
                (false, true) => "gradually getting faster",
                _ => {
                    return Some(Err(
                        "the notes neither only lengthen nor only shorten".into()
                    ));
                }
            };
            return Some(judge(format!("a term meaning {change:?}"), move |o| {
                Ok(term(o).is_some_and(|t| t.1 == change))
            }));
        }
    }
    None
}
