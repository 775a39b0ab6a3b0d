//! IGCSE assessments as stored: written by a teacher of one of the learner's classes, read
//! by that teacher, the student and the parent; each change reaches the learner's play
//! sockets live and the parent as a stored notification.

use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use studyhub_actors::protocol::AssessmentFrame;
use studyhub_actors::store::{Notification, NotificationKind};

use crate::features::auth::{AuthUser, Role};
use crate::features::live::control::LiveControl;
use crate::infra::db::DbConnection;
use crate::infra::db::schema::{
    activities, assessments, class_members, classes, learner_settings, learners, notifications,
};
use crate::infra::error::AppError;
use crate::infra::time::utc;

/// The IGCSE Music components; activities' syllabus components (sub-categories) are accepted too.
pub const COMPONENTS: [&str; 3] = ["listening", "composing", "performing"];

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AssessmentView {
    pub id: String,
    pub learner_id: String,
    pub teacher_id: Option<String>,
    pub class_id: Option<String>,
    pub assessment_type: String,
    pub component: String,
    pub grade: String,
    pub percentage: Option<f64>,
    pub feedback: Option<String>,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

/// An assessment as stored: every column of the table.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = assessments)]
pub struct Row {
    pub id: String,
    pub learner_id: String,
    pub teacher_id: Option<String>,
    pub class_id: Option<String>,
    pub assessment_type: String,
    pub component: String,
    pub grade: String,
    pub percentage: Option<f64>,
    pub feedback: Option<String>,
    pub created_at: chrono::NaiveDateTime,
    pub updated_at: chrono::NaiveDateTime,
}

pub fn view(r: Row) -> AssessmentView {
    AssessmentView {
        id: r.id,
        learner_id: r.learner_id,
        teacher_id: r.teacher_id,
        class_id: r.class_id,
        assessment_type: r.assessment_type,
        component: r.component,
        grade: r.grade,
        percentage: r.percentage,
        feedback: r.feedback,
        created_at: utc(r.created_at),
        updated_at: utc(r.updated_at),
    }
}

/// A class of `teacher` that the learner is in, if any.
pub fn teaching_class(
    conn: &mut DbConnection,
    teacher_id: &str,
    learner_id: &str,
) -> QueryResult<Option<String>> {
    class_members::table
        .inner_join(classes::table)
        .filter(class_members::learner_id.eq(learner_id))
        .filter(classes::teacher_id.eq(teacher_id))
        .select(classes::id)
        .first(conn)
        .optional()
}

pub fn check_component(conn: &mut DbConnection, component: &str) -> Result<(), AppError> {
    if COMPONENTS.contains(&component) {
        return Ok(());
    }
    let known: i64 = activities::table
        .filter(activities::sub_category.eq(component))
        .count()
        .get_result(conn)?;
    if known > 0 {
        Ok(())
    } else {
        Err(AppError::invalid_field(
            "component",
            "listening, composing, performing, or an activity's syllabus component",
        ))
    }
}

/// The assessment if `teacher` wrote it and teaches its learner now, or is an admin (404
/// otherwise: another teacher's assessment is neither read nor rewritten).
pub fn writable(conn: &mut DbConnection, teacher: &AuthUser, id: &str) -> Result<Row, AppError> {
    let row: Row = assessments::table
        .find(id)
        .select(Row::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| AppError::not_found("assessment"))?;
    let own = row.teacher_id.as_deref() == Some(teacher.id.as_str());
    if teacher.role != Role::Admin
        && (!own || teaching_class(conn, &teacher.id, &row.learner_id)?.is_none())
    {
        return Err(AppError::not_found("assessment"));
    }
    Ok(row)
}

/// The parent's notification of an assessment, stored with it, and whether it is pushed
/// (`notifications_enabled` stops pushes, not storage).
pub struct ParentNote {
    notification: Notification,
    push: bool,
}

/// Stores the notification of `kind assessment_recorded` for the learner's parent (none for a
/// student's own learner); call it in the transaction that records the assessment.
pub fn note_for_parent(
    conn: &mut DbConnection,
    v: &AssessmentView,
    changed: bool,
) -> QueryResult<Option<ParentNote>> {
    let found: Option<(Option<String>, String, Option<bool>)> = learners::table
        .left_join(learner_settings::table)
        .filter(learners::id.eq(&v.learner_id))
        .select((
            learners::parent_id,
            learners::name,
            learner_settings::notifications_enabled.nullable(),
        ))
        .first(conn)
        .optional()?;
    let Some((Some(parent_id), name, enabled)) = found else {
        return Ok(None);
    };
    let notification = Notification {
        id: uuid::Uuid::now_v7().to_string(),
        parent_id,
        child_id: v.learner_id.as_str().into(),
        kind: NotificationKind::AssessmentRecorded,
        title: if changed {
            format!("{name}'s assessment was updated")
        } else {
            format!("{name} has a new assessment")
        },
        body: format!("{} ({}): {}", v.assessment_type, v.component, v.grade),
        data: serde_json::json!({ "assessment": frame(v) }),
        created_at: chrono::Utc::now(),
    };
    diesel::insert_into(notifications::table)
        .values((
            notifications::id.eq(&notification.id),
            notifications::parent_id.eq(&notification.parent_id),
            notifications::learner_id.eq(&v.learner_id),
            notifications::kind.eq(notification.kind.as_str()),
            notifications::title.eq(&notification.title),
            notifications::body.eq(&notification.body),
            notifications::data.eq(notification.data.to_string()),
            notifications::created_at.eq(notification.created_at.naive_utc()),
        ))
        .execute(conn)?;
    Ok(Some(ParentNote {
        notification,
        push: enabled.unwrap_or(true),
    }))
}

/// An assessment as the learner's play sockets receive it.
pub fn frame(v: &AssessmentView) -> AssessmentFrame {
    AssessmentFrame {
        id: v.id.clone(),
        assessment_type: v.assessment_type.clone(),
        component: v.component.clone(),
        grade: v.grade.clone(),
        percentage: v.percentage,
        feedback: v.feedback.clone(),
        assessed_at: v.updated_at,
    }
}

/// After the commit: the learner's play sockets on every node, and the parent's feeds.
pub async fn announce(control: &LiveControl, v: &AssessmentView, note: Option<ParentNote>) {
    control
        .assessment_recorded(&v.learner_id.as_str().into(), frame(v))
        .await;
    if let Some(ParentNote {
        notification,
        push: true,
    }) = note
    {
        control.engine().notify_parent(&notification);
    }
}

/// What a teacher may change of an assessment.
pub struct Changes {
    pub assessment_type: String,
    pub component: String,
    pub grade: String,
    pub percentage: Option<f64>,
    pub feedback: Option<String>,
}

pub fn insert(conn: &mut DbConnection, row: &Row) -> QueryResult<()> {
    diesel::insert_into(assessments::table)
        .values(row)
        .execute(conn)
        .map(drop)
}

/// A learner's assessments, newest first (only `teacher`'s if given).
pub fn of_learner(
    conn: &mut DbConnection,
    learner_id: &str,
    teacher: Option<&str>,
) -> QueryResult<Vec<AssessmentView>> {
    let mut q = assessments::table
        .filter(assessments::learner_id.eq(learner_id))
        .into_boxed();
    if let Some(teacher) = teacher {
        q = q.filter(assessments::teacher_id.eq(teacher.to_string()));
    }
    let rows: Vec<Row> = q
        .order(assessments::created_at.desc())
        .select(Row::as_select())
        .load(conn)?;
    Ok(rows.into_iter().map(view).collect())
}

pub fn update(
    conn: &mut DbConnection,
    id: &str,
    c: &Changes,
    at: chrono::NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(assessments::table.find(id))
        .set((
            assessments::assessment_type.eq(&c.assessment_type),
            assessments::component.eq(&c.component),
            assessments::grade.eq(&c.grade),
            assessments::percentage.eq(c.percentage),
            assessments::feedback.eq(&c.feedback),
            assessments::updated_at.eq(at),
        ))
        .execute(conn)
        .map(drop)
}

pub fn delete(conn: &mut DbConnection, id: &str) -> QueryResult<()> {
    diesel::delete(assessments::table.find(id))
        .execute(conn)
        .map(drop)
}

/// Whether a learner with this id exists (for admins, who read any learner's).
pub fn learner_exists(conn: &mut DbConnection, id: &str) -> QueryResult<bool> {
    let n: i64 = learners::table.find(id).count().get_result(conn)?;
    Ok(n > 0)
}
