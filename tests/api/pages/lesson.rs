//! One lesson, end to end, the way a school runs it: two real nodes behind nginx, and every
//! browser through nginx. The teacher writes an activity in the editor and imports three
//! pupils from a CSV file; two sign in by their pictures, one by scanning their card; all
//! three play the new activity as a class game. Mid-question the node that hosts the game is
//! stopped (SIGTERM) and a pupil reloads: the game goes on from the other node, the
//! projector counts every answer, and the report and the class view have them all.

use serde_json::{Value, json};
use studyhub::features::pupils::card::CardKey;

use super::actions::{answer, sign_in};
use super::browser::{Browser, Driver};
use super::games::{join_by_card, live_answered};
use super::look::phone;
use super::pupils::{card_token, pick_pupil, tap_pictures};
use crate::common::nginx::Nginx;
use crate::common::process::two_nodes;
use crate::common::{Api, JWT_SECRET};

const TITLE: &str = "Bugs and legs";

/// Writes the two-question activity in the editor and saves it (for the teacher's classes).
async fn write_activity(t: &Browser) {
    t.wait_text("#activities", "not made an activity").await;
    t.click("#new-activity", None).await;
    t.fill("#ed-title", TITLE).await;
    t.fill("#ed-category", "science").await;
    t.fill("#ed-questions-0-prompt", "How many legs has an ant?")
        .await;
    t.fill("#ed-q0-opt0", "6").await;
    t.fill("#ed-q0-opt1", "8").await;
    t.click("label[for=ed-q0-opt0-correct]", None).await;
    t.click("#ed-add-question", None).await;
    t.fill("#ed-questions-1-prompt", "How many legs has a spider?")
        .await;
    t.fill("#ed-q1-opt0", "8").await;
    t.fill("#ed-q1-opt1", "10").await;
    t.click("label[for=ed-q1-opt0-correct]", None).await;
    t.click("#ed-save", None).await;
    t.wait_text("#my-activities", TITLE).await;
}

/// The pupils of the class as its teacher lists them (name, learner id, pictures).
async fn roster(lb: &Api, token: &str, class_id: &str) -> Vec<Value> {
    let res = lb
        .get(&format!("/v1/classes/{class_id}/students"), Some(token))
        .await;
    assert!(res.status.is_success(), "{}", res.body);
    res.body.as_array().unwrap().clone()
}

fn named<'a>(pupils: &'a [Value], name: &str) -> &'a Value {
    pupils
        .iter()
        .find(|p| p["name"] == name)
        .unwrap_or_else(|| panic!("{name} in {pupils:?}"))
}

/// Waits for the pupil's game screen to show question `n`.
async fn on_question(b: &Browser, n: u32) {
    b.wait_text(
        "[data-screen=game] .progress-text",
        &format!("Question {n}"),
    )
    .await;
}

#[actix_web::test]
async fn a_lesson_from_the_editor_to_the_report_through_a_node_stopping() {
    let Some(driver) = Driver::start("pages::lesson").await else {
        return;
    };
    let Some((db, node_a, node_b)) = two_nodes(&[("STUDYHUB_TRUST_PROXY", "true")]).await else {
        return;
    };
    let Some(nginx) = Nginx::start([node_a.port, node_b.port]).await else {
        return;
    };
    let lb = nginx.api();
    let base = lb.address.clone();

    let teacher = lb.register("teacher").await;
    let class = lb
        .post(
            "/v1/classes",
            Some(&teacher.access),
            &json!({"name": "Class 2B"}),
        )
        .await;
    assert!(class.status.is_success(), "{}", class.body);
    let class_id = class.body["id"].as_str().unwrap().to_string();
    let code = class.body["join_code"].as_str().unwrap().to_string();

    // The teacher writes the activity, then imports the three pupils from a CSV file.
    let desk = driver.browser(&base, "teacher's desk").await;
    sign_in(&desk, &teacher.email, "/teacher").await;
    desk.wait_text("#class-title", "Class 2B").await;
    write_activity(&desk).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("class-2b.csv");
    std::fs::write(&file, "name\nAda\nBo\nCy\n").unwrap();
    desk.shown("#pupil-csv", None)
        .await
        .send_keys(file.to_str().unwrap())
        .await
        .unwrap();
    desk.click("#pupil-import-submit", None).await;
    desk.wait_text("#pupils-import-report", "3 pupils added")
        .await;
    let pupils = roster(&lb, &teacher.access, &class_id).await;

    // Ada and Bo sign in on phones with their pictures; Cy scans his card.
    let ada = driver.browser(&base, "pupil Ada").await;
    let bo = driver.browser(&base, "pupil Bo").await;
    for (b, name) in [(&ada, "Ada"), (&bo, "Bo")] {
        phone(b).await;
        b.goto("/signin").await;
        pick_pupil(b, &code, "Class 2B", name).await;
        tap_pictures(b, &named(&pupils, name)["picture"]).await;
    }
    let card = card_token(
        &db.url,
        &CardKey::new(JWT_SECRET.as_bytes()),
        named(&pupils, "Cy")["learner_id"].as_str().unwrap(),
    );
    let cy = driver.browser(&base, "pupil Cy").await;
    cy.goto(&format!("/signin?card={card}")).await;
    let players = [(&ada, "Ada"), (&bo, "Bo"), (&cy, "Cy")];
    for (b, name) in players {
        b.until(&format!("{name} on /play"), || async {
            b.path().await == "/play"
        })
        .await;
        b.wait_text("#hello-name", name).await;
        // The teacher's new activity is in their catalog (it is for the teacher's classes).
        b.wait_text("#catalog .activity-name", TITLE).await;
    }

    // The game of the new activity; the projector opens its view.
    desk.wait_js(
        "the new activity in the game picker",
        &format!(
            "[...document.querySelectorAll('#game-activity option')].some((o) => o.textContent.includes('{TITLE}'))"
        ),
    )
    .await;
    desk.js_with(
        "const s = document.querySelector('#game-activity'); \
         s.value = [...s.options].find((o) => o.textContent.includes(arguments[0])).value; return true;",
        vec![json!(TITLE)],
    )
    .await;
    desk.fill("#game-seconds", "120").await;
    desk.click("#game-form button[type=submit]", None).await;
    let link = desk
        .shown("#projector-link", None)
        .await
        .attr("href")
        .await
        .unwrap()
        .unwrap();
    let projector = driver.browser(&base, "projector").await;
    sign_in(&projector, &teacher.email, "/teacher").await;
    projector.goto(&link).await;
    projector.wait_text("#proj-title", TITLE).await;
    for (b, _) in players {
        b.wait_text(".open-game", TITLE).await;
        join_by_card(b).await;
        b.wait_text("[data-screen=game]", "Wait for your teacher")
            .await;
    }
    projector.wait_text("#proj-players-count", "3 joined").await;

    // Question 1; Ada's answer is saved before anything happens.
    projector.click("#proj-next", None).await;
    projector
        .wait_text("#proj-prompt", "How many legs has an ant?")
        .await;
    for (b, _) in players {
        on_question(b, 1).await;
    }
    answer(&ada, "game").await;
    ada.wait_js(
        "Ada's answer saved",
        "document.querySelector('[data-screen=game] .game-answer')?.dataset.state === 'saved'",
    )
    .await;
    projector
        .wait_text("#proj-answered", "Answers: 1 of 3")
        .await;

    // Mid-question, the node that hosts the game is told to stop (the one with the
    // projector's or the desk's host socket; both when each has one, then the first).
    let on_a = node_a.api().live_sockets("game_host").await;
    let on_b = node_b.api().live_sockets("game_host").await;
    assert!(on_a + on_b >= 2, "two host sockets: {on_a} + {on_b}");
    let (stopping, staying) = if on_a >= on_b {
        (node_a, node_b)
    } else {
        (node_b, node_a)
    };
    stopping.terminate();
    assert!(stopping.exited_cleanly().await, "exit status 0");
    let staying = staying.api();

    // Bo reloads his page mid-question; the page joins the game again by itself.
    bo.c.refresh().await.unwrap();
    bo.wait_text("[data-screen=game] .prompt", "How many legs has an ant?")
        .await;
    answer(&bo, "game").await;
    cy.wait_text("[data-screen=game] .prompt", "How many legs has an ant?")
        .await;
    answer(&cy, "game").await;

    // The projector, back on the node left, counts all three and reveals.
    projector
        .wait_text("#proj-answered", "Answers: 3 of 3")
        .await;
    projector.wait_text("#proj-answer", "6").await;
    assert_eq!(
        staying.live_sockets("game_host").await,
        on_a + on_b,
        "every host socket came back, to the node left: {}",
        nginx.errors()
    );

    // Question 2, all on the node left; then the winners.
    projector.click("#proj-next", Some("Next")).await;
    for (b, _) in players {
        on_question(b, 2).await;
        answer(b, "game").await;
    }
    projector
        .wait_text("#proj-answered", "Answers: 3 of 3")
        .await;
    projector.wait_text("#proj-answer", "8").await;
    for (b, name) in players {
        b.wait_text("[data-screen=game] .score", "Your score").await;
        assert!(
            b.find_shown(".answer-lost", None).await.is_none(),
            "{name}: an answer was lost"
        );
    }
    projector.click("#proj-next", Some("See the winners")).await;
    projector.wait_text("#proj-over", "Game over").await;
    let podium = projector
        .js("return document.querySelectorAll('.podium li').length;")
        .await;
    assert_eq!(podium, json!(3));

    // The report and the class view: both questions of every pupil.
    projector.click("#proj-report", None).await;
    for (_, name) in players {
        projector
            .wait_js(
                &format!("{name} answered 2 in the report"),
                &format!(
                    "[...document.querySelectorAll('#report-table tbody tr')].some(r => r.textContent.includes('{name}') && r.querySelector('.answered').textContent === '2')"
                ),
            )
            .await;
        live_answered(&desk, name, 2).await;
    }
    let game_id = link
        .trim_start_matches("/teacher/games/")
        .split(['#', '?'])
        .next()
        .unwrap();
    let report = staying
        .get(
            &format!("/v1/games/{game_id}/report"),
            Some(&teacher.access),
        )
        .await;
    let rows = report.body["players"].as_array().unwrap();
    assert_eq!(rows.len(), 3, "{}", report.body);
    assert!(
        rows.iter().all(|p| p["answered"] == 2),
        "every answer in the report: {}",
        report.body
    );

    for b in [ada, bo, cy, projector, desk] {
        b.quit().await;
    }
}
