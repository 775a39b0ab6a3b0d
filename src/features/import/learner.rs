//! One learner of an export, recreated: the profile and settings (a parent's child) and its
//! whole history (sessions and answers, progress, screen time, pages, achievements,
//! drawings, assessments).

use std::collections::{HashMap, HashSet};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use diesel::prelude::*;

use super::export_file::ExLearner;
use super::{Tally, bad, clip, derive};
use crate::features::auth::Role;
use crate::infra::db::DbConnection;
use crate::infra::db::schema::*;
use crate::infra::error::AppError;
use crate::infra::time::now;

pub(super) enum Target<'a> {
    /// A child profile of a parent: recreated with an id derived from this source id.
    New(&'a str),
    /// A student's own history: goes to the caller's own learner.
    Own,
}

pub(super) fn learner_target<'a>(
    role: Role,
    source: &'a str,
    is_child: bool,
) -> Option<Target<'a>> {
    match (role, is_child) {
        (Role::Parent, true) => Some(Target::New(source)),
        (Role::Student, false) => Some(Target::Own),
        _ => None,
    }
}

pub(super) fn insert_learner(
    conn: &mut DbConnection,
    caller: &str,
    id: &str,
    l: &ExLearner,
) -> Result<(), AppError> {
    let v = &l.learner;
    let name = clip(v.name.trim(), 100);
    if name.chars().count() < 2 {
        return Err(bad("learners.learner.name", "2 to 100 characters"));
    }
    let tz = v
        .timezone
        .as_deref()
        .filter(|t| t.parse::<chrono_tz::Tz>().is_ok())
        .unwrap_or("UTC");
    let t = now();
    let row = crate::infra::db::models::LearnerRow {
        id: id.to_string(),
        parent_id: Some(caller.to_string()),
        user_id: None,
        name,
        age: v.age.filter(|a| (2..=18).contains(a)),
        interests: serde_json::to_string(
            &v.interests
                .iter()
                .take(20)
                .map(|s| clip(s, 50))
                .collect::<Vec<_>>(),
        )
        .expect("strings serialize"),
        avatar_url: v.avatar_url.as_deref().map(|s| clip(s, 500)),
        timezone: tz.to_string(),
        created_at: v.created_at.naive_utc(),
        updated_at: t,
    };
    crate::features::learners::insert(conn, &row)?;
    if let Some(s) = &l.settings {
        diesel::update(learner_settings::table.find(id))
            .set((
                learner_settings::daily_time_limit_seconds
                    .eq(s.daily_time_limit_seconds.map(|l| l.clamp(0, 86_400))),
                learner_settings::volume.eq(if s.volume.is_finite() {
                    s.volume.clamp(0.0, 1.0)
                } else {
                    0.8
                }),
                learner_settings::narration_enabled.eq(s.narration_enabled),
                learner_settings::notifications_enabled.eq(s.notifications_enabled),
                // Windows that do not pass today's checks are left out rather than refused.
                learner_settings::downtime.eq(serde_json::to_string(
                    &crate::features::learners::downtime::check(s.downtime.clone())
                        .unwrap_or_default(),
                )
                .unwrap_or_else(|_| "[]".into())),
            ))
            .execute(conn)?;
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
pub(super) fn import_history(
    conn: &mut DbConnection,
    cipher: &crate::infra::crypto::Cipher,
    caller: &str,
    lid: &str,
    l: &ExLearner,
    images: &HashMap<String, &'static str>,
    created: &mut Tally,
    skipped: &mut Tally,
) -> Result<(), AppError> {
    let known: HashSet<String> = activities::table
        .filter(
            activities::id.eq_any(
                l.sessions
                    .iter()
                    .map(|s| s.activity_id.clone())
                    .collect::<Vec<_>>(),
            ),
        )
        .select(activities::id)
        .load::<String>(conn)?
        .into_iter()
        .collect();
    for s in &l.sessions {
        let sid = derive(caller, "session", &s.id);
        if exists!(conn, activity_sessions::table.find(&sid))? {
            continue;
        }
        if !known.contains(&s.activity_id) {
            skipped.add("sessions");
            continue;
        }
        let status = match s.status.as_str() {
            "open" | "completed" | "abandoned" => s.status.clone(),
            _ => "abandoned".into(),
        };
        let mut seen = HashSet::new();
        let answered = s
            .answers
            .iter()
            .map(|a| &a.question_id)
            .collect::<HashSet<_>>()
            .len() as i32;
        let correct = s.answers.iter().filter(|a| a.correct).count() as i32;
        let last_seq = s.answers.iter().map(|a| a.seq).max().unwrap_or(0);
        diesel::insert_into(activity_sessions::table)
            .values((
                activity_sessions::id.eq(&sid),
                activity_sessions::learner_id.eq(lid),
                activity_sessions::activity_id.eq(&s.activity_id),
                activity_sessions::status.eq(status),
                activity_sessions::questions_total.eq(s.questions_total.unwrap_or(answered)),
                activity_sessions::questions_answered.eq(s.questions_answered.unwrap_or(answered)),
                activity_sessions::questions_correct.eq(s.questions_correct.unwrap_or(correct)),
                activity_sessions::accuracy.eq(s.accuracy.filter(|a| a.is_finite())),
                activity_sessions::stars.eq(s.stars),
                activity_sessions::last_saved_seq.eq(last_seq),
                activity_sessions::started_at.eq(s.started_at.naive_utc()),
                activity_sessions::ended_at.eq(s.ended_at.map(|t| t.naive_utc())),
                activity_sessions::duration_seconds.eq(s.duration_seconds),
                activity_sessions::updated_at.eq(now()),
            ))
            .execute(conn)?;
        created.add("sessions");
        let mut seqs = HashSet::new();
        for a in &s.answers {
            if a.seq < 1 || !seqs.insert(a.seq) {
                continue;
            }
            let first = a
                .first_attempt
                .unwrap_or_else(|| seen.insert(a.question_id.clone()));
            diesel::insert_into(answers::table)
                .values((
                    answers::session_id.eq(&sid),
                    answers::seq.eq(a.seq),
                    answers::question_id.eq(clip(&a.question_id, 100)),
                    answers::response.eq(cipher.encrypt(a.answer.to_string().as_bytes())),
                    answers::correct.eq(a.correct),
                    answers::first_attempt.eq(first),
                    answers::answered_at.eq(a.answered_at.naive_utc()),
                ))
                .execute(conn)?;
            created.add("answers");
        }
    }
    for p in &l.daily_progress {
        let category = clip(&p.category, 50);
        if exists!(conn, daily_progress::table.find((lid, p.date, &category)))? {
            continue;
        }
        diesel::insert_into(daily_progress::table)
            .values((
                daily_progress::learner_id.eq(lid),
                daily_progress::date.eq(p.date),
                daily_progress::category.eq(&category),
                daily_progress::activities_completed.eq(p.activities_completed),
                daily_progress::questions_answered.eq(p.questions_answered),
                daily_progress::questions_correct.eq(p.questions_correct),
                daily_progress::study_seconds.eq(p.study_seconds),
                daily_progress::stars.eq(p.stars),
                daily_progress::points.eq(p.points),
            ))
            .execute(conn)?;
        created.add("daily_progress");
    }
    for (i, t) in l.screen_time.iter().enumerate() {
        let id = derive(
            caller,
            "screen_time",
            &format!("{}|{}|{i}", l.learner.id, t.date),
        );
        if exists!(conn, screen_time_logs::table.find(&id))? {
            continue;
        }
        let start = t.date.and_hms_opt(0, 0, 0).expect("midnight");
        let secs = t.seconds.clamp(0, 86_400);
        diesel::insert_into(screen_time_logs::table)
            .values((
                screen_time_logs::id.eq(&id),
                screen_time_logs::learner_id.eq(lid),
                screen_time_logs::date.eq(t.date),
                screen_time_logs::started_at.eq(start),
                screen_time_logs::ended_at.eq(Some(start + chrono::Duration::seconds(secs as i64))),
                screen_time_logs::seconds.eq(secs),
                screen_time_logs::updated_at.eq(now()),
            ))
            .execute(conn)?;
        created.add("screen_time");
    }
    for p in &l.pages {
        let page_id = clip(&p.page_id, 200);
        if exists!(conn, page_progress::table.find((lid, &page_id)))? {
            continue;
        }
        let t = now();
        diesel::insert_into(page_progress::table)
            .values((
                page_progress::learner_id.eq(lid),
                page_progress::page_id.eq(&page_id),
                page_progress::title.eq(clip(&p.title, 200)),
                page_progress::seconds.eq(p.seconds.max(0)),
                page_progress::completed.eq(p.completed),
                page_progress::created_at.eq(t),
                page_progress::updated_at.eq(t),
            ))
            .execute(conn)?;
        created.add("pages");
    }
    for a in &l.achievements {
        if !exists!(conn, achievements::table.find(&a.id))? {
            skipped.add("achievements");
            continue;
        }
        if exists!(conn, learner_achievements::table.find((lid, &a.id)))? {
            continue;
        }
        diesel::insert_into(learner_achievements::table)
            .values((
                learner_achievements::learner_id.eq(lid),
                learner_achievements::achievement_id.eq(&a.id),
                learner_achievements::unlocked_at.eq(a.unlocked_at.naive_utc()),
            ))
            .execute(conn)?;
        created.add("achievements");
    }
    for d in &l.drawings {
        let id = derive(caller, "drawing", &d.id);
        if exists!(conn, drawings::table.find(&id))? {
            continue;
        }
        let Some(ext) = images.get(&id) else {
            skipped.add("drawings");
            continue;
        };
        let key = format!("drawings/imported/{id}.{ext}");
        let content_type = crate::infra::storage::content_type_of(&key);
        let size: i64 = match l
            .drawings
            .iter()
            .find(|x| x.id == d.id)
            .and_then(|x| x.image_base64.as_deref())
        {
            Some(b) => B64.decode(b).map(|v| v.len() as i64).unwrap_or(0),
            None => 0,
        };
        diesel::insert_into(drawings::table)
            .values((
                drawings::id.eq(&id),
                drawings::learner_id.eq(lid),
                drawings::title.eq(clip(&d.title, 200)),
                drawings::category.eq(clip(&d.category, 100)),
                drawings::object_key.eq(&key),
                drawings::content_type.eq(content_type),
                drawings::size_bytes.eq(size),
                drawings::created_at.eq(d.created_at.naive_utc()),
            ))
            .execute(conn)?;
        created.add("drawings");
    }
    for a in &l.assessments {
        let src = a.id.clone().unwrap_or_else(|| {
            format!(
                "{}|{}|{}|{}",
                l.learner.id, a.assessment_type, a.component, a.created_at
            )
        });
        let id = derive(caller, "assessment", &src);
        if exists!(conn, assessments::table.find(&id))? {
            continue;
        }
        let at = a.created_at.naive_utc();
        diesel::insert_into(assessments::table)
            .values((
                assessments::id.eq(&id),
                assessments::learner_id.eq(lid),
                assessments::assessment_type.eq(clip(&a.assessment_type, 100)),
                assessments::component.eq(clip(&a.component, 100)),
                assessments::grade.eq(clip(&a.grade, 20)),
                assessments::percentage.eq(a.percentage.filter(|p| p.is_finite())),
                assessments::feedback.eq(a.feedback.as_deref().map(|f| clip(f, 5000))),
                assessments::created_at.eq(at),
                assessments::updated_at.eq(at),
            ))
            .execute(conn)?;
        created.add("assessments");
    }
    Ok(())
}
