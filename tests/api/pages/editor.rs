//! The activity editor on the teacher page: a teacher writes an activity with a
//! multiple-choice and a number question, is told next to the field that the first has no
//! correct answer (and beside another the server's reason for refusing it), sees the
//! preview as a pupil would, and saves. A student of the class then
//! finds it on `/play`; a student of another class does not.

use serde_json::json;

use super::actions::sign_in;
use super::browser::{Browser, Driver};
use super::look::check;
use crate::common::{TEST_PASSWORD, TestApp, spawn_app};

const TITLE: &str = "Spider sums";

/// A class of a new teacher: (teacher's email, join code).
async fn class(app: &TestApp) -> (String, String) {
    let teacher = app.register("teacher").await;
    let res = app
        .post("/v1/classes", Some(&teacher.access), &json!({"name": "3A"}))
        .await;
    assert!(res.status.is_success(), "{}", res.body);
    (
        teacher.email,
        res.body["join_code"].as_str().unwrap().into(),
    )
}

/// A student in the class with `code`: their email.
async fn student(app: &TestApp, code: &str) -> String {
    let email = format!("pupil-{}@example.com", uuid::Uuid::new_v4().simple());
    let body =
        json!({"email": email, "password": TEST_PASSWORD, "name": "Pupil", "role": "student"});
    let res = app.post("/v1/auth/register", None, &body).await;
    assert!(res.status.is_success(), "{}", res.body);
    let token = res.body["access_token"].as_str().unwrap().to_string();
    let res = app
        .post(
            "/v1/classes/join",
            Some(&token),
            &json!({"join_code": code}),
        )
        .await;
    assert!(res.status.is_success(), "{}", res.body);
    email
}

async fn choose(b: &Browser, css: &str, value: &str) {
    b.shown(css, None).await;
    b.js_with(
        "const s = document.querySelector(arguments[0]); s.value = arguments[1]; \
         s.dispatchEvent(new Event('change')); return true;",
        vec![json!(css), json!(value)],
    )
    .await;
}

#[actix_web::test]
async fn a_teacher_writes_an_activity_that_only_their_class_sees() {
    let Some(driver) = Driver::start("pages::editor").await else {
        return;
    };
    let app = spawn_app().await;
    let (teacher_email, code) = class(&app).await;
    let (_, other_code) = class(&app).await;
    let pupil_email = student(&app, &code).await;
    let outsider_email = student(&app, &other_code).await;

    let teacher = driver.browser(&app.address, "teacher").await;
    sign_in(&teacher, &teacher_email, "/teacher").await;
    teacher
        .wait_text("#activities", "not made an activity")
        .await;
    teacher.click("#new-activity", None).await;
    teacher.fill("#ed-title", TITLE).await;
    teacher.fill("#ed-category", "math").await;
    // Question 1: pick one of two options (the correct one not marked yet).
    teacher.fill("#ed-questions-0-prompt", "1 + 2 = ?").await;
    teacher.fill("#ed-q0-opt0", "3").await;
    teacher.fill("#ed-q0-opt1", "4").await;
    // Question 2: a number.
    teacher.click("#ed-add-question", None).await;
    teacher
        .fill("#ed-questions-1-prompt", "How many legs has a spider?")
        .await;
    choose(&teacher, "#ed-questions-1-answer_type", "number").await;
    teacher.fill("#ed-questions-1-correct_answer", "8").await;

    // Saving finds the missing answer and says so beside it, linked for screen readers.
    teacher.click("#ed-save", None).await;
    teacher
        .wait_text(
            "#err-questions-0-correct_answer",
            "Choose the correct answer",
        )
        .await;
    teacher
        .wait_js(
            "the option marks described by the error",
            "document.querySelector('#ed-q0-opt0-correct').getAttribute('aria-describedby').includes('err-questions-0-correct_answer') \
             && document.querySelector('#ed-q0-opt0-correct').getAttribute('aria-invalid') === 'true'",
        )
        .await;
    assert!(
        teacher.find_shown("#my-activities", None).await.is_none(),
        "nothing saved"
    );

    // The preview draws the question as the play page does.
    teacher
        .click(".question-tools button", Some("Preview question 1"))
        .await;
    teacher.wait_text(".preview .prompt", "1 + 2 = ?").await;
    teacher.shown(".preview .answers .answer", Some("4")).await;
    teacher
        .click(".question-tools button", Some("Preview question 2"))
        .await;
    teacher.wait_text(".preview .prompt", "spider").await;
    teacher.shown(".preview .typed-answer input", None).await;
    check(&teacher, "teacher-editor").await;
    // At a phone's width with text at 200 %, the editor still fits the screen.
    teacher
        .cdp(
            "Emulation.setDeviceMetricsOverride",
            json!({"width": 390, "height": 844, "deviceScaleFactor": 1, "mobile": true}),
        )
        .await;
    teacher
        .js("document.documentElement.style.fontSize = '200%'; return true;")
        .await;
    teacher
        .wait_js(
            "the editor within 390 px at 200 % text",
            "(() => { const s = document.querySelector('#activities-section'); \
              return s.scrollWidth <= s.clientWidth + 1 && s.getBoundingClientRect().right <= innerWidth + 1; })()",
        )
        .await;
    teacher
        .js("document.documentElement.style.fontSize = ''; return true;")
        .await;

    // What only the server checks comes back as its 422 and is shown beside its field too.
    // (The preview draws the formula first: the click on Save waits for it to settle.)
    teacher.click("label[for=ed-q0-opt0-correct]", None).await;
    teacher
        .click(".question-tools button", Some("Preview question 1"))
        .await;
    teacher
        .click(
            ".question-edit[data-question='0'] .media-fields summary",
            None,
        )
        .await;
    teacher.fill("#ed-questions-0-formula", "1 + 2 & 3").await;
    teacher.shown(".preview .formula", None).await;
    teacher.click("#ed-save", None).await;
    teacher.shown("#err-questions-0-formula", None).await;
    teacher
        .wait_js(
            "the formula field described by the server's reason",
            "document.querySelector('#ed-questions-0-formula').getAttribute('aria-describedby') === 'err-questions-0-formula'",
        )
        .await;

    // Mended, it saves and is listed as the teacher's, for their classes.
    teacher.fill("#ed-questions-0-formula", "1 + 2 = ?").await;
    teacher.click("#ed-save", None).await;
    teacher.wait_text("#my-activities", TITLE).await;
    teacher.wait_text("#my-activities", "My classes").await;
    teacher.no_console_errors().await;

    let pupil = driver.browser(&app.address, "pupil").await;
    sign_in(&pupil, &pupil_email, "/play").await;
    pupil.wait_text("#catalog .activity-name", TITLE).await;

    let outsider = driver.browser(&app.address, "outsider").await;
    sign_in(&outsider, &outsider_email, "/play").await;
    outsider.shown("#catalog .activity-name", None).await;
    let seen = outsider
        .js("return document.querySelector('#catalog').textContent")
        .await;
    assert!(!seen.as_str().unwrap().contains(TITLE), "{seen}");

    for b in [teacher, pupil, outsider] {
        b.quit().await;
    }
}
