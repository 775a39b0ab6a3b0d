//! A dead letter's payload both ways: written from the refused item (answers encrypted) when
//! it is parked, and read back into a one-item batch when an administrator retries it once
//! its cause is fixed. Both sides are here so they cannot drift apart.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;
use serde_json::json;
use studyhub_actors::ids::{LearnerId, Seq, SessionId};
use studyhub_actors::store::{
    AnswerRecord, Batch, NewSession, Notification, NotificationKind, ScreenTimeSpan, SessionEnd,
    SessionStatus, UnlockRequest,
};

use crate::infra::crypto::Cipher;

/// The payload of a one-item batch, as JSON text (serde_json escapes control characters, so
/// it is always storable).
pub(super) fn payload(cipher: &Cipher, b: &Batch) -> String {
    let v = if let Some(a) = b.answers.first() {
        json!({"session_id": a.session_id, "learner_id": a.learner_id, "seq": a.seq,
               "question_id": a.question_id, "correct": a.correct,
               "first_attempt": a.first_attempt,
               "answer_encrypted": hex::encode(cipher.encrypt(a.answer_json.as_bytes())),
               "answered_at": a.answered_at, "category": a.category, "local_date": a.local_date})
    } else if let Some(s) = b.starts.first() {
        json!({"session_id": s.session_id, "learner_id": s.learner_id,
               "activity_id": s.activity_id, "questions_total": s.questions_total,
               "started_at": s.started_at})
    } else if let Some(e) = b.ends.first() {
        json!({"session_id": e.session_id, "learner_id": e.learner_id, "status": e.status.as_str(),
               "questions_answered": e.questions_answered,
               "questions_correct": e.questions_correct, "accuracy": e.accuracy,
               "stars": e.stars, "duration_seconds": e.duration_seconds, "ended_at": e.ended_at,
               "activity_id": e.activity_id, "category": e.category, "local_date": e.local_date,
               "notice": e.notice.as_ref().map(note_json)})
    } else if let Some(s) = b.spans.first() {
        json!({"id": s.id, "learner_id": s.learner_id, "date": s.date, "seconds": s.seconds,
               "started_at": s.started_at, "ended_at": s.ended_at})
    } else if let Some(n) = b.notifications.first() {
        note_json(n)
    } else if let Some(u) = b.unlocks.first() {
        json!({"learner_id": u.learner_id, "achievement_ids": u.achievement_ids, "at": u.at})
    } else {
        json!({})
    };
    v.to_string()
}

fn note_json(n: &Notification) -> serde_json::Value {
    json!({"id": n.id, "parent_id": n.parent_id, "child_id": n.child_id,
           "kind": n.kind.as_str(), "title": n.title, "body": n.body, "data": n.data,
           "created_at": n.created_at})
}

#[derive(Deserialize)]
struct Answer {
    session_id: SessionId,
    learner_id: LearnerId,
    seq: Seq,
    question_id: String,
    correct: bool,
    first_attempt: bool,
    answer_encrypted: String,
    answered_at: DateTime<Utc>,
    category: String,
    local_date: NaiveDate,
}

#[derive(Deserialize)]
struct Start {
    session_id: SessionId,
    learner_id: LearnerId,
    activity_id: String,
    questions_total: u32,
    started_at: DateTime<Utc>,
}

#[derive(Deserialize)]
struct End {
    session_id: SessionId,
    learner_id: LearnerId,
    status: String,
    questions_answered: u32,
    questions_correct: u32,
    accuracy: f64,
    stars: u8,
    duration_seconds: u64,
    ended_at: DateTime<Utc>,
    activity_id: String,
    category: String,
    local_date: NaiveDate,
    /// Parked before ends carried their notice: none.
    #[serde(default)]
    notice: Option<Note>,
}

#[derive(Deserialize)]
struct Span {
    id: String,
    learner_id: LearnerId,
    date: NaiveDate,
    seconds: u64,
    started_at: DateTime<Utc>,
    ended_at: Option<DateTime<Utc>>,
}

#[derive(Deserialize)]
struct Note {
    id: String,
    parent_id: String,
    child_id: LearnerId,
    kind: String,
    title: String,
    body: String,
    data: serde_json::Value,
    created_at: DateTime<Utc>,
}

#[derive(Deserialize)]
struct Unlock {
    learner_id: LearnerId,
    achievement_ids: Vec<String>,
    at: DateTime<Utc>,
}

fn notification(n: Note) -> Result<Notification, String> {
    Ok(Notification {
        kind: notification_kind(&n.kind)
            .ok_or_else(|| format!("unknown notification kind {:?}", n.kind))?,
        id: n.id,
        parent_id: n.parent_id,
        child_id: n.child_id,
        title: n.title,
        body: n.body,
        data: n.data,
        created_at: n.created_at,
    })
}

fn notification_kind(s: &str) -> Option<NotificationKind> {
    use NotificationKind as K;
    [
        K::AchievementUnlocked,
        K::ActivityCompleted,
        K::TimeWarning,
        K::TimeLimitReached,
        K::TimeRequest,
        K::AssessmentRecorded,
    ]
    .into_iter()
    .find(|k| k.as_str() == s)
}

/// The one-item batch a dead letter of `kind` holds, or why it cannot be rebuilt (a letter
/// parked before payloads held every field, or one that was altered).
pub fn batch_of(cipher: &Cipher, kind: &str, payload: &str) -> Result<Batch, String> {
    fn parse<'a, T: Deserialize<'a>>(payload: &'a str) -> Result<T, String> {
        serde_json::from_str(payload).map_err(|e| {
            format!("its payload does not hold everything the item needs to be written ({e})")
        })
    }
    let mut b = Batch::default();
    match kind {
        "answer" => {
            let a: Answer = parse(payload)?;
            let sealed = hex::decode(&a.answer_encrypted)
                .map_err(|_| "its encrypted answer is not hex".to_string())?;
            let plain = cipher.decrypt(&sealed).map_err(|_| {
                "its answer cannot be decrypted with the keys configured".to_string()
            })?;
            b.answers.push(AnswerRecord {
                session_id: a.session_id,
                learner_id: a.learner_id,
                seq: a.seq,
                question_id: a.question_id,
                answer_json: String::from_utf8(plain)
                    .map_err(|_| "its answer is not text".to_string())?,
                correct: a.correct,
                first_attempt: a.first_attempt,
                answered_at: a.answered_at,
                category: a.category,
                local_date: a.local_date,
            });
        }
        "start" => {
            let s: Start = parse(payload)?;
            b.starts.push(NewSession {
                session_id: s.session_id,
                learner_id: s.learner_id,
                activity_id: s.activity_id,
                questions_total: s.questions_total,
                started_at: s.started_at,
            });
        }
        "end" => {
            let e: End = parse(payload)?;
            b.ends.push(SessionEnd {
                session_id: e.session_id,
                learner_id: e.learner_id,
                status: SessionStatus::parse(&e.status),
                questions_answered: e.questions_answered,
                questions_correct: e.questions_correct,
                accuracy: e.accuracy,
                stars: e.stars,
                duration_seconds: e.duration_seconds,
                ended_at: e.ended_at,
                activity_id: e.activity_id,
                category: e.category,
                local_date: e.local_date,
                notice: e.notice.map(notification).transpose()?,
            });
        }
        "screen_time" => {
            let s: Span = parse(payload)?;
            b.spans.push(ScreenTimeSpan {
                id: s.id,
                learner_id: s.learner_id,
                date: s.date,
                started_at: s.started_at,
                ended_at: s.ended_at,
                seconds: s.seconds,
            });
        }
        "notification" => {
            let n: Note = parse(payload)?;
            b.notifications.push(notification(n)?);
        }
        "unlock" => {
            let u: Unlock = parse(payload)?;
            b.unlocks.push(UnlockRequest {
                learner_id: u.learner_id,
                achievement_ids: u.achievement_ids,
                at: u.at,
                // A retried unlock tells no one: its learner's moment has passed.
                notices: Vec::new(),
            });
        }
        other => return Err(format!("a {other:?} dead letter cannot be retried")),
    }
    Ok(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one_of_each() -> Vec<(&'static str, Batch)> {
        let at = Utc::now();
        let day = at.date_naive();
        let kid: LearnerId = "kid-1".into();
        let session: SessionId = "session-1".into();
        let mut out = Vec::new();
        let mut b = Batch::default();
        b.answers.push(AnswerRecord {
            session_id: session.clone(),
            learner_id: kid.clone(),
            seq: Seq::from(3),
            question_id: "q\u{0}3".into(),
            answer_json: "[\"7\", 8]".into(),
            correct: false,
            first_attempt: false,
            answered_at: at,
            category: "math".into(),
            local_date: day,
        });
        out.push(("answer", b));
        let mut b = Batch::default();
        b.starts.push(NewSession {
            session_id: session.clone(),
            learner_id: kid.clone(),
            activity_id: "math-addition-1".into(),
            questions_total: 7,
            started_at: at,
        });
        out.push(("start", b));
        let mut b = Batch::default();
        b.ends.push(SessionEnd {
            session_id: session.clone(),
            learner_id: kid.clone(),
            status: SessionStatus::Completed,
            questions_answered: 5,
            questions_correct: 4,
            accuracy: 80.0,
            stars: 2,
            duration_seconds: 95,
            ended_at: at,
            activity_id: "math-addition-1".into(),
            category: "math".into(),
            local_date: day,
            notice: Some(Notification {
                id: "note-0".into(),
                parent_id: "parent-1".into(),
                child_id: kid.clone(),
                kind: NotificationKind::ActivityCompleted,
                title: "Ada completed “Addition”".into(),
                body: "4 of 5 right, 2 stars".into(),
                data: json!({"session_id": session, "stars": 2}),
                created_at: at,
            }),
        });
        out.push(("end", b));
        let mut b = Batch::default();
        b.spans.push(ScreenTimeSpan {
            id: "span-1".into(),
            learner_id: kid.clone(),
            date: day,
            started_at: at,
            ended_at: None,
            seconds: 61,
        });
        out.push(("screen_time", b));
        let mut b = Batch::default();
        b.notifications.push(Notification {
            id: "note-1".into(),
            parent_id: "parent-1".into(),
            child_id: kid.clone(),
            kind: NotificationKind::TimeRequest,
            title: "More time?".into(),
            body: "Ada asks for 10 minutes".into(),
            data: json!({"request_id": "r-1", "seconds": 600}),
            created_at: at,
        });
        out.push(("notification", b));
        let mut b = Batch::default();
        b.unlocks.push(UnlockRequest {
            learner_id: kid,
            achievement_ids: vec!["first-steps".into()],
            at,
            notices: Vec::new(),
        });
        out.push(("unlock", b));
        out
    }

    /// What is parked is what a retry writes: every kind of item comes back whole.
    #[test]
    fn every_kind_of_item_comes_back_whole_from_its_payload() {
        let cipher = Cipher::new(&[7u8; 32]);
        for (kind, batch) in one_of_each() {
            let parked = payload(&cipher, &batch);
            assert!(
                !parked.contains("[\\\"7\\\", 8]"),
                "{kind}: the answer is encrypted"
            );
            let back = batch_of(&cipher, kind, &parked).unwrap_or_else(|e| panic!("{kind}: {e}"));
            assert_eq!(format!("{back:?}"), format!("{batch:?}"), "{kind}");
        }
    }

    #[test]
    fn a_payload_missing_a_field_or_another_key_is_refused_with_a_reason() {
        let cipher = Cipher::new(&[7u8; 32]);
        let (_, batch) = one_of_each().remove(0);
        let parked = payload(&cipher, &batch);
        let other = Cipher::new(&[8u8; 32]);
        let err = batch_of(&other, "answer", &parked).unwrap_err();
        assert!(err.contains("cannot be decrypted"), "{err}");
        let old = r#"{"session_id": "s", "learner_id": "k", "seq": 1}"#;
        let err = batch_of(&cipher, "answer", old).unwrap_err();
        assert!(err.contains("does not hold everything"), "{err}");
        let err = batch_of(&cipher, "mystery", "{}").unwrap_err();
        assert!(err.contains("cannot be retried"), "{err}");
    }
}
