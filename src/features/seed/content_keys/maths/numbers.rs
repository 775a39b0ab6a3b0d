//! Number questions: counting, number words, picking options, true-or-false sums, plain sums.

use studyhub_actors::content::Question;

use super::super::calc::{arithmetic_words, gcd, truth, value};
use super::super::expect::{Expect, Found, judge, text};
use super::super::words::same;
use super::super::words::{after, between, clean, in_words};
use super::measures::times_as_numbers;

pub(super) fn counting(p: &str, _: &Question) -> Option<Found> {
    if p.starts_with("how many") && p.contains('★') {
        return Some(Ok(Expect::Num(p.matches('★').count() as f64)));
    }
    for (form, step) in [
        ("what number comes after ", 1.0),
        ("what number comes just before ", -1.0),
        ("what number comes before ", -1.0),
        ("what number is one more than ", 1.0),
        ("what number is one less than ", -1.0),
        ("what number is ten more than ", 10.0),
        ("what number is ten less than ", -10.0),
    ] {
        if let Some(rest) = after(p, form) {
            return Some(
                value(clean(rest))
                    .map(|n| Expect::Num(n + step))
                    .ok_or_else(|| format!("cannot read the number in {p:?}")),
            );
        }
    }
    if (p.contains("...") || p.contains('…')) && p.contains("next") {
        let list = p.split(['.', '…']).next().unwrap_or_default();
        let list = list.rsplit(':').next().unwrap_or_default();
        let terms: Option<Vec<f64>> = list
            .split(',')
            .map(clean)
            .filter(|t| !t.is_empty())
            .map(value)
            .collect();
        return Some(match terms.as_deref() {
            Some([.., a, b, c]) if same(c - b, b - a) => Ok(Expect::Num(c + (c - b))),
            _ => Err(format!("cannot read a counting pattern in {p:?}")),
        });
    }
    None
}

pub(super) fn vocabulary(p: &str, _: &Question) -> Option<Found> {
    if let Some(n) = between(p, "write the number ", " in words") {
        return Some(
            n.trim()
                .parse::<i64>()
                .ok()
                .and_then(in_words)
                .map(Expect::Text)
                .ok_or_else(|| format!("cannot write {n} in words")),
        );
    }
    if let Some(op) = after(p, "what do we call the answer to ") {
        let op = clean(op).trim_start_matches("an ").trim_start_matches("a ");
        return Some(
            [
                ("addition", "sum"),
                ("subtraction", "difference"),
                ("multiplication", "product"),
                ("division", "quotient"),
            ]
            .iter()
            .find(|(o, _)| *o == op)
            .map(|(_, w)| Expect::Text(w.to_string()))
            .ok_or_else(|| format!("no word for the answer to {op}")),
        );
    }
    if p.contains("in the fraction") && p.contains("what do we call the bottom number") {
        return Some(text("denominator"));
    }
    if p.contains("in the fraction") && p.contains("what do we call the top number") {
        return Some(text("numerator"));
    }
    None
}

const FRACTION_WORDS: [(&str, f64); 6] = [
    ("one half", 0.5),
    ("a half", 0.5),
    ("one quarter", 0.25),
    ("three quarters", 0.75),
    ("one third", 1.0 / 3.0),
    ("two thirds", 2.0 / 3.0),
];

pub(super) fn choices(p: &str, q: &Question) -> Option<Found> {
    if !p.starts_with("which") {
        return None;
    }
    let num = |o: &str| value(o).ok_or_else(|| format!("cannot read the option {o:?}"));
    if p.contains("numbers are even") || p.contains("numbers are odd") {
        let even = p.contains("even");
        return Some(judge(
            if even {
                "the even numbers"
            } else {
                "the odd numbers"
            },
            move |o| Ok((num(o)? % 2.0 == 0.0) == even),
        ));
    }
    if let Some(n) = between(p, "in the ", " times table") {
        let n: f64 = n.trim().parse().ok()?;
        return Some(judge(format!("the {n} times table"), move |o| {
            let v = num(o)? / n;
            Ok(v.fract() == 0.0 && (1.0..=12.0).contains(&v))
        }));
    }
    if let Some(n) = after(p, "divide exactly by ") {
        let n = value(clean(n))?;
        return Some(judge(format!("multiples of {n}"), move |o| {
            Ok(num(o)? % n == 0.0)
        }));
    }
    if p.contains("square numbers") {
        return Some(judge("the square numbers", move |o| {
            let v = num(o)?;
            Ok(v.sqrt().fract() == 0.0)
        }));
    }
    if ["biggest", "largest", "smallest", "worth the most"]
        .iter()
        .any(|w| p.contains(w))
    {
        let values: Option<Vec<f64>> = q.options.as_deref()?.iter().map(|o| value(o)).collect();
        let values = values?;
        let pick = if p.contains("smallest") {
            values.iter().copied().fold(f64::INFINITY, f64::min)
        } else {
            values.iter().copied().fold(f64::NEG_INFINITY, f64::max)
        };
        return Some(Ok(Expect::Num(pick)));
    }
    if let Some(x) = after(p, "is the same as ") {
        let target = value(clean(x))?;
        return Some(judge(format!("amounts equal to {x}"), move |o| {
            Ok(same(num(o)?, target))
        }));
    }
    for form in ["shows ", "the same as "] {
        if let Some(words) = after(p, form) {
            let words = clean(words);
            if let Some((_, v)) = FRACTION_WORDS.iter().find(|(w, _)| *w == words) {
                let v = *v;
                return Some(judge(format!("fractions equal to {words}"), move |o| {
                    Ok(same(num(o)?, v))
                }));
            }
        }
    }
    for form in [
        " make ",
        " add up to ",
        " give the answer ",
        " are exactly ",
    ] {
        if let Some(x) = after(p, form) {
            let target = value(clean(x))?;
            return Some(judge(format!("what makes {}", clean(x)), move |o| {
                Ok(same(num(o)?, target))
            }));
        }
    }
    None
}

pub(super) fn statement(p: &str, _: &Question) -> Option<Found> {
    let claim = clean(after(p, "true or false: ")?);
    let claim = times_as_numbers(claim);
    let mut s = format!(
        " {} ",
        claim
            .split_whitespace()
            .filter(|w| !matches!(*w, "a" | "an" | "coin" | "coins"))
            .collect::<Vec<_>>()
            .join(" ")
    );
    for (from, to) in [
        (" is worth more than ", " > "),
        (" is worth less than ", " < "),
        (" is more than ", " > "),
        (" is less than ", " < "),
        (" is the same amount as ", " = "),
        (" is the same time as ", " = "),
        (" is the same as ", " = "),
        (" is equal to ", " = "),
        (" gives the same answer as ", " = "),
        (" one whole", " 1"),
        (" is ", " = "),
    ] {
        s = s.replace(from, to);
    }
    Some(
        truth(&arithmetic_words(&s))
            .map(Expect::Bool)
            .ok_or_else(|| format!("cannot read the statement {claim:?}")),
    )
}

pub(super) fn arithmetic(p: &str, _: &Question) -> Option<Found> {
    if let Some(rest) = after(p, "what is the difference between ") {
        let (a, b) = clean(rest).split_once(" and ")?;
        return Some(Ok(Expect::Num((value(a)? - value(b)?).abs())));
    }
    if let Some(f) = between(p, "write ", " in its simplest form") {
        let (a, b) = f.trim().split_once('/')?;
        let (a, b): (i64, i64) = (a.parse().ok()?, b.parse().ok()?);
        let g = gcd(a, b);
        return Some(text(format!("{}/{}", a / g, b / g)));
    }
    let sum = clean(after(p, "what is ")?);
    let v = value(&arithmetic_words(sum))?;
    Some(Ok(Expect::Num(v)))
}
