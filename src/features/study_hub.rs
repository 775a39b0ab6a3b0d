//! The IGCSE Study Hub moves over: its clients keep submitting quiz results graded on their
//! side (kept as sent, marked `client_graded`, counted in progress), and its saved data is
//! imported once, whatever number of times it is sent (each item's key is remembered).

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use crate::features::progress::pages::{self, Visit};
use crate::infra::db::DbConnection;
use crate::infra::db::schema::{learners, quiz_results, study_hub_imports};
use crate::infra::store::{POINTS_PER_STAR, ProgressDelta, add_progress};
use crate::infra::time::now;

/// The subject the hub's quizzes count under in progress (it is the IGCSE Music hub).
pub const QUIZ_CATEGORY: &str = "music";

/// One quiz result as the hub's client sends it (already checked by the route).
#[derive(Debug, Clone)]
pub struct QuizResult {
    pub quiz_id: String,
    pub quiz_title: String,
    pub score: i32,
    pub total_questions: i32,
    pub percentage: f64,
    pub time_spent_seconds: i32,
    pub answers: Vec<String>,
    pub completed_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct QuizResultView {
    pub id: String,
    pub quiz_id: String,
    pub quiz_title: String,
    pub score: i32,
    pub total_questions: i32,
    pub percentage: f64,
    pub time_spent_seconds: i32,
    pub client_graded: bool,
    pub completed_at: DateTime<Utc>,
}

/// The learner's calendar day of `at` (its time zone).
fn local_day(
    conn: &mut DbConnection,
    learner_id: &str,
    at: DateTime<Utc>,
) -> QueryResult<NaiveDate> {
    let tz: String = learners::table
        .find(learner_id)
        .select(learners::timezone)
        .first(conn)?;
    let tz = studyhub_actors::screen_time::parse_tz(&tz);
    Ok(studyhub_actors::screen_time::local_date(tz, at))
}

/// Stores a result and counts it in the learner's progress (call inside a transaction).
pub fn store_result(
    conn: &mut DbConnection,
    learner_id: &str,
    r: &QuizResult,
) -> QueryResult<QuizResultView> {
    let id = uuid::Uuid::now_v7().to_string();
    let completed = r.completed_at.naive_utc();
    diesel::insert_into(quiz_results::table)
        .values((
            quiz_results::id.eq(&id),
            quiz_results::learner_id.eq(learner_id),
            quiz_results::quiz_id.eq(&r.quiz_id),
            quiz_results::quiz_title.eq(&r.quiz_title),
            quiz_results::score.eq(r.score),
            quiz_results::total_questions.eq(r.total_questions),
            quiz_results::percentage.eq(r.percentage),
            quiz_results::time_spent_seconds.eq(r.time_spent_seconds),
            quiz_results::answers.eq(serde_json::to_string(&r.answers).unwrap_or_default()),
            quiz_results::client_graded.eq(true),
            quiz_results::completed_at.eq(completed),
            quiz_results::created_at.eq(now()),
        ))
        .execute(conn)?;
    let stars = i32::from(studyhub_actors::session::stars(r.percentage));
    let date = local_day(conn, learner_id, r.completed_at)?;
    add_progress(
        conn,
        &ProgressDelta {
            learner_id: learner_id.to_string(),
            date,
            category: QUIZ_CATEGORY.to_string(),
            activities_completed: 1,
            questions_answered: r.total_questions,
            questions_correct: r.score,
            study_seconds: r.time_spent_seconds,
            stars,
            points: stars * POINTS_PER_STAR,
        },
    )?;
    Ok(QuizResultView {
        id,
        quiz_id: r.quiz_id.clone(),
        quiz_title: r.quiz_title.clone(),
        score: r.score,
        total_questions: r.total_questions,
        percentage: r.percentage,
        time_spent_seconds: r.time_spent_seconds,
        client_graded: true,
        completed_at: r.completed_at,
    })
}

/// A page visit from the hub's saved data.
#[derive(Debug, Clone)]
pub struct PageVisit {
    pub page_id: String,
    pub page_title: String,
    pub time_spent_seconds: i32,
    pub completed: bool,
    pub visited_at: DateTime<Utc>,
}

/// What an import did. Named apart in the OpenAPI document: the pupils' CSV import has an
/// `Imported` of its own, and one name for both gave this route the other's schema.
#[derive(Debug, Default, Serialize, ToSchema)]
#[schema(as = StudyHubImported)]
pub struct Imported {
    /// Items stored now.
    pub imported: usize,
    /// Items already imported before (from this file or another).
    pub skipped: usize,
}

/// Remembers an item; `false` if it was imported before.
fn first_time(conn: &mut DbConnection, learner_id: &str, key: &str) -> QueryResult<bool> {
    let row = (
        study_hub_imports::learner_id.eq(learner_id),
        study_hub_imports::item_key.eq(key),
        study_hub_imports::imported_at.eq(now()),
    );
    let n = crate::on_backend!(conn, |c| diesel::insert_into(study_hub_imports::table)
        .values(row)
        .on_conflict_do_nothing()
        .execute(c))?;
    Ok(n == 1)
}

/// Imports the hub's saved data, each item once (call inside a transaction).
pub fn import(
    conn: &mut DbConnection,
    learner_id: &str,
    results: &[QuizResult],
    visits: &[PageVisit],
) -> QueryResult<Imported> {
    let mut done = Imported::default();
    for r in results {
        let key = format!("quiz|{}|{}", r.quiz_id, r.completed_at.to_rfc3339());
        if first_time(conn, learner_id, &key)? {
            store_result(conn, learner_id, r)?;
            done.imported += 1;
        } else {
            done.skipped += 1;
        }
    }
    for v in visits {
        let key = format!("page|{}|{}", v.page_id, v.visited_at.to_rfc3339());
        if first_time(conn, learner_id, &key)? {
            let date = local_day(conn, learner_id, v.visited_at)?;
            pages::record_visit(
                conn,
                learner_id,
                date,
                Visit {
                    page_id: v.page_id.clone(),
                    title: v.page_title.clone(),
                    seconds: v.time_spent_seconds,
                    completed: v.completed,
                },
            )?;
            done.imported += 1;
        } else {
            done.skipped += 1;
        }
    }
    Ok(done)
}
