//! Pages for people (`/`, `/play`, `/parent`, `/teacher`, `/admin`, the projector view of a
//! class game `/teacher/games/{id}`) and their files, embedded in the binary (see `assets`).
//! Files live at `/assets/{version}/…`, where the version is a hash of every file: they are
//! cached for a year, and a new build changes every URL; achievements' badges also have a
//! lasting address, `/badges/{id}.svg`, for `badge_icon_url`. Pages are `no-cache`
//! (revalidated by ETag) so a browser always learns the current version. Pages and files carry
//! a content security policy: no inline script or style, and connections (fetch and
//! websockets) only to this server.

mod assets;

use std::sync::OnceLock;

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, guard, web};
use sha2::{Digest, Sha256};

pub use assets::{ASSETS, PAGES};

/// What pages may load and talk to. `connect-src` names `ws:`/`wss:` of this host besides
/// `'self'` for browsers that do not count websockets as `'self'` yet. A question's picture,
/// recording or narration is a file of ours (`/v1/content/…`) or, as authored content may
/// be, an `https:` address: `img-src` and `media-src` allow both (neither runs code).
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     img-src 'self' blob: data: https:; media-src 'self' https:; \
     connect-src 'self'{ws}; font-src 'self'; manifest-src 'self'; base-uri 'none'; \
     form-action 'self'; frame-ancestors 'none'; object-src 'none'";

const YEAR: &str = "public, max-age=31536000, immutable";
const DAY: &str = "public, max-age=86400";

pub fn routes(cfg: &mut web::ServiceConfig) {
    for page in PAGES {
        cfg.route(page.route, get_or_head().to(serve_page));
    }
    cfg.route("/assets/{version}/{path:.+}", get_or_head().to(serve_asset));
    cfg.route("/badges/{file}", get_or_head().to(serve_badge));
    cfg.route("/sw.js", get_or_head().to(serve_worker));
    cfg.route("/manifest.webmanifest", get_or_head().to(serve_manifest));
}

/// The service worker, at the root so its scope is every page: this build's version and
/// files, then the scripts that do the work (`js/sw-offline.js`: pages, files and the
/// learner's pack kept for offline play; `js/sw-push.js`, when the build has it: web push).
fn service_worker() -> &'static str {
    static WORKER: OnceLock<String> = OnceLock::new();
    WORKER.get_or_init(|| {
        let v = version();
        let files: Vec<String> = ASSETS
            .iter()
            .filter(|a| !a.path.ends_with(".md"))
            .map(|a| format!("/assets/{v}/{}", a.path))
            .collect();
        let mut js = format!(
            "// studyhub's service worker (scope `/`), made by the server for this build.\n\
             self.STUDYHUB_VERSION = {v:?};\n\
             self.STUDYHUB_FILES = {files};\n\
             importScripts('/assets/{v}/js/sw-offline.js');\n",
            files = serde_json::to_string(&files).unwrap_or_else(|_| "[]".into()),
        );
        // Web Push: its handlers live in js/sw-push.js (imported once the build has it).
        if ASSETS.iter().any(|a| a.path == "js/sw-push.js") {
            js.push_str(&format!("importScripts('/assets/{v}/js/sw-push.js');\n"));
        }
        js
    })
}

/// `/sw.js`: never cached for long (a browser checks it for a new build on every visit), and
/// allowed to control the whole site.
async fn serve_worker(req: HttpRequest) -> HttpResponse {
    let mut res = HttpResponse::Ok()
        .content_type("text/javascript; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .insert_header(("Service-Worker-Allowed", "/"))
        .body(service_worker());
    secured(&req, &mut res);
    res
}

/// The web app manifest: studyhub installs as an app that opens at `/play`.
async fn serve_manifest(req: HttpRequest) -> HttpResponse {
    let v = version();
    let manifest = serde_json::json!({
        "name": "studyhub",
        "short_name": "studyhub",
        "description": "Learn and play, also with no connection.",
        "start_url": "/play",
        "scope": "/",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#3b3fb6",
        "icons": [{"src": format!("/assets/{v}/icon.svg"), "sizes": "any",
            "type": "image/svg+xml", "purpose": "any"}],
    });
    let mut res = HttpResponse::Ok()
        .content_type("application/manifest+json")
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .body(manifest.to_string());
    secured(&req, &mut res);
    res
}

fn get_or_head() -> actix_web::Route {
    web::route().guard(guard::Any(guard::Get()).or(guard::Head()))
}

/// The version in every file's URL: the first 12 hex digits of a hash over all of them.
pub fn version() -> &'static str {
    static VERSION: OnceLock<String> = OnceLock::new();
    VERSION.get_or_init(|| {
        let mut h = Sha256::new();
        for a in ASSETS {
            h.update(a.path.as_bytes());
            h.update((a.body.len() as u64).to_le_bytes());
            h.update(a.body);
        }
        hex::encode(h.finalize())[..12].to_string()
    })
}

/// Each page's HTML with the version filled in, and its ETag.
fn rendered() -> &'static [(String, String)] {
    static RENDERED: OnceLock<Vec<(String, String)>> = OnceLock::new();
    RENDERED.get_or_init(|| {
        PAGES
            .iter()
            .map(|p| {
                let html = p.html.replace("{{v}}", version());
                let etag = format!("\"{}\"", &hex::encode(Sha256::digest(&html))[..16]);
                (html, etag)
            })
            .collect()
    })
}

/// The policy for a response to `req`, with this host's websocket origins when the `Host`
/// header is a plain host name (anything odd gets `'self'` alone).
pub fn content_security_policy(req: &HttpRequest) -> String {
    let info = req.connection_info();
    let host = info.host();
    let plain = !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | ':' | '-' | '[' | ']'));
    let ws = if plain {
        format!(" ws://{host} wss://{host}")
    } else {
        String::new()
    };
    CSP.replace("{ws}", &ws)
}

fn secured(req: &HttpRequest, res: &mut HttpResponse) {
    let headers = res.headers_mut();
    if let Ok(csp) = HeaderValue::from_str(&content_security_policy(req)) {
        headers.insert(header::CONTENT_SECURITY_POLICY, csp);
    }
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
}

async fn serve_page(req: HttpRequest) -> HttpResponse {
    // The route's pattern (`/teacher/games/{id}`), so a page may take a path parameter.
    let pattern = req.match_pattern();
    let route = pattern.as_deref().unwrap_or(req.path());
    let index = PAGES.iter().position(|p| p.route == route).unwrap_or(0);
    let (html, etag) = &rendered()[index];
    let fresh = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag));
    let mut res = if fresh {
        HttpResponse::NotModified().finish()
    } else {
        HttpResponse::Ok()
            .content_type("text/html; charset=utf-8")
            .body(html.clone())
    };
    let headers = res.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    if let Ok(tag) = HeaderValue::from_str(etag) {
        headers.insert(header::ETAG, tag);
    }
    secured(&req, &mut res);
    res
}

/// A file of this build; an old version's URL still gets today's file, but not cached, so a
/// page open across an upgrade keeps working and never pins a stale copy.
async fn serve_asset(req: HttpRequest, path: web::Path<(String, String)>) -> HttpResponse {
    let (asked, file) = path.into_inner();
    let Some(asset) = ASSETS.iter().find(|a| a.path == file) else {
        return actix_web::ResponseError::error_response(
            &crate::infra::error::AppError::not_found("file"),
        );
    };
    let cache = if asked == version() { YEAR } else { "no-cache" };
    respond_with(&req, asset, cache)
}

/// An achievement's badge (`badges/{file}` of this build) at the address that
/// `badge_icon_url` names; it may change with a new build, so it is cached for a day.
async fn serve_badge(req: HttpRequest, name: web::Path<String>) -> HttpResponse {
    let path = format!("badges/{}", name.into_inner());
    match ASSETS.iter().find(|a| a.path == path) {
        Some(asset) => respond_with(&req, asset, DAY),
        None => actix_web::ResponseError::error_response(
            &crate::infra::error::AppError::not_found("badge"),
        ),
    }
}

fn respond_with(req: &HttpRequest, asset: &assets::Asset, cache: &'static str) -> HttpResponse {
    let mut res = HttpResponse::Ok()
        .content_type(asset.content_type)
        .insert_header((header::CACHE_CONTROL, cache))
        .body(asset.body);
    secured(req, &mut res);
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every file under `assets/web/` is in the list (or it would silently not be served), and
    /// every page refers only to files of the list.
    #[test]
    fn the_list_names_every_file() {
        fn walk(dir: &std::path::Path, root: &std::path::Path, out: &mut Vec<String>) {
            for e in std::fs::read_dir(dir).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    walk(&p, root, out);
                } else {
                    out.push(p.strip_prefix(root).unwrap().to_string_lossy().into_owned());
                }
            }
        }
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/web");
        let mut files = Vec::new();
        walk(&root, &root, &mut files);
        let listed: Vec<&str> = ASSETS
            .iter()
            .map(|a| a.path)
            .chain(PAGES.iter().map(|p| p.file))
            .collect();
        let mut missing: Vec<_> = files
            .iter()
            .filter(|f| !listed.contains(&f.as_str()))
            .collect();
        missing.sort();
        assert!(missing.is_empty(), "assets not in the list: {missing:?}");
        for page in PAGES {
            for part in page.html.split("/assets/{{v}}/").skip(1) {
                let name = part.split('"').next().unwrap();
                assert!(
                    ASSETS.iter().any(|a| a.path == name),
                    "{} refers to {name}",
                    page.file
                );
            }
        }
    }

    /// Module imports name files of the list (a typo would be a 404 only a browser sees),
    /// relative to the importing file (`./x.js`, `../x.js`).
    #[test]
    fn imports_name_listed_files() {
        for a in ASSETS
            .iter()
            .filter(|a| a.path.starts_with("js/") && a.path.ends_with(".js"))
        {
            let text = std::str::from_utf8(a.body).unwrap();
            for line in text.lines().filter(|l| l.starts_with("import ")) {
                let name = line.rsplit("from ").next().unwrap();
                let name = name.trim_matches(|c| c == '\'' || c == '"' || c == ';');
                assert!(name.starts_with('.'), "{}: relative import {name}", a.path);
                let mut parts: Vec<&str> = a.path.split('/').collect();
                parts.pop();
                for part in name.split('/') {
                    match part {
                        "." => {}
                        ".." => {
                            parts.pop().expect("inside assets/web");
                        }
                        _ => parts.push(part),
                    }
                }
                let full = parts.join("/");
                assert!(
                    ASSETS.iter().any(|x| x.path == full),
                    "{} imports {full}",
                    a.path
                );
            }
        }
    }

    /// Every achievement's `badge_icon_url` is its badge here, and that badge is served.
    #[test]
    fn every_achievement_has_its_badge() {
        let path =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("content/achievements.json");
        let list: Vec<serde_json::Value> =
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        assert!(!list.is_empty());
        for a in list {
            let id = a["id"].as_str().unwrap();
            assert_eq!(
                a["badge_icon_url"].as_str(),
                Some(format!("/badges/{id}.svg").as_str()),
                "{id}"
            );
            assert!(
                ASSETS.iter().any(|x| x.path == format!("badges/{id}.svg")),
                "no badges/{id}.svg in the list"
            );
        }
    }
}
