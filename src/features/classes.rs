//! Classes and their members in the database: what the class routes, the class feed and a
//! class's progress read and write. Who may see a class is decided here too
//! ([`TaughtClass`], taken by handlers as an extractor), so no handler can forget it.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::features::auth::{AuthUser, Role};
use crate::infra::db::schema::{class_members, classes, learners};
use crate::infra::db::{Db, DbConnection};
use crate::infra::error::AppError;
use crate::infra::time::now;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = classes)]
pub struct Class {
    pub id: String,
    pub teacher_id: String,
    pub name: String,
    pub subject: Option<String>,
    pub join_code: String,
    pub created_at: NaiveDateTime,
}

/// A learner on a class's roster.
#[derive(Debug, Clone, Queryable)]
pub struct Member {
    pub learner_id: String,
    pub name: String,
    pub joined_at: NaiveDateTime,
    /// Extra time in the class's games, in percent of each question's time.
    pub extra_time_percent: i32,
}

pub fn find(conn: &mut DbConnection, id: &str) -> QueryResult<Option<Class>> {
    classes::table
        .find(id)
        .select(Class::as_select())
        .first(conn)
        .optional()
}

pub fn by_join_code(conn: &mut DbConnection, code: &str) -> QueryResult<Option<Class>> {
    classes::table
        .filter(classes::join_code.eq(code))
        .select(Class::as_select())
        .first(conn)
        .optional()
}

/// A teacher's classes, oldest first.
pub fn of_teacher(conn: &mut DbConnection, teacher_id: &str) -> QueryResult<Vec<Class>> {
    classes::table
        .filter(classes::teacher_id.eq(teacher_id))
        .order(classes::created_at.asc())
        .select(Class::as_select())
        .load(conn)
}

/// How many learners each of these classes has (a class without any is absent).
pub fn member_counts(
    conn: &mut DbConnection,
    class_ids: &[String],
) -> QueryResult<HashMap<String, i64>> {
    let counts: Vec<(String, i64)> = class_members::table
        .filter(class_members::class_id.eq_any(class_ids))
        .group_by(class_members::class_id)
        .select((class_members::class_id, diesel::dsl::count_star()))
        .load(conn)?;
    Ok(counts.into_iter().collect())
}

/// The class's learners, by name.
pub fn roster(conn: &mut DbConnection, class_id: &str) -> QueryResult<Vec<Member>> {
    class_members::table
        .inner_join(learners::table)
        .filter(class_members::class_id.eq(class_id))
        .order(learners::name.asc())
        .select((
            learners::id,
            learners::name,
            class_members::joined_at,
            class_members::extra_time_percent,
        ))
        .load(conn)
}

/// The classes a learner is in.
pub fn of_learner(conn: &mut DbConnection, learner_id: &str) -> QueryResult<Vec<String>> {
    class_members::table
        .filter(class_members::learner_id.eq(learner_id))
        .select(class_members::class_id)
        .load(conn)
}

pub fn code_taken(conn: &mut DbConnection, code: &str) -> QueryResult<bool> {
    let n: i64 = classes::table
        .filter(classes::join_code.eq(code))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

pub fn insert(conn: &mut DbConnection, class: &Class) -> QueryResult<()> {
    diesel::insert_into(classes::table)
        .values((
            classes::id.eq(&class.id),
            classes::teacher_id.eq(&class.teacher_id),
            classes::name.eq(&class.name),
            classes::subject.eq(&class.subject),
            classes::join_code.eq(&class.join_code),
            classes::created_at.eq(class.created_at),
            classes::updated_at.eq(class.created_at),
        ))
        .execute(conn)?;
    Ok(())
}

/// Puts the learner on the roster (already there: nothing changes).
pub fn add_member(conn: &mut DbConnection, class_id: &str, learner_id: &str) -> QueryResult<()> {
    crate::on_backend!(conn, |c| diesel::insert_into(class_members::table)
        .values((
            class_members::class_id.eq(class_id),
            class_members::learner_id.eq(learner_id),
            class_members::joined_at.eq(now()),
        ))
        .on_conflict_do_nothing()
        .execute(c))?;
    Ok(())
}

/// Takes the learner off the roster; `false` if it was not on it.
pub fn remove_member(
    conn: &mut DbConnection,
    class_id: &str,
    learner_id: &str,
) -> QueryResult<bool> {
    let n = diesel::delete(
        class_members::table
            .filter(class_members::class_id.eq(class_id))
            .filter(class_members::learner_id.eq(learner_id)),
    )
    .execute(conn)?;
    Ok(n > 0)
}

/// A class as its teacher (or an admin) may see it, from the route's `{id}`: anyone else,
/// like a class that does not exist, is 404, so another teacher's ids are never confirmed.
#[derive(Debug, Clone)]
pub struct TaughtClass {
    pub user: AuthUser,
    pub class: Class,
}

impl TaughtClass {
    pub async fn load(db: &Db, user: AuthUser, class_id: String) -> Result<Self, AppError> {
        user.require(&[Role::Teacher, Role::Admin])?;
        let class = db
            .run(move |conn| find(conn, &class_id).map_err(AppError::from))
            .await?
            .filter(|c| c.teacher_id == user.id || user.role == Role::Admin)
            .ok_or_else(|| AppError::not_found("class"))?;
        Ok(Self { user, class })
    }
}

/// Tells the engine a learner's classes changed, and refreshes live monitors' rosters, on
/// every node (after a join, a removal, or a pupil made by the teacher).
pub async fn announce_member_change(
    db: &Db,
    control: &crate::features::live::control::LiveControl,
    learner_id: studyhub_actors::ids::LearnerId,
    touched_class: studyhub_actors::ids::ClassId,
) -> Result<(), AppError> {
    use studyhub_actors::ids::ClassId;
    let lid = learner_id.to_string();
    let cid = touched_class.to_string();
    let (ids, members) = db
        .run(move |conn| Ok((of_learner(conn, &lid)?, roster(conn, &cid)?)))
        .await?;
    let roster = members
        .into_iter()
        .map(|m| (m.learner_id.into(), m.name))
        .collect();
    let ids = ids.into_iter().map(ClassId::from).collect();
    control
        .classes_changed(&learner_id, ids, &touched_class, roster)
        .await;
    Ok(())
}
