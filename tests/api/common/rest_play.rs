//! Playing a starter activity over REST, each question answered right or, when listed, wrong
//! (200 means saved), with the answers the starter content expects.

use awc::http::StatusCode;
use serde_json::{Value, json};

use super::Api;

/// A question id with a right and a wrong answer.
pub type Answers = Vec<(&'static str, Value, Value)>;

/// `math-addition-1`.
pub fn addition() -> Answers {
    vec![
        ("q1", json!(7), json!(6)),
        ("q2", json!("13"), json!("12")),
        ("q3", json!(12), json!(1)),
        ("q4", json!(true), json!(false)),
        ("q5", json!("15"), json!("14")),
        ("q6", json!(9), json!(1)),
        ("q7", json!("sum"), json!("x")),
    ]
}

/// `science-space-1`.
pub fn space() -> Answers {
    vec![
        ("q1", json!(8), json!(9)),
        ("q2", json!("Jupiter"), json!("Mars")),
        ("q3", json!(true), json!(false)),
        ("q4", json!("Mars"), json!("Venus")),
        ("q5", json!(false), json!(true)),
        ("q6", json!("mercury"), json!("venus")),
        ("q7", json!(365), json!(300)),
    ]
}

/// A fresh session of `activity` for `learner`, every question answered (those in `wrong`
/// wrongly, and graded so); the last answer's `completed`.
pub async fn play(
    api: &Api,
    token: &str,
    learner: &str,
    activity: &str,
    answers: &[(&str, Value, Value)],
    wrong: &[&str],
) -> Value {
    let res = api
        .post(
            &format!("/v1/learners/{learner}/sessions"),
            Some(token),
            &json!({"activity_id": activity}),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    let sid = res.body["session_id"].as_str().unwrap().to_string();
    let mut last = Value::Null;
    for (i, (q, right, bad)) in answers.iter().enumerate() {
        let answer = if wrong.contains(q) { bad } else { right };
        let res = api
            .post(
                &format!("/v1/sessions/{sid}/answers"),
                Some(token),
                &json!({"seq": i + 1, "question_id": q, "answer": answer}),
            )
            .await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.body);
        assert_eq!(res.body["correct"], !wrong.contains(q), "{q}: {}", res.body);
        last = res.body;
    }
    last["completed"].clone()
}
