//! Every migration applies up, down and up again, and seeding is idempotent.

use crate::common::TestDb;
use diesel::prelude::*;
use studyhub::infra::db::{self, schema};

#[test]
fn migrations_go_up_down_and_up_again() {
    let test_db = TestDb::empty();
    let mut conn = db::establish(&test_db.url).unwrap();
    let applied = db::run_migrations(&mut conn).unwrap();
    assert!(!applied.is_empty());
    let users: i64 = schema::users::table.count().get_result(&mut conn).unwrap();
    assert_eq!(users, 0);
    let reverted = db::revert_all_migrations(&mut conn).unwrap();
    assert_eq!(reverted, applied.len());
    assert!(
        schema::users::table
            .count()
            .get_result::<i64>(&mut conn)
            .is_err(),
        "tables are gone"
    );
    let again = db::run_migrations(&mut conn).unwrap();
    assert_eq!(again, applied);
    assert!(
        db::run_migrations(&mut conn).unwrap().is_empty(),
        "nothing left to apply"
    );
}

#[test]
fn seeding_is_idempotent_and_loads_every_activity() {
    let test_db = TestDb::empty();
    let mut conn = db::establish(&test_db.url).unwrap();
    db::run_migrations(&mut conn).unwrap();
    let first = studyhub::features::seed::seed_if_empty(&mut conn)
        .unwrap()
        .expect("empty database is seeded");
    assert!(
        studyhub::features::seed::seed_if_empty(&mut conn)
            .unwrap()
            .is_none()
    );
    let second = studyhub::features::seed::seed(&mut conn).unwrap();
    assert_eq!(first, second);
    let activities: i64 = schema::activities::table
        .count()
        .get_result(&mut conn)
        .unwrap();
    let achievements: i64 = schema::achievements::table
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(activities as usize, first.activities);
    assert_eq!(achievements as usize, first.achievements);
    let categories: Vec<String> = schema::activities::table
        .select(schema::activities::category)
        .distinct()
        .order(schema::activities::category)
        .load(&mut conn)
        .unwrap();
    assert_eq!(categories, ["math", "music", "science"]);
}

/// Before visibility, every activity was everyone's. The migration keeps the starter content
/// and what admins wrote public, and gives what teachers wrote to their own classes.
#[test]
fn the_visibility_migration_keeps_starter_content_public_and_teachers_for_their_classes() {
    use diesel_migrations::MigrationHarness;
    const VISIBILITY: &str = "20261207000002";
    let test_db = TestDb::empty();
    let mut conn = db::establish(&test_db.url).unwrap();
    db::run_migrations(&mut conn).unwrap();
    studyhub::features::seed::seed(&mut conn).unwrap();
    // Back to just before the visibility migration (and any that came after it).
    let mut found = false;
    for _ in 0..20 {
        let reverted = match &mut conn {
            db::DbConnection::Pg(c) => c.revert_last_migration(db::PG_MIGRATIONS),
            db::DbConnection::Sqlite(c) => c.revert_last_migration(db::SQLITE_MIGRATIONS),
        }
        .unwrap()
        .to_string();
        if reverted.replace('-', "").starts_with(VISIBILITY) {
            found = true;
            break;
        }
    }
    assert!(found, "the visibility migration was reverted");
    let at = "'2026-12-01 00:00:00'";
    for (id, role) in [("u-teacher", "teacher"), ("u-admin", "admin")] {
        diesel::sql_query(format!(
            "INSERT INTO users (id, email, name, role, password_hash, token_version, active, created_at, updated_at) \
             VALUES ('{id}', '{id}@example.com', 'X', '{role}', 'x', 0, TRUE, {at}, {at})"
        ))
        .execute(&mut conn)
        .unwrap();
        diesel::sql_query(format!(
            "INSERT INTO activities (id, title, description, category, difficulty, age_min, age_max, content, author_id, created_at, updated_at) \
             VALUES ('by-{role}', 'T', '', 'math', 1, 5, 9, '{{\"questions\":[]}}', '{id}', {at}, {at})"
        ))
        .execute(&mut conn)
        .unwrap();
    }
    db::run_migrations(&mut conn).unwrap();
    let visibility = |id: &str| -> String {
        schema::activities::table
            .find(id)
            .select(schema::activities::visibility)
            .first(&mut db::establish(&test_db.url).unwrap())
            .unwrap()
    };
    assert_eq!(visibility("by-teacher"), "classes");
    assert_eq!(visibility("by-admin"), "public");
    assert_eq!(visibility("math-addition-1"), "public");
    let not_public: i64 = schema::activities::table
        .filter(schema::activities::author_id.is_null())
        .filter(schema::activities::visibility.ne("public"))
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(not_public, 0, "every starter activity is public");
}
