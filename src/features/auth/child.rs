//! A child's device: the parent hands a device over with "Play on this device", and from then
//! on it is signed in as role `child`, the parent's account bound to one learner. Getting back
//! to the parent takes the parent's PIN (or password).
//!
//! What a child's token may do is one list, [`CHILD_ROUTES`], checked where every caller is
//! authenticated (`web::extractors`): a route nobody thought of is refused (403), so a new
//! parent route cannot forget the child. Which learner it may act for is checked by
//! [`super::LearnerAccess`] (its own learner only).
//!
//! A device's refresh tokens are an ordinary refresh family whose id starts with
//! [`DEVICE_FAMILY`] and has a `device_sessions` row naming the learner; a refresh of such a
//! family gives child tokens again. The prefix keeps a family whose child was deleted (its row
//! went with it) from ever becoming the parent's session.

use actix_web::http::Method;
use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::{AuthUser, Role};
use crate::infra::db::DbConnection;
use crate::infra::db::schema::{device_sessions, parent_pins, refresh_tokens};
use crate::infra::error::{AppError, AppResult, Code};

/// What a child's token may call (method, route pattern as actix matched it). Everything
/// else is 403 `forbidden`.
pub const CHILD_ROUTES: &[(&str, &str)] = &[
    ("GET", "/v1/auth/me"),
    ("POST", "/v1/auth/parent-unlock"),
    ("POST", "/v1/realtime/tickets"),
    ("GET", "/v1/play"),
    ("GET", "/v1/activities"),
    ("GET", "/v1/activities/{id}"),
    ("GET", "/v1/achievements"),
    ("GET", "/v1/learners/{id}/achievements"),
    ("GET", "/v1/learners/{id}/progress"),
    ("GET", "/v1/learners/{id}/progress/daily"),
    ("GET", "/v1/learners/{id}/progress/weekly"),
    ("GET", "/v1/learners/{id}/next"),
    // Offline play on the device: its pack, and what it played without a connection.
    ("GET", "/v1/learners/{id}/offline-pack"),
    ("POST", "/v1/learners/{id}/sync"),
    ("POST", "/v1/learners/{id}/time-requests"),
    ("GET", "/v1/learners/{id}/time-requests/{request_id}"),
    // Read only: the narration and volume its grown-up chose.
    ("GET", "/v1/children/{id}/settings"),
];

pub use super::refresh::DEVICE_FAMILY;

/// Whether a child's token may call `method` on the route `pattern`.
pub fn may_call(method: &Method, pattern: Option<&str>) -> bool {
    let Some(pattern) = pattern else {
        return false;
    };
    CHILD_ROUTES
        .iter()
        .any(|(m, p)| *p == pattern && method.as_str() == *m)
}

/// Lets every caller through but a child's device outside [`CHILD_ROUTES`].
pub fn admit(user: &AuthUser, method: &Method, pattern: Option<&str>) -> AppResult<()> {
    if user.role != Role::Child {
        return Ok(());
    }
    if user.device_learner.is_none() {
        return Err(AppError::unauthorized(
            Code::InvalidToken,
            "the access token is not valid",
        ));
    }
    if may_call(method, pattern) {
        Ok(())
    } else {
        Err(AppError::forbidden(
            "a child's device may only play; a grown-up unlocks the rest with their PIN",
        ))
    }
}

/// A PIN: 4 to 8 digits.
pub fn valid_pin(pin: &str) -> bool {
    (4..=8).contains(&pin.len()) && pin.bytes().all(|b| b.is_ascii_digit())
}

/// The parent's PIN hash, if one is set.
pub fn pin_hash(conn: &mut DbConnection, parent_id: &str) -> QueryResult<Option<String>> {
    parent_pins::table
        .find(parent_id)
        .select(parent_pins::pin_hash)
        .first(conn)
        .optional()
}

/// Sets (or replaces) the parent's PIN hash; `true` when one was set before.
pub fn set_pin_hash(
    conn: &mut DbConnection,
    parent_id: &str,
    hash: &str,
    at: NaiveDateTime,
) -> QueryResult<bool> {
    let replaced = diesel::update(parent_pins::table.find(parent_id))
        .set((
            parent_pins::pin_hash.eq(hash),
            parent_pins::updated_at.eq(at),
        ))
        .execute(conn)?;
    if replaced == 0 {
        diesel::insert_into(parent_pins::table)
            .values((
                parent_pins::user_id.eq(parent_id),
                parent_pins::pin_hash.eq(hash),
                parent_pins::updated_at.eq(at),
            ))
            .execute(conn)?;
    }
    Ok(replaced > 0)
}

/// Starts a child's device session: a new refresh family for the parent, bound to the learner.
/// Returns the plain refresh token.
pub fn start_device(
    conn: &mut DbConnection,
    parent_id: &str,
    learner_id: &str,
    at: NaiveDateTime,
) -> AppResult<String> {
    let family = format!("{DEVICE_FAMILY}{}", uuid::Uuid::now_v7());
    diesel::insert_into(device_sessions::table)
        .values((
            device_sessions::family_id.eq(&family),
            device_sessions::parent_id.eq(parent_id),
            device_sessions::learner_id.eq(learner_id),
            device_sessions::created_at.eq(at),
        ))
        .execute(conn)?;
    super::refresh::issue(conn, parent_id, Some(&family))
}

/// What a refresh family signs in as: `Ok(None)` an ordinary session, `Ok(Some(learner))` a
/// child's device, `Err` a device whose child is gone.
pub fn family_learner(conn: &mut DbConnection, family_id: &str) -> AppResult<Option<String>> {
    if !family_id.starts_with(DEVICE_FAMILY) {
        return Ok(None);
    }
    device_sessions::table
        .find(family_id)
        .select(device_sessions::learner_id)
        .first::<String>(conn)
        .optional()?
        .map(Some)
        .ok_or_else(|| {
            AppError::unauthorized(Code::TokenRevoked, "this child's device was signed out")
        })
}

/// Ends the child's device session `refresh_token` belongs to (the device went back to the
/// parent). Any other token is left alone.
pub fn end_device(conn: &mut DbConnection, refresh_token: &str) -> AppResult<()> {
    let family: Option<String> = refresh_tokens::table
        .filter(refresh_tokens::token_hash.eq(super::refresh::hash_token(refresh_token)))
        .select(refresh_tokens::family_id)
        .first(conn)
        .optional()?;
    if let Some(family) = family.filter(|f| f.starts_with(DEVICE_FAMILY)) {
        diesel::delete(device_sessions::table.find(&family)).execute(conn)?;
        diesel::update(
            refresh_tokens::table
                .filter(refresh_tokens::family_id.eq(&family))
                .filter(refresh_tokens::revoked_at.is_null()),
        )
        .set(refresh_tokens::revoked_at.eq(Some(crate::infra::time::now())))
        .execute(conn)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pins_are_four_to_eight_digits() {
        for ok in ["1234", "00000000", "123456"] {
            assert!(valid_pin(ok), "{ok}");
        }
        for bad in ["123", "123456789", "12a4", "12 34", "", "١٢٣٤"] {
            assert!(!valid_pin(bad), "{bad}");
        }
    }

    #[test]
    fn a_child_may_only_play() {
        let child = AuthUser {
            id: "p".into(),
            role: Role::Child,
            device_learner: Some("l".into()),
        };
        assert!(admit(&child, &Method::GET, Some("/v1/learners/{id}/next")).is_ok());
        assert!(admit(&child, &Method::POST, Some("/v1/realtime/tickets")).is_ok());
        for (m, p) in [
            (Method::GET, Some("/v1/children")),
            (Method::PUT, Some("/v1/children/{id}/settings")),
            (Method::POST, Some("/v1/children/{id}/screen-time/grant")),
            (Method::GET, None),
        ] {
            assert_eq!(admit(&child, &m, p).unwrap_err().code, "forbidden");
        }
        let parent = AuthUser::account("p", Role::Parent);
        assert!(admit(&parent, &Method::GET, Some("/v1/children")).is_ok());
    }
}
