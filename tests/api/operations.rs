//! Health, metrics, OpenAPI and docs; the database going away and coming back.

use crate::common::spawn_app;
use awc::http::StatusCode;
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
    // Every endpoint the server routes, with its methods.
    let expected: &[(&str, &[&str])] = &[
        ("/health", &["get"]),
        ("/metrics", &["get"]),
        ("/v1/auth/register", &["post"]),
        ("/v1/auth/login", &["post"]),
        ("/v1/auth/refresh", &["post"]),
        ("/v1/auth/logout", &["post"]),
        ("/v1/auth/me", &["get"]),
        ("/v1/auth/password", &["post"]),
        ("/v1/children", &["get", "post"]),
        ("/v1/children/{id}", &["get", "put", "delete"]),
        ("/v1/children/{id}/settings", &["get", "put"]),
        ("/v1/children/{id}/screen-time/grant", &["post"]),
        ("/v1/children/{id}/screen-time/today", &["get"]),
        ("/v1/children/{id}/classes", &["post"]),
        ("/v1/activities", &["get", "post"]),
        ("/v1/activities/{id}", &["get", "put", "delete"]),
        ("/v1/realtime/tickets", &["post"]),
        ("/v1/play", &["get"]),
        ("/v1/learners/{id}/sessions", &["post"]),
        ("/v1/sessions/{id}", &["get"]),
        ("/v1/sessions/{id}/answers", &["post"]),
        ("/v1/sessions/{id}/finish", &["post"]),
        ("/v1/parent/live", &["get"]),
        ("/v1/parent/dashboard", &["get"]),
        ("/v1/notifications", &["get"]),
        ("/v1/notifications/{id}/read", &["post"]),
        ("/v1/notifications/read-all", &["post"]),
        ("/v1/classes", &["get", "post"]),
        ("/v1/classes/join", &["post"]),
        ("/v1/classes/{id}", &["get"]),
        ("/v1/classes/{id}/members/{learner_id}", &["delete"]),
        ("/v1/classes/{id}/progress", &["get"]),
        ("/v1/classes/{id}/live", &["get"]),
        ("/v1/classes/{id}/games", &["post"]),
        ("/v1/games/{id}/host", &["get"]),
        ("/v1/learners/{id}/next", &["get"]),
        ("/v1/achievements", &["get"]),
        ("/v1/learners/{id}/achievements", &["get"]),
        ("/v1/learners/{id}/progress", &["get"]),
        ("/v1/learners/{id}/progress/daily", &["get"]),
        ("/v1/learners/{id}/progress/weekly", &["get"]),
        ("/v1/learners/{id}/pages", &["post"]),
        ("/v1/learners/{id}/report.pdf", &["get"]),
        ("/v1/learners/{id}/report.csv", &["get"]),
        ("/v1/learners/{id}/assessments", &["get", "post"]),
        ("/v1/assessments/{id}", &["put", "delete"]),
        ("/v1/learners/{id}/drawings", &["get", "post"]),
        ("/v1/drawings/{id}/image", &["get"]),
        ("/v1/drawings/{id}", &["delete"]),
        ("/v1/content/{key}", &["get"]),
        ("/v1/audit", &["get"]),
        ("/v1/me/export", &["get"]),
        ("/v1/me", &["delete"]),
        ("/v1/me/import", &["post"]),
        ("/v1/backups", &["get", "post"]),
        ("/v1/backups/{id}", &["get"]),
    ];
    for (path, methods) in expected {
        let item = paths
            .get(*path)
            .unwrap_or_else(|| panic!("{path} missing from OpenAPI"));
        for m in *methods {
            assert!(item.get(*m).is_some(), "{m} {path} missing from OpenAPI");
        }
    }
    assert_eq!(
        paths.len(),
        expected.len(),
        "OpenAPI lists paths the test does not know: {:?}",
        paths.keys().collect::<Vec<_>>()
    );
    let page = app.get("/docs/", None).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(String::from_utf8_lossy(&page.raw).contains("<html"));
}
