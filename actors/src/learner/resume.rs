//! Picking a session up again (`resume`): from this actor's memory, from what it ended, or
//! from the database; with several nodes, the stored session wins when it went further.

use actix::prelude::*;

use super::{LearnerActor, ReplyTo};
use crate::ids::SessionId;
use crate::protocol::{ErrorCode, ServerMsg};
use crate::session::LiveSession;
use crate::store::{SessionSnapshot, SessionStatus, StoreError};

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
                act.reply(to, vec![completed_msg(snapshot)], None);
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
    /// So the stored session is read first ([`Self::catch_up`]).
    fn resume_remembered(&mut self, session_id: SessionId, to: ReplyTo, ctx: &mut Context<Self>) {
        let store = self.env.store().clone();
        let id = session_id.clone();
        let io = async move { store.load_session(&id).await };
        ctx.wait(io.into_actor(self).map(move |res, act, ctx| {
            match act.catch_up(&session_id, res) {
                // No longer held here: answered as any session not held is.
                None => act.resume(session_id, to, ctx),
                Some(CaughtUp::Completed(msg)) => {
                    act.reply(to, vec![*msg], None);
                    act.announce_presence();
                }
                Some(CaughtUp::Abandoned) => {
                    act.error(
                        to,
                        ErrorCode::NoSession,
                        "no open session with that id",
                        None,
                    );
                    act.announce_presence();
                }
                Some(caught) => {
                    let msg = act.session.as_ref().map(Self::started_msg);
                    act.reply(to, msg.into_iter().collect(), None);
                    if matches!(caught, CaughtUp::Further) {
                        act.announce_presence();
                    }
                }
            }
        }));
    }

    /// Brings the session this actor remembers (`session_id`) up to what is stored: further
    /// along there, it replaces the remembered one; ended there (on another node), it is
    /// dropped here. Memory stands when it is as far or further (its answers not yet
    /// committed) and when the database could not be read. `None` when the actor no longer
    /// holds that session. The caller tells the class views and parents of a change.
    pub(super) fn catch_up(
        &mut self,
        session_id: &SessionId,
        stored: Result<Option<SessionSnapshot>, StoreError>,
    ) -> Option<CaughtUp> {
        let remembered = self.session.as_ref().filter(|s| &s.id == session_id)?;
        let (last_seq, activity) = (remembered.last_seq(), remembered.activity.clone());
        Some(match stored {
            Ok(Some(stored)) if stored.learner_id != self.learner_id => CaughtUp::Open,
            Ok(Some(stored)) if stored.status == SessionStatus::Completed => {
                self.session = None;
                CaughtUp::Completed(Box::new(completed_msg(stored)))
            }
            Ok(Some(stored)) if stored.status == SessionStatus::Abandoned => {
                self.session = None;
                CaughtUp::Abandoned
            }
            Ok(Some(stored))
                if stored.status == SessionStatus::Open
                    && stored.answers.last().is_some_and(|a| a.seq > last_seq) =>
            {
                self.session = Some(LiveSession::from_snapshot(&stored, activity));
                CaughtUp::Further
            }
            _ => CaughtUp::Open,
        })
    }
}

/// Where the remembered session stands once caught up with what is stored.
pub(super) enum CaughtUp {
    /// Open as remembered.
    Open,
    /// Open, and further along as stored: this actor now holds the stored one.
    Further,
    /// Completed elsewhere: what to answer.
    Completed(Box<ServerMsg>),
    /// Abandoned elsewhere.
    Abandoned,
}

fn completed_msg(stored: SessionSnapshot) -> ServerMsg {
    ServerMsg::Completed(crate::protocol::Completion {
        session_id: stored.session_id,
        activity_id: stored.activity_id,
        questions_total: stored.questions_total,
        questions_correct: stored.questions_correct,
        accuracy: stored.accuracy.unwrap_or(0.0),
        stars: stored.stars.unwrap_or(1),
        duration_seconds: stored.duration_seconds.unwrap_or(0),
    })
}
