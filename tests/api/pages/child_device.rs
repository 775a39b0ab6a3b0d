//! A child's device on a phone: the parent sets a PIN and presses "Play on this device"; the
//! two ways round the limit that used to work (Back to the family page, and "Switch child")
//! now end at the PIN; a wrong PIN is refused and the right one gets the parent back. Once
//! the child's time is up the child asks for more from the time-up screen, and the parent's
//! approval (over the API, as from another device) brings the child back without a reload,
//! also when the page was reloaded while the request waited.

use serde_json::{Value, json};

use super::actions::sign_in;
use super::browser::{Browser, Driver};
use super::look::{check, phone};
use crate::common::{TEST_PASSWORD, spawn_app};

/// At a phone's width with text at 200 %, `css` (one of this page's new parts) fits the
/// screen: nothing scrolls sideways.
async fn fits_at_200(b: &Browser, css: &str) {
    phone(b).await;
    b.js("document.documentElement.style.fontSize = '200%'; return true;")
        .await;
    b.wait_js(
        &format!("{css} within 390 px at 200 % text"),
        &format!(
            "(() => {{ const s = document.querySelector('{css}'); \
              return s && s.scrollWidth <= s.clientWidth + 1 && s.getBoundingClientRect().right <= innerWidth + 1; }})()"
        ),
    )
    .await;
    b.js("document.documentElement.style.fontSize = ''; return true;")
        .await;
}

/// On the family page: hands the device over to `name` and waits for the child's play page.
async fn hand_over(b: &Browser, name: &str) {
    b.click("#device .play-here", Some(name)).await;
    b.until("/play after handing the device over", || async {
        b.path().await == "/play"
    })
    .await;
    b.wait_text("#hello-name", name).await;
}

#[actix_web::test]
async fn a_childs_device_stays_the_childs_until_a_grown_up_unlocks_it() {
    let Some(driver) = Driver::start("pages::child_device").await else {
        return;
    };
    let app = spawn_app().await;
    let parent = app.register("parent").await;
    // A long name too (99 characters): the hand-over buttons wrap it. (The family page's
    // own panels with a name without spaces are another test's.)
    let long = ["Wilhelmina"; 9].join(" ");
    for (name, age) in [("Mia", 6), ("Leo", 9), (long.as_str(), 8)] {
        let res = app
            .post(
                "/v1/children",
                Some(&parent.access),
                &json!({"name": name, "age": age}),
            )
            .await;
        assert!(res.status.is_success(), "{}", res.body);
    }
    let leo = app.get("/v1/children", Some(&parent.access)).await.body;
    let leo = leo
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "Leo")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();

    let b = driver.browser(&app.address, "phone").await;
    phone(&b).await;
    sign_in(&b, &parent.email, "/parent").await;

    // The PIN, set on the family page.
    b.shown("#device .play-here", Some("Mia")).await;
    b.fill("#new-pin", "2468").await;
    b.fill("#pin-password", TEST_PASSWORD).await;
    b.click("#pin-set button[type=submit]", None).await;
    b.wait_text("#pin-saved", "saved").await;
    check(&b, "family-device").await;
    fits_at_200(&b, "#device").await;

    // "Play on this device": Mia's, with no way to switch or sign out.
    hand_over(&b, "Mia").await;
    let none = b
        .js("return ['#switch-child', '#sign-out'].every(s => !document.querySelector(s))")
        .await;
    assert_eq!(none, Value::Bool(true), "no switching or signing out");
    b.shown("#grown-ups", None).await;
    check(&b, "play-child-device").await;
    phone(&b).await;

    // Way round 1: Back. The family page does not open; it asks for the PIN.
    // Handing over replaced the family page in the history, so Back lands on the page
    // before it (the sign-in page, which sends a signed-in device on to its `next`, the
    // family page, which asks for the PIN); opened by address, the family page asks too.
    b.c.back().await.unwrap();
    b.until("Back leaves /play", || async { b.path().await != "/play" })
        .await;
    b.wait_js(
        "the sign-in page or the PIN gate",
        "Boolean(document.querySelector('.device-gate') || document.querySelector('#signin:not([hidden])'))",
    )
    .await;
    let usable = b
        .js("return Boolean(document.querySelector('.child-panel, #add-child, #device'))")
        .await;
    assert_eq!(usable, Value::Bool(false), "Back shows no family page");
    b.goto("/parent").await;
    b.shown(".device-gate", None).await;
    let family_shown = b
        .js("return Boolean(document.querySelector('.child-panel, #add-child, #device'))")
        .await;
    assert_eq!(
        family_shown,
        Value::Bool(false),
        "nothing of the family page"
    );
    check(&b, "device-gate").await;
    fits_at_200(&b, ".device-gate").await;

    // Way round 2: another child. Asking for Leo still plays as Mia, and the server refuses
    // Leo's socket to this device.
    b.goto(&format!("/play?child={leo}")).await;
    b.wait_text("#hello-name", "Mia").await;
    let refused = b
        .js_with(
            "return fetch('/v1/realtime/tickets', {method: 'POST', credentials: 'same-origin', \
             headers: {'Content-Type': 'application/json'}, body: JSON.stringify({learner_id: arguments[0]})}) \
             .then(r => r.status)",
            vec![json!(leo)],
        )
        .await;
    assert_ne!(refused, json!(201), "no ticket for Leo");
    // A reload stays Mia's (the refresh cookie is the device's).
    b.goto("/play").await;
    b.wait_text("#hello-name", "Mia").await;

    // The grown-ups' button: a wrong PIN is refused, the right one opens the family page.
    b.click("#grown-ups", None).await;
    b.fill("#pin-input", "1111").await;
    b.click("#pin-form button[type=submit]", None).await;
    b.wait_text("#pin-error", "not right").await;
    check(&b, "device-pin").await;
    fits_at_200(&b, "#pin-dialog").await;
    b.fill("#pin-input", "2468").await;
    b.click("#pin-form button[type=submit]", None).await;
    b.until("the family page after the PIN", || async {
        b.path().await == "/parent"
    })
    .await;
    b.shown("#device .play-here", Some("Leo")).await;
    b.shown("#sign-out", None).await;
    b.no_console_errors().await;
    b.quit().await;
}

#[actix_web::test]
async fn a_child_whose_time_is_up_asks_and_plays_again_once_a_grown_up_says_yes() {
    let Some(driver) = Driver::start("pages::child_device").await else {
        return;
    };
    let app = spawn_app().await;
    let parent = app.register("parent").await;
    let res = app
        .post(
            "/v1/children",
            Some(&parent.access),
            &json!({"name": "Mia", "age": 6}),
        )
        .await;
    let mia = res.body["id"].as_str().unwrap().to_string();
    let res = app
        .put(
            &format!("/v1/children/{mia}/settings"),
            Some(&parent.access),
            &json!({"daily_time_limit_seconds": 0}),
        )
        .await;
    assert!(res.status.is_success(), "{}", res.body);

    let b = driver.browser(&app.address, "phone").await;
    phone(&b).await;
    sign_in(&b, &parent.email, "/parent").await;
    b.click("#device .play-here", Some("Mia")).await;
    b.wait_text("[data-screen=timeup] h1", "all for today")
        .await;

    // Asked from the time-up screen (the socket is closed: over REST).
    b.click("#ask-more", None).await;
    b.click("#ask-dialog label.choice", Some("30")).await;
    b.click("#ask-form button[type=submit]", None).await;
    b.wait_text("#ask-more-status", "We asked").await;
    check(&b, "play-timeup-asked").await;
    phone(&b).await;

    // A reload on the time-up screen keeps the request: still "We asked", not the button.
    b.goto("/play").await;
    b.wait_text("[data-screen=timeup] h1", "all for today")
        .await;
    b.wait_text("#ask-more-status", "We asked").await;
    let button_hidden = b
        .js("return document.querySelector('#ask-more').hidden")
        .await;
    assert_eq!(button_hidden, json!(true), "no second ask after a reload");
    // Asking again anyway (the button shown, as in another tab): the server refuses a
    // second request (409 `time_request_pending`), and the page says "We asked", no error.
    b.js("document.querySelector('#ask-more').hidden = false; \
         document.querySelector('#ask-more-status').textContent = ''; return true")
        .await;
    b.click("#ask-more", None).await;
    b.click("#ask-dialog label.choice", Some("15")).await;
    b.click("#ask-form button[type=submit]", None).await;
    b.wait_text("#ask-more-status", "We asked").await;

    // A mark on this page: gone if it reloads.
    b.js("window.stillHere = true; return true").await;

    // The parent says yes elsewhere (the API, as the family page on another phone does).
    let mut request = None;
    for _ in 0..10_000 {
        let list = app
            .get("/v1/notifications", Some(&parent.access))
            .await
            .body;
        request = list["notifications"]
            .as_array()
            .and_then(|l| l.iter().find(|n| n["kind"] == "time_request"))
            .map(|n| n["data"]["request_id"].as_str().unwrap().to_string());
        if request.is_some() {
            break;
        }
        actix_web::rt::task::yield_now().await;
    }
    let request = request.expect("the parent is told");
    let res = app
        .post(
            &format!("/v1/time-requests/{request}"),
            Some(&parent.access),
            &json!({"approve": true}),
        )
        .await;
    assert!(res.status.is_success(), "{}", res.body);

    // Back to playing, no reload.
    b.wait_js(
        "the catalog again",
        "document.body.dataset.view === 'catalog'",
    )
    .await;
    b.wait_text("#time-left", "minutes left").await;
    assert_eq!(b.js("return window.stillHere === true").await, json!(true));
    b.no_console_errors().await;
    b.quit().await;
}
