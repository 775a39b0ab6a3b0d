//! The account's own data: `GET /v1/me/export` (everything, as JSON) and `DELETE /v1/me`
//! (erase the account and everything that hangs off it; the password again, to be sure).

use actix_web::delete;
use actix_web::{HttpResponse, web};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;
use validator::Validate;

use crate::audit::{self, Change, RequestMeta};
use crate::auth::{AuthUser, password};
use crate::db::DbConnection;
use crate::db::models::LearnerRow;
use crate::db::schema::*;
use crate::error::{AppError, AppResult, Code};
use crate::extract::{Normalize, ValidJson};
use crate::state::AppState;

mod export_data;
pub use export_data::export;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(export).service(erase);
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
#[utoipa::path(tag = "account", request_body = EraseRequest, security(("bearer" = [])),
    responses((status = 204), (status = 401, description = "wrong password")))]
#[delete("/me")]
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
        state.control.stop_play(&id.into()).await;
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
