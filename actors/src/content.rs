//! Activity content: questions with their answer key, the public view that leaves the
//! server before an answer, validation for authored content, and grading.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

pub const MAX_QUESTIONS: usize = 50;
pub const MAX_TEXT: usize = 2_000;
pub const MAX_OPTIONS: usize = 10;
/// Notes one `audio` may play.
pub const MAX_NOTES: usize = 32;
/// Pictures one `visual` may count.
pub const MAX_COUNT: u8 = 20;
/// The pictures a `visual` may count: the pages ship one drawing of each.
pub const ICONS: &[&str] = &[
    "apple", "ball", "balloon", "bird", "car", "cat", "cookie", "dog", "duck", "fish", "flower",
    "heart", "leaf", "star", "sun", "tree",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum AnswerType {
    MultipleChoice,
    /// Several options are right: the answer is the set of them.
    MultiSelect,
    TrueFalse,
    Number,
    Text,
}

/// An answer as given or as keyed: the JSON type follows the question's `answer_type`
/// (a string for choices and text, a boolean for true/false, a number for numbers, a list of
/// strings for `multi_select`).
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    Bool(bool),
    Number(f64),
    Text(String),
    Choices(Vec<String>),
}

/// By the JSON type, in one pass: an untagged derive would try each variant in turn and
/// format an error for each miss, on every answer.
impl<'de> Deserialize<'de> for Answer {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = Answer;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a string, a number, a boolean or a list of strings")
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<Answer, A::Error> {
                let mut choices = Vec::new();
                while let Some(c) = seq.next_element::<String>()? {
                    if choices.len() == MAX_OPTIONS {
                        return Err(serde::de::Error::custom("at most 10 choices"));
                    }
                    choices.push(c);
                }
                Ok(Answer::Choices(choices))
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
            Answer::Choices(c) => c.serialize(s),
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
            .item(
                utoipa::openapi::schema::ArrayBuilder::new()
                    .items(ObjectBuilder::new().schema_type(Type::String))
                    .max_items(Some(MAX_OPTIONS)),
            )
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
    /// Boxed: most questions have none, and frames carrying a question stay small.
    #[serde(flatten)]
    pub media: Box<Media>,
}

/// What a question shows and plays besides its prompt; public (it leaves the server with the
/// question), drawn and played by the page.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Media {
    /// A picture from the content store, with its text for screen readers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_alt: Option<String>,
    /// A recording of the prompt; without one the page may read the prompt aloud.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub narration_url: Option<String>,
    /// ABC notation, drawn as a stave.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notation: Option<String>,
    /// What the stave shows, in words, for screen readers (required with `notation`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notation_alt: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audio: Option<Audio>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub visual: Option<Visual>,
    /// Maths the page draws with MathML: numbers, letters, `+ - × ÷ = ? ( ) .`, `a/b` a
    /// fraction, `a^b` a power (`3/4 + 1/8 = ?`, `2^3 = ?`). Plain text, never markup.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub formula: Option<String>,
}

/// What a `formula` may hold.
pub fn valid_formula(f: &str) -> bool {
    !f.trim().is_empty()
        && f.chars().count() <= 200
        && f.chars()
            .all(|c| c.is_ascii_alphanumeric() || " +-−×÷*=?()./^,:<>".contains(c))
}

/// Something to hear: notes the page synthesizes, or a recording in the content store.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(untagged)]
pub enum Audio {
    Notes(Notes),
    File { url: String },
}

/// Notes in scientific pitch (`C4`, `F#3`, `Bb2`; `r` a rest), played one after another or
/// together.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Notes {
    pub notes: Vec<String>,
    /// Each note's length in beats (default 1 each).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub durations: Option<Vec<f64>>,
    pub play: PlayStyle,
    pub tempo_bpm: u32,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum PlayStyle {
    Melodic,
    Harmonic,
}

/// Pictures to count.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Visual {
    Count { icon: String, count: u8 },
}

/// The MIDI number of a note in scientific pitch (`C4` = 60), A0 (21) to C8 (108); `None`
/// for anything else. A rest (`r`) is not a note.
pub fn midi_of(note: &str) -> Option<u8> {
    let mut chars = note.chars();
    let letter = chars.next()?;
    let base: i32 = match letter {
        'C' => 0,
        'D' => 2,
        'E' => 4,
        'F' => 5,
        'G' => 7,
        'A' => 9,
        'B' => 11,
        _ => return None,
    };
    let rest: String = chars.collect();
    let (shift, octave) = match rest.as_bytes().first()? {
        b'#' => (1, &rest[1..]),
        b'b' => (-1, &rest[1..]),
        _ => (0, rest.as_str()),
    };
    if octave.len() != 1 {
        return None;
    }
    let octave: i32 = octave.parse().ok()?;
    let midi = (octave + 1) * 12 + base + shift;
    (21..=108).contains(&midi).then_some(midi as u8)
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
    /// Boxed: most questions have none, and frames carrying a question stay small.
    #[serde(flatten)]
    pub media: Box<Media>,
}

/// The `content` column of an activity.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct ActivityContent {
    pub questions: Vec<Question>,
    /// Shown before the first question.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub introduction: Option<String>,
    /// May leave the server with its keys in a learner's offline pack.
    #[serde(default)]
    pub offline: bool,
    /// No second try after a wrong answer on the play page (a quiz that should count as
    /// first given); by default a child gets one where the question allows it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub one_try: bool,
}

impl Question {
    pub fn public(&self) -> PublicQuestion {
        PublicQuestion {
            id: self.id.clone(),
            prompt: self.prompt.clone(),
            answer_type: self.answer_type,
            options: self.options.clone(),
            media: self.media.clone(),
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
                    Answer::Bool(_) | Answer::Choices(_) => return false,
                };
                let tol = self.tolerance.unwrap_or(1e-9 * k.abs().max(1.0));
                g.is_finite() && (g - k).abs() <= tol
            }
            (AnswerType::MultipleChoice, Answer::Text(k), Answer::Text(g)) => k.trim() == g.trim(),
            (AnswerType::MultiSelect, Answer::Choices(k), Answer::Choices(g)) => {
                let set = |c: &[String]| {
                    c.iter()
                        .map(|s| s.trim().to_string())
                        .collect::<HashSet<_>>()
                };
                set(k) == set(g)
            }
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

/// A link to a recording or a picture: one of ours (`/v1/content/…`) or https.
fn valid_url(url: &str) -> bool {
    url.len() <= 500
        && !url.chars().any(char::is_whitespace)
        && (url.starts_with("/v1/content/") || url.starts_with("https://"))
}

/// What is wrong with a question's media, field by field.
fn media_errors(m: &Media, at: &dyn Fn(&str) -> String, err: &mut dyn FnMut(String, &str)) {
    const URL: &str = "a link to /v1/content/… or https://…, at most 500 characters";
    let alt_ok = |a: &Option<String>| {
        a.as_ref()
            .is_some_and(|a| !a.trim().is_empty() && a.len() <= 500)
    };
    if let Some(url) = &m.image_url {
        if !valid_url(url) {
            err(at("image_url"), URL);
        }
        if !alt_ok(&m.image_alt) {
            err(
                at("image_alt"),
                "a picture needs a text for screen readers (1 to 500 characters)",
            );
        }
    } else if m.image_alt.is_some() {
        err(at("image_alt"), "only with image_url");
    }
    if m.narration_url.as_ref().is_some_and(|u| !valid_url(u)) {
        err(at("narration_url"), URL);
    }
    match &m.notation {
        Some(abc) if abc.len() > MAX_TEXT => err(at("notation"), "at most 2000 characters"),
        Some(abc) => {
            if let Err(e) = abc::parse(abc) {
                err(
                    at("notation"),
                    &format!("not ABC notation a stave can show: {e}"),
                );
            }
            if !alt_ok(&m.notation_alt) {
                err(
                    at("notation_alt"),
                    "a stave needs a text for screen readers (1 to 500 characters)",
                );
            }
        }
        None if m.notation_alt.is_some() => err(at("notation_alt"), "only with notation"),
        None => {}
    }
    match &m.audio {
        Some(Audio::File { url }) if !valid_url(url) => err(at("audio.url"), URL),
        Some(Audio::Notes(n)) => {
            if n.notes.is_empty() || n.notes.len() > MAX_NOTES {
                err(at("audio.notes"), "1 to 32 notes");
            } else if let Some(bad) = n.notes.iter().find(|s| *s != "r" && midi_of(s).is_none()) {
                err(
                    at("audio.notes"),
                    &format!(
                        "{bad:?} is not a note from A0 to C8 in scientific pitch (C4, F#3, Bb2) or r"
                    ),
                );
            } else if n.play == PlayStyle::Harmonic && n.notes.iter().any(|s| s == "r") {
                err(at("audio.notes"), "a chord has no rests");
            }
            if let Some(d) = &n.durations
                && (d.len() != n.notes.len()
                    || d.iter().any(|b| !(b.is_finite() && *b > 0.0 && *b <= 16.0)))
            {
                err(
                    at("audio.durations"),
                    "one length per note, each above 0 and at most 16 beats",
                );
            }
            if !(40..=208).contains(&n.tempo_bpm) {
                err(at("audio.tempo_bpm"), "between 40 and 208");
            }
        }
        _ => {}
    }
    if m.formula.as_ref().is_some_and(|f| !valid_formula(f)) {
        err(
            at("formula"),
            "1 to 200 characters: numbers, letters, spaces and + - × ÷ * = ? ( ) . / ^ , : < >",
        );
    }
    if let Some(Visual::Count { icon, count }) = &m.visual {
        if !ICONS.contains(&icon.as_str()) {
            err(at("visual.icon"), &format!("one of {}", ICONS.join(", ")));
        }
        if !(1..=MAX_COUNT).contains(count) {
            err(at("visual.count"), "between 1 and 20");
        }
    }
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
        if self
            .introduction
            .as_ref()
            .is_some_and(|i| i.trim().is_empty() || i.len() > MAX_TEXT)
        {
            err("introduction".into(), "between 1 and 2000 characters");
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
            media_errors(&q.media, &at, &mut err);
            match (q.answer_type, &q.correct_answer) {
                (AnswerType::MultiSelect, Answer::Choices(k)) => match &q.options {
                    Some(opts) if (2..=MAX_OPTIONS).contains(&opts.len()) => {
                        let opts: HashSet<&str> = opts.iter().map(|o| o.trim()).collect();
                        let keys: HashSet<&str> = k.iter().map(|o| o.trim()).collect();
                        if k.is_empty() || keys.len() != k.len() {
                            err(at("correct_answer"), "one or more distinct options");
                        } else if !keys.is_subset(&opts) {
                            err(
                                at("correct_answer"),
                                "every answer must be one of the options",
                            );
                        }
                    }
                    _ => err(at("options"), "multi_select needs 2 to 10 options"),
                },
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
                        AnswerType::MultiSelect => "must be a list of options",
                        AnswerType::TrueFalse => "must be true or false",
                        AnswerType::Number => "must be a number",
                        AnswerType::Text => "must be a non-empty string",
                    },
                ),
            }
            let has_options = matches!(
                q.answer_type,
                AnswerType::MultipleChoice | AnswerType::MultiSelect
            );
            if !has_options && q.options.is_some() {
                err(
                    at("options"),
                    "only multiple_choice and multi_select questions have options",
                );
            }
            if q.tolerance.is_some_and(|t| !(t.is_finite() && t >= 0.0)) {
                err(at("tolerance"), "must be a non-negative number");
            }
        }
        errors
    }
}

pub mod abc;
#[cfg(test)]
mod props;
#[cfg(test)]
mod tests;
