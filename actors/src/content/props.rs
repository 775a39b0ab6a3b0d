//! Property tests of grading and of authored-content validation: neither panics on anything;
//! text is compared trimmed and case-insensitively; numbers within the tolerance; a valid
//! activity is accepted and a choice key missing from its options is refused.

use proptest::prelude::*;

use super::{ActivityContent, Answer, AnswerType, Question};

fn answer_type() -> impl Strategy<Value = AnswerType> {
    prop_oneof![
        Just(AnswerType::MultipleChoice),
        Just(AnswerType::TrueFalse),
        Just(AnswerType::Number),
        Just(AnswerType::Text),
    ]
}

/// Any answer value at all, the hostile floats included.
fn any_answer() -> impl Strategy<Value = Answer> {
    prop_oneof![
        any::<bool>().prop_map(Answer::Bool),
        any::<f64>().prop_map(Answer::Number),
        prop_oneof![
            Just(f64::NAN),
            Just(f64::INFINITY),
            Just(f64::NEG_INFINITY),
            Just(f64::MAX)
        ]
        .prop_map(Answer::Number),
        ".{0,40}".prop_map(Answer::Text),
        "[ \t]*(true|FALSE|1e400|-0|NaN|inf)[ \t]*".prop_map(Answer::Text),
    ]
}

fn any_question() -> impl Strategy<Value = Question> {
    (
        ".{0,12}",
        ".{0,20}",
        answer_type(),
        prop::option::of(prop::collection::vec(".{0,8}", 0..12)),
        any_answer(),
        prop::option::of(prop_oneof![any::<f64>(), Just(f64::NAN), Just(-1.0)]),
    )
        .prop_map(
            |(id, prompt, answer_type, options, correct_answer, tolerance)| Question {
                id,
                prompt,
                answer_type,
                options,
                correct_answer,
                explanation: String::new(),
                tolerance,
                media: Default::default(),
            },
        )
}

fn question(answer_type: AnswerType, key: Answer, options: Option<Vec<String>>) -> Question {
    Question {
        id: "q1".into(),
        prompt: "?".into(),
        answer_type,
        options,
        correct_answer: key,
        explanation: String::new(),
        tolerance: None,
        media: Default::default(),
    }
}

/// A valid question of any type, with its id.
fn valid_question(id: String) -> impl Strategy<Value = Question> {
    prop_oneof![
        (
            prop::collection::btree_set("[a-z0-9]{1,8}", 2..=10),
            any::<prop::sample::Index>()
        )
            .prop_map(|(opts, pick)| {
                let opts: Vec<String> = opts.into_iter().collect();
                let key = opts[pick.index(opts.len())].clone();
                question(AnswerType::MultipleChoice, Answer::Text(key), Some(opts))
            }),
        any::<bool>().prop_map(|b| question(AnswerType::TrueFalse, Answer::Bool(b), None)),
        (-1.0e12f64..1.0e12).prop_map(|n| question(AnswerType::Number, Answer::Number(n), None)),
        "[A-Za-z][A-Za-z ]{0,30}".prop_map(|t| question(AnswerType::Text, Answer::Text(t), None)),
    ]
    .prop_map(move |mut q| {
        q.id = id.clone();
        q
    })
}

fn valid_content() -> impl Strategy<Value = ActivityContent> {
    (1usize..=50)
        .prop_flat_map(|n| {
            (0..n)
                .map(|i| valid_question(format!("q{i}")))
                .collect::<Vec<_>>()
        })
        .prop_map(|questions| ActivityContent {
            questions,
            ..Default::default()
        })
}

/// Swaps the case of ASCII letters.
fn swap_case(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_uppercase() {
                c.to_ascii_lowercase()
            } else {
                c.to_ascii_uppercase()
            }
        })
        .collect()
}

proptest! {
    #![proptest_config(cases(128))]

    #[test]
    fn grading_never_panics(q in any_question(), given in any_answer()) {
        let verdict = q.grade(&given);
        prop_assert_eq!(verdict, q.grade(&given));
    }

    #[test]
    fn a_valid_question_accepts_its_own_key(q in valid_question("q1".into())) {
        prop_assert!(q.grade(&q.correct_answer), "{:?}", q);
    }

    #[test]
    fn text_is_compared_trimmed_and_case_insensitively(
        key in "[A-Za-z]{1,10}( [A-Za-z]{1,10}){0,3}",
        pad_left in "[ \t\n]{0,3}",
        pad_right in "[ \t\n]{0,3}",
        other in "[A-Za-z]{1,10}",
    ) {
        let q = question(AnswerType::Text, Answer::Text(key.clone()), None);
        let given = format!("{pad_left}{}{pad_right}", swap_case(&key));
        prop_assert!(q.grade(&Answer::Text(given.clone())), "{:?} vs {:?}", key, given);
        // Inner whitespace is folded too.
        prop_assert!(q.grade(&Answer::Text(key.replace(' ', "  \t "))));
        if !other.eq_ignore_ascii_case(&key) {
            prop_assert!(!q.grade(&Answer::Text(other)));
        }
        // A value of the wrong JSON type is simply wrong.
        prop_assert!(!q.grade(&Answer::Bool(true)));
        prop_assert!(!q.grade(&Answer::Number(1.0)));
    }

    #[test]
    fn numbers_are_compared_within_the_tolerance(
        key in -1.0e9f64..1.0e9,
        tolerance in 0.001f64..100.0,
        fraction in 0.0f64..0.99,
    ) {
        let mut q = question(AnswerType::Number, Answer::Number(key), None);
        prop_assert!(q.grade(&Answer::Number(key)));
        let written = format!(" {key} ");
        prop_assert!(q.grade(&Answer::Text(written)));
        let off = key.abs().max(1.0) * 1e-6;
        prop_assert!(!q.grade(&Answer::Number(key + off)), "default: equal up to rounding");
        prop_assert!(!q.grade(&Answer::Number(f64::NAN)));
        prop_assert!(!q.grade(&Answer::Bool(true)));
        q.tolerance = Some(tolerance);
        prop_assert!(q.grade(&Answer::Number(key + tolerance * fraction)));
        prop_assert!(!q.grade(&Answer::Number(key + tolerance * 1.5 + 1e-6 * key.abs())));
    }

    #[test]
    fn validation_never_panics(questions in prop::collection::vec(any_question(), 0..60)) {
        let errors = ActivityContent { questions, ..Default::default() }.validate();
        prop_assert!(errors.iter().all(|e| !e.field.is_empty() && !e.reason.is_empty()));
    }

    #[test]
    fn a_valid_activity_is_accepted(content in valid_content()) {
        prop_assert_eq!(content.validate(), vec![]);
    }

    #[test]
    fn a_choice_key_missing_from_the_options_is_refused(
        mut content in valid_content(),
        pick in any::<prop::sample::Index>(),
        opts in prop::collection::btree_set("[a-z]{1,8}", 2..=10),
        key in "[A-Z]{1,8}",
    ) {
        let i = pick.index(content.questions.len());
        let id = content.questions[i].id.clone();
        content.questions[i] = Question {
            id,
            ..question(AnswerType::MultipleChoice, Answer::Text(key), Some(opts.into_iter().collect()))
        };
        let fields: Vec<String> = content.validate().into_iter().map(|e| e.field).collect();
        prop_assert_eq!(fields, vec![format!("questions[{i}].correct_answer")]);
    }
}

/// A modest number of cases by default, so the suite stays fast; `PROPTEST_CASES=…` runs more.
fn cases(default: u32) -> ProptestConfig {
    let mut config = ProptestConfig::default();
    if std::env::var_os("PROPTEST_CASES").is_none() {
        config.cases = default;
    }
    config
}
