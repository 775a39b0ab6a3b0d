//! A child plays on a phone (390×844): a wrong answer shows the child's choice and the right
//! one, in words; a second try that is right moves on while accuracy keeps the first answer, and
//! a reload before the second try keeps it due;
//! the stars land on the activity's card; the badges page lists the badge won and the points;
//! the quiet-time screen says when in a child's words. Also the cases of `child-time.js`, run
//! in the browser (the pages' modules have no other test runner).

use chrono::{Duration, Timelike, Utc};
use serde_json::{Value, json};

use super::actions::{past_intro, sign_in};
use super::browser::{Browser, Driver};
use super::look::{check, fits_phone_at_200, phone};

use crate::common::proxy::Proxy;
use crate::common::{eventually, spawn_app};

/// axe and the screenshots (`look::check`), then back on the phone: it fits at 200 % text.
async fn look(b: &Browser, name: &str) {
    check(b, name).await;
    fits_phone_at_200(b, name).await;
}

/// Types `text` into the question's field and presses Check.
async fn type_answer(b: &Browser, text: &str) {
    b.fill("[data-screen=question] .typed-answer input", text)
        .await;
    b.click("[data-screen=question] .typed-answer button", None)
        .await;
}

/// Waits for question `n` (1-based) on screen.
async fn question(b: &Browser, n: u32) {
    b.wait_text(
        "[data-screen=question] #progress-text",
        &format!("Question {n} of"),
    )
    .await;
}

const RETRY: &str = "[data-screen=question] .feedback.retry";

#[actix_web::test]
async fn a_child_sees_both_answers_tries_again_and_finds_stars_and_badges() {
    let Some(driver) = Driver::start("pages::kid").await else {
        return;
    };
    let app = spawn_app().await;
    // Through a proxy the test can cut: a second try may be sent while offline.
    let proxy = Proxy::start(&format!("127.0.0.1:{}", app.port));
    let (parent, child) = app.parent_with_child("Mia").await;
    let b = driver
        .browser(&format!("http://{}", proxy.addr), "kid")
        .await;
    sign_in(&b, &parent.email, "/play").await;
    phone(&b).await;
    b.click("#children .child", Some("Mia")).await;
    b.wait_text("#hello-name", "Mia").await;
    // No stars before anything was played.
    let card = "#catalog [data-activity=math-addition-1]";
    b.wait_text(&format!("{card} .card-stars"), "No stars yet")
        .await;
    b.click(card, None).await;
    past_intro(&b).await;

    // 1 (a number, 7): 6 is wrong, and there is one more try; 7 is right and moves on, even
    // sent while the network is gone (it goes again on reconnecting, and the first answer's
    // feedback coming again does not undo it).
    question(&b, 1).await;
    type_answer(&b, "6").await;
    b.wait_text(RETRY, "Have another go").await;
    b.wait_text(RETRY, "You said: 6").await;
    look(&b, "kid-retry").await;
    assert_eq!(
        b.js("return document.activeElement.matches('.typed-answer input') && !document.activeElement.disabled")
            .await,
        json!(true),
        "the field is open again, with the focus"
    );
    proxy.cut();
    b.wait_js(
        "the play socket is offline",
        "document.body.dataset.sockPlay === 'offline'",
    )
    .await;
    type_answer(&b, "7").await;
    b.wait_text("[data-screen=question] .feedback", "Checking")
        .await;
    proxy.heal();
    b.wait_text("[data-screen=question] .feedback.right", "right")
        .await;
    b.wait_js(
        "the play socket is open again",
        "document.body.dataset.sockPlay === 'open'",
    )
    .await;
    b.click("#next", None).await;

    // 2 (four choices, 13): two wrong tries; then the child's choice and the right answer are
    // both marked, in words, and the other choices are not.
    question(&b, 2).await;
    b.click(
        "[data-screen=question] .answer:not([data-value='13'])",
        None,
    )
    .await;
    b.wait_text(RETRY, "another go").await;
    let first = b
        .js("const m = document.querySelector('.answer.mine'); return [m.dataset.value, m.disabled, m.textContent.includes('Your answer'), document.querySelectorAll('.answer:not(:disabled)').length]")
        .await;
    assert_eq!(first[1], json!(true), "{first}");
    assert_eq!(first[2], json!(true), "{first}");
    assert_eq!(first[3], json!(3), "the other three open again: {first}");
    b.click(
        "[data-screen=question] .answer:not(:disabled):not([data-value='13'])",
        None,
    )
    .await;
    b.wait_text("[data-screen=question] .feedback.wrong", "The answer is 13")
        .await;
    let marks = b
        .js("return [...document.querySelectorAll('[data-screen=question] .answer')].map((a) => [a.dataset.value, [...a.classList].filter((c) => c !== 'answer').sort().join(' '), a.querySelector('.answer-tag')?.textContent ?? ''])")
        .await;
    let marked: Vec<&Value> = marks
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m[1] != "")
        .collect();
    assert_eq!(marked.len(), 2, "the child's and the right one: {marks}");
    assert!(
        marked
            .iter()
            .any(|m| m[0] == "13" && m[1] == "is-right" && m[2] == "✓ Right answer"),
        "{marks}"
    );
    assert!(
        marked
            .iter()
            .any(|m| m[0] != "13" && m[1] == "is-wrong mine" && m[2] == "✗ Your answer"),
        "{marks}"
    );
    look(&b, "kid-wrong-answer").await;
    b.click("#next", None).await;

    // 3 (12): 11 is wrong; the page is reloaded before the second try. Carrying on, the
    // question comes back with its one more try still due, and 12 moves on.
    question(&b, 3).await;
    type_answer(&b, "11").await;
    b.wait_text(RETRY, "Have another go").await;
    b.c.refresh().await.unwrap();
    phone(&b).await;
    b.click("#continue button", None).await;
    question(&b, 3).await;
    b.wait_text(RETRY, "Have another go").await;
    assert!(
        b.find_shown("[data-screen=question] .said", None)
            .await
            .is_none(),
        "what was said before the reload is not known any more"
    );
    type_answer(&b, "12").await;
    b.wait_text("[data-screen=question] .feedback.right", "right")
        .await;
    b.click("#next", None).await;

    // 4 (true/false, true): no second try with two choices; both are shown.
    question(&b, 4).await;
    b.click("[data-screen=question] .answer[data-value='false']", None)
        .await;
    b.wait_text(
        "[data-screen=question] .feedback.wrong",
        "The answer is True",
    )
    .await;
    b.wait_text(
        "[data-screen=question] .answer.is-wrong.mine[data-value='false']",
        "Your answer",
    )
    .await;
    b.wait_text(
        "[data-screen=question] .answer.is-right[data-value='true']",
        "Right answer",
    )
    .await;
    b.click("#next", None).await;

    // 5 (15) and 6 (9) right.
    question(&b, 5).await;
    b.click("[data-screen=question] .answer[data-value='15']", None)
        .await;
    b.click("#next", None).await;
    question(&b, 6).await;
    type_answer(&b, "9").await;
    b.click("#next", None).await;

    // 7, the last (text, "sum"): its first answer completes the session, so it is final.
    question(&b, 7).await;
    type_answer(&b, "add").await;
    b.wait_text("[data-screen=question] .feedback.wrong", "You said: add")
        .await;
    b.wait_text(
        "[data-screen=question] .feedback.wrong",
        "The answer is sum",
    )
    .await;
    assert!(b.find_shown(RETRY, None).await.is_none());
    b.click("#next", Some("stars")).await;

    // First answers: 2 of 7 right, whatever the second tries did.
    b.wait_text("[data-screen=done] .score", "2 of 7 right (29%)")
        .await;
    let url = format!("/v1/learners/{child}/progress");
    eventually(1000, || async {
        app.get(&url, Some(&parent.access)).await.body["activities_completed"] == 1
    })
    .await;
    let p = app.get(&url, Some(&parent.access)).await.body;
    assert_eq!(p["questions_answered"], 7, "{p}");
    assert_eq!(p["questions_correct"], 2, "{p}");
    assert!(
        (p["average_accuracy"].as_f64().unwrap() - 200.0 / 7.0).abs() < 1e-9,
        "{p}"
    );
    assert_eq!(p["best_stars"], json!({"math-addition-1": 1}), "{p}");
    // Ten answers stored (three second tries), each once.
    let export = app.get("/v1/me/export", Some(&parent.access)).await.body;
    let learner = export["learners"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["learner"]["id"] == child.as_str())
        .unwrap();
    let answers = learner["sessions"][0]["answers"].as_array().unwrap();
    assert_eq!(answers.len(), 10, "{answers:?}");

    // The star is on the card, now and after a reload (from the server).
    b.wait_text("#celebration", "First Steps").await;
    b.click("#celebration-close", None).await;
    b.click("[data-screen=done] button", Some("All activities"))
        .await;
    b.wait_text(&format!("{card} .card-stars"), "1 of 3 stars")
        .await;
    look(&b, "kid-catalog-stars").await;
    b.goto("/play").await;
    phone(&b).await;
    b.wait_text(&format!("{card} .card-stars"), "1 of 3 stars")
        .await;
    assert_eq!(
        b.js(&format!(
            "return document.querySelectorAll('{card} .card-stars .star.on').length"
        ))
        .await,
        json!(1)
    );

    // The badges page: the badge won today, the points, and what is still to win.
    let points = 10 + 10; // one star, and First Steps' reward
    eventually(1000, || async {
        app.get(&url, Some(&parent.access)).await.body["points"] == points
    })
    .await;
    b.click("#badges-link", None).await;
    b.wait_text("#badges-won [data-achievement=first-steps]", "First Steps")
        .await;
    b.wait_text("#badges-won [data-achievement=first-steps]", "Won today")
        .await;
    b.wait_text("#points-total", &format!("{points} points"))
        .await;
    b.wait_text(
        "#badges-to-win [data-achievement=high-five]",
        "Complete 5 activities",
    )
    .await;
    assert_eq!(
        b.js("return document.querySelector('#badges-link').getAttribute('aria-current')")
            .await,
        json!("page")
    );
    look(&b, "kid-badges").await;
    b.click("[data-screen=badges] a.back", None).await;
    b.shown("#catalog .activity", None).await;

    // A quiet time until the next full hour at least an hour away: said on a clock face.
    let now = Utc::now();
    let end = (now + Duration::hours(2))
        .with_minute(0)
        .unwrap()
        .with_second(0)
        .unwrap();
    let every = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
    let window = json!({"days": every, "start": (now - Duration::hours(1)).format("%H:%M").to_string(), "end": end.format("%H:%M").to_string()});
    let res = app
        .put(
            &format!("/v1/children/{child}/settings"),
            Some(&parent.access),
            &json!({"downtime": [window]}),
        )
        .await;
    assert!(res.status.is_success(), "{}", res.body);
    b.wait_text("[data-screen=downtime] h1", "break").await;
    let face = match end.hour() % 12 {
        0 => 12,
        h => h,
    };
    b.wait_text("#downtime-until", &format!("at {face} o’clock"))
        .await;
    let said = b.text("#downtime-until").await;
    assert!(!said.contains(':'), "a clock face, not digits: {said}");
    look(&b, "kid-downtime").await;
    b.no_console_errors().await;
    b.quit().await;
}

/// `child-time.js`, case by case, at a fixed "now" (Sunday 6 December 2026, 15:10 UTC).
#[actix_web::test]
async fn times_are_said_the_way_a_child_understands() {
    let Some(driver) = Driver::start("pages::kid").await else {
        return;
    };
    let app = spawn_app().await;
    let b = driver.browser(&app.address, "kid-time").await;
    b.goto("/").await;
    let said = b
        .js(r#"
            const src = document.querySelector('script[type=module]').src.replace(/js\/[^/]+$/, 'js/child-time.js');
            return import(src).then(({ childTime, childDay }) => {
              const now = new Date('2026-12-06T15:10:00Z');
              const at = (iso, timeZone = 'UTC') => childTime(iso, { now, timeZone });
              return {
                dinner: at('2026-12-06T18:00:00Z'),
                night: at('2026-12-06T22:00:00Z'),
                afternoon: at('2026-12-06T16:45:00Z'),
                quarter: at('2026-12-06T19:15:00Z'),
                minutes: at('2026-12-06T15:30:00Z'),
                soon: at('2026-12-06T15:10:30Z'),
                morning: at('2026-12-07T07:30:00Z'),
                midnight: at('2026-12-07T00:30:00Z'),
                odd: at('2026-12-07T07:20:00Z'),
                weekday: at('2026-12-09T09:00:00Z'),
                far: at('2026-12-24T08:00:00Z'),
                kolkata: at('2026-12-07T12:30:00Z', 'Asia/Kolkata'),
                utc_same: at('2026-12-07T12:30:00Z'),
                bad_zone: typeof at('2026-12-06T18:00:00Z', 'Not/AZone'),
                nonsense: at('not a time'),
                today: childDay('2026-12-06T09:00:00Z', { now, timeZone: 'UTC' }),
                yesterday: childDay('2026-12-05T20:00:00Z', { now, timeZone: 'UTC' }),
                monday: childDay('2026-11-30T20:00:00Z', { now, timeZone: 'UTC' }),
              };
            });
        "#)
        .await;
    assert_eq!(
        said,
        json!({
            "dinner": "after dinner, at 6 o’clock",
            "night": "tonight, at 10 o’clock",
            "afternoon": "this afternoon, at quarter to 5",
            "quarter": "after dinner, at quarter past 7",
            "minutes": "in 20 minutes",
            "soon": "very soon",
            "morning": "tomorrow morning, at half past 7",
            "midnight": "tonight, at half past 12",
            "odd": "tomorrow morning, at 7:20",
            "weekday": "on Wednesday morning, at 9 o’clock",
            "far": "on December 24, at 8 o’clock",
            "kolkata": "tomorrow after dinner, at 6 o’clock",
            "utc_same": "tomorrow afternoon, at half past 12",
            "bad_zone": "string",
            "nonsense": "very soon",
            "today": "today",
            "yesterday": "yesterday",
            "monday": "on Monday",
        })
    );
    b.quit().await;
}

/// Several answers to tick: a wrong set gets one more try with the boxes as the child left
/// them; a wrong set again marks each box in words: the child's right and wrong ticks, and the
/// right ones missed.
#[actix_web::test]
async fn ticked_boxes_are_marked_after_a_second_wrong_set() {
    let Some(driver) = Driver::start("pages::kid").await else {
        return;
    };
    let app = spawn_app().await;
    let (parent, _child) = app.parent_with_child("Ben").await;
    let b = driver.browser(&app.address, "kid-picks").await;
    sign_in(&b, &parent.email, "/play").await;
    phone(&b).await;
    b.click("#children .child", Some("Ben")).await;
    b.click("#catalog [data-activity=math-addition-2]", None)
        .await;
    past_intro(&b).await;
    question(&b, 1).await;
    type_answer(&b, "8").await;
    b.click("#next", None).await;
    question(&b, 2).await;
    type_answer(&b, "6").await;
    b.click("#next", None).await;

    // 3: "4 + 5" alone is wrong; the box stays ticked for the child to change.
    question(&b, 3).await;
    let pick = |v: &str| format!(".multi-answer label.pick:has(input[value='{v}'])");
    b.click(&pick("4 + 5"), None).await;
    b.click(".multi-answer button[type=submit]", None).await;
    b.wait_text(RETRY, "Change your choices").await;
    assert_eq!(
        b.js("return [...document.querySelectorAll('.multi-answer input:checked')].map((i) => i.value)")
            .await,
        json!(["4 + 5"])
    );
    // Adding "3 + 7" is still not the set: each box says what it was.
    b.click(&pick("3 + 7"), None).await;
    b.click(".multi-answer button[type=submit]", None).await;
    b.wait_text(
        "[data-screen=question] .feedback.wrong",
        "The answer is 3 + 7, 6 + 4, 5 + 5",
    )
    .await;
    let marks = b
        .js("return Object.fromEntries([...document.querySelectorAll('.multi-answer label.pick')].map((l) => [l.querySelector('input').value, l.querySelector('.answer-tag')?.textContent ?? '']))")
        .await;
    assert_eq!(
        marks,
        json!({
            "3 + 7": "✓ Your answer",
            "4 + 5": "✗ Your answer",
            "6 + 4": "✓ Right answer",
            "8 + 1": "",
            "5 + 5": "✓ Right answer",
        })
    );
    look(&b, "kid-picks-wrong").await;
    b.no_console_errors().await;
    b.quit().await;
}
