//! The family page on a phone (390×844): what needs the parent now at the top with a count in
//! the tab title, answered from there; numbers that follow the server at once (a saved limit,
//! time up, a grant); the week's chart with axes, subjects and the questions missed; narration
//! and volume; renaming (a 100-character name fits, at 200 % text too) and removing a child.
//!
//! With `STUDYHUB_SCREENSHOTS=docs/screenshots` the page with a request at its top is saved as
//! `docs/screenshots/family-request-phone.png` (the README shows it).

use serde_json::{Value, json};

use super::actions::sign_in;
use super::browser::{Browser, Driver};
use super::look::{check_showing, phone};
use crate::common::{TestApp, spawn_app};

/// Axe and the screenshots (`look::check_showing`), then on the phone at normal and 200 %
/// text: nothing wider than the screen, the page never scrolls sideways.
async fn look(b: &Browser, name: &str, top: Option<&str>) {
    check_showing(b, name, top).await;
    phone(b).await;
    for size in ["", "200%"] {
        let overflow = b
            .js_with(
                r#"
                const root = document.documentElement;
                root.style.fontSize = arguments[0];
                const wide = [...document.querySelectorAll('body *')]
                  .filter((el) => el.getBoundingClientRect().right > innerWidth + 1 && el.checkVisibility())
                  .map((el) => el.tagName + '.' + el.className + ' ' + Math.round(el.getBoundingClientRect().right));
                const scroll = root.scrollWidth - innerWidth;
                root.style.fontSize = '';
                return { scroll, wide: wide.slice(0, 5) };
                "#,
                vec![json!(size)],
            )
            .await;
        assert!(
            overflow["scroll"].as_i64().unwrap_or(1) <= 0 && overflow["wide"] == json!([]),
            "{name}: wider than a phone at text size {size:?}: {overflow}"
        );
    }
}

/// Saves the phone's screen as `docs/screenshots/{name}.png` when `STUDYHUB_SCREENSHOTS` names
/// that folder.
async fn keep_screenshot(b: &Browser, name: &str, top: &str) {
    let Some(dir) = std::env::var_os("STUDYHUB_SCREENSHOTS") else {
        return;
    };
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
    std::fs::create_dir_all(&dir).unwrap();
    phone(b).await;
    b.js_with(
        "document.querySelector(arguments[0]).scrollIntoView({block: 'start'}); return true;",
        vec![json!(top)],
    )
    .await;
    let png = b.c.screenshot().await.unwrap();
    std::fs::write(dir.join(format!("{name}.png")), png).unwrap();
}

/// The tab title, once it is `want`.
async fn title_is(b: &Browser, want: &str) {
    b.wait_js(
        &format!("the tab title is {want:?}"),
        &format!("document.title === {}", json!(want)),
    )
    .await;
}

/// Plays math-addition-1 over REST for `child`, the second question answered wrong; returns
/// that question's prompt.
async fn play_one_wrong(app: &TestApp, token: &str, child: &str) -> String {
    let activity = app
        .get("/v1/activities/math-addition-1", Some(token))
        .await
        .body;
    let prompt = activity["questions"][1]["prompt"]
        .as_str()
        .unwrap()
        .to_string();
    let res = app
        .post(
            &format!("/v1/learners/{child}/sessions"),
            Some(token),
            &json!({"activity_id": "math-addition-1"}),
        )
        .await;
    assert_eq!(res.status, awc::http::StatusCode::CREATED, "{}", res.body);
    let sid = res.body["session_id"].as_str().unwrap().to_string();
    let answers: [(&str, Value); 7] = [
        ("q1", json!(7)),
        ("q2", json!("12")),
        ("q3", json!(12)),
        ("q4", json!(true)),
        ("q5", json!("15")),
        ("q6", json!(9)),
        ("q7", json!("sum")),
    ];
    for (i, (q, a)) in answers.into_iter().enumerate() {
        let res = app
            .post(
                &format!("/v1/sessions/{sid}/answers"),
                Some(token),
                &json!({"seq": i + 1, "question_id": q, "answer": a}),
            )
            .await;
        assert_eq!(res.status, awc::http::StatusCode::OK, "{}", res.body);
        assert_eq!(res.body["correct"], q != "q2", "{q}: {}", res.body);
    }
    prompt
}

#[actix_web::test]
async fn a_parent_on_a_phone_sees_what_needs_them_first() {
    let Some(driver) = Driver::start("pages::family_phone").await else {
        return;
    };
    let app = spawn_app().await;
    let parent_account = app.register("parent").await;
    let token = parent_account.access.clone();
    let res = app
        .post(
            "/v1/children",
            Some(&token),
            &json!({"name": "Mia", "age": 7, "interests": ["space"]}),
        )
        .await;
    let child = res.body["id"].as_str().unwrap().to_string();
    let parent = driver.browser(&app.address, "parent").await;
    phone(&parent).await;
    sign_in(&parent, &parent_account.email, "/parent").await;
    parent.wait_text(".child-panel h2", "Mia").await;
    parent
        .wait_text(".child-panel .time-today", "60 minutes left")
        .await;
    parent
        .wait_js(
            "the live feed is open",
            "document.body.dataset.sockParent === 'open'",
        )
        .await;
    title_is(&parent, "Family · studyhub").await;

    // The week: a chart with its axes, the subject played, and the question Mia got wrong.
    let prompt = play_one_wrong(&app, &token, &child).await;
    parent.wait_text(".week .missed", &prompt).await;
    parent.wait_text(".week .missed", "missed once").await;
    parent.wait_text(".week .legend", "Maths").await;
    let axes = parent
        .js("return [...document.querySelectorAll('.week .chart .axis-title')].map((t) => t.textContent)")
        .await;
    assert_eq!(axes, json!(["Minutes", "Day"]));
    let ticks = parent
        .js("return document.querySelectorAll('.week .chart .tick').length")
        .await;
    assert!(
        ticks.as_u64().unwrap() >= 2,
        "the minutes axis has steps: {ticks}"
    );
    let days = parent
        .js("return document.querySelectorAll('.week .chart g').length")
        .await;
    assert_eq!(days, json!(7));

    // Mia asks for more time: it shows at the very top, and the tab title counts it.
    let mut ws = app
        .ws(&format!("/v1/play?learner_id={child}"), &token)
        .await;
    ws.expect("hello").await;
    ws.send(json!({"type": "ask_time", "seconds": 900, "reason": "to finish the planets"}))
        .await;
    ws.expect("time_request").await;
    parent
        .wait_text("#attention .attention-item", "Mia asks for 15 minutes more")
        .await;
    parent
        .wait_text("#attention .attention-item", "to finish the planets")
        .await;
    title_is(&parent, "(1) Family · studyhub").await;
    let first = parent
        .js("return document.querySelector('main').querySelector('section, .card').id")
        .await;
    assert_eq!(
        first,
        json!("attention"),
        "the request is the first thing on the page"
    );
    let top = parent
        .js("return Math.round(document.querySelector('#attention').getBoundingClientRect().top)")
        .await;
    assert!(
        top.as_i64().unwrap() < 300,
        "the request is near the top: {top}"
    );
    keep_screenshot(&parent, "family-request-phone", "body").await;
    look(&parent, "family-request", None).await;

    // A limit of 0 saved: the card says time is up at once, and the top lists it too.
    parent.click(".child-panel summary", Some("Settings")).await;
    parent.fill(".settings-form input[name=limit]", "0").await;
    parent
        .click(".settings-form button[type=submit]", None)
        .await;
    parent.wait_text(".settings-form .saved", "Saved").await;
    parent
        .wait_text(".child-panel .time-today", "Time is up for today")
        .await;
    parent
        .wait_text(
            "#attention .time-up",
            "Mia has used all of today’s screen time",
        )
        .await;
    title_is(&parent, "(2) Family · studyhub").await;

    // Yes, from the top: the request goes, the time is back on the card, nothing is left.
    parent
        .click("#attention .request button", Some("Yes, 15 minutes"))
        .await;
    parent
        .wait_text(".child-panel .time-today", "15 minutes left")
        .await;
    parent
        .wait_js(
            "nothing needs the parent",
            "document.querySelector('#attention').hidden",
        )
        .await;
    title_is(&parent, "Family · studyhub").await;
    parent
        .wait_text("#notifications", "You gave 15 minutes more")
        .await;

    // A new limit shows on the card at once (30 minutes and the 15 given today).
    phone(&parent).await;
    parent.fill(".settings-form input[name=limit]", "30").await;
    parent
        .click(".settings-form button[type=submit]", None)
        .await;
    parent
        .wait_text(".child-panel .time-today", "of 45 minutes")
        .await;

    // Narration off, volume 40 %: saved, and there after a reload.
    parent
        .js(r#"
            const form = document.querySelector('.settings-form');
            form.querySelector('[name=narration]').checked = false;
            const volume = form.querySelector('[name=volume]');
            volume.value = '40';
            volume.dispatchEvent(new Event('input'));
            return true;
        "#)
        .await;
    parent
        .wait_text(".settings-form .volume-value", "40 %")
        .await;
    parent
        .click(".settings-form button[type=submit]", None)
        .await;
    parent.wait_text(".settings-form .saved", "Saved").await;
    let settings = app
        .get(&format!("/v1/children/{child}/settings"), Some(&token))
        .await
        .body;
    assert_eq!(settings["narration_enabled"], false, "{settings}");
    assert!(
        (settings["volume"].as_f64().unwrap() - 0.4).abs() < 1e-9,
        "{settings}"
    );
    assert_eq!(settings["daily_time_limit_seconds"], 1800, "{settings}");
    parent.goto("/parent").await;
    parent.click(".child-panel summary", Some("Settings")).await;
    parent
        .wait_text(".settings-form .volume-value", "40 %")
        .await;
    let narration = parent
        .js("return document.querySelector('.settings-form [name=narration]').checked")
        .await;
    assert_eq!(narration, json!(false));

    // Renamed, with the longest name there may be: the page still fits the phone.
    phone(&parent).await;
    parent
        .click(".child-panel summary", Some("Name and profile"))
        .await;
    let long = format!("Mia {}", "Rosalind".repeat(13))
        .chars()
        .take(100)
        .collect::<String>();
    assert_eq!(long.chars().count(), 100);
    parent.fill(".profile-form input[name=name]", &long).await;
    parent
        .click(".profile-form button[type=submit]", None)
        .await;
    parent.wait_text(".profile-form .success", "Saved").await;
    parent.wait_text(".child-panel h2", &long[..40]).await;
    // "Play on this device" says the new name too (redrawn, no reload).
    parent.wait_text("#device .play-here", &long[..40]).await;
    let stored = app
        .get(&format!("/v1/children/{child}"), Some(&token))
        .await
        .body;
    assert_eq!(stored["name"], long.as_str());
    look(&parent, "family-long-name", Some(".child-panel")).await;

    // Removing asks first; "Keep" keeps, the red button removes.
    phone(&parent).await;
    parent
        .click(".profile-box button.danger-outline", Some("Remove"))
        .await;
    parent
        .wait_text(".confirm-remove[open] h2", "Remove Mia")
        .await;
    look(&parent, "family-remove", None).await;
    parent.click(".confirm-remove button.keep", None).await;
    parent
        .wait_js(
            "the dialog closed",
            "!document.querySelector('.confirm-remove[open]')",
        )
        .await;
    parent
        .click(".profile-box button.danger-outline", Some("Remove"))
        .await;
    parent.click(".confirm-remove button.danger", None).await;
    parent
        .wait_js(
            "the card is gone",
            "!document.querySelector('.child-panel')",
        )
        .await;
    parent.wait_text("#no-children", "first child").await;
    parent
        .wait_js(
            "no hand-over button for the removed child",
            "!document.querySelector('#device .play-here') && Boolean(document.querySelector('#device #device-children'))",
        )
        .await;
    let left = app.get("/v1/children", Some(&token)).await.body;
    assert_eq!(left, json!([]));
    parent.no_console_errors().await;
    parent.quit().await;
}
