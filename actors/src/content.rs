//! Activity content: questions with their answer key, the public view that leaves the
//! server before an answer, validation for authored content, and grading.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

pub const MAX_QUESTIONS: usize = 50;
pub const MAX_TEXT: usize = 2_000;
pub const MAX_OPTIONS: usize = 10;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum AnswerType {
    MultipleChoice,
    TrueFalse,
    Number,
    Text,
}

/// An answer as given or as keyed: the JSON type follows the question's `answer_type`
/// (a string for choices and text, a boolean for true/false, a number for numbers).
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    Bool(bool),
    Number(f64),
    Text(String),
}

/// By the JSON type, in one pass: an untagged derive would try each variant in turn and
/// format an error for each miss, on every answer.
impl<'de> Deserialize<'de> for Answer {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = Answer;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a string, a number or a boolean")
            }
            fn visit_bool<E>(self, b: bool) -> Result<Answer, E> {
                Ok(Answer::Bool(b))
            }
            fn visit_i64<E>(self, n: i64) -> Result<Answer, E> {
                Ok(Answer::Number(n as f64))
            }
            fn visit_u64<E>(self, n: u64) -> Result<Answer, E> {
                Ok(Answer::Number(n as f64))
            }
            fn visit_f64<E>(self, n: f64) -> Result<Answer, E> {
                Ok(Answer::Number(n))
            }
            fn visit_str<E>(self, t: &str) -> Result<Answer, E> {
                Ok(Answer::Text(t.to_string()))
            }
            fn visit_string<E>(self, t: String) -> Result<Answer, E> {
                Ok(Answer::Text(t))
            }
        }
        d.deserialize_any(Visitor)
    }
}

impl Serialize for Answer {
    /// Whole numbers go out as integers (`7`, not `7.0`), as a person wrote them.
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Answer::Bool(b) => s.serialize_bool(*b),
            Answer::Number(n) if n.fract() == 0.0 && n.abs() < 9.0e15 => s.serialize_i64(*n as i64),
            Answer::Number(n) => s.serialize_f64(*n),
            Answer::Text(t) => s.serialize_str(t),
        }
    }
}

/// In the API document: a string, a number or a boolean, as `answer_type` says.
#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for Answer {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Type};
        OneOfBuilder::new()
            .item(
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .max_length(Some(MAX_TEXT)),
            )
            .item(ObjectBuilder::new().schema_type(Type::Number))
            .item(ObjectBuilder::new().schema_type(Type::Boolean))
            .into()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for Answer {}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Question {
    pub id: String,
    pub prompt: String,
    pub answer_type: AnswerType,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub options: Option<Vec<String>>,
    pub correct_answer: Answer,
    #[serde(default)]
    pub explanation: String,
    /// Allowed absolute difference for `number` answers (default: exact up to rounding).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tolerance: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub narration_url: Option<String>,
}

/// What a client sees of a question before answering it: no key, no explanation.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PublicQuestion {
    pub id: String,
    pub prompt: String,
    pub answer_type: AnswerType,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub options: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub narration_url: Option<String>,
}

/// The `content` column of an activity.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ActivityContent {
    pub questions: Vec<Question>,
}

impl Question {
    pub fn public(&self) -> PublicQuestion {
        PublicQuestion {
            id: self.id.clone(),
            prompt: self.prompt.clone(),
            answer_type: self.answer_type,
            options: self.options.clone(),
            image_url: self.image_url.clone(),
            narration_url: self.narration_url.clone(),
        }
    }

    /// Grades `given`. Numbers compare within the tolerance, text trimmed and
    /// case-insensitively, choices exactly after trimming; a value of the wrong JSON type is
    /// simply wrong.
    pub fn grade(&self, given: &Answer) -> bool {
        match (self.answer_type, &self.correct_answer, given) {
            (AnswerType::TrueFalse, Answer::Bool(k), Answer::Bool(g)) => k == g,
            (AnswerType::TrueFalse, Answer::Bool(k), Answer::Text(g)) => {
                parse_bool(g).is_some_and(|g| g == *k)
            }
            (AnswerType::Number, Answer::Number(k), given) => {
                let g = match given {
                    Answer::Number(g) => *g,
                    Answer::Text(s) => match s.trim().parse::<f64>() {
                        Ok(v) => v,
                        Err(_) => return false,
                    },
                    Answer::Bool(_) => return false,
                };
                let tol = self.tolerance.unwrap_or(1e-9 * k.abs().max(1.0));
                g.is_finite() && (g - k).abs() <= tol
            }
            (AnswerType::MultipleChoice, Answer::Text(k), Answer::Text(g)) => k.trim() == g.trim(),
            (AnswerType::Text, Answer::Text(k), Answer::Text(g)) => {
                normalize_text(k) == normalize_text(g)
            }
            _ => false,
        }
    }
}

fn parse_bool(s: &str) -> Option<bool> {
    match s.trim().to_ascii_lowercase().as_str() {
        "true" => Some(true),
        "false" => Some(false),
        _ => None,
    }
}

fn normalize_text(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// A problem with authored content: the field path and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContentError {
    pub field: String,
    pub reason: String,
}

impl ActivityContent {
    pub fn public_questions(&self) -> Vec<PublicQuestion> {
        self.questions.iter().map(Question::public).collect()
    }

    pub fn question(&self, id: &str) -> Option<&Question> {
        self.questions.iter().find(|q| q.id == id)
    }

    /// Checks authored content: 1–50 questions, unique ids, bounded sizes, an answer key of
    /// the right type, and choices that contain it.
    pub fn validate(&self) -> Vec<ContentError> {
        let mut errors = Vec::new();
        let mut err = |field: String, reason: &str| {
            errors.push(ContentError {
                field,
                reason: reason.into(),
            })
        };
        if self.questions.is_empty() || self.questions.len() > MAX_QUESTIONS {
            err("questions".into(), "between 1 and 50 questions");
        }
        let mut seen = HashSet::new();
        for (i, q) in self.questions.iter().enumerate() {
            let at = |f: &str| format!("questions[{i}].{f}");
            if q.id.trim().is_empty() || q.id.len() > 64 {
                err(at("id"), "between 1 and 64 characters");
            } else if !seen.insert(q.id.as_str()) {
                err(at("id"), "question ids must be unique");
            }
            if q.prompt.trim().is_empty() || q.prompt.len() > MAX_TEXT {
                err(at("prompt"), "between 1 and 2000 characters");
            }
            if q.explanation.len() > MAX_TEXT {
                err(at("explanation"), "at most 2000 characters");
            }
            match (q.answer_type, &q.correct_answer) {
                (AnswerType::MultipleChoice, Answer::Text(k)) => match &q.options {
                    Some(opts) if (2..=MAX_OPTIONS).contains(&opts.len()) => {
                        if opts.iter().any(|o| o.trim().is_empty() || o.len() > 500) {
                            err(at("options"), "options must be 1 to 500 characters");
                        } else if opts.iter().collect::<HashSet<_>>().len() != opts.len() {
                            err(at("options"), "options must be distinct");
                        } else if !opts.iter().any(|o| o.trim() == k.trim()) {
                            err(at("correct_answer"), "must be one of the options");
                        }
                    }
                    _ => err(at("options"), "multiple_choice needs 2 to 10 options"),
                },
                (AnswerType::TrueFalse, Answer::Bool(_)) => {}
                (AnswerType::Number, Answer::Number(n)) if n.is_finite() => {}
                (AnswerType::Text, Answer::Text(k)) if !k.trim().is_empty() && k.len() <= 500 => {}
                (t, _) => err(
                    at("correct_answer"),
                    match t {
                        AnswerType::MultipleChoice => "must be a string",
                        AnswerType::TrueFalse => "must be true or false",
                        AnswerType::Number => "must be a number",
                        AnswerType::Text => "must be a non-empty string",
                    },
                ),
            }
            if q.answer_type != AnswerType::MultipleChoice && q.options.is_some() {
                err(at("options"), "only multiple_choice questions have options");
            }
            if q.tolerance.is_some_and(|t| !(t.is_finite() && t >= 0.0)) {
                err(at("tolerance"), "must be a non-negative number");
            }
        }
        errors
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_read_by_their_json_type_and_write_back_the_same() {
        for (json, answer) in [
            ("true", Answer::Bool(true)),
            ("7", Answer::Number(7.0)),
            ("-2", Answer::Number(-2.0)),
            ("2.5", Answer::Number(2.5)),
            ("\"C\"", Answer::Text("C".into())),
            ("\"\"", Answer::Text(String::new())),
        ] {
            let read: Answer = serde_json::from_str(json).unwrap();
            assert_eq!(read, answer, "{json}");
            assert_eq!(serde_json::to_string(&read).unwrap(), json);
        }
        for json in ["null", "[1]", "{\"a\":1}"] {
            let err = serde_json::from_str::<Answer>(json).unwrap_err();
            assert!(
                err.to_string().contains("a string, a number or a boolean"),
                "{json}: {err}"
            );
        }
    }

    fn q(answer_type: AnswerType, key: Answer, options: Option<Vec<&str>>) -> Question {
        Question {
            id: "q1".into(),
            prompt: "?".into(),
            answer_type,
            options: options.map(|o| o.into_iter().map(String::from).collect()),
            correct_answer: key,
            explanation: String::new(),
            tolerance: None,
            image_url: None,
            narration_url: None,
        }
    }

    #[test]
    fn grades_each_answer_type() {
        let mc = q(
            AnswerType::MultipleChoice,
            Answer::Text("5".into()),
            Some(vec!["4", "5"]),
        );
        assert!(mc.grade(&Answer::Text(" 5".into())));
        assert!(!mc.grade(&Answer::Text("4".into())));
        let tf = q(AnswerType::TrueFalse, Answer::Bool(true), None);
        assert!(tf.grade(&Answer::Bool(true)));
        assert!(!tf.grade(&Answer::Bool(false)));
        assert!(!tf.grade(&Answer::Number(1.0)));
        let num = q(AnswerType::Number, Answer::Number(0.3), None);
        assert!(num.grade(&Answer::Number(0.1 + 0.2)));
        assert!(num.grade(&Answer::Text("0.3".into())));
        assert!(!num.grade(&Answer::Number(0.31)));
        let text = q(AnswerType::Text, Answer::Text("Chlorophyll".into()), None);
        assert!(text.grade(&Answer::Text("  chlorophyll ".into())));
        assert!(!text.grade(&Answer::Text("chloroplast".into())));
    }

    #[test]
    fn validation_catches_bad_keys_and_duplicates() {
        let mut bad = q(
            AnswerType::MultipleChoice,
            Answer::Text("7".into()),
            Some(vec!["4", "5"]),
        );
        let content = ActivityContent {
            questions: vec![bad.clone(), bad.clone()],
        };
        let fields: Vec<_> = content.validate().into_iter().map(|e| e.field).collect();
        assert!(fields.contains(&"questions[0].correct_answer".to_string()));
        assert!(fields.contains(&"questions[1].id".to_string()));
        bad.answer_type = AnswerType::Number;
        let content = ActivityContent {
            questions: vec![bad],
        };
        assert!(!content.validate().is_empty());
        assert!(!ActivityContent { questions: vec![] }.validate().is_empty());
    }
}

#[cfg(test)]
mod props;
