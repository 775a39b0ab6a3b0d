//! Realtime tickets are signed, not stored: any node takes one another issued, each works
//! once (spent in Redis; in the database while Redis is away; in the process without Redis),
//! and one stops working with the access tokens of its account.

use awc::http::StatusCode;
use serde_json::json;

use crate::common::proxy::Proxy;
use crate::common::{Api, TEST_PASSWORD, spawn_app, spawn_app_with};
use crate::redis_nodes::two_nodes;

async fn ticket(api: &Api, token: &str, learner: &str) -> String {
    let res = api
        .post(
            "/v1/realtime/tickets",
            Some(token),
            &json!({"learner_id": learner}),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    res.body["ticket"].as_str().unwrap().to_string()
}

#[actix_web::test]
async fn a_ticket_issued_on_one_node_works_once_on_any() {
    let Some((app, _other, node_b)) = two_nodes().await else {
        return;
    };
    let (parent, child) = app.parent_with_child("Ada").await;
    let t = ticket(&app, &parent.access, &child).await;
    let path = format!("/v1/play?learner_id={child}&ticket={t}");
    assert_eq!(
        node_b.ws_status(&path, None).await,
        StatusCode::SWITCHING_PROTOCOLS
    );
    assert_eq!(
        node_b.ws_status(&path, None).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(app.ws_status(&path, None).await, StatusCode::UNAUTHORIZED);
}

#[actix_web::test]
async fn with_redis_away_a_ticket_is_still_single_use() {
    let Ok(redis) = std::env::var("STUDYHUB_TEST_REDIS_URL") else {
        return;
    };
    let proxy = Proxy::in_front_of(&redis);
    proxy.cut();
    let via_proxy = proxy.redirect(&redis);
    let app = spawn_app_with(move |c| {
        c.redis_url = Some(via_proxy);
        c.redis_prefix = format!("test-{}", uuid::Uuid::new_v4().simple());
    })
    .await;
    let (parent, child) = app.parent_with_child("Bo").await;
    let t = ticket(&app, &parent.access, &child).await;
    let path = format!("/v1/play?learner_id={child}&ticket={t}");
    assert_eq!(
        app.ws_status(&path, None).await,
        StatusCode::SWITCHING_PROTOCOLS
    );
    assert_eq!(app.ws_status(&path, None).await, StatusCode::UNAUTHORIZED);
}

#[actix_web::test]
async fn a_ticket_stops_working_with_its_accounts_tokens() {
    let app = spawn_app().await;
    let (parent, child) = app.parent_with_child("Cy").await;
    let t = ticket(&app, &parent.access, &child).await;
    let res = app
        .post(
            "/v1/auth/password",
            Some(&parent.access),
            &json!({"current_password": TEST_PASSWORD, "new_password": "another good one"}),
        )
        .await;
    assert_eq!(res.status, StatusCode::NO_CONTENT, "{}", res.body);
    let path = format!("/v1/play?learner_id={child}&ticket={t}");
    assert_eq!(app.ws_status(&path, None).await, StatusCode::UNAUTHORIZED);
    // A tampered or foreign ticket is refused too.
    let forged = format!("/v1/play?learner_id={child}&ticket={t}x");
    assert_eq!(app.ws_status(&forged, None).await, StatusCode::UNAUTHORIZED);
}
