//! What people do on the pages, as steps the scenarios share.

use super::browser::Browser;
use crate::common::TEST_PASSWORD;

/// Signs in on the front page (opened with `next` to come back to).
pub async fn sign_in(b: &Browser, email: &str, then: &str) {
    b.goto(&format!("/?next={}", then.replace('/', "%2F")))
        .await;
    b.fill("#signin-email", email).await;
    b.fill("#signin-password", TEST_PASSWORD).await;
    b.click("#signin button[type=submit]", None).await;
    b.until(&format!("{then} after signing in"), || async {
        b.path().await == then
    })
    .await;
}

/// Answers the question on screen (the first choice still open, the first box not ticked yet,
/// or a typed 7) without waiting for the feedback; returns its prompt. On a second try that
/// is another answer than the first.
pub async fn answer(b: &Browser, screen: &str) -> String {
    if screen == "question" {
        past_intro(b).await;
    }
    let prompt_css = format!("[data-screen={screen}] .prompt");
    let prompt = b.shown(&prompt_css, None).await.text().await.unwrap();
    let typed = format!("[data-screen={screen}] .typed-answer input");
    let several = format!("[data-screen={screen}] .multi-answer");
    if b.find_shown(&several, None).await.is_some() {
        b.click(
            &format!("{several} label.pick:has(input:not(:checked))"),
            None,
        )
        .await;
        b.click(&format!("{several} button[type=submit]"), None)
            .await;
    } else if b.find_shown(&typed, None).await.is_some() {
        b.fill(&typed, "7").await;
        b.click(
            &format!("[data-screen={screen}] .typed-answer button"),
            None,
        )
        .await;
    } else {
        b.click(
            &format!("[data-screen={screen}] .answers .answer:not(:disabled)"),
            None,
        )
        .await;
    }
    prompt
}

/// Once an activity opened: past its introduction (a child presses "Let's start!"), if it has
/// one and it is on screen.
pub async fn past_intro(b: &Browser) {
    b.wait_js(
        "the activity's introduction or its first question",
        "['intro', 'question'].includes(document.body.dataset.view)",
    )
    .await;
    if b.js("return document.body.dataset.view").await == "intro" {
        b.click("#intro-start", None).await;
    }
}

/// After an answer in practice play: waits for the last word on the question, answering once
/// more when the page offers a second try; `#next` is then on screen. Returns whether a
/// second try was taken.
pub async fn settle_answer(b: &Browser) -> bool {
    b.wait_js(
        "the feedback on the answer, or a second try",
        "!!document.querySelector('[data-screen=question] .feedback.retry, [data-screen=question] #next')",
    )
    .await;
    if b.find_shown("[data-screen=question] .feedback.retry", None)
        .await
        .is_none()
    {
        return false;
    }
    answer(b, "question").await;
    b.shown("[data-screen=question] #next", None).await;
    true
}

/// Answers every question of the activity on screen, through to the stars.
pub async fn play_to_the_end(b: &Browser) {
    loop {
        answer(b, "question").await;
        settle_answer(b).await;
        let next = b.text("#next").await;
        b.click("#next", None).await;
        if next.contains("stars") {
            break;
        }
    }
    b.shown("[data-screen=done] .stars", None).await;
}
