//! What the checker works out for a question, held against the stored key.

use std::collections::BTreeSet;

use studyhub_actors::content::{Answer, AnswerType, Question};

use super::calc::value;
use super::words::norm;
use super::words::same;

/// Rules on one answer: right, wrong, or why it cannot tell.
type Verdict = Box<dyn Fn(&str) -> Result<bool, String>>;

/// What the checker works out. `Judge` rules on one answer at a time (each option, or the
/// key itself), with a description for the report.
pub(super) enum Expect {
    Num(f64),
    Text(String),
    Bool(bool),
    Judge(String, Verdict),
}

pub(super) type Found = Result<Expect, String>;

pub(super) fn judge(
    what: impl Into<String>,
    f: impl Fn(&str) -> Result<bool, String> + 'static,
) -> Found {
    Ok(Expect::Judge(what.into(), Box::new(f)))
}

pub(super) fn text(t: impl Into<String>) -> Found {
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

pub(super) fn fmt_num(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
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
pub(super) fn compare(q: &Question, e: &Expect) -> Result<(), String> {
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
