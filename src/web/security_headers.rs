//! Security headers on every answer: pages, files, the API, errors (a middleware's refusal
//! too: this is the outermost layer, so an error becomes its response here and gets the
//! headers like any other) and websockets' upgrade answers.
//!
//! A header a handler chose stays (the pages' own content security policy, which allows
//! their scripts and websockets; uploaded content's sandbox); the rest get the defaults:
//! - `Content-Security-Policy`: nothing may load or run (`default-src 'none'`) and nothing
//!   may frame it. JSON needs no more; `/docs` (the vendored Swagger UI) gets its own,
//!   which lets its files run and its inline styles apply.
//! - `X-Frame-Options: DENY` for browsers without `frame-ancestors`.
//! - `X-Content-Type-Options: nosniff`: a file is what its type says, never sniffed as HTML.
//! - `Referrer-Policy: no-referrer`: no address of ours (an id in a path) leaves with a link.
//! - `Permissions-Policy`: no camera, microphone, location, payment, USB, sensors; full
//!   screen for this origin only (the projector view of a class game asks for it).
//!
//! - `Cache-Control: no-store` on answers that say nothing of caching (the API's: a child's
//!   progress must not stay in a shared computer's cache); pages and files set their own.
//! - `Content-Disposition: attachment` on JSON answers that name no disposition, so an API
//!   address opened in a tab is a download, never a document the browser renders (ASVS
//!   14.4.2); `fetch` ignores it. Reports (PDF, CSV) set their own.
//!
//! HSTS is added in `app.rs` when the server itself speaks TLS.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::error::InternalError;
use actix_web::http::header::{self, HeaderMap, HeaderName, HeaderValue};
use actix_web::middleware::Next;

/// For answers that set no policy of their own (JSON, errors, redirects).
pub const API_CSP: &str = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; \
     form-action 'none'";

/// The Swagger UI at `/docs`: its own scripts and styles (React writes inline styles), its
/// SVG icons as `data:` images, and the document fetched from here.
pub const DOCS_CSP: &str = "default-src 'none'; script-src 'self'; \
     style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; \
     connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

pub const PERMISSIONS_POLICY: &str = "accelerometer=(), camera=(), display-capture=(), \
     fullscreen=(self), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), \
     payment=(), usb=()";

pub async fn add(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let docs = req.path() == "/docs" || req.path().starts_with("/docs/");
    let csp = if docs { DOCS_CSP } else { API_CSP };
    match next.call(req).await {
        Ok(mut res) => {
            secure(res.headers_mut(), csp);
            Ok(res)
        }
        // An error from a layer below (a middleware's refusal, such as CORS's) is answered
        // by the server from the error: that answer, with the headers, goes in the error.
        Err(err) => {
            let mut res = err.error_response();
            secure(res.headers_mut(), csp);
            Err(InternalError::from_response(err, res).into())
        }
    }
}

/// Adds each header the answer does not have yet.
fn secure(headers: &mut HeaderMap, csp: &'static str) {
    let defaults: [(HeaderName, &'static str); 5] = [
        (header::CONTENT_SECURITY_POLICY, csp),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "no-referrer"),
        (
            HeaderName::from_static("permissions-policy"),
            PERMISSIONS_POLICY,
        ),
    ];
    for (name, value) in defaults {
        if !headers.contains_key(&name) {
            headers.insert(name, HeaderValue::from_static(value));
        }
    }
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    let json = headers
        .get(header::CONTENT_TYPE)
        .is_some_and(|t| t.as_bytes().starts_with(b"application/json"));
    if json && !headers.contains_key(header::CONTENT_DISPOSITION) {
        headers.insert(
            header::CONTENT_DISPOSITION,
            HeaderValue::from_static("attachment; filename=\"api.json\""),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_handlers_own_policy_stays() {
        let mut h = HeaderMap::new();
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'self'"),
        );
        secure(&mut h, API_CSP);
        assert_eq!(
            h.get(header::CONTENT_SECURITY_POLICY).unwrap(),
            "default-src 'self'"
        );
        assert_eq!(h.get(header::X_FRAME_OPTIONS).unwrap(), "DENY");
        assert_eq!(h.get("permissions-policy").unwrap(), PERMISSIONS_POLICY);
    }
}
