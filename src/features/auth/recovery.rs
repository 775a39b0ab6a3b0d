//! Getting into an account by its email: a password reset (a link that works once for 30
//! minutes and ends every session of the account) and the address verification sent at
//! registration. Each function runs in the caller's transaction, with the email queued and
//! the audit entry in the same one.

use super::email_tokens::{self, Purpose};
use super::users;
use crate::features::audit::{self, Change, RequestMeta};
pub use crate::features::mail::Links;
use crate::features::mail::{account_emails, compose, outbox};
use crate::infra::db::DbConnection;
use crate::infra::error::{AppError, AppResult};

/// Queues a reset link for the active account with `email`. The email is put together
/// whether or not there is such an account (only stored when there is), so the answer
/// takes about as long either way. True when one was queued.
pub fn request_reset(conn: &mut DbConnection, links: &Links, email: &str) -> AppResult<bool> {
    let token = email_tokens::new_token();
    // Pupils have no password to reset (their teacher signs them in with cards and
    // pictures), even those whose teacher gave an address: as if there were no account.
    let user = users::active_by_email(conn, email)?
        .filter(|u| u.password_hash != crate::features::pupils::NO_PASSWORD);
    let name = user.as_ref().map_or("there", |u| u.name.as_str());
    let mail = compose::format(
        links.from,
        account_emails::password_reset(links.public_url, email, name, &token),
    )?;
    let Some(user) = user else {
        return Ok(false);
    };
    email_tokens::store(conn, &user.id, Purpose::PasswordReset, token)?;
    outbox::enqueue(conn, &mail)?;
    Ok(true)
}

/// The account a usable reset token belongs to (checked before the new password is hashed).
pub fn reset_owner(conn: &mut DbConnection, token: &str) -> AppResult<String> {
    email_tokens::owner(conn, token, Purpose::PasswordReset)?.ok_or_else(unusable)
}

/// Spends the reset token and sets the password (`hash`): every session of the account ends
/// as with a password change (the caller then tells the nodes: `account_changed`), every
/// other reset link of the account stops working, the address counts as verified (the link
/// reached it), and the owner is told by email. Returns the account.
pub fn confirm_reset(
    conn: &mut DbConnection,
    links: &Links,
    meta: &RequestMeta,
    token: &str,
    hash: &str,
) -> AppResult<String> {
    let user_id = email_tokens::spend(conn, token, Purpose::PasswordReset)?.ok_or_else(unusable)?;
    users::set_password_hash(conn, &user_id, hash)?;
    super::alerts::password_changed(conn, links, &user_id, true)?;
    users::end_sessions(conn, &user_id)?;
    email_tokens::spend_all(conn, &user_id, Purpose::PasswordReset)?;
    users::mark_verified(conn, &user_id)?;
    audit::record(
        conn,
        meta,
        Change {
            user_id: &user_id,
            action: "password_reset",
            entity_type: "user",
            entity_id: &user_id,
            old: None,
            new: None,
        },
    )?;
    Ok(user_id)
}

/// Queues the verification link for a new account (`name`, `email`).
pub fn send_verification(
    conn: &mut DbConnection,
    links: &Links,
    user_id: &str,
    email: &str,
    name: &str,
) -> AppResult<()> {
    let token = email_tokens::store(
        conn,
        user_id,
        Purpose::VerifyEmail,
        email_tokens::new_token(),
    )?;
    let mail = compose::format(
        links.from,
        account_emails::verify_email(links.public_url, email, name, &token),
    )?;
    outbox::enqueue(conn, &mail)?;
    Ok(())
}

/// Spends a verification token: the account's address is verified.
pub fn verify(conn: &mut DbConnection, meta: &RequestMeta, token: &str) -> AppResult<()> {
    let user_id = email_tokens::spend(conn, token, Purpose::VerifyEmail)?.ok_or_else(unusable)?;
    users::mark_verified(conn, &user_id)?;
    audit::record(
        conn,
        meta,
        Change {
            user_id: &user_id,
            action: "verify_email",
            entity_type: "user",
            entity_id: &user_id,
            old: None,
            new: Some(serde_json::json!({"email_verified": true})),
        },
    )
}

fn unusable() -> AppError {
    AppError::invalid_field("token", "unknown, already used or expired")
}
