//! A game's arithmetic, pure: points for an answer, standings with shared ranks, and the
//! counts of what was answered.

use chrono::{DateTime, Utc};
use std::collections::HashMap;

use super::frames::{Counts, Standing};
use crate::content::{Answer, AnswerType, Question};

/// A right answer is worth this much, however slow (within the deadline).
pub const RIGHT_POINTS: u32 = 500;
/// Plus up to this much for speed: all of it at once, none at the deadline.
pub const SPEED_POINTS: u32 = 500;
/// Leaderboards show this many, never the whole class.
pub const TOP: usize = 5;
pub const PODIUM: usize = 3;
/// Free answers (numbers, text) are counted by value; past this many values, the rest
/// go under [`OTHER`].
pub const MAX_COUNTED: usize = 10;
pub const OTHER: &str = "(other)";

/// Points for one answer, from the journal's times (whole milliseconds, so that every
/// replica of a game gives the same): nothing when wrong or after the deadline.
pub fn points(
    correct: bool,
    opened: DateTime<Utc>,
    deadline: DateTime<Utc>,
    at: DateTime<Utc>,
) -> u32 {
    if !correct || at > deadline {
        return 0;
    }
    let window = (deadline - opened).num_milliseconds().max(0);
    let left = (deadline - at).num_milliseconds().clamp(0, window);
    if window == 0 {
        return RIGHT_POINTS;
    }
    // Rounded half up, in integers.
    let speed = (i64::from(SPEED_POINTS) * left * 2 + window) / (window * 2);
    RIGHT_POINTS + speed as u32
}

/// Everyone's standing, best first (equal scores by name, then id), ranks shared by equal
/// scores: 1, 1, 3.
pub fn standings<'a>(players: impl IntoIterator<Item = (&'a str, &'a str, u32)>) -> Vec<Standing> {
    let mut list: Vec<(&str, &str, u32)> = players.into_iter().collect();
    list.sort_by(|a, b| b.2.cmp(&a.2).then(a.1.cmp(b.1)).then(a.0.cmp(b.0)));
    let mut out: Vec<Standing> = Vec::with_capacity(list.len());
    for (i, (id, name, score)) in list.into_iter().enumerate() {
        let rank = match out.last() {
            Some(prev) if prev.score == score => prev.rank,
            _ => i as u32 + 1,
        };
        out.push(Standing {
            learner_id: id.into(),
            name: name.to_string(),
            score,
            rank,
        });
    }
    out
}

/// How a free answer is counted: the value as a person reads it.
fn key(given: &Answer) -> String {
    match given {
        Answer::Bool(b) => b.to_string(),
        Answer::Number(n) if n.fract() == 0.0 && n.abs() < 9.0e15 => (*n as i64).to_string(),
        Answer::Number(n) => n.to_string(),
        Answer::Text(t) => t
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_lowercase(),
        Answer::Choices(c) => {
            let mut c: Vec<&str> = c.iter().map(|s| s.trim()).collect();
            c.sort_unstable();
            c.join(", ")
        }
    }
}

/// What was answered, by option: every option of a choice (in order, zeros included),
/// `true`/`false` for true/false, and the most given values for numbers and text.
pub fn counts<'a>(question: &Question, given: impl IntoIterator<Item = &'a Answer>) -> Counts {
    let given: Vec<&Answer> = given.into_iter().collect();
    match question.answer_type {
        // Each option: how many answers chose it (an answer counts once per option).
        AnswerType::MultiSelect => {
            let options = question.options.clone().unwrap_or_default();
            let mut other = 0;
            let mut counts: Vec<(String, u32)> = options.into_iter().map(|o| (o, 0)).collect();
            for g in given {
                let Answer::Choices(chosen) = g else {
                    other += 1;
                    continue;
                };
                for (o, n) in counts.iter_mut() {
                    if chosen.iter().any(|c| c.trim() == o.trim()) {
                        *n += 1;
                    }
                }
            }
            if other > 0 {
                counts.push((OTHER.to_string(), other));
            }
            Counts(counts)
        }
        AnswerType::MultipleChoice => {
            let options = question.options.clone().unwrap_or_default();
            let mut counts: Vec<(String, u32)> = options.into_iter().map(|o| (o, 0)).collect();
            let mut other = 0;
            for g in given {
                let hit = match g {
                    Answer::Text(t) => counts.iter_mut().find(|(o, _)| o.trim() == t.trim()),
                    _ => None,
                };
                match hit {
                    Some((_, n)) => *n += 1,
                    None => other += 1,
                }
            }
            if other > 0 {
                counts.push((OTHER.to_string(), other));
            }
            Counts(counts)
        }
        AnswerType::TrueFalse => {
            let (mut t, mut f, mut other) = (0, 0, 0);
            for g in given {
                match key(g).as_str() {
                    "true" => t += 1,
                    "false" => f += 1,
                    _ => other += 1,
                }
            }
            let mut counts = vec![("true".to_string(), t), ("false".to_string(), f)];
            if other > 0 {
                counts.push((OTHER.to_string(), other));
            }
            Counts(counts)
        }
        AnswerType::Number | AnswerType::Text => {
            let mut by: HashMap<String, u32> = HashMap::new();
            for g in given {
                *by.entry(key(g)).or_insert(0) += 1;
            }
            let mut list: Vec<(String, u32)> = by.into_iter().collect();
            list.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
            if list.len() > MAX_COUNTED {
                let rest: u32 = list.drain(MAX_COUNTED..).map(|(_, n)| n).sum();
                list.push((OTHER.to_string(), rest));
            }
            Counts(list)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn question(answer_type: AnswerType, options: Option<Vec<&str>>) -> Question {
        Question {
            id: "q".into(),
            prompt: "?".into(),
            answer_type,
            options: options.map(|o| o.into_iter().map(String::from).collect()),
            correct_answer: Answer::Bool(true),
            explanation: String::new(),
            tolerance: None,
            media: Default::default(),
        }
    }

    #[test]
    fn points_are_500_for_right_plus_speed_and_nothing_wrong_or_late() {
        let t = Utc::now();
        let d = t + chrono::Duration::seconds(20);
        assert_eq!(points(true, t, d, t), 1000);
        assert_eq!(points(true, t, d, t + chrono::Duration::seconds(5)), 875);
        assert_eq!(points(true, t, d, d), 500);
        assert_eq!(points(false, t, d, t), 0);
        assert_eq!(points(true, t, d, d + chrono::Duration::milliseconds(1)), 0);
        // Half a point rounds up.
        assert_eq!(
            points(
                true,
                t,
                t + chrono::Duration::milliseconds(1000),
                t + chrono::Duration::milliseconds(999)
            ),
            501
        );
    }

    #[test]
    fn equal_scores_share_a_rank_and_order_is_stable() {
        let s = standings([
            ("c", "Cem", 500),
            ("a", "Ana", 900),
            ("b", "Bo", 500),
            ("d", "Di", 0),
        ]);
        let got: Vec<(&str, u32)> = s.iter().map(|s| (s.learner_id.as_str(), s.rank)).collect();
        assert_eq!(got, [("a", 1), ("b", 2), ("c", 2), ("d", 4)]);
        assert!(standings(std::iter::empty()).is_empty());
    }

    #[test]
    fn counts_by_option_for_each_answer_type() {
        let mc = question(AnswerType::MultipleChoice, Some(vec!["x", "y", "z"]));
        let given = [
            Answer::Text("y".into()),
            Answer::Text(" y ".into()),
            Answer::Text("w".into()),
        ];
        assert_eq!(
            counts(&mc, &given).0,
            [
                ("x".into(), 0),
                ("y".into(), 2),
                ("z".into(), 0),
                (OTHER.into(), 1)
            ]
        );
        let tf = question(AnswerType::TrueFalse, None);
        let given = [
            Answer::Bool(true),
            Answer::Text("FALSE".into()),
            Answer::Bool(true),
        ];
        assert_eq!(
            counts(&tf, &given).0,
            [("true".into(), 2), ("false".into(), 1)]
        );
        let num = question(AnswerType::Number, None);
        let given: Vec<Answer> = (0..15).map(|i| Answer::Number(f64::from(i % 12))).collect();
        let c = counts(&num, &given).0;
        assert_eq!(c.len(), MAX_COUNTED + 1);
        assert_eq!(c[0], ("0".into(), 2));
        assert_eq!(c.iter().map(|(_, n)| n).sum::<u32>(), 15);
        assert_eq!(c.last().unwrap().0, OTHER);
    }
}
