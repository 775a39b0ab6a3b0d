//! A student plays in the browser: the catalog with the recommended activity, big answers
//! with feedback and explanations, stars and the achievement's celebration; the connection
//! is cut mid-activity and the page carries on by itself, losing nothing.

use serde_json::Value;

use super::actions::{answer, past_intro, play_to_the_end, settle_answer, sign_in};
use super::browser::Driver;
use super::look::check;
use crate::common::players::stored_seqs;
use crate::common::proxy::Proxy;
use crate::common::spawn_app;

#[actix_web::test]
async fn a_student_plays_through_a_cut_connection_and_nothing_is_lost() {
    let Some(driver) = Driver::start("pages::play").await else {
        return;
    };
    let app = spawn_app().await;
    // The browser reaches the server through a proxy the test can cut.
    let proxy = Proxy::start(&format!("127.0.0.1:{}", app.port));
    let student = app.register("student").await;
    let b = driver
        .browser(&format!("http://{}", proxy.addr), "student")
        .await;
    sign_in(&b, &student.email, "/play").await;

    // The catalog, with the activity to play next on top.
    b.shown("#recommended-card .activity", None).await;
    b.shown("#catalog .activity", None).await;
    let recommended = b.text("#recommended-card .activity-name").await;
    check(&b, "play-catalog").await;
    b.click("#recommended-card .activity", None).await;
    past_intro(&b).await;
    b.wait_text("[data-screen=question] .activity-title", &recommended)
        .await;

    // One answer (and a second try if it was wrong): instant feedback with the explanation.
    answer(&b, "question").await;
    settle_answer(&b).await;
    b.shown("[data-screen=question] .feedback .explanation", None)
        .await;
    check(&b, "play-feedback").await;
    b.click("#next", None).await;

    // The network goes; the page notices, and the child answers anyway.
    proxy.cut();
    b.wait_js(
        "the play socket is offline",
        "document.body.dataset.sockPlay === 'offline'",
    )
    .await;
    answer(&b, "question").await;
    b.wait_text("[data-screen=question] .feedback", "Checking")
        .await;
    // No error for a blip: only the quiet hint.
    let shown = b.js("return document.body.innerText").await;
    assert!(
        !shown.as_str().unwrap().to_lowercase().contains("error"),
        "{shown}"
    );

    // The network comes back: the page reconnects, resumes the session, sends the answer
    // again, and its feedback appears where the child is.
    proxy.heal();
    settle_answer(&b).await;
    b.wait_js(
        "the play socket is open again",
        "document.body.dataset.sockPlay === 'open'",
    )
    .await;
    assert!(b.find_shown("#connection-hint", None).await.is_none());
    b.click("#next", None).await;

    // Through to the end: stars, and the first achievement is celebrated.
    play_to_the_end(&b).await;
    b.wait_text("#celebration", "First Steps").await;
    check(&b, "play-achievement").await;
    b.click("#celebration-close", None).await;
    check(&b, "play-stars").await;

    // Every answer is stored once, in order: nothing lost, nothing twice (a second try is an
    // answer of its own, so there may be more answers than questions).
    let export = app.get("/v1/me/export", Some(&student.access)).await;
    let sessions = export.body["learners"][0]["sessions"].as_array().unwrap();
    assert_eq!(sessions.len(), 1, "{sessions:?}");
    let session = &sessions[0];
    assert_eq!(session["status"], "completed");
    let total = session["questions_total"].as_u64().unwrap() as u32;
    let seqs: Vec<u64> = session["answers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["seq"].as_u64().unwrap())
        .collect();
    let n = seqs.len() as u32;
    assert!(n >= total, "{n} answers to {total} questions");
    assert_eq!(seqs, (1..=u64::from(n)).collect::<Vec<_>>());
    assert_eq!(
        stored_seqs(&app.db.url, session["id"].as_str().unwrap()),
        (1..=n).collect::<Vec<_>>()
    );
    let achievements: Value = app
        .get(
            &format!(
                "/v1/learners/{}/achievements",
                export.body["learners"][0]["learner"]["id"]
                    .as_str()
                    .unwrap()
            ),
            Some(&student.access),
        )
        .await
        .body;
    assert!(
        achievements
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["id"] == "first-steps"),
        "{achievements}"
    );
    b.quit().await;
}
