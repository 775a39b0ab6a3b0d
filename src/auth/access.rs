//! Which learners a caller may act for, checked by the [`LearnerAccess`] extractor (and by the
//! ticket and play routes). Learners are read in batches ([`LearnerReads`]): when a node
//! restarts, every family's devices come back at once, and thousands of one-row reads would
//! queue on the pool where a few dozen `IN` reads do the same work.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use studyhub_actors::ids::LearnerId;

use actix_web::{FromRequest, HttpRequest, dev::Payload, web};
use diesel::prelude::*;
use serde::Deserialize;
use studyhub_actors::batched_reads::{BatchedReads, Limits, Stopped};

use super::{AuthUser, Role, state};
use crate::db::Db;
use crate::db::models::LearnerRow;
use crate::db::schema::{class_members, classes, learners};
use crate::error::{AppError, ErrorKind};
use crate::state::AppState;

/// A failed batch, shared by every caller in it.
#[derive(Clone)]
pub struct ReadFailed(Arc<AppError>);

impl From<Stopped> for ReadFailed {
    fn from(_: Stopped) -> Self {
        Self(Arc::new(AppError::new(
            ErrorKind::Unavailable,
            crate::error::Code::TryAgain,
            "the server is stopping",
        )))
    }
}

impl From<ReadFailed> for AppError {
    fn from(e: ReadFailed) -> Self {
        AppError::new(e.0.kind.clone(), e.0.code, e.0.message.clone())
    }
}

/// Learners by id, read in batches.
#[derive(Clone)]
pub struct LearnerReads(BatchedReads<LearnerId, LearnerRow, ReadFailed>);

impl LearnerReads {
    /// Starts the batching task on the current arbiter.
    pub fn start(db: Db) -> Self {
        Self(BatchedReads::start(
            "learner_access",
            Limits::default(),
            move |ids: Vec<LearnerId>| {
                let db = db.clone();
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
        ))
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
        state: &AppState,
        user: AuthUser,
        learner_id: LearnerId,
    ) -> Result<Self, AppError> {
        let learner = state
            .learner_reads
            .0
            .get(learner_id)
            .await?
            .filter(|l| {
                l.parent_id.as_deref() == Some(user.id.as_str())
                    || l.user_id.as_deref() == Some(user.id.as_str())
            })
            .ok_or_else(|| AppError::not_found("learner"))?;
        Ok(Self { user, learner })
    }
}

/// A parent's own child (not a student's own learner): 404 otherwise.
pub async fn parents_child(
    state: &AppState,
    parent: AuthUser,
    id: LearnerId,
) -> Result<LearnerRow, AppError> {
    let access = LearnerAccess::load(state, parent, id).await?;
    if access.learner.parent_id.is_none() {
        return Err(AppError::not_found("child"));
    }
    Ok(access.learner)
}

/// A learner the caller may read: its parent, the student themself, or a teacher of one of
/// its classes. Anyone else gets 404.
pub async fn readable_learner(
    state: &AppState,
    user: AuthUser,
    id: LearnerId,
) -> Result<LearnerRow, AppError> {
    match LearnerAccess::load(state, user.clone(), id.clone()).await {
        Ok(a) => return Ok(a.learner),
        Err(e) if e.kind != ErrorKind::NotFound => return Err(e),
        Err(_) => {}
    }
    if user.role != Role::Teacher {
        return Err(AppError::not_found("learner"));
    }
    state
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

#[derive(Deserialize)]
struct LearnerQuery {
    learner_id: Option<LearnerId>,
}

impl FromRequest for LearnerAccess {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let user = AuthUser::authenticate(&req).await?;
            let id = req
                .match_info()
                .get("learner_id")
                .or_else(|| req.match_info().get("id"))
                .map(LearnerId::from)
                .or_else(|| {
                    web::Query::<LearnerQuery>::from_query(req.query_string())
                        .ok()
                        .and_then(|q| q.into_inner().learner_id)
                })
                .ok_or_else(|| AppError::invalid_field("learner_id", "required"))?;
            let state = state(&req)?.clone();
            LearnerAccess::load(&state, user, id).await
        })
    }
}
