//! Several nodes, one product: two real server processes sharing the database and Redis
//! count one screen-time budget per learner, one login limiter and one class roster.

use std::time::{Duration, Instant};

use awc::http::StatusCode;
use diesel::prelude::*;
use serde_json::json;

use crate::common::process::two_nodes;
use crate::common::wait::poll_until;
use crate::common::{Api, Ws, WsEvent};

/// Today's seconds as stored (every node's spans).
fn stored_seconds(database_url: &str, learner_id: &str) -> i64 {
    use studyhub::infra::db::schema::screen_time_logs;
    let mut conn = studyhub::infra::db::establish(database_url).unwrap();
    screen_time_logs::table
        .filter(screen_time_logs::learner_id.eq(learner_id))
        .select(screen_time_logs::seconds)
        .load::<i32>(&mut conn)
        .unwrap()
        .into_iter()
        .map(i64::from)
        .sum()
}

/// The phone plays like a child: an answer every 400 ms (active all along, whatever the idle
/// window), until the server says time is up. Returns when `time_up` came.
async fn play_until_time_up(phone: &mut Ws) -> Instant {
    phone
        .send(json!({"type": "start", "activity_id": "math-addition-1"}))
        .await;
    let sid = phone.expect("started").await["session_id"]
        .as_str()
        .unwrap()
        .to_string();
    let mut pace = tokio::time::interval(Duration::from_millis(400));
    for seq in 1.. {
        pace.tick().await;
        // A question may be answered again with a new seq: the session never completes.
        phone
            .send(json!({"type": "answer", "session_id": sid, "seq": seq, "question_id": "q1", "answer": 7}))
            .await;
        loop {
            match phone.recv().await {
                WsEvent::Json(v) if v["type"] == "time_up" => return Instant::now(),
                WsEvent::Json(v) if v["type"] == "feedback" => break,
                WsEvent::Json(v) if v["type"] == "error" => {
                    assert_eq!(v["code"], "time_up", "{v}");
                }
                WsEvent::Json(_) => {}
                WsEvent::Close(c) => panic!("closed ({c:?}) before time_up"),
            }
        }
    }
    unreachable!()
}

#[actix_web::test]
async fn a_phone_playing_on_one_node_spends_the_tablets_budget_on_the_other() {
    const LIMIT: u64 = 6;
    // Idle after 2 s: the tablet, untouched, stops counting soon after it connects.
    let Some((db, node_a, node_b)) = two_nodes(&[("STUDYHUB_SCREEN_TIME_IDLE_SECS", "2")]).await
    else {
        return;
    };
    let (a, b) = (node_a.api(), node_b.api());
    let (parent, child) = a.parent_with_child("Tia").await;
    let res = a
        .put(
            &format!("/v1/children/{child}/settings"),
            Some(&parent.access),
            &json!({"daily_time_limit_seconds": LIMIT}),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let play = format!("/v1/play?learner_id={child}");

    // The tablet sits on node B; the phone plays on node A.
    let mut tablet = b.ws(&play, &parent.access).await;
    tablet.expect("hello").await;
    let tablet_since = Instant::now();
    let mut phone = a.ws(&play, &parent.access).await;
    phone.expect("hello").await;
    let phone_up = play_until_time_up(&mut phone).await;
    assert_eq!(phone.expect_close().await, Some(4001));
    // Both devices were active at first: those seconds counted once, not twice.
    let spent = phone_up - tablet_since;
    assert!(
        spent >= Duration::from_secs(LIMIT - 1),
        "the whole limit took {spent:?}: seconds were counted twice"
    );

    // Node B ends the tablet's play within a tick (one second; slack for a busy machine).
    tokio::time::timeout(Duration::from_millis(2500), tablet.expect("time_up"))
        .await
        .expect("time_up on the other node within a tick");
    assert!(phone_up.elapsed() < Duration::from_millis(2500));
    assert_eq!(tablet.expect_close().await, Some(4001));

    // The tablet cannot start again on node B, over the socket or over REST.
    let mut again = b.ws(&play, &parent.access).await;
    let hello = again.expect("hello").await;
    assert_eq!(hello["time"]["left_seconds"], 0, "{hello}");
    assert_eq!(hello["time"]["used_seconds"], LIMIT, "{hello}");
    again.expect("time_up").await;
    assert_eq!(again.expect_close().await, Some(4001));
    let res = b
        .post(
            &format!("/v1/learners/{child}/sessions"),
            Some(&parent.access),
            &json!({"activity_id": "math-addition-1"}),
        )
        .await;
    assert_eq!(
        (res.status, res.code()),
        (StatusCode::FORBIDDEN, "time_up"),
        "{}",
        res.body
    );
    let time = b
        .get(
            &format!("/v1/children/{child}/screen-time/today"),
            Some(&parent.access),
        )
        .await;
    assert_eq!(time.body["used_seconds"], LIMIT, "{}", time.body);

    // Stored once: the nodes' spans add up to the limit, and the parent heard it once.
    poll_until(Duration::from_secs(5), "the spans are stored", || async {
        stored_seconds(&db.url, &child) == LIMIT as i64
    })
    .await;
    let page = a
        .get("/v1/notifications?limit=50", Some(&parent.access))
        .await;
    let reached = page.body["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["kind"] == "time_limit_reached")
        .count();
    assert_eq!(reached, 1, "{}", page.body);
}

/// Fails a login on `api` with a wrong password; the status.
async fn wrong_login(api: &Api, email: &str) -> StatusCode {
    api.post(
        "/v1/auth/login",
        None,
        &json!({"email": email, "password": "not the password"}),
    )
    .await
    .status
}

#[actix_web::test]
async fn five_failed_logins_in_all_not_five_per_node() {
    let Some((_db, node_a, node_b)) = two_nodes(&[]).await else {
        return;
    };
    let (a, b) = (node_a.api(), node_b.api());
    let parent = a.register("parent").await;
    for i in 0..5 {
        if i == 3 {
            // Redis forgets its scripts (as after a restart): the nodes load them again.
            let url = std::env::var("STUDYHUB_TEST_REDIS_URL").unwrap();
            let mut conn = redis::Client::open(url).unwrap().get_connection().unwrap();
            let _: () = redis::cmd("SCRIPT").arg("FLUSH").query(&mut conn).unwrap();
        }
        let api = if i % 2 == 0 { &a } else { &b };
        assert_eq!(
            wrong_login(api, &parent.email).await,
            StatusCode::UNAUTHORIZED
        );
    }
    // The sixth try is refused on either node, the right password included.
    for api in [&a, &b] {
        assert_eq!(
            wrong_login(api, &parent.email).await,
            StatusCode::TOO_MANY_REQUESTS
        );
        let res = api
            .post(
                "/v1/auth/login",
                None,
                &json!({"email": parent.email, "password": crate::common::TEST_PASSWORD}),
            )
            .await;
        assert_eq!(res.status, StatusCode::TOO_MANY_REQUESTS);
        assert!(res.headers.contains_key("retry-after"));
    }
}

#[actix_web::test]
async fn with_redis_away_a_node_limits_logins_alone_and_says_so() {
    let app =
        crate::common::spawn_app_with(|c| c.redis_url = Some("redis://127.0.0.1:1".into())).await;
    let health = app.get("/health", None).await;
    assert_eq!(health.body["services"]["nodes"], "alone", "{}", health.body);
    let parent = app.register("parent").await;
    for _ in 0..5 {
        assert_eq!(
            wrong_login(&app, &parent.email).await,
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(
        wrong_login(&app, &parent.email).await,
        StatusCode::TOO_MANY_REQUESTS
    );
    let single = crate::common::spawn_app().await;
    assert_eq!(
        single.get("/health", None).await.body["services"]["nodes"],
        "single"
    );
}

/// A student account on `api` in the class with `join_code`, playing math-addition-1 there;
/// (learner id, play socket, session id).
async fn student_playing(api: &Api, join_code: &str) -> (String, Ws, String) {
    let student = api.register("student").await;
    let res = api
        .post(
            "/v1/classes/join",
            Some(&student.access),
            &json!({"join_code": join_code}),
        )
        .await;
    assert!(res.status.is_success(), "{}", res.body);
    let learner = api.get("/v1/auth/me", Some(&student.access)).await.body["learner"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let mut ws = api
        .ws(&format!("/v1/play?learner_id={learner}"), &student.access)
        .await;
    ws.expect("hello").await;
    ws.send(json!({"type": "start", "activity_id": "math-addition-1"}))
        .await;
    let sid = ws.expect("started").await["session_id"]
        .as_str()
        .unwrap()
        .to_string();
    (learner, ws, sid)
}

#[actix_web::test]
async fn one_roster_a_removed_student_stops_streaming_to_a_view_on_another_node() {
    let Some((_db, node_a, node_b)) = two_nodes(&[]).await else {
        return;
    };
    let (a, b) = (node_a.api(), node_b.api());
    let teacher = a.register("teacher").await;
    let class = a
        .post("/v1/classes", Some(&teacher.access), &json!({"name": "5B"}))
        .await
        .body;
    let (class_id, code) = (
        class["id"].as_str().unwrap().to_string(),
        class["join_code"].as_str().unwrap().to_string(),
    );
    // Both students play on node A; the teacher watches on node B.
    let (gone, mut gone_ws, gone_sid) = student_playing(&a, &code).await;
    let (stays, mut stays_ws, stays_sid) = student_playing(&a, &code).await;
    let live = format!("/v1/classes/{class_id}/live");
    // Asked again (a new view, a real request) until node A's word has reached Redis.
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut every = tokio::time::interval(Duration::from_millis(50));
    let mut view = loop {
        every.tick().await;
        let mut ws = b.ws(&live, &teacher.access).await;
        let snapshot = ws.until("snapshot").await;
        let playing = snapshot["students"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| s["online"] == true && s["activity_id"] == "math-addition-1")
            .count();
        if playing == 2 {
            break ws;
        }
        assert!(
            Instant::now() < deadline,
            "the snapshot on node B never showed node A's students: {snapshot}"
        );
    };

    // Removed on node A: node B's view gets the new roster at once.
    let res = a
        .delete(
            &format!("/v1/classes/{class_id}/members/{gone}"),
            Some(&teacher.access),
        )
        .await;
    assert_eq!(res.status, StatusCode::NO_CONTENT, "{}", res.body);
    let snapshot = view.until("snapshot").await;
    let ids: Vec<&str> = snapshot["students"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["learner_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [stays.as_str()]);

    // The removed student answers first, then the other: the view hears only the other.
    gone_ws
        .send(json!({"type": "answer", "session_id": gone_sid, "seq": 1, "question_id": "q1", "answer": 7}))
        .await;
    gone_ws.expect("feedback").await;
    stays_ws
        .send(json!({"type": "answer", "session_id": stays_sid, "seq": 1, "question_id": "q1", "answer": 7}))
        .await;
    stays_ws.expect("feedback").await;
    loop {
        let WsEvent::Json(v) = view.recv().await else {
            panic!("the view closed");
        };
        assert_ne!(
            v["learner_id"],
            gone.as_str(),
            "a removed student streamed: {v}"
        );
        if v["type"] == "answer" {
            assert_eq!(v["learner_id"], stays.as_str());
            break;
        }
    }
}

#[actix_web::test]
async fn a_parents_hello_on_one_node_shows_a_child_playing_on_another() {
    let Some((_db, node_a, node_b)) = two_nodes(&[]).await else {
        return;
    };
    let (a, b) = (node_a.api(), node_b.api());
    let (parent, child) = a.parent_with_child("Ode").await;
    let mut play = a
        .ws(&format!("/v1/play?learner_id={child}"), &parent.access)
        .await;
    play.expect("hello").await;
    play.send(json!({"type": "start", "activity_id": "math-addition-1"}))
        .await;
    play.expect("started").await;
    poll_until(
        Duration::from_secs(5),
        "the hello on node B shows the child playing on node A",
        || async {
            let mut feed = b.ws("/v1/parent/live", &parent.access).await;
            let hello = feed.until("hello").await;
            let kid = &hello["children"][0];
            kid["id"] == child.as_str()
                && kid["online"] == true
                && kid["activity_id"] == "math-addition-1"
        },
    )
    .await;
    // Gone from node A: node B's next hello says so.
    drop(play);
    poll_until(
        Duration::from_secs(5),
        "the child is offline everywhere",
        || async {
            let mut feed = b.ws("/v1/parent/live", &parent.access).await;
            feed.until("hello").await["children"][0]["online"] == false
        },
    )
    .await;
}
