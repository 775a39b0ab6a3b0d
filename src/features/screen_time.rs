//! A child's screen time as parents see and change it: today's count and grants of extra
//! time (from the children routes, the parent feed and answered requests for more time). The
//! live count itself runs in the engine (`studyhub_actors::screen_time`).

use chrono::Utc;
use diesel::prelude::*;
use serde::Serialize;
use studyhub_actors::ids::LearnerId;
use studyhub_actors::screen_time::{local_date, parse_tz};
use utoipa::ToSchema;

use crate::features::audit::{self, Change, RequestMeta};
use crate::features::auth::access::parents_child;
use crate::features::auth::{AuthUser, Role};
use crate::features::live::control::LiveControl;
use crate::infra::db::models::LearnerRow;
use crate::infra::db::schema::{screen_time_grants, screen_time_logs};
use crate::infra::db::{Db, DbConnection};
use crate::infra::error::AppResult;
use crate::infra::time::{now, utc};
use studyhub_actors::Engine;

#[derive(Debug, Serialize, ToSchema)]
pub struct ScreenTimeToday {
    pub date: chrono::NaiveDate,
    pub used_seconds: u64,
    /// `null`: no daily limit.
    pub limit_seconds: Option<u64>,
    pub bonus_seconds: u64,
    /// `null`: no daily limit.
    pub left_seconds: Option<u64>,
    pub sessions: Vec<ScreenTimeSession>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ScreenTimeSession {
    pub started_at: chrono::DateTime<Utc>,
    pub ended_at: Option<chrono::DateTime<Utc>>,
    pub seconds: u64,
    /// Played on a device with no connection, counted by its sync (spans of several devices
    /// merged: overlapping time counts once).
    pub offline: bool,
}

/// Stores a grant for the child's today and tells the engine, so open sessions feel it at
/// once. Shared by the REST call and the parent feed's `grant_time`.
pub async fn grant(
    db: &Db,
    control: &LiveControl,
    meta: &RequestMeta,
    parent_id: &str,
    child_id: &LearnerId,
    seconds: i32,
) -> AppResult<LearnerRow> {
    let parent = AuthUser::account(parent_id, Role::Parent);
    let child = parents_child(control.learners(), parent, child_id.clone()).await?;
    let date = local_date(parse_tz(&child.timezone), Utc::now());
    let (learner_id, granted_by) = (child.id.clone(), parent_id.to_string());
    let meta = meta.clone();
    db.transaction(move |conn| insert_grant(conn, &meta, &granted_by, &learner_id, date, seconds))
        .await?;
    control.grant(&child.learner_id(), seconds as u64).await;
    Ok(child)
}

/// Stores a grant of extra time for the child's `date`, with its audit entry (call inside the
/// transaction of the change that grants it).
pub fn insert_grant(
    conn: &mut DbConnection,
    meta: &RequestMeta,
    granted_by: &str,
    learner_id: &str,
    date: chrono::NaiveDate,
    seconds: i32,
) -> AppResult<()> {
    let id = uuid::Uuid::now_v7().to_string();
    audit::record(
        conn,
        meta,
        Change {
            user_id: granted_by,
            action: "create",
            entity_type: "grant",
            entity_id: &id,
            old: None,
            new: Some(
                serde_json::json!({"learner_id": learner_id, "date": date, "seconds": seconds}),
            ),
        },
    )?;
    diesel::insert_into(screen_time_grants::table)
        .values((
            screen_time_grants::id.eq(&id),
            screen_time_grants::learner_id.eq(learner_id),
            screen_time_grants::date.eq(date),
            screen_time_grants::seconds.eq(seconds),
            screen_time_grants::granted_by.eq(Some(granted_by)),
            screen_time_grants::created_at.eq(now()),
        ))
        .execute(conn)?;
    Ok(())
}

/// A span of play, as stored.
#[derive(Queryable, Selectable)]
#[diesel(table_name = screen_time_logs)]
struct Span {
    started_at: chrono::NaiveDateTime,
    ended_at: Option<chrono::NaiveDateTime>,
    seconds: i32,
    offline: bool,
}

/// Today's screen time of a child: used (the live count when it is ahead of what was
/// stored), limit, bonus, left, and the spans it was used in.
pub async fn today(db: &Db, engine: &Engine, child: LearnerRow) -> AppResult<ScreenTimeToday> {
    let date = local_date(parse_tz(&child.timezone), Utc::now());
    let settings = crate::features::learners::settings(db, child.id.clone()).await?;
    let id = child.id.clone();
    let (spans, bonus) = db
        .run(move |conn| {
            let spans: Vec<Span> = screen_time_logs::table
                .filter(screen_time_logs::learner_id.eq(&id))
                .filter(screen_time_logs::date.eq(date))
                .order(screen_time_logs::started_at.asc())
                .select(Span::as_select())
                .load(conn)?;
            let bonus: Vec<i32> = screen_time_grants::table
                .filter(screen_time_grants::learner_id.eq(&id))
                .filter(screen_time_grants::date.eq(date))
                .select(screen_time_grants::seconds)
                .load(conn)?;
            Ok((
                spans,
                bonus.into_iter().map(|b| b.max(0) as u64).sum::<u64>(),
            ))
        })
        .await?;
    let mut used: u64 = spans.iter().map(|s| s.seconds.max(0) as u64).sum();
    // The live clock (and the other nodes' count) is ahead of what was last persisted.
    if let Some(addr) = engine.live(&child.learner_id())
        && let Some(view) = addr.time_now().await
    {
        used = used.max(view.used_seconds);
    }
    if let Some(shared) = engine.shared_used(&child.learner_id(), date).await {
        used = used.max(shared);
    }
    let limit = settings.daily_time_limit_seconds.map(|l| l.max(0) as u64);
    Ok(ScreenTimeToday {
        date,
        used_seconds: used,
        limit_seconds: limit,
        bonus_seconds: bonus,
        left_seconds: limit.map(|l| (l + bonus).saturating_sub(used)),
        sessions: spans
            .into_iter()
            .filter(|s| s.seconds > 0)
            .map(|s| ScreenTimeSession {
                started_at: utc(s.started_at),
                ended_at: s.ended_at.map(utc),
                seconds: s.seconds.max(0) as u64,
                offline: s.offline,
            })
            .collect(),
    })
}
