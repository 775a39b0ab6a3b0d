//! Grading any answer against any question never panics; a question that passes authoring
//! validation accepts its own key; text answers ignore case and surrounding whitespace.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use studyhub_actors::content::{ActivityContent, Answer, AnswerType, Question};

#[derive(Debug, Arbitrary)]
enum Value {
    Bool(bool),
    Number(f64),
    Text(String),
    Choices(Vec<String>),
}

impl From<Value> for Answer {
    fn from(v: Value) -> Self {
        match v {
            Value::Bool(b) => Answer::Bool(b),
            Value::Number(n) => Answer::Number(n),
            Value::Text(t) => Answer::Text(t),
            Value::Choices(c) => Answer::Choices(c),
        }
    }
}

#[derive(Debug, Arbitrary)]
struct Input {
    answer_type: u8,
    key: Value,
    given: Value,
    options: Option<Vec<String>>,
    tolerance: Option<f64>,
    /// The given answer as a client's JSON instead (`"answer": <this>` in a frame).
    given_json: Option<String>,
}

fuzz_target!(|input: Input| {
    let answer_type = match input.answer_type % 5 {
        0 => AnswerType::MultipleChoice,
        1 => AnswerType::TrueFalse,
        2 => AnswerType::Number,
        3 => AnswerType::MultiSelect,
        _ => AnswerType::Text,
    };
    let question = Question {
        id: "q1".into(),
        prompt: "?".into(),
        answer_type,
        options: input.options,
        correct_answer: input.key.into(),
        explanation: String::new(),
        tolerance: input.tolerance,
        media: Default::default(),
    };
    let given: Answer = input.given.into();
    let verdict = question.grade(&given);
    assert_eq!(verdict, question.grade(&given), "grading is deterministic");
    if let Some(json) = &input.given_json {
        if let Ok(answer) = serde_json::from_str::<Answer>(json) {
            question.grade(&answer);
        }
    }
    let content = ActivityContent {
        questions: vec![question.clone()],
        ..Default::default()
    };
    if content.validate().is_empty() {
        assert!(
            question.grade(&question.correct_answer),
            "a valid question accepts its own key: {question:?}"
        );
    }
    if let (AnswerType::Text, Answer::Text(g)) = (answer_type, &given) {
        let shouted = Answer::Text(format!("  {}\t", g.to_uppercase()));
        // Upper-casing can change a string's lower-case form (e.g. 'ẞ'); compare only where
        // it does not.
        if g.to_uppercase().to_lowercase() == g.to_lowercase() {
            assert_eq!(verdict, question.grade(&shouted), "{g:?}");
        }
    }
});
