//! Health, metrics, OpenAPI and docs. (Dependencies going away and coming back: `outages`,
//! `redis_outages`, `storage_outages`.)

use crate::common::spawn_app;
use awc::http::{Method, StatusCode};

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
    // What the alerts read (deploy/prometheus/alerts.yml); the value is the process's, which
    // other tests' servers share, so only its presence is checked here.
    assert!(text.contains("studyhub_database_up"), "{text}");
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
        ("/v1/auth/password-reset", &["post"]),
        ("/v1/auth/password-reset/confirm", &["post"]),
        ("/v1/auth/verify-email", &["post"]),
        ("/v1/me/preferences", &["get", "put"]),
        ("/v1/email/unsubscribe", &["post"]),
        ("/v1/children", &["get", "post"]),
        ("/v1/children/{id}", &["get", "put", "delete"]),
        ("/v1/children/{id}/settings", &["get", "put"]),
        ("/v1/children/{id}/screen-time/grant", &["post"]),
        ("/v1/children/{id}/screen-time/today", &["get"]),
        ("/v1/children/{id}/classes", &["get", "post"]),
        ("/v1/time-requests", &["get"]),
        ("/v1/time-requests/{id}", &["post"]),
        ("/v1/me/pin", &["put"]),
        ("/v1/children/{id}/device-session", &["post"]),
        ("/v1/auth/parent-unlock", &["post"]),
        ("/v1/learners/{id}/time-requests", &["post"]),
        ("/v1/learners/{id}/time-requests/{request_id}", &["get"]),
        ("/v1/activities", &["get", "post"]),
        ("/v1/activities/{id}", &["get", "put", "delete"]),
        ("/v1/activities/{id}/publish", &["post"]),
        ("/v1/activities/{id}/source", &["get"]),
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
        ("/v1/push/key", &["get"]),
        ("/v1/push/subscriptions", &["post"]),
        ("/v1/push/subscriptions/{id}", &["delete"]),
        ("/v1/classes", &["get", "post"]),
        ("/v1/classes/join", &["post"]),
        ("/v1/classes/{id}", &["get"]),
        ("/v1/classes/{id}/progress", &["get"]),
        ("/v1/classes/{id}/live", &["get"]),
        ("/v1/classes/{id}/games", &["post"]),
        ("/v1/classes/{id}/members/{learner_id}", &["put", "delete"]),
        // Pupils without an email: their teacher's routes and their sign-in.
        ("/v1/classes/{id}/students", &["get", "post"]),
        ("/v1/classes/{id}/students/import", &["post"]),
        ("/v1/classes/{id}/students/{learner_id}", &["delete"]),
        ("/v1/classes/{id}/students/{learner_id}/renew", &["post"]),
        ("/v1/classes/{id}/sign-in-cards.pdf", &["get"]),
        ("/v1/auth/class-login", &["post"]),
        ("/v1/auth/class-login/{join_code}", &["get"]),
        ("/v1/auth/card-login", &["post"]),
        ("/v1/games/{id}/host", &["get"]),
        ("/v1/games/{id}", &["get"]),
        ("/v1/games/{id}/report", &["get"]),
        ("/v1/learners/{id}/next", &["get"]),
        ("/v1/learners/{id}/offline-pack", &["get"]),
        ("/v1/learners/{id}/sync", &["post"]),
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
        ("/v1/content", &["post"]),
        ("/v1/me/settings", &["get", "put"]),
        ("/v1/me/assessments", &["get"]),
        ("/v1/quizzes/submit", &["post"]),
        ("/v1/me/import/study-hub", &["post"]),
        ("/v1/audit", &["get"]),
        ("/v1/admin/dead-letters", &["get"]),
        ("/v1/admin/dead-letters/{id}", &["delete"]),
        ("/v1/admin/dead-letters/{id}/retry", &["post"]),
        ("/v1/admin/users", &["get"]),
        ("/v1/admin/users/{id}/deactivate", &["post"]),
        ("/v1/admin/users/{id}/reactivate", &["post"]),
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
    // Settings carry downtime windows, both ways.
    let schemas = &res.body["components"]["schemas"];
    for s in ["SettingsBody", "SettingsView"] {
        assert!(
            schemas[s]["properties"]["downtime"].is_object(),
            "{s}: {}",
            schemas[s]
        );
    }
    assert!(schemas["DowntimeWindow"]["properties"]["days"].is_object());
    let page = app.get("/docs/", None).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(String::from_utf8_lossy(&page.raw).contains("<html"));
}

/// What schemathesis checks at length in `.ci/run`, checked here in one pass: every `{…}`
/// in a path is a declared parameter, and the statuses every handler shares are declared with
/// the error body.
#[actix_web::test]
async fn openapi_declares_path_parameters_and_shared_statuses() {
    let app = spawn_app().await;
    let doc = app.get("/v1/openapi.json", None).await.body;
    assert!(doc["components"]["schemas"]["Error"]["properties"]["error"].is_object());
    for (path, item) in doc["paths"].as_object().unwrap() {
        let names: Vec<&str> = path
            .split('/')
            .filter_map(|s| s.strip_prefix('{')?.strip_suffix('}'))
            .collect();
        for (method, op) in item.as_object().unwrap() {
            let params = op["parameters"].as_array().cloned().unwrap_or_default();
            for p in params.iter().filter(|p| p["in"] == "path") {
                let name = p["name"].as_str().unwrap();
                assert!(
                    names.contains(&name),
                    "{method} {path}: `{name}` is declared in the path but the path has no {{{name}}}"
                );
            }
            for name in &names {
                assert!(
                    params
                        .iter()
                        .any(|p| p["name"] == *name && p["in"] == "path"),
                    "{method} {path}: `{name}` is not declared"
                );
            }
            let responses = op["responses"].as_object().unwrap();
            let secured = op["security"].as_array().is_some_and(|s| !s.is_empty());
            if secured {
                assert!(responses.contains_key("401"), "{method} {path}: no 401");
            }
            if !names.is_empty() {
                assert!(responses.contains_key("404"), "{method} {path}: no 404");
            }
            if op.get("requestBody").is_some() {
                for status in ["413", "415", "422"] {
                    assert!(
                        responses.contains_key(status),
                        "{method} {path}: no {status}"
                    );
                }
            }
            // `/health` answers 503 with its own report; everything else with the error.
            if path != "/health" {
                assert_eq!(
                    responses["503"]["content"]["application/json"]["schema"]["$ref"],
                    "#/components/schemas/Error",
                    "{method} {path}"
                );
            }
        }
    }
}

#[actix_web::test]
async fn a_known_path_with_another_method_is_405_with_allow() {
    let app = spawn_app().await;
    // Plain routes and routes inside a scope of their own (a body limit of their own) answer
    // alike: 405, the methods the path takes, the JSON error body.
    let cases = [
        (
            Method::PATCH,
            "/v1/children/some-id",
            "GET, HEAD, PUT, DELETE",
        ),
        (Method::PUT, "/v1/auth/login", "POST"),
        (
            Method::PATCH,
            "/v1/activities/math-addition-1",
            "GET, HEAD, PUT, DELETE",
        ),
        (Method::GET, "/v1/me/import", "POST"),
    ];
    for (method, path, allow) in cases {
        let mut res = app
            .client
            .request(method.clone(), app.url(path))
            .send()
            .await
            .unwrap();
        assert_eq!(
            res.status(),
            StatusCode::METHOD_NOT_ALLOWED,
            "{method} {path}"
        );
        assert_eq!(
            res.headers().get("allow").unwrap(),
            allow,
            "{method} {path}"
        );
        let body: serde_json::Value = res.json().await.unwrap();
        assert_eq!(
            body["error"]["code"], "method_not_allowed",
            "{method} {path}: {body}"
        );
    }
    // An unknown path stays 404.
    let res = app
        .client
        .patch(app.url("/v1/nowhere"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}

/// Authentication comes first: a malformed id in the path answers 401 without a token and
/// 404 with one, never telling an anonymous caller anything about the path.
#[actix_web::test]
async fn a_malformed_id_is_refused_after_authentication() {
    let app = spawn_app().await;
    let long = "x".repeat(150);
    for path in [
        format!("/v1/children/{long}"),
        format!("/v1/sessions/{long}"),
        format!("/v1/learners/{long}/progress"),
    ] {
        let res = app.get(&path, None).await;
        assert_eq!(res.status, StatusCode::UNAUTHORIZED, "{path}");
    }
    let parent = app.register("parent").await;
    let res = app
        .get(&format!("/v1/children/{long}"), Some(&parent.access))
        .await;
    assert_eq!(res.status, StatusCode::NOT_FOUND, "{}", res.body);
}

/// Retention: audit entries past their year and read notifications past their half year go;
/// unread notifications and anything recent stay.
#[actix_web::test]
async fn retention_deletes_old_audit_entries_and_old_read_notifications_only() {
    use diesel::prelude::*;
    use studyhub::features::retention::{Swept, sweep};
    use studyhub::infra::config::Retention;
    use studyhub::infra::db::schema::{audit_logs, notifications};
    let app = spawn_app().await;
    let (parent, child) = app.parent_with_child("Ada").await;
    let mut conn = studyhub::infra::db::establish(&app.db.url).unwrap();
    let now = chrono::Utc::now().naive_utc();
    let days = chrono::Duration::days;
    for (id, age) in [("audit-old", 400), ("audit-new", 10)] {
        diesel::insert_into(audit_logs::table)
            .values((
                audit_logs::id.eq(id),
                audit_logs::action.eq("update"),
                audit_logs::entity_type.eq("test"),
                audit_logs::entity_id.eq(id),
                audit_logs::created_at.eq(now - days(age)),
            ))
            .execute(&mut conn)
            .unwrap();
    }
    for (id, age, read) in [
        ("note-old-read", 200, true),
        ("note-old-unread", 200, false),
        ("note-new-read", 10, true),
    ] {
        diesel::insert_into(notifications::table)
            .values((
                notifications::id.eq(id),
                notifications::parent_id.eq(&parent.id),
                notifications::learner_id.eq(&child),
                notifications::kind.eq("activity_completed"),
                notifications::title.eq("t"),
                notifications::body.eq("b"),
                notifications::data.eq("{}"),
                notifications::read_at.eq(read.then(|| now - days(age - 1))),
                notifications::created_at.eq(now - days(age)),
            ))
            .execute(&mut conn)
            .unwrap();
    }
    let retention = Retention {
        audit_days: 365,
        notifications_days: 180,
    };
    let swept = sweep(&mut conn, retention).unwrap();
    assert_eq!(
        swept,
        Swept {
            audit_entries: 1,
            notifications: 1
        }
    );
    let audit: Vec<String> = audit_logs::table
        .filter(audit_logs::entity_type.eq("test"))
        .select(audit_logs::id)
        .load(&mut conn)
        .unwrap();
    assert_eq!(audit, ["audit-new"]);
    let mut notes: Vec<String> = notifications::table
        .select(notifications::id)
        .load(&mut conn)
        .unwrap();
    notes.sort();
    assert_eq!(notes, ["note-new-read", "note-old-unread"]);
    // Zero keeps everything; a second sweep finds nothing more.
    let keep = Retention {
        audit_days: 0,
        notifications_days: 0,
    };
    assert_eq!(sweep(&mut conn, keep).unwrap(), Swept::default());
    assert_eq!(sweep(&mut conn, retention).unwrap(), Swept::default());
}

/// CORS: a listed origin may send credentials (a front end on another site keeps its refresh
/// cookie); any other origin is not let in; `*` lets anyone read, never with credentials.
#[actix_web::test]
async fn cors_lets_listed_origins_send_credentials_and_nobody_else() {
    let listed = "https://hub.example.org";
    let app = crate::common::spawn_app_with(|c| c.cors_origins = listed.into()).await;
    let preflight = |origin: &'static str| {
        app.client
            .request(Method::OPTIONS, app.url("/v1/auth/refresh"))
            .insert_header(("Origin", origin))
            .insert_header(("Access-Control-Request-Method", "POST"))
            .send()
    };
    let res = preflight(listed).await.unwrap();
    let h = res.headers();
    assert_eq!(h.get("access-control-allow-origin").unwrap(), listed);
    assert_eq!(h.get("access-control-allow-credentials").unwrap(), "true");
    let res = preflight("https://evil.example.com").await.unwrap();
    assert!(res.headers().get("access-control-allow-origin").is_none());
    assert!(
        res.headers()
            .get("access-control-allow-credentials")
            .is_none()
    );

    let open = crate::common::spawn_app_with(|c| c.cors_origins = "*".into()).await;
    let res = open
        .client
        .request(Method::OPTIONS, open.url("/v1/activities"))
        .insert_header(("Origin", "https://anyone.example.net"))
        .insert_header(("Access-Control-Request-Method", "GET"))
        .send()
        .await
        .unwrap();
    assert!(res.headers().get("access-control-allow-origin").is_some());
    assert!(
        res.headers()
            .get("access-control-allow-credentials")
            .is_none(),
        "never credentials for any origin"
    );
}

/// `STUDYHUB_COOKIE_SAMESITE=none` (with `Secure`): a front end on another site keeps the
/// refresh cookie; the default stays `Strict`.
#[actix_web::test]
async fn the_auth_cookies_samesite_follows_the_setting() {
    use crate::common::TEST_PASSWORD;
    let cookies = |res: &crate::common::Response| -> Vec<String> {
        res.headers
            .get_all("set-cookie")
            .map(|v| v.to_str().unwrap().to_string())
            .collect()
    };
    async fn register(app: &crate::common::TestApp) -> crate::common::Response {
        let email = format!("cookie-{}@example.com", uuid::Uuid::now_v7().simple());
        let body = serde_json::json!({"email": email, "password": TEST_PASSWORD,
            "name": "Cookie", "role": "parent"});
        app.post("/v1/auth/register", None, &body).await
    }
    let plain = spawn_app().await;
    let res = register(&plain).await;
    assert_eq!(res.status, StatusCode::CREATED);
    let set = cookies(&res);
    assert!(
        !set.is_empty() && set.iter().all(|c| c.contains("SameSite=Strict")),
        "{set:?}"
    );

    let cross = crate::common::spawn_app_with(|c| {
        c.cookie_samesite = "none".into();
        c.cookie_secure = true;
    })
    .await;
    let set = cookies(&register(&cross).await);
    assert!(
        !set.is_empty()
            && set
                .iter()
                .all(|c| c.contains("SameSite=None") && c.contains("Secure")),
        "{set:?}"
    );
}
