//! The teachers of the classes some learners belong to: whose `classes` activities those
//! learners may see (`studyhub_actors::visibility`). One indexed query, read per request and
//! per `start` rather than cached, so joining or leaving a class counts at once on every node.

use diesel::prelude::*;

use crate::infra::db::DbConnection;
use crate::infra::db::schema::{class_members, classes};

pub fn class_teachers(conn: &mut DbConnection, learner_ids: &[String]) -> QueryResult<Vec<String>> {
    if learner_ids.is_empty() {
        return Ok(Vec::new());
    }
    class_members::table
        .inner_join(classes::table)
        .filter(class_members::learner_id.eq_any(learner_ids))
        .select(classes::teacher_id)
        .distinct()
        .load(conn)
}
