//! Web Push on the pages, in headless Chromium, as far as it goes: the family page's
//! "Get notifications on this device" registers the root service worker (`/sw.js`, scope
//! `/`), asks the permission (granted in the profile) and the server's key, and calls
//! `pushManager.subscribe`, which headless Chromium never completes (it has no push service
//! to register with). So the subscription itself is made at the protocol level, with a test
//! key pair, and what the server pushes to it is decrypted and handed to the real service
//! worker through DevTools (`ServiceWorker.deliverPushMessage`): the notification it shows
//! carries the approve and deny actions. The answer the worker sends on a click is the
//! page's own cookie-signed call, made here from the page (DevTools cannot click a
//! notification's button).

use serde_json::{Value, json};

use super::actions::sign_in;
use super::browser::{Browser, Driver};
use crate::child_device::hand_over;
use crate::common::spawn_app_with;
use crate::push::{Answer, Browser as Keys, Receiver, subscribe};

const NOTIFICATIONS_ALLOWED: &str = "profile.default_content_setting_values.notifications";

async fn worker_active(b: &Browser) {
    b.until("the root service worker is active at scope /", || async {
        b.js("return navigator.serviceWorker.getRegistration('/')\
              .then((r) => Boolean(r && r.active && r.scope === location.origin + '/' \
                && r.active.scriptURL === location.origin + '/sw.js'))")
            .await
            == json!(true)
    })
    .await;
}

/// The notifications the service worker shows, as `[title, body, actions, data]`.
async fn shown(b: &Browser) -> Vec<Value> {
    let v = b
        .js(
            "return navigator.serviceWorker.ready.then((r) => r.getNotifications())\
             .then((l) => l.map((n) => ({title: n.title, body: n.body, \
               actions: n.actions.map((a) => a.action), data: n.data, \
               sticky: n.requireInteraction})))",
        )
        .await;
    v.as_array().cloned().unwrap_or_default()
}

#[actix_web::test]
async fn the_family_page_opts_in_and_its_worker_shows_a_request_with_its_answers() {
    let Some(driver) = Driver::start("pages::push_optin").await else {
        return;
    };
    let app = spawn_app_with(|c| c.push_allow_insecure = true).await;
    let mut receiver = Receiver::start(Answer::Created).await;
    let (parent, child) = app.parent_with_child("Mia").await;
    let prefs = json!({ NOTIFICATIONS_ALLOWED: 1 });
    let b = driver
        .browser_with_prefs(&app.address, "parent", prefs.clone())
        .await;
    sign_in(&b, &parent.email, "/parent").await;

    // The opt-in, off; the root worker registered at `/`.
    b.shown("#push-toggle", Some("Get notifications on this device"))
        .await;
    b.wait_text("#push-status", "Off").await;
    worker_active(&b).await;
    // On: permission (granted by the profile), the server's key, then the browser's
    // subscribe, which headless Chromium leaves pending (the button waits, disabled).
    b.click("#push-toggle", None).await;
    b.wait_js(
        "the page asked for the server's key",
        "performance.getEntriesByType('resource').some((e) => e.name.endsWith('/v1/push/key'))",
    )
    .await;
    assert_eq!(b.js("return Notification.permission").await, "granted");
    assert_eq!(
        b.js("return document.querySelector('#push-toggle').disabled")
            .await,
        true
    );

    // The protocol level: a subscription with the test's keys; the child asks for time.
    let keys = Keys::new();
    let endpoint = format!("{}/push/mia-parent", receiver.origin);
    let res = subscribe(&app, &parent.access, &keys.subscription(&endpoint)).await;
    assert_eq!(res.status.as_u16(), 201, "{}", res.body);
    let (device, _) = hand_over(&app, &parent, &child).await;
    let res = app
        .post(
            &format!("/v1/learners/{child}/time-requests"),
            Some(&device),
            &json!({"seconds": 600, "reason": "one more song"}),
        )
        .await;
    assert_eq!(res.status.as_u16(), 201, "{}", res.body);
    let request_id = res.body["request_id"].as_str().unwrap().to_string();
    // What the push service would hand the browser, decrypted as the browser would.
    let payload = keys.decrypt_text(&receiver.next().await);

    // The real worker shows it, with approve and deny. DevTools names the worker by its
    // registration's id, which it does not tell: the profile is new, so it is one of the
    // first few; a push delivered twice is shown once (the same tag).
    b.cdp("ServiceWorker.enable", json!({})).await;
    let tries = std::cell::Cell::new(0u32);
    b.until("the worker shows the push", || async {
        if tries.replace(tries.get() + 1).is_multiple_of(10) {
            for id in ["0", "1", "2", "3"] {
                b.cdp(
                    "ServiceWorker.deliverPushMessage",
                    json!({"origin": app.address, "registrationId": id, "data": payload}),
                )
                .await;
            }
        }
        !shown(&b).await.is_empty()
    })
    .await;
    let notes = shown(&b).await;
    let note = &notes[0];
    assert_eq!(note["body"], "one more song", "{note}");
    assert!(note["title"].as_str().unwrap().contains("Mia"), "{note}");
    assert_eq!(note["actions"], json!(["approve", "deny"]));
    assert_eq!(note["sticky"], true, "a request waits for the parent");
    let answer_url = note["data"]["answer_url"].as_str().unwrap().to_string();
    assert_eq!(answer_url, format!("/v1/time-requests/{request_id}"));

    // "Approve": the worker's call, signed by the page's cookies; the page hears the answer.
    let status = b
        .js_with(
            "return fetch(arguments[0], {method: 'POST', credentials: 'same-origin', \
             headers: {'Content-Type': 'application/json'}, body: JSON.stringify({approve: true})})\
             .then((r) => r.status)",
            vec![json!(answer_url)],
        )
        .await;
    assert_eq!(status, 200);
    let status = app
        .get(
            &format!("/v1/learners/{child}/time-requests/{request_id}"),
            Some(&device),
        )
        .await;
    assert_eq!(status.body["status"], "approved");
    b.wait_text("#notifications", "You gave 10 minutes more")
        .await;

    // The teacher's page offers the same.
    let teacher = app.register("teacher").await;
    let t = driver
        .browser_with_prefs(&app.address, "teacher", prefs)
        .await;
    sign_in(&t, &teacher.email, "/teacher").await;
    t.shown("#push-toggle", Some("Get notifications on this device"))
        .await;
    worker_active(&t).await;
    t.quit().await;
    b.quit().await;
}
