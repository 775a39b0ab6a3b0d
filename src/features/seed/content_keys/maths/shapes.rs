//! Flat and solid shapes: their sides, corners, faces and edges, and the questions on them.

use studyhub_actors::content::Question;

use super::super::expect::{Expect, Found, judge, text};
use super::super::words::same;
use super::super::words::{after, between, count_of, norm};

/// Flat and solid shapes: (name, sides, corners or vertices, faces, edges, right angles, solid,
/// shape of its faces).
#[allow(clippy::type_complexity)]
const SHAPES: &[(
    &str,
    Option<u32>,
    Option<u32>,
    Option<u32>,
    Option<u32>,
    Option<u32>,
    bool,
    &str,
)] = &[
    ("circle", Some(0), Some(0), None, None, Some(0), false, ""),
    ("triangle", Some(3), Some(3), None, None, None, false, ""),
    ("square", Some(4), Some(4), None, None, Some(4), false, ""),
    (
        "rectangle",
        Some(4),
        Some(4),
        None,
        None,
        Some(4),
        false,
        "",
    ),
    ("pentagon", Some(5), Some(5), None, None, None, false, ""),
    ("hexagon", Some(6), Some(6), None, None, None, false, ""),
    ("octagon", Some(8), Some(8), None, None, None, false, ""),
    (
        "cube",
        None,
        Some(8),
        Some(6),
        Some(12),
        None,
        true,
        "square",
    ),
    (
        "cuboid",
        None,
        Some(8),
        Some(6),
        Some(12),
        None,
        true,
        "rectangle",
    ),
    (
        "square based pyramid",
        None,
        Some(5),
        Some(5),
        Some(8),
        None,
        true,
        "",
    ),
    (
        "triangular prism",
        None,
        Some(6),
        Some(5),
        Some(9),
        None,
        true,
        "",
    ),
    ("sphere", None, Some(0), None, Some(0), None, true, ""),
    ("cylinder", None, Some(0), None, Some(2), None, true, ""),
    ("cone", None, Some(1), None, Some(1), None, true, ""),
];

fn shape_in(s: &str) -> Option<usize> {
    let s = norm(s);
    SHAPES
        .iter()
        .enumerate()
        .filter(|(_, sh)| {
            s.split(' ')
                .collect::<Vec<_>>()
                .windows(sh.0.split(' ').count())
                .any(|w| {
                    let w = w.join(" ");
                    w == sh.0 || w == format!("{}s", sh.0)
                })
        })
        .max_by_key(|(_, sh)| sh.0.len())
        .map(|(i, _)| i)
}

fn shape_prop(i: usize, prop: &str) -> Option<u32> {
    let sh = SHAPES[i];
    match prop {
        "sides" => sh.1,
        "corners" | "vertices" => sh.2,
        "faces" => sh.3,
        "edges" => sh.4,
        "right angles" => sh.5,
        _ => None,
    }
}

fn prop_in(s: &str) -> Option<&'static str> {
    [
        "right angles",
        "sides",
        "corners",
        "vertices",
        "faces",
        "edges",
    ]
    .into_iter()
    .find(|w| s.contains(w))
}

pub(super) fn shapes(p: &str, _: &Question) -> Option<Found> {
    let prop = prop_in(p);
    if let (Some(prop), Some(rest)) = (prop, after(p, "how many "))
        && let Some(i) = shape_in(rest)
    {
        return Some(
            shape_prop(i, prop)
                .map(|n| Expect::Num(f64::from(n)))
                .ok_or_else(|| format!("the table has no {prop} for a {}", SHAPES[i].0)),
        );
    }
    if let Some(prop) = prop
        && p.starts_with("which")
        && (p.contains(" has ") || p.contains(" have "))
    {
        let rest = after(p, " has ").or_else(|| after(p, " have "))?;
        let n = count_of(rest.split(' ').next()?)?;
        return Some(judge(format!("shapes with {n} {prop}"), move |o| {
            let i = shape_in(o).ok_or_else(|| format!("no shape {o:?} in the table"))?;
            Ok(shape_prop(i, prop).is_some_and(|v| same(f64::from(v), n)))
        }));
    }
    if let Some(n) = between(p, "what do we call a flat shape with ", " sides") {
        let n: u32 = n.trim().parse().ok()?;
        let names: Vec<&str> = SHAPES
            .iter()
            .filter(|s| !s.6 && s.1 == Some(n))
            .map(|s| s.0)
            .collect();
        return Some(match names.as_slice() {
            [one] => text(*one),
            _ => Err(format!("{names:?} have {n} sides")),
        });
    }
    if p.starts_with("which of these") && p.contains("solid") {
        return Some(judge("the solid shapes", |o| {
            let i = shape_in(o).ok_or_else(|| format!("no shape {o:?} in the table"))?;
            Ok(SHAPES[i].6)
        }));
    }
    if let Some(rest) = after(p, "what shape are the faces of ") {
        let i = shape_in(rest)?;
        let face = SHAPES[i].7;
        return Some(if face.is_empty() {
            Err(format!("a {} has faces of several shapes", SHAPES[i].0))
        } else {
            text(face)
        });
    }
    if let (Some(prop), Some(claim)) = (prop, after(p, "true or false: ")) {
        let (subject, has) = claim.split_once(" has ")?;
        let i = shape_in(subject)?;
        let n = count_of(has.split(' ').next()?)?;
        return Some(
            shape_prop(i, prop)
                .map(|v| Expect::Bool(same(f64::from(v), n)))
                .ok_or_else(|| format!("the table has no {prop} for a {}", SHAPES[i].0)),
        );
    }
    None
}
