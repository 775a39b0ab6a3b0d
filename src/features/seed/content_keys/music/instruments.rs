//! Instruments of the orchestra, composers and their periods, and the questions on them.

use studyhub_actors::content::Question;

use super::super::expect::{Expect, Found, judge, text};
use super::super::words::{after, between, clean, norm};
use super::view::View;

/// Orchestral instruments: family, lowest note (MIDI), reed.
const INSTRUMENTS: &[(&str, &str, i32, &str)] = &[
    ("violin", "strings", 55, ""),
    ("viola", "strings", 48, ""),
    ("cello", "strings", 36, ""),
    ("double bass", "strings", 28, ""),
    ("harp", "strings", 24, ""),
    ("flute", "woodwind", 60, "none"),
    ("piccolo", "woodwind", 74, "none"),
    ("oboe", "woodwind", 58, "double"),
    ("clarinet", "woodwind", 50, "single"),
    ("saxophone", "woodwind", 49, "single"),
    ("bassoon", "woodwind", 34, "double"),
    ("trumpet", "brass", 54, ""),
    ("french horn", "brass", 34, ""),
    ("trombone", "brass", 40, ""),
    ("tuba", "brass", 26, ""),
    ("timpani", "percussion", 40, ""),
    ("xylophone", "percussion", 65, ""),
    ("glockenspiel", "percussion", 79, ""),
    ("snare drum", "percussion", 0, ""),
    ("triangle", "percussion", 0, ""),
];
const TUNED_PERCUSSION: [&str; 5] = [
    "timpani",
    "xylophone",
    "glockenspiel",
    "marimba",
    "vibraphone",
];
const STRINGS_ON: [(&str, u32); 5] = [
    ("violin", 4),
    ("viola", 4),
    ("cello", 4),
    ("double bass", 4),
    ("guitar", 6),
];
const COMPOSERS: &[(&str, &str)] = &[
    ("bach", "Baroque"),
    ("handel", "Baroque"),
    ("vivaldi", "Baroque"),
    ("purcell", "Baroque"),
    ("haydn", "Classical"),
    ("mozart", "Classical"),
    ("chopin", "Romantic"),
    ("schumann", "Romantic"),
    ("brahms", "Romantic"),
    ("tchaikovsky", "Romantic"),
    ("wagner", "Romantic"),
    ("debussy", "20th century"),
    ("stravinsky", "20th century"),
];
const PERIODS: &[(&str, u32, u32)] = &[
    ("Baroque", 1600, 1750),
    ("Classical", 1750, 1820),
    ("Romantic", 1820, 1900),
    ("20th century", 1900, 2000),
];
/// What you hear → the period it belongs to.
const FEATURES: &[(&str, &str)] = &[
    ("basso continuo", "Baroque"),
    ("harpsichord", "Baroque"),
    ("terraced dynamics", "Baroque"),
    ("alberti bass", "Classical"),
    ("leitmotif", "Romantic"),
];
const WORKS: &[(&str, &str)] = &[("the four seasons", "Vivaldi")];

pub(super) fn instruments(v: &View, q: &Question) -> Option<Found> {
    let p = v.p.as_str();
    let find = |name: &str| {
        INSTRUMENTS
            .iter()
            .find(|i| i.0 == norm(name).as_str())
            .copied()
    };
    let family_of = move |o: &str| {
        find(o)
            .map(|i| i.1)
            .ok_or_else(|| format!("no instrument {o:?} in the table"))
    };
    if let Some(name) = between(p, "family of the orchestra does the ", " belong") {
        return Some(family_of(name).map(|f| Expect::Text(f.to_string())));
    }
    if let Some(family) = between(p, "which of these instruments belong to the ", " family") {
        let family = if family == "string" {
            "strings"
        } else {
            family
        }
        .to_string();
        return Some(judge(format!("the {family}"), move |o| {
            Ok(family_of(o)? == family)
        }));
    }
    if let Some(name) = between(
        p,
        "true or false: the ",
        " is a tuned percussion instrument",
    ) {
        return Some(Ok(Expect::Bool(TUNED_PERCUSSION.contains(&name))));
    }
    if p.contains("can play the lowest") || p.contains("lowest-pitched member") {
        let family = between(p, "which of these ", " instruments")
            .or_else(|| between(p, "orchestral ", " family"))?
            .to_string();
        let family = if family == "string" {
            "strings".to_string()
        } else {
            family
        };
        let mut lowest = ("", i32::MAX);
        for o in q.options.as_deref()? {
            let i = find(o)?;
            if i.1 != family {
                return Some(Err(format!("the {} is not in the {family} family", i.0)));
            }
            if i.2 < lowest.1 {
                lowest = (i.0, i.2);
            }
        }
        let lowest = lowest.0;
        return Some(judge(
            format!("the lowest of these {family} ({lowest})"),
            move |o| Ok(find(o).ok_or_else(|| format!("no instrument {o:?}"))?.0 == lowest),
        ));
    }
    if let Some(reed) = between(p, "woodwind instruments uses a ", " reed") {
        let reed = reed.to_string();
        return Some(judge(format!("a {reed} reed"), move |o| {
            Ok(find(o).ok_or_else(|| format!("no instrument {o:?}"))?.3 == reed)
        }));
    }
    if let Some(name) = between(p, "how many strings does a ", " have") {
        return Some(
            STRINGS_ON
                .iter()
                .find(|s| s.0 == name)
                .map(|s| Expect::Num(f64::from(s.1)))
                .ok_or_else(|| format!("no strings known for {name:?}")),
        );
    }
    let period_of = |c: &str| {
        COMPOSERS
            .iter()
            .find(|x| x.0 == norm(c))
            .map(|x| x.1)
            .ok_or_else(|| format!("no composer {c:?} in the table"))
    };
    if let Some(c) = between(p, "which period did ", " compose in") {
        return Some(period_of(c).map(|x| Expect::Text(x.to_string())));
    }
    if let Some(period) = between(p, "which of these composers belong to the ", " period") {
        let period = period.to_string();
        return Some(judge(format!("the {period} composers"), move |o| {
            Ok(norm(period_of(o)?) == norm(&period))
        }));
    }
    if let Some(rest) = after(p, "true or false: ")
        && let Some((c, period)) = rest.split_once(" was a ")
        && let Some(period) = period.strip_suffix(" composer.")
    {
        return Some(period_of(c).map(|x| Expect::Bool(norm(x) == norm(period))));
    }
    if let Some(years) = between(p, "which period runs roughly from ", "?") {
        let (a, b) = years.split_once(" to ")?;
        let (a, b): (u32, u32) = (a.trim().parse().ok()?, b.trim().parse().ok()?);
        return Some(
            PERIODS
                .iter()
                .find(|x| x.1 == a && x.2 == b)
                .map(|x| Expect::Text(x.0.to_string()))
                .ok_or_else(|| format!("no period from {a} to {b}")),
        );
    }
    if let Some(period) = between(p, "in which year did the ", " period roughly ") {
        let end = after(p, " period roughly ")?.starts_with("end");
        return Some(
            PERIODS
                .iter()
                .find(|x| norm(x.0) == norm(period))
                .map(|x| Expect::Num(f64::from(if end { x.2 } else { x.1 })))
                .ok_or_else(|| format!("no period {period:?}")),
        );
    }
    if let Some(work) = after(p, "who composed ") {
        let work = clean(work);
        return Some(
            WORKS
                .iter()
                .find(|w| w.0 == work)
                .map(|w| Expect::Text(w.1.to_string()))
                .ok_or_else(|| format!("no composer known for {work:?}")),
        );
    }
    if p.contains("which period") {
        if let Some(line) = v.line() {
            // An Alberti bass: each group of four goes low, high, middle, high.
            let alberti = line.len() >= 8
                && line.len() % 4 == 0
                && line
                    .chunks(4)
                    .all(|g| g[0].midi < g[2].midi && g[2].midi < g[1].midi && g[1] == g[3]);
            return Some(if alberti {
                text("Classical")
            } else {
                Err("the notes are not an Alberti bass".into())
            });
        }
        let (_, period) = FEATURES.iter().find(|f| p.contains(f.0))?;
        return Some(text(*period));
    }
    None
}
