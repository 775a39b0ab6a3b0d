//! Property tests of `POST /v1/activities`'s validation ([`validate_activity`]): any body is
//! a clean 400/422 or an accepted activity; a valid one is accepted; a choice key missing
//! from its options is refused, naming the field.

use proptest::prelude::*;
use serde_json::{Value, json};

use super::validate_activity;
use crate::infra::error::ErrorKind;

fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>().prop_map(|f| json!(f)),
        ".{0,30}".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(
                prop_oneof![
                    Just("title".to_string()),
                    Just("questions".to_string()),
                    Just("answer_type".to_string()),
                    Just("correct_answer".to_string()),
                    Just("options".to_string()),
                    ".{0,8}"
                ],
                inner,
                0..8
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn refused_cleanly(body: &[u8]) -> Result<(), TestCaseError> {
    if let Err(e) = validate_activity(body) {
        prop_assert!(
            matches!(e.kind, ErrorKind::BadRequest | ErrorKind::Validation),
            "{:?} {}",
            e.kind,
            e.message
        );
    }
    Ok(())
}

/// A valid question as a client writes it.
fn question(i: usize) -> impl Strategy<Value = Value> {
    prop_oneof![
        prop::collection::btree_set("[a-z]{1,6}", 2..=6).prop_map(move |o| {
            let o: Vec<String> = o.into_iter().collect();
            json!({"id": format!("q{i}"), "prompt": "Pick", "answer_type": "multiple_choice",
                "options": o, "correct_answer": o[0]})
        }),
        any::<bool>().prop_map(move |b| json!({"id": format!("q{i}"), "prompt": "True?",
            "answer_type": "true_false", "correct_answer": b})),
        any::<i32>().prop_map(
            move |n| json!({"id": format!("q{i}"), "prompt": "How many?",
            "answer_type": "number", "correct_answer": n, "tolerance": 0.5})
        ),
        "[a-z]{1,12}".prop_map(move |t| json!({"id": format!("q{i}"), "prompt": "Name it",
            "answer_type": "text", "correct_answer": t})),
    ]
}

fn valid_body() -> impl Strategy<Value = Value> {
    (
        "[A-Za-z][A-Za-z ]{0,40}",
        "[a-z]{1,20}",
        1i32..=5,
        2i32..=18,
        0i32..=16,
        (1usize..=12).prop_flat_map(|n| (0..n).map(question).collect::<Vec<_>>()),
    )
        .prop_map(|(title, category, difficulty, age_min, span, questions)| {
            json!({"title": title, "category": category, "difficulty": difficulty,
                "age_min": age_min, "age_max": (age_min + span).min(18), "questions": questions})
        })
}

proptest! {
    #![proptest_config(cases(128))]

    #[test]
    fn any_bytes_are_refused_cleanly(body in prop::collection::vec(any::<u8>(), 0..300)) {
        refused_cleanly(&body)?;
    }

    #[test]
    fn any_json_is_refused_cleanly_or_accepted(v in any_json()) {
        refused_cleanly(v.to_string().as_bytes())?;
    }

    #[test]
    fn a_valid_activity_is_accepted(body in valid_body()) {
        let res = validate_activity(body.to_string().as_bytes());
        prop_assert!(res.is_ok(), "{} -> {:?}", body, res.err().map(|e| e.details));
    }

    #[test]
    fn a_choice_key_missing_from_the_options_is_refused(
        mut body in valid_body(),
        pick in any::<prop::sample::Index>(),
    ) {
        let questions = body["questions"].as_array_mut().unwrap();
        let i = pick.index(questions.len());
        questions[i] = json!({"id": format!("q{i}"), "prompt": "Pick", "answer_type": "multiple_choice",
            "options": ["a", "b"], "correct_answer": "c"});
        let e = validate_activity(body.to_string().as_bytes()).unwrap_err();
        prop_assert_eq!(e.kind, ErrorKind::Validation);
        let fields = &e.details.unwrap()["fields"];
        let field = format!("questions[{i}].correct_answer");
        prop_assert!(fields.get(&field).is_some(), "{}", fields);
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
