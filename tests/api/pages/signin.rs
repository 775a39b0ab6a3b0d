//! Signing in and registering in a real browser; the session outlives the access token.

use super::browser::Driver;
use super::look::check;
use crate::common::{TEST_PASSWORD, spawn_app};

#[actix_web::test]
async fn register_sign_out_sign_in_and_stay_signed_in() {
    let Some(driver) = Driver::start("pages::signin").await else {
        return;
    };
    let app = spawn_app().await;
    let b = driver.browser(&app.address, "parent").await;
    let email = format!("ana-{}@example.com", uuid::Uuid::new_v4().simple());

    // A new parent registers from the front page and lands on the family page.
    b.goto("/").await;
    b.wait_js(
        "the front page is ready",
        "document.body.dataset.ready === 'true'",
    )
    .await;
    check(&b, "signin").await;
    b.click("#to-register", None).await;
    check(&b, "register").await;
    b.fill("#register-name", "Ana").await;
    b.fill("#register-email", &email).await;
    b.fill("#register-password", TEST_PASSWORD).await;
    b.click("#register button[type=submit]", None).await;
    b.until("the family page", || async { b.path().await == "/parent" })
        .await;
    b.wait_text("#who", "Ana").await;

    // Signing out goes back to the front page; a wrong password is said plainly.
    b.click("#sign-out", None).await;
    b.until("the front page", || async { b.path().await == "/" })
        .await;
    b.fill("#signin-email", &email).await;
    b.fill("#signin-password", "not the password").await;
    // The password can be read before it is sent, and is hidden again when it is.
    b.click("#signin .show-password", None).await;
    assert_eq!(
        b.js("return [document.querySelector('#signin-password').type, document.querySelector('#signin .show-password').getAttribute('aria-pressed')]").await,
        serde_json::json!(["text", "true"])
    );
    b.click("#signin button[type=submit]", None).await;
    b.wait_text("#signin .form-error", "do not match").await;
    assert_eq!(
        b.js("return document.querySelector('#signin-password').type")
            .await,
        "password"
    );

    // The right one signs in.
    b.fill("#signin-password", TEST_PASSWORD).await;
    b.click("#signin button[type=submit]", None).await;
    b.until("the family page", || async { b.path().await == "/parent" })
        .await;
    b.wait_js(
        "the family page settled",
        "document.body.dataset.sockParent === 'open' && !document.querySelector('#no-notifications').hidden",
    )
    .await;

    // Without its access token (it lasts 15 minutes), a page still knows who this is: the
    // HttpOnly refresh cookie gets a new one.
    b.c.delete_cookie("access_token").await.unwrap();
    b.goto("/parent").await;
    b.wait_text("#who", "Ana").await;

    // A page for someone else sends a signed-out visitor to sign in, and back after.
    b.click("#sign-out", None).await;
    b.until("the front page", || async { b.path().await == "/" })
        .await;
    b.goto("/teacher").await;
    b.until("sign-in with a way back", || async {
        b.path().await == "/?next=%2Fteacher"
    })
    .await;
    b.quit().await;
}
