//! Accounts as an administrator sees them: found by email or name, page by page, and
//! deactivated (every session ends, signing in is refused) or reactivated, each change in the
//! audit log.

use diesel::prelude::*;
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;

use super::audit::{self, Change, RequestMeta};
use super::auth::Role;
use super::auth::users;
use crate::infra::db::DbConnection;
use crate::infra::db::models::UserRow;
use crate::infra::db::schema::users as users_table;
use crate::infra::error::{AppError, AppResult, Code};
use crate::infra::time::{now, utc};

diesel::define_sql_function!(fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text);

/// Accounts per page of a search.
pub const PER_PAGE: i64 = 25;

#[derive(Debug, Serialize, ToSchema)]
pub struct AdminAccount {
    pub id: String,
    pub email: String,
    pub name: String,
    pub role: Role,
    /// False once an administrator deactivated it: it cannot sign in.
    pub active: bool,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub last_login_at: Option<chrono::DateTime<chrono::Utc>>,
}

impl From<UserRow> for AdminAccount {
    fn from(u: UserRow) -> Self {
        Self {
            role: Role::parse(&u.role).unwrap_or(Role::Student),
            id: u.id,
            email: u.email,
            name: u.name,
            active: u.active,
            created_at: utc(u.created_at),
            last_login_at: u.last_login_at.map(utc),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AdminAccountPage {
    pub accounts: Vec<AdminAccount>,
    /// 1-based.
    pub page: i64,
    pub per_page: i64,
    /// Accounts matching the search, on every page.
    pub total: i64,
}

/// `q` as a LIKE pattern that matches it anywhere, lower-cased, its wildcards escaped.
fn contains(q: &str) -> String {
    let mut p = String::from("%");
    for c in q.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(c);
    }
    p.push('%');
    p
}

/// One page of the accounts whose email or name holds `q` (case-insensitively), by email.
pub fn search(
    conn: &mut DbConnection,
    q: Option<&str>,
    page: i64,
) -> QueryResult<AdminAccountPage> {
    let pattern = q.map(str::trim).filter(|q| !q.is_empty()).map(contains);
    let filtered = || {
        let mut query = users_table::table.into_boxed();
        if let Some(p) = &pattern {
            query = query.filter(
                lower(users_table::email)
                    .like(p.clone())
                    .escape('\\')
                    .or(lower(users_table::name).like(p.clone()).escape('\\')),
            );
        }
        query
    };
    let total: i64 = filtered().count().get_result(conn)?;
    let rows: Vec<UserRow> = filtered()
        .order((users_table::email.asc(), users_table::id.asc()))
        .offset((page - 1) * PER_PAGE)
        .limit(PER_PAGE)
        .select(UserRow::as_select())
        .load(conn)?;
    Ok(AdminAccountPage {
        accounts: rows.into_iter().map(AdminAccount::from).collect(),
        page,
        per_page: PER_PAGE,
        total,
    })
}

/// Deactivates (`active` false) or reactivates an account, in the audit log as the admin's
/// `deactivate` or `reactivate` of the `account`. Deactivating ends every session of the
/// account (the caller tells the nodes). The same state again changes nothing and records
/// nothing. An admin cannot deactivate their own account (nobody could undo it from here).
pub fn set_active(
    conn: &mut DbConnection,
    meta: &RequestMeta,
    admin_id: &str,
    target: &str,
    active: bool,
) -> AppResult<AdminAccount> {
    if !active && admin_id == target {
        return Err(AppError::conflict(
            Code::Conflict,
            "you cannot deactivate your own account",
        ));
    }
    let row: UserRow = users_table::table
        .find(target)
        .select(UserRow::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| AppError::not_found("account"))?;
    if row.active == active {
        return Ok(row.into());
    }
    diesel::update(users_table::table.find(target))
        .set((
            users_table::active.eq(active),
            users_table::updated_at.eq(now()),
        ))
        .execute(conn)?;
    if !active {
        users::end_sessions(conn, target)?;
    }
    audit::record(
        conn,
        meta,
        Change {
            user_id: admin_id,
            action: if active { "reactivate" } else { "deactivate" },
            entity_type: "account",
            entity_id: target,
            old: Some(json!({"active": row.active})),
            new: Some(json!({"active": active})),
        },
    )?;
    Ok(AdminAccount {
        active,
        ..AdminAccount::from(row)
    })
}
