//! Requests for more time and downtime windows, as the engine reads and writes them.

use diesel::prelude::*;
use studyhub_actors::downtime_windows::Window;
use studyhub_actors::store::{AskOutcome, NewTimeRequest, TIME_REQUESTS_PER_DAY};

use crate::infra::db::schema::time_requests;
use crate::infra::db::{DbConnection, write_transaction};

/// The stored windows (checked before they were stored; unreadable ones are no windows).
pub fn parse_downtime(json: Option<&str>) -> Vec<Window> {
    json.map(|j| {
        serde_json::from_str(j).unwrap_or_else(|e| {
            tracing::warn!(error = %e, "unreadable downtime windows; ignoring them");
            Vec::new()
        })
    })
    .unwrap_or_default()
}

/// Stores the request unless one is pending or the day's are used up. The partial unique
/// index keeps it to one pending request even when two nodes insert at once.
pub(crate) fn ask(conn: &mut DbConnection, r: &NewTimeRequest) -> QueryResult<AskOutcome> {
    write_transaction(conn, |conn| {
        let mine =
            || time_requests::table.filter(time_requests::learner_id.eq(r.learner_id.as_str()));
        let pending: i64 = mine()
            .filter(time_requests::status.eq("pending"))
            .count()
            .get_result(conn)?;
        if pending > 0 {
            return Ok(AskOutcome::Pending);
        }
        let today: i64 = mine()
            .filter(time_requests::created_at.ge(r.day.0.naive_utc()))
            .filter(time_requests::created_at.lt(r.day.1.naive_utc()))
            .count()
            .get_result(conn)?;
        if today >= TIME_REQUESTS_PER_DAY {
            return Ok(AskOutcome::DailyLimit);
        }
        let row = (
            time_requests::id.eq(&r.id),
            time_requests::learner_id.eq(r.learner_id.as_str()),
            time_requests::parent_id.eq(&r.parent_id),
            time_requests::seconds.eq(r.seconds as i32),
            time_requests::reason.eq(r.reason.as_deref()),
            time_requests::status.eq("pending"),
            time_requests::created_at.eq(r.created_at.naive_utc()),
        );
        let inserted = crate::on_backend!(conn, |c| diesel::insert_into(time_requests::table)
            .values(row)
            .on_conflict_do_nothing()
            .execute(c))?;
        Ok(if inserted == 1 {
            AskOutcome::Created
        } else {
            AskOutcome::Pending
        })
    })
}
