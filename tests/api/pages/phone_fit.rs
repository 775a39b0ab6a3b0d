//! Long names on a phone (390×844): the teacher's page with a class, a student and a teacher
//! named with 100 characters each never scrolls sideways, at normal and 200 % text.

use serde_json::json;

use super::actions::sign_in;
use super::browser::{Browser, Driver};
use super::look::check_showing;
use crate::common::{TEST_PASSWORD, spawn_app};

/// On the phone, at `size` text: how far the page scrolls sideways, and what sticks out.
async fn overflow(b: &Browser, size: &str) -> serde_json::Value {
    b.cdp(
        "Emulation.setDeviceMetricsOverride",
        json!({"width": 390, "height": 844, "deviceScaleFactor": 1, "mobile": true}),
    )
    .await;
    b.js_with(
        r#"
        const root = document.documentElement;
        root.style.fontSize = arguments[0];
        const wide = [...document.querySelectorAll('body *')]
          .filter((el) => el.getBoundingClientRect().right > innerWidth + 1 && el.checkVisibility()
            && !el.closest('.table-wrap'))
          .map((el) => el.tagName + '.' + el.className + '#' + el.id + ' ' + Math.round(el.getBoundingClientRect().right));
        const scroll = root.scrollWidth - innerWidth;
        root.style.fontSize = '';
        return { scroll, wide: wide.slice(0, 8) };
        "#,
        vec![json!(size)],
    )
    .await
}

fn long(word: &str) -> String {
    let mut s = String::new();
    while s.chars().count() < 100 {
        s.push_str(word);
    }
    s.chars().take(100).collect()
}

#[actix_web::test]
async fn a_teacher_page_with_long_names_fits_a_phone() {
    let Some(driver) = Driver::start("pages::phone_fit").await else {
        return;
    };
    let app = spawn_app().await;
    let email = format!("teacher-{}@example.com", uuid::Uuid::new_v4().simple());
    let res = app
        .post(
            "/v1/auth/register",
            None,
            &json!({"email": email, "password": TEST_PASSWORD, "name": long("Okafor"), "role": "teacher"}),
        )
        .await;
    let token = res.body["access_token"].as_str().unwrap().to_string();
    let class_name = long("Mathematics");
    let res = app
        .post(
            "/v1/classes",
            Some(&token),
            &json!({"name": class_name, "subject": long("Algebra")}),
        )
        .await;
    let code = res.body["join_code"].as_str().unwrap().to_string();
    let res = app
        .post(
            "/v1/auth/register",
            None,
            &json!({"email": format!("s-{email}"), "password": TEST_PASSWORD, "name": long("Wolfeschlegel"), "role": "student"}),
        )
        .await;
    let student = res.body["access_token"].as_str().unwrap().to_string();
    app.post(
        "/v1/classes/join",
        Some(&student),
        &json!({"join_code": code}),
    )
    .await;

    let teacher = driver.browser(&app.address, "teacher").await;
    sign_in(&teacher, &email, "/teacher").await;
    teacher.wait_text("#class-view", "Wolfeschlegel").await;
    for size in ["", "200%"] {
        let o = overflow(&teacher, size).await;
        assert!(
            o["scroll"].as_i64().unwrap_or(1) <= 0 && o["wide"] == json!([]),
            "the teacher page at text size {size:?} is wider than the phone: {o}"
        );
    }
    check_showing(&teacher, "teacher-long-names", None).await;
    teacher.quit().await;
}
