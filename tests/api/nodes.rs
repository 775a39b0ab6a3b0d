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
    use studyhub::db::schema::screen_time_logs;
    let mut conn = studyhub::db::establish(database_url).unwrap();
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
