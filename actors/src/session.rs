//! One activity session in play: seq bookkeeping, grading, first-answer accuracy, progress.
//! Pure logic, no I/O: the learner actor drives it.

use crate::ids::{Seq, SessionId};
use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::content::Answer;
use crate::protocol::{AnswerSummary, Completion, ErrorCode, Feedback, Progress};
use crate::store::{Activity, SessionSnapshot};

#[derive(Debug, Clone, Copy)]
struct Outcome {
    /// The question's index in the activity; `None` for a question gone: one the activity no
    /// longer has, or a hole where the database refused the answer (a dead letter).
    question: Option<u16>,
    correct: bool,
    /// Progress right after this answer, so a duplicate gets its original feedback.
    progress: Progress,
}

#[derive(Debug)]
pub struct LiveSession {
    pub id: SessionId,
    pub activity: Arc<Activity>,
    pub started_at: DateTime<Utc>,
    outcomes: Vec<Outcome>,
    /// Question index → was the first answer correct.
    first: HashMap<u16, bool>,
    pub last_saved_seq: Seq,
}

#[derive(Debug, PartialEq)]
pub enum AnswerResult {
    /// A new answer: its feedback, whether it is the question's first answer, and whether
    /// every question now has an answer.
    New {
        feedback: Feedback,
        first_attempt: bool,
        complete: bool,
    },
    /// A seq seen before: its original feedback, marked duplicate, counted once.
    Duplicate(Feedback),
    Rejected(ErrorCode, String),
}

/// Stars for a completed session: 1 for completing, 2 at ≥ 70 %, 3 at ≥ 90 %.
pub fn stars(accuracy: f64) -> u8 {
    if accuracy >= 90.0 {
        3
    } else if accuracy >= 70.0 {
        2
    } else {
        1
    }
}

impl LiveSession {
    pub fn new(id: SessionId, activity: Arc<Activity>, started_at: DateTime<Utc>) -> Self {
        Self {
            id,
            activity,
            started_at,
            outcomes: Vec::new(),
            first: HashMap::new(),
            last_saved_seq: Seq::NONE,
        }
    }

    /// Rebuilds a session from what the database saved (resume after a restart). Answers
    /// to questions the activity no longer has are kept as wrong, so seqs stay aligned.
    pub fn from_snapshot(snapshot: &SessionSnapshot, activity: Arc<Activity>) -> Self {
        let mut s = Self::new(snapshot.session_id.clone(), activity, snapshot.started_at);
        for saved in &snapshot.answers {
            // A seq the database refused (a dead letter) leaves a hole: it stays used, and
            // counts for nothing, so the seqs after it keep their places.
            while s.next_seq().is_some_and(|next| next < saved.seq) {
                s.record(None, false);
            }
            let question = s.question_index(&saved.question_id);
            s.record(question, saved.correct);
        }
        s.last_saved_seq = s.last_seq();
        s
    }

    fn question_index(&self, question_id: &str) -> Option<u16> {
        self.activity
            .content
            .questions
            .iter()
            .position(|q| q.id == question_id)
            .map(|i| i as u16)
    }

    fn record(&mut self, question: Option<u16>, correct: bool) -> bool {
        let first_attempt = question.is_none_or(|q| !self.first.contains_key(&q));
        if let Some(q) = question.filter(|_| first_attempt) {
            self.first.insert(q, correct);
        }
        let progress = self.progress();
        self.outcomes.push(Outcome {
            question,
            correct,
            progress,
        });
        first_attempt
    }

    /// Takes the next seq for an answer to a question the activity no longer has (an offline
    /// answer to a question its author removed since): kept, wrong, counting for nothing.
    /// Returns whether it is a first attempt (always: it answers no question).
    pub fn answer_gone(&mut self) -> bool {
        self.record(None, false)
    }

    pub fn total(&self) -> u32 {
        self.activity.content.questions.len() as u32
    }

    pub fn progress(&self) -> Progress {
        Progress {
            answered: self.first.len() as u32,
            correct: self.first.values().filter(|c| **c).count() as u32,
            total: self.total(),
        }
    }

    /// The highest seq taken so far ([`Seq::NONE`] before the first answer).
    pub fn last_seq(&self) -> Seq {
        // One outcome per seq, each pushed for a seq no higher than `Seq::MAX`.
        Seq::from_count(self.outcomes.len()).expect("a session holds at most Seq::MAX answers")
    }

    /// The seq a new answer takes; `None` once [`Seq::MAX`] is taken.
    pub fn next_seq(&self) -> Option<Seq> {
        self.last_seq().next()
    }

    /// Why a seq that is neither taken nor the next one is refused (`bad_seq`).
    pub fn gap_message(&self) -> String {
        format!("expected seq {}", i64::from(self.last_seq()) + 1)
    }

    pub fn is_complete(&self) -> bool {
        self.first.len() as u32 >= self.total()
    }

    fn feedback(&self, seq: Seq, question: u16, o: &Outcome, duplicate: bool) -> Feedback {
        let q = &self.activity.content.questions[usize::from(question)];
        Feedback {
            session_id: self.id.clone(),
            seq,
            question_id: q.id.clone(),
            correct: o.correct,
            correct_answer: q.correct_answer.clone(),
            explanation: q.explanation.clone(),
            progress: o.progress,
            duplicate,
        }
    }

    pub fn answer(&mut self, seq: Seq, question_id: &str, given: &Answer) -> AnswerResult {
        if let Some(o) = seq.index().and_then(|i| self.outcomes.get(i)).copied() {
            let Some(question) = o.question else {
                return AnswerResult::Rejected(
                    ErrorCode::BadSeq,
                    "that seq was used for a question this activity no longer has".into(),
                );
            };
            return AnswerResult::Duplicate(self.feedback(seq, question, &o, true));
        }
        if Some(seq) != self.next_seq() {
            return AnswerResult::Rejected(ErrorCode::BadSeq, self.gap_message());
        }
        let Some(idx) = self.question_index(question_id) else {
            return AnswerResult::Rejected(
                ErrorCode::UnknownQuestion,
                format!("no question {question_id:?} in this activity"),
            );
        };
        let correct = self.activity.content.questions[usize::from(idx)].grade(given);
        let first_attempt = self.record(Some(idx), correct);
        let o = *self.outcomes.last().expect("just recorded");
        AnswerResult::New {
            feedback: self.feedback(seq, idx, &o, false),
            first_attempt,
            complete: self.is_complete(),
        }
    }

    pub fn summary(&self) -> Vec<AnswerSummary> {
        let questions = &self.activity.content.questions;
        std::iter::successors(Some(Seq::FIRST), |s| s.next())
            .zip(&self.outcomes)
            .map(|(seq, o)| AnswerSummary {
                seq,
                question_id: o
                    .question
                    .and_then(|q| questions.get(usize::from(q)))
                    .map_or_else(String::new, |q| q.id.clone()),
                correct: o.correct,
            })
            .collect()
    }

    /// The result if the session ended now. Accuracy counts each question's first answer,
    /// over all the activity's questions (finishing early does not raise it).
    pub fn completion(&self, now: DateTime<Utc>) -> Completion {
        let p = self.progress();
        let accuracy = if p.total == 0 {
            0.0
        } else {
            p.correct as f64 * 100.0 / p.total as f64
        };
        Completion {
            session_id: self.id.clone(),
            activity_id: self.activity.id.clone(),
            questions_total: p.total,
            questions_correct: p.correct,
            accuracy,
            stars: stars(accuracy),
            duration_seconds: (now - self.started_at).num_seconds().max(0) as u64,
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::content::{ActivityContent, AnswerType, Question};

    pub fn activity() -> Arc<Activity> {
        let q = |id: &str, key: f64| Question {
            id: id.into(),
            prompt: format!("{id}?"),
            answer_type: AnswerType::Number,
            options: None,
            correct_answer: Answer::Number(key),
            explanation: format!("because {key}"),
            tolerance: None,
            media: Default::default(),
        };
        Arc::new(Activity {
            id: "math-test".into(),
            title: "Test".into(),
            description: "d".into(),
            category: "math".into(),
            sub_category: None,
            difficulty: 1,
            age_min: 5,
            age_max: 9,
            archived: false,
            author_id: None,
            visibility: crate::visibility::Visibility::Public,
            content: ActivityContent {
                questions: vec![q("q1", 1.0), q("q2", 2.0), q("q3", 3.0)],
                ..Default::default()
            },
        })
    }

    #[test]
    fn seqs_duplicates_gaps_and_first_answer_accuracy() {
        let mut s = LiveSession::new("s1".into(), activity(), Utc::now());
        let AnswerResult::New {
            feedback,
            first_attempt,
            complete,
        } = s.answer(Seq::from(1), "q1", &Answer::Number(9.0))
        else {
            panic!()
        };
        assert!(!feedback.correct && first_attempt && !complete);
        assert_eq!(feedback.correct_answer, Answer::Number(1.0));
        // Same question again: correct now, but accuracy keeps the first answer.
        let AnswerResult::New {
            feedback,
            first_attempt,
            ..
        } = s.answer(Seq::from(2), "q1", &Answer::Number(1.0))
        else {
            panic!()
        };
        assert!(feedback.correct && !first_attempt);
        assert_eq!(
            feedback.progress,
            Progress {
                answered: 1,
                correct: 0,
                total: 3
            }
        );
        // Duplicate of seq 1: original feedback, marked.
        let AnswerResult::Duplicate(dup) = s.answer(Seq::from(1), "q2", &Answer::Number(2.0))
        else {
            panic!()
        };
        assert!(dup.duplicate && !dup.correct && dup.question_id == "q1");
        assert_eq!(
            dup.progress,
            Progress {
                answered: 1,
                correct: 0,
                total: 3
            }
        );
        // A gap, and no seq at all.
        assert!(matches!(
            s.answer(Seq::from(5), "q2", &Answer::Number(2.0)),
            AnswerResult::Rejected(ErrorCode::BadSeq, _)
        ));
        assert!(matches!(
            s.answer(Seq::NONE, "q2", &Answer::Number(2.0)),
            AnswerResult::Rejected(ErrorCode::BadSeq, _)
        ));
        assert!(matches!(
            s.answer(Seq::from(3), "nope", &Answer::Number(2.0)),
            AnswerResult::Rejected(ErrorCode::UnknownQuestion, _)
        ));
        // An unknown question does not use up the seq.
        assert!(matches!(
            s.answer(Seq::from(3), "q2", &Answer::Number(2.0)),
            AnswerResult::New {
                complete: false,
                ..
            }
        ));
        let AnswerResult::New { complete, .. } =
            s.answer(Seq::from(4), "q3", &Answer::Text("3".into()))
        else {
            panic!()
        };
        assert!(complete);
        let c = s.completion(s.started_at);
        assert_eq!((c.questions_total, c.questions_correct), (3, 2));
        assert!((c.accuracy - 66.666).abs() < 0.01);
        assert_eq!(c.stars, 1);
    }

    #[test]
    fn rebuilds_from_a_snapshot() {
        let mut live = LiveSession::new("s1".into(), activity(), Utc::now());
        live.answer(Seq::from(1), "q1", &Answer::Number(1.0));
        live.answer(Seq::from(2), "q2", &Answer::Number(0.0));
        let snapshot = SessionSnapshot {
            session_id: "s1".into(),
            learner_id: "l".into(),
            activity_id: "math-test".into(),
            status: crate::store::SessionStatus::Open,
            started_at: live.started_at,
            ended_at: None,
            questions_total: 3,
            questions_correct: 0,
            accuracy: None,
            stars: None,
            duration_seconds: None,
            answers: live
                .summary()
                .into_iter()
                .map(|a| crate::store::SavedAnswer {
                    seq: a.seq,
                    question_id: a.question_id,
                    correct: a.correct,
                })
                .collect(),
        };
        let rebuilt = LiveSession::from_snapshot(&snapshot, activity());
        assert_eq!(rebuilt.progress(), live.progress());
        assert_eq!(rebuilt.last_saved_seq, Seq::from(2));
        assert_eq!(rebuilt.summary(), live.summary());
    }

    #[test]
    fn a_question_gone_keeps_its_seq_and_counts_for_nothing() {
        let saved = |seq: u16, question_id: &str| crate::store::SavedAnswer {
            seq: Seq::from(seq),
            question_id: question_id.into(),
            correct: true,
        };
        // Seq 2 was refused by the database (a hole); seq 3 answered a question since removed.
        let snapshot = SessionSnapshot {
            session_id: "s1".into(),
            learner_id: "l".into(),
            activity_id: "math-test".into(),
            status: crate::store::SessionStatus::Open,
            started_at: Utc::now(),
            ended_at: None,
            questions_total: 3,
            questions_correct: 0,
            accuracy: None,
            stars: None,
            duration_seconds: None,
            answers: vec![saved(1, "q1"), saved(3, "gone")],
        };
        let mut s = LiveSession::from_snapshot(&snapshot, activity());
        assert_eq!(
            (s.last_seq(), s.last_saved_seq),
            (Seq::from(3), Seq::from(3))
        );
        assert_eq!(s.progress().answered, 1);
        let questions: Vec<_> = s.summary().into_iter().map(|a| a.question_id).collect();
        assert_eq!(questions, ["q1", "", ""]);
        for seq in [2, 3] {
            assert!(matches!(
                s.answer(Seq::from(seq), "q2", &Answer::Number(2.0)),
                AnswerResult::Rejected(ErrorCode::BadSeq, m) if m.contains("no longer has")
            ));
        }
        assert!(matches!(
            s.answer(Seq::from(5), "q2", &Answer::Number(2.0)),
            AnswerResult::Rejected(ErrorCode::BadSeq, m) if m == "expected seq 4"
        ));
        assert!(matches!(
            s.answer(Seq::from(4), "q2", &Answer::Number(2.0)),
            AnswerResult::New { feedback, first_attempt: true, .. } if feedback.seq == Seq::from(4)
        ));
    }

    #[test]
    fn star_thresholds() {
        assert_eq!(stars(69.9), 1);
        assert_eq!(stars(70.0), 2);
        assert_eq!(stars(89.99), 2);
        assert_eq!(stars(90.0), 3);
        assert_eq!(stars(100.0), 3);
    }
}
