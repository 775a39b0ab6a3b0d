//! Accounts as stored: looked up by email or id, created, signed in, their password and
//! token version changed.

use chrono::{NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use super::Role;
use crate::infra::db::DbConnection;
use crate::infra::db::models::UserRow;
use crate::infra::db::schema::users;
use crate::infra::error::AppResult;
use crate::infra::time::{now, utc};

#[derive(Debug, Serialize, ToSchema)]
pub struct UserView {
    pub id: String,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub created_at: chrono::DateTime<Utc>,
    pub last_login_at: Option<chrono::DateTime<Utc>>,
    /// The owner followed the verification link sent to `email`.
    pub email_verified: bool,
}

impl From<UserRow> for UserView {
    fn from(u: UserRow) -> Self {
        Self {
            role: Role::parse(&u.role).unwrap_or(Role::Student),
            id: u.id,
            email: u.email,
            name: u.name,
            created_at: utc(u.created_at),
            last_login_at: u.last_login_at.map(utc),
            email_verified: u.email_verified_at.is_some(),
        }
    }
}

/// Whether an account (active or not) has this email.
pub fn email_taken(conn: &mut DbConnection, email: &str) -> QueryResult<bool> {
    let n: i64 = users::table
        .filter(users::email.eq(email))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

pub fn insert(conn: &mut DbConnection, user: &UserRow) -> QueryResult<()> {
    diesel::insert_into(users::table)
        .values(user)
        .execute(conn)
        .map(drop)
}

/// The active account with this email.
pub fn active_by_email(conn: &mut DbConnection, email: &str) -> QueryResult<Option<UserRow>> {
    users::table
        .filter(users::email.eq(email))
        .filter(users::active.eq(true))
        .select(UserRow::as_select())
        .first(conn)
        .optional()
}

/// The active account with this id.
pub fn active_by_id(conn: &mut DbConnection, id: &str) -> QueryResult<Option<UserRow>> {
    users::table
        .find(id)
        .filter(users::active.eq(true))
        .select(UserRow::as_select())
        .first(conn)
        .optional()
}

pub fn signed_in(conn: &mut DbConnection, id: &str, at: NaiveDateTime) -> QueryResult<()> {
    diesel::update(users::table.find(id))
        .set(users::last_login_at.eq(Some(at)))
        .execute(conn)
        .map(drop)
}

pub fn password_hash(conn: &mut DbConnection, id: &str) -> QueryResult<String> {
    users::table
        .find(id)
        .select(users::password_hash)
        .first(conn)
}

pub fn set_password_hash(conn: &mut DbConnection, id: &str, hash: &str) -> QueryResult<()> {
    diesel::update(users::table.find(id))
        .set(users::password_hash.eq(hash))
        .execute(conn)
        .map(drop)
}

/// The address of `id` is proven (a link from an email was followed); kept as it was when
/// it already was.
pub fn mark_verified(conn: &mut DbConnection, id: &str) -> QueryResult<()> {
    diesel::update(
        users::table
            .find(id)
            .filter(users::email_verified_at.is_null()),
    )
    .set(users::email_verified_at.eq(Some(now())))
    .execute(conn)
    .map(drop)
}

/// Whether `id`'s address is verified.
pub fn email_verified(conn: &mut DbConnection, id: &str) -> QueryResult<bool> {
    users::table
        .find(id)
        .select(users::email_verified_at.is_not_null())
        .first(conn)
}

/// Every session of `user_id` ends: its refresh families are revoked and its access tokens
/// stop working. The caller then tells the nodes (`LiveControl::account_changed`), which
/// forget the cached token version and close the account's sockets with 4003.
pub fn end_sessions(conn: &mut DbConnection, user_id: &str) -> AppResult<()> {
    super::refresh::revoke_user(conn, user_id)?;
    bump_token_version(conn, user_id)
}

/// Every access token of `user_id` issued before now stops working.
pub fn bump_token_version(conn: &mut DbConnection, user_id: &str) -> AppResult<()> {
    diesel::update(users::table.find(user_id))
        .set((
            users::token_version.eq(users::token_version + 1),
            users::updated_at.eq(now()),
        ))
        .execute(conn)?;
    Ok(())
}
