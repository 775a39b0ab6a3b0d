//! A front end on another site, in a real browser: the API at `http://localhost:PORT` with
//! `STUDYHUB_COOKIE_SAMESITE=none` (and `Secure`) and CORS credentials for one origin; a page
//! served by a second listener in this test at `http://127.0.0.1:OTHER` (another site: the
//! host differs) signs in with `credentials: 'include'`, then refreshes with nothing but the
//! cookie, twice (each refresh rotates it). The same page against a server left at `strict`
//! signs in but keeps no usable cookie: `none` is what makes the difference. A page of an
//! origin that is not listed, in a fresh browser, cannot sign in at all (its preflight is
//! refused) and gets no cookie.
//!
//! Plain HTTP is honest here: Chrome counts `http://localhost` as a secure context and keeps
//! the `Secure` cookies it sets (the DevTools protocol reports their source scheme as
//! `Secure`). What the test does set is the browser's own choice about third-party cookies:
//! this Chromium blocks them by default (the cookie is refused with the reason
//! `UserPreferences`), as Safari always does and Chrome does when a user asks. Such a browser
//! keeps no cookie for a cross-site API whatever `SameSite` says; a front end on another site
//! must then keep the refresh token from the response body, or be served from the same site
//! (a subdomain), where the default `strict` already works.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::time::Duration;

use serde_json::{Value, json};

use super::browser::{Browser, Driver};
use crate::common::{TEST_PASSWORD, spawn_app_with};

/// Answers every request on `listener` with one small page (a stand-in for the other site's
/// front end), on a thread of its own for the rest of the test run.
fn serve_a_page(listener: TcpListener) {
    std::thread::spawn(move || {
        let body = "<!doctype html><html lang=\"en\"><title>Another site</title>\
                    <main><h1>Another site</h1></main></html>";
        for stream in listener.incoming() {
            let Ok(mut s) = stream else { continue };
            let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
            let mut head = Vec::new();
            let mut buf = [0u8; 2048];
            while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                match s.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => head.extend_from_slice(&buf[..n]),
                }
            }
            let _ = write!(
                s,
                "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n\
                 Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
}

fn origin_of(listener: &TcpListener) -> String {
    format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port())
}

/// Signs in from the page on screen with `credentials: 'include'`, then refreshes twice with
/// only the cookie (no body, no header); what each call answered, or the error.
async fn sign_in_and_refresh(b: &Browser, api: &str, email: &str) -> Value {
    b.c.execute_async(
        r#"
        const [api, email, password, done] = arguments;
        (async () => {
          const out = { refreshes: [] };
          try {
            const login = await fetch(`${api}/v1/auth/login`, {
              method: 'POST', credentials: 'include',
              headers: { 'Content-Type': 'application/json' },
              body: JSON.stringify({ email, password }),
            });
            out.login = login.status;
            for (let i = 0; i < 2; i += 1) {
              const res = await fetch(`${api}/v1/auth/refresh`, { method: 'POST', credentials: 'include' });
              const body = await res.json().catch(() => ({}));
              out.refreshes.push(res.status);
              out.token = body.access_token ?? null;
            }
            const me = await fetch(`${api}/v1/auth/me`, { headers: { Authorization: `Bearer ${out.token}` } });
            out.me = me.status;
          } catch (e) {
            out.error = String(e);
          }
          done(out);
        })();
        "#,
        vec![json!(api), json!(email), json!(TEST_PASSWORD)],
    )
    .await
    .unwrap()
}

/// The browser's cookies for `url`.
async fn cookies(b: &Browser, url: &str) -> Vec<Value> {
    b.cdp("Network.getCookies", json!({"urls": [url]})).await["cookies"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// Chrome preferences of a browser that allows third-party cookies.
fn third_party_cookies_allowed() -> Value {
    json!({"profile.cookie_controls_mode": 0, "profile.block_third_party_cookies": false})
}

#[actix_web::test]
async fn a_front_end_on_another_site_keeps_the_refresh_cookie_and_no_other_site_does() {
    let Some(driver) = Driver::start("pages::cross_origin").await else {
        return;
    };
    let listed = TcpListener::bind("127.0.0.1:0").unwrap();
    let unlisted = TcpListener::bind("127.0.0.1:0").unwrap();
    let (listed_origin, unlisted_origin) = (origin_of(&listed), origin_of(&unlisted));
    serve_a_page(listed);
    serve_a_page(unlisted);
    let server = |same_site: &'static str| {
        let allowed = listed_origin.clone();
        spawn_app_with(move |c| {
            c.cors_origins = allowed;
            c.cookie_secure = true;
            c.cookie_samesite = same_site.into();
        })
    };
    let app = server("none").await;
    let parent = app.register("parent").await;
    let api = format!("http://localhost:{}", app.port);

    // The listed site signs in and keeps the cookie across refreshes.
    let front = driver
        .browser_with_prefs(
            &listed_origin,
            "listed front end",
            third_party_cookies_allowed(),
        )
        .await;
    front.goto("/").await;
    let got = sign_in_and_refresh(&front, &api, &parent.email).await;
    assert_eq!(got["error"], Value::Null, "{got}");
    assert_eq!(got["login"], 200, "{got}");
    assert_eq!(
        got["refreshes"],
        json!([200, 200]),
        "refreshed by the cookie: {got}"
    );
    assert_eq!(got["me"], 200, "{got}");
    let kept = cookies(&front, &format!("{api}/v1/auth/refresh")).await;
    let refresh = kept
        .iter()
        .find(|c| c["name"] == "refresh_token")
        .unwrap_or_else(|| panic!("no refresh cookie kept: {kept:?}"));
    assert_eq!(refresh["sameSite"], "None", "{refresh}");
    assert_eq!(refresh["secure"], true, "{refresh}");
    assert_eq!(refresh["httpOnly"], true, "{refresh}");

    // The same site against a server left at `strict`: signed in, but the cookie never
    // comes back cross-site.
    let strict = server("strict").await;
    let strict_parent = strict.register("parent").await;
    let strict_api = format!("http://localhost:{}", strict.port);
    let got = sign_in_and_refresh(&front, &strict_api, &strict_parent.email).await;
    assert_eq!(got["login"], 200, "{got}");
    assert_eq!(got["refreshes"], json!([401, 401]), "{got}");
    front.quit().await;

    // A site that is not listed: the preflight is refused, so nothing is sent and no cookie
    // is kept.
    let other = driver
        .browser_with_prefs(
            &unlisted_origin,
            "unlisted site",
            third_party_cookies_allowed(),
        )
        .await;
    other.goto("/").await;
    let got = sign_in_and_refresh(&other, &api, &parent.email).await;
    assert!(
        got["error"]
            .as_str()
            .is_some_and(|e| e.contains("Failed to fetch")),
        "an unlisted origin is refused: {got}"
    );
    assert_eq!(got["login"], Value::Null, "{got}");
    let kept = cookies(&other, &format!("{api}/v1/auth/refresh")).await;
    assert!(kept.is_empty(), "no cookie for an unlisted site: {kept:?}");
    let _ = other.c.close().await;
}
