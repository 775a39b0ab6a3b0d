//! The group commit against a real database: an item the database refuses for good (text it
//! cannot hold, a number past a column's range, a parent row gone) is parked as a dead letter
//! and reported refused, and everything else in the same batch is committed.

use chrono::Utc;
use diesel::prelude::*;
use studyhub::infra::db::{self, Backend, schema};
use studyhub_actors::ids::Seq;
use studyhub_actors::store::{AnswerRecord, Batch, ItemKey, NewSession, SessionEnd, SessionStatus};

use actix_web::http::StatusCode;

use crate::common::spawn_app;

fn answer(session_id: &str, learner_id: &str, seq: u16, question_id: &str) -> AnswerRecord {
    AnswerRecord {
        session_id: session_id.into(),
        learner_id: learner_id.into(),
        seq: Seq::from(seq),
        question_id: question_id.into(),
        answer_json: "7".into(),
        correct: true,
        first_attempt: true,
        answered_at: Utc::now(),
        category: "math".into(),
        local_date: Utc::now().date_naive(),
    }
}

pub(crate) fn start(session_id: &str, learner_id: &str) -> NewSession {
    NewSession {
        session_id: session_id.into(),
        learner_id: learner_id.into(),
        activity_id: "math-addition-1".into(),
        questions_total: 7,
        started_at: Utc::now(),
    }
}

pub(crate) fn end(session_id: &str, learner_id: &str, duration_seconds: u64) -> SessionEnd {
    SessionEnd {
        session_id: session_id.into(),
        learner_id: learner_id.into(),
        status: SessionStatus::Completed,
        questions_answered: 7,
        questions_correct: 7,
        accuracy: 100.0,
        stars: 3,
        duration_seconds,
        ended_at: Utc::now(),
        activity_id: "math-addition-1".into(),
        category: "math".into(),
        local_date: Utc::now().date_naive(),
        notice: None,
    }
}

pub(crate) fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

#[actix_web::test]
async fn each_refused_item_fails_alone_and_the_rest_of_its_batch_is_saved() {
    let app = spawn_app().await;
    let (_, kid) = app.parent_with_child("Ada").await;
    let store = app.state.engine.store().clone();
    let good = new_id();
    store
        .write_batch(Batch {
            starts: vec![start(&good, &kid)],
            ..Batch::default()
        })
        .await
        .unwrap();

    // Missing parent: answers of a session that does not exist (both backends enforce it).
    let orphan = new_id();
    // Text: NUL, which PostgreSQL cannot store in text (SQLite can).
    let batch = Batch {
        answers: vec![
            answer(&good, &kid, 1, "q1"),
            answer(&orphan, &kid, 1, "q1"),
            answer(&good, &kid, 2, "q\u{0}2"),
            answer(&good, &kid, 3, "q3"),
        ],
        ..Batch::default()
    };
    let result = store.write_batch(batch).await.unwrap();
    let pg = app.db.backend == Backend::Postgres;
    let mut expected = vec![ItemKey::Answer {
        session_id: orphan.as_str().into(),
        seq: Seq::FIRST,
    }];
    if pg {
        expected.push(ItemKey::Answer {
            session_id: good.as_str().into(),
            seq: Seq::from(2),
        });
    }
    assert_eq!(result.refused, expected);

    let mut conn = db::establish(&app.db.url).unwrap();
    let stored: Vec<i32> = schema::answers::table
        .filter(schema::answers::session_id.eq(&good))
        .select(schema::answers::seq)
        .order(schema::answers::seq)
        .load(&mut conn)
        .unwrap();
    assert_eq!(stored, if pg { vec![1, 3] } else { vec![1, 2, 3] });
    let letters: Vec<(String, Option<String>, Option<i32>)> = schema::dead_letters::table
        .select((
            schema::dead_letters::kind,
            schema::dead_letters::session_id,
            schema::dead_letters::seq,
        ))
        .order(schema::dead_letters::id)
        .load(&mut conn)
        .unwrap();
    let mut want = vec![("answer".to_string(), Some(orphan.clone()), Some(1))];
    if pg {
        want.push(("answer".to_string(), Some(good.clone()), Some(2)));
    }
    assert_eq!(letters, want);

    // Range: daily study seconds past the INTEGER column (PostgreSQL refuses the sum; SQLite
    // integers are 64-bit). Each end is its own session; the one that overflows fails alone.
    let sessions: Vec<String> = (0..6).map(|_| new_id()).collect();
    store
        .write_batch(Batch {
            starts: sessions.iter().map(|s| start(s, &kid)).collect(),
            ..Batch::default()
        })
        .await
        .unwrap();
    let mut refused = Vec::new();
    for s in &sessions {
        let other = new_id();
        let result = store
            .write_batch(Batch {
                starts: vec![start(&other, &kid)],
                ends: vec![end(s, &kid, i32::MAX as u64 / 4)],
                ..Batch::default()
            })
            .await
            .unwrap();
        refused.extend(result.refused);
        // The other item of the same batch is always saved.
        let saved: i64 = schema::activity_sessions::table
            .filter(schema::activity_sessions::id.eq(&other))
            .count()
            .get_result(&mut conn)
            .unwrap();
        assert_eq!(saved, 1);
    }
    if pg {
        assert!(
            !refused.is_empty() && refused.iter().all(|k| matches!(k, ItemKey::End { .. })),
            "{refused:?}"
        );
    } else {
        assert!(refused.is_empty(), "{refused:?}");
    }
}

#[actix_web::test]
async fn an_admin_reads_the_dead_letters_and_no_one_else_does() {
    let app = spawn_app().await;
    let (parent, kid) = app.parent_with_child("Ada").await;
    let orphan = new_id();
    let result = app
        .state
        .engine
        .store()
        .write_batch(Batch {
            answers: vec![answer(&orphan, &kid, 4, "q1")],
            ..Batch::default()
        })
        .await
        .unwrap();
    assert_eq!(result.refused.len(), 1);

    let admin = app.admin().await;
    let res = app
        .get("/v1/admin/dead-letters?limit=10", Some(&admin.access))
        .await;
    assert_eq!(res.status, StatusCode::OK, "{:?}", res.body);
    let letters = res.body["dead_letters"].as_array().unwrap();
    assert_eq!(letters.len(), 1, "{letters:?}");
    assert_eq!(letters[0]["kind"], "answer");
    assert_eq!(letters[0]["session_id"], orphan.as_str());
    assert_eq!(letters[0]["learner_id"], kid.as_str());
    assert_eq!(letters[0]["seq"], 4);
    assert!(letters[0]["payload"].is_object(), "{:?}", letters[0]);
    assert!(!letters[0]["error"].as_str().unwrap().is_empty());
    assert!(res.body["next_before"].is_null());

    let res = app
        .get("/v1/admin/dead-letters", Some(&parent.access))
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    let res = app.get("/v1/admin/dead-letters", None).await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED);
}

/// Parks one dead letter the way the group commit does (an answer of a session that does not
/// exist, for `learner_id`'s learner) and returns its id.
pub async fn park_one(app: &crate::common::TestApp, learner_id: &str) -> String {
    park_orphan_answer(app, learner_id).await.0
}

/// As [`park_one`]; returns the letter's id and the missing session's id.
pub async fn park_orphan_answer(
    app: &crate::common::TestApp,
    learner_id: &str,
) -> (String, String) {
    let orphan = new_id();
    let result = app
        .state
        .engine
        .store()
        .write_batch(Batch {
            answers: vec![answer(&orphan, learner_id, 1, "q1")],
            ..Batch::default()
        })
        .await
        .unwrap();
    assert_eq!(result.refused.len(), 1, "the orphan answer is refused");
    let mut conn = db::establish(&app.db.url).unwrap();
    let id = schema::dead_letters::table
        .filter(schema::dead_letters::session_id.eq(&orphan))
        .select(schema::dead_letters::id)
        .first(&mut conn)
        .unwrap();
    (id, orphan)
}

/// Fixes an orphan answer's cause: its session is stored after all.
pub async fn store_session(app: &crate::common::TestApp, session_id: &str, learner_id: &str) {
    let result = app
        .state
        .engine
        .store()
        .write_batch(Batch {
            starts: vec![start(session_id, learner_id)],
            ..Batch::default()
        })
        .await
        .unwrap();
    assert!(result.refused.is_empty());
}

#[actix_web::test]
async fn a_dead_letter_retried_once_its_cause_is_fixed_is_stored() {
    let app = spawn_app().await;
    let (parent, kid) = app.parent_with_child("Ada").await;
    let (fixed, session) = park_orphan_answer(&app, &kid).await;
    let (still_broken, broken_session) = park_orphan_answer(&app, &kid).await;
    let admin = app.admin().await;
    let retry = |id: &str| format!("/v1/admin/dead-letters/{id}/retry");

    let res = app
        .post(&retry(&fixed), Some(&parent.access), &serde_json::json!({}))
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    // Its session stored at last, the answer goes in: the letter is gone.
    store_session(&app, &session, &kid).await;
    let res = app
        .post(&retry(&fixed), Some(&admin.access), &serde_json::json!({}))
        .await;
    assert_eq!(res.status, StatusCode::NO_CONTENT, "{}", res.body);
    let mut conn = db::establish(&app.db.url).unwrap();
    let stored: Vec<(i32, bool, bool)> = schema::answers::table
        .filter(schema::answers::session_id.eq(&session))
        .select((
            schema::answers::seq,
            schema::answers::correct,
            schema::answers::first_attempt,
        ))
        .load(&mut conn)
        .unwrap();
    assert_eq!(stored, vec![(1, true, true)]);
    let res = app
        .post(&retry(&fixed), Some(&admin.access), &serde_json::json!({}))
        .await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);

    // The other one's cause is still there: refused again, parked anew with today's error.
    let res = app
        .post(
            &retry(&still_broken),
            Some(&admin.access),
            &serde_json::json!({}),
        )
        .await;
    assert_eq!(res.status, StatusCode::CONFLICT, "{}", res.body);
    let left = app.get("/v1/admin/dead-letters", Some(&admin.access)).await;
    let letters = left.body["dead_letters"].as_array().unwrap();
    assert_eq!(letters.len(), 1, "{letters:?}");
    assert_ne!(letters[0]["id"], still_broken.as_str());
    assert_eq!(letters[0]["session_id"], broken_session.as_str());

    // A letter whose payload cannot be rebuilt is left alone.
    diesel::update(schema::dead_letters::table)
        .set(schema::dead_letters::payload.eq("{\"session_id\": \"x\"}"))
        .execute(&mut conn)
        .unwrap();
    let old = letters[0]["id"].as_str().unwrap();
    let res = app
        .post(&retry(old), Some(&admin.access), &serde_json::json!({}))
        .await;
    assert_eq!(res.status, StatusCode::CONFLICT, "{}", res.body);
    assert!(
        res.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("cannot be retried")
    );
    let log = app
        .get(
            "/v1/audit?entity_type=dead_letter&action=retry",
            Some(&admin.access),
        )
        .await;
    assert_eq!(
        log.body["entries"].as_array().unwrap().len(),
        2,
        "{}",
        log.body
    );
}

#[actix_web::test]
async fn an_admin_discards_a_dead_letter_and_the_audit_log_says_so() {
    let app = spawn_app().await;
    let (parent, kid) = app.parent_with_child("Ada").await;
    let id = park_one(&app, &kid).await;
    let admin = app.admin().await;
    let path = format!("/v1/admin/dead-letters/{id}");

    let res = app.delete(&path, Some(&parent.access)).await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    let res = app.delete(&path, Some(&admin.access)).await;
    assert_eq!(res.status, StatusCode::NO_CONTENT, "{}", res.body);
    let res = app.delete(&path, Some(&admin.access)).await;
    assert_eq!(res.status, StatusCode::NOT_FOUND, "{}", res.body);
    let left = app.get("/v1/admin/dead-letters", Some(&admin.access)).await;
    assert_eq!(left.body["dead_letters"], serde_json::json!([]));

    let log = app
        .get(
            "/v1/audit?entity_type=dead_letter&action=discard",
            Some(&admin.access),
        )
        .await;
    assert_eq!(log.status, StatusCode::OK, "{}", log.body);
    let entries = log.body["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert_eq!(entries[0]["entity_id"], id.as_str());
    assert_eq!(entries[0]["user_id"], admin.id.as_str());
    assert_eq!(entries[0]["old_values"]["kind"], "answer");
}
