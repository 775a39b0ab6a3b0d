//! Numbers as children write them (money, clock times, words) and the sums they make.

use std::collections::BTreeSet;

use super::words::{SMALL, same};

#[derive(Debug, Clone, Copy)]
enum Tok {
    Num(f64),
    Op(char),
    Open,
    Close,
}

/// Numbers (`2.5`), money (`£1.25` and `15p`, in pence), clock times (`4:00`, in minutes),
/// operators and brackets.
fn lex(s: &str) -> Option<Vec<Tok>> {
    let c: Vec<char> = s.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < c.len() {
        let ch = c[i];
        if ch.is_whitespace() {
            i += 1;
            continue;
        }
        let pounds = ch == '£';
        if pounds {
            i += 1;
        }
        if c.get(i).is_some_and(|d| d.is_ascii_digit()) {
            let start = i;
            while c.get(i).is_some_and(|d| {
                d.is_ascii_digit() || (*d == '.' && c.get(i + 1).is_some_and(char::is_ascii_digit))
            }) {
                i += 1;
            }
            let digits: String = c[start..i].iter().collect();
            let mut v: f64 = digits.parse().ok()?;
            if pounds {
                v *= 100.0;
            } else if c.get(i) == Some(&':') {
                let minutes: String = c.get(i + 1..i + 3)?.iter().collect();
                if digits.contains('.') || !minutes.chars().all(|d| d.is_ascii_digit()) {
                    return None;
                }
                let m: f64 = minutes.parse().ok()?;
                if m >= 60.0 {
                    return None;
                }
                v = v * 60.0 + m;
                i += 3;
            } else if c.get(i) == Some(&'p') && !c.get(i + 1).is_some_and(|n| n.is_alphabetic()) {
                i += 1;
            }
            out.push(Tok::Num(v));
            continue;
        }
        if pounds {
            return None;
        }
        out.push(match ch {
            '+' | '^' | '%' | '=' | '<' | '>' | '/' | '÷' | '×' => Tok::Op(ch),
            '-' | '−' => Tok::Op('-'),
            '*' => Tok::Op('×'),
            '(' => Tok::Open,
            ')' => Tok::Close,
            _ => return None,
        });
        i += 1;
    }
    Some(out)
}

struct Calc<'a> {
    t: &'a [Tok],
    i: usize,
}

impl Calc<'_> {
    fn peek(&self) -> Option<Tok> {
        self.t.get(self.i).copied()
    }
    fn sum(&mut self) -> Option<f64> {
        let mut v = self.product()?;
        while let Some(Tok::Op(o @ ('+' | '-'))) = self.peek() {
            self.i += 1;
            let r = self.product()?;
            v = if o == '+' { v + r } else { v - r };
        }
        Some(v)
    }
    fn product(&mut self) -> Option<f64> {
        let mut v = self.power()?;
        while let Some(Tok::Op(o @ ('×' | '÷' | '/' | '%'))) = self.peek() {
            self.i += 1;
            let r = self.power()?;
            if o != '×' && r == 0.0 {
                return None;
            }
            v = match o {
                '×' => v * r,
                '%' => v % r,
                _ => v / r,
            };
        }
        Some(v)
    }
    fn power(&mut self) -> Option<f64> {
        let base = self.atom()?;
        if let Some(Tok::Op('^')) = self.peek() {
            self.i += 1;
            return Some(base.powf(self.power()?));
        }
        Some(base)
    }
    fn atom(&mut self) -> Option<f64> {
        match self.peek()? {
            Tok::Num(v) => {
                self.i += 1;
                Some(v)
            }
            Tok::Open => {
                self.i += 1;
                let v = self.sum()?;
                matches!(self.peek(), Some(Tok::Close)).then_some(())?;
                self.i += 1;
                Some(v)
            }
            Tok::Op('-') => {
                self.i += 1;
                Some(-self.atom()?)
            }
            _ => None,
        }
    }
}

fn eval_toks(t: &[Tok]) -> Option<f64> {
    let mut c = Calc { t, i: 0 };
    let v = c.sum()?;
    (c.i == t.len() && v.is_finite()).then_some(v)
}

/// The value of an answer or an expression: `7`, `3/4`, `£1.25`, `15p`, `4:00`, `20p + 5p`.
pub(super) fn value(s: &str) -> Option<f64> {
    let t = lex(s.trim())?;
    eval_toks(&t)
}

/// Whether `a = b`, `a < b` or `a > b` holds (exactly one comparison).
pub(super) fn truth(s: &str) -> Option<bool> {
    let t = lex(s)?;
    let at: Vec<usize> = (0..t.len())
        .filter(|i| matches!(t[*i], Tok::Op('=' | '<' | '>')))
        .collect();
    let [at] = at.as_slice() else { return None };
    let (l, r) = (eval_toks(&t[..*at])?, eval_toks(&t[at + 1..])?);
    Some(match t[*at] {
        Tok::Op('=') => same(l, r),
        Tok::Op('<') => l < r && !same(l, r),
        _ => l > r && !same(l, r),
    })
}

/// Whole numbers in a text, with counting words (`three`, `half` as 2, `pairs` as 2).
pub(super) fn numbers_in(s: &str) -> BTreeSet<i64> {
    let mut out = BTreeSet::new();
    let lower = s.to_lowercase();
    for run in lower
        .split(|c: char| !c.is_ascii_digit())
        .filter(|r| !r.is_empty())
    {
        if let Ok(n) = run.parse() {
            out.insert(n);
        }
    }
    for w in lower.split(|c: char| !c.is_alphabetic()) {
        if let Some(n) = SMALL.iter().position(|s| *s == w) {
            out.insert(n as i64);
        }
        match w {
            "half" | "double" | "twice" | "pair" | "pairs" => {
                out.insert(2);
            }
            "quarter" | "quarters" => {
                out.insert(4);
            }
            "dozen" => {
                out.insert(12);
            }
            _ => {}
        }
    }
    out
}

pub(super) fn digit_runs(s: &str) -> Vec<i64> {
    s.split(|c: char| !c.is_ascii_digit())
        .filter_map(|r| r.parse().ok())
        .collect()
}

/// Everyday words of a sum into symbols: `half of 18` → `1/2 × 18`.
pub(super) fn arithmetic_words(s: &str) -> String {
    let mut t = format!(" {} ", s.to_lowercase());
    for (from, to) in [
        (" half of ", " 1/2 × "),
        (" a quarter of ", " 1/4 × "),
        (" a third of ", " 1/3 × "),
        (" double ", " 2 × "),
        (" groups of ", " × "),
        (" take away ", " - "),
        (" times ", " × "),
        (" of ", " × "),
        (" squared", "^2"),
        (" cubed", "^3"),
    ] {
        t = t.replace(from, to);
    }
    t.trim().to_string()
}

pub(super) fn gcd(a: i64, b: i64) -> i64 {
    if b == 0 { a.abs() } else { gcd(b, a % b) }
}
