//! The account's own data: `GET /v1/me/export` (everything, as JSON) and `DELETE /v1/me`
//! (erase the account and everything that hangs off it; the password again, to be sure).

use actix_web::{HttpResponse, web};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::ToSchema;
use validator::Validate;

use crate::audit::{self, Change, RequestMeta};
use crate::auth::{AuthUser, password};
use crate::db::DbConnection;
use crate::db::models::{LearnerRow, LearnerSettingsRow, UserRow};
use crate::db::schema::*;
use crate::error::{AppError, AppResult, Code};
use crate::extract::{Normalize, ValidJson};
use crate::state::AppState;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/me/export", web::get().to(export))
        .route("/me", web::delete().to(erase));
}

/// The export file. The nested records are described in docs/protocol.md ("Backups and
/// privacy"); `POST /v1/me/import` reads the same file.
#[derive(Debug, Serialize, ToSchema)]
pub struct AccountExport {
    pub exported_at: chrono::DateTime<chrono::Utc>,
    pub user: crate::routes::auth::UserView,
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

fn learners_of(conn: &mut DbConnection, user_id: &str) -> QueryResult<Vec<LearnerRow>> {
    learners::table
        .filter(
            learners::parent_id
                .eq(user_id)
                .or(learners::user_id.eq(user_id)),
        )
        .select(LearnerRow::as_select())
        .load(conn)
}

/// Everything the account holds, readable: profile, learners with settings, sessions and
/// their answers (decrypted), progress, screen time, pages, achievements, drawings (with the
/// image, base64, up to an export-wide budget),
/// assessments, requests for more time; notifications; classes taught and activities written.
#[utoipa::path(get, path = "/v1/me/export", tag = "account", security(("bearer" = [])),
    responses((status = 200, body = AccountExport), (status = 401)))]
pub async fn export(state: web::Data<AppState>, user: AuthUser) -> AppResult<HttpResponse> {
    let cipher = state.cipher.clone();
    let body = state
        .db
        .run(move |conn| {
            let me: UserRow = users::table.find(&user.id).select(UserRow::as_select()).first(conn)?;
            let mut kids = Vec::new();
            for l in learners_of(conn, &user.id)? {
                let settings = learner_settings::table.find(&l.id).select(LearnerSettingsRow::as_select()).first(conn).optional()?;
                let sessions: Vec<(String, String, String, Option<f64>, Option<i32>, chrono::NaiveDateTime, Option<chrono::NaiveDateTime>)> = activity_sessions::table
                    .filter(activity_sessions::learner_id.eq(&l.id))
                    .order(activity_sessions::started_at.asc())
                    .select((activity_sessions::id, activity_sessions::activity_id, activity_sessions::status, activity_sessions::accuracy, activity_sessions::stars, activity_sessions::started_at, activity_sessions::ended_at))
                    .load(conn)?;
                let ids: Vec<String> = sessions.iter().map(|s| s.0.clone()).collect();
                let stats: Vec<(String, i32, i32, i32, Option<i32>)> = activity_sessions::table.filter(activity_sessions::learner_id.eq(&l.id)).select((activity_sessions::id, activity_sessions::questions_total, activity_sessions::questions_answered, activity_sessions::questions_correct, activity_sessions::duration_seconds)).load(conn)?;
                let answers: Vec<(String, i32, String, Vec<u8>, bool, chrono::NaiveDateTime, bool)> = answers::table
                    .filter(answers::session_id.eq_any(&ids))
                    .order((answers::session_id.asc(), answers::seq.asc()))
                    .select((answers::session_id, answers::seq, answers::question_id, answers::response, answers::correct, answers::answered_at, answers::first_attempt))
                    .load(conn)?;
                let progress: Vec<(chrono::NaiveDate, String, i32, i32, i32, i32, i32, i32)> = daily_progress::table
                    .filter(daily_progress::learner_id.eq(&l.id))
                    .select((daily_progress::date, daily_progress::category, daily_progress::activities_completed, daily_progress::questions_answered, daily_progress::questions_correct, daily_progress::study_seconds, daily_progress::stars, daily_progress::points))
                    .load(conn)?;
                let time: Vec<(chrono::NaiveDate, i32)> = screen_time_logs::table.filter(screen_time_logs::learner_id.eq(&l.id)).select((screen_time_logs::date, screen_time_logs::seconds)).load(conn)?;
                let pages: Vec<(String, String, i32, bool)> = page_progress::table.filter(page_progress::learner_id.eq(&l.id)).select((page_progress::page_id, page_progress::title, page_progress::seconds, page_progress::completed)).load(conn)?;
                let unlocked: Vec<(String, chrono::NaiveDateTime)> = learner_achievements::table.filter(learner_achievements::learner_id.eq(&l.id)).select((learner_achievements::achievement_id, learner_achievements::unlocked_at)).load(conn)?;
                let pictures: Vec<(String, String, String, chrono::NaiveDateTime, String, String)> = drawings::table.filter(drawings::learner_id.eq(&l.id)).select((drawings::id, drawings::title, drawings::category, drawings::created_at, drawings::content_type, drawings::object_key)).load(conn)?;
                let grades: Vec<(String, String, String, Option<f64>, Option<String>, chrono::NaiveDateTime, String)> = assessments::table.filter(assessments::learner_id.eq(&l.id)).select((assessments::assessment_type, assessments::component, assessments::grade, assessments::percentage, assessments::feedback, assessments::created_at, assessments::id)).load(conn)?;
                let asks: Vec<(String, i32, Option<String>, String, chrono::NaiveDateTime, Option<chrono::NaiveDateTime>, Option<i32>)> = time_requests::table.filter(time_requests::learner_id.eq(&l.id)).order(time_requests::created_at.asc()).select((time_requests::id, time_requests::seconds, time_requests::reason, time_requests::status, time_requests::created_at, time_requests::answered_at, time_requests::granted_seconds)).load(conn)?;
                let grants: Vec<(chrono::NaiveDate, i32, chrono::NaiveDateTime)> = screen_time_grants::table.filter(screen_time_grants::learner_id.eq(&l.id)).order(screen_time_grants::created_at.asc()).select((screen_time_grants::date, screen_time_grants::seconds, screen_time_grants::created_at)).load(conn)?;
                let memberships: Vec<(String, String, chrono::NaiveDateTime)> = class_members::table.inner_join(classes::table).filter(class_members::learner_id.eq(&l.id)).select((classes::id, classes::name, class_members::joined_at)).load(conn)?;
                let answer_json = |bytes: &[u8]| -> Value {
                    cipher.decrypt(bytes).ok().and_then(|p| serde_json::from_slice(&p).ok()).unwrap_or(Value::Null)
                };
                kids.push(json!({
                    "learner": crate::learners::LearnerView::from(l.clone()),
                    "settings": settings.map(crate::routes::children::SettingsView::from),
                    "time_requests": asks.iter().map(|r| json!({"id": r.0, "seconds": r.1, "reason": r.2, "status": r.3, "created_at": r.4.and_utc(), "answered_at": r.5.map(|t| t.and_utc()), "granted_seconds": r.6})).collect::<Vec<_>>(),
                    "sessions": sessions.iter().map(|s| { let st = stats.iter().find(|x| x.0 == s.0); json!({
                        "questions_total": st.map(|x| x.1), "questions_answered": st.map(|x| x.2), "questions_correct": st.map(|x| x.3), "duration_seconds": st.and_then(|x| x.4),
                        "id": s.0, "activity_id": s.1, "status": s.2, "accuracy": s.3, "stars": s.4, "started_at": s.5.and_utc(), "ended_at": s.6.map(|t| t.and_utc()),
                        "answers": answers.iter().filter(|a| a.0 == s.0).map(|a| json!({"seq": a.1, "question_id": a.2, "answer": answer_json(&a.3), "correct": a.4, "answered_at": a.5.and_utc(), "first_attempt": a.6})).collect::<Vec<_>>(),
                    })}).collect::<Vec<_>>(),
                    "daily_progress": progress.iter().map(|p| json!({"date": p.0, "category": p.1, "activities_completed": p.2, "questions_answered": p.3, "questions_correct": p.4, "study_seconds": p.5, "stars": p.6, "points": p.7})).collect::<Vec<_>>(),
                    "screen_time": time.iter().map(|t| json!({"date": t.0, "seconds": t.1})).collect::<Vec<_>>(),
                    "screen_time_grants": grants.iter().map(|g| json!({"date": g.0, "seconds": g.1, "created_at": g.2.and_utc()})).collect::<Vec<_>>(),
                    "classes": memberships.iter().map(|m| json!({"id": m.0, "name": m.1, "joined_at": m.2.and_utc()})).collect::<Vec<_>>(),
                    "pages": pages.iter().map(|p| json!({"page_id": p.0, "title": p.1, "seconds": p.2, "completed": p.3})).collect::<Vec<_>>(),
                    "achievements": unlocked.iter().map(|u| json!({"id": u.0, "unlocked_at": u.1.and_utc()})).collect::<Vec<_>>(),
                    "drawings": pictures.iter().map(|d| json!({"id": d.0, "title": d.1, "category": d.2, "created_at": d.3.and_utc(), "url": format!("/v1/drawings/{}/image", d.0), "content_type": d.4, "_object_key": d.5})).collect::<Vec<_>>(),
                    "assessments": grades.iter().map(|g| json!({"id": g.6, "assessment_type": g.0, "component": g.1, "grade": g.2, "percentage": g.3, "feedback": g.4, "created_at": g.5.and_utc()})).collect::<Vec<_>>(),
                }));
            }
            let notes: Vec<(String, String, String, String, Option<chrono::NaiveDateTime>, chrono::NaiveDateTime, String, String)> = notifications::table
                .filter(notifications::parent_id.eq(&user.id))
                .select((notifications::kind, notifications::learner_id, notifications::title, notifications::body, notifications::read_at, notifications::created_at, notifications::id, notifications::data))
                .load(conn)?;
            let taught: Vec<(String, String, Option<String>, String)> = classes::table.filter(classes::teacher_id.eq(&user.id)).select((classes::id, classes::name, classes::subject, classes::join_code)).load(conn)?;
            // What the audit log holds about the account and its learners.
            let mut about = vec![user.id.clone()];
            about.extend(kids.iter().filter_map(|k| k["learner"]["id"].as_str().map(str::to_owned)));
            let audit: Vec<(String, String, String, Option<String>, Option<String>, Option<String>, Option<String>, chrono::NaiveDateTime)> = audit_logs::table
                .filter(audit_logs::user_id.eq(&user.id).or(audit_logs::entity_id.eq_any(&about)))
                .order(audit_logs::id.asc())
                .select((audit_logs::action, audit_logs::entity_type, audit_logs::entity_id, audit_logs::old_values, audit_logs::new_values, audit_logs::ip_address, audit_logs::user_agent, audit_logs::created_at))
                .load(conn)?;
            let parse = |s: &Option<String>| s.as_deref().and_then(|s| serde_json::from_str::<Value>(s).ok());
            let written: Vec<(String, String)> = activities::table.filter(activities::author_id.eq(&user.id)).select((activities::id, activities::title)).load(conn)?;
            Ok(AccountExport {
                exported_at: chrono::Utc::now(),
                user: crate::routes::auth::UserView::from(me),
                learners: kids,
                notifications: notes.iter().map(|n| json!({"id": n.6, "data": serde_json::from_str::<Value>(&n.7).unwrap_or(Value::Null), "kind": n.0, "child_id": n.1, "title": n.2, "body": n.3, "read": n.4.is_some(), "created_at": n.5.and_utc()})).collect(),
                classes_taught: taught.iter().map(|c| json!({"id": c.0, "name": c.1, "subject": c.2, "join_code": c.3})).collect(),
                activities_written: written.iter().map(|a| json!({"id": a.0, "title": a.1})).collect(),
                audit: audit.iter().map(|a| json!({"action": a.0, "entity_type": a.1, "entity_id": a.2, "old_values": parse(&a.3), "new_values": parse(&a.4), "ip_address": a.5, "user_agent": a.6, "created_at": a.7.and_utc()})).collect(),
            })
        })
        .await?;
    let mut body = serde_json::to_value(body).map_err(AppError::internal)?;
    super::import::embed_drawings(&state.storage, &mut body).await;
    Ok(HttpResponse::Ok()
        .insert_header((
            "Content-Disposition",
            "attachment; filename=\"studyhub-export.json\"",
        ))
        .json(body))
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
pub struct EraseRequest {
    #[validate(length(min = 1, max = 128, message = "required"))]
    #[schema(min_length = 1, max_length = 128)]
    pub password: String,
}
impl Normalize for EraseRequest {}

/// Erases the account: its learners (with sessions, answers, progress, drawings and their
/// files, assessments), notifications, classes taught, sign-ins. Activities it wrote stay in
/// the catalog without an author. The erasure itself is audited (without personal data).
#[utoipa::path(delete, path = "/v1/me", tag = "account", request_body = EraseRequest, security(("bearer" = [])),
    responses((status = 204), (status = 401, description = "wrong password")))]
pub async fn erase(
    state: web::Data<AppState>,
    user: AuthUser,
    meta: RequestMeta,
    body: ValidJson<EraseRequest>,
) -> AppResult<HttpResponse> {
    let uid = user.id.clone();
    let (hash, learner_ids) = state
        .db
        .run(move |conn| {
            let hash: String = users::table
                .find(&uid)
                .select(users::password_hash)
                .first(conn)?;
            let ids: Vec<String> = learners_of(conn, &uid)?.into_iter().map(|l| l.id).collect();
            Ok((hash, ids))
        })
        .await?;
    if !password::verify(body.0.password, hash).await? {
        return Err(AppError::unauthorized(
            Code::InvalidCredentials,
            "wrong password",
        ));
    }
    // Play ends at once for every learner of the account.
    for id in &learner_ids {
        state.control.stop_play(id).await;
    }
    let uid = user.id.clone();
    let n = learner_ids.len();
    let keys = state
        .db
        .transaction_retrying(move |conn| {
            // The learners are locked before their drawings are listed, so an upload racing
            // this erasure either lands in the list or fails on the missing learner and
            // removes its own file (SQLite's write transactions are serial already).
            if let DbConnection::Pg(c) = conn {
                diesel::sql_query(
                    "SELECT id FROM learners WHERE parent_id = $1 OR user_id = $1 FOR UPDATE",
                )
                .bind::<diesel::sql_types::Text, _>(&uid)
                .execute(c)?;
            }
            let ids: Vec<String> = learners_of(conn, &uid)?.into_iter().map(|l| l.id).collect();
            let mut keys: Vec<String> = drawings::table
                .filter(drawings::learner_id.eq_any(&ids))
                .select(drawings::object_key)
                .load(conn)?;
            // The account's own backups go too (their log rows go with the user).
            keys.extend(crate::backup::user_backup_objects(conn, &uid)?);
            // Personal data about the account and its learners leaves the audit log too; the
            // entries stay (who changed what, when) without their values.
            let mut about: Vec<String> = ids.clone();
            about.push(uid.clone());
            diesel::update(audit_logs::table.filter(audit_logs::entity_id.eq_any(&about)))
                .set((
                    audit_logs::old_values.eq(None::<String>),
                    audit_logs::new_values.eq(None::<String>),
                    audit_logs::ip_address.eq(None::<String>),
                    audit_logs::user_agent.eq(None::<String>),
                ))
                .execute(conn)?;
            diesel::update(audit_logs::table.filter(audit_logs::user_id.eq(&uid)))
                .set((
                    audit_logs::ip_address.eq(None::<String>),
                    audit_logs::user_agent.eq(None::<String>),
                ))
                .execute(conn)?;
            audit::record(
                conn,
                &meta,
                Change {
                    user_id: &uid,
                    action: "delete",
                    entity_type: "account",
                    entity_id: &uid,
                    old: Some(json!({"learners": n})),
                    new: None,
                },
            )?;
            diesel::delete(
                learners::table.filter(learners::parent_id.eq(&uid).or(learners::user_id.eq(&uid))),
            )
            .execute(conn)?;
            diesel::delete(users::table.find(&uid)).execute(conn)?;
            Ok(keys)
        })
        .await?;
    // Its tokens stop working and its sockets close (4003) on every node.
    state.control.account_changed(&user.id).await;
    for key in keys {
        if let Err(e) = state.storage.delete(&key).await {
            tracing::warn!(key, error = %e, "an erased drawing's file could not be removed");
        }
    }
    tracing::info!(user_id = %user.id, "account erased");
    Ok(HttpResponse::NoContent().finish())
}
