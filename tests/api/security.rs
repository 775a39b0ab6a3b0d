//! Security at the edge: the headers every answer carries, the REST budget per account,
//! the most common passwords refused, and sign-ins, sign-outs and password changes in the
//! audit log.

use awc::http::StatusCode;
use serde_json::{Value, json};

use crate::common::{Response, TEST_PASSWORD, spawn_app, spawn_app_with};

fn header<'a>(res: &'a Response, name: &str) -> &'a str {
    res.headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

fn assert_secured(res: &Response, what: &str) {
    let csp = header(res, "content-security-policy");
    assert!(
        csp.contains("frame-ancestors 'none'"),
        "{what}: csp {csp:?}"
    );
    assert!(csp.contains("default-src 'none'"), "{what}: csp {csp:?}");
    assert_eq!(header(res, "x-content-type-options"), "nosniff", "{what}");
    assert_eq!(header(res, "x-frame-options"), "DENY", "{what}");
    assert_eq!(header(res, "referrer-policy"), "no-referrer", "{what}");
    let permissions = header(res, "permissions-policy");
    assert!(
        permissions.contains("camera=()") && permissions.contains("microphone=()"),
        "{what}: {permissions:?}"
    );
}

#[actix_web::test]
async fn every_kind_of_answer_carries_the_security_headers() {
    let app = spawn_app().await;
    let parent = app.register("parent").await;

    let page = app.get("/parent", None).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_secured(&page, "a page");
    // The page keeps its own policy, which lets its files run.
    assert!(header(&page, "content-security-policy").contains("script-src 'self'"));
    let html = String::from_utf8(page.raw.clone()).unwrap();
    let asset = html
        .split('"')
        .find(|s| s.starts_with("/assets/"))
        .expect("the page names its files")
        .to_string();
    let file = app.get(&asset, None).await;
    assert_eq!(file.status, StatusCode::OK, "{asset}");
    assert_secured(&file, "a file");

    let ok = app.get("/v1/auth/me", Some(&parent.access)).await;
    assert_eq!(ok.status, StatusCode::OK);
    assert_secured(&ok, "an API success");
    // The API's answers are never cached, and never rendered as a document.
    assert_eq!(header(&ok, "cache-control"), "no-store");
    assert!(header(&ok, "content-disposition").starts_with("attachment"));
    assert_eq!(header(&page, "cache-control"), "no-cache");
    let refused = app.get("/v1/auth/me", None).await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    assert_secured(&refused, "an API error");
    let invalid = app
        .post("/v1/children", Some(&parent.access), &json!({"name": ""}))
        .await;
    assert_eq!(invalid.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_secured(&invalid, "a 422");
    let missing = app.get("/no/such/thing", None).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_secured(&missing, "a 404");
    // Refused by a middleware before any route: a NUL in the path.
    let nul = app.get("/v1/children/a%00b", Some(&parent.access)).await;
    assert_eq!(nul.status, StatusCode::NOT_FOUND);
    assert_secured(&nul, "a refusal before routing");
    let health = app.get("/health", None).await;
    assert_secured(&health, "/health");
    // The API docs page runs its own scripts, framed by no one.
    let docs = app.get("/docs/", None).await;
    assert_eq!(docs.status, StatusCode::OK);
    let csp = header(&docs, "content-security-policy");
    assert!(csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"));
}

#[actix_web::test]
async fn one_account_past_its_budget_gets_429_while_another_is_served() {
    let app = spawn_app_with(|c| {
        c.rest_budget_per_sec = 1;
        c.rest_budget_burst = 10;
    })
    .await;
    let greedy = app.register("parent").await;
    let other = app.register("parent").await;
    let mut refused = None;
    for _ in 0..40 {
        let res = app.get("/v1/auth/me", Some(&greedy.access)).await;
        if res.status == StatusCode::TOO_MANY_REQUESTS {
            refused = Some(res);
            break;
        }
        assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    }
    let refused = refused.expect("a 429 within 40 calls at 1 a second, bursts of 10");
    assert_eq!(refused.code(), "rate_limited");
    let wait: u64 = header(&refused, "retry-after")
        .parse()
        .expect("Retry-After");
    assert!((1..=2).contains(&wait), "Retry-After: {wait}");
    assert!(
        refused.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("account")
    );
    assert_secured(&refused, "a 429");
    // Someone else is still served at once.
    let res = app.get("/v1/auth/me", Some(&other.access)).await;
    assert_eq!(res.status, StatusCode::OK);
    // Pages and files are not counted.
    assert_eq!(app.get("/parent", None).await.status, StatusCode::OK);
}

#[actix_web::test]
async fn the_most_common_passwords_are_refused() {
    let app = spawn_app().await;
    for password in ["password1", "BASEBALL", "12345678", "Iloveyou"] {
        let res = app
            .post(
                "/v1/auth/register",
                None,
                &json!({"email": format!("p{}@example.com", uuid::Uuid::new_v4().simple()),
                        "password": password, "name": "Pat", "role": "parent"}),
            )
            .await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{password}");
        let reason = res.body["error"]["details"]["fields"]["password"]
            .as_str()
            .unwrap_or_default();
        assert!(reason.contains("most common"), "{}", res.body);
    }
    let parent = app.register("parent").await;
    let res = app
        .post(
            "/v1/auth/password",
            Some(&parent.access),
            &json!({"current_password": TEST_PASSWORD, "new_password": "Football"}),
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.body["error"]["details"]["fields"]["new_password"].is_string());
    // The old password still works: nothing changed.
    let login = app
        .post(
            "/v1/auth/login",
            None,
            &json!({"email": parent.email, "password": TEST_PASSWORD}),
        )
        .await;
    assert_eq!(login.status, StatusCode::OK);
}

#[actix_web::test]
async fn sign_ins_sign_outs_and_password_changes_are_audited() {
    let app = spawn_app().await;
    let parent = app.register("parent").await;
    let wrong = app
        .post(
            "/v1/auth/login",
            None,
            &json!({"email": parent.email, "password": "not the password"}),
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    let unknown = app
        .post(
            "/v1/auth/login",
            None,
            &json!({"email": "nobody@example.com", "password": "not the password"}),
        )
        .await;
    assert_eq!(unknown.status, StatusCode::UNAUTHORIZED);
    let login = app
        .post(
            "/v1/auth/login",
            None,
            &json!({"email": parent.email, "password": TEST_PASSWORD}),
        )
        .await;
    assert_eq!(login.status, StatusCode::OK);
    let access = login.body["access_token"].as_str().unwrap().to_string();
    let changed = app
        .post(
            "/v1/auth/password",
            Some(&access),
            &json!({"current_password": TEST_PASSWORD, "new_password": "a brand new secret"}),
        )
        .await;
    assert_eq!(changed.status, StatusCode::NO_CONTENT, "{}", changed.body);
    let again = app
        .post(
            "/v1/auth/login",
            None,
            &json!({"email": parent.email, "password": "a brand new secret"}),
        )
        .await;
    assert_eq!(again.status, StatusCode::OK);
    let refresh = again.body["refresh_token"].as_str().unwrap();
    let out = app
        .post("/v1/auth/logout", None, &json!({"refresh_token": refresh}))
        .await;
    assert_eq!(out.status, StatusCode::NO_CONTENT);

    let admin = app.admin().await;
    let log = app
        .get(
            &format!("/v1/audit?user_id={}&limit=50", parent.id),
            Some(&admin.access),
        )
        .await;
    assert_eq!(log.status, StatusCode::OK, "{}", log.body);
    let entries = log.body["entries"].as_array().unwrap();
    let seen: Vec<String> = entries
        .iter()
        .rev()
        .map(|e| {
            format!(
                "{}:{}",
                e["entity_type"].as_str().unwrap(),
                e["action"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            "session:register",
            "session:login_failed",
            "session:login",
            "password:update",
            "session:login",
            "session:logout"
        ],
        "{entries:?}"
    );
    for e in entries {
        assert_eq!(e["ip_address"], "127.0.0.1");
        // Never a password, right or wrong.
        let text = e.to_string();
        assert!(!text.contains(TEST_PASSWORD) && !text.contains("not the password"));
        assert!(!text.contains("a brand new secret"), "{text}");
    }
    assert_eq!(
        entries[0]["old_values"],
        Value::Null,
        "an event has no old values"
    );
    // A failure for an email that names no account is kept without one.
    let all = app
        .get(
            "/v1/audit?action=login_failed&limit=50",
            Some(&admin.access),
        )
        .await;
    let stranger = all.body["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["new_values"]["email"] == "nobody@example.com")
        .expect("the unknown email's failure is audited");
    assert_eq!(stranger["user_id"], Value::Null);
}

/// The password asked again (a new password, the PIN, erasing the account) has one allowance
/// of five wrong tries per account: a wrong one on one form counts on the others, and each is
/// audited as a refused sign-in.
#[actix_web::test]
async fn the_password_asked_again_has_one_allowance_for_every_form() {
    let app = spawn_app().await;
    let parent = app.register("parent").await;
    let wrong = "not the password";
    let forms = [
        (
            "POST",
            "/v1/auth/password",
            json!({"current_password": wrong, "new_password": "a brand new secret"}),
        ),
        (
            "PUT",
            "/v1/me/pin",
            json!({"pin": "2468", "password": wrong}),
        ),
        ("DELETE", "/v1/me", json!({"password": wrong})),
    ];
    // Five wrong ones, going round the three forms.
    for (i, (method, path, body)) in forms.iter().cycle().take(5).enumerate() {
        let res = app.send(method, path, Some(&parent.access), body).await;
        assert_eq!(
            res.status,
            StatusCode::UNAUTHORIZED,
            "try {i}: {}",
            res.body
        );
    }
    // The sixth, on any form and even with the right password, waits.
    let res = app
        .send(
            "DELETE",
            "/v1/me",
            Some(&parent.access),
            &json!({"password": TEST_PASSWORD}),
        )
        .await;
    assert_eq!(res.status, StatusCode::TOO_MANY_REQUESTS, "{}", res.body);
    assert!(res.headers.contains_key("retry-after"));
    assert_eq!(
        app.get("/v1/auth/me", Some(&parent.access)).await.status,
        StatusCode::OK
    );
    let admin = app.admin().await;
    let log = app
        .audit_entries(&admin.access, "action=login_failed")
        .await;
    let again = log
        .iter()
        .filter(|e| {
            e["user_id"] == parent.id.as_str() && e["new_values"]["method"] == "password_again"
        })
        .count();
    assert_eq!(again, 5, "{log:?}");
}
