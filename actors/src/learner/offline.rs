//! Sessions a device played offline, synced back: graded again here with the live grading
//! (`LiveSession::answer`, the one definition), stored through the group commit like live
//! answers (idempotent on `(session_id, seq)`, a session's end counted once by the store), and
//! completed with the same notifications and achievements as live play, dated when they
//! happened. The live session, the clock and presence are not touched: this is the past.

use std::sync::Arc;

use actix::prelude::*;
use chrono::{DateTime, Utc};
use tokio::sync::oneshot;

use super::LearnerActor;
use crate::achievements::PastCompletion;
use crate::content::Answer;
use crate::flusher::{Item, Refusal};
use crate::ids::{Seq, SessionId};
use crate::protocol::{Completion, ErrorCode};
use crate::screen_time::local_date;
use crate::session::{AnswerResult, LiveSession};
use crate::store::{
    Activity, AnswerRecord, NewSession, SessionEnd, SessionSnapshot, SessionStatus, StoreError,
};

/// One answer as the device gave it.
#[derive(Debug, Clone)]
pub struct OfflineAnswer {
    pub seq: Seq,
    pub question_id: String,
    pub answer: Answer,
    pub answered_at: DateTime<Utc>,
}

/// One session a device played offline (its id made by the device).
#[derive(Debug, Clone)]
pub struct OfflineSession {
    pub session_id: SessionId,
    pub activity_id: String,
    pub started_at: DateTime<Utc>,
    pub finished: bool,
    pub answers: Vec<OfflineAnswer>,
}

/// What the server decided about one synced session.
#[derive(Debug, Clone)]
pub struct SyncedSession {
    pub session_id: SessionId,
    /// Every answer up to this seq is stored (once the `saved` receiver says so).
    pub stored_up_to_seq: Seq,
    pub completed: Option<Completion>,
    /// Why some or all of it was not taken: `unknown_activity` (gone or no longer visible),
    /// `no_session` (the id is another learner's), `bad_seq` (a gap: taken up to it).
    pub error: Option<ErrorCode>,
}

/// The actor's answer: the decisions, and receivers that resolve once what was queued for
/// each session is committed (`true`) or refused for good (`false`).
#[derive(Debug)]
pub struct SyncReply {
    pub sessions: Vec<SyncedSession>,
    pub saved: Vec<(usize, oneshot::Receiver<bool>)>,
}

#[derive(Message)]
#[rtype(result = "()")]
pub(crate) struct OfflineSync {
    pub sessions: Vec<OfflineSession>,
    pub reply: oneshot::Sender<Result<SyncReply, SyncRefused>>,
}

/// The whole sync was refused; nothing of it was kept.
#[derive(Debug, Clone)]
pub enum SyncRefused {
    /// Past capacity or the database away: send it all again later.
    Busy(Refusal),
    Storage(String),
}

/// What the store knows of one synced session before it is replayed.
struct Known {
    snapshot: Option<SessionSnapshot>,
    activity: Option<Arc<Activity>>,
    visible: bool,
}

impl Handler<OfflineSync> for LearnerActor {
    type Result = ();

    fn handle(&mut self, msg: OfflineSync, ctx: &mut Context<Self>) {
        if let Some(why) = self.env.flush().load().refusal() {
            let _ = msg.reply.send(Err(SyncRefused::Busy(why)));
            return;
        }
        let store = self.env.store().clone();
        let content = self.env.content().clone();
        let learner_id = self.learner_id.clone();
        let ids: Vec<(SessionId, String)> = msg
            .sessions
            .iter()
            .map(|s| (s.session_id.clone(), s.activity_id.clone()))
            .collect();
        let io = async move {
            let mut known = Vec::with_capacity(ids.len());
            for (session_id, activity_id) in ids {
                let snapshot = store.load_session(&session_id).await?;
                // A session already stored plays on with its own activity.
                let activity_id = snapshot
                    .as_ref()
                    .map_or(activity_id, |s| s.activity_id.clone());
                let activity = content.activity(&activity_id).await?;
                let visible = match &activity {
                    Some(a) => super::play::may_start(&*store, &learner_id, a).await?,
                    None => false,
                };
                known.push(Known {
                    snapshot,
                    activity,
                    visible,
                });
            }
            Ok::<_, StoreError>(known)
        };
        // `wait`: one sync of this learner at a time, so two cannot both complete a session.
        ctx.wait(io.into_actor(self).map(move |res, act, ctx| {
            let reply = match res {
                Ok(known) => {
                    let mut saved = Vec::new();
                    let sessions = msg
                        .sessions
                        .into_iter()
                        .zip(known)
                        .enumerate()
                        .map(|(i, (s, k))| {
                            let (outcome, rx) = act.replay(s, k, ctx);
                            if let Some(rx) = rx {
                                saved.push((i, rx));
                            }
                            outcome
                        })
                        .collect();
                    Ok(SyncReply { sessions, saved })
                }
                Err(e) => Err(SyncRefused::Storage(e.0)),
            };
            let _ = msg.reply.send(reply);
        }));
    }
}

impl LearnerActor {
    /// Replays one offline session against what is stored: new answers graded and queued, the
    /// end queued once. Returns the decision and a receiver for its commit.
    fn replay(
        &mut self,
        sent: OfflineSession,
        known: Known,
        ctx: &mut Context<Self>,
    ) -> (SyncedSession, Option<oneshot::Receiver<bool>>) {
        let refused = |code: ErrorCode, seq: Seq| SyncedSession {
            session_id: sent.session_id.clone(),
            stored_up_to_seq: seq,
            completed: None,
            error: Some(code),
        };
        if let Some(s) = &known.snapshot
            && s.learner_id != self.learner_id
        {
            return (refused(ErrorCode::NoSession, Seq::NONE), None);
        }
        let stored_seq = known
            .snapshot
            .as_ref()
            .and_then(|s| s.answers.last())
            .map_or(Seq::NONE, |a| a.seq);
        // Completed before (stored, or by an earlier sync not committed yet): as it stands.
        if let Some(c) = self.offline_done.get(&sent.session_id) {
            let (seq, c) = c.clone();
            return (
                SyncedSession {
                    session_id: sent.session_id,
                    stored_up_to_seq: seq,
                    completed: Some(c),
                    error: None,
                },
                None,
            );
        }
        if let Some(s) = known
            .snapshot
            .as_ref()
            .filter(|s| s.status != SessionStatus::Open)
        {
            let completed = (s.status == SessionStatus::Completed).then(|| Completion {
                session_id: s.session_id.clone(),
                activity_id: s.activity_id.clone(),
                questions_total: s.questions_total,
                questions_correct: s.questions_correct,
                accuracy: s.accuracy.unwrap_or(0.0),
                stars: s.stars.unwrap_or(1),
                duration_seconds: s.duration_seconds.unwrap_or(0),
            });
            return (
                SyncedSession {
                    session_id: sent.session_id,
                    stored_up_to_seq: stored_seq,
                    completed,
                    error: None,
                },
                None,
            );
        }
        // A live session of this learner is not the device's to write into.
        if self
            .session
            .as_ref()
            .is_some_and(|s| s.id == sent.session_id)
        {
            return (refused(ErrorCode::NoSession, stored_seq), None);
        }
        let activity = match (&known.snapshot, known.activity) {
            // Already stored: finish it on its activity, archived or not.
            (Some(_), Some(a)) => a,
            // New: only an activity the learner may see (archived ones too: the pack had it,
            // and the play happened; what the author changed since, the server's key decides).
            (None, Some(a)) if known.visible => a,
            _ => return (refused(ErrorCode::UnknownActivity, stored_seq), None),
        };
        let recipient = ctx.address().recipient();
        let mut session = match &known.snapshot {
            Some(s) => LiveSession::from_snapshot(s, activity),
            None => {
                self.env.flush().push(
                    Item::Start(NewSession {
                        session_id: sent.session_id.clone(),
                        learner_id: self.learner_id.clone(),
                        activity_id: activity.id.clone(),
                        questions_total: activity.content.questions.len() as u32,
                        started_at: sent.started_at,
                    }),
                    Some(recipient.clone()),
                );
                LiveSession::new(sent.session_id.clone(), activity, sent.started_at)
            }
        };
        let mut answers = sent.answers;
        answers.sort_by_key(|a| a.seq);
        let mut error = None;
        let mut complete = false;
        let mut last_at = sent.started_at;
        for a in answers {
            last_at = last_at.max(a.answered_at);
            if a.seq <= session.last_seq() {
                continue; // stored before: counted once
            }
            let (correct, first_attempt) = match session.answer(a.seq, &a.question_id, &a.answer) {
                AnswerResult::New {
                    feedback,
                    first_attempt,
                    complete: done,
                } => {
                    complete = done;
                    (feedback.correct, first_attempt)
                }
                // The author removed the question since the pack: the answer stays, wrong.
                AnswerResult::Rejected(ErrorCode::UnknownQuestion, _)
                    if Some(a.seq) == session.next_seq() =>
                {
                    (false, session.answer_gone())
                }
                AnswerResult::Duplicate(_) => continue,
                AnswerResult::Rejected(code, _) => {
                    error = Some(code);
                    break;
                }
            };
            self.env.flush().push(
                Item::Answer(AnswerRecord {
                    session_id: session.id.clone(),
                    learner_id: self.learner_id.clone(),
                    seq: a.seq,
                    question_id: a.question_id,
                    answer_json: serde_json::to_string(&a.answer).unwrap_or_default(),
                    correct,
                    first_attempt,
                    answered_at: a.answered_at,
                    category: session.activity.category.clone(),
                    local_date: local_date(self.tz, a.answered_at),
                }),
                Some(recipient.clone()),
            );
            if complete {
                break;
            }
        }
        let queued = session.last_seq();
        let completed =
            (complete || sent.finished).then(|| self.complete_offline(&session, last_at, ctx));
        if let Some(c) = &completed {
            self.offline_done
                .insert(session.id.clone(), (queued, c.clone()));
        }
        // What to wait for: the end (`Seq::MAX`, committed behind every answer), else the last
        // answer (or the new session row).
        let wait_for = if completed.is_some() {
            Some(Seq::MAX)
        } else {
            (queued > stored_seq || known.snapshot.is_none()).then_some(queued)
        };
        let saved = wait_for.map(|seq| {
            let (tx, rx) = oneshot::channel();
            self.waiters.push((session.id.clone(), seq, tx));
            rx
        });
        (
            SyncedSession {
                session_id: session.id.clone(),
                stored_up_to_seq: queued,
                completed,
                error,
            },
            saved,
        )
    }

    /// Ends an offline session as `complete` ends a live one, at `at` (its last answer).
    fn complete_offline(
        &mut self,
        session: &LiveSession,
        at: DateTime<Utc>,
        ctx: &mut Context<Self>,
    ) -> Completion {
        let c = session.completion(at);
        let day = local_date(self.tz, at);
        let notice = (
            format!(
                "{} completed “{}” offline",
                self.name, session.activity.title
            ),
            format!(
                "{} of {} right, {} star{}",
                c.questions_correct,
                c.questions_total,
                c.stars,
                if c.stars == 1 { "" } else { "s" }
            ),
            serde_json::json!({"session_id": c.session_id, "activity_id": c.activity_id,
                "accuracy": c.accuracy, "stars": c.stars, "offline": true}),
        );
        let end = self.end_item(
            SessionEnd {
                session_id: session.id.clone(),
                learner_id: self.learner_id.clone(),
                status: SessionStatus::Completed,
                questions_answered: session.progress().answered,
                questions_correct: c.questions_correct,
                accuracy: c.accuracy,
                stars: c.stars,
                duration_seconds: c.duration_seconds,
                ended_at: at,
                activity_id: session.activity.id.clone(),
                category: session.activity.category.clone(),
                local_date: day,
                notice: None,
            },
            Some(notice),
        );
        // The notice is dated `at`: the parent is told as of when it was played.
        self.env.flush().push(end, Some(ctx.address().recipient()));
        self.note_played(session, &c, at);
        self.history.record(
            PastCompletion {
                category: session.activity.category.clone(),
                accuracy: c.accuracy,
            },
            day,
            c.duration_seconds,
        );
        self.check_achievements_at(ctx, at);
        c
    }
}
