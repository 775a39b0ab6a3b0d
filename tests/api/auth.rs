//! Accounts and tokens, end to end against a real server and database.

use crate::common::{TEST_PASSWORD, spawn_app};
use awc::http::StatusCode;
use serde_json::json;

#[actix_web::test]
async fn register_returns_tokens_user_and_strict_cookies() {
    let app = spawn_app().await;
    let res = app
        .post("/v1/auth/register", None, &json!({"email": "  Mum@Example.COM ", "password": TEST_PASSWORD, "name": " Mum ", "role": "parent"}))
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    assert_eq!(res.body["user"]["email"], "mum@example.com");
    assert_eq!(res.body["user"]["name"], "Mum");
    assert_eq!(res.body["user"]["role"], "parent");
    assert_eq!(res.body["expires_in"], 900);
    assert!(res.body["user"].get("password_hash").is_none());
    let cookies: Vec<String> = res
        .headers
        .get_all("set-cookie")
        .map(|v| v.to_str().unwrap().to_string())
        .collect();
    let refresh = cookies
        .iter()
        .find(|c| c.starts_with("refresh_token="))
        .expect("refresh cookie");
    assert!(
        refresh.contains("HttpOnly") && refresh.contains("SameSite=Strict"),
        "{refresh}"
    );
    assert!(
        cookies
            .iter()
            .any(|c| c.starts_with("access_token=") && c.contains("HttpOnly"))
    );
}

#[actix_web::test]
async fn a_student_gets_a_learner_and_a_parent_gets_children() {
    let app = spawn_app().await;
    let student = app.register("student").await;
    let me = app.get("/v1/auth/me", Some(&student.access)).await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(me.body["user"]["id"], student.id.as_str());
    assert_eq!(me.body["learner"]["name"], "Test student");
    assert!(me.body["learner"]["id"].as_str().is_some());

    let parent = app.register("parent").await;
    let me = app.get("/v1/auth/me", Some(&parent.access)).await;
    assert_eq!(me.body["children"], json!([]));
    assert!(me.body.get("learner").is_none());

    let teacher = app.register("teacher").await;
    let me = app.get("/v1/auth/me", Some(&teacher.access)).await;
    assert_eq!(me.body["user"]["role"], "teacher");
}

#[actix_web::test]
async fn duplicate_email_is_a_conflict_whatever_the_case() {
    let app = spawn_app().await;
    let a = app.register("parent").await;
    let res = app
        .post("/v1/auth/register", None, &json!({"email": a.email.to_uppercase(), "password": TEST_PASSWORD, "name": "Other", "role": "teacher"}))
        .await;
    assert_eq!(res.status, StatusCode::CONFLICT);
    assert_eq!(res.code(), "email_taken");
}

#[actix_web::test]
async fn admin_cannot_be_registered() {
    let app = spawn_app().await;
    let res = app
        .post("/v1/auth/register", None, &json!({"email": "boss@example.com", "password": TEST_PASSWORD, "name": "Boss", "role": "admin"}))
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        res.body["error"]["details"]["fields"]["role"].is_string(),
        "{}",
        res.body
    );
}

#[actix_web::test]
async fn login_succeeds_and_failures_look_alike() {
    let app = spawn_app().await;
    let a = app.register("parent").await;
    let ok = app
        .post(
            "/v1/auth/login",
            None,
            &json!({"email": a.email.to_uppercase(), "password": TEST_PASSWORD}),
        )
        .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
    assert_eq!(ok.body["user"]["id"], a.id.as_str());
    assert!(ok.body["access_token"].is_string() && ok.body["refresh_token"].is_string());

    let wrong = app
        .post(
            "/v1/auth/login",
            None,
            &json!({"email": a.email, "password": "not the password"}),
        )
        .await;
    let unknown = app
        .post(
            "/v1/auth/login",
            None,
            &json!({"email": "nobody@example.com", "password": "not the password"}),
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!(unknown.status, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong.code(), "invalid_credentials");
    assert_eq!(
        wrong.body, unknown.body,
        "unknown email and wrong password answer alike"
    );
}

#[actix_web::test]
async fn refresh_rotates_and_a_reused_token_revokes_the_family() {
    let app = spawn_app().await;
    let a = app.register("parent").await;
    let r1 = a.refresh.clone();
    let first = app
        .post("/v1/auth/refresh", None, &json!({"refresh_token": r1}))
        .await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    let r2 = first.body["refresh_token"].as_str().unwrap().to_string();
    assert_ne!(r1, r2);
    let me = app
        .get("/v1/auth/me", first.body["access_token"].as_str())
        .await;
    assert_eq!(me.status, StatusCode::OK);

    // r1 is spent: presenting it again is a replay.
    let replay = app
        .post("/v1/auth/refresh", None, &json!({"refresh_token": r1}))
        .await;
    assert_eq!(replay.status, StatusCode::UNAUTHORIZED);
    assert_eq!(replay.code(), "token_reused");
    // ...and the whole family, including the newest token, is revoked.
    let after = app
        .post("/v1/auth/refresh", None, &json!({"refresh_token": r2}))
        .await;
    assert_eq!(after.status, StatusCode::UNAUTHORIZED);
    assert_eq!(after.code(), "token_revoked");

    // Other sign-ins (other families) are untouched.
    let login = app
        .post(
            "/v1/auth/login",
            None,
            &json!({"email": a.email, "password": TEST_PASSWORD}),
        )
        .await;
    let r3 = login.body["refresh_token"].as_str().unwrap();
    let ok = app
        .post("/v1/auth/refresh", None, &json!({"refresh_token": r3}))
        .await;
    assert_eq!(ok.status, StatusCode::OK);
}

#[actix_web::test]
async fn a_sign_in_lasts_thirty_days_however_often_it_is_refreshed() {
    use diesel::prelude::*;
    use studyhub::infra::db::schema::refresh_tokens;
    let app = spawn_app().await;
    let a = app.register("parent").await;
    // Refreshed every day, the family would live forever without a cap: make this one
    // begin 29 days ago, then 31 (a family's id carries when it began).
    let began = |days: u64| {
        let at = std::time::SystemTime::now() - std::time::Duration::from_secs(days * 86_400);
        let secs = at.duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
        uuid::Uuid::new_v7(uuid::Timestamp::from_unix(uuid::NoContext, secs, 0)).to_string()
    };
    let mut conn = studyhub::infra::db::establish(&app.db.url).unwrap();
    let mut age = |days: u64| {
        diesel::update(refresh_tokens::table.filter(refresh_tokens::user_id.eq(&a.id)))
            .set(refresh_tokens::family_id.eq(began(days)))
            .execute(&mut conn)
            .unwrap();
    };
    age(29);
    let young = app
        .post(
            "/v1/auth/refresh",
            None,
            &json!({"refresh_token": a.refresh}),
        )
        .await;
    assert_eq!(young.status, StatusCode::OK, "{}", young.body);
    let next = young.body["refresh_token"].as_str().unwrap().to_string();
    age(31);
    let old = app
        .post("/v1/auth/refresh", None, &json!({"refresh_token": next}))
        .await;
    assert_eq!(old.status, StatusCode::UNAUTHORIZED, "{}", old.body);
    assert_eq!(old.code(), "token_expired");
    // Signing in again starts a new one.
    let login = app
        .post(
            "/v1/auth/login",
            None,
            &json!({"email": a.email, "password": TEST_PASSWORD}),
        )
        .await;
    let fresh = login.body["refresh_token"].as_str().unwrap();
    let ok = app
        .post("/v1/auth/refresh", None, &json!({"refresh_token": fresh}))
        .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
}

#[actix_web::test]
async fn refresh_and_access_work_from_cookies() {
    let app = spawn_app().await;
    let a = app.register("parent").await;
    let res = app
        .client
        .post(app.url("/v1/auth/refresh"))
        .insert_header(("cookie", format!("refresh_token={}", a.refresh)))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let me = app
        .client
        .get(app.url("/v1/auth/me"))
        .insert_header(("cookie", format!("access_token={}", a.access)))
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), StatusCode::OK);
}

#[actix_web::test]
async fn unknown_refresh_tokens_and_missing_ones_are_401() {
    let app = spawn_app().await;
    let res = app
        .post(
            "/v1/auth/refresh",
            None,
            &json!({"refresh_token": "made-up"}),
        )
        .await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED);
    assert_eq!(res.code(), "invalid_token");
    let res = app
        .post_raw("/v1/auth/refresh", "application/json", "")
        .await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED);
}

#[actix_web::test]
async fn logout_revokes_the_family_and_clears_cookies() {
    let app = spawn_app().await;
    let a = app.register("parent").await;
    let res = app
        .client
        .post(app.url("/v1/auth/logout"))
        .bearer_auth(&a.access)
        .send_json(&json!({"refresh_token": a.refresh}))
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let cleared = res
        .headers()
        .get_all("set-cookie")
        .any(|c| c.to_str().unwrap().starts_with("refresh_token=;"));
    assert!(cleared, "refresh cookie cleared");
    let res = app
        .post(
            "/v1/auth/refresh",
            None,
            &json!({"refresh_token": a.refresh}),
        )
        .await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED);
    assert_eq!(res.code(), "token_revoked");
}

#[actix_web::test]
async fn bad_or_missing_access_tokens_are_401() {
    let app = spawn_app().await;
    assert_eq!(
        app.get("/v1/auth/me", None).await.status,
        StatusCode::UNAUTHORIZED
    );
    let res = app.get("/v1/auth/me", Some("not.a.jwt")).await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED);
    assert_eq!(res.code(), "invalid_token");
    // A token signed with another secret.
    let other = studyhub::features::auth::jwt::JwtKeys::new(b"another-secret-another-secret-xx");
    let (forged, _) = other
        .issue("someone", studyhub::features::auth::Role::Admin, 0)
        .unwrap();
    assert_eq!(
        app.get("/v1/auth/me", Some(&forged)).await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[actix_web::test]
async fn five_failures_per_email_lock_that_email_with_retry_after() {
    let app = spawn_app().await;
    let a = app.register("parent").await;
    for _ in 0..5 {
        let res = app
            .post(
                "/v1/auth/login",
                None,
                &json!({"email": a.email, "password": "wrong password"}),
            )
            .await;
        assert_eq!(res.status, StatusCode::UNAUTHORIZED);
    }
    // Even the right password is refused now.
    let res = app
        .post(
            "/v1/auth/login",
            None,
            &json!({"email": a.email, "password": TEST_PASSWORD}),
        )
        .await;
    assert_eq!(res.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(res.code(), "rate_limited");
    let retry: u64 = res
        .headers
        .get("retry-after")
        .unwrap()
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry > 0 && retry <= 900, "retry-after {retry}");
}

#[actix_web::test]
async fn five_failures_from_one_address_lock_that_address() {
    let app = spawn_app().await;
    let a = app.register("parent").await;
    for i in 0..5 {
        let res = app
            .post(
                "/v1/auth/login",
                None,
                &json!({"email": format!("guess{i}@example.com"), "password": "wrong password"}),
            )
            .await;
        assert_eq!(res.status, StatusCode::UNAUTHORIZED);
    }
    let res = app
        .post(
            "/v1/auth/login",
            None,
            &json!({"email": a.email, "password": TEST_PASSWORD}),
        )
        .await;
    assert_eq!(res.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(res.headers.contains_key("retry-after"));
}

#[actix_web::test]
async fn successful_logins_do_not_count_toward_the_limit() {
    let app = spawn_app().await;
    let a = app.register("parent").await;
    for _ in 0..8 {
        let res = app
            .post(
                "/v1/auth/login",
                None,
                &json!({"email": a.email, "password": TEST_PASSWORD}),
            )
            .await;
        assert_eq!(res.status, StatusCode::OK);
    }
}

/// A request that read the account's token version just before a sign-out can cache that
/// old version just after the sign-out dropped it; a token signed in afterwards (a newer
/// version) must not be refused for the seconds the cache lasts. Simulated exactly: the
/// version is cached, then raised in the database behind the cache's back.
#[actix_web::test]
async fn a_stale_cached_token_version_does_not_refuse_a_newer_token() {
    use diesel::prelude::*;
    use studyhub::infra::db::schema::users;
    let app = spawn_app().await;
    let parent = app.register("parent").await;
    assert_eq!(
        app.get("/v1/auth/me", Some(&parent.access)).await.status,
        StatusCode::OK
    );
    let mut conn = studyhub::infra::db::establish(&app.db.url).unwrap();
    diesel::update(users::table.find(&parent.id))
        .set(users::token_version.eq(users::token_version + 1))
        .execute(&mut conn)
        .unwrap();
    let login = app
        .post(
            "/v1/auth/login",
            None,
            &json!({"email": parent.email, "password": TEST_PASSWORD}),
        )
        .await;
    let fresh = login.body["access_token"].as_str().unwrap();
    assert_eq!(
        app.get("/v1/auth/me", Some(fresh)).await.status,
        StatusCode::OK
    );
    // The token of the old version is refused once the database has been read again.
    assert_eq!(
        app.get("/v1/auth/me", Some(&parent.access)).await.status,
        StatusCode::UNAUTHORIZED
    );
}
