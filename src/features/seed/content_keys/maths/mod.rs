//! Maths keys: the dispatcher over the ways to read a question; stories, formulas, pictures.

mod measures;
mod numbers;
mod shapes;

use studyhub_actors::content::{AnswerType, Question, Visual};

use super::calc::{arithmetic_words, digit_runs, numbers_in, truth, value};
use super::expect::{Expect, Found, judge, text};
use super::facts::{MATH_FACTS, fact};
use super::words::same;
use super::words::{after, count_of};

/// Word problems: the rule the checker follows, in the activity's words. Every number in a
/// rule must appear in the prompt (or be the pictures' count), so a rule cannot quietly
/// carry its own answer; amounts of money are in pence, clock times in minutes.
pub(super) const STORIES: &[(&str, &str, &str)] = &[
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

type Rule = fn(&str, &Question) -> Option<Found>;

pub(super) fn math_expect(activity: &str, q: &Question) -> Found {
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
        numbers::counting,
        numbers::vocabulary,
        shapes::shapes,
        measures::units,
        measures::clock,
        numbers::choices,
        numbers::statement,
        numbers::arithmetic,
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
