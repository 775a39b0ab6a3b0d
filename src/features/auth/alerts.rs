//! The account's security alerts by email (ASVS 2.2.3): the password changed (in the settings
//! or by a reset link), or the account signed in from a browser it had not used before. Each
//! is queued in the caller's transaction, so it goes out exactly when the change commits.
//! Accounts without an address (pupils) get none.

use chrono::Duration;
use diesel::prelude::*;

use super::users;
use crate::features::audit::RequestMeta;
use crate::features::mail::{Links, account_emails, compose, outbox};
use crate::infra::db::DbConnection;
use crate::infra::db::models::UserRow;
use crate::infra::db::schema::audit_logs;
use crate::infra::error::AppResult;
use crate::infra::time::now;

/// How far back a browser counts as known: one not seen for this long is new again.
const REMEMBERED_DAYS: i64 = 180;

fn when() -> String {
    now().format("%-d %B %Y at %H:%M").to_string()
}

/// Queues "your password was changed" for `user_id` (`reset`: by a link). True if queued.
pub fn password_changed(
    conn: &mut DbConnection,
    links: &Links,
    user_id: &str,
    reset: bool,
) -> AppResult<bool> {
    let Some(user) = users::active_by_id(conn, user_id)?.filter(|u| u.email.contains('@')) else {
        return Ok(false);
    };
    let draft =
        account_emails::password_changed(links.public_url, &user.email, &user.name, &when(), reset);
    outbox::enqueue(conn, &compose::format(links.from, draft)?)?;
    Ok(true)
}

/// Before a password sign-in is recorded: queues "a new sign-in" when the account has signed
/// in before and no entry of its audit log in the last [`REMEMBERED_DAYS`] carries this
/// browser (its user agent; registering counts). True if queued.
pub fn signing_in(
    conn: &mut DbConnection,
    links: &Links,
    user: &UserRow,
    meta: &RequestMeta,
) -> AppResult<bool> {
    // No address (a pupil), or never signed in (an account someone else made, such as an
    // admin by the command line): no browser was known to compare with.
    if !user.email.contains('@') || user.last_login_at.is_none() {
        return Ok(false);
    }
    let since = now() - Duration::days(REMEMBERED_DAYS);
    let seen = audit_logs::table
        .filter(audit_logs::user_id.eq(&user.id))
        .filter(audit_logs::created_at.ge(since))
        .into_boxed();
    let seen = match &meta.user_agent {
        Some(ua) => seen.filter(audit_logs::user_agent.eq(ua)),
        None => seen.filter(audit_logs::user_agent.is_null()),
    };
    let known: Option<String> = seen.select(audit_logs::id).first(conn).optional()?;
    if known.is_some() {
        return Ok(false);
    }
    let browser: String = meta
        .user_agent
        .as_deref()
        .unwrap_or("an unnamed browser or app")
        .chars()
        .take(200)
        .collect();
    let draft = account_emails::new_sign_in(
        links.public_url,
        &user.email,
        &user.name,
        &when(),
        &browser,
        meta.ip.as_deref().unwrap_or("unknown"),
    );
    outbox::enqueue(conn, &compose::format(links.from, draft)?)?;
    Ok(true)
}
