//! The account's export: everything it holds, readable (`GET /v1/me/export`), and what
//! `POST /v1/me/import` reads back. The nested records are described in docs/protocol.md
//! ("Backups and privacy").

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::Serialize;
use serde_json::{Value, json};
use utoipa::ToSchema;

use crate::features::account::learners_of;
use crate::infra::crypto::Cipher;
use crate::infra::db::DbConnection;
use crate::infra::db::models::{DayProgress, LearnerRow, LearnerSettingsRow, UserRow};
use crate::infra::db::schema::*;
use crate::infra::storage::ObjectStore;

/// The most image bytes one export embeds (drawings past it are listed without the image).
pub const EXPORT_IMAGES_MAX: usize = 40 * 1024 * 1024;

/// The export file. The nested records are described in docs/protocol.md ("Backups and
/// privacy"); `POST /v1/me/import` reads the same file.
#[derive(Debug, Serialize, ToSchema)]
pub struct AccountExport {
    pub exported_at: chrono::DateTime<chrono::Utc>,
    pub user: crate::features::auth::users::UserView,
    /// Each: the learner, settings, sessions with answers, progress, screen time and grants,
    /// classes, pages, achievements, drawings, assessments, requests for more time.
    #[schema(value_type = Vec<Object>)]
    pub learners: Vec<Value>,
    #[schema(value_type = Vec<Object>)]
    pub notifications: Vec<Value>,
    #[schema(value_type = Vec<Object>)]
    pub classes_taught: Vec<Value>,
    #[schema(value_type = Vec<Object>)]
    pub activities_written: Vec<Value>,
    #[schema(value_type = Vec<Object>)]
    pub audit: Vec<Value>,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = activity_sessions)]
struct Session {
    id: String,
    activity_id: String,
    status: String,
    accuracy: Option<f64>,
    stars: Option<i32>,
    started_at: NaiveDateTime,
    ended_at: Option<NaiveDateTime>,
    questions_total: i32,
    questions_answered: i32,
    questions_correct: i32,
    duration_seconds: Option<i32>,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = answers)]
struct Answer {
    session_id: String,
    seq: i32,
    question_id: String,
    /// Encrypted at rest; decrypted into the file.
    response: Vec<u8>,
    correct: bool,
    answered_at: NaiveDateTime,
    first_attempt: bool,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = screen_time_logs)]
struct TimeUsed {
    date: NaiveDate,
    seconds: i32,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = screen_time_grants)]
struct Grant {
    date: NaiveDate,
    seconds: i32,
    created_at: NaiveDateTime,
}

#[derive(Queryable)]
struct Membership {
    class_id: String,
    name: String,
    joined_at: NaiveDateTime,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = page_progress)]
struct Page {
    page_id: String,
    title: String,
    seconds: i32,
    completed: bool,
}

/// A result from the IGCSE Study Hub (graded by its client).
#[derive(Queryable, Selectable)]
#[diesel(table_name = quiz_results)]
struct Quiz {
    quiz_id: String,
    quiz_title: String,
    score: i32,
    total_questions: i32,
    percentage: f64,
    time_spent_seconds: i32,
    answers: String,
    completed_at: NaiveDateTime,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = learner_achievements)]
struct Unlock {
    achievement_id: String,
    unlocked_at: NaiveDateTime,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = drawings)]
struct Drawing {
    id: String,
    title: String,
    category: String,
    created_at: NaiveDateTime,
    content_type: String,
    object_key: String,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = assessments)]
struct Assessment {
    id: String,
    assessment_type: String,
    component: String,
    grade: String,
    percentage: Option<f64>,
    feedback: Option<String>,
    created_at: NaiveDateTime,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = time_requests)]
struct TimeRequest {
    id: String,
    seconds: i32,
    reason: Option<String>,
    status: String,
    created_at: NaiveDateTime,
    answered_at: Option<NaiveDateTime>,
    granted_seconds: Option<i32>,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = notifications)]
struct Notification {
    id: String,
    learner_id: String,
    kind: String,
    title: String,
    body: String,
    data: String,
    read_at: Option<NaiveDateTime>,
    created_at: NaiveDateTime,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = classes)]
struct Taught {
    id: String,
    name: String,
    subject: Option<String>,
    join_code: String,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = activities)]
struct Written {
    id: String,
    title: String,
    visibility: String,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = audit_logs)]
struct AuditEntry {
    action: String,
    entity_type: String,
    entity_id: String,
    old_values: Option<String>,
    new_values: Option<String>,
    ip_address: Option<String>,
    user_agent: Option<String>,
    created_at: NaiveDateTime,
}

/// A JSON text kept as a string (audit values, notification data), as JSON again.
fn parsed(text: Option<&str>) -> Value {
    text.and_then(|s| serde_json::from_str(s).ok())
        .unwrap_or(Value::Null)
}

/// One learner with everything that hangs off it.
fn learner_record(
    conn: &mut DbConnection,
    cipher: &crate::infra::crypto::Cipher,
    l: LearnerRow,
) -> QueryResult<Value> {
    let id = l.id.clone();
    let settings = learner_settings::table
        .find(&id)
        .select(LearnerSettingsRow::as_select())
        .first(conn)
        .optional()?;
    let sessions: Vec<Session> = activity_sessions::table
        .filter(activity_sessions::learner_id.eq(&id))
        .order(activity_sessions::started_at.asc())
        .select(Session::as_select())
        .load(conn)?;
    let session_ids: Vec<&str> = sessions.iter().map(|s| s.id.as_str()).collect();
    let answers: Vec<Answer> = answers::table
        .filter(answers::session_id.eq_any(&session_ids))
        .order((answers::session_id.asc(), answers::seq.asc()))
        .select(Answer::as_select())
        .load(conn)?;
    let days: Vec<DayProgress> = daily_progress::table
        .filter(daily_progress::learner_id.eq(&id))
        .select(DayProgress::as_select())
        .load(conn)?;
    let time: Vec<TimeUsed> = screen_time_logs::table
        .filter(screen_time_logs::learner_id.eq(&id))
        .select(TimeUsed::as_select())
        .load(conn)?;
    let grants: Vec<Grant> = screen_time_grants::table
        .filter(screen_time_grants::learner_id.eq(&id))
        .order(screen_time_grants::created_at.asc())
        .select(Grant::as_select())
        .load(conn)?;
    let memberships: Vec<Membership> = class_members::table
        .inner_join(classes::table)
        .filter(class_members::learner_id.eq(&id))
        .select((classes::id, classes::name, class_members::joined_at))
        .load(conn)?;
    let pages: Vec<Page> = page_progress::table
        .filter(page_progress::learner_id.eq(&id))
        .select(Page::as_select())
        .load(conn)?;
    let quizzes: Vec<Quiz> = quiz_results::table
        .filter(quiz_results::learner_id.eq(&id))
        .order(quiz_results::completed_at)
        .select(Quiz::as_select())
        .load(conn)?;
    let unlocks: Vec<Unlock> = learner_achievements::table
        .filter(learner_achievements::learner_id.eq(&id))
        .select(Unlock::as_select())
        .load(conn)?;
    let drawings: Vec<Drawing> = drawings::table
        .filter(drawings::learner_id.eq(&id))
        .select(Drawing::as_select())
        .load(conn)?;
    let grades: Vec<Assessment> = assessments::table
        .filter(assessments::learner_id.eq(&id))
        .select(Assessment::as_select())
        .load(conn)?;
    let asks: Vec<TimeRequest> = time_requests::table
        .filter(time_requests::learner_id.eq(&id))
        .order(time_requests::created_at.asc())
        .select(TimeRequest::as_select())
        .load(conn)?;

    let answer_json = |bytes: &[u8]| -> Value {
        cipher
            .decrypt(bytes)
            .ok()
            .and_then(|p| serde_json::from_slice(&p).ok())
            .unwrap_or(Value::Null)
    };
    let session_json = |s: &Session| {
        let answers: Vec<Value> = answers
            .iter()
            .filter(|a| a.session_id == s.id)
            .map(|a| {
                json!({
                    "seq": a.seq,
                    "question_id": a.question_id,
                    "answer": answer_json(&a.response),
                    "correct": a.correct,
                    "answered_at": a.answered_at.and_utc(),
                    "first_attempt": a.first_attempt,
                })
            })
            .collect();
        json!({
            "id": s.id,
            "activity_id": s.activity_id,
            "status": s.status,
            "accuracy": s.accuracy,
            "stars": s.stars,
            "started_at": s.started_at.and_utc(),
            "ended_at": s.ended_at.map(|t| t.and_utc()),
            "questions_total": s.questions_total,
            "questions_answered": s.questions_answered,
            "questions_correct": s.questions_correct,
            "duration_seconds": s.duration_seconds,
            "answers": answers,
        })
    };
    Ok(json!({
        "learner": crate::features::learners::LearnerView::from(l),
        "settings": settings.map(crate::features::learners::SettingsView::from),
        "time_requests": asks.iter().map(|r| json!({
            "id": r.id,
            "seconds": r.seconds,
            "reason": r.reason,
            "status": r.status,
            "created_at": r.created_at.and_utc(),
            "answered_at": r.answered_at.map(|t| t.and_utc()),
            "granted_seconds": r.granted_seconds,
        })).collect::<Vec<_>>(),
        "sessions": sessions.iter().map(session_json).collect::<Vec<_>>(),
        "daily_progress": days.iter().map(|d| json!({
            "date": d.date,
            "category": d.category,
            "activities_completed": d.activities_completed,
            "questions_answered": d.questions_answered,
            "questions_correct": d.questions_correct,
            "study_seconds": d.study_seconds,
            "stars": d.stars,
            "points": d.points,
        })).collect::<Vec<_>>(),
        "screen_time": time.iter().map(|t| json!({"date": t.date, "seconds": t.seconds})).collect::<Vec<_>>(),
        "screen_time_grants": grants.iter().map(|g| json!({
            "date": g.date,
            "seconds": g.seconds,
            "created_at": g.created_at.and_utc(),
        })).collect::<Vec<_>>(),
        "classes": memberships.iter().map(|m| json!({
            "id": m.class_id,
            "name": m.name,
            "joined_at": m.joined_at.and_utc(),
        })).collect::<Vec<_>>(),
        "pages": pages.iter().map(|p| json!({
            "page_id": p.page_id,
            "title": p.title,
            "seconds": p.seconds,
            "completed": p.completed,
        })).collect::<Vec<_>>(),
        "quiz_results": quizzes.iter().map(|q| json!({
            "quiz_id": q.quiz_id,
            "quiz_title": q.quiz_title,
            "score": q.score,
            "total_questions": q.total_questions,
            "percentage": q.percentage,
            "time_spent_seconds": q.time_spent_seconds,
            "answers": serde_json::from_str::<Value>(&q.answers).unwrap_or(Value::Null),
            "client_graded": true,
            "completed_at": q.completed_at.and_utc(),
        })).collect::<Vec<_>>(),
        "achievements": unlocks.iter().map(|u| json!({
            "id": u.achievement_id,
            "unlocked_at": u.unlocked_at.and_utc(),
        })).collect::<Vec<_>>(),
        "drawings": drawings.iter().map(|d| json!({
            "id": d.id,
            "title": d.title,
            "category": d.category,
            "created_at": d.created_at.and_utc(),
            "url": format!("/v1/drawings/{}/image", d.id),
            "content_type": d.content_type,
            // Replaced by the image itself (base64) before the file leaves.
            "_object_key": d.object_key,
        })).collect::<Vec<_>>(),
        "assessments": grades.iter().map(|g| json!({
            "id": g.id,
            "assessment_type": g.assessment_type,
            "component": g.component,
            "grade": g.grade,
            "percentage": g.percentage,
            "feedback": g.feedback,
            "created_at": g.created_at.and_utc(),
        })).collect::<Vec<_>>(),
    }))
}

/// Everything the account holds, readable: profile, learners with settings, sessions and
/// their answers (decrypted), progress, screen time, pages, achievements, drawings (listed;
/// [`embed_drawings`] adds their images), assessments, requests for more time;
/// notifications; classes taught and activities written.
pub fn account_export(
    conn: &mut DbConnection,
    cipher: &Cipher,
    user_id: &str,
) -> QueryResult<AccountExport> {
    let me: UserRow = users::table
        .find(user_id)
        .select(UserRow::as_select())
        .first(conn)?;
    let mut learners = Vec::new();
    for l in learners_of(conn, user_id)? {
        learners.push(learner_record(conn, cipher, l)?);
    }
    let notes: Vec<Notification> = notifications::table
        .filter(notifications::parent_id.eq(user_id))
        .select(Notification::as_select())
        .load(conn)?;
    let taught: Vec<Taught> = classes::table
        .filter(classes::teacher_id.eq(user_id))
        .select(Taught::as_select())
        .load(conn)?;
    // What the audit log holds about the account and its learners.
    let mut about = vec![user_id.to_string()];
    about.extend(
        learners
            .iter()
            .filter_map(|k| k["learner"]["id"].as_str().map(str::to_owned)),
    );
    let audit: Vec<AuditEntry> = audit_logs::table
        .filter(
            audit_logs::user_id
                .eq(user_id)
                .or(audit_logs::entity_id.eq_any(&about)),
        )
        .order(audit_logs::id.asc())
        .select(AuditEntry::as_select())
        .load(conn)?;
    let written: Vec<Written> = activities::table
        .filter(activities::author_id.eq(user_id))
        .select(Written::as_select())
        .load(conn)?;
    Ok(AccountExport {
        exported_at: chrono::Utc::now(),
        user: crate::features::auth::users::UserView::from(me),
        learners,
        notifications: notes
            .iter()
            .map(|n| {
                json!({
                    "id": n.id,
                    "data": parsed(Some(&n.data)),
                    "kind": n.kind,
                    "child_id": n.learner_id,
                    "title": n.title,
                    "body": n.body,
                    "read": n.read_at.is_some(),
                    "created_at": n.created_at.and_utc(),
                })
            })
            .collect(),
        classes_taught: taught
            .iter()
            .map(|c| {
                json!({"id": c.id, "name": c.name, "subject": c.subject, "join_code": c.join_code})
            })
            .collect(),
        activities_written: written
            .iter()
            .map(|a| json!({"id": a.id, "title": a.title, "visibility": a.visibility}))
            .collect(),
        audit: audit
            .iter()
            .map(|a| {
                json!({
                    "action": a.action,
                    "entity_type": a.entity_type,
                    "entity_id": a.entity_id,
                    "old_values": parsed(a.old_values.as_deref()),
                    "new_values": parsed(a.new_values.as_deref()),
                    "ip_address": a.ip_address,
                    "user_agent": a.user_agent,
                    "created_at": a.created_at.and_utc(),
                })
            })
            .collect(),
    })
}

/// Puts each drawing's image (base64) into an export, until [`EXPORT_IMAGES_MAX`].
pub async fn embed_drawings(storage: &ObjectStore, body: &mut Value) {
    let mut budget = EXPORT_IMAGES_MAX;
    let Some(learners) = body.get_mut("learners").and_then(Value::as_array_mut) else {
        return;
    };
    for l in learners {
        let Some(drawings) = l.get_mut("drawings").and_then(Value::as_array_mut) else {
            continue;
        };
        for d in drawings {
            let Some(obj) = d.as_object_mut() else {
                continue;
            };
            let key = obj
                .remove("_object_key")
                .and_then(|k| k.as_str().map(String::from));
            let image = match key {
                Some(key) => storage.get(&key).await.ok().flatten(),
                None => None,
            };
            match image {
                Some(img) if img.bytes.len() <= budget => {
                    budget -= img.bytes.len();
                    obj.insert("image_base64".into(), json!(B64.encode(&img.bytes)));
                }
                _ => {
                    obj.insert("image_base64".into(), Value::Null);
                    obj.insert("image_omitted".into(), json!(true));
                }
            }
        }
    }
}
