//! The cookies a sign-in sets and a sign-out clears, for every way of signing in (email and
//! password, a pupil's pictures or card).

use actix_web::HttpResponse;
use actix_web::cookie::{Cookie, SameSite, time::Duration as CookieDuration};
use serde::Serialize;
use utoipa::ToSchema;

use crate::features::audit::{self, RequestMeta};
use crate::features::auth::alerts;
use crate::features::auth::jwt::ACCESS_TTL_SECS;
use crate::features::auth::refresh::{self, REFRESH_TTL_DAYS};
use crate::features::auth::users::{self, UserView};
use crate::features::auth::{ACCESS_COOKIE, REFRESH_COOKIE, Role};
use crate::features::mail::Links;
use crate::infra::config::CookieSameSite;
use crate::infra::db::models::UserRow;
use crate::infra::error::AppResult;
use crate::infra::time::now;
use crate::web::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct AuthResponse {
    pub user: UserView,
    pub access_token: String,
    pub refresh_token: String,
    /// Seconds until the access token expires.
    pub expires_in: i64,
}

/// Signs `user` in (a new refresh family, its last sign-in set, the audit log's `login`
/// entry naming `method`) and answers 200 with the tokens and their cookies, as a login does.
pub async fn signed_in(
    state: &AppState,
    user: UserRow,
    meta: RequestMeta,
    method: &'static str,
) -> AppResult<HttpResponse> {
    let uid = user.id.clone();
    let (from, public_url) = (
        state.settings.mail.from.clone(),
        state.settings.public_url.clone(),
    );
    let (user, refresh_token, alerted) = state
        .db
        .transaction(move |conn| {
            let t = now();
            // A browser the account has not used before: its owner is told by email (a
            // pupil's pictures or card sign no one in by password, and pupils have no email).
            let alerted = method == "password"
                && alerts::signing_in(
                    conn,
                    &Links {
                        from: &from,
                        public_url: &public_url,
                    },
                    &user,
                    &meta,
                )?;
            users::signed_in(conn, &uid, t)?;
            audit::record_account_event(
                conn,
                &meta,
                Some(&uid),
                "login",
                serde_json::json!({ "method": method }),
            )?;
            let token = refresh::issue(conn, &uid, None)?;
            Ok((
                UserRow {
                    last_login_at: Some(t),
                    ..user
                },
                token,
                alerted,
            ))
        })
        .await?;
    if alerted {
        state.mailer.wake();
    }
    let role = Role::parse(&user.role).unwrap_or(Role::Student);
    let (access, expires_in) = state.jwt.issue(&user.id, role, user.token_version)?;
    let cookies = auth_cookies(state, &access, &refresh_token);
    Ok(
        with_cookies(HttpResponse::Ok(), cookies).json(AuthResponse {
            user: user.into(),
            access_token: access,
            refresh_token,
            expires_in,
        }),
    )
}

pub fn auth_cookies(state: &AppState, access: &str, refresh_token: &str) -> [Cookie<'static>; 2] {
    let secure = state.settings.cookie_secure;
    let same_site = match state.settings.cookie_same_site {
        CookieSameSite::Strict => SameSite::Strict,
        CookieSameSite::Lax => SameSite::Lax,
        CookieSameSite::None => SameSite::None,
    };
    let access = Cookie::build(ACCESS_COOKIE, access.to_string())
        .path("/")
        .http_only(true)
        .secure(secure)
        .same_site(same_site)
        .max_age(CookieDuration::seconds(ACCESS_TTL_SECS))
        .finish();
    let refresh_cookie = Cookie::build(REFRESH_COOKIE, refresh_token.to_string())
        .path("/v1/auth")
        .http_only(true)
        .secure(secure)
        .same_site(same_site)
        .max_age(CookieDuration::days(REFRESH_TTL_DAYS))
        .finish();
    [access, refresh_cookie]
}

pub fn cleared_cookies() -> [Cookie<'static>; 2] {
    let mut a = Cookie::build(ACCESS_COOKIE, "")
        .path("/")
        .http_only(true)
        .finish();
    a.make_removal();
    let mut r = Cookie::build(REFRESH_COOKIE, "")
        .path("/v1/auth")
        .http_only(true)
        .finish();
    r.make_removal();
    [a, r]
}

pub fn with_cookies(
    mut res: actix_web::HttpResponseBuilder,
    cookies: [Cookie<'static>; 2],
) -> actix_web::HttpResponseBuilder {
    for c in cookies {
        res.cookie(c);
    }
    res
}
