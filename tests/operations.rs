//! Health, metrics, OpenAPI and docs; the database going away and coming back.

mod common;

use awc::http::StatusCode;
use common::spawn_app;
use studyhub::db::Backend;

#[actix_web::test]
async fn health_reports_version_uptime_and_services() {
    let app = spawn_app().await;
    let res = app.get("/health", None).await;
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(res.body["status"], "ok");
    assert_eq!(res.body["version"], env!("CARGO_PKG_VERSION"));
    assert!(res.body["uptime_seconds"].is_u64());
    assert_eq!(res.body["services"]["database"], "ok");
    assert_eq!(res.body["services"]["cache"], "in_process");
    assert_eq!(res.body["services"]["storage"], "local");
    assert!(res.headers.contains_key("x-request-id"));
}

/// A real outage: the database refuses connections and the open ones are cut. Only
/// PostgreSQL can go away under a running server; an embedded SQLite file cannot.
#[actix_web::test]
async fn health_is_503_while_the_database_is_down_and_recovers() {
    let app = spawn_app().await;
    if app.db.backend != Backend::Postgres {
        // SQLite: the database is a file the server holds open; health stays 200.
        assert_eq!(app.get("/health", None).await.status, StatusCode::OK);
        return;
    }
    assert_eq!(app.get("/health", None).await.status, StatusCode::OK);
    app.db.take_down();
    let res = app.get("/health", None).await;
    assert_eq!(res.status, StatusCode::SERVICE_UNAVAILABLE, "{}", res.body);
    assert_eq!(res.body["services"]["database"], "down");
    // Requests that need the database answer 503 in the contract's shape, not 500.
    let res = app
        .post(
            "/v1/auth/login",
            None,
            &serde_json::json!({"email": "a@b.co", "password": "whatever1"}),
        )
        .await;
    assert_eq!(res.status, StatusCode::SERVICE_UNAVAILABLE, "{}", res.body);
    app.db.bring_up();
    assert_eq!(app.get("/health", None).await.status, StatusCode::OK);
}

#[actix_web::test]
async fn metrics_are_prometheus_text() {
    let app = spawn_app().await;
    app.get("/health", None).await;
    let res = app.get("/metrics", None).await;
    assert_eq!(res.status, StatusCode::OK);
    let text = String::from_utf8(res.raw).unwrap();
    assert!(
        text.contains("# TYPE http_requests_total counter"),
        "{text}"
    );
    assert!(text.contains("route=\"/health\""));
}

#[actix_web::test]
async fn openapi_lists_the_endpoints_and_docs_page_serves() {
    let app = spawn_app().await;
    let res = app.get("/v1/openapi.json", None).await;
    assert_eq!(res.status, StatusCode::OK);
    let paths = res.body["paths"].as_object().unwrap();
    for p in [
        "/v1/auth/register",
        "/v1/auth/login",
        "/v1/auth/refresh",
        "/v1/auth/logout",
        "/v1/auth/me",
        "/health",
        "/metrics",
    ] {
        assert!(paths.contains_key(p), "{p} missing from OpenAPI");
    }
    let page = app.get("/docs/", None).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(String::from_utf8_lossy(&page.raw).contains("<html"));
}
