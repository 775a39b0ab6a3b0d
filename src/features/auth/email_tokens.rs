//! Tokens sent by email (a password reset, an address verification): 32 random bytes, only
//! their SHA-256 stored, spent once by compare-and-set, good for a while.

use base64::Engine;
use chrono::Duration;
use diesel::prelude::*;
use rand::RngCore;

use super::refresh::hash_token;
use crate::infra::db::DbConnection;
use crate::infra::db::schema::email_tokens;
use crate::infra::time::now;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// `POST /v1/auth/password-reset/confirm`: 30 minutes.
    PasswordReset,
    /// `POST /v1/auth/verify-email`: 7 days.
    VerifyEmail,
}

impl Purpose {
    fn as_str(self) -> &'static str {
        match self {
            Purpose::PasswordReset => "password_reset",
            Purpose::VerifyEmail => "verify_email",
        }
    }
    fn lifetime(self) -> Duration {
        match self {
            Purpose::PasswordReset => Duration::minutes(30),
            Purpose::VerifyEmail => Duration::days(7),
        }
    }
}

/// A fresh token (URL-safe text, 43 characters); not stored yet.
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Stores `token` for `user_id`; returns it.
pub fn store(
    conn: &mut DbConnection,
    user_id: &str,
    purpose: Purpose,
    token: String,
) -> QueryResult<String> {
    let t = now();
    diesel::insert_into(email_tokens::table)
        .values((
            email_tokens::token_hash.eq(hash_token(&token)),
            email_tokens::user_id.eq(user_id),
            email_tokens::purpose.eq(purpose.as_str()),
            email_tokens::expires_at.eq(t + purpose.lifetime()),
            email_tokens::created_at.eq(t),
        ))
        .execute(conn)?;
    Ok(token)
}

/// The account a usable token (right purpose, not spent, not expired) belongs to, without
/// spending it.
pub fn owner(
    conn: &mut DbConnection,
    token: &str,
    purpose: Purpose,
) -> QueryResult<Option<String>> {
    email_tokens::table
        .find(hash_token(token))
        .filter(email_tokens::purpose.eq(purpose.as_str()))
        .filter(email_tokens::used_at.is_null())
        .filter(email_tokens::expires_at.gt(now()))
        .select(email_tokens::user_id)
        .first(conn)
        .optional()
}

/// Spends a usable token: its account for exactly one caller, `None` for every other (or
/// when it is unknown, spent or expired).
pub fn spend(
    conn: &mut DbConnection,
    token: &str,
    purpose: Purpose,
) -> QueryResult<Option<String>> {
    let Some(user_id) = owner(conn, token, purpose)? else {
        return Ok(None);
    };
    let n = diesel::update(
        email_tokens::table
            .find(hash_token(token))
            .filter(email_tokens::used_at.is_null()),
    )
    .set(email_tokens::used_at.eq(Some(now())))
    .execute(conn)?;
    Ok((n == 1).then_some(user_id))
}

/// Every unspent token of the account for `purpose` stops working (the password was reset:
/// older reset links go with it); expired rows of the account are deleted.
pub fn spend_all(conn: &mut DbConnection, user_id: &str, purpose: Purpose) -> QueryResult<()> {
    diesel::update(
        email_tokens::table
            .filter(email_tokens::user_id.eq(user_id))
            .filter(email_tokens::purpose.eq(purpose.as_str()))
            .filter(email_tokens::used_at.is_null()),
    )
    .set(email_tokens::used_at.eq(Some(now())))
    .execute(conn)?;
    diesel::delete(
        email_tokens::table
            .filter(email_tokens::user_id.eq(user_id))
            .filter(email_tokens::expires_at.lt(now())),
    )
    .execute(conn)
    .map(drop)
}
