//! Activities as stored, for the teachers and admins who author them (the catalog reads them
//! through `infra::content_cache`, which a change must be told of).

use diesel::prelude::*;

use crate::infra::db::DbConnection;
use crate::infra::db::models::ActivityRow;
use crate::infra::db::schema::activities;

/// Whether any activity, archived or not, has this id.
pub fn exists(conn: &mut DbConnection, id: &str) -> QueryResult<bool> {
    let n: i64 = activities::table.find(id).count().get_result(conn)?;
    Ok(n > 0)
}

pub fn insert(conn: &mut DbConnection, row: &ActivityRow) -> QueryResult<()> {
    diesel::insert_into(activities::table)
        .values(row)
        .execute(conn)
        .map(drop)
}

/// The activity unless it is archived.
pub fn find_live(conn: &mut DbConnection, id: &str) -> QueryResult<Option<ActivityRow>> {
    activities::table
        .find(id)
        .filter(activities::archived_at.is_null())
        .select(ActivityRow::as_select())
        .first(conn)
        .optional()
}

pub fn update(conn: &mut DbConnection, row: &ActivityRow) -> QueryResult<()> {
    diesel::update(activities::table.find(&row.id))
        .set(row)
        .execute(conn)
        .map(drop)
}

/// Archived, never deleted: learners' sessions, answers and progress stay.
pub fn archive(conn: &mut DbConnection, id: &str) -> QueryResult<()> {
    diesel::update(activities::table.find(id))
        .set(activities::archived_at.eq(Some(crate::infra::time::now())))
        .execute(conn)
        .map(drop)
}
