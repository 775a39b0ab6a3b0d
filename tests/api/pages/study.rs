//! A student's own study, on a phone (390×844, reduced motion): a teacher makes a class and
//! records an assessment for the student over the API; the student signs in, plays an
//! activity, opens "My study" from the play page's header and reads the grade and the
//! feedback, and their progress (the activity, its subject, the badge); a second
//! assessment arrives live with a toast, without a reload, and a changed one reaches the
//! catalog too; the page holds at 200 % text; the student sets a daily goal of 45 minutes,
//! sees it saved (and the header counting down), then sets no limit again; a goal used up
//! rests play in the student's words, and lifting it from My study lets them play on.

use awc::http::StatusCode;
use serde_json::{Value, json};

use super::actions::{play_to_the_end, sign_in};
use super::browser::Driver;
use super::look::{check, phone};
use crate::common::{Account, TestApp, spawn_app};

async fn assess(app: &TestApp, teacher: &Account, learner: &str, body: Value) -> String {
    let res = app
        .post(
            &format!("/v1/learners/{learner}/assessments"),
            Some(&teacher.access),
            &body,
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    res.body["id"].as_str().unwrap().to_string()
}

async fn goal(app: &TestApp, student: &Account) -> Value {
    let res = app.get("/v1/me/settings", Some(&student.access)).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    res.body["daily_time_limit_seconds"].clone()
}

#[actix_web::test]
async fn a_student_reads_their_grades_live_and_sets_a_daily_goal() {
    let Some(driver) = Driver::start("pages::study").await else {
        return;
    };
    let app = spawn_app().await;

    // Over the API: a teacher's class, the student in it, and a first assessment.
    let teacher = app.register("teacher").await;
    let student = app.register("student").await;
    let class = app
        .post(
            "/v1/classes",
            Some(&teacher.access),
            &json!({"name": "IGCSE Music 10A", "subject": "Music"}),
        )
        .await;
    assert_eq!(class.status, StatusCode::CREATED, "{}", class.body);
    let joined = app
        .post(
            "/v1/classes/join",
            Some(&student.access),
            &json!({"join_code": class.body["join_code"]}),
        )
        .await;
    assert_eq!(joined.status, StatusCode::OK, "{}", joined.body);
    let me = app.get("/v1/auth/me", Some(&student.access)).await;
    let learner = me.body["learner"]["id"].as_str().unwrap().to_string();
    let first = assess(
        &app,
        &teacher,
        &learner,
        json!({"assessment_type": "Mock exam", "component": "listening", "grade": "B",
               "percentage": 68, "feedback": "A good ear for intervals. Revise your cadences."}),
    )
    .await;
    assert_eq!(
        goal(&app, &student).await,
        Value::Null,
        "no limit by default"
    );

    // The student, on a phone that asks for reduced motion, opens their study from play.
    let b = driver.browser(&app.address, "student").await;
    phone(&b).await;
    b.cdp(
        "Emulation.setEmulatedMedia",
        json!({"features": [{"name": "prefers-reduced-motion", "value": "reduce"}]}),
    )
    .await;
    sign_in(&b, &student.email, "/play").await;

    // An activity first, so that there is progress to show.
    b.click("#recommended-card .activity", None).await;
    play_to_the_end(&b).await;
    b.wait_text("#celebration", "First Steps").await;
    b.click("#celebration-close", None).await;
    let progress = format!("/v1/learners/{learner}/progress");
    b.until("the finished activity counts in progress", || async {
        app.get(&progress, Some(&student.access)).await.body["activities_completed"] == 1
    })
    .await;

    b.click("header #study-link", Some("My study")).await;
    b.wait_text("#study-title", "My study").await;
    assert_eq!(b.path().await, "/play");
    let card = "#grades .grade-card";
    b.wait_text(card, "Listening").await;
    let shown = b.text(card).await;
    for want in [
        "Mock exam",
        "68%",
        "A good ear for intervals. Revise your cadences.",
    ] {
        assert!(shown.contains(want), "{want} in {shown}");
    }
    assert_eq!(
        b.js("return document.querySelector('#grades .grade-mark').textContent")
            .await,
        "Grade B"
    );
    b.wait_text("#progress-box [data-stat=activities] .stat-value", "1")
        .await;
    b.shown("#progress-box .subjects li", None).await;
    b.wait_text("#progress-box .study-badges", "First Steps")
        .await;
    b.shown("#progress-box svg.chart", None).await;
    b.wait_js(
        "no limit is chosen",
        "document.querySelector('#goal-form input[value=none]').checked && document.querySelector('#goal-minutes').disabled",
    )
    .await;
    assert!(
        b.find_shown("#time-left", None).await.is_none(),
        "no limit, no countdown"
    );
    check(&b, "study").await;
    phone(&b).await;

    // The teacher records a second one: it arrives while the page is open, newest first.
    b.wait_js(
        "the play socket is open",
        "document.body.dataset.sockPlay === 'open'",
    )
    .await;
    b.js("window.sameDocument = true; return true;").await;
    assess(
        &app,
        &teacher,
        &learner,
        json!({"assessment_type": "Coursework", "component": "composing", "grade": "A",
               "percentage": 81, "feedback": "A strong melody; the modulation works well."}),
    )
    .await;
    b.wait_text("#toast", "New grade from your teacher").await;
    b.wait_text("#toast", "Composing: A (81%)").await;
    b.wait_text(
        "#grades .grade-card:first-child",
        "A strong melody; the modulation works well.",
    )
    .await;
    b.wait_text("#grades .grade-card:first-child .pill", "New")
        .await;
    assert_eq!(
        b.js("return document.querySelectorAll('#grades .grade-card').length")
            .await,
        2
    );
    assert_eq!(
        b.js("return window.sameDocument === true").await,
        true,
        "no reload"
    );
    assert_eq!(
        b.js("return getComputedStyle(document.querySelector('#toast')).animationName")
            .await,
        "none",
        "reduced motion: the toast does not move"
    );
    check(&b, "study-live").await;
    phone(&b).await;

    // At 200 % text on the phone nothing runs off the side.
    b.js("document.documentElement.style.fontSize = '200%'; return true;")
        .await;
    let wide = b
        .js(r#"
            const width = document.documentElement.clientWidth;
            return [...document.querySelectorAll('body *')]
              .filter((e) => e.getClientRects().length && e.getBoundingClientRect().right > width + 1)
              .map((e) => `${e.tagName.toLowerCase()}#${e.id}.${e.className}`);
        "#)
        .await;
    assert_eq!(wide, json!([]), "wider than the phone at 200 % text");
    assert_eq!(
        b.js("return document.documentElement.scrollWidth <= innerWidth")
            .await,
        true
    );
    check(&b, "study-text-200").await;
    phone(&b).await;
    b.js("document.documentElement.style.fontSize = ''; return true;")
        .await;
    b.click("#toast-close", None).await;
    assert!(b.find_shown("#toast", None).await.is_none());

    // Back at the activities, a changed grade reaches play too, and "See it" leads to it.
    b.click("#main a.back", None).await;
    b.shown("#catalog .activity", None).await;
    let res = app
        .put(
            &format!("/v1/assessments/{first}"),
            Some(&teacher.access),
            &json!({"assessment_type": "Mock exam", "component": "listening", "grade": "A",
                    "percentage": 74, "feedback": "Remarked: your cadences were right."}),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    b.wait_text("#toast", "Your teacher changed a grade").await;
    b.wait_text("#toast", "Listening: A (74%)").await;
    check(&b, "play-grade-toast").await;
    phone(&b).await;
    b.click("#toast-open", Some("See it")).await;
    b.wait_text("#study-title", "My study").await;
    b.wait_text(card, "Remarked: your cadences were right.")
        .await;
    assert!(b.find_shown("#toast", None).await.is_none());

    // A daily goal of 45 minutes: saved, shown as saved, and counting down in the header.
    b.click("#goal-form label.choice", Some("Stop me after"))
        .await;
    b.fill("#goal-minutes", "45").await;
    b.click("#goal-form button[type=submit]", None).await;
    b.wait_text("#goal-saved", "Saved. Your daily goal is 45 minutes.")
        .await;
    assert_eq!(goal(&app, &student).await, json!(2700));
    b.wait_text("#time-left", "minutes left").await;
    assert!(b.find_shown("#goal-form .form-error", None).await.is_none());
    check(&b, "study-goal").await;
    phone(&b).await;

    // No limit again.
    b.click("#goal-form label.choice", Some("No limit")).await;
    assert!(
        b.find_shown("#goal-saved", None).await.is_none(),
        "an edit clears the old message"
    );
    b.click("#goal-form button[type=submit]", None).await;
    b.wait_text("#goal-saved", "Saved. You have no daily limit.")
        .await;
    assert_eq!(goal(&app, &student).await, Value::Null);
    b.wait_js(
        "the countdown goes",
        "document.querySelector('#time-left').hidden",
    )
    .await;
    check(&b, "study-no-limit").await;
    phone(&b).await;

    // A goal already used up (none left today, set on another device): play rests in the
    // student's own words, and My study is still there to lift it.
    b.click("#main a.back", None).await;
    b.shown("#catalog .activity", None).await;
    let res = app
        .put(
            "/v1/me/settings",
            Some(&student.access),
            &json!({"daily_time_limit_seconds": 0}),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    b.wait_text("[data-screen=timeup] h1", "You reached your daily goal")
        .await;
    check(&b, "play-goal-reached").await;
    phone(&b).await;
    b.click("[data-screen=timeup] a", Some("Change my daily goal"))
        .await;
    b.wait_text("#study-title", "My study").await;
    b.click("#goal-form label.choice", Some("No limit")).await;
    b.click("#goal-form button[type=submit]", None).await;
    b.wait_text("#goal-saved", "Saved. You have no daily limit.")
        .await;
    b.wait_js(
        "the play socket is open again",
        "document.body.dataset.sockPlay === 'open'",
    )
    .await;
    b.click("#main a.back", None).await;
    b.shown("#catalog .activity", None).await;
    b.click("#catalog .activity", None).await;
    b.wait_js(
        "an activity starts again",
        "['intro', 'question'].includes(document.body.dataset.view)",
    )
    .await;

    b.quit().await;
}
