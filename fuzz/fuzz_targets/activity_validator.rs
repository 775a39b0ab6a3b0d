//! `POST /v1/activities`'s validation on any body: a clean 400 or 422 naming fields, or an
//! accepted activity whose stored content validates again. Inputs starting with `{` are
//! taken as raw bodies; others build a well-formed activity from the fuzzer's bytes, so the
//! question rules are reached, not only the JSON parser.
#![no_main]

use arbitrary::{Arbitrary, Unstructured};
use libfuzzer_sys::fuzz_target;
use serde_json::{Value, json};
use studyhub::infra::error::ErrorKind;
use studyhub::web::routes::activities::validate_activity;
use studyhub_actors::content::ActivityContent;

#[derive(Debug, Arbitrary)]
struct Q {
    id: String,
    prompt: String,
    answer_type: u8,
    options: Option<Vec<String>>,
    key: Key,
    tolerance: Option<f64>,
}

#[derive(Debug, Arbitrary)]
enum Key {
    Bool(bool),
    Int(i64),
    Float(f64),
    Text(String),
    Null,
}

#[derive(Debug, Arbitrary)]
struct A {
    id: Option<String>,
    title: String,
    category: String,
    difficulty: i32,
    age_min: i32,
    age_max: i32,
    questions: Vec<Q>,
}

fn body_of(a: A) -> Vec<u8> {
    let types = ["multiple_choice", "true_false", "number", "text", "essay"];
    let questions: Vec<Value> = a
        .questions
        .into_iter()
        .map(|q| {
            let key = match q.key {
                Key::Bool(b) => json!(b),
                Key::Int(n) => json!(n),
                Key::Float(f) => json!(f),
                Key::Text(t) => json!(t),
                Key::Null => Value::Null,
            };
            let mut v = json!({"id": q.id, "prompt": q.prompt,
                "answer_type": types[q.answer_type as usize % types.len()], "correct_answer": key});
            if let Some(o) = q.options {
                v["options"] = json!(o);
            }
            if let Some(t) = q.tolerance {
                v["tolerance"] = json!(t);
            }
            v
        })
        .collect();
    let mut body = json!({"title": a.title, "category": a.category, "difficulty": a.difficulty,
        "age_min": a.age_min, "age_max": a.age_max, "questions": questions});
    if let Some(id) = a.id {
        body["id"] = json!(id);
    }
    serde_json::to_vec(&body).expect("a JSON value serializes")
}

fuzz_target!(|data: &[u8]| {
    let body = if data.first() == Some(&b'{') {
        data.to_vec()
    } else {
        match A::arbitrary_take_rest(Unstructured::new(data)) {
            Ok(a) => body_of(a),
            Err(_) => return,
        }
    };
    match validate_activity(&body) {
        Ok((_, content)) => {
            let stored: ActivityContent =
                serde_json::from_str(&content).expect("stored content parses");
            assert!(stored.validate().is_empty(), "stored content validates");
        }
        Err(e) => assert!(
            matches!(e.kind, ErrorKind::BadRequest | ErrorKind::Validation),
            "{:?} {} {}",
            e.kind,
            e.code,
            e.message
        ),
    }
});
