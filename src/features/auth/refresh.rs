//! Refresh tokens: 7 days, random, stored only as a SHA-256 hash, rotated on every use.
//! Every token belongs to a family (one sign-in); presenting a token that was already spent
//! means it was stolen or replayed, so the whole family is revoked. A family lives at most
//! [`SESSION_MAX_DAYS`] however often it is used: then its owner signs in again.

use base64::Engine;
use chrono::{Duration, NaiveDateTime, Utc};
use diesel::prelude::*;
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::infra::db::DbConnection;
use crate::infra::db::models::{RefreshTokenRow, UserRow};
use crate::infra::db::schema::{refresh_tokens, users};
use crate::infra::error::{AppError, Code};

pub const REFRESH_TTL_DAYS: i64 = 7;
/// The id prefix of a child's device's refresh families (`child`).
pub const DEVICE_FAMILY: &str = "device-";
/// The longest one sign-in lasts, refreshed or not (ASVS 3.3.2; a child's device too).
pub const SESSION_MAX_DAYS: i64 = 30;

/// When a family began: its id is a UUIDv7 (after a child's device's prefix), which carries
/// the time it was made.
fn family_began(family_id: &str) -> Option<NaiveDateTime> {
    let id = family_id.strip_prefix(DEVICE_FAMILY).unwrap_or(family_id);
    let (secs, nanos) = uuid::Uuid::parse_str(id).ok()?.get_timestamp()?.to_unix();
    chrono::DateTime::from_timestamp(secs as i64, nanos).map(|t| t.naive_utc())
}

pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Stores a fresh token in `family_id` (a new family when `None`); returns the plain token.
pub fn issue(
    conn: &mut DbConnection,
    user_id: &str,
    family_id: Option<&str>,
) -> Result<String, AppError> {
    let token = new_token();
    let now = Utc::now().naive_utc();
    let row = RefreshTokenRow {
        id: uuid::Uuid::now_v7().to_string(),
        user_id: user_id.to_string(),
        family_id: family_id
            .map(String::from)
            .unwrap_or_else(|| uuid::Uuid::now_v7().to_string()),
        token_hash: hash_token(&token),
        spent_at: None,
        revoked_at: None,
        expires_at: now + Duration::days(REFRESH_TTL_DAYS),
        created_at: now,
    };
    diesel::insert_into(refresh_tokens::table)
        .values(&row)
        .execute(conn)?;
    Ok(token)
}

/// What presenting a refresh token led to. A refusal is a value, not an error, so that the
/// family's revocation commits with the transaction instead of rolling back with it.
pub enum Rotation {
    /// The account, the next token, and the family (a child's device's is one of
    /// [`DEVICE_FAMILY`]).
    Rotated(UserRow, String, String),
    Refused(AppError),
}

/// Spends `token` and issues its successor in the same family. Must run in a transaction.
pub fn rotate(conn: &mut DbConnection, token: &str) -> Result<Rotation, AppError> {
    Ok(match rotate_inner(conn, token)? {
        Ok((user, next, family)) => Rotation::Rotated(user, next, family),
        Err(refusal) => Rotation::Refused(refusal),
    })
}

type Outcome = Result<(UserRow, String, String), AppError>;

fn rotate_inner(conn: &mut DbConnection, token: &str) -> Result<Outcome, AppError> {
    let now = Utc::now().naive_utc();
    let row: Option<RefreshTokenRow> = refresh_tokens::table
        .filter(refresh_tokens::token_hash.eq(hash_token(token)))
        .select(RefreshTokenRow::as_select())
        .first(conn)
        .optional()?;
    let Some(row) = row else {
        return Ok(Err(invalid()));
    };
    if row.revoked_at.is_some() {
        return Ok(Err(AppError::unauthorized(
            Code::TokenRevoked,
            "this session was signed out",
        )));
    }
    if row.spent_at.is_some() {
        revoke_family(conn, &row.family_id, now)?;
        return Ok(Err(reused()));
    }
    if row.expires_at <= now {
        return Ok(Err(AppError::unauthorized(
            Code::TokenExpired,
            "the refresh token has expired",
        )));
    }
    let began = family_began(&row.family_id).unwrap_or(row.created_at);
    if now - began >= Duration::days(SESSION_MAX_DAYS) {
        revoke_family(conn, &row.family_id, now)?;
        return Ok(Err(AppError::unauthorized(
            Code::TokenExpired,
            "this sign-in is 30 days old: sign in again",
        )));
    }
    // Conditional update: of two racing refreshes with one token, exactly one wins.
    let won = diesel::update(
        refresh_tokens::table
            .filter(refresh_tokens::id.eq(&row.id))
            .filter(refresh_tokens::spent_at.is_null()),
    )
    .set(refresh_tokens::spent_at.eq(Some(now)))
    .execute(conn)?;
    if won == 0 {
        revoke_family(conn, &row.family_id, now)?;
        return Ok(Err(reused()));
    }
    let user: Option<UserRow> = users::table
        .find(&row.user_id)
        .filter(users::active.eq(true))
        .select(UserRow::as_select())
        .first(conn)
        .optional()?;
    let Some(user) = user else {
        return Ok(Err(invalid()));
    };
    let next = issue(conn, &user.id, Some(&row.family_id))?;
    Ok(Ok((user, next, row.family_id)))
}

/// Revokes the family `token` belongs to (logout) and returns its owner. Unknown tokens are
/// ignored.
pub fn revoke_by_token(conn: &mut DbConnection, token: &str) -> Result<Option<String>, AppError> {
    let family: Option<(String, String)> = refresh_tokens::table
        .filter(refresh_tokens::token_hash.eq(hash_token(token)))
        .select((refresh_tokens::family_id, refresh_tokens::user_id))
        .first(conn)
        .optional()?;
    let Some((family, owner)) = family else {
        return Ok(None);
    };
    revoke_family(conn, &family, Utc::now().naive_utc())?;
    Ok(Some(owner))
}

/// Revokes every refresh token of a user (sign out everywhere).
pub fn revoke_user(conn: &mut DbConnection, user_id: &str) -> Result<(), AppError> {
    diesel::update(
        refresh_tokens::table
            .filter(refresh_tokens::user_id.eq(user_id))
            .filter(refresh_tokens::revoked_at.is_null()),
    )
    .set(refresh_tokens::revoked_at.eq(Some(Utc::now().naive_utc())))
    .execute(conn)?;
    Ok(())
}

fn revoke_family(
    conn: &mut DbConnection,
    family: &str,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    diesel::update(
        refresh_tokens::table
            .filter(refresh_tokens::family_id.eq(family))
            .filter(refresh_tokens::revoked_at.is_null()),
    )
    .set(refresh_tokens::revoked_at.eq(Some(now)))
    .execute(conn)?;
    tracing::warn!(family, "refresh token reused: family revoked");
    Ok(())
}

fn invalid() -> AppError {
    AppError::unauthorized(Code::InvalidToken, "the refresh token is not valid")
}

fn reused() -> AppError {
    AppError::unauthorized(
        Code::TokenReused,
        "this refresh token was already used; sign in again",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_familys_id_says_when_it_began_a_devices_too() {
        let id = uuid::Uuid::now_v7().to_string();
        let began = family_began(&id).unwrap();
        assert!((Utc::now().naive_utc() - began).num_seconds().abs() < 5);
        let device = format!("{DEVICE_FAMILY}{id}");
        assert_eq!(family_began(&device), Some(began));
        assert_eq!(family_began("not-a-uuid"), None);
    }
}
