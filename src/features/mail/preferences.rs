//! A user's choices about email (`GET|PUT /v1/me/preferences`), and the signed one-click
//! unsubscribe link of the weekly digest (RFC 8058): an HMAC of the account's id under a key
//! of its own derived from the server's secret, so the link needs no sign-in and cannot be
//! made up for another account.

use base64::Engine;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use crate::infra::crypto::hmac_sha256;
use crate::infra::db::DbConnection;
use crate::infra::db::schema::user_preferences;
use crate::infra::time::now;

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, validator::Validate)]
pub struct Preferences {
    /// The weekly digest email (parents; Sunday 18:00 in the children's time zone).
    pub email_digest: bool,
}

impl Default for Preferences {
    fn default() -> Self {
        Self { email_digest: true }
    }
}

/// `user_id`'s choices (the defaults when none were made).
pub fn of(conn: &mut DbConnection, user_id: &str) -> QueryResult<Preferences> {
    let digest: Option<bool> = user_preferences::table
        .find(user_id)
        .select(user_preferences::email_digest)
        .first(conn)
        .optional()?;
    Ok(Preferences {
        email_digest: digest.unwrap_or(true),
    })
}

/// Stores `user_id`'s choices; returns what they were.
pub fn set(conn: &mut DbConnection, user_id: &str, p: &Preferences) -> QueryResult<Preferences> {
    let old = of(conn, user_id)?;
    let t = now();
    crate::on_backend!(conn, |c| diesel::insert_into(user_preferences::table)
        .values((
            user_preferences::user_id.eq(user_id),
            user_preferences::email_digest.eq(p.email_digest),
            user_preferences::updated_at.eq(t),
        ))
        .on_conflict(user_preferences::user_id)
        .do_update()
        .set((
            user_preferences::email_digest.eq(p.email_digest),
            user_preferences::updated_at.eq(t),
        ))
        .execute(c))?;
    Ok(old)
}

/// Signs and checks unsubscribe links.
#[derive(Clone)]
pub struct UnsubscribeKey([u8; 32]);

impl UnsubscribeKey {
    pub fn new(secret: &[u8]) -> Self {
        let mut h = Sha256::new();
        h.update(b"studyhub email unsubscribe\0");
        h.update(secret);
        Self(h.finalize().into())
    }

    pub fn token(&self, user_id: &str) -> String {
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(hmac_sha256(&self.0, user_id.as_bytes()))
    }

    /// Whether `token` is `user_id`'s (compared in constant time).
    pub fn verify(&self, user_id: &str, token: &str) -> bool {
        let want = self.token(user_id);
        want.len() == token.len()
            && want
                .bytes()
                .zip(token.bytes())
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0
    }

    /// The one-click address (`List-Unsubscribe`), POSTed to by the mail client.
    pub fn url(&self, public_url: &str, user_id: &str) -> String {
        format!(
            "{public_url}/v1/email/unsubscribe?user={user_id}&token={}",
            self.token(user_id)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_is_the_accounts_own() {
        let key = UnsubscribeKey::new(b"secret");
        let t = key.token("u1");
        assert!(key.verify("u1", &t));
        assert!(!key.verify("u2", &t));
        assert!(!key.verify("u1", &t[1..]));
        assert!(!UnsubscribeKey::new(b"other").verify("u1", &t));
    }
}
