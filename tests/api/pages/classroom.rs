//! A classroom in three browsers: a teacher makes a class; two students register and join
//! it with its code; the teacher's live view fills in as a student answers; then a short
//! class game: the students join with the game's PIN, answer two questions, and everyone
//! sees the reveal and the podium. Progress and an assessment close the lesson.

use super::actions::{answer, settle_answer};
use super::browser::{Browser, Driver};
use super::look::{check, check_showing};
use crate::common::{TEST_PASSWORD, spawn_app};

async fn register(b: &Browser, name: &str, role: &str) {
    let email = format!("{role}-{}@example.com", uuid::Uuid::new_v4().simple());
    b.goto("/").await;
    b.click("#to-register", None).await;
    b.fill("#register-name", name).await;
    b.fill("#register-email", &email).await;
    b.fill("#register-password", TEST_PASSWORD).await;
    b.click(&format!("#register input[value={role}]"), None)
        .await;
    b.click("#register button[type=submit]", None).await;
}

#[actix_web::test]
async fn a_teacher_watches_the_class_and_runs_a_game_with_two_students() {
    let Some(driver) = Driver::start("pages::classroom").await else {
        return;
    };
    let app = spawn_app().await;
    let teacher = driver.browser(&app.address, "teacher").await;
    let ada = driver.browser(&app.address, "student Ada").await;
    let ben = driver.browser(&app.address, "student Ben").await;

    // The teacher makes a class and reads out its join code.
    register(&teacher, "Ms Okafor", "teacher").await;
    teacher.wait_text("#no-classes", "first class").await;
    teacher.fill("#class-name", "Class 4B").await;
    teacher.fill("#class-subject", "Maths").await;
    teacher.click("#new-class button[type=submit]", None).await;
    teacher.wait_text("#class-title", "Class 4B").await;
    let code = teacher.text("#join-code").await;
    assert_eq!(code.len(), 6, "{code}");
    teacher.wait_text("#live-empty", "No students").await;

    // Two students sign up and join with the code; the live view lists them.
    for (b, name) in [(&ada, "Ada"), (&ben, "Ben")] {
        register(b, name, "student").await;
        b.wait_text("#hello-name", name).await;
        b.fill("#class-code", &code).await;
        b.click("#join-class button[type=submit]", None).await;
        b.wait_text("#join-class .success", "You joined Class 4B")
            .await;
        teacher.wait_text("#live-table tbody", name).await;
    }

    check(&teacher, "teacher").await;

    // Ada plays; her row fills in as she answers, without a reload.
    ada.click("#recommended-card .activity", None).await;
    teacher.wait_text("#live-table tbody tr", "Adding Up").await;
    for n in 1..=2 {
        answer(&ada, "question").await;
        settle_answer(&ada).await;
        teacher
            .wait_js(
                &format!("Ada's row counts {n} answers"),
                &format!(
                    "[...document.querySelectorAll('#live-table tbody tr')].some(r => r.textContent.includes('Ada') && r.querySelector('.answered').textContent === '{n}')"
                ),
            )
            .await;
        ada.click("#next", None).await;
    }

    // A class game of the first activity, two questions long.
    teacher.click("#game-form button[type=submit]", None).await;
    let pin: String = teacher
        .text("#game-pin")
        .await
        .chars()
        .filter(char::is_ascii_digit)
        .collect();
    for b in [&ada, &ben] {
        if b.find_shown("#game-pin", None).await.is_none() {
            b.click(".leave button", None).await;
        }
        b.fill("#game-pin", &pin).await;
        b.click("#join-game button[type=submit]", None).await;
        b.wait_text("[data-screen=game]", "Wait for your teacher")
            .await;
    }
    teacher.wait_text("[role=status]", "2 players joined").await;
    for question in 0..2 {
        teacher.click("#host-next", None).await;
        teacher.wait_text(".host-question", "").await;
        for b in [&ada, &ben] {
            b.wait_text(
                "[data-screen=game] .progress-text",
                &format!("Question {}", question + 1),
            )
            .await;
            if question == 0 && b.name.ends_with("Ada") {
                check(b, "play-game").await;
            }
            answer(b, "game").await;
        }
        // Everyone answered: the reveal comes to the host and to each student.
        teacher.wait_text(".host-question", "The answer").await;
        teacher.shown(".counts li", None).await;
        if question == 0 {
            check_showing(&teacher, "teacher-game", Some(".game-box")).await;
        }
        for b in [&ada, &ben] {
            b.wait_text("[data-screen=game] .score", "Your score").await;
        }
    }
    teacher.click("#host-end", None).await;
    teacher.wait_text(".game-box", "Game over").await;
    teacher.shown(".game-box .podium li", None).await;
    for b in [&ada, &ben] {
        b.wait_text("[data-screen=game] h2", "Game over").await;
        b.shown("[data-screen=game] .podium li", None).await;
    }

    // After the lesson: this week's progress, and an assessment for Ada.
    teacher.click("#progress-refresh", None).await;
    teacher.wait_text("#progress-table", "Ben").await;
    teacher.fill("#assess-type", "Mock exam").await;
    teacher.fill("#assess-component", "listening").await;
    teacher.fill("#assess-percent", "82").await;
    teacher.fill("#assess-feedback", "Good work on sums").await;
    teacher
        .click("#assess-form button[type=submit]", None)
        .await;
    teacher.wait_text("#assessments", "Good work on sums").await;
    check(&teacher, "teacher-assessment").await;

    for b in [ada, ben, teacher] {
        b.quit().await;
    }
}
