//! Activities as stored, for the teachers and admins who author them (the catalog reads them
//! through `infra::content_cache`, which a change must be told of).

use diesel::prelude::*;
use studyhub_actors::visibility::{Sight, Visibility};

use crate::features::auth::{AuthUser, Role};
use crate::infra::db::models::ActivityRow;
use crate::infra::db::schema::{activities, learners};
use crate::infra::db::{Db, DbConnection};
use crate::infra::error::AppResult;
use crate::infra::store::class_teachers;

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

/// Everyone may see it from now on (`POST /v1/activities/{id}/publish`, admins).
pub fn publish(conn: &mut DbConnection, id: &str) -> QueryResult<()> {
    diesel::update(activities::table.find(id))
        .set((
            activities::visibility.eq(Visibility::Public.as_str()),
            activities::updated_at.eq(crate::infra::time::now()),
        ))
        .execute(conn)
        .map(drop)
}

/// What a caller may see of the catalog (`None`: not signed in, public only). An admin sees
/// everything; a teacher their own activities and public ones; a parent or a student what
/// their learners may (the `classes` activities of their classes' teachers). One query per
/// request, not a cache: a class joined or left counts at once on every node, and the catalog
/// itself stays one shared copy in memory.
pub async fn sight_of(db: &Db, user: Option<&AuthUser>) -> AppResult<Sight> {
    let Some(user) = user else {
        return Ok(Sight::anonymous());
    };
    // A child's device sees what its one learner may.
    if let (Role::Child, Some(learner)) = (user.role, &user.device_learner) {
        return learner_sight(db, learner).await;
    }
    let mut sight = Sight {
        admin: user.role == Role::Admin,
        user_id: Some(user.id.clone()),
        ..Sight::default()
    };
    if matches!(user.role, Role::Parent | Role::Student) {
        let uid = user.id.clone();
        sight.class_teachers = db
            .run(move |conn| {
                let mine: Vec<String> = learners::table
                    .filter(learners::parent_id.eq(&uid).or(learners::user_id.eq(&uid)))
                    .select(learners::id)
                    .load(conn)?;
                Ok(class_teachers(conn, &mine)?)
            })
            .await?
            .into_iter()
            .collect();
    }
    Ok(sight)
}

/// What one learner may see (`next`, and the catalog asked for that learner).
pub async fn learner_sight(db: &Db, learner_id: &str) -> AppResult<Sight> {
    let ids = [learner_id.to_string()];
    let teachers = db.run(move |conn| Ok(class_teachers(conn, &ids)?)).await?;
    Ok(Sight::learner(teachers))
}
