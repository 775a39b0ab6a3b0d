//! Learners: a parent's child profile, or the learner behind a student account.

use chrono::{NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

pub mod downtime;

use downtime::DowntimeWindow;

use crate::infra::db::DbConnection;
use crate::infra::db::models::{LearnerRow, LearnerSettingsRow};
use crate::infra::db::schema::{learner_settings, learners};
use crate::infra::error::AppError;
use crate::infra::time::utc;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LearnerView {
    pub id: String,
    pub name: String,
    pub age: Option<i32>,
    pub interests: Vec<String>,
    pub avatar_url: Option<String>,
    pub timezone: String,
    /// The parent that owns this child profile; absent for a student's own learner.
    pub parent_id: Option<String>,
    pub created_at: chrono::DateTime<Utc>,
}

impl From<LearnerRow> for LearnerView {
    fn from(r: LearnerRow) -> Self {
        Self {
            interests: serde_json::from_str(&r.interests).unwrap_or_default(),
            id: r.id,
            name: r.name,
            age: r.age,
            avatar_url: r.avatar_url,
            timezone: r.timezone,
            parent_id: r.parent_id,
            created_at: utc(r.created_at),
        }
    }
}

/// Creates a learner with default settings.
pub fn insert(conn: &mut DbConnection, row: &LearnerRow) -> Result<(), AppError> {
    diesel::insert_into(learners::table)
        .values(row)
        .execute(conn)?;
    diesel::insert_into(learner_settings::table)
        .values(LearnerSettingsRow::defaults(
            &row.id,
            row.user_id.is_some(),
            row.created_at,
        ))
        .execute(conn)?;
    Ok(())
}

/// A student's own learner row.
pub fn for_student(user_id: &str, name: &str, now: NaiveDateTime) -> LearnerRow {
    LearnerRow {
        id: uuid::Uuid::now_v7().to_string(),
        parent_id: None,
        user_id: Some(user_id.to_string()),
        name: name.to_string(),
        age: None,
        interests: "[]".into(),
        avatar_url: None,
        timezone: "UTC".into(),
        created_at: now,
        updated_at: now,
    }
}

/// A learner's settings, or the defaults while none were saved.
pub async fn settings(
    db: &crate::infra::db::Db,
    learner_id: String,
) -> Result<LearnerSettingsRow, AppError> {
    db.run(move |conn| {
        let found = learner_settings::table
            .find(&learner_id)
            .select(LearnerSettingsRow::as_select())
            .first(conn)
            .optional()?;
        match found {
            Some(found) => Ok(found),
            None => {
                let student = learners::table
                    .find(&learner_id)
                    .select(learners::user_id)
                    .first::<Option<String>>(conn)
                    .optional()?
                    .flatten()
                    .is_some();
                Ok(LearnerSettingsRow::defaults(
                    &learner_id,
                    student,
                    crate::infra::time::now(),
                ))
            }
        }
    })
    .await
}

/// A learner's settings as parents read them (and the export carries them).
#[derive(Debug, Serialize, ToSchema)]
pub struct SettingsView {
    /// `null`: no daily limit (a student who set none).
    pub daily_time_limit_seconds: Option<i32>,
    pub volume: f64,
    pub narration_enabled: bool,
    pub notifications_enabled: bool,
    pub downtime: Vec<DowntimeWindow>,
}

impl From<LearnerSettingsRow> for SettingsView {
    fn from(s: LearnerSettingsRow) -> Self {
        Self {
            daily_time_limit_seconds: s.daily_time_limit_seconds,
            volume: s.volume,
            narration_enabled: s.narration_enabled,
            notifications_enabled: s.notifications_enabled,
            downtime: downtime::stored(&s.downtime)
                .into_iter()
                .map(DowntimeWindow::from)
                .collect(),
        }
    }
}

/// A parent's children, oldest first.
pub fn of_parent(conn: &mut DbConnection, parent_id: &str) -> QueryResult<Vec<LearnerRow>> {
    learners::table
        .filter(learners::parent_id.eq(parent_id))
        .order(learners::created_at.asc())
        .select(LearnerRow::as_select())
        .load(conn)
}

/// Writes a learner's profile as given.
pub fn update(conn: &mut DbConnection, row: &LearnerRow) -> QueryResult<()> {
    diesel::update(learners::table.find(&row.id))
        .set(row)
        .execute(conn)
        .map(drop)
}

/// Deletes a learner and, by cascade, everything of theirs.
pub fn delete(conn: &mut DbConnection, learner_id: &str) -> QueryResult<()> {
    diesel::delete(learners::table.find(learner_id))
        .execute(conn)
        .map(drop)
}

/// Writes a learner's settings (the first time, or over what was there).
pub fn save_settings(conn: &mut DbConnection, row: &LearnerSettingsRow) -> QueryResult<()> {
    crate::on_backend!(conn, |c| diesel::insert_into(learner_settings::table)
        .values(row)
        .on_conflict(learner_settings::learner_id)
        .do_update()
        .set(row)
        .execute(c))
    .map(drop)
}

/// The learner of a student account, by the account's user id.
pub fn of_student(conn: &mut DbConnection, user_id: &str) -> QueryResult<Option<String>> {
    learners::table
        .filter(learners::user_id.eq(user_id))
        .select(learners::id)
        .first(conn)
        .optional()
}

/// A student account's own learner row.
pub fn of_student_row(conn: &mut DbConnection, user_id: &str) -> QueryResult<Option<LearnerRow>> {
    learners::table
        .filter(learners::user_id.eq(user_id))
        .select(LearnerRow::as_select())
        .first(conn)
        .optional()
}

/// A change of a learner's settings; `None` leaves a field as it is (`Some(None)` for the
/// limit: no limit).
#[derive(Debug, Default)]
pub struct SettingsChange {
    pub daily_time_limit_seconds: Option<Option<i32>>,
    pub volume: Option<f64>,
    pub narration_enabled: Option<bool>,
    pub notifications_enabled: Option<bool>,
    pub downtime: Option<Vec<studyhub_actors::downtime_windows::Window>>,
}

/// Stores the change with its audit entry, then the learner's live state hears it on every
/// node (a new limit or downtime is felt at once). Returns the settings now.
pub async fn change_settings(
    db: &crate::infra::db::Db,
    control: &crate::features::live::control::LiveControl,
    meta: &crate::features::audit::RequestMeta,
    by: &str,
    learner_id: &studyhub_actors::ids::LearnerId,
    change: SettingsChange,
) -> Result<SettingsView, AppError> {
    use crate::features::audit::{self, Change};
    let current = settings(db, learner_id.to_string()).await?;
    let old = audit::json(&SettingsView::from(current.clone()));
    let windows = change
        .downtime
        .unwrap_or_else(|| downtime::stored(&current.downtime));
    let next = LearnerSettingsRow {
        downtime: serde_json::to_string(&windows).unwrap_or_else(|_| "[]".into()),
        daily_time_limit_seconds: change
            .daily_time_limit_seconds
            .unwrap_or(current.daily_time_limit_seconds),
        volume: change.volume.unwrap_or(current.volume),
        narration_enabled: change
            .narration_enabled
            .unwrap_or(current.narration_enabled),
        notifications_enabled: change
            .notifications_enabled
            .unwrap_or(current.notifications_enabled),
        updated_at: crate::infra::time::now(),
        ..current
    };
    let (row, meta, by) = (next.clone(), meta.clone(), by.to_string());
    db.transaction(move |conn| {
        save_settings(conn, &row)?;
        audit::record(
            conn,
            &meta,
            Change {
                user_id: &by,
                action: "update",
                entity_type: "settings",
                entity_id: &row.learner_id,
                old,
                new: audit::json(&SettingsView::from(row.clone())),
            },
        )
    })
    .await?;
    control
        .settings_changed(
            learner_id,
            studyhub_actors::learner::Settings {
                daily_limit_seconds: next.daily_time_limit_seconds.map(|l| l.max(0) as u64),
                notifications_enabled: next.notifications_enabled,
                downtime: windows,
            },
        )
        .await;
    Ok(SettingsView::from(next))
}

/// The signed-in student's own learner id: 403 for anyone but a student.
pub async fn own_learner_id(
    db: &crate::infra::db::Db,
    user: &crate::features::auth::AuthUser,
) -> Result<String, AppError> {
    user.require(&[crate::features::auth::Role::Student])?;
    let uid = user.id.clone();
    db.run(move |conn| of_student(conn, &uid)?.ok_or_else(|| AppError::not_found("learner")))
        .await
}
