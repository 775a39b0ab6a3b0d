//! The admin page in a real browser: an admin signs in (and lands on /admin), finds a parent
//! by email and deactivates them: the parent's open family page is signed out at once (its
//! live feed closes with 4003) and their token is refused; reactivated, the parent signs in
//! again. The admin retries a dead letter whose cause was fixed and discards another, starts
//! a system backup and sees it verified, and filters the audit log down to the deactivation.
//! A parent who opens /admin is sent to their own page. Every state passes axe at both sizes
//! and with 200 % text, and at 200 % text fits a phone.

use awc::http::StatusCode;
use serde_json::json;

use super::actions::sign_in;
use super::browser::{Browser, Driver};
use super::look::check;

/// axe at both sizes with normal text and with 200 % text, and nothing wider than a phone at
/// 200 % text.
async fn look(b: &Browser, name: &str) {
    check(b, name).await;
    b.js("document.documentElement.style.fontSize = '200%'; return true;")
        .await;
    check(b, &format!("{name}-200")).await;
    b.cdp(
        "Emulation.setDeviceMetricsOverride",
        json!({"width": 390, "height": 844, "deviceScaleFactor": 1, "mobile": true}),
    )
    .await;
    let overflow = b
        .js(r#"
            // Boxes past the screen's edge, and text spilling out of its own box (a long
            // word in a heading is cut off without widening anything).
            const wide = [...document.querySelectorAll('main *')]
              .filter((el) => el.checkVisibility() && (el.getBoundingClientRect().right > innerWidth + 1
                || (el.scrollWidth > el.clientWidth + 1 && getComputedStyle(el).overflowX === 'visible')))
              .map((el) => el.tagName + '#' + el.id + '.' + el.className);
            return { scroll: document.documentElement.scrollWidth - innerWidth, wide: wide.slice(0, 5) };
        "#)
        .await;
    b.js("document.documentElement.style.fontSize = ''; return true;")
        .await;
    b.cdp("Emulation.clearDeviceMetricsOverride", json!({}))
        .await;
    assert!(
        overflow["scroll"].as_i64().unwrap_or(1) <= 0 && overflow["wide"] == json!([]),
        "{name}: wider than a phone at 200 % text: {overflow}"
    );
}

#[actix_web::test]
async fn an_admin_deactivates_a_parent_handles_a_dead_letter_and_backs_up() {
    let Some(driver) = Driver::start("pages::admin").await else {
        return;
    };
    let app = crate::common::spawn_app().await;
    let admin = app.admin().await;
    let (parent, kid) = app.parent_with_child("Ada").await;
    let letter = crate::dead_letters::park_one(&app, &kid).await;
    let (fixable, session) = crate::dead_letters::park_orphan_answer(&app, &kid).await;

    // The parent has the family page open, its live feed connected.
    let home = driver.browser(&app.address, "parent").await;
    sign_in(&home, &parent.email, "/parent").await;
    home.wait_text(".child-panel h2", "Ada").await;
    home.wait_js(
        "the parent's live feed is open",
        "document.body.dataset.sockParent === 'open'",
    )
    .await;
    // A parent who opens /admin is sent to their own page.
    let stray = driver.browser(&app.address, "stray parent").await;
    sign_in(&stray, &parent.email, "/parent").await;
    stray.goto("/admin").await;
    stray
        .until("a parent on /admin is sent to /parent", || async {
            stray.path().await == "/parent"
        })
        .await;
    stray.quit().await;

    // The admin signs in from the front page and lands on /admin.
    let b = driver.browser(&app.address, "admin").await;
    b.goto("/").await;
    b.fill("#signin-email", &admin.email).await;
    b.fill("#signin-password", crate::common::TEST_PASSWORD)
        .await;
    b.click("#signin button[type=submit]", None).await;
    b.until("the admin lands on /admin", || async {
        b.path().await == "/admin"
    })
    .await;
    b.wait_js("the page loaded", "document.body.dataset.loaded === 'true'")
        .await;
    b.wait_text("#health", "ok").await;
    b.shown(
        &format!("#dead-letters li[data-id='{letter}']"),
        Some("answer"),
    )
    .await;
    look(&b, "admin").await;
    // Every account is listed at first; the admin's own has no button to lock themselves out.
    let own = format!("#accounts li[data-id='{}']", admin.id);
    b.wait_text(&own, "Your own account").await;
    assert!(b.find_shown(&format!("{own} button"), None).await.is_none());

    // Finds the parent by part of their email, and deactivates them.
    let local = parent.email.split('@').next().unwrap();
    b.fill("#account-q", local).await;
    b.click("#account-search button[type=submit]", None).await;
    b.wait_text("#accounts-count", "1 accounts").await;
    let item = format!("#accounts li[data-email='{}']", parent.email);
    b.wait_text(&item, "active").await;
    b.js("window.confirm = () => true; return true;").await;
    b.click(&format!("{item} button[data-action=deactivate]"), None)
        .await;
    b.wait_text(&item, "deactivated").await;
    b.shown(&format!("{item} button[data-action=reactivate]"), None)
        .await;
    // The parent's open page is signed out at once, and their token is refused.
    home.until("the parent's page is signed out", || async {
        home.path().await.starts_with("/?next=")
    })
    .await;
    let me = app.get("/v1/auth/me", Some(&parent.access)).await;
    assert_eq!(me.status, StatusCode::UNAUTHORIZED, "{}", me.body);
    look(&b, "admin-deactivated").await;

    // Reactivated, the parent signs in again.
    b.click(&format!("{item} button[data-action=reactivate]"), None)
        .await;
    b.shown(&format!("{item} button[data-action=deactivate]"), None)
        .await;
    sign_in(&home, &parent.email, "/parent").await;
    home.wait_text(".child-panel h2", "Ada").await;

    // One dead letter's cause is fixed (its session stored after all): retried, it is stored.
    crate::dead_letters::store_session(&app, &session, &kid).await;
    b.click(
        &format!("#dead-letters li[data-id='{fixable}'] button[data-action=retry]"),
        None,
    )
    .await;
    b.until("the retried letter leaves the list", || async {
        b.find_shown(&format!("#dead-letters li[data-id='{fixable}']"), None)
            .await
            .is_none()
    })
    .await;
    // The other is discarded, and gone for good.
    b.click(
        &format!("#dead-letters li[data-id='{letter}'] button[data-action=discard]"),
        None,
    )
    .await;
    b.shown("#dead-empty", None).await;
    let left = app.get("/v1/admin/dead-letters", Some(&admin.access)).await;
    assert_eq!(left.body["dead_letters"], json!([]), "{}", left.body);

    // A system backup, started here, shows up verified.
    b.click("#backup-start", None).await;
    b.shown("#backups li[data-status=verified]", Some("System backup"))
        .await;
    let list = app.get("/v1/backups", Some(&admin.access)).await;
    assert_eq!(list.body[0]["kind"], "system", "{}", list.body);

    // The audit log, filtered: the deactivation, by the admin.
    b.fill("#audit-action", "deactivate").await;
    b.fill("#audit-entity", "account").await;
    b.click("#audit-filter button[type=submit]", None).await;
    b.wait_text("#audit li", "deactivate account").await;
    b.until("only the deactivation is listed", || async {
        b.js("return document.querySelectorAll('#audit li').length")
            .await
            == 1
    })
    .await;
    look(&b, "admin-audit").await;
    b.no_console_errors().await;
    home.quit().await;
    b.quit().await;
}
