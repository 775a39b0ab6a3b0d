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
