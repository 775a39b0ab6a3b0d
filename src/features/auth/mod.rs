//! Who is calling, and what they may do. Authorization is done by extractors so that a
//! handler cannot forget it: a handler takes an [`AuthUser`] (any signed-in user), a role
//! ([`ParentUser`], [`TeacherUser`], [`AdminUser`]), or a [`LearnerAccess`] (a learner the
//! caller may act for, resolved from the route). The types are here; how a request becomes
//! one is the web layer's (`web::extractors`).

pub mod access;
pub mod alerts;
pub mod child;
pub mod common_passwords;
pub mod email_tokens;
pub mod gate;
pub mod jwt;
pub mod password;
pub mod rate_limit;
pub mod recovery;
pub mod refresh;
pub mod shared_limit;
pub mod tickets;
pub mod users;

pub use access::LearnerAccess;

use actix_web::{HttpRequest, http::header};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::infra::error::AppError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Parent,
    Teacher,
    Student,
    Admin,
    /// A child's device: the parent's account, playing as one child only (see [`child`]).
    Child,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Parent => "parent",
            Role::Teacher => "teacher",
            Role::Student => "student",
            Role::Admin => "admin",
            Role::Child => "child",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "parent" => Some(Role::Parent),
            "teacher" => Some(Role::Teacher),
            "student" => Some(Role::Student),
            "admin" => Some(Role::Admin),
            "child" => Some(Role::Child),
            _ => None,
        }
    }
}

/// A caller with a valid access token (header `Authorization: Bearer …` or cookie
/// `access_token`).
#[derive(Debug, Clone)]
pub struct AuthUser {
    /// The account (for a child's device: the parent's).
    pub id: String,
    pub role: Role,
    /// Role `child` only: the one learner this device plays as.
    pub device_learner: Option<String>,
}

pub const ACCESS_COOKIE: &str = "access_token";
pub const REFRESH_COOKIE: &str = "refresh_token";

/// The bearer token of a request: the header wins over the cookie.
pub fn bearer_token(req: &HttpRequest) -> Option<String> {
    if let Some(value) = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    {
        let (scheme, token) = value.split_once(' ')?;
        return scheme
            .eq_ignore_ascii_case("bearer")
            .then(|| token.trim().to_string());
    }
    req.cookie(ACCESS_COOKIE).map(|c| c.value().to_string())
}

impl AuthUser {
    /// A caller that is not a child's device (`device_learner` empty).
    pub fn account(id: impl Into<String>, role: Role) -> Self {
        Self {
            id: id.into(),
            role,
            device_learner: None,
        }
    }

    pub fn require(&self, roles: &[Role]) -> Result<(), AppError> {
        if roles.contains(&self.role) {
            Ok(())
        } else {
            Err(AppError::forbidden(format!(
                "this needs the role {}",
                roles
                    .iter()
                    .map(|r| r.as_str())
                    .collect::<Vec<_>>()
                    .join(" or ")
            )))
        }
    }
}

/// A signed-in parent.
#[derive(Debug, Clone)]
pub struct ParentUser(pub AuthUser);

/// A signed-in teacher or admin.
#[derive(Debug, Clone)]
pub struct TeacherUser(pub AuthUser);

/// A signed-in admin.
#[derive(Debug, Clone)]
pub struct AdminUser(pub AuthUser);

/// A child's device (role `child`, bound to `device_learner`).
#[derive(Debug, Clone)]
pub struct ChildUser(pub AuthUser);

/// The client's address for rate limiting and the audit log. `X-Forwarded-For` is read only
/// when configured (`STUDYHUB_TRUST_PROXY`), and then only its right-most entry: the one our
/// own proxy appended. Everything left of it came from the client and could be anything.
pub fn client_addr(req: &HttpRequest, trust_proxy: bool) -> String {
    let info = req.connection_info();
    let forwarded = trust_proxy
        .then(|| {
            req.headers()
                .get_all("x-forwarded-for")
                .filter_map(|v| v.to_str().ok())
                .flat_map(|v| v.split(','))
                .map(str::trim)
                .rfind(|s| !s.is_empty())
        })
        .flatten();
    let addr = forwarded.or(info.peer_addr()).unwrap_or("unknown");
    // Strip the port: one client uses many.
    match addr.parse::<std::net::SocketAddr>() {
        Ok(sa) => sa.ip().to_string(),
        Err(_) => addr.to_string(),
    }
}
