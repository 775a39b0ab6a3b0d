//! An authored activity's content on any input: what `POST /v1/activities` checks by hand
//! and stores (its questions, keys, media, notation and formulas). Content either validates,
//! and then its stored JSON reads back as content that validates again, or is refused with a
//! field and a reason for each problem; never a panic. Inputs starting with `{` are taken as
//! raw JSON; others build well-formed questions from the fuzzer's bytes, so the question rules
//! are reached, not only the JSON parser.
//!
//! The request's other fields (title, slug, ages) are declarative checks whose property tests
//! are in `src/web/routes/activities/props.rs`. This target stays on the engine crate, which
//! holds every hand-written rule, so its instrumented build is a small one.
#![no_main]

use arbitrary::{Arbitrary, Unstructured};
use libfuzzer_sys::fuzz_target;
use serde_json::{Value, json};
use studyhub_actors::content::ActivityContent;

#[derive(Debug, Arbitrary)]
struct Q {
    id: String,
    prompt: String,
    answer_type: u8,
    options: Option<Vec<String>>,
    key: Key,
    tolerance: Option<f64>,
    notation: Option<String>,
    notation_alt: Option<String>,
    formula: Option<String>,
    notes: Option<Vec<String>>,
    image_url: Option<String>,
}

#[derive(Debug, Arbitrary)]
enum Key {
    Bool(bool),
    Int(i64),
    Float(f64),
    Text(String),
    Choices(Vec<String>),
    Null,
}

#[derive(Debug, Arbitrary)]
struct A {
    introduction: Option<String>,
    offline: bool,
    questions: Vec<Q>,
}

fn content_of(a: A) -> Value {
    let types = [
        "multiple_choice",
        "multi_select",
        "true_false",
        "number",
        "text",
    ];
    let questions: Vec<Value> = a
        .questions
        .into_iter()
        .map(|q| {
            let key = match q.key {
                Key::Bool(b) => json!(b),
                Key::Int(n) => json!(n),
                Key::Float(f) => json!(f),
                Key::Text(t) => json!(t),
                Key::Choices(c) => json!(c),
                Key::Null => Value::Null,
            };
            let mut v = json!({"id": q.id, "prompt": q.prompt, "explanation": "",
                "answer_type": types[q.answer_type as usize % types.len()], "correct_answer": key});
            let optional = [
                ("options", q.options.map(|o| json!(o))),
                ("tolerance", q.tolerance.map(|t| json!(t))),
                ("notation", q.notation.map(|n| json!(n))),
                ("notation_alt", q.notation_alt.map(|n| json!(n))),
                ("formula", q.formula.map(|f| json!(f))),
                ("image_url", q.image_url.map(|u| json!(u))),
                (
                    "audio",
                    q.notes
                        .map(|n| json!({"notes": n, "play": "melodic", "tempo_bpm": 90})),
                ),
            ];
            for (field, value) in optional {
                if let Some(value) = value {
                    v[field] = value;
                }
            }
            v
        })
        .collect();
    let mut content = json!({"questions": questions, "offline": a.offline});
    if let Some(intro) = a.introduction {
        content["introduction"] = json!(intro);
    }
    content
}

fuzz_target!(|data: &[u8]| {
    let parsed = if data.first() == Some(&b'{') {
        serde_json::from_slice::<ActivityContent>(data)
    } else {
        match A::arbitrary_take_rest(Unstructured::new(data)) {
            Ok(a) => serde_json::from_value(content_of(a)),
            Err(_) => return,
        }
    };
    // A body of the wrong shape is the route's 400; only content that parses has rules.
    let Ok(content) = parsed else { return };
    let problems = content.validate();
    if problems.is_empty() {
        let stored = serde_json::to_string(&content).expect("valid content serializes");
        let back: ActivityContent = serde_json::from_str(&stored).expect("stored content parses");
        assert!(
            back.validate().is_empty(),
            "stored content validates: {stored}"
        );
    } else {
        for p in problems {
            assert!(!p.field.is_empty() && !p.reason.is_empty(), "{p:?}");
        }
    }
});
