//! Redis away when a node starts, or cut under a running node, then back: players never
//! notice, `/health` follows within seconds, and the node joins the bus again (live events
//! cross nodes both ways). Node A reaches Redis through a test proxy (`common::proxy`) that
//! cuts and heals it without touching the machine's Redis; node B reaches it directly.

use std::time::Duration;

use awc::http::StatusCode;
use serde_json::json;

use crate::common::players::Player;
use crate::common::proxy::Proxy;
use crate::common::wait::poll_until;
use crate::common::{Api, KillableServer, TestApp, Ws, spawn_app_with};

struct Nodes {
    a: TestApp,
    b: KillableServer,
    b_api: Api,
    proxy: Proxy,
}

/// Node A behind the proxy (cut first if `cut_at_start`), node B direct, one Redis namespace
/// of their own; `None` (skip) outside CI when no Redis is configured.
async fn nodes(cut_at_start: bool) -> Option<Nodes> {
    let Ok(redis) = std::env::var("STUDYHUB_TEST_REDIS_URL") else {
        assert!(
            std::env::var("CI").is_err(),
            "CI must set STUDYHUB_TEST_REDIS_URL"
        );
        return None;
    };
    let proxy = Proxy::in_front_of(&redis);
    if cut_at_start {
        proxy.cut();
    }
    let prefix = format!("test-{}", uuid::Uuid::new_v4().simple());
    let (via_proxy, p1) = (proxy.redirect(&redis), prefix.clone());
    let a = spawn_app_with(move |c| {
        c.redis_url = Some(via_proxy);
        c.redis_prefix = p1;
    })
    .await;
    let b = KillableServer::start(&a.db, move |c| {
        c.redis_url = Some(redis);
        c.redis_prefix = prefix;
    });
    let b_api = Api::new(b.port);
    Some(Nodes { a, b, b_api, proxy })
}

async fn cache_state(api: &Api) -> String {
    let res = api.get("/health", None).await;
    assert_eq!(res.status, StatusCode::OK, "Redis never fails health");
    res.body["services"]["cache"].as_str().unwrap().to_string()
}

async fn cache_becomes(api: &Api, want: &str) {
    poll_until(
        Duration::from_secs(10),
        &format!("cache {want}"),
        || async { cache_state(api).await == want },
    )
    .await;
}

/// The next `activity_completed` notification on a parent's feed, for `child`.
async fn completed_for(feed: &mut Ws, child: &str) {
    loop {
        let n = feed.notification("activity_completed").await;
        if n["child_id"] == child {
            return;
        }
    }
}

/// One parent, a child playing on each node and a feed on each node. The children play
/// through an outage (`down`, then `up`); afterwards each feed hears the child playing on
/// the other node.
async fn play_across_nodes(nodes: &Nodes, down: impl AsyncFnOnce(), up: impl AsyncFnOnce()) {
    let (a, b) = (&nodes.a, &nodes.b_api);
    let (parent, on_a) = a.parent_with_child("Ada").await;
    let res = a
        .post(
            "/v1/children",
            Some(&parent.access),
            &json!({"name": "Bo", "age": 8, "interests": []}),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    let on_b = res.body["id"].as_str().unwrap().to_string();
    let mut feed_a = a.ws("/v1/parent/live", &parent.access).await;
    feed_a.until("hello").await;
    let mut feed_b = b.ws("/v1/parent/live", &parent.access).await;
    feed_b.until("hello").await;
    let mut ada = Player::play(a, &parent.access, &on_a).await;
    let mut bo = Player::play(b, &parent.access, &on_b).await;
    for _ in 0..3 {
        ada.answer().await;
        bo.answer().await;
    }
    // No error reaches the players (any `error` fails `answer`), whatever Redis does.
    down().await;
    for _ in 0..2 {
        ada.answer().await;
        bo.answer().await;
    }
    up().await;
    // A publishes: B hears Ada (and A hears her locally).
    ada.finish().await;
    completed_for(&mut feed_b, &on_a).await;
    completed_for(&mut feed_a, &on_a).await;
    // A is subscribed again: it hears Bo from B.
    bo.finish().await;
    completed_for(&mut feed_a, &on_b).await;
    completed_for(&mut feed_b, &on_b).await;
}

#[actix_web::test]
async fn redis_away_when_a_node_starts_is_picked_up_once_it_answers() {
    let Some(nodes) = nodes(true).await else {
        return;
    };
    assert_eq!(cache_state(&nodes.a).await, "down");
    // B subscribes in the background once it listens: within moments, not at once.
    cache_becomes(&nodes.b_api, "redis").await;
    play_across_nodes(
        &nodes,
        async || assert_eq!(cache_state(&nodes.a).await, "down"),
        async || {
            nodes.proxy.heal();
            cache_becomes(&nodes.a, "redis").await;
        },
    )
    .await;
    nodes.b.kill();
}

#[actix_web::test]
async fn redis_cut_under_a_running_node_is_picked_up_again() {
    let Some(nodes) = nodes(false).await else {
        return;
    };
    cache_becomes(&nodes.a, "redis").await;
    play_across_nodes(
        &nodes,
        async || {
            nodes.proxy.cut();
            cache_becomes(&nodes.a, "down").await;
        },
        async || {
            nodes.proxy.heal();
            cache_becomes(&nodes.a, "redis").await;
        },
    )
    .await;
    nodes.b.kill();
}
