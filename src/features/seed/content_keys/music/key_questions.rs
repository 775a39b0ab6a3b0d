//! Questions about keys and scales: a key from its signature, a scale's name, a degree.

use studyhub_actors::content::Question;

use super::super::expect::{Expect, Found, judge, text};
use super::super::words::{after, between, clean, count_of};
use super::keys::*;
use super::notes::parse_pitch;
use super::view::View;

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
