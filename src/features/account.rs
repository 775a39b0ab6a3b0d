//! An account's own data as stored: its learners, and erasing it with everything that hangs
//! off it.

use diesel::prelude::*;

use crate::infra::db::DbConnection;
use crate::infra::db::models::LearnerRow;
use crate::infra::db::schema::{audit_logs, drawings, learners, users};

/// The account's learners: a parent's children, or a student's own learner.
pub fn learners_of(conn: &mut DbConnection, user_id: &str) -> QueryResult<Vec<LearnerRow>> {
    learners::table
        .filter(
            learners::parent_id
                .eq(user_id)
                .or(learners::user_id.eq(user_id)),
        )
        .select(LearnerRow::as_select())
        .load(conn)
}

/// The first half of an erasure (call inside a transaction, then [`erase`]): locks the
/// account's learners, clears the personal data the audit log holds about them and the
/// account, and answers the object keys of their drawings and the account's backups, which
/// go once the transaction is committed.
pub fn prepare_erasure(conn: &mut DbConnection, uid: &str) -> QueryResult<Vec<String>> {
    let uid = uid.to_string();
    // The learners are locked before their drawings are listed, so an upload racing
    // this erasure either lands in the list or fails on the missing learner and
    // removes its own file (SQLite's write transactions are serial already).
    if let DbConnection::Pg(c) = conn {
        diesel::sql_query(
            "SELECT id FROM learners WHERE parent_id = $1 OR user_id = $1 FOR UPDATE",
        )
        .bind::<diesel::sql_types::Text, _>(&uid)
        .execute(c)?;
    }
    let ids: Vec<String> = learners_of(conn, &uid)?.into_iter().map(|l| l.id).collect();
    let mut keys: Vec<String> = drawings::table
        .filter(drawings::learner_id.eq_any(&ids))
        .select(drawings::object_key)
        .load(conn)?;
    // The account's own backups go too (their log rows go with the user).
    keys.extend(crate::features::backup::user_backup_objects(conn, &uid)?);
    // Personal data about the account and its learners leaves the audit log too; the
    // entries stay (who changed what, when) without their values.
    let mut about: Vec<String> = ids.clone();
    about.push(uid.clone());
    diesel::update(audit_logs::table.filter(audit_logs::entity_id.eq_any(&about)))
        .set((
            audit_logs::old_values.eq(None::<String>),
            audit_logs::new_values.eq(None::<String>),
            audit_logs::ip_address.eq(None::<String>),
            audit_logs::user_agent.eq(None::<String>),
        ))
        .execute(conn)?;
    diesel::update(audit_logs::table.filter(audit_logs::user_id.eq(&uid)))
        .set((
            audit_logs::ip_address.eq(None::<String>),
            audit_logs::user_agent.eq(None::<String>),
        ))
        .execute(conn)?;
    Ok(keys)
}

/// Deletes the account's learners (and, by cascade, everything of theirs) and the account.
pub fn erase(conn: &mut DbConnection, uid: &str) -> QueryResult<()> {
    let uid = uid.to_string();
    diesel::delete(
        learners::table.filter(learners::parent_id.eq(&uid).or(learners::user_id.eq(&uid))),
    )
    .execute(conn)?;
    diesel::delete(users::table.find(&uid)).execute(conn)?;
    Ok(())
}
