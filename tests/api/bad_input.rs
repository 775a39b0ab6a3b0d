//! Bad input of every kind gets a clear error in the contract's shape, never a 500.

use crate::common::{TEST_PASSWORD, spawn_app};
use awc::http::StatusCode;
use serde_json::{Value, json};

fn fields(body: &Value) -> &Value {
    &body["error"]["details"]["fields"]
}

#[actix_web::test]
async fn malformed_json_is_400() {
    let app = spawn_app().await;
    for body in [
        "{\"email\": ",
        "not json",
        "{\"email\": \"a@b.c\",}",
        "[1, 2",
    ] {
        let res = app
            .post_raw("/v1/auth/register", "application/json", body)
            .await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(res.code(), "malformed_json");
        assert!(res.body["error"]["message"].is_string());
    }
    let res = app.post_raw("/v1/auth/login", "application/json", "").await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
}

#[actix_web::test]
async fn missing_fields_are_422_naming_the_field() {
    let app = spawn_app().await;
    let res = app
        .post(
            "/v1/auth/register",
            None,
            &json!({"password": TEST_PASSWORD, "name": "Ann", "role": "parent"}),
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(res.code(), "validation_failed");
    assert_eq!(fields(&res.body)["email"], "required");
    let res = app
        .post("/v1/auth/login", None, &json!({"email": "a@b.co"}))
        .await;
    assert_eq!(fields(&res.body)["password"], "required");
}

#[actix_web::test]
async fn wrong_types_are_422() {
    let app = spawn_app().await;
    let res = app
        .post(
            "/v1/auth/register",
            None,
            &json!({"email": 42, "password": TEST_PASSWORD, "name": "Ann", "role": "parent"}),
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        fields(&res.body)["email"]
            .as_str()
            .unwrap()
            .contains("invalid type")
    );
    let res = app
        .post(
            "/v1/auth/register",
            None,
            &json!({"email": "a@b.co", "password": TEST_PASSWORD, "name": "Ann", "role": "wizard"}),
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(fields(&res.body)["role"].is_string());
    let res = app
        .post("/v1/auth/register", None, &json!(["a", "list"]))
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[actix_web::test]
async fn lengths_and_emails_are_validated() {
    let app = spawn_app().await;
    let cases = [
        (
            json!({"email": "not-an-email", "password": TEST_PASSWORD, "name": "Ann", "role": "parent"}),
            "email",
        ),
        (
            json!({"email": "a@b.co", "password": "short", "name": "Ann", "role": "parent"}),
            "password",
        ),
        (
            json!({"email": "a@b.co", "password": "x".repeat(129), "name": "Ann", "role": "parent"}),
            "password",
        ),
        (
            json!({"email": "a@b.co", "password": TEST_PASSWORD, "name": "A", "role": "parent"}),
            "name",
        ),
        (
            json!({"email": "a@b.co", "password": TEST_PASSWORD, "name": "   ", "role": "parent"}),
            "name",
        ),
        (
            json!({"email": "a@b.co", "password": TEST_PASSWORD, "name": "n".repeat(101), "role": "parent"}),
            "name",
        ),
        (
            json!({"email": format!("{}@example.com", "a".repeat(250)), "password": TEST_PASSWORD, "name": "Ann", "role": "parent"}),
            "email",
        ),
    ];
    for (body, field) in cases {
        let res = app.post("/v1/auth/register", None, &body).await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert!(
            fields(&res.body)[field].is_string(),
            "{field} in {}",
            res.body
        );
    }
    // Boundaries that are fine: 8 and 128 character passwords, 2 and 100 character names.
    for (pw, name) in [
        ("pq".repeat(4), "Al".to_string()),
        ("pq".repeat(64), "n".repeat(100)),
    ] {
        let email = format!("{}@example.com", uuid::Uuid::new_v4().simple());
        let res = app
            .post(
                "/v1/auth/register",
                None,
                &json!({"email": email, "password": pw, "name": name, "role": "teacher"}),
            )
            .await;
        assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    }
}

#[actix_web::test]
async fn oversized_bodies_are_413() {
    let app = spawn_app().await;
    let huge = json!({"email": "a@b.co", "password": "x".repeat(100_000), "name": "Ann", "role": "parent"});
    let res = app.post("/v1/auth/register", None, &huge).await;
    assert_eq!(res.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(res.code(), "payload_too_large");
}

#[actix_web::test]
async fn bodies_that_cannot_be_json_are_415() {
    let app = spawn_app().await;
    let res = app
        .post_raw("/v1/auth/login", "multipart/form-data; boundary=x", "--x--")
        .await;
    assert_eq!(res.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
}

#[actix_web::test]
async fn unknown_routes_are_404_json() {
    let app = spawn_app().await;
    for path in ["/v1/nothing-here", "/nope", "/v1/auth/login/extra"] {
        let res = app.get(path, None).await;
        assert_eq!(res.status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(res.code(), "not_found");
    }
}
