//! Offline sessions synced back through a learner's actor: graded again with the live
//! grading, stored once however often the sync comes, nothing acknowledged before the group
//! commit, and offline time felt by the live clock at once.

use std::time::Duration;

use chrono::{Duration as Span, Utc};
use studyhub_actors::Engine;
use studyhub_actors::content::Answer;
use studyhub_actors::ids::Seq;
use studyhub_actors::learner::offline::{OfflineAnswer, OfflineSession};
use studyhub_actors::store::{NotificationKind, SessionStatus};

use super::{Conn, config, setup};

/// A device's session of `math-test` (keys 1, 2, 3, 4): the first `n` answers given as
/// `given`, a minute apart.
fn played(id: &str, given: &[f64], n: usize) -> OfflineSession {
    let start = Utc::now() - Span::minutes(30);
    OfflineSession {
        session_id: id.into(),
        activity_id: "math-test".into(),
        started_at: start,
        finished: false,
        answers: given
            .iter()
            .take(n)
            .enumerate()
            .map(|(i, a)| OfflineAnswer {
                seq: Seq::from_wire(i as i64 + 1).unwrap(),
                question_id: format!("q{}", i + 1),
                answer: Answer::Number(*a),
                answered_at: start + Span::minutes(i as i64 + 1),
            })
            .collect(),
    }
}

/// Syncs and waits for every commit the reply waits for; returns (stored seq, stars).
async fn sync(engine: &std::sync::Arc<Engine>, session: OfflineSession) -> (i64, Option<u8>) {
    let learner = engine.learner(&"kid".into()).await.unwrap();
    let reply = learner.sync(vec![session]).await.unwrap().unwrap();
    for (_, saved) in reply.saved {
        let ok = tokio::time::timeout(Duration::from_secs(10), saved)
            .await
            .expect("committed in time")
            .unwrap();
        assert!(ok);
    }
    let s = &reply.sessions[0];
    assert!(s.error.is_none(), "{:?}", s.error);
    (
        s.stored_up_to_seq.into(),
        s.completed.as_ref().map(|c| c.stars),
    )
}

#[actix_rt::test]
async fn a_sync_cut_off_and_sent_again_twice_is_stored_and_completed_once() {
    let (store, content) = setup(3600);
    let engine = Engine::start(store.clone(), content, config());
    let sid = uuid::Uuid::now_v7().to_string();
    // The device thought 5 was right for q2; the server's key (2) says otherwise.
    let given = [1.0, 5.0, 3.0, 4.0];
    assert_eq!(sync(&engine, played(&sid, &given, 2)).await, (2, None));
    assert_eq!(store.answers(&sid).len(), 2);
    let whole = played(&sid, &given, 4);
    let first = sync(&engine, whole.clone()).await;
    let again = sync(&engine, whole).await;
    assert_eq!(first, (4, Some(2)), "3 of 4 right: two stars");
    assert_eq!(again, first);
    let answers = store.answers(&sid);
    assert_eq!(answers.len(), 4);
    assert_eq!(
        answers.iter().map(|a| a.correct).collect::<Vec<_>>(),
        [true, false, true, true]
    );
    let row = store.session(&sid).unwrap();
    assert_eq!(row.status, SessionStatus::Completed);
    assert_eq!(row.stars, Some(2));
    let told: Vec<_> = store
        .notifications()
        .into_iter()
        .filter(|n| n.kind == NotificationKind::ActivityCompleted)
        .collect();
    assert_eq!(told.len(), 1, "the parent is told once");
    // Dated when it was played: at the last answer.
    assert_eq!(told[0].created_at, answers[3].answered_at);
}

#[actix_rt::test]
async fn nothing_is_acknowledged_before_the_database_has_it() {
    let (store, content) = setup(3600);
    let engine = Engine::start(store.clone(), content, config());
    let sid = uuid::Uuid::now_v7().to_string();
    store.set_failing(true);
    let learner = engine.learner(&"kid".into()).await.unwrap();
    let reply = learner
        .sync(vec![played(&sid, &[1.0, 2.0], 2)])
        .await
        .unwrap()
        .unwrap();
    let (_, saved) = reply
        .saved
        .into_iter()
        .next()
        .expect("a commit to wait for");
    let mut saved = Box::pin(saved);
    assert!(
        tokio::time::timeout(Duration::from_millis(300), &mut saved)
            .await
            .is_err(),
        "not acknowledged while the database fails"
    );
    store.set_failing(false);
    let ok = tokio::time::timeout(Duration::from_secs(10), saved)
        .await
        .expect("committed once the database is back")
        .unwrap();
    assert!(ok);
    assert_eq!(store.answers(&sid).len(), 2);
}

#[actix_rt::test]
async fn offline_time_reaches_the_live_clock_at_once() {
    let (store, content) = setup(3600);
    let engine = Engine::start(store.clone(), content, config());
    let mut c = Conn::open(&engine, "kid", 1).await;
    c.expect("hello").await;
    engine.offline_time(&"kid".into(), Utc::now().date_naive(), 600);
    loop {
        let time = c.expect("time").await;
        if time["used_seconds"].as_u64().unwrap() >= 600 {
            assert!(time["left_seconds"].as_u64().unwrap() <= 3000);
            break;
        }
    }
    // Another day's offline time does not touch today's budget.
    engine.offline_time(&"kid".into(), Utc::now().date_naive() - Span::days(1), 900);
    let view = c.learner.time_now().await.unwrap();
    assert!(view.used_seconds < 1500, "{view:?}");
}
