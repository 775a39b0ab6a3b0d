//! Pupils without an email in the browser: a teacher imports three from a CSV file on the
//! class view; one signs in on a phone (390 px) at /signin with the class code, her name and
//! her two pictures and lands on /play; another signs in at once with his card's address.

use awc::http::StatusCode;
use serde_json::{Value, json};

use super::actions::sign_in;
use super::browser::{Browser, Driver};
use super::look::{check, phone};
use crate::common::spawn_app;
use studyhub::features::pupils::card::CardKey;

/// A pupil's card token, made as the server with `key` makes it from the card's nonce in the
/// database at `db_url` (the printed QR code holds it).
pub(super) fn card_token(db_url: &str, key: &CardKey, learner_id: &str) -> String {
    use diesel::prelude::*;
    use studyhub::infra::db::schema::pupils;
    let mut conn = studyhub::infra::db::establish(db_url).unwrap();
    let nonce: String = pupils::table
        .find(learner_id)
        .select(pupils::card_nonce)
        .first(&mut conn)
        .unwrap();
    key.token(learner_id, &nonce)
}

/// At `/signin` (open already): the class code (the class `class_name` is shown), then the
/// pupil's name; returns once the pictures are shown.
pub(super) async fn pick_pupil(p: &Browser, code: &str, class_name: &str, name: &str) {
    p.wait_js(
        "the sign-in page is ready",
        "document.body.dataset.ready === 'true'",
    )
    .await;
    p.fill("#join-code", &code.to_lowercase()).await;
    p.click("#code-form button[type=submit]", None).await;
    p.wait_text("#class-name", class_name).await;
    p.click("#pupil-names button", Some(name)).await;
    p.shown("#pictures button[data-picture=sun]", None).await;
}

/// Taps the two `pictures` (from the class's list of pupils) in order.
pub(super) async fn tap_pictures(p: &Browser, pictures: &Value) {
    for picture in [&pictures[0], &pictures[1]] {
        let picture = picture.as_str().unwrap();
        p.click(&format!("#pictures button[data-picture={picture}]"), None)
            .await;
    }
}

#[actix_web::test]
async fn a_teacher_imports_pupils_who_sign_in_by_pictures_and_by_card() {
    let Some(driver) = Driver::start("pages::pupils").await else {
        return;
    };
    let app = spawn_app().await;
    let teacher = app.register("teacher").await;
    let class = app
        .post(
            "/v1/classes",
            Some(&teacher.access),
            &json!({"name": "Class 1A"}),
        )
        .await;
    assert_eq!(class.status, StatusCode::CREATED, "{}", class.body);
    let class_id = class.body["id"].as_str().unwrap().to_string();
    let code = class.body["join_code"].as_str().unwrap().to_string();

    // The teacher imports three pupils from a CSV file on the class view.
    let t = driver.browser(&app.address, "teacher").await;
    sign_in(&t, &teacher.email, "/teacher").await;
    t.wait_text("#class-title", "Class 1A").await;
    t.wait_text("#pupils-none", "No pupils").await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("pupils.csv");
    std::fs::write(&file, "name\nAda\nBo\nCy\n").unwrap();
    t.shown("#pupil-csv", None)
        .await
        .send_keys(file.to_str().unwrap())
        .await
        .unwrap();
    t.click("#pupil-import-submit", None).await;
    t.wait_text("#pupils-import-report", "3 pupils added").await;
    t.wait_text("#pupils-table tbody", "Cy").await;
    // They are on the roster too: the assessment form lists them.
    t.wait_text("#assess-student", "Bo").await;
    check(&t, "pupils-teacher").await;

    let listed = app
        .get(
            &format!("/v1/classes/{class_id}/students"),
            Some(&teacher.access),
        )
        .await;
    let by_name = |name: &str| -> Value {
        listed
            .body
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == name)
            .unwrap_or_else(|| panic!("{name} in {}", listed.body))
            .clone()
    };
    let (ada, bo) = (by_name("Ada"), by_name("Bo"));

    // Ada, on a phone: the class code, her name, her two pictures.
    let p = driver.browser(&app.address, "pupil Ada").await;
    phone(&p).await;
    p.goto("/signin").await;
    p.wait_js(
        "the sign-in page is ready",
        "document.body.dataset.ready === 'true'",
    )
    .await;
    check(&p, "pupil-signin-code").await;
    phone(&p).await;
    pick_pupil(&p, &code, "Class 1A", "Ada").await;
    check(&p, "pupil-signin-pictures").await;
    phone(&p).await;
    // A wrong pair first: she is told so and may try again.
    tap_pictures(&p, &json!([ada["picture"][1], ada["picture"][0]])).await;
    p.wait_text("#pictures-error", "not your pictures").await;
    tap_pictures(&p, &ada["picture"]).await;
    p.until("/play after the pictures", || async {
        p.path().await == "/play"
    })
    .await;
    p.wait_text("#hello-name", "Ada").await;

    // Bo scans his card: its address signs him in at once.
    let token = card_token(
        &app.db.url,
        &app.state.card_key,
        bo["learner_id"].as_str().unwrap(),
    );
    let q = driver.browser(&app.address, "pupil Bo").await;
    q.goto(&format!("/signin?card={token}")).await;
    q.until("/play after the card", || async {
        q.path().await == "/play"
    })
    .await;
    q.wait_text("#hello-name", "Bo").await;

    for b in [t, p, q] {
        b.quit().await;
    }
}
