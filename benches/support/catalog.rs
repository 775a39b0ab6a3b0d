//! The activities the generator plays, read from the starter content, so that its answers
//! are right four times in five as a learner's would be.

use std::sync::Arc;

use serde_json::{Value, json};

/// One activity as the generator plays it: its question ids with their right answers (read
/// from the starter content the server seeds), so four answers in five can be right.
pub(crate) struct Activity {
    pub id: String,
    pub questions: Vec<(String, Value)>,
}

/// The starter catalog (from `dir`, default this checkout's), or just `only` when given.
pub(crate) fn catalog(only: Option<&str>, dir: Option<&std::path::Path>) -> Arc<Vec<Activity>> {
    let here = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/content/activities"));
    let dir = dir.unwrap_or(here);
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .expect("content/activities")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    let mut out = Vec::new();
    for f in files {
        let list: Vec<Value> = serde_json::from_slice(&std::fs::read(&f).unwrap()).unwrap();
        for a in list {
            let id = a["id"].as_str().unwrap().to_string();
            if only.is_some_and(|o| o != id) {
                continue;
            }
            let questions = a["questions"]
                .as_array()
                .unwrap()
                .iter()
                .map(|q| {
                    (
                        q["id"].as_str().unwrap().to_string(),
                        q["correct_answer"].clone(),
                    )
                })
                .collect();
            out.push(Activity { id, questions });
        }
    }
    assert!(
        !out.is_empty(),
        "no activity {only:?} in the starter content"
    );
    Arc::new(out)
}

/// Which answer to send: right four times in five (spread by learner and seq).
pub(crate) fn answer_for(activity: &Activity, seq: u64, salt: u64) -> (String, Value) {
    let (q, right) = &activity.questions[((seq - 1) as usize) % activity.questions.len()];
    let wrong = (seq.wrapping_mul(2_654_435_761) ^ salt).is_multiple_of(5);
    let value = if wrong {
        json!("not it")
    } else {
        right.clone()
    };
    (q.clone(), value)
}
