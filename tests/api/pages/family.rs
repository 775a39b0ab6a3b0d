//! A family in two browsers: the parent registers and adds a child on the family page; the
//! child plays on another device (a second browser, signed in by the parent, who picks the
//! child); the parent's page shows the achievement arrive without a reload; the parent's
//! settings end the child's time and start a quiet time, the child asks for more time, and a
//! drawing is uploaded.

use super::actions::{play_to_the_end, sign_in};
use super::browser::Driver;
use super::look::{check, check_showing};
use crate::common::{TEST_PASSWORD, spawn_app};

/// An 8×8 PNG.
const DRAWING: &[u8] = b"\x89\x50\x4e\x47\x0d\x0a\x1a\x0a\x00\x00\x00\x0d\x49\x48\x44\x52\x00\x00\x00\x08\x00\x00\x00\x08\x08\x02\x00\x00\x00\x4b\x6d\x29\xdc\x00\x00\x00\x11\x49\x44\x41\x54\x78\x9c\x63\xb0\xb6\xdf\x86\x15\x31\x0c\x2d\x09\x00\x93\xbb\x4c\x01\x48\xb6\x74\x36\x00\x00\x00\x00\x49\x45\x4e\x44\xae\x42\x60\x82";

#[actix_web::test]
async fn a_parent_sees_the_child_play_live_and_sets_the_limits() {
    let Some(driver) = Driver::start("pages::family").await else {
        return;
    };
    let app = spawn_app().await;
    let parent = driver.browser(&app.address, "parent").await;
    let child = driver.browser(&app.address, "child").await;
    let email = format!("family-{}@example.com", uuid::Uuid::new_v4().simple());

    // The parent registers and adds a child.
    parent.goto("/").await;
    parent.click("#to-register", None).await;
    parent.fill("#register-name", "Rosa").await;
    parent.fill("#register-email", &email).await;
    parent.fill("#register-password", TEST_PASSWORD).await;
    parent.click("#register button[type=submit]", None).await;
    parent.wait_text("#no-children", "first child").await;
    parent.fill("#child-name", "Mia").await;
    parent.fill("#child-age", "7").await;
    parent.fill("#child-interests", "space, animals").await;
    parent.click("#add-child button[type=submit]", None).await;
    parent.wait_text(".child-panel h2", "Mia").await;
    parent
        .wait_text(".child-panel .time-today", "60 minutes left")
        .await;
    parent
        .wait_js(
            "the live feed is open",
            "document.body.dataset.sockParent === 'open'",
        )
        .await;

    // On the child's device the parent signs in and picks Mia, who plays an activity.
    sign_in(&child, &email, "/play").await;
    child.shown("#children .child", Some("Mia")).await;
    check(&child, "play-picker").await;
    child.click("#children .child", Some("Mia")).await;
    child.wait_text("#hello-name", "Mia").await;
    child.click("#recommended-card .activity", None).await;
    parent.wait_text(".child-panel .pill", "Playing").await;
    play_to_the_end(&child).await;
    child.wait_text("#celebration", "First Steps").await;
    child.click("#celebration-close", None).await;

    // The parent's page heard it all as it happened.
    parent
        .wait_text("#notifications", "Mia unlocked “First Steps”")
        .await;
    parent.wait_text("#notifications", "Mia finished").await;
    parent.wait_text("#unread", "new").await;
    check(&parent, "parent").await;

    // A drawing, uploaded from the family page, is listed with its picture.
    let dir = tempfile::tempdir().unwrap();
    let png = dir.path().join("rocket.png");
    std::fs::write(&png, DRAWING).unwrap();
    parent.click(".child-panel summary", Some("Drawings")).await;
    parent
        .fill(".drawings-box input[name=title]", "Rocket")
        .await;
    parent
        .shown(".drawings-box input[type=file]", None)
        .await
        .send_keys(png.to_str().unwrap())
        .await
        .unwrap();
    parent
        .click(".drawings-box button[type=submit]", None)
        .await;
    parent
        .wait_js(
            "the drawing is shown",
            "[...document.querySelectorAll('.drawings img')].some(i => i.alt === 'Rocket' && i.naturalWidth === 8)",
        )
        .await;

    // A limit of 0: the child's page says time is up, kindly.
    parent.click(".child-panel summary", Some("Settings")).await;
    check_showing(&parent, "parent-settings", Some(".settings-form")).await;
    parent.fill(".settings-form input[name=limit]", "0").await;
    parent
        .click(".settings-form button[type=submit]", None)
        .await;
    parent.wait_text(".settings-form .saved", "Saved").await;
    child
        .wait_text("[data-screen=timeup] h1", "all for today")
        .await;
    check(&child, "play-timeup").await;

    // The parent gives 15 minutes; the child looks again and plays on.
    parent
        .click(".child-panel .grant button", Some("+15"))
        .await;
    parent
        .wait_js(
            "the grant shows",
            "/1[45] minutes left/.test(document.querySelector('.child-panel .time-today').textContent)",
        )
        .await;
    child.click("#check-time", None).await;
    child.wait_text("#hello-name", "Mia").await;
    child.wait_text("#time-left", "minutes left").await;

    // The child asks for more; the parent says yes from the notification.
    child.click("#ask-time", None).await;
    child.click("#ask-dialog label.choice", Some("30")).await;
    child.fill("#ask-reason", "to finish the planets").await;
    check(&child, "play-ask").await;
    child.click("#ask-form button[type=submit]", None).await;
    child.wait_text("#time-banner", "We asked").await;
    parent
        .wait_text("#notifications", "Mia asks for 30 minutes more")
        .await;
    parent.click("#notifications button", Some("Yes")).await;
    parent
        .wait_text("#notifications", "You gave 30 minutes")
        .await;
    child.wait_text("#time-banner", "30 minutes more").await;

    // A quiet time that holds all day: the child's page rests.
    parent
        .click(".settings-form button", Some("Add a quiet time"))
        .await;
    parent
        .click(".settings-form button", Some("Add a quiet time"))
        .await;
    parent
        .js(r#"
            const rows = document.querySelectorAll('.settings-form .window');
            for (const row of rows) for (const box of row.querySelectorAll('.days input')) box.checked = true;
            rows[0].querySelector('.start').value = '00:00';
            rows[0].querySelector('.end').value = '12:00';
            rows[1].querySelector('.start').value = '12:00';
            rows[1].querySelector('.end').value = '00:00';
            return true;
        "#)
        .await;
    parent.fill(".settings-form input[name=limit]", "60").await;
    parent
        .click(".settings-form button[type=submit]", None)
        .await;
    parent.wait_text(".settings-form .saved", "Saved").await;
    child.wait_text("[data-screen=downtime] h1", "break").await;
    child.wait_text("#downtime-until", "play again").await;
    check(&child, "play-downtime").await;
    let settings = parent
        .js("return document.querySelectorAll('.settings-form .window').length")
        .await;
    assert_eq!(settings, 2);

    child.quit().await;
    parent.quit().await;
}
