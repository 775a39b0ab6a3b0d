//! Study-page time (IGCSE pages): each page's total, and today's study time.

use chrono::NaiveDate;
use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use crate::infra::db::DbConnection;
use crate::infra::db::schema::page_progress;
use crate::infra::store::{ProgressDelta, add_progress};
use crate::infra::time::now;

/// The category study pages count under.
pub const PAGES_CATEGORY: &str = "pages";

/// A page's totals after this visit.
#[derive(Debug, Serialize, ToSchema)]
pub struct PageBody {
    pub page_id: String,
    pub title: String,
    /// All visits' seconds added up.
    pub seconds: i32,
    pub completed: bool,
}

/// One visit of a page.
pub struct Visit {
    pub page_id: String,
    pub title: String,
    pub seconds: i32,
    pub completed: bool,
}

/// Adds a visit to the page's total and to the learner's study time on `date` (call inside
/// a transaction).
pub fn record_visit(
    conn: &mut DbConnection,
    learner_id: &str,
    date: NaiveDate,
    visit: Visit,
) -> QueryResult<PageBody> {
    let Visit {
        page_id,
        title,
        seconds,
        completed,
    } = visit;
    let t = now();
    crate::on_backend!(conn, |c| diesel::insert_into(page_progress::table)
        .values((
            page_progress::learner_id.eq(learner_id),
            page_progress::page_id.eq(&page_id),
            page_progress::title.eq(&title),
            page_progress::seconds.eq(seconds),
            page_progress::completed.eq(completed),
            page_progress::created_at.eq(t),
            page_progress::updated_at.eq(t),
        ))
        .on_conflict((page_progress::learner_id, page_progress::page_id))
        .do_update()
        .set((
            page_progress::title.eq(&title),
            page_progress::seconds.eq(page_progress::seconds + seconds),
            page_progress::completed.eq(page_progress::completed.or(diesel::IntoSql::into_sql::<
                diesel::sql_types::Bool,
            >(completed))),
            page_progress::updated_at.eq(t),
        ))
        .execute(c))?;
    add_progress(
        conn,
        &ProgressDelta {
            learner_id: learner_id.to_string(),
            date,
            category: PAGES_CATEGORY.into(),
            activities_completed: 0,
            questions_answered: 0,
            questions_correct: 0,
            study_seconds: seconds,
            stars: 0,
            points: 0,
        },
    )?;
    let (page_id, title, seconds, completed) = page_progress::table
        .find((learner_id, &page_id))
        .select((
            page_progress::page_id,
            page_progress::title,
            page_progress::seconds,
            page_progress::completed,
        ))
        .first(conn)?;
    Ok(PageBody {
        page_id,
        title,
        seconds,
        completed,
    })
}
