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

mod calc;
mod catalog;
mod expect;
mod facts;
mod maths;
mod music;
mod words;

use std::collections::{BTreeMap, BTreeSet};

use studyhub_actors::content::{Answer, AnswerType, Audio, Question};

use super::starter_content;
use catalog::problems;
use expect::compare;
use maths::math_expect;
use music::{gives_away, music_expect};

/// Words the public view of an activity must never carry (the API tests look for them).
const PRIVATE_WORDS: [&str; 3] = ["explanation", "correct_answer", "tolerance"];

fn private_word(s: &str) -> Option<&'static str> {
    let s = s.to_lowercase();
    PRIVATE_WORDS.into_iter().find(|w| s.contains(w))
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
