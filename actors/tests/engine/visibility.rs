//! Starting a session holds only what the learner may see: a `classes` activity for the
//! learners of its author's classes, a `private` one for nobody playing, anything else
//! `unknown_activity`, exactly as if it did not exist.

use studyhub_actors::visibility::Visibility;

use super::*;

fn authored(id: &str, visibility: Visibility) -> Activity {
    Activity {
        id: id.into(),
        author_id: Some("teacher-1".into()),
        visibility,
        ..activity()
    }
}

async fn start(c: &mut Conn, activity_id: &str) -> Value {
    c.send(json!({"type": "start", "activity_id": activity_id}));
    loop {
        let v = match c.next().await {
            Outbound::Frame { json, .. } => serde_json::from_str::<Value>(&json).unwrap(),
            Outbound::Close { code, .. } => panic!("closed with {code}"),
        };
        if v["type"] == "started" || v["type"] == "error" {
            return v;
        }
    }
}

#[actix_rt::test]
async fn a_class_activity_starts_for_its_authors_classes_only() {
    let store = MemoryStore::new();
    store.add_learner("pupil", 3600);
    store.add_learner("stranger", 3600);
    store.add_to_teachers_class("pupil", "teacher-1");
    store.add_to_teachers_class("stranger", "teacher-2");
    let content = MemoryContent::new([
        activity(),
        authored("class-quiz", Visibility::Classes),
        authored("draft-quiz", Visibility::Private),
    ]);
    let engine = Engine::start(store.clone(), content, config());

    let mut pupil = Conn::open(&engine, "pupil", 1).await;
    pupil.expect("hello").await;
    let started = start(&mut pupil, "class-quiz").await;
    assert_eq!(started["type"], "started", "{started}");
    assert_eq!(started["activity"]["visibility"], "classes");
    let draft = start(&mut pupil, "draft-quiz").await;
    assert_eq!(draft["code"], "unknown_activity", "{draft}");

    let mut stranger = Conn::open(&engine, "stranger", 2).await;
    stranger.expect("hello").await;
    for id in ["class-quiz", "draft-quiz"] {
        let refused = start(&mut stranger, id).await;
        assert_eq!(refused["code"], "unknown_activity", "{id}: {refused}");
    }
    let public = start(&mut stranger, "math-test").await;
    assert_eq!(public["type"], "started", "{public}");
    assert_eq!(public["activity"]["visibility"], "public");
}

#[actix_rt::test]
async fn joining_a_class_counts_at_the_next_start() {
    let store = MemoryStore::new();
    store.add_learner("pupil", 3600);
    let content = MemoryContent::new([authored("class-quiz", Visibility::Classes)]);
    let engine = Engine::start(store.clone(), content, config());
    let mut pupil = Conn::open(&engine, "pupil", 1).await;
    pupil.expect("hello").await;
    assert_eq!(
        start(&mut pupil, "class-quiz").await["code"],
        "unknown_activity"
    );
    // Nothing is kept in the actor: the same live learner sees the class at once.
    store.add_to_teachers_class("pupil", "teacher-1");
    assert_eq!(start(&mut pupil, "class-quiz").await["type"], "started");
}
