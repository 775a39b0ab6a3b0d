//! Offline play in a real browser: the page and its pack are kept by the service worker and
//! IndexedDB; with the network cut (a TCP proxy the test cuts), /play opens anyway and says
//! so kindly, a child plays two activities, the tab is closed and opened again (nothing is
//! lost), and once the network is back every answer is stored once, the sessions count, and
//! the parent is told.

use diesel::prelude::*;
use serde_json::Value;

use super::actions::{answer, sign_in};
use super::browser::{Browser, Driver};
use super::look::{check, fits_phone_at_200, phone};
use crate::common::proxy::Proxy;
use crate::common::spawn_app;
use studyhub::infra::db::schema::{activity_sessions, answers};

/// Plays `activity` from the offline list to its stars.
async fn play_offline(b: &Browser, activity: &str) {
    b.click(
        &format!("[data-screen=offline] [data-activity={activity}]"),
        None,
    )
    .await;
    loop {
        answer(b, "question").await;
        b.shown("#offline-next", None).await;
        b.click("#offline-next", None).await;
        b.wait_js(
            "the next question or the stars",
            "document.body.dataset.view === 'done' || (document.body.dataset.view === 'question' && !document.querySelector('#offline-next'))",
        )
        .await;
        if b.js("return document.body.dataset.view").await == "done" {
            break;
        }
    }
    b.wait_text("[data-screen=done]", "Kept on this device")
        .await;
}

#[actix_web::test]
async fn a_child_plays_offline_and_every_answer_is_stored_once_when_back() {
    let Some(driver) = Driver::start("pages::offline").await else {
        return;
    };
    let app = spawn_app().await;
    let proxy = Proxy::start(&format!("127.0.0.1:{}", app.port));
    let (parent, child) = app.parent_with_child("Noa").await;
    let b = driver
        .browser(&format!("http://{}", proxy.addr), "offline")
        .await;
    sign_in(&b, &parent.email, "/play").await;
    b.click("#children .child", Some("Noa")).await;
    b.wait_text("#hello-name", "Noa").await;
    b.wait_js(
        "the service worker controls the page",
        "navigator.serviceWorker.controller !== null",
    )
    .await;
    b.wait_js(
        "the pack is kept",
        "Boolean(document.body.dataset.offlinePack)",
    )
    .await;

    // No network at all: the page comes from the worker and says what it can do.
    proxy.cut();
    b.goto("/play").await;
    b.wait_text("[data-screen=offline] h1", "Playing offline")
        .await;
    b.wait_text("#offline-note", "you can still play").await;
    // axe finds nothing serious on the offline screens; they fit a phone at 200 % text.
    phone(&b).await;
    check(&b, "play-offline").await;
    fits_phone_at_200(&b, "play-offline").await;
    play_offline(&b, "math-addition-1").await;
    check(&b, "play-offline-done").await;
    b.click("[data-screen=done] button", Some("All activities"))
        .await;
    play_offline(&b, "science-space-1").await;

    // The tab closed and opened again, still offline: the page opens, nothing was sent.
    let old = b.c.window().await.unwrap();
    let new = b.c.new_window(true).await.unwrap();
    b.c.switch_to_window(new.handle).await.unwrap();
    b.goto("/play").await;
    b.wait_text("[data-screen=offline] h1", "Playing offline")
        .await;
    b.c.switch_to_window(old).await.unwrap();
    b.c.close_window().await.unwrap();
    let tabs = b.c.windows().await.unwrap();
    b.c.switch_to_window(tabs[0].clone()).await.unwrap();
    let mut conn = studyhub::infra::db::establish(&app.db.url).unwrap();
    let count = |conn: &mut _| -> (i64, i64) {
        let sessions: Vec<String> = activity_sessions::table
            .filter(activity_sessions::learner_id.eq(&child))
            .filter(activity_sessions::offline.eq(true))
            .filter(activity_sessions::status.eq("completed"))
            .select(activity_sessions::id)
            .load(conn)
            .unwrap();
        let stored: i64 = answers::table
            .filter(answers::session_id.eq_any(&sessions))
            .count()
            .get_result(conn)
            .unwrap();
        (sessions.len() as i64, stored)
    };
    assert_eq!(
        count(&mut conn),
        (0, 0),
        "nothing reached the server offline"
    );

    // Back online: the page sends it all and says what the server decided.
    proxy.heal();
    b.goto("/play").await;
    b.wait_text("#catalog-message", "We saved 2 activities")
        .await;
    assert_eq!(count(&mut conn), (2, 14), "two sessions, every answer once");
    // Opened again: nothing is sent twice.
    b.goto("/play").await;
    b.wait_text("#hello-name", "Noa").await;
    b.wait_js(
        "the pack is kept",
        "Boolean(document.body.dataset.offlinePack)",
    )
    .await;
    assert_eq!(count(&mut conn), (2, 14));
    let list = app.get("/v1/notifications", Some(&parent.access)).await;
    let told: Vec<&Value> = list
        .body
        .as_array()
        .or_else(|| list.body["notifications"].as_array())
        .expect("a list of notifications")
        .iter()
        .filter(|n| n["kind"] == "activity_completed" && n["data"]["offline"] == true)
        .collect();
    assert_eq!(told.len(), 2, "{}", list.body);
    b.no_console_errors().await;
}
