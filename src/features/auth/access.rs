//! Which learners a caller may act for, checked by the [`LearnerAccess`] extractor (and by the
//! ticket and play routes). Learners are read in batches ([`LearnerReads`]): when a node
//! restarts, every family's devices come back at once, and thousands of one-row reads would
//! queue on the pool where a few dozen `IN` reads do the same work. What was read is kept a
//! few seconds: a parent's dashboard asks for each child's progress, again and again, and the
//! access check was half of what such a read cost the database.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use studyhub_actors::ids::LearnerId;

use diesel::prelude::*;
use studyhub_actors::batched_reads::{BatchedReads, Limits, Stopped};

use super::{AuthUser, Role};
use crate::infra::db::Db;
use crate::infra::db::models::LearnerRow;
use crate::infra::db::schema::{class_members, classes, learners};
use crate::infra::error::{AppError, ErrorKind};

/// A failed batch, shared by every caller in it.
#[derive(Clone)]
pub struct ReadFailed(Arc<AppError>);

impl From<Stopped> for ReadFailed {
    fn from(_: Stopped) -> Self {
        Self(Arc::new(AppError::new(
            ErrorKind::Unavailable,
            crate::infra::error::Code::TryAgain,
            "the server is stopping",
        )))
    }
}

impl From<ReadFailed> for AppError {
    fn from(e: ReadFailed) -> Self {
        AppError::new(e.0.kind.clone(), e.0.code, e.0.message.clone())
    }
}

/// How long a learner read is trusted while every other node's changes reach this one (Redis
/// subscribed, or no Redis: one node). A change made on this node (profile, delete) is seen at
/// once, one made on another node as soon as its control message arrives.
const FRESH_WHILE_HEARD: Duration = Duration::from_secs(60);
/// The bound while Redis is configured but away (the same as the token gate's).
const FRESH_FOR: Duration = Duration::from_secs(5);
const MAX_ENTRIES: usize = 100_000;

/// Learners by id, read in batches and kept for [`FRESH_WHILE_HEARD`] (or [`FRESH_FOR`]).
#[derive(Clone)]
pub struct LearnerReads {
    reads: BatchedReads<LearnerId, LearnerRow, ReadFailed>,
    known: Arc<Known>,
    redis: Option<Arc<crate::infra::cache::RedisCache>>,
    /// For the reads that are not by id ([`readable_learner`]'s teacher case).
    db: Db,
}

#[derive(Default)]
struct Known {
    rows: Mutex<HashMap<LearnerId, (LearnerRow, Instant)>>,
    /// Bumped by every [`LearnerReads::forget`]: a read that started before a forget must not
    /// keep what it read (it may be the row just changed or deleted).
    forgets: AtomicU64,
}

impl LearnerReads {
    /// Starts the batching task on the current arbiter.
    pub fn start(db: Db, redis: Option<Arc<crate::infra::cache::RedisCache>>) -> Self {
        let batch_db = db.clone();
        let reads = BatchedReads::start(
            "learner_access",
            Limits::default(),
            move |ids: Vec<LearnerId>| {
                let db = batch_db.clone();
                async move {
                    let rows = db
                        .run(move |conn| {
                            let ids: Vec<&str> = ids.iter().map(LearnerId::as_str).collect();
                            learners::table
                                .filter(learners::id.eq_any(&ids))
                                .select(LearnerRow::as_select())
                                .load(conn)
                                .map_err(AppError::from)
                        })
                        .await
                        .map_err(|e| ReadFailed(Arc::new(e)))?;
                    Ok(rows
                        .into_iter()
                        .map(|r| (r.learner_id(), r))
                        .collect::<HashMap<_, _>>())
                }
            },
        );
        Self {
            reads,
            known: Arc::default(),
            redis,
            db,
        }
    }

    fn fresh_for(&self) -> Duration {
        match &self.redis {
            Some(r) if !r.is_up() => FRESH_FOR,
            _ => FRESH_WHILE_HEARD,
        }
    }

    /// The learner, from what was read lately (see [`FRESH_WHILE_HEARD`]) or from the database.
    pub async fn get(&self, id: LearnerId) -> Result<Option<LearnerRow>, ReadFailed> {
        let rows = || self.known.rows.lock().unwrap_or_else(|p| p.into_inner());
        let fresh_for = self.fresh_for();
        if let Some((row, _)) = rows().get(&id).filter(|(_, at)| at.elapsed() < fresh_for) {
            return Ok(Some(row.clone()));
        }
        let forgets = self.known.forgets.load(Ordering::Acquire);
        let found = self.reads.get(id.clone()).await?;
        if let Some(row) = &found {
            let mut rows = rows();
            if self.known.forgets.load(Ordering::Acquire) == forgets {
                if rows.len() >= MAX_ENTRIES {
                    rows.retain(|_, (_, at)| at.elapsed() < fresh_for);
                }
                rows.insert(id, (row.clone(), Instant::now()));
            }
        }
        Ok(found)
    }

    /// Control messages may have been missed: read every learner again.
    pub fn clear(&self) {
        let mut rows = self.known.rows.lock().unwrap_or_else(|p| p.into_inner());
        self.known.forgets.fetch_add(1, Ordering::AcqRel);
        rows.clear();
    }

    /// The learner changed or is gone: read it from the database next time.
    pub fn forget(&self, id: &LearnerId) {
        let mut rows = self.known.rows.lock().unwrap_or_else(|p| p.into_inner());
        self.known.forgets.fetch_add(1, Ordering::AcqRel);
        rows.remove(id);
    }
}

/// A learner the caller may act for (play as, change settings of): the caller's own child,
/// or the learner of the caller's student account. Taken from the route's `{learner_id}` or
/// `{id}` segment, or the `learner_id` query parameter. Anything else is 404, so another
/// family's ids are never confirmed.
#[derive(Debug, Clone)]
pub struct LearnerAccess {
    pub user: AuthUser,
    pub learner: LearnerRow,
}

impl LearnerAccess {
    pub async fn load(
        reads: &LearnerReads,
        user: AuthUser,
        learner_id: LearnerId,
    ) -> Result<Self, AppError> {
        let learner = reads
            .get(learner_id)
            .await?
            .filter(|l| {
                // A child's device: its own learner, nothing else of the family.
                if user.role == Role::Child {
                    return user.device_learner.as_deref() == Some(l.id.as_str())
                        && l.parent_id.as_deref() == Some(user.id.as_str());
                }
                l.parent_id.as_deref() == Some(user.id.as_str())
                    || l.user_id.as_deref() == Some(user.id.as_str())
            })
            .ok_or_else(|| AppError::not_found("learner"))?;
        Ok(Self { user, learner })
    }
}

/// A parent's own child (not a student's own learner): 404 otherwise.
pub async fn parents_child(
    reads: &LearnerReads,
    parent: AuthUser,
    id: LearnerId,
) -> Result<LearnerRow, AppError> {
    let access = LearnerAccess::load(reads, parent, id).await?;
    if access.learner.parent_id.is_none() {
        return Err(AppError::not_found("child"));
    }
    Ok(access.learner)
}

/// A learner the caller may read: its parent, the student themself, or a teacher of one of
/// its classes. Anyone else gets 404.
pub async fn readable_learner(
    reads: &LearnerReads,
    user: AuthUser,
    id: LearnerId,
) -> Result<LearnerRow, AppError> {
    match LearnerAccess::load(reads, user.clone(), id.clone()).await {
        Ok(a) => return Ok(a.learner),
        Err(e) if e.kind != ErrorKind::NotFound => return Err(e),
        Err(_) => {}
    }
    if user.role != Role::Teacher {
        return Err(AppError::not_found("learner"));
    }
    reads
        .db
        .run(move |conn| {
            learners::table
                .inner_join(class_members::table.inner_join(classes::table))
                .filter(learners::id.eq(id.as_str()))
                .filter(classes::teacher_id.eq(&user.id))
                .select(LearnerRow::as_select())
                .first(conn)
                .optional()?
                .ok_or_else(|| AppError::not_found("learner"))
        })
        .await
}
