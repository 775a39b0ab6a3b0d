//! The whole starter catalog checked at once, every problem as `activity/question: why`.

use std::collections::BTreeMap;

use super::super::starter_content;
use super::facts::{MATH_FACTS, MUSIC_FACTS};
use super::maths::STORIES;
use super::{check_question, private_word};

/// Every problem in the starter content, as `activity/question: why`.
pub(super) fn problems() -> (Vec<String>, BTreeMap<String, usize>) {
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
