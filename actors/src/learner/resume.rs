//! Picking a session up again (`resume`): from this actor's memory, from what it ended, or
//! from the database; with several nodes, the stored session wins when it went further.

use actix::prelude::*;

use super::{LearnerActor, ReplyTo};
use crate::ids::SessionId;
use crate::protocol::{ErrorCode, ServerMsg};
use crate::session::LiveSession;
use crate::store::{SessionStatus, StoreError};

impl LearnerActor {
    pub(super) fn started_msg(session: &LiveSession) -> ServerMsg {
        ServerMsg::Started {
            session_id: session.id.clone(),
            activity: session.activity.public(),
            answers: session.summary(),
            last_saved_seq: session.last_saved_seq,
        }
    }

    pub(super) fn resume(&mut self, session_id: SessionId, to: ReplyTo, ctx: &mut Context<Self>) {
        if self.session.as_ref().is_some_and(|s| s.id == session_id) {
            return self.resume_remembered(session_id, to, ctx);
        }
        // Ended here: as the database will have it once the end is committed.
        if let Some((_, status, c)) = self.ended.as_deref().filter(|e| e.0 == session_id) {
            return match status {
                SessionStatus::Completed => {
                    let msg = ServerMsg::Completed(c.clone());
                    self.reply(to, vec![msg], None)
                }
                _ => self.error(
                    to,
                    ErrorCode::NoSession,
                    "no open session with that id",
                    None,
                ),
            };
        }
        let store = self.env.store().clone();
        let content = self.env.content().clone();
        let learner_id = self.learner_id.clone();
        let io = async move {
            let Some(snapshot) = store.load_session(&session_id).await? else {
                return Ok(None);
            };
            if snapshot.learner_id != learner_id {
                return Ok(None);
            }
            let activity = content.activity(&snapshot.activity_id).await?;
            Ok::<_, StoreError>(Some((snapshot, activity)))
        };
        ctx.wait(io.into_actor(self).map(move |res, act, ctx| match res {
            Ok(Some((snapshot, _))) if snapshot.status == SessionStatus::Completed => {
                let completed = ServerMsg::Completed(crate::protocol::Completion {
                    session_id: snapshot.session_id,
                    activity_id: snapshot.activity_id,
                    questions_total: snapshot.questions_total,
                    questions_correct: snapshot.questions_correct,
                    accuracy: snapshot.accuracy.unwrap_or(0.0),
                    stars: snapshot.stars.unwrap_or(1),
                    duration_seconds: snapshot.duration_seconds.unwrap_or(0),
                });
                act.reply(to, vec![completed], None);
            }
            Ok(Some((snapshot, Some(activity)))) if snapshot.status == SessionStatus::Open => {
                if act.session.is_some() {
                    act.complete(SessionStatus::Abandoned, ctx);
                }
                let session = LiveSession::from_snapshot(&snapshot, activity);
                let msg = Self::started_msg(&session);
                act.session = Some(session);
                act.reply(to, vec![msg], None);
                act.announce_presence();
            }
            Ok(_) => act.error(
                to,
                ErrorCode::NoSession,
                "no open session with that id",
                None,
            ),
            Err(e) => {
                tracing::warn!(error = %e, "could not load a session");
                act.error(
                    to,
                    ErrorCode::StorageUnavailable,
                    "could not resume now; try again shortly",
                    None,
                )
            }
        }));
    }

    /// A resume of the session this actor holds. With several nodes the learner may have
    /// played it on another node since (this actor lingering here, or started by a sync or a
    /// REST call while the learner played elsewhere): what is stored then goes further than
    /// what this actor remembers, and answering from memory would say less is saved than the
    /// client was told (it would resend nothing, and its next seq would be refused as a gap).
    /// So the stored session is read first: further along, it replaces the remembered one;
    /// ended elsewhere, it is answered as stored. Memory answers when it is as far or further
    /// (its answers not yet committed) and when the database cannot be read.
    fn resume_remembered(&mut self, session_id: SessionId, to: ReplyTo, ctx: &mut Context<Self>) {
        let store = self.env.store().clone();
        let id = session_id.clone();
        let io = async move { store.load_session(&id).await };
        ctx.wait(io.into_actor(self).map(move |res, act, ctx| {
            let Some(remembered) = act.session.as_ref().filter(|s| s.id == session_id) else {
                // No longer held here: answered as any session not held is.
                return act.resume(session_id, to, ctx);
            };
            match res {
                Ok(Some(stored))
                    if stored.status == SessionStatus::Completed
                        && stored.learner_id == act.learner_id =>
                {
                    // Completed on another node: nothing of it is left to play here.
                    act.session = None;
                    let completed = ServerMsg::Completed(crate::protocol::Completion {
                        session_id: stored.session_id,
                        activity_id: stored.activity_id,
                        questions_total: stored.questions_total,
                        questions_correct: stored.questions_correct,
                        accuracy: stored.accuracy.unwrap_or(0.0),
                        stars: stored.stars.unwrap_or(1),
                        duration_seconds: stored.duration_seconds.unwrap_or(0),
                    });
                    act.reply(to, vec![completed], None);
                    act.announce_presence();
                }
                Ok(Some(stored))
                    if stored.status == SessionStatus::Abandoned
                        && stored.learner_id == act.learner_id =>
                {
                    act.session = None;
                    act.error(
                        to,
                        ErrorCode::NoSession,
                        "no open session with that id",
                        None,
                    );
                    act.announce_presence();
                }
                Ok(Some(stored))
                    if stored.status == SessionStatus::Open
                        && stored
                            .answers
                            .last()
                            .is_some_and(|a| a.seq > remembered.last_seq()) =>
                {
                    let session = LiveSession::from_snapshot(&stored, remembered.activity.clone());
                    let msg = Self::started_msg(&session);
                    act.session = Some(session);
                    act.reply(to, vec![msg], None);
                    act.announce_presence();
                }
                _ => {
                    let msg = Self::started_msg(remembered);
                    act.reply(to, vec![msg], None);
                }
            }
        }));
    }
}
