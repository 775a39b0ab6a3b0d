//! A user's push subscriptions as stored: one row per browser endpoint (the same endpoint
//! subscribed again replaces its row), at most [`MAX_PER_USER`] per user.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use diesel::prelude::*;

use crate::infra::db::DbConnection;
use crate::infra::db::schema::push_subscriptions as subs;
use crate::infra::error::AppError;
use crate::infra::time::now;

/// Subscriptions one account may have (browsers and devices).
pub const MAX_PER_USER: i64 = 20;
/// The longest endpoint taken (push services' are a few hundred characters).
pub const MAX_ENDPOINT_LEN: usize = 1024;

/// A subscription as the browser's `PushSubscription.toJSON()` gives it, checked.
#[derive(Debug, Clone)]
pub struct NewSubscription {
    pub endpoint: String,
    /// The browser's P-256 public key, base64url (65 bytes, uncompressed).
    pub p256dh: String,
    /// The browser's authentication secret, base64url (16 bytes).
    pub auth: String,
}

impl NewSubscription {
    /// Checks the keys' shapes; the endpoint's length and characters (its address is checked
    /// by `address::check`). Errors name the field.
    pub fn parse(endpoint: &str, p256dh: &str, auth: &str) -> Result<Self, AppError> {
        if endpoint.is_empty() || endpoint.len() > MAX_ENDPOINT_LEN {
            return Err(AppError::invalid_field(
                "endpoint",
                format!("an https URL of at most {MAX_ENDPOINT_LEN} characters"),
            ));
        }
        if endpoint
            .chars()
            .any(|c| c.is_control() || c.is_whitespace())
        {
            return Err(AppError::invalid_field("endpoint", "a URL without spaces"));
        }
        let key = decode(p256dh)
            .filter(|k| k.len() == 65 && p256::PublicKey::from_sec1_bytes(k).is_ok())
            .ok_or_else(|| {
                AppError::invalid_field(
                    "keys.p256dh",
                    "the browser's P-256 public key (65 bytes, base64url)",
                )
            })?;
        let secret = decode(auth)
            .filter(|a| a.len() == 16)
            .ok_or_else(|| AppError::invalid_field("keys.auth", "16 bytes, base64url"))?;
        Ok(Self {
            endpoint: endpoint.to_string(),
            p256dh: URL_SAFE_NO_PAD.encode(key),
            auth: URL_SAFE_NO_PAD.encode(secret),
        })
    }
}

fn decode(s: &str) -> Option<Vec<u8>> {
    if s.len() > 200 {
        return None;
    }
    URL_SAFE_NO_PAD.decode(s.trim_end_matches('=')).ok()
}

/// A stored subscription, as the sender reads it.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = subs)]
pub struct Subscription {
    pub id: String,
    pub endpoint: String,
    pub p256dh: String,
    pub auth: String,
}

/// Whether a subscription was stored.
pub enum Subscribed {
    /// Its id (the same one when this user subscribed the endpoint before).
    Stored(String),
    /// The user has [`MAX_PER_USER`] already.
    Full,
}

/// Stores `sub` for the user; call in a write transaction. An endpoint stored under another
/// account (a shared device) moves to this one with a new id.
pub fn subscribe(
    conn: &mut DbConnection,
    user_id: &str,
    sub: &NewSubscription,
) -> Result<Subscribed, AppError> {
    let existing: Option<(String, String)> = subs::table
        .filter(subs::endpoint.eq(&sub.endpoint))
        .select((subs::id, subs::user_id))
        .first(conn)
        .optional()?;
    if let Some((id, owner)) = &existing
        && owner == user_id
    {
        diesel::update(subs::table.find(id))
            .set((subs::p256dh.eq(&sub.p256dh), subs::auth.eq(&sub.auth)))
            .execute(conn)?;
        return Ok(Subscribed::Stored(id.clone()));
    }
    let count: i64 = subs::table
        .filter(subs::user_id.eq(user_id))
        .count()
        .get_result(conn)?;
    if count >= MAX_PER_USER {
        return Ok(Subscribed::Full);
    }
    if let Some((id, _)) = existing {
        diesel::delete(subs::table.find(id)).execute(conn)?;
    }
    let id = uuid::Uuid::now_v7().to_string();
    diesel::insert_into(subs::table)
        .values((
            subs::id.eq(&id),
            subs::user_id.eq(user_id),
            subs::endpoint.eq(&sub.endpoint),
            subs::p256dh.eq(&sub.p256dh),
            subs::auth.eq(&sub.auth),
            subs::created_at.eq(now()),
        ))
        .execute(conn)?;
    Ok(Subscribed::Stored(id))
}

/// Deletes one of the user's subscriptions; false if there is no such one of theirs.
pub fn unsubscribe(conn: &mut DbConnection, user_id: &str, id: &str) -> Result<bool, AppError> {
    let n = diesel::delete(
        subs::table
            .filter(subs::id.eq(id))
            .filter(subs::user_id.eq(user_id)),
    )
    .execute(conn)?;
    Ok(n == 1)
}

/// Every subscription of each of the users, in one query (users without any are absent).
pub fn of_users(
    conn: &mut DbConnection,
    user_ids: &[String],
) -> Result<std::collections::HashMap<String, Vec<Subscription>>, AppError> {
    let rows: Vec<(String, Subscription)> = subs::table
        .filter(subs::user_id.eq_any(user_ids))
        .order(subs::id)
        .select((subs::user_id, Subscription::as_select()))
        .load(conn)?;
    let mut by_user = std::collections::HashMap::<String, Vec<Subscription>>::new();
    for (user, sub) in rows {
        by_user.entry(user).or_default().push(sub);
    }
    Ok(by_user)
}

/// Forgets a subscription its push service says is gone (404 or 410).
pub fn forget(conn: &mut DbConnection, id: &str) -> Result<(), AppError> {
    diesel::delete(subs::table.find(id)).execute(conn)?;
    Ok(())
}
