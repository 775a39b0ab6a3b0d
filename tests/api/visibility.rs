//! Whose activities: a teacher's activity is for the teacher and their classes (`classes`), a
//! `private` one for its author only, a published one for everyone. Everyone else gets 404
//! (`unknown_activity` on the socket), in the catalog, GET by id, starting by socket and REST,
//! `next` and class games.

use crate::common::{Account, TEST_PASSWORD, TestApp, WsEvent, spawn_app};
use awc::http::StatusCode;
use serde_json::{Value, json};

/// Sorts before every starter activity of difficulty 1, so `next` picks it for a fresh
/// learner who may see it.
const CLASS_QUIZ: &str = "aaa-class-quiz";

struct Learner {
    token: String,
    id: String,
}

fn quiz(id: &str, visibility: Option<&str>) -> Value {
    let mut body = json!({"id": id, "title": format!("Quiz {id}"), "category": "math",
        "sub_category": "visibility-test", "difficulty": 1, "age_min": 5, "age_max": 9,
        "questions": [{"id": "q1", "prompt": "1 + 1", "answer_type": "number",
            "correct_answer": 2, "explanation": "two"}]});
    if let Some(v) = visibility {
        body["visibility"] = json!(v);
    }
    body
}

async fn teacher_with_class(app: &TestApp) -> (Account, String, String) {
    let teacher = app.register("teacher").await;
    let res = app
        .post("/v1/classes", Some(&teacher.access), &json!({"name": "4C"}))
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    let id = res.body["id"].as_str().unwrap().to_string();
    let code = res.body["join_code"].as_str().unwrap().to_string();
    (teacher, id, code)
}

/// A student account's learner, in the class with `code`.
async fn student_in(app: &TestApp, code: &str) -> Learner {
    let email = format!("pupil-{}@example.com", uuid::Uuid::new_v4().simple());
    let res = app
        .post(
            "/v1/auth/register",
            None,
            &json!({"email": email, "password": TEST_PASSWORD, "name": "Pupil", "role": "student"}),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    let token = res.body["access_token"].as_str().unwrap().to_string();
    let join = json!({"join_code": code});
    let res = app.post("/v1/classes/join", Some(&token), &join).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let me = app.get("/v1/auth/me", Some(&token)).await;
    let id = me.body["learner"]["id"].as_str().unwrap().to_string();
    Learner { token, id }
}

/// A parent's child (interested in the quiz's sub-category), in the class with `code` if any.
async fn child_in(app: &TestApp, code: Option<&str>) -> Learner {
    let parent = app.register("parent").await;
    let res = app
        .post(
            "/v1/children",
            Some(&parent.access),
            &json!({"name": "Kid", "age": 7, "interests": ["visibility-test"]}),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    let id = res.body["id"].as_str().unwrap().to_string();
    if let Some(code) = code {
        let res = app
            .post(
                &format!("/v1/children/{id}/classes"),
                Some(&parent.access),
                &json!({"join_code": code}),
            )
            .await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    }
    Learner {
        token: parent.access,
        id,
    }
}

async fn catalog_ids(app: &TestApp, token: Option<&str>, query: &str) -> Vec<String> {
    let res = app
        .get(&format!("/v1/activities?limit=200{query}"), token)
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    res.body
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap().to_string())
        .collect()
}

/// What starting `activity` as `l` on the play socket answers: `started` or the error code.
async fn socket_start(app: &TestApp, l: &Learner, activity: &str) -> String {
    let mut ws = app
        .ws(&format!("/v1/play?learner_id={}", l.id), &l.token)
        .await;
    ws.expect("hello").await;
    ws.send(json!({"type": "start", "activity_id": activity}))
        .await;
    loop {
        let v = match ws.recv().await {
            WsEvent::Json(v) => v,
            WsEvent::Close(c) => panic!("closed ({c:?}) before starting"),
        };
        match v["type"].as_str() {
            Some("started") => {
                assert_eq!(v["activity"]["id"], activity);
                return "started".into();
            }
            Some("error") => return v["code"].as_str().unwrap().to_string(),
            _ => {}
        }
    }
}

async fn rest_start(app: &TestApp, l: &Learner, activity: &str) -> StatusCode {
    app.post(
        &format!("/v1/learners/{}/sessions", l.id),
        Some(&l.token),
        &json!({"activity_id": activity}),
    )
    .await
    .status
}

async fn next_id(app: &TestApp, l: &Learner) -> String {
    let res = app
        .get(&format!("/v1/learners/{}/next", l.id), Some(&l.token))
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    res.body["activity_id"].as_str().unwrap().to_string()
}

#[actix_web::test]
async fn a_teachers_activity_is_for_the_teacher_and_their_class_only() {
    let app = spawn_app().await;
    let (teacher, _, code) = teacher_with_class(&app).await;
    let (_, _, other_code) = teacher_with_class(&app).await;
    let res = app
        .post(
            "/v1/activities",
            Some(&teacher.access),
            &quiz(CLASS_QUIZ, None),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    assert_eq!(res.body["visibility"], "classes", "a teacher's default");

    let pupil = student_in(&app, &code).await;
    let kid = child_in(&app, Some(&code)).await;
    let outsider = student_in(&app, &other_code).await;
    let outside_kid = child_in(&app, None).await;

    // The catalog and GET by id.
    assert!(
        catalog_ids(&app, Some(&teacher.access), "")
            .await
            .contains(&CLASS_QUIZ.into())
    );
    for l in [&pupil, &kid] {
        let list = catalog_ids(&app, Some(&l.token), "").await;
        assert!(list.contains(&CLASS_QUIZ.into()), "{list:?}");
        let one = app
            .get(&format!("/v1/activities/{CLASS_QUIZ}"), Some(&l.token))
            .await;
        assert_eq!(one.status, StatusCode::OK, "{}", one.body);
        assert_eq!(one.body["visibility"], "classes");
    }
    let mine = format!("&learner_id={}", kid.id);
    assert!(
        catalog_ids(&app, Some(&kid.token), &mine)
            .await
            .contains(&CLASS_QUIZ.into())
    );
    for token in [
        Some(outsider.token.as_str()),
        Some(outside_kid.token.as_str()),
        None,
    ] {
        let list = catalog_ids(&app, token, "").await;
        assert!(!list.contains(&CLASS_QUIZ.into()), "{list:?}");
        assert!(
            list.contains(&"math-addition-1".into()),
            "starter content stays public"
        );
        let one = app
            .get(&format!("/v1/activities/{CLASS_QUIZ}"), token)
            .await;
        assert_eq!(one.status, StatusCode::NOT_FOUND, "{}", one.body);
    }

    // `next` offers it to a fresh learner of the class, never to anyone else.
    assert_eq!(next_id(&app, &pupil).await, CLASS_QUIZ);
    assert_eq!(next_id(&app, &kid).await, CLASS_QUIZ);
    assert_ne!(next_id(&app, &outsider).await, CLASS_QUIZ);
    assert_ne!(next_id(&app, &outside_kid).await, CLASS_QUIZ);

    // Starting: by socket and over REST.
    assert_eq!(socket_start(&app, &pupil, CLASS_QUIZ).await, "started");
    assert_eq!(
        rest_start(&app, &kid, CLASS_QUIZ).await,
        StatusCode::CREATED
    );
    assert_eq!(
        socket_start(&app, &outsider, CLASS_QUIZ).await,
        "unknown_activity"
    );
    assert_eq!(
        socket_start(&app, &outside_kid, CLASS_QUIZ).await,
        "unknown_activity"
    );
    assert_eq!(
        rest_start(&app, &outsider, CLASS_QUIZ).await,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        rest_start(&app, &outside_kid, CLASS_QUIZ).await,
        StatusCode::NOT_FOUND
    );
}

#[actix_web::test]
async fn a_private_activity_is_its_authors_and_a_published_one_everyones() {
    let app = spawn_app().await;
    let (teacher, _, code) = teacher_with_class(&app).await;
    let pupil = student_in(&app, &code).await;
    let outsider = child_in(&app, None).await;
    let admin = app.admin().await;
    let draft = "private-draft";
    let res = app
        .post(
            "/v1/activities",
            Some(&teacher.access),
            &quiz(draft, Some("private")),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    assert_eq!(res.body["visibility"], "private");

    let mine = catalog_ids(&app, Some(&teacher.access), "&mine=true").await;
    assert_eq!(mine, [draft], "only the teacher's own");
    let one = app
        .get(&format!("/v1/activities/{draft}"), Some(&teacher.access))
        .await;
    assert_eq!(one.status, StatusCode::OK);
    let source = app
        .get(
            &format!("/v1/activities/{draft}/source"),
            Some(&teacher.access),
        )
        .await;
    assert_eq!(source.status, StatusCode::OK, "{}", source.body);
    assert_eq!(
        source.body["questions"][0]["correct_answer"], 2,
        "the author's key"
    );
    assert!(
        !catalog_ids(&app, Some(&pupil.token), "")
            .await
            .contains(&draft.into())
    );
    assert_eq!(socket_start(&app, &pupil, draft).await, "unknown_activity");
    assert_eq!(rest_start(&app, &pupil, draft).await, StatusCode::NOT_FOUND);
    assert!(
        catalog_ids(&app, Some(&admin.access), "")
            .await
            .contains(&draft.into())
    );

    // A teacher neither publishes nor writes `public`; an admin publishes.
    let publish = format!("/v1/activities/{draft}/publish");
    let res = app
        .post(&publish, Some(&teacher.access), &Value::Null)
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN, "{}", res.body);
    let res = app
        .put(
            &format!("/v1/activities/{draft}"),
            Some(&teacher.access),
            &quiz(draft, Some("public")),
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.body);
    assert!(
        res.body["error"]["details"]["fields"]["visibility"].is_string(),
        "{}",
        res.body
    );
    let res = app.post(&publish, Some(&admin.access), &Value::Null).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!(res.body["visibility"], "public");

    for l in [&pupil, &outsider] {
        assert!(
            catalog_ids(&app, Some(&l.token), "")
                .await
                .contains(&draft.into())
        );
        assert_eq!(socket_start(&app, l, draft).await, "started");
    }
    assert!(catalog_ids(&app, None, "").await.contains(&draft.into()));
    // Its author edits it without unpublishing it.
    let res = app
        .put(
            &format!("/v1/activities/{draft}"),
            Some(&teacher.access),
            &quiz(draft, None),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!(res.body["visibility"], "public");
}

#[actix_web::test]
async fn a_class_game_takes_the_teachers_class_activity() {
    let app = spawn_app().await;
    let (teacher, class, code) = teacher_with_class(&app).await;
    let (other, other_class, _) = teacher_with_class(&app).await;
    let res = app
        .post(
            "/v1/activities",
            Some(&teacher.access),
            &quiz(CLASS_QUIZ, None),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    let pupil = student_in(&app, &code).await;

    // Another teacher's class may not see it: no game of it there.
    let game = json!({"activity_id": CLASS_QUIZ, "seconds_per_question": 30});
    let res = app
        .post(
            &format!("/v1/classes/{other_class}/games"),
            Some(&other.access),
            &game,
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.body);

    let res = app
        .post(
            &format!("/v1/classes/{class}/games"),
            Some(&teacher.access),
            &game,
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    let game_id = res.body["game_id"].as_str().unwrap().to_string();
    let mut ws = app
        .ws(&format!("/v1/play?learner_id={}", pupil.id), &pupil.token)
        .await;
    ws.expect("hello").await;
    ws.send(json!({"type": "join_game", "game_id": game_id}))
        .await;
    let joined = ws.expect("game_joined").await;
    assert_eq!(joined["game_id"], game_id.as_str());
}
