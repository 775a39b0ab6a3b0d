//! Serving: pages no-cache with an ETag, files under a versioned URL cached for a year, a
//! content security policy without inline code, and JSON 404s everywhere else.

use awc::http::StatusCode;

use crate::common::spawn_app;

const PAGES: [&str; 6] = [
    "/",
    "/play",
    "/parent",
    "/teacher",
    "/teacher/games/a-game",
    "/admin",
];

fn header<'a>(res: &'a crate::common::Response, name: &str) -> &'a str {
    res.headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

/// The `/assets/{version}/…` URLs a page refers to.
fn asset_urls(html: &str) -> Vec<String> {
    html.split('"')
        .filter(|s| s.starts_with("/assets/"))
        .map(str::to_string)
        .collect()
}

#[actix_web::test]
async fn pages_are_fresh_files_are_immutable_and_nothing_runs_inline() {
    let app = spawn_app().await;
    let mut files = Vec::new();
    for page in PAGES {
        let res = app.get(page, None).await;
        assert_eq!(res.status, StatusCode::OK, "{page}");
        assert_eq!(header(&res, "content-type"), "text/html; charset=utf-8");
        assert_eq!(header(&res, "cache-control"), "no-cache", "{page}");
        let csp = header(&res, "content-security-policy");
        for part in [
            "default-src 'none'",
            "script-src 'self'",
            "style-src 'self'",
            "connect-src 'self'",
            "media-src 'self' https:",
            "frame-ancestors 'none'",
        ] {
            assert!(csp.contains(part), "{page}: {csp} lacks {part}");
        }
        assert!(!csp.contains("unsafe"), "{page}: {csp}");
        assert_eq!(header(&res, "x-content-type-options"), "nosniff");
        let html = String::from_utf8(res.raw.clone()).unwrap();
        // Scripts only from files, no inline handlers or styles (the policy would block them).
        assert!(
            !html.contains("<script>") && !html.contains("style="),
            "{page}"
        );
        assert!(
            !html.contains(" onclick=") && !html.contains(" onload="),
            "{page}"
        );
        assert!(html.contains("<script type=\"module\" src=\"/assets/"));
        // Revalidation: the same ETag is 304.
        let etag = header(&res, "etag").to_string();
        assert!(!etag.is_empty());
        let again = app
            .client
            .get(app.url(page))
            .insert_header(("if-none-match", etag.as_str()))
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), StatusCode::NOT_MODIFIED, "{page}");
        files.extend(asset_urls(&html));
    }
    assert!(files.len() >= 8, "{files:?}");
    for url in &files {
        let res = app.get(url, None).await;
        assert_eq!(res.status, StatusCode::OK, "{url}");
        assert_eq!(
            header(&res, "cache-control"),
            "public, max-age=31536000, immutable",
            "{url}"
        );
        assert!(!res.raw.is_empty());
        if url.ends_with(".js") {
            assert_eq!(
                header(&res, "content-type"),
                "text/javascript; charset=utf-8"
            );
        }
    }
    // Module imports resolve under the same version.
    let version = files[0].split('/').nth(2).unwrap().to_string();
    let api = app.get(&format!("/assets/{version}/js/api.js"), None).await;
    assert_eq!(api.status, StatusCode::OK);
    // Another build's URL still gets today's file, but not cached.
    let old = app.get("/assets/0123456789ab/js/api.js", None).await;
    assert_eq!(old.status, StatusCode::OK);
    assert_eq!(header(&old, "cache-control"), "no-cache");
    assert_eq!(old.raw, api.raw);
}

/// Each achievement's `badge_icon_url` is a picture this server gives, at a lasting address.
#[actix_web::test]
async fn every_achievement_badge_is_served() {
    let app = spawn_app().await;
    let list = app.get("/v1/achievements", None).await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.body);
    let list = list.body.as_array().unwrap();
    assert!(!list.is_empty());
    for a in list {
        let url = a["badge_icon_url"].as_str().unwrap();
        assert_eq!(url, format!("/badges/{}.svg", a["id"].as_str().unwrap()));
        let res = app.get(url, None).await;
        assert_eq!(res.status, StatusCode::OK, "{url}");
        assert_eq!(header(&res, "content-type"), "image/svg+xml", "{url}");
        assert_eq!(header(&res, "cache-control"), "public, max-age=86400");
        assert!(header(&res, "content-security-policy").contains("default-src 'none'"));
        assert!(
            String::from_utf8_lossy(&res.raw).starts_with("<svg "),
            "{url}"
        );
    }
    let res = app.get("/badges/nobody.svg", None).await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
    assert_eq!(res.code(), "not_found");
}

#[actix_web::test]
async fn everything_else_is_still_a_json_404() {
    let app = spawn_app().await;
    for path in [
        "/nope",
        "/play/extra",
        "/index.html",
        "/assets/x/js/missing.js",
        "/assets/js/api.js",
        "/v1/nothing-here",
    ] {
        let res = app.get(path, None).await;
        assert_eq!(res.status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(res.code(), "not_found", "{path}");
    }
    let res = app.post("/play", None, &serde_json::json!({})).await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
    assert_eq!(res.code(), "not_found");
    // HEAD answers like GET, without a body.
    let head = app.client.head(app.url("/parent")).send().await.unwrap();
    assert_eq!(head.status(), StatusCode::OK);
}
