//! Every answer key of the starter content, worked out again from the question itself: a
//! small music-theory and arithmetic checker over [`starter_content`].
//!
//! Music: intervals, triads, cadences, keys, scales and scale degrees, note values and time
//! signatures are computed from the stave (`abc::parse`, with the written letter names read
//! alongside for spelling) or from the notes played (`midi_of`); Italian terms, instruments
//! and periods come from small tables here. Maths: sums, differences, products, quotients,
//! powers, fractions, money and time are evaluated from the `formula`, from the prompt, or,
//! for a story, from a rule written here whose every number must appear in the prompt;
//! counting questions are keyed by the pictures' `visual.count`.
//!
//! A maths or music question the checker cannot read fails the test like a wrong key does,
//! so a new question comes with its check. Science is factual: its structure is checked
//! (`validate` already has the keys among the options) and every question must explain.

use std::collections::{BTreeMap, BTreeSet};

use studyhub_actors::content::abc;
use studyhub_actors::content::{Answer, AnswerType, Audio, PlayStyle, Question, Visual, midi_of};

use super::starter_content;

// ------------------------------------------------------------------------------------------
// What a key must be, and the comparison with the stored key.

/// Rules on one answer: right, wrong, or why it cannot tell.
type Verdict = Box<dyn Fn(&str) -> Result<bool, String>>;

/// What the checker works out. `Judge` rules on one answer at a time (each option, or the
/// key itself), with a description for the report.
enum Expect {
    Num(f64),
    Text(String),
    Bool(bool),
    Judge(String, Verdict),
}

type Found = Result<Expect, String>;

fn judge(what: impl Into<String>, f: impl Fn(&str) -> Result<bool, String> + 'static) -> Found {
    Ok(Expect::Judge(what.into(), Box::new(f)))
}

fn text(t: impl Into<String>) -> Found {
    Ok(Expect::Text(t.into()))
}

fn describe(e: &Expect) -> String {
    match e {
        Expect::Num(v) => fmt_num(*v),
        Expect::Text(t) => format!("{t:?}"),
        Expect::Bool(b) => b.to_string(),
        Expect::Judge(what, _) => what.clone(),
    }
}

fn fmt_num(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

fn same(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

/// Whether `answer` fits what was found.
fn fits(e: &Expect, answer: &str) -> Result<bool, String> {
    match e {
        Expect::Num(v) => Ok(value(answer).is_some_and(|x| same(x, *v))),
        Expect::Text(t) => Ok(norm(answer) == norm(t)),
        Expect::Bool(_) => Err("the checker reads a statement, not a value".into()),
        Expect::Judge(_, f) => f(answer),
    }
}

/// The stored key against what the checker found.
fn compare(q: &Question, e: &Expect) -> Result<(), String> {
    let found = describe(e);
    if matches!(e, Expect::Bool(_)) != (q.answer_type == AnswerType::TrueFalse) {
        return Err(format!(
            "the checker reads {found}, which does not suit a {:?} question",
            q.answer_type
        ));
    }
    match (q.answer_type, &q.correct_answer) {
        (AnswerType::TrueFalse, Answer::Bool(k)) => match e {
            Expect::Bool(b) if b == k => Ok(()),
            _ => Err(format!("key {k}, but the statement is {found}")),
        },
        (AnswerType::Number, Answer::Number(k)) => {
            let ok = match (e, q.tolerance) {
                (Expect::Num(v), Some(t)) => (k - v).abs() <= t,
                (Expect::Num(v), None) => same(*k, *v),
                _ => fits(e, &fmt_num(*k))?,
            };
            ok.then_some(())
                .ok_or_else(|| format!("key {}, but the checker finds {found}", fmt_num(*k)))
        }
        (AnswerType::Text, Answer::Text(k)) => fits(e, k)?
            .then_some(())
            .ok_or_else(|| format!("key {k:?}, but the checker finds {found}")),
        (AnswerType::MultipleChoice, Answer::Text(k)) => {
            let mut right = Vec::new();
            for o in q.options.as_deref().unwrap_or_default() {
                if fits(e, o)? {
                    right.push(o.trim());
                }
            }
            match right.as_slice() {
                [one] if *one == k.trim() => Ok(()),
                [one] => Err(format!(
                    "key {k:?}, but the checker picks {one:?} ({found})"
                )),
                [] => Err(format!("no option fits: the checker finds {found}")),
                many => Err(format!(
                    "options {many:?} all fit ({found}): the key must be the only one"
                )),
            }
        }
        (AnswerType::MultiSelect, Answer::Choices(k)) => {
            let mut right = BTreeSet::new();
            for o in q.options.as_deref().unwrap_or_default() {
                if fits(e, o)? {
                    right.insert(o.trim());
                }
            }
            let key: BTreeSet<&str> = k.iter().map(|s| s.trim()).collect();
            (right == key)
                .then_some(())
                .ok_or_else(|| format!("key {key:?}, but the checker picks {right:?} ({found})"))
        }
        _ => Err("the key's type does not match the answer type".into()),
    }
}

/// Lower case, accidentals in words, hyphens as spaces, single spaces, no final full stop.
fn norm(s: &str) -> String {
    let mut t = s.trim().to_lowercase();
    for (from, to) in [
        ("♯", " sharp"),
        ("♭", " flat"),
        ("#", " sharp"),
        ("–", " "),
        ("-", " "),
    ] {
        t = t.replace(from, to);
    }
    let t = t.split_whitespace().collect::<Vec<_>>().join(" ");
    t.trim_end_matches(['.', '?', '!']).to_string()
}

fn after<'a>(s: &'a str, pat: &str) -> Option<&'a str> {
    s.find(pat).map(|i| &s[i + pat.len()..])
}

fn between<'a>(s: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let rest = after(s, start)?;
    rest.find(end).map(|i| &rest[..i])
}

fn clean(s: &str) -> &str {
    s.trim().trim_end_matches(['.', '?', '!', ',']).trim()
}

const SMALL: [&str; 21] = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
    "twenty",
];
const TENS: [&str; 10] = [
    "", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety",
];

fn in_words(n: i64) -> Option<String> {
    match n {
        0..=20 => Some(SMALL[n as usize].to_string()),
        21..=99 if n % 10 == 0 => Some(TENS[(n / 10) as usize].to_string()),
        21..=99 => Some(format!(
            "{}-{}",
            TENS[(n / 10) as usize],
            SMALL[(n % 10) as usize]
        )),
        _ => None,
    }
}

/// A count written as a numeral or a word (`3`, `three`, `a`).
fn count_of(w: &str) -> Option<f64> {
    let w = clean(w);
    if let Ok(n) = w.parse::<f64>() {
        return Some(n);
    }
    match w {
        "a" | "an" => Some(1.0),
        "no" => Some(0.0),
        _ => SMALL.iter().position(|s| *s == w).map(|n| n as f64),
    }
}

// ------------------------------------------------------------------------------------------
// Arithmetic: numbers as children write them, expressions and statements.

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
fn value(s: &str) -> Option<f64> {
    let t = lex(s.trim())?;
    eval_toks(&t)
}

/// Whether `a = b`, `a < b` or `a > b` holds (exactly one comparison).
fn truth(s: &str) -> Option<bool> {
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
fn numbers_in(s: &str) -> BTreeSet<i64> {
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

fn digit_runs(s: &str) -> Vec<i64> {
    s.split(|c: char| !c.is_ascii_digit())
        .filter_map(|r| r.parse().ok())
        .collect()
}

/// Everyday words of a sum into symbols: `half of 18` → `1/2 × 18`.
fn arithmetic_words(s: &str) -> String {
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

fn gcd(a: i64, b: i64) -> i64 {
    if b == 0 { a.abs() } else { gcd(b, a % b) }
}

// ------------------------------------------------------------------------------------------
// Maths.

/// Word problems: the rule the checker follows, in the activity's words. Every number in a
/// rule must appear in the prompt (or be the pictures' count), so a rule cannot quietly
/// carry its own answer; amounts of money are in pence, clock times in minutes.
const STORIES: &[(&str, &str, &str)] = &[
    ("math-addition-1", "q6", "4 + 5"),
    ("math-subtraction-1", "q5", "10 - 3"),
    ("math-multiplication-1", "q4", "4 × 6"),
    ("math-fractions-1", "q1", "1/4"),
    ("math-counting-2", "q7", "5 + 1"),
    ("math-addition-2", "q7", "6 + 7"),
    ("math-addition-3", "q6", "128 + 117"),
    ("math-subtraction-2", "q1", "5 - 2"),
    ("math-subtraction-2", "q2", "6 - 1"),
    ("math-subtraction-2", "q3", "4 - 4"),
    ("math-subtraction-2", "q6", "9 - 4"),
    ("math-subtraction-3", "q5", "96 - 58"),
    ("math-multiplication-2", "q1", "5 × 2"),
    ("math-multiplication-2", "q6", "7 × 2"),
    ("math-multiplication-3", "q3", "18 ÷ 3"),
    ("math-multiplication-3", "q6", "23 % 5"),
    ("math-fractions-2", "q1", "8 ÷ 2"),
    ("math-fractions-2", "q2", "12 ÷ 4"),
    ("math-time-3", "q3", "6:30 + 1:45"),
    ("math-time-3", "q8", "10:05 - 9:15"),
    ("math-money-1", "q1", "10p + 5p"),
    ("math-money-1", "q5", "20p + 2p"),
    ("math-money-1", "q7", "2 × 8p"),
    ("math-money-2", "q1", "50p - 35p"),
    ("math-money-2", "q2", "25p + 30p"),
    ("math-money-2", "q3", "£1 - 75p"),
    ("math-money-2", "q4", "3 × 20p = 60p"),
    ("math-money-2", "q5", "40p ÷ 5p"),
    ("math-money-3", "q3", "£2.40 + 85p"),
    ("math-money-3", "q4", "£5 - £3.60"),
    ("math-money-3", "q5", "£4.50 ÷ 3"),
    ("math-money-3", "q8", "4 × 45p"),
];

/// Maths facts that are not a computation.
const MATH_FACTS: &[(&str, Fact)] = &[(
    "True or false: two hands have 10 fingers altogether.",
    Fact::Bool(true),
)];

enum Fact {
    Bool(bool),
    Num(f64),
    Text(&'static str),
}

fn fact(table: &[(&str, Fact)], q: &Question) -> Option<Found> {
    table.iter().find(|(p, _)| *p == q.prompt).map(|(_, f)| {
        Ok(match f {
            Fact::Bool(b) => Expect::Bool(*b),
            Fact::Num(n) => Expect::Num(*n),
            Fact::Text(t) => Expect::Text(t.to_string()),
        })
    })
}

fn math_expect(activity: &str, q: &Question) -> Found {
    if let Some(f) = fact(MATH_FACTS, q) {
        return f;
    }
    if let Some((_, _, rule)) = STORIES
        .iter()
        .find(|(a, id, _)| *a == activity && *id == q.id)
    {
        return story(q, rule);
    }
    if let Some(f) = &q.media.formula {
        return formula(q, f);
    }
    if let Some(Visual::Count { icon, count }) = &q.media.visual {
        return pictures(&q.prompt.to_lowercase(), icon, *count);
    }
    let p = q.prompt.to_lowercase();
    let rules: [Rule; 8] = [
        counting, vocabulary, shapes, units, clock, choices, statement, arithmetic,
    ];
    for rule in rules {
        if let Some(found) = rule(&p, q) {
            return found;
        }
    }
    Err("a maths question the checker cannot read: give it a prompt form the checker knows, a formula, or a rule in STORIES".into())
}

fn story(q: &Question, rule: &str) -> Found {
    let mut known = numbers_in(&q.prompt);
    let pictures = q
        .media
        .visual
        .as_ref()
        .map(|Visual::Count { count, .. }| i64::from(*count));
    known.extend(pictures);
    let used = digit_runs(rule);
    if let Some(n) = used.iter().find(|n| !known.contains(n)) {
        return Err(format!(
            "the rule {rule:?} uses {n}, which is not in the prompt"
        ));
    }
    if truth(rule).is_some() {
        return Ok(Expect::Bool(truth(rule).unwrap_or_default()));
    }
    let v = value(rule).ok_or_else(|| format!("the rule {rule:?} does not compute"))?;
    if let Some(n) = pictures
        && !used.contains(&n)
        && !same(v, n as f64)
    {
        return Err(format!(
            "the rule {rule:?} does not use the {n} pictures shown"
        ));
    }
    Ok(Expect::Num(v))
}

fn formula(q: &Question, f: &str) -> Found {
    let f = arithmetic_words(f);
    if let Some(Visual::Count { count, .. }) = &q.media.visual
        && !digit_runs(&f).contains(&i64::from(*count))
    {
        return Err(format!(
            "the formula {f:?} does not use the {count} pictures shown"
        ));
    }
    if q.answer_type == AnswerType::TrueFalse {
        return truth(&f)
            .map(Expect::Bool)
            .ok_or_else(|| format!("the formula {f:?} is not a statement"));
    }
    if f.matches('?').count() != 1 {
        return Err(format!(
            "the formula {f:?} needs exactly one ? for the answer"
        ));
    }
    let shown = f.clone();
    judge(format!("what makes {shown} true"), move |a| {
        let filled = f.replace('?', a.trim());
        truth(&filled).ok_or_else(|| format!("cannot read {filled:?}"))
    })
}

fn plural(icon: &str) -> String {
    match icon {
        "fish" => "fish".into(),
        "leaf" => "leaves".into(),
        _ => format!("{icon}s"),
    }
}

fn pictures(p: &str, icon: &str, count: u8) -> Found {
    let n = f64::from(count);
    if !p.contains(icon) && !p.contains(&plural(icon)) {
        return Err(format!("the prompt does not name the pictures ({icon})"));
    }
    if p.contains("odd or even") {
        return text(if count.is_multiple_of(2) {
            "even"
        } else {
            "odd"
        });
    }
    if let Some(rest) = after(p, "true or false: there are ") {
        let claimed = count_of(rest.split(' ').next().unwrap_or_default())
            .ok_or("cannot read the number claimed")?;
        return Ok(Expect::Bool(same(claimed, n)));
    }
    if p.contains("how many") {
        return Ok(Expect::Num(n));
    }
    Err("a picture question the checker cannot read".into())
}

type Rule = fn(&str, &Question) -> Option<Found>;

fn counting(p: &str, _: &Question) -> Option<Found> {
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

fn vocabulary(p: &str, _: &Question) -> Option<Found> {
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

fn shapes(p: &str, _: &Question) -> Option<Found> {
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

/// `how many minutes are there in 3 hours`, `how many pence make £1`,
/// `how many 10p coins make £1`.
fn units(p: &str, _: &Question) -> Option<Found> {
    let rest = after(p, "how many ")?;
    let (small, big) = [" are there in ", " are in ", " make "]
        .iter()
        .find_map(|sep| rest.split_once(sep))?;
    let big = clean(big);
    let base = |unit: &str| -> Option<(&'static str, f64)> {
        let unit = unit.trim();
        let unit = unit.strip_suffix('s').unwrap_or(unit);
        Some(match unit {
            "second" => ("time", 1.0),
            "minute" => ("time", 60.0),
            "hour" => ("time", 3600.0),
            "day" => ("time", 86400.0),
            "week" => ("time", 604_800.0),
            "month" => ("calendar", 1.0),
            "year" => ("calendar", 12.0),
            "pence" | "penny" => ("money", 1.0),
            _ => return None,
        })
    };
    let (kind_big, amount) = if big.starts_with('£') {
        ("money", value(big)?)
    } else {
        let (qty, unit) = match big.strip_prefix("half an ").or(big.strip_prefix("half a ")) {
            Some(unit) => (0.5, unit),
            None => {
                let (q, u) = big.split_once(' ')?;
                (count_of(q)?, u)
            }
        };
        let (kind, size) = base(unit)?;
        (kind, qty * size)
    };
    let (kind_small, size) = match base(small) {
        Some(b) => b,
        None => ("money", value(small.strip_suffix(" coins")?)?),
    };
    Some(if kind_small == kind_big {
        Ok(Expect::Num(amount / size))
    } else {
        Err(format!("cannot count {small} in {big}"))
    })
}

const DAYS: [&str; 7] = [
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
];
const MONTHS: [(&str, u32); 12] = [
    ("january", 31),
    ("february", 28),
    ("march", 31),
    ("april", 30),
    ("may", 31),
    ("june", 30),
    ("july", 31),
    ("august", 31),
    ("september", 30),
    ("october", 31),
    ("november", 30),
    ("december", 31),
];

/// `3 o'clock`, `half past 7`, `quarter to 6` as minutes after midnight (or noon).
fn clock_words(s: &str) -> Option<f64> {
    let w: Vec<&str> = s.split_whitespace().map(clean).collect();
    for i in 0..w.len() {
        let hour = |j: usize| w.get(j).and_then(|h| h.parse::<f64>().ok());
        match (w[i], w.get(i + 1).copied()) {
            ("half", Some("past")) => return Some(hour(i + 2)? * 60.0 + 30.0),
            ("quarter", Some("past")) => return Some(hour(i + 2)? * 60.0 + 15.0),
            ("quarter", Some("to")) => return Some(hour(i + 2)? * 60.0 - 15.0),
            (h, Some("o'clock")) => return Some(h.parse::<f64>().ok()? * 60.0),
            _ => {}
        }
    }
    None
}

/// A time in a text written with digits (`3:15`).
fn clock_digits(s: &str) -> Option<f64> {
    s.split_whitespace()
        .map(clean)
        .find(|w| w.contains(':') && w.chars().next().is_some_and(|c| c.is_ascii_digit()))
        .and_then(value)
}

fn clock(p: &str, _: &Question) -> Option<Found> {
    if let Some(rest) = after(p, "which time shows ") {
        return Some(
            clock_words(rest)
                .map(Expect::Num)
                .ok_or_else(|| format!("cannot read the time in {p:?}")),
        );
    }
    if let Some(rest) = after(p, "how do we say ") {
        let t = clock_digits(rest)?;
        return Some(judge(format!("the words for {}", fmt_num(t)), move |o| {
            Ok(clock_words(o).is_some_and(|v| same(v, t)))
        }));
    }
    if let (Some(now), Some(later)) = (
        between(p, "it is ", ". "),
        after(p, "what time will it be in "),
    ) {
        let now = value(now)?;
        let (n, unit) = clean(later).split_once(' ')?;
        let n: f64 = n.parse().ok()?;
        let minutes = if unit.starts_with("hour") { 60.0 } else { 1.0 };
        return Some(Ok(Expect::Num(now + n * minutes)));
    }
    if p.starts_with("how many minutes is it from ") {
        let from = value(between(p, " from ", " to ")?)?;
        let to = value(clean(after(p, " to ")?))?;
        return Some(Ok(Expect::Num(to - from)));
    }
    if let Some(t) = between(p, "what is ", " in 24-hour time") {
        let (h, half) = t.trim().split_once(' ')?;
        let h: f64 = h.parse().ok()?;
        let h = match half {
            "am" => h % 12.0,
            "pm" => h % 12.0 + 12.0,
            _ => return None,
        };
        return Some(Ok(Expect::Num(h * 60.0)));
    }
    for (list, name) in [(&DAYS[..], "day"), (&MONTHS.map(|m| m.0)[..], "month")] {
        for (dir, step) in [("after", 1), ("before", list.len() - 1)] {
            if let Some(x) = after(p, &format!("what {name} comes {dir} ")) {
                let x = clean(x);
                let i = list.iter().position(|d| *d == x)?;
                return Some(text(list[(i + step) % list.len()]));
            }
        }
    }
    if let Some(n) = between(p, "which of these months have ", " days") {
        let n: u32 = n.trim().parse().ok()?;
        return Some(judge(format!("months of {n} days"), move |o| {
            let o = o.to_lowercase();
            MONTHS
                .iter()
                .find(|m| m.0 == o)
                .map(|m| m.1 == n)
                .ok_or_else(|| format!("no month {o:?}"))
        }));
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

fn choices(p: &str, q: &Question) -> Option<Found> {
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

/// Clock words (`quarter to 4`) and lengths of time (`1 hour and 30 minutes`) as minutes.
fn times_as_numbers(s: &str) -> String {
    let w: Vec<&str> = s.split_whitespace().collect();
    let mut out: Vec<String> = Vec::new();
    let mut i = 0;
    while i < w.len() {
        if let Some(t) = clock_words(&w[i..w.len().min(i + 3)].join(" "))
            && (w[i] == "half"
                || w[i] == "quarter"
                || w.get(i + 1).is_some_and(|n| n.starts_with("o'clock")))
        {
            let h = (t / 60.0).floor();
            out.push(format!("{}:{:02}", h, (t - h * 60.0) as i64));
            i += if w[i] == "half" || w[i] == "quarter" {
                3
            } else {
                2
            };
            continue;
        }
        let unit = w.get(i + 1).map(|u| clean(u));
        if let (Ok(n), Some(u)) = (w[i].parse::<f64>(), unit)
            && (u.starts_with("hour") || u.starts_with("minute"))
        {
            let mut minutes = if u.starts_with("hour") { n * 60.0 } else { n };
            i += 2;
            if w.get(i) == Some(&"and")
                && let (Some(Ok(m)), Some(mu)) =
                    (w.get(i + 1).map(|m| m.parse::<f64>()), w.get(i + 2))
                && mu.starts_with("minute")
            {
                minutes += m;
                i += 3;
            }
            out.push(format!("({})", fmt_num(minutes)));
            continue;
        }
        out.push(w[i].to_string());
        i += 1;
    }
    out.join(" ")
}

fn statement(p: &str, _: &Question) -> Option<Found> {
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

fn arithmetic(p: &str, _: &Question) -> Option<Found> {
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

// ------------------------------------------------------------------------------------------
// Music: notes, intervals, triads, keys.

const LETTERS: [char; 7] = ['C', 'D', 'E', 'F', 'G', 'A', 'B'];
const NATURAL: [i32; 7] = [0, 2, 4, 5, 7, 9, 11];

/// A written note: where it sits (`step`: letter + 7 × octave, C4 = 28) and how it sounds
/// (MIDI, C4 = 60). The two together give its spelling.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Note {
    step: i32,
    midi: i32,
}

impl Note {
    fn letter(&self) -> usize {
        self.step.rem_euclid(7) as usize
    }
    fn alter(&self) -> i32 {
        self.midi - ((self.step.div_euclid(7) + 1) * 12 + NATURAL[self.letter()])
    }
    fn pitch(&self) -> Pitch {
        Pitch {
            letter: self.letter(),
            alter: self.alter(),
        }
    }
}

/// Scientific pitch as `audio` writes it (`F#4`, `Bb2`).
fn sci(s: &str) -> Option<Note> {
    let midi = i32::from(midi_of(s)?);
    let letter = LETTERS.iter().position(|c| s.starts_with(*c))? as i32;
    let octave = s.chars().last()?.to_digit(10)? as i32;
    Some(Note {
        step: octave * 7 + letter,
        midi,
    })
}

/// A note name without its octave.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Pitch {
    letter: usize,
    alter: i32,
}

impl Pitch {
    fn pc(&self) -> i32 {
        (NATURAL[self.letter] + self.alter).rem_euclid(12)
    }
    fn name(&self) -> String {
        let l = LETTERS[self.letter];
        match self.alter {
            0 => l.to_string(),
            1 => format!("{l}-sharp"),
            -1 => format!("{l}-flat"),
            2 => format!("{l}-double-sharp"),
            -2 => format!("{l}-double-flat"),
            a => format!("{l}{a:+}"),
        }
    }
    /// The spelling of pitch class `pc` on `letter`.
    fn spelled(letter: usize, pc: i32) -> Pitch {
        let mut alter = (pc - NATURAL[letter % 7]).rem_euclid(12);
        if alter > 6 {
            alter -= 12;
        }
        Pitch {
            letter: letter % 7,
            alter,
        }
    }
}

/// `F-sharp`, `B flat`, `E`.
fn parse_pitch(s: &str) -> Option<Pitch> {
    let n = norm(s);
    let mut words = n.split(' ');
    let mut first = words.next()?.chars();
    let (Some(l), None) = (first.next(), first.next()) else {
        return None;
    };
    let letter = LETTERS.iter().position(|c| c.to_ascii_lowercase() == l)?;
    let alter = match words.collect::<Vec<_>>().as_slice() {
        [] | ["natural"] => 0,
        ["sharp"] => 1,
        ["flat"] => -1,
        ["double", "sharp"] => 2,
        ["double", "flat"] => -2,
        _ => return None,
    };
    Some(Pitch { letter, alter })
}

/// `C E-flat G`.
fn parse_pitches(s: &str) -> Option<Vec<Pitch>> {
    let n = norm(s);
    let mut out: Vec<String> = Vec::new();
    for w in n.split(' ') {
        match w {
            "sharp" | "flat" | "double" => out.last_mut()?.push_str(&format!(" {w}")),
            _ => out.push(w.to_string()),
        }
    }
    out.iter().map(|p| parse_pitch(p)).collect()
}

const ORD: [&str; 8] = ["unison", "2nd", "3rd", "4th", "5th", "6th", "7th", "octave"];
const MAJOR_SEMIS: [i32; 8] = [0, 2, 4, 5, 7, 9, 11, 12];
const QUALITIES: [&str; 5] = ["perfect", "major", "minor", "augmented", "diminished"];

fn perfect_kind(n: i32) -> bool {
    matches!(n, 1 | 4 | 5 | 8)
}

/// Number and quality of the interval between two notes (either order).
fn interval(a: Note, b: Note) -> Result<(i32, &'static str), String> {
    let (lo, hi) = if (a.midi, a.step) <= (b.midi, b.step) {
        (a, b)
    } else {
        (b, a)
    };
    let n = hi.step - lo.step + 1;
    if !(1..=8).contains(&n) {
        return Err(format!("an interval spanning {n} letter names"));
    }
    let d = hi.midi - lo.midi - MAJOR_SEMIS[(n - 1) as usize];
    let q = match (perfect_kind(n), d) {
        (true, 0) => "perfect",
        (false, 0) => "major",
        (false, -1) => "minor",
        (_, 1) => "augmented",
        (true, -1) | (false, -2) => "diminished",
        _ => {
            return Err(format!(
                "no quality for a {} of {d:+} semitones",
                ORD[(n - 1) as usize]
            ));
        }
    };
    Ok((n, q))
}

fn interval_name(n: i32, q: &str) -> String {
    let o = ORD[(n - 1) as usize];
    if (n == 1 || n == 8) && q == "perfect" {
        o.to_string()
    } else {
        format!("{q} {o}")
    }
}

/// `perfect 5th` → (5, perfect); `octave` → (8, perfect); `6th` → (6, none).
fn parse_interval(s: &str) -> Option<(i32, Option<&'static str>)> {
    let n = norm(s);
    let words: Vec<&str> = n.split(' ').collect();
    let (last, quality) = words.split_last()?;
    let number = ORD.iter().position(|o| o == last)? as i32 + 1;
    match quality {
        [] if number == 1 || number == 8 => Some((number, Some("perfect"))),
        [] => Some((number, None)),
        [q] => QUALITIES
            .iter()
            .find(|x| *x == q)
            .map(|q| (number, Some(*q))),
        _ => None,
    }
}

fn semitones(number: i32, quality: &str) -> Option<i32> {
    let base = MAJOR_SEMIS[(number - 1) as usize];
    Some(
        base + match (perfect_kind(number), quality) {
            (true, "perfect") | (false, "major") => 0,
            (false, "minor") => -1,
            (_, "augmented") => 1,
            (true, "diminished") => -1,
            (false, "diminished") => -2,
            _ => return None,
        },
    )
}

/// The note on `to`'s letter at or above `from` (within an octave).
fn up_to(from: Pitch, to: Pitch) -> (Note, Note) {
    let lo = Note {
        step: 28 + from.letter as i32,
        midi: 60 + NATURAL[from.letter] + from.alter,
    };
    let steps = (to.letter + 7 - from.letter) % 7;
    let step = lo.step + steps as i32;
    let hi = Note {
        step,
        midi: (step.div_euclid(7) + 1) * 12 + NATURAL[to.letter] + to.alter,
    };
    (lo, hi)
}

struct Triad {
    root: Pitch,
    quality: &'static str,
    position: &'static str,
}

impl Triad {
    fn name(&self) -> String {
        format!("{} {}", self.root.name(), self.quality)
    }
}

/// The triad some notes make, from their letter names and sounds.
fn triad(notes: &[Note]) -> Result<Triad, String> {
    let letters: BTreeSet<usize> = notes.iter().map(Note::letter).collect();
    if letters.len() != 3 {
        return Err(format!("{} letter names, not a triad", letters.len()));
    }
    let bass = notes.iter().min_by_key(|n| n.midi).ok_or("no notes")?;
    for &root in &letters {
        let above = |l: usize| (l + 7 - root) % 7;
        if letters.iter().map(|l| above(*l)).collect::<BTreeSet<_>>() != BTreeSet::from([0, 2, 4]) {
            continue;
        }
        let pitch = |d: usize| {
            notes
                .iter()
                .find(|n| above(n.letter()) == d)
                .map(Note::pitch)
                .ok_or("a missing chord note")
        };
        let (r, t, f) = (pitch(0)?, pitch(2)?, pitch(4)?);
        if notes
            .iter()
            .any(|n| Ok(n.pitch()) != pitch(above(n.letter())))
        {
            return Err("one letter name with two different accidentals".into());
        }
        let quality = match (
            (t.pc() - r.pc()).rem_euclid(12),
            (f.pc() - r.pc()).rem_euclid(12),
        ) {
            (4, 7) => "major",
            (3, 7) => "minor",
            (3, 6) => "diminished",
            (4, 8) => "augmented",
            other => return Err(format!("3rd and 5th of {other:?} semitones")),
        };
        let position = match above(bass.letter()) {
            0 => "root position",
            2 => "first inversion",
            _ => "second inversion",
        };
        return Ok(Triad {
            root: r,
            quality,
            position,
        });
    }
    Err("the notes are not stacked in 3rds".into())
}

/// The three notes of `C major`, `B diminished`.
fn triad_named(s: &str) -> Option<[Pitch; 3]> {
    let n = norm(s);
    let (root, quality) = n.rsplit_once(' ')?;
    let root = parse_pitch(root)?;
    let (t, f) = match quality {
        "major" => (4, 7),
        "minor" => (3, 7),
        "diminished" => (3, 6),
        "augmented" => (4, 8),
        _ => return None,
    };
    Some([
        root,
        Pitch::spelled(root.letter + 2, root.pc() + t),
        Pitch::spelled(root.letter + 4, root.pc() + f),
    ])
}

#[derive(Debug, Clone, Copy, PartialEq)]
struct Key {
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
const ROMAN: [&str; 7] = ["I", "II", "III", "IV", "V", "VI", "VII"];

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
    fn scale(&self, kind: &str) -> Option<Vec<Pitch>> {
        let steps = scale_pattern(kind)?;
        Some(
            (0..7)
                .map(|i| Pitch::spelled(self.tonic.letter + i, self.tonic.pc() + steps[i]))
                .collect(),
        )
    }
    /// 0 for the tonic … 6 for the 7th, by letter name.
    fn degree(&self, p: Pitch) -> usize {
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
fn parse_key(s: &str) -> Option<Key> {
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
fn key_in(s: &str) -> Option<Key> {
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
fn abc_key(k: &str) -> Option<Key> {
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

/// perfect (V–I), plagal (IV–I), imperfect (… –V), interrupted (V–VI); degrees from 0.
fn cadence(from: usize, to: usize) -> Option<&'static str> {
    match (from, to) {
        (4, 0) => Some("perfect"),
        (3, 0) => Some("plagal"),
        (4, 5) => Some("interrupted"),
        (_, 4) => Some("imperfect"),
        _ => None,
    }
}

/// `V-I` → (4, 0).
fn parse_romans(s: &str) -> Option<(usize, usize)> {
    let (a, b) = s.trim().split_once('-')?;
    let r = |x: &str| ROMAN.iter().position(|n| *n == x.trim());
    Some((r(a)?, r(b)?))
}

const NOTE_VALUES: [(&str, f64); 6] = [
    ("semibreve", 1.0),
    ("minim", 0.5),
    ("crotchet", 0.25),
    ("quaver", 0.125),
    ("semiquaver", 0.0625),
    ("demisemiquaver", 0.03125),
];

fn value_name(len: f64) -> Option<String> {
    for (name, v) in NOTE_VALUES {
        if same(len, v) {
            return Some(name.to_string());
        }
        if same(len, v * 1.5) {
            return Some(format!("dotted {name}"));
        }
    }
    None
}

/// Length in whole notes of `minim`, `dotted crotchet`, `quavers`.
fn value_len(s: &str) -> Option<f64> {
    let n = norm(s);
    let (dot, name) = match n.strip_prefix("dotted ") {
        Some(rest) => (1.5, rest),
        None => (1.0, n.as_str()),
    };
    let name = name.strip_suffix('s').unwrap_or(name);
    NOTE_VALUES
        .iter()
        .find(|(v, _)| *v == name)
        .map(|(_, l)| l * dot)
}

/// `6/8` → (6, 8).
fn meter(s: &str) -> Option<(u32, u32)> {
    let (a, b) = s.trim().split_once('/')?;
    Some((a.trim().parse().ok()?, b.trim().parse().ok()?))
}

fn meter_kind((top, bottom): (u32, u32)) -> Option<String> {
    let compound = top % 3 == 0 && top > 3 && bottom >= 8;
    let beats = if compound { top / 3 } else { top };
    let count = match beats {
        2 => "duple",
        3 => "triple",
        4 => "quadruple",
        _ => return None,
    };
    Some(format!(
        "{} {count}",
        if compound { "compound" } else { "simple" }
    ))
}

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
const FORMS: &[(&str, &str)] = &[
    ("A B", "binary"),
    ("A B A", "ternary"),
    ("A B A C A", "rondo"),
    ("A A1 A2 A3", "theme and variations"),
];

/// Facts of music theory and history that are not a computation.
const MUSIC_FACTS: &[(&str, Fact)] = &[
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

/// The bottom line of each clef, as a staff step.
fn bottom_line(clef: &str) -> Option<i32> {
    match clef {
        "treble" => Some(4 * 7 + 2),
        "bass" => Some(2 * 7 + 4),
        "alto" => Some(3 * 7 + 3),
        _ => None,
    }
}

// ------------------------------------------------------------------------------------------
// Music: reading the stave and the notes played.

struct Ev {
    notes: Vec<Note>,
    length: f64,
}

/// A stave as the checker reads it: `abc::parse`'s events (pitches with the key signature and
/// accidentals applied, lengths) with the letter names as written, bar by bar, and the words
/// and signs written on it.
struct Stave {
    tune: abc::Tune,
    events: Vec<Ev>,
    /// Event indices of each bar that holds any.
    bars: Vec<Vec<usize>>,
    /// (bar, words) written above or below.
    words: Vec<(usize, String)>,
    /// Decorations, staccato dots and slurs, in order.
    marks: Vec<String>,
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

fn read_stave(text: &str) -> Result<Stave, String> {
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
    fn bar_length(&self, bar: &[usize]) -> f64 {
        bar.iter().map(|i| self.events[*i].length).sum()
    }
    fn bar_notes(&self, bar: usize) -> Vec<Note> {
        self.bars
            .get(bar)
            .map(|b| {
                b.iter()
                    .flat_map(|i| sorted(&self.events[*i].notes))
                    .collect()
            })
            .unwrap_or_default()
    }
    fn key(&self) -> Result<Key, String> {
        abc_key(&self.tune.key).ok_or_else(|| format!("cannot read the key {:?}", self.tune.key))
    }
}

fn sorted(notes: &[Note]) -> Vec<Note> {
    let mut n = notes.to_vec();
    n.sort_by_key(|n| (n.midi, n.step));
    n
}

/// The notes an `audio` plays (`None` a rest).
struct Sound {
    notes: Vec<Option<Note>>,
    durations: Vec<f64>,
    harmonic: bool,
    tempo: u32,
}

impl Sound {
    /// The audio's notes, split at its rests.
    fn phrases(&self) -> Vec<Vec<Note>> {
        self.notes
            .split(Option::is_none)
            .map(|p| p.iter().flatten().copied().collect::<Vec<_>>())
            .filter(|p| !p.is_empty())
            .collect()
    }
}

/// What a music question shows and plays.
struct View {
    p: String,
    stave: Option<Stave>,
    sound: Option<Sound>,
}

impl View {
    fn new(q: &Question) -> Result<View, String> {
        let stave = q.media.notation.as_deref().map(read_stave).transpose()?;
        let sound = match &q.media.audio {
            None => None,
            Some(Audio::File { .. }) => return Err("a recording the checker cannot hear".into()),
            Some(Audio::Notes(n)) => {
                let notes: Option<Vec<Option<Note>>> = n
                    .notes
                    .iter()
                    .map(|s| {
                        if s == "r" {
                            Some(None)
                        } else {
                            sci(s).map(Some)
                        }
                    })
                    .collect();
                Some(Sound {
                    notes: notes.ok_or("a note the checker cannot read")?,
                    durations: n
                        .durations
                        .clone()
                        .unwrap_or_else(|| vec![1.0; n.notes.len()]),
                    harmonic: n.play == PlayStyle::Harmonic,
                    tempo: n.tempo_bpm,
                })
            }
        };
        let view = View {
            p: q.prompt.to_lowercase(),
            stave,
            sound,
        };
        if let (Some(st), Some(so)) = (&view.stave, &view.sound)
            && !view.p.contains("played differently")
        {
            let written: Vec<i32> = view.stave_line(st).iter().map(|n| n.midi).collect();
            let played: Vec<i32> = view.sound_line(so).iter().map(|n| n.midi).collect();
            if written != played {
                return Err(format!(
                    "the audio does not play the stave: {played:?} against {written:?}"
                ));
            }
        }
        Ok(view)
    }
    fn stave_line(&self, st: &Stave) -> Vec<Note> {
        st.events.iter().flat_map(|e| sorted(&e.notes)).collect()
    }
    fn sound_line(&self, so: &Sound) -> Vec<Note> {
        let notes: Vec<Note> = so.notes.iter().flatten().copied().collect();
        if so.harmonic { sorted(&notes) } else { notes }
    }
    /// Every note, in order (a chord low to high): from the stave, else from the audio.
    fn line(&self) -> Option<Vec<Note>> {
        match (&self.stave, &self.sound) {
            (Some(st), _) => Some(self.stave_line(st)),
            (None, Some(so)) => Some(self.sound_line(so)),
            _ => None,
        }
    }
    /// Chords: each stave event with notes; the audio at once (harmonic) or split at rests.
    fn chords(&self) -> Option<Vec<Vec<Note>>> {
        match (&self.stave, &self.sound) {
            (Some(st), _) => Some(
                st.events
                    .iter()
                    .filter(|e| !e.notes.is_empty())
                    .map(|e| e.notes.clone())
                    .collect(),
            ),
            (None, Some(so)) if so.harmonic => Some(vec![self.sound_line(so)]),
            (None, Some(so)) => Some(so.phrases()),
            _ => None,
        }
    }
    /// Two notes, for an interval.
    fn two(&self) -> Result<(Note, Note), String> {
        match self.line().as_deref() {
            Some([a, b]) => Ok((*a, *b)),
            _ => Err("an interval question needs exactly two notes".into()),
        }
    }
    /// One chord of three or more notes, for a triad.
    fn one_chord(&self) -> Result<Vec<Note>, String> {
        match self.chords().as_deref() {
            Some([one]) if one.len() >= 3 => Ok(one.clone()),
            _ => Err("a triad question needs one chord (or one broken chord)".into()),
        }
    }
}

// ------------------------------------------------------------------------------------------
// Music: the questions.

fn music_expect(q: &Question) -> Found {
    if let Some(f) = fact(MUSIC_FACTS, q) {
        return f;
    }
    let v = View::new(q)?;
    let rules: [fn(&View, &Question) -> Option<Found>; 10] = [
        italian,
        instruments,
        forms,
        melody,
        keys,
        cadences,
        triads,
        intervals,
        rhythm,
        reading,
    ];
    for rule in rules {
        if let Some(found) = rule(&v, q) {
            return found;
        }
    }
    Err("a music question the checker cannot read: give it a prompt form the checker knows or a line in one of its tables".into())
}

fn italian(v: &View, _: &Question) -> Option<Found> {
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

fn instruments(v: &View, q: &Question) -> Option<Found> {
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

/// A letter plan from a text (`A, then B, then A again` → `A B A`).
fn plan(s: &str) -> String {
    s.split_whitespace()
        .map(|w| w.trim_matches(|c: char| !c.is_alphanumeric()))
        .filter(|w| {
            let mut c = w.chars();
            c.next().is_some_and(|l| ('A'..='E').contains(&l)) && c.all(|d| d.is_ascii_digit())
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn forms(v: &View, q: &Question) -> Option<Found> {
    let p = v.p.as_str();
    if p.contains("which form") {
        let letters = plan(after(&q.prompt, ":")?);
        return Some(
            FORMS
                .iter()
                .find(|f| f.0 == letters)
                .map(|f| Expect::Text(f.1.to_string()))
                .ok_or_else(|| format!("no form with the plan {letters:?}")),
        );
    }
    if let Some(form) = between(p, "which of these letter plans shows ", " form") {
        let form = form.to_string();
        return Some(judge(format!("the plan of {form} form"), move |o| {
            Ok(FORMS.iter().any(|f| f.0 == plan(o) && f.1 == form))
        }));
    }
    if let Some(section) = between(&q.prompt, "How many times is section ", " heard") {
        let letters = plan(between(&q.prompt, " plan ", ".")?);
        let n = letters.split(' ').filter(|l| *l == section).count();
        return Some(Ok(Expect::Num(n as f64)));
    }
    if p.contains("letter plan") {
        let so = v.sound.as_ref()?;
        let mut seen: Vec<Vec<i32>> = Vec::new();
        let mut letters = Vec::new();
        for phrase in so.phrases() {
            let midi: Vec<i32> = phrase.iter().map(|n| n.midi).collect();
            let i = seen.iter().position(|s| *s == midi).unwrap_or_else(|| {
                seen.push(midi);
                seen.len() - 1
            });
            letters.push(char::from(b'A' + i as u8).to_string());
        }
        return Some(text(letters.join(" ")));
    }
    None
}

/// How the second idea treats the first.
fn device(a: &[Note], b: &[Note]) -> Result<&'static str, String> {
    let midi = |x: &[Note]| x.iter().map(|n| n.midi).collect::<Vec<_>>();
    let moves = |x: &[Note]| {
        x.windows(2)
            .map(|w| w[1].step - w[0].step)
            .collect::<Vec<_>>()
    };
    if a.len() != b.len() || a.len() < 2 {
        return Err("the two ideas differ in length".into());
    }
    let reversed: Vec<i32> = midi(a).into_iter().rev().collect();
    Ok(if midi(a) == midi(b) {
        "repetition"
    } else if reversed == midi(b) {
        "retrograde"
    } else if moves(a) == moves(b) {
        "sequence"
    } else if moves(a).iter().map(|m| -m).collect::<Vec<_>>() == moves(b) {
        "inversion"
    } else {
        return Err("bar 2 neither repeats, reverses, shifts nor inverts bar 1".into());
    })
}

fn melody(v: &View, _: &Question) -> Option<Found> {
    let p = v.p.as_str();
    let ideas = || -> Result<(Vec<Note>, Vec<Note>), String> {
        if let Some(st) = &v.stave {
            return Ok((st.bar_notes(0), st.bar_notes(1)));
        }
        match v.sound.as_ref().map(Sound::phrases).as_deref() {
            Some([a, b]) => Ok((a.clone(), b.clone())),
            _ => Err("two ideas: two bars, or two halves split by a rest".into()),
        }
    };
    if p.contains("bar 2 do with") || p.contains("second half do with") {
        return Some(
            ideas()
                .and_then(|(a, b)| device(&a, &b))
                .map(|d| Expect::Text(d.into())),
        );
    }
    if p.contains("exact repetition") {
        return Some(
            ideas()
                .and_then(|(a, b)| device(&a, &b))
                .map(|d| Expect::Bool(d == "repetition")),
        );
    }
    if p.contains("texture") && v.stave.is_some() {
        let st = v.stave.as_ref()?;
        let sizes: BTreeSet<usize> = st
            .events
            .iter()
            .map(|e| e.notes.len())
            .filter(|n| *n > 0)
            .collect();
        return Some(match sizes.iter().collect::<Vec<_>>()[..] {
            [1] => text("monophonic"),
            [..] if sizes.iter().all(|n| *n >= 2) => text("homophonic"),
            _ => Err("a texture the checker cannot tell from one stave".into()),
        });
    }
    if p.contains("what is it called") {
        let st = v.stave.as_ref()?;
        let pitches: BTreeSet<i32> = st
            .events
            .iter()
            .flat_map(|e| e.notes.iter().map(|n| n.midi))
            .collect();
        if pitches.len() == 1 {
            return Some(text("pedal"));
        }
        let bar = |b: &Vec<usize>| {
            b.iter()
                .map(|i| {
                    (
                        st.events[*i]
                            .notes
                            .iter()
                            .map(|n| n.midi)
                            .collect::<Vec<_>>(),
                        st.events[*i].length.to_bits(),
                    )
                })
                .collect::<Vec<_>>()
        };
        let first = bar(st.bars.first()?);
        return Some(
            if st.bars.len() >= 2 && st.bars.iter().all(|b| bar(b) == first) {
                text("ostinato")
            } else {
                Err("neither one held note nor one repeated bar".into())
            },
        );
    }
    let line = v.line()?;
    let moves: Vec<i32> = line
        .windows(2)
        .map(|w| (w[1].step - w[0].step).abs())
        .collect();
    if p.contains("how does this melody move") || p.contains("by step or") {
        let steps = moves.iter().filter(|m| **m <= 1).count();
        let leaps = moves.len() - steps;
        let by = match steps.cmp(&leaps) {
            std::cmp::Ordering::Greater => "step",
            std::cmp::Ordering::Less => "leap",
            std::cmp::Ordering::Equal => return Some(Err("as many steps as leaps".into())),
        };
        return Some(judge(
            format!("mostly by {by}"),
            move |o| Ok(o.contains(by)),
        ));
    }
    if p.contains("moves only by step") {
        return Some(Ok(Expect::Bool(moves.iter().all(|m| *m <= 1))));
    }
    let low = *line.iter().min_by_key(|n| (n.midi, n.step))?;
    let high = *line.iter().max_by_key(|n| (n.midi, n.step))?;
    if p.contains("the range of") {
        return Some(interval(low, high).map(|(n, q)| Expect::Text(interval_name(n, q))));
    }
    if p.contains("highest note") {
        return Some(text(high.pitch().name()));
    }
    if p.contains("lowest note") {
        return Some(text(low.pitch().name()));
    }
    if p.contains("rise or fall") {
        let (first, last) = (line.first()?, line.last()?);
        return Some(text(if last.midi > first.midi {
            "rise"
        } else {
            "fall"
        }));
    }
    if p.contains("biggest leap") {
        let most = line
            .windows(2)
            .map(|w| (w[1].midi - w[0].midi).abs())
            .max()?;
        return Some(Ok(Expect::Num(f64::from(most))));
    }
    None
}

fn keys(v: &View, q: &Question) -> Option<Found> {
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

fn cadences(v: &View, _: &Question) -> Option<Found> {
    let p = v.p.as_str();
    if let Some(name) = between(p, "which chords make a ", " cadence") {
        let name = name.split(' ').next()?.to_string();
        return Some(judge(format!("the chords of a {name} cadence"), move |o| {
            let (a, b) = parse_romans(o).ok_or_else(|| format!("not two chords: {o:?}"))?;
            Ok(cadence(a, b) == Some(name.as_str()))
        }));
    }
    if let Some(rest) = after(p, "which cadence moves from chord ") {
        let (a, b) = rest.split_once(" to chord ")?;
        let b = b.split([' ', ',', '?']).next()?;
        let (a, b) = parse_romans(&format!("{}-{}", a.to_uppercase(), b.to_uppercase()))?;
        return Some(
            cadence(a, b)
                .map(|c| Expect::Text(c.into()))
                .ok_or_else(|| "no such cadence".into()),
        );
    }
    if !p.contains("cadence") {
        return None;
    }
    let key = match key_in(p) {
        Some(k) => k,
        None => match v.stave.as_ref().map(Stave::key) {
            Some(Ok(k)) => k,
            _ => {
                return Some(Err(
                    "a cadence needs its key, in the prompt or the stave".into()
                ));
            }
        },
    };
    let chords: Vec<Vec<Note>> = v.chords()?.into_iter().filter(|c| c.len() >= 3).collect();
    let [.., a, b] = chords.as_slice() else {
        return Some(Err("a cadence needs two chords".into()));
    };
    let roots = (triad(a), triad(b));
    let (Ok(a), Ok(b)) = roots else {
        return Some(Err("the last two chords are not triads".into()));
    };
    let (da, db) = (key.degree(a.root), key.degree(b.root));
    let Some(name) = cadence(da, db) else {
        return Some(Err(format!("{}–{} is no cadence", ROMAN[da], ROMAN[db])));
    };
    let romans = format!("{}-{}", ROMAN[da], ROMAN[db]);
    if let Some(claim) =
        between(p, "ends with a ", " cadence").or_else(|| between(p, "ends with an ", " cadence"))
    {
        return Some(Ok(Expect::Bool(claim == name)));
    }
    if p.contains("which chords") {
        return Some(text(romans));
    }
    let article = if name.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    };
    Some(judge(
        format!("{article} {name} cadence ({romans})"),
        move |o| Ok(norm(o).trim_end_matches(" cadence") == name),
    ))
}

fn triads(v: &View, _: &Question) -> Option<Found> {
    let p = v.p.as_str();
    if let Some(name) = after(p, "which notes make up the triad of ") {
        let notes = triad_named(clean(name))?;
        return Some(judge(format!("the notes of {}", clean(name)), move |o| {
            Ok(parse_pitches(o).is_some_and(|x| x == notes))
        }));
    }
    if let Some(name) = after(p, "belong to the chord of ") {
        let notes = triad_named(clean(name))?;
        return Some(judge(format!("the notes of {}", clean(name)), move |o| {
            Ok(notes.contains(&parse_pitch(o).ok_or_else(|| format!("not a note: {o:?}"))?))
        }));
    }
    if let Some(rest) = after(p, "in the key of ") {
        let (k, rest) = rest.split_once(", chord ")?;
        let key = parse_key(k)?;
        let (roman, claim) = rest.split_once(" is ")?;
        let d = ROMAN.iter().position(|r| r.eq_ignore_ascii_case(roman))?;
        let scale = key.scale("major")?;
        let chord = [scale[d], scale[(d + 2) % 7], scale[(d + 4) % 7]];
        let (name, listed) = claim.split_once(" (")?;
        let listed = parse_pitches(listed.trim_end_matches(['.', ')']))?;
        let named = triad_named(name)?;
        return Some(Ok(Expect::Bool(named == chord && listed == chord)));
    }
    if !(p.contains("triad") || p.contains("chord")) {
        return None;
    }
    let t = match v.one_chord().and_then(|c| triad(&c)) {
        Ok(t) => t,
        Err(e) => return Some(Err(e)),
    };
    if let Some(claim) = after(p, "this triad is ").or_else(|| after(p, "this chord is ")) {
        let claim = norm(claim);
        return Some(Ok(Expect::Bool(
            claim == t.quality || claim == norm(&t.name()),
        )));
    }
    if let Some(name) = between(p, "this is a ", " chord")
        && norm(name) != norm(&t.name())
    {
        return Some(Err(format!(
            "the prompt calls it {name}, the notes make {}",
            t.name()
        )));
    }
    Some(if p.contains("position") {
        text(t.position)
    } else if p.contains("major or minor") || p.contains("major, minor") {
        text(t.quality)
    } else {
        text(t.name())
    })
}

fn intervals(v: &View, _: &Question) -> Option<Found> {
    let p = v.p.as_str();
    if let Some(rest) = after(p, "interval from ") {
        let (a, b) = rest.split_once(" up to ")?;
        let (lo, hi) = up_to(parse_pitch(a)?, parse_pitch(clean(b))?);
        return Some(interval(lo, hi).map(|(n, q)| Expect::Text(interval_name(n, q))));
    }
    if let Some(name) = after(p, "how many semitones are in ") {
        let name = clean(name)
            .trim_start_matches("an ")
            .trim_start_matches("a ");
        let (n, q) = parse_interval(name)?;
        return Some(Ok(Expect::Num(f64::from(semitones(n, q?)?))));
    }
    if let Some(claim) = after(p, "true or false: ")
        && let Some((notes, name)) = claim.split_once(" is a ")
        && let Some((a, b)) = notes.split_once(" up to ")
    {
        let (lo, hi) = up_to(parse_pitch(a)?, parse_pitch(b)?);
        let claimed = parse_interval(clean(name))?;
        return Some(interval(lo, hi).map(|(n, q)| Expect::Bool((n, Some(q)) == claimed)));
    }
    if p.contains("which of these intervals can be perfect") {
        return Some(judge("the perfect kinds", |o| {
            parse_interval(o)
                .map(|(n, _)| perfect_kind(n))
                .ok_or_else(|| format!("not an interval: {o:?}"))
        }));
    }
    v.line()?;
    let two = v.two();
    if p.contains("semitone apart") || p.contains("a tone apart") {
        let want = if p.contains("semitone") { 1 } else { 2 };
        return Some(two.map(|(a, b)| Expect::Bool((a.midi - b.midi).abs() == want)));
    }
    if p.contains("how many semitones") {
        return Some(two.map(|(a, b)| Expect::Num(f64::from((a.midi - b.midi).abs()))));
    }
    if p.contains("what number is this interval") {
        return Some(
            two.and_then(|(a, b)| interval(a, b))
                .map(|(n, _)| Expect::Num(f64::from(n))),
        );
    }
    if let Some(claim) = after(p, "this interval is a ") {
        let claimed = parse_interval(clean(claim))?;
        return Some(
            two.and_then(|(a, b)| interval(a, b))
                .map(|(n, q)| Expect::Bool((n, Some(q)) == claimed)),
        );
    }
    if p.contains("interval") {
        return Some(
            two.and_then(|(a, b)| interval(a, b))
                .map(|(n, q)| Expect::Text(interval_name(n, q))),
        );
    }
    if p.contains("higher or lower than the first") {
        return Some(
            two.map(|(a, b)| Expect::Text(if b.midi > a.midi { "higher" } else { "lower" }.into())),
        );
    }
    if p.contains("which one is lower, the first or the second") {
        return Some(two.map(|(a, b)| {
            Expect::Text(
                if a.midi < b.midi {
                    "the first"
                } else {
                    "the second"
                }
                .into(),
            )
        }));
    }
    None
}

fn rhythm(v: &View, _: &Question) -> Option<Found> {
    let p = v.p.as_str();
    if let Some(st) = &v.stave {
        let total: f64 = st.events.iter().map(|e| e.length).sum();
        let bar_len = st
            .tune
            .meter
            .as_deref()
            .and_then(meter)
            .map(|(a, b)| f64::from(a) / f64::from(b));
        if p.contains("completes it") {
            let last = st.bar_length(st.bars.last()?);
            return Some(
                value_name(bar_len? - last)
                    .map(Expect::Text)
                    .ok_or_else(|| {
                        format!("no single note lasts {}", bar_len.unwrap_or(0.0) - last)
                    }),
            );
        }
        if p.contains("note value") || p.contains("value of the rest") {
            let [e] = st.events.as_slice() else {
                return Some(Err("a note-value question shows one note or rest".into()));
            };
            let name = value_name(e.length)?;
            return Some(text(if e.notes.is_empty() {
                format!("{name} rest")
            } else {
                name
            }));
        }
        if let Some(n) = between(p, "lasts ", " crotchet beats") {
            let n = value(n)?;
            return Some(Ok(Expect::Bool(
                st.events.len() == 1 && same(total * 4.0, n),
            )));
        }
        if p.contains("how many crotchet beats") {
            return Some(Ok(Expect::Num(total * 4.0)));
        }
        if p.contains("which time signature fits") {
            let lengths: Vec<f64> = st.bars.iter().map(|b| st.bar_length(b)).collect();
            let first = *lengths.first()?;
            if lengths.iter().any(|l| !same(*l, first)) {
                return Some(Err(format!("bars of different lengths: {lengths:?}")));
            }
            return Some(judge(
                format!("bars of {first} of a whole note"),
                move |o| {
                    let (a, b) = meter(o).ok_or_else(|| format!("not a time signature: {o:?}"))?;
                    Ok(same(f64::from(a) / f64::from(b), first))
                },
            ));
        }
        let kind = st
            .tune
            .meter
            .as_deref()
            .and_then(meter)
            .and_then(meter_kind);
        if p.contains("kind of time signature is shown") {
            return Some(
                kind.map(Expect::Text)
                    .ok_or_else(|| "no time signature to classify".into()),
            );
        }
        if let Some(k) = between(p, "this melody is in ", " time") {
            return Some(
                kind.map(|kind| Expect::Bool(kind.starts_with(k)))
                    .ok_or_else(|| "no time signature".into()),
            );
        }
        if let Some(beat) = between(p, "how many ", " beats are in each bar") {
            return Some(Ok(Expect::Num(bar_len? / value_len(beat)?)));
        }
    }
    if let Some(so) = &v.sound {
        if p.contains("how many beats does the last note last")
            && p.contains("first note lasts one beat")
        {
            return Some(Ok(Expect::Num(
                so.durations.last()? / so.durations.first()?,
            )));
        }
        if p.contains("one beat is one crotchet") && p.contains("in all") {
            return Some(Ok(Expect::Num(so.durations.iter().sum())));
        }
    }
    if let Some(name) = between(p, "how many crotchet beats does a ", " last")
        .or_else(|| between(p, "how many crotchet beats does an ", " last"))
    {
        return Some(Ok(Expect::Num(value_len(name)? / 0.25)));
    }
    if let Some(rest) = after(p, "how many ")
        && let Some((small, big)) = rest.split_once(" fit in one ")
    {
        return Some(Ok(Expect::Num(value_len(clean(big))? / value_len(small)?)));
    }
    if let Some(n) = between(p, "which note lasts for ", " crotchet beats") {
        let n = value(n)?;
        return Some(judge(format!("the note of {n} beats"), move |o| {
            Ok(value_len(o).is_some_and(|l| same(l * 4.0, n)))
        }));
    }
    if let (Some(ts), Some(beat)) = (
        between(p, "in ", " time,"),
        between(p, "how many ", " beats are in each bar"),
    ) {
        let (a, b) = meter(ts)?;
        return Some(Ok(Expect::Num(
            f64::from(a) / f64::from(b) / value_len(beat)?,
        )));
    }
    if let Some(ts) = p
        .split(' ')
        .next()
        .filter(|_| p.contains("is an example of which kind of time"))
    {
        return Some(
            meter(ts)
                .and_then(meter_kind)
                .map(Expect::Text)
                .ok_or_else(|| format!("cannot classify {ts}")),
        );
    }
    if let Some(name) = after(p, "british name for a ") {
        let name = clean(name);
        return Some(
            [
                ("whole note", "semibreve"),
                ("half note", "minim"),
                ("quarter note", "crotchet"),
                ("eighth note", "quaver"),
                ("sixteenth note", "semiquaver"),
            ]
            .iter()
            .find(|(us, _)| *us == name)
            .map(|(_, uk)| Expect::Text(uk.to_string()))
            .ok_or_else(|| format!("no British name for {name:?}")),
        );
    }
    None
}

fn reading(v: &View, _: &Question) -> Option<Found> {
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

// ------------------------------------------------------------------------------------------
// The whole catalog.

/// Words the public view of an activity must never carry (the API tests look for them).
const PRIVATE_WORDS: [&str; 3] = ["explanation", "correct_answer", "tolerance"];

fn private_word(s: &str) -> Option<&'static str> {
    let s = s.to_lowercase();
    PRIVATE_WORDS.into_iter().find(|w| s.contains(w))
}

/// Whether a stave's text for screen readers says the answer outright.
fn gives_away(alt: &str, key: &str) -> bool {
    let words = |s: &str| -> Vec<String> {
        s.split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(str::to_string)
            .collect()
    };
    // A note name (`C`, `F-sharp`) is a word in its own case; anything longer in any case.
    let (alt, key) = if key.len() <= 2 || parse_pitch(key).is_some() {
        (words(alt), words(key))
    } else {
        (words(&alt.to_lowercase()), words(&key.to_lowercase()))
    };
    !key.is_empty() && alt.windows(key.len()).any(|w| w == key.as_slice())
}

/// Checks one question of an activity: its key (maths and music), its explanation, and what
/// its public view says.
fn check_question(activity: &str, category: &str, q: &Question) -> Result<(), String> {
    let public = [
        Some(&q.prompt),
        q.media.notation.as_ref(),
        q.media.notation_alt.as_ref(),
        q.media.formula.as_ref(),
    ]
    .into_iter()
    .flatten()
    .chain(q.options.iter().flatten());
    if let Some(w) = public.filter_map(|t| private_word(t)).next() {
        return Err(format!("the public view would carry the word {w:?}"));
    }
    if q.explanation.trim().is_empty() {
        return Err("no explanation: every question teaches its answer".into());
    }
    match category {
        "math" => compare(q, &math_expect(activity, q)?),
        "music" => {
            compare(q, &music_expect(q)?)?;
            let keys: Vec<&str> = match &q.correct_answer {
                Answer::Text(k) => vec![k.as_str()],
                Answer::Choices(k) => k.iter().map(String::as_str).collect(),
                _ => Vec::new(),
            };
            let alt = q.media.notation_alt.as_deref().unwrap_or_default();
            match keys.iter().find(|k| gives_away(alt, k)) {
                Some(k) => Err(format!(
                    "the stave's text for screen readers says the answer, {k:?}"
                )),
                None => Ok(()),
            }
        }
        // Factual: `validate` has the keys among the options; the explanation is checked above.
        "science" => Ok(()),
        other => Err(format!("no checker for the category {other:?}")),
    }
}

/// Every problem in the starter content, as `activity/question: why`.
fn problems() -> (Vec<String>, BTreeMap<String, usize>) {
    let (acts, _) = starter_content().expect("the starter content validates");
    let mut found = Vec::new();
    // No rule or fact outlives its question.
    for (activity, id, rule) in STORIES {
        if !acts
            .iter()
            .any(|a| a.id == *activity && a.questions.iter().any(|q| q.id == *id))
        {
            found.push(format!(
                "{activity}/{id}: STORIES has a rule ({rule}) for no question"
            ));
        }
    }
    for (prompt, _) in MATH_FACTS.iter().chain(MUSIC_FACTS) {
        if !acts
            .iter()
            .flat_map(|a| &a.questions)
            .any(|q| q.prompt == *prompt)
        {
            found.push(format!("a fact for no question: {prompt:?}"));
        }
    }
    let mut checked: BTreeMap<String, usize> = BTreeMap::new();
    for a in &acts {
        let texts = [
            Some(&a.title),
            Some(&a.description),
            a.introduction.as_ref(),
        ];
        if let Some(w) = texts
            .into_iter()
            .flatten()
            .filter_map(|t| private_word(t))
            .next()
        {
            found.push(format!(
                "{}: the public view would carry the word {w:?}",
                a.id
            ));
        }
        for q in &a.questions {
            match check_question(&a.id, &a.category, q) {
                Ok(()) => *checked.entry(a.category.clone()).or_default() += 1,
                Err(e) => found.push(format!("{}/{}: {e}", a.id, q.id)),
            }
        }
    }
    (found, checked)
}

#[test]
fn every_maths_and_music_key_is_worked_out_again() {
    let (found, checked) = problems();
    println!("questions checked: {checked:?}");
    assert!(
        found.is_empty(),
        "{} problems in the starter content:\n{}",
        found.len(),
        found.join("\n")
    );
}

#[test]
fn the_catalog_is_big_enough_in_steps_and_carries_staves_and_sound() {
    let (acts, _) = starter_content().unwrap();
    let mut per_subject: BTreeMap<&str, usize> = BTreeMap::new();
    let mut steps: BTreeMap<(&str, &str), BTreeSet<i32>> = BTreeMap::new();
    let (mut music, mut staves, mut listening) = (0, 0, 0);
    for a in &acts {
        *per_subject.entry(a.category.as_str()).or_default() += 1;
        assert!(a.introduction.is_some(), "{} has no introduction", a.id);
        let sub = a
            .sub_category
            .as_deref()
            .expect("every starter activity has a sub-category");
        steps
            .entry((a.category.as_str(), sub))
            .or_default()
            .insert(a.difficulty);
        if a.category == "music" {
            for q in &a.questions {
                music += 1;
                staves += usize::from(q.media.notation.is_some());
                listening += usize::from(q.media.audio.is_some());
            }
        }
    }
    let stave_share = 100.0 * staves as f64 / music as f64;
    let listening_share = 100.0 * listening as f64 / music as f64;
    println!("activities: {} {per_subject:?}", acts.len());
    for ((subject, sub), levels) in &steps {
        println!("  {subject}/{sub}: difficulties {levels:?}");
    }
    println!(
        "music questions: {music}; with a stave {staves} ({stave_share:.1} %), with listening {listening} ({listening_share:.1} %)"
    );
    assert!(acts.len() >= 60, "{} activities", acts.len());
    for subject in ["math", "science", "music"] {
        assert!(
            per_subject.get(subject).copied().unwrap_or(0) >= 20,
            "{subject}: {per_subject:?}"
        );
    }
    for ((subject, sub), levels) in &steps {
        assert!(
            levels.len() >= 3,
            "{subject}/{sub} has difficulties {levels:?} only"
        );
    }
    assert!(
        stave_share >= 40.0,
        "{stave_share:.1} % of music questions carry a stave"
    );
    assert!(
        listening_share >= 25.0,
        "{listening_share:.1} % of music questions carry listening"
    );
}

#[test]
fn the_checker_catches_wrong_keys_and_questions_it_cannot_read() {
    let (acts, _) = starter_content().unwrap();
    let question = |activity: &str, id: &str| -> (String, Question) {
        let a = acts.iter().find(|a| a.id == activity).expect(activity);
        (
            a.category.clone(),
            a.questions.iter().find(|q| q.id == id).expect(id).clone(),
        )
    };
    let text = |s: &str| Answer::Text(s.to_string());
    type Spoil = Box<dyn Fn(&mut Question)>;
    let key =
        |k: Answer| -> Spoil { Box::new(move |q: &mut Question| q.correct_answer = k.clone()) };
    let cases: Vec<(&str, &str, Spoil, &str)> = vec![
        // Wrong keys, one of each kind of computation.
        (
            "music-intervals-2",
            "q1",
            key(text("major 3rd")),
            "perfect 5th",
        ),
        ("music-intervals-3", "q5", key(Answer::Number(8.0)), "key 8"),
        (
            "music-chords-cadences-2",
            "q1",
            key(text("F minor")),
            "F major",
        ),
        (
            "music-chords-cadences-2",
            "q5",
            key(text("root position")),
            "second inversion",
        ),
        (
            "music-chords-cadences-3",
            "q1",
            key(text("plagal")),
            "perfect",
        ),
        (
            "music-chords-cadences-3",
            "q6",
            key(text("perfect")),
            "plagal",
        ),
        ("music-keys-scales-2", "q1", key(text("G major")), "D major"),
        (
            "music-keys-scales-3",
            "q1",
            key(text("A melodic minor")),
            "A harmonic minor",
        ),
        ("music-note-values-3", "q1", key(text("4/4")), "3/4"),
        (
            "music-italian-terms-2",
            "q7",
            key(Answer::Choices(vec!["pp".into(), "p".into()])),
            "mp",
        ),
        (
            "music-melody-form-2",
            "q1",
            key(text("inversion")),
            "sequence",
        ),
        (
            "music-intervals-1",
            "q1",
            key(text("perfect 4th")),
            "perfect 5th",
        ),
        ("math-fractions-3", "q1", key(text("4/12")), "4/12"),
        ("math-counting-2", "q1", key(Answer::Number(4.0)), "key 4"),
        ("math-money-2", "q1", key(text("25p")), "25p"),
        ("math-time-3", "q1", key(text("4:15")), "4:15"),
        (
            "math-multiplication-4",
            "q4",
            key(Answer::Bool(true)),
            "key true",
        ),
        ("math-addition-1", "q6", key(Answer::Number(10.0)), "key 10"),
        ("math-shapes-3", "q1", key(Answer::Number(8.0)), "key 8"),
        // What the checker cannot read fails too.
        (
            "music-chords-cadences-1",
            "q5",
            Box::new(|q: &mut Question| q.prompt = "Who sings best?".into()),
            "cannot read",
        ),
        (
            "math-addition-1",
            "q7",
            Box::new(|q: &mut Question| q.prompt = "Why is 7 a lucky number?".into()),
            "cannot read",
        ),
        // A story whose rule no longer matches its prompt.
        (
            "math-addition-1",
            "q6",
            Box::new(|q: &mut Question| {
                q.prompt =
                    "Sam has 4 apples and picks 6 more. How many apples does Sam have now?".into();
                q.correct_answer = Answer::Number(10.0);
            }),
            "not in the prompt",
        ),
        // Sound that does not play the stave, and a stave text that says the answer.
        (
            "music-intervals-3",
            "q1",
            Box::new(|q: &mut Question| {
                if let Some(Audio::Notes(n)) = &mut q.media.audio {
                    n.notes = vec!["E4".into(), "C#5".into()];
                }
            }),
            "audio does not play the stave",
        ),
        (
            "music-chords-cadences-2",
            "q1",
            Box::new(|q: &mut Question| q.media.notation_alt = Some("An F major chord".into())),
            "says the answer",
        ),
        // Science: an explanation is required.
        (
            "science-weather-1",
            "q1",
            Box::new(|q: &mut Question| q.explanation.clear()),
            "no explanation",
        ),
    ];
    for (activity, id, spoil, expected) in cases {
        let (category, mut q) = question(activity, id);
        assert_eq!(
            check_question(activity, &category, &q),
            Ok(()),
            "{activity}/{id} passes as written"
        );
        spoil(&mut q);
        let err = check_question(activity, &category, &q).expect_err(&format!(
            "{activity}/{id}: the spoiled question must be reported"
        ));
        assert!(err.contains(expected), "{activity}/{id}: {err}");
    }
}

/// Every other answer to every maths and music question is reported: the checker is never
/// satisfied by whatever key it is given.
#[test]
fn every_wrong_answer_to_a_maths_or_music_question_is_reported() {
    let (acts, _) = starter_content().unwrap();
    let mut tried = 0;
    for a in acts.iter().filter(|a| a.category != "science") {
        for q in &a.questions {
            let options = q.options.clone().unwrap_or_default();
            let wrong: Vec<Answer> = match &q.correct_answer {
                Answer::Bool(b) => vec![Answer::Bool(!b)],
                Answer::Number(n) => vec![Answer::Number(n + 1.0), Answer::Number(n - 1.0)],
                Answer::Text(k) if q.answer_type == AnswerType::Text => {
                    vec![Answer::Text(format!("{k} x")), Answer::Text("x".into())]
                }
                Answer::Text(k) => options
                    .iter()
                    .filter(|o| o.trim() != k.trim())
                    .map(|o| Answer::Text(o.clone()))
                    .collect(),
                Answer::Choices(k) => options
                    .iter()
                    .map(|o| {
                        let mut c: Vec<String> = k.iter().filter(|x| *x != o).cloned().collect();
                        if c.len() == k.len() {
                            c.push(o.clone());
                        }
                        Answer::Choices(c)
                    })
                    .filter(|c| !matches!(c, Answer::Choices(c) if c.is_empty()))
                    .collect(),
            };
            for w in wrong {
                let mut spoiled = q.clone();
                spoiled.correct_answer = w.clone();
                tried += 1;
                assert!(
                    check_question(&a.id, &a.category, &spoiled).is_err(),
                    "{}/{}: the wrong key {w:?} passes",
                    a.id,
                    q.id
                );
            }
        }
    }
    println!("wrong keys tried: {tried}");
    assert!(tried > 500);
}
