//! A class game in four browsers: the teacher's class page, the projector view
//! (`/teacher/games/{id}`) and two pupils. The pupils see the "game is open" card and join by
//! it and by the PIN; one reloads mid-question (once with its storage lost, as the page that
//! used to start its seqs at 1 again), joins again by itself and answers, and every answer
//! counts; the projector is large at 1366×768 and 1920×1080, tells options apart by shape,
//! counts "2 of 2", shows the reveal and a podium with each place once; the report lists both
//! pupils' answers, the live table keeps its counts after the game, and a second game is made
//! and joined without a reload.
//!
//! With `STUDYHUB_SCREENSHOTS=docs/screenshots` the projector's question and podium are saved
//! there (`projector-question.png`, `projector-podium.png`) for the README.

use serde_json::{Value, json};

use super::actions::{answer, sign_in};
use super::browser::{Browser, Driver};
use super::look::{check, fits_phone_at_200};
use crate::common::{TEST_PASSWORD, TestApp, spawn_app};

fn quiz(slug: &str) -> Value {
    json!({
        "id": slug,
        "title": "Quick Sums Quiz",
        "description": "Two sums for the whole class.",
        "category": "math",
        "difficulty": 1,
        "age_min": 6,
        "age_max": 12,
        "questions": [
            {"id": "six-seven", "prompt": "What is 6 + 7?", "answer_type": "multiple_choice",
             "options": ["13", "11", "12", "14"], "correct_answer": "13",
             "explanation": "6 + 4 = 10, and 3 more is 13."},
            {"id": "nine-eight", "prompt": "What is 9 + 8?", "answer_type": "multiple_choice",
             "options": ["17", "15", "16"], "correct_answer": "17",
             "explanation": "9 + 1 = 10, and 7 more is 17."}
        ]
    })
}

/// A student account with its own name, in the class of `join_code`; returns its email.
async fn pupil(app: &TestApp, name: &str, join_code: &str) -> String {
    let email = format!("pupil-{}@example.com", uuid::Uuid::new_v4().simple());
    let res = app
        .post(
            "/v1/auth/register",
            None,
            &json!({"email": email, "password": TEST_PASSWORD, "name": name, "role": "student"}),
        )
        .await;
    assert_eq!(res.status.as_u16(), 201, "{}", res.body);
    let token = res.body["access_token"].as_str().unwrap().to_string();
    let joined = app
        .post(
            "/v1/classes/join",
            Some(&token),
            &json!({"join_code": join_code}),
        )
        .await;
    assert!(joined.status.is_success(), "{}", joined.body);
    email
}

/// The viewport `width`×`height` (a projector's), the layout settled.
async fn viewport(b: &Browser, width: u32, height: u32) {
    b.cdp(
        "Emulation.setDeviceMetricsOverride",
        json!({"width": width, "height": height, "deviceScaleFactor": 1, "mobile": false}),
    )
    .await;
    b.c.execute_async(
        "const done = arguments[arguments.length - 1]; \
         for (const a of document.getAnimations()) { try { a.finish(); } catch (e) {} } \
         requestAnimationFrame(() => requestAnimationFrame(() => done(true)));",
        vec![],
    )
    .await
    .unwrap();
}

/// The font size of the shown element `css`, in CSS pixels.
async fn font_px(b: &Browser, css: &str) -> f64 {
    b.shown(css, None).await;
    b.js_with(
        "return parseFloat(getComputedStyle(document.querySelector(arguments[0])).fontSize);",
        vec![json!(css)],
    )
    .await
    .as_f64()
    .unwrap()
}

/// Nothing wider than the screen.
async fn no_sideways_scroll(b: &Browser, what: &str) {
    let wide = b
        .js("return document.documentElement.scrollWidth - window.innerWidth;")
        .await
        .as_f64()
        .unwrap();
    assert!(wide <= 0.0, "{what}: {wide}px wider than the screen");
}

/// The projector's question, big enough for the back of a room at `width`×`height`.
async fn question_is_large(b: &Browser, width: u32, height: u32, options: usize) {
    viewport(b, width, height).await;
    let what = format!("projector {width}×{height}");
    let prompt = font_px(b, "#proj-prompt").await;
    assert!(prompt >= 40.0, "{what}: the question is {prompt}px");
    let option = font_px(b, ".proj-options .opt-text").await;
    assert!(option >= 24.0, "{what}: the options are {option}px");
    let shapes = b
        .js("return [...document.querySelectorAll('.proj-options li')].filter((li) => li.querySelector('svg.shape')).length;")
        .await;
    assert_eq!(shapes, json!(options), "{what}: every option has its shape");
    no_sideways_scroll(b, &what).await;
}

/// Saves the projector as `docs/screenshots/{name}.png` (at 1366×768) when
/// `STUDYHUB_SCREENSHOTS` names that folder.
async fn keep_screenshot(b: &Browser, name: &str) {
    let Some(dir) = std::env::var_os("STUDYHUB_SCREENSHOTS") else {
        return;
    };
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
    std::fs::create_dir_all(&dir).unwrap();
    viewport(b, 1366, 768).await;
    let png = b.c.screenshot().await.unwrap();
    std::fs::write(dir.join(format!("{name}.png")), png).unwrap();
}

/// Presses `key` (a WebDriver key code) on the page, as the teacher at the keyboard does.
async fn press(b: &Browser, key: char) {
    use fantoccini::actions::InputSource;
    let actions = fantoccini::actions::KeyActions::new("keyboard".into())
        .then(fantoccini::actions::KeyAction::Down { value: key })
        .then(fantoccini::actions::KeyAction::Up { value: key });
    b.c.perform_actions(actions).await.unwrap();
}

const ARROW_RIGHT: char = '\u{E014}';

/// Waits for the live table's row of `name` to count `n` answers.
pub(super) async fn live_answered(teacher: &Browser, name: &str, n: u32) {
    teacher
        .wait_js(
            &format!("{name}'s live row counts {n} answers"),
            &format!(
                "[...document.querySelectorAll('#live-table tbody tr')].some(r => r.textContent.includes('{name}') && r.querySelector('.answered').textContent === '{n}')"
            ),
        )
        .await;
}

/// axe and the screenshots (`look::check`), then a phone at 200 % text: nothing wider than
/// the screen. The projector's own size comes back after.
async fn look(b: &Browser, name: &str) {
    check(b, name).await;
    fits_phone_at_200(b, name).await;
    b.cdp("Emulation.clearDeviceMetricsOverride", json!({}))
        .await;
}

/// Closes an achievement's celebration if one is open (true if it did): they come one after
/// the other at the catalog after a game.
async fn closed_celebration(b: &Browser) -> bool {
    match b.find_shown("#celebration-close", None).await {
        Some(close) => {
            let _ = close.click().await;
            true
        }
        None => false,
    }
}

/// In the game (joining or joined)?
async fn in_game(b: &Browser) -> bool {
    b.js("return document.body.dataset.view === 'game'").await == json!(true)
}

/// Taps Join on the open-game card (past any celebration over it) until the game screen shows.
pub(super) async fn join_by_card(b: &Browser) {
    b.until("join by the open-game card", || async {
        if in_game(b).await || closed_celebration(b).await {
            return in_game(b).await;
        }
        if let Some(join) = b.find_shown(".open-game .open-join", None).await {
            let _ = join.click().await;
        }
        false
    })
    .await;
}

/// Types the PIN and joins (past any celebration over the form) until the game screen shows.
async fn join_by_pin(b: &Browser, pin: &str) {
    let typed = std::cell::Cell::new(0);
    b.until(&format!("join by PIN {pin:?}"), || async {
        if in_game(b).await || closed_celebration(b).await {
            return in_game(b).await;
        }
        let (Some(input), Some(submit)) = (
            b.find_shown("#game-pin", None).await,
            b.find_shown("#join-game button[type=submit]", None).await,
        ) else {
            return false;
        };
        if input.prop("value").await.ok().flatten().as_deref() != Some(pin) {
            if typed.get() >= 2 {
                // Typed twice and the field still does not hold it: once, in a CI run under
                // load, WebDriver's keys never reached the field (focus on it, value empty,
                // for 20 s). Then the digits are put in as the keyboard would leave them;
                // the page's own submit is still what joins.
                b.js_with(
                    "const i = document.querySelector('#game-pin'); i.value = arguments[0]; \
                      i.dispatchEvent(new Event('input', {bubbles: true})); return true;",
                    vec![json!(pin)],
                )
                .await;
                return false;
            }
            typed.set(typed.get() + 1);
            // Emptied by the page, not WebDriver's clear: that one refuses a field it deems
            // covered or out of view (and then the typing added to what was there), while
            // typing only needs the focus. In the middle of the screen for the tap below.
            b.js(
                "const i = document.querySelector('#game-pin'); i.value = ''; \
                  i.scrollIntoView({block: 'center'}); return true;",
            )
            .await;
            let _ = input.send_keys(pin).await;
            return false;
        }
        let _ = submit.click().await;
        // A submit empties the field. Still full: the tap missed (the button was, for an
        // instant, under something else); submit the form as Join does.
        if input.prop("value").await.ok().flatten().as_deref() == Some(pin) {
            b.js("document.querySelector('#join-game').requestSubmit(); return true;")
                .await;
        }
        false
    })
    .await;
}

#[actix_web::test]
async fn a_class_game_on_the_projector_with_a_pupil_who_reloads() {
    let Some(driver) = Driver::start("pages::games").await else {
        return;
    };
    let app = spawn_app().await;

    // The teacher's quiz and class; two pupils in it.
    let teacher = app.register("teacher").await;
    let slug = format!("quiz-{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
    let res = app
        .post("/v1/activities", Some(&teacher.access), &quiz(&slug))
        .await;
    assert_eq!(res.status.as_u16(), 201, "{}", res.body);
    let class = app
        .post(
            "/v1/classes",
            Some(&teacher.access),
            &json!({"name": "Class 5C"}),
        )
        .await;
    assert_eq!(class.status.as_u16(), 201, "{}", class.body);
    let join_code = class.body["join_code"].as_str().unwrap();
    let amara_email = pupil(&app, "Amara Nwosu", join_code).await;
    let ben_email = pupil(&app, "Ben Okoro", join_code).await;

    let desk = driver.browser(&app.address, "teacher's desk").await;
    let projector = driver.browser(&app.address, "projector").await;
    let amara = driver.browser(&app.address, "pupil Amara").await;
    let ben = driver.browser(&app.address, "pupil Ben").await;
    sign_in(&desk, &teacher.email, "/teacher").await;
    sign_in(&projector, &teacher.email, "/teacher").await;
    sign_in(&amara, &amara_email, "/play").await;
    sign_in(&ben, &ben_email, "/play").await;
    for b in [&amara, &ben] {
        b.wait_text("#hello-name", "").await;
        b.shown("[data-screen=catalog]", None).await;
    }
    desk.wait_text("#class-title", "Class 5C").await;
    live_answered(&desk, "Amara", 0).await;

    // The teacher makes a game of the quiz: its PIN, and a link to the projector view.
    desk.js_with(
        "document.querySelector('#game-activity').value = arguments[0]; return true;",
        vec![json!(slug)],
    )
    .await;
    desk.fill("#game-seconds", "90").await;
    desk.click("#game-form button[type=submit]", None).await;
    let pin: String = desk
        .text("#game-pin")
        .await
        .chars()
        .filter(char::is_ascii_digit)
        .collect();
    assert_eq!(pin.len(), 6, "{pin}");
    let link = desk
        .shown("#projector-link", None)
        .await
        .attr("href")
        .await
        .unwrap()
        .unwrap();
    assert!(link.starts_with("/teacher/games/"), "{link}");

    // The projector: the PIN big in the lobby.
    projector.goto(&link).await;
    projector.wait_text("#proj-title", "Quick Sums Quiz").await;
    let shown_pin: String = projector
        .text("#proj-pin")
        .await
        .chars()
        .filter(char::is_ascii_digit)
        .collect();
    assert_eq!(shown_pin, pin);
    let pin_px = font_px(&projector, "#proj-pin").await;
    assert!(pin_px >= 60.0, "the PIN is {pin_px}px");

    // Both pupils see the game open, without a reload: Amara joins with one tap, Ben by PIN.
    for b in [&amara, &ben] {
        b.wait_text(".open-game", "Quick Sums Quiz").await;
    }
    join_by_card(&amara).await;
    let mode = ben
        .shown("#game-pin", None)
        .await
        .attr("inputmode")
        .await
        .unwrap();
    assert_eq!(mode.as_deref(), Some("numeric"));
    join_by_pin(&ben, &format!("{} {}", &pin[..3], &pin[3..])).await;
    for b in [&amara, &ben] {
        b.wait_text("[data-screen=game]", "Wait for your teacher")
            .await;
        b.wait_js(
            "the open-game card hidden in the game",
            "document.querySelector('#open-games').hidden",
        )
        .await;
    }
    projector.wait_text("#proj-players-count", "2 joined").await;
    projector.wait_text(".players", "Amara Nwosu").await;
    projector.wait_text(".players", "Ben Okoro").await;
    look(&projector, "projector-lobby").await;

    // Question 1, by the keyboard (→); large on the projector at both sizes.
    press(&projector, ARROW_RIGHT).await;
    projector.wait_text("#proj-prompt", "What is 6 + 7?").await;
    question_is_large(&projector, 1366, 768, 4).await;
    question_is_large(&projector, 1920, 1080, 4).await;
    keep_screenshot(&projector, "projector-question").await;
    look(&projector, "projector-question").await;

    // Amara answers; the page says "saved" once the server saved it.
    for b in [&amara, &ben] {
        b.wait_text("[data-screen=game] .progress-text", "Question 1")
            .await;
    }
    answer(&amara, "game").await;
    amara
        .wait_js(
            "Amara's answer saved",
            "document.querySelector('[data-screen=game] .game-answer')?.dataset.state === 'saved'",
        )
        .await;
    projector
        .wait_text("#proj-answered", "Answers: 1 of 2")
        .await;

    // Ben reloads before answering: the page joins the game again by itself.
    ben.c.refresh().await.unwrap();
    ben.wait_text("[data-screen=game] .prompt", "What is 6 + 7?")
        .await;
    answer(&ben, "game").await;

    // Both counted: the reveal says 2 of 2 and counts both answers.
    projector
        .wait_text("#proj-answered", "Answers: 2 of 2")
        .await;
    projector.wait_text("#proj-answer", "13").await;
    let counted = projector
        .js("return [...document.querySelectorAll('.proj-options .opt-count .n')].reduce((n, el) => n + Number(el.textContent), 0);")
        .await;
    assert_eq!(counted, json!(2));
    projector.wait_text(".opt.correct", "13").await;
    projector.wait_text(".proj-top5", "Amara Nwosu").await;
    look(&projector, "projector-reveal").await;
    for b in [&amara, &ben] {
        b.wait_text("[data-screen=game] .score", "Your score").await;
    }

    // Question 2 (Next on screen). Ben's page loses its storage and reloads: it must go on
    // from the server's last seq, not answer as a duplicate of his first answer.
    projector.click("#proj-next", Some("Next")).await;
    for b in [&amara, &ben] {
        b.wait_text("[data-screen=game] .progress-text", "Question 2")
            .await;
    }
    answer(&amara, "game").await;
    projector
        .wait_text("#proj-answered", "Answers: 1 of 2")
        .await;
    ben.js("localStorage.clear(); return true;").await;
    ben.c.refresh().await.unwrap();
    ben.wait_text("[data-screen=game] .prompt", "What is 9 + 8?")
        .await;
    answer(&ben, "game").await;
    projector
        .wait_text("#proj-answered", "Answers: 2 of 2")
        .await;
    projector.wait_text("#proj-answer", "17").await;
    for b in [&amara, &ben] {
        b.wait_text("[data-screen=game] .score", "Your score").await;
        assert!(
            b.find_shown(".answer-lost", None).await.is_none(),
            "{}: an answer was lost",
            b.name
        );
    }

    // The podium: each place said once ("1st"), never "1. 1.".
    projector.click("#proj-next", Some("See the winners")).await;
    projector.wait_text("#proj-over", "Game over").await;
    let places: Vec<String> = serde_json::from_value(
        projector
            .js("return [...document.querySelectorAll('.podium li')].map((li) => li.innerText.replace(/\\s+/g, ' ').trim());")
            .await,
    )
    .unwrap();
    assert_eq!(places.len(), 2, "{places:?}");
    for place in &places {
        assert!(place.contains("1st") || place.contains("2nd"), "{place}");
        assert!(
            !place.contains("1.") && !place.contains("2."),
            "a rank twice: {place}"
        );
    }
    let list_style = projector
        .js("return getComputedStyle(document.querySelector('.podium')).listStyleType;")
        .await;
    assert_eq!(list_style, json!("none"));
    keep_screenshot(&projector, "projector-podium").await;
    look(&projector, "projector-podium").await;

    // The report: both pupils answered both questions.
    projector.click("#proj-report", None).await;
    projector.wait_text("#report-table", "Ben Okoro").await;
    for name in ["Amara Nwosu", "Ben Okoro"] {
        projector
            .wait_js(
                &format!("{name} answered 2 in the report"),
                &format!(
                    "[...document.querySelectorAll('#report-table tbody tr')].some(r => r.textContent.includes('{name}') && r.querySelector('.answered').textContent === '2')"
                ),
            )
            .await;
    }
    projector.shown("#report-csv", Some("CSV")).await;
    look(&projector, "projector-report").await;

    // The teacher's page: "Game over", the report, and the live table still counting.
    desk.wait_text(".game-box h3", "Game over").await;
    desk.wait_text("#game-report #report-table", "Amara Nwosu")
        .await;
    live_answered(&desk, "Amara", 2).await;
    live_answered(&desk, "Ben", 2).await;
    check(&desk, "teacher-game-over").await;

    // The pupils: the end, then the catalog, and a second game joined without a reload.
    for b in [&amara, &ben] {
        b.wait_text("[data-screen=game] h2", "Game over").await;
        b.click("#game-done", None).await;
        b.shown("[data-screen=catalog]", None).await;
    }
    desk.click("#game-again", None).await;
    // The form again, with the game just played among the earlier ones (its report).
    desk.wait_text("#past-games", "Quick Sums Quiz").await;
    desk.js_with(
        "document.querySelector('#game-activity').value = arguments[0]; return true;",
        vec![json!(slug)],
    )
    .await;
    desk.click("#game-form button[type=submit]", None).await;
    desk.wait_text(".game-box h3", "Game on").await;
    let second: String = desk
        .text("#game-pin")
        .await
        .chars()
        .filter(char::is_ascii_digit)
        .collect();
    amara.wait_text(".open-game", "Quick Sums Quiz").await;
    join_by_card(&amara).await;
    join_by_pin(&ben, &second).await;
    for b in [&amara, &ben] {
        b.wait_text("[data-screen=game]", "Wait for your teacher")
            .await;
    }
    desk.wait_text("[role=status]", "2 players joined").await;
    desk.click("#host-end", None).await;
    for b in [&amara, &ben] {
        b.wait_text("[data-screen=game] h2", "Game over").await;
    }

    // Extra time for a pupil who needs it.
    desk.click("#extra-time summary", None).await;
    desk.js(
        "const s = document.querySelector('#extra-time select'); s.value = '50'; s.dispatchEvent(new Event('change')); return true;",
    )
    .await;
    desk.wait_text("#extra-time [role=status]", "+50 %").await;

    for b in [amara, ben, projector, desk] {
        b.quit().await;
    }
}
