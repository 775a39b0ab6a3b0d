//! Learners' starts read in batches (`Store::load_starts`, what a reconnect storm uses) give
//! what the one-learner reads give: profile, classes, history, today's screen time and the
//! open session with its saved answers.

use chrono::Utc;
use serde_json::json;
use studyhub_actors::ids::LearnerId;
use studyhub_actors::screen_time::{local_date, parse_tz};

use crate::common::players::Player;
use crate::common::spawn_app;

/// A profile's debug text with the set of unlocked achievements in order (a hash set prints
/// in any order).
fn normalized(profile: &str) -> String {
    let Some((head, rest)) = profile.split_once("unlocked: {") else {
        return profile.to_string();
    };
    let (set, tail) = rest.split_once('}').unwrap();
    let mut items: Vec<&str> = set.split(", ").collect();
    items.sort();
    format!("{head}unlocked: {{{}}}{tail}", items.join(", "))
}

#[actix_web::test]
async fn a_batch_of_starts_reads_what_single_reads_read() {
    let app = spawn_app().await;
    // One who completed an activity (history, unlocks), in a class, with a grant today…
    let mut done = Player::join(&app, "Done").await;
    done.finish().await;
    done.saved_up_to(7).await;
    let teacher = app.register("teacher").await;
    let class = app
        .post("/v1/classes", Some(&teacher.access), &json!({"name": "3B"}))
        .await;
    let code = class.body["join_code"].as_str().unwrap();
    let (parent, in_class) = app.parent_with_child("Kim").await;
    let res = app
        .post(
            &format!("/v1/children/{in_class}/classes"),
            Some(&parent.access),
            &json!({"join_code": code}),
        )
        .await;
    assert!(res.status.is_success(), "{}", res.body);
    let res = app
        .post(
            &format!("/v1/children/{in_class}/screen-time/grant"),
            Some(&parent.access),
            &json!({"seconds": 600}),
        )
        .await;
    assert!(res.status.is_success(), "{}", res.body);
    // …and one with an open session holding three saved answers.
    let mut open = Player::join(&app, "Open").await;
    for _ in 0..3 {
        open.answer().await;
    }
    open.saved_up_to(3).await;

    let store = app.state.engine.store().clone();
    let ids: Vec<LearnerId> = vec![
        done.child.as_str().into(),
        in_class.as_str().into(),
        open.child.as_str().into(),
        "no-such-learner".into(),
    ];
    let at = Utc::now();
    let starts = store.load_starts(ids.clone(), at).await.unwrap();
    assert_eq!(starts.len(), 3, "an unknown learner is left out");
    for id in &ids[..3] {
        let batch = starts.iter().find(|s| &s.profile.id == id).unwrap();
        let one = store.load_learner(id).await.unwrap().unwrap();
        let today = local_date(parse_tz(&one.timezone), at);
        assert_eq!(batch.today, today);
        assert_eq!(
            normalized(&format!("{:?}", batch.profile)),
            normalized(&format!("{one:?}")),
            "profile of {id}"
        );
        assert_eq!(
            batch.used,
            store.load_screen_time(id, today).await.unwrap(),
            "screen time of {id}"
        );
        let single = store.open_session(id).await.unwrap();
        assert_eq!(
            format!("{:?}", batch.open_session),
            format!("{single:?}"),
            "open session of {id}"
        );
    }
    // The data is really there (so the comparison compares something).
    let of = |id: &str| starts.iter().find(|s| s.profile.id == id).unwrap();
    assert_eq!(of(&done.child).profile.history.completed(), 1);
    assert_eq!(of(&in_class).profile.class_ids.len(), 1);
    assert_eq!(of(&in_class).used.bonus_seconds, 600);
    let session = of(&open.child).open_session.as_ref().unwrap();
    assert_eq!(session.session_id, open.session);
    assert_eq!(session.answers.len(), 3);
}
