//! Sessions and answers: start, grade, save, complete (picking one up again: `resume`).

use crate::ids::{Seq, SessionId};
use std::sync::Arc;
use std::time::Instant;

use actix::prelude::*;
use chrono::Utc;
use tokio::sync::oneshot;

use super::{LearnerActor, Persist, ReplyTo, SaySaved};
use crate::achievements::PastCompletion;
use crate::content::Answer;
use crate::events::ClassEvent;
use crate::flusher::{Durable, Item, Refusal};
use crate::protocol::{ClientMsg, ErrorCode, ServerMsg};
use crate::session::{AnswerResult, LiveSession};
use crate::store::{
    Activity, AnswerRecord, NewSession, SessionEnd, SessionStatus, Store, StoreError,
};
use crate::visibility::{Sight, Visibility};

/// The wait asked of answers pipelined behind a busy one once the queue has room again.
const SHED_RETRY: std::time::Duration = std::time::Duration::from_millis(100);

/// Whether the learner may start `activity` (`crate::visibility`). Only a `classes` activity
/// costs a read (the learner's class teachers), so public play stays in memory.
pub(super) async fn may_start(
    store: &dyn Store,
    learner_id: &crate::ids::LearnerId,
    activity: &Activity,
) -> Result<bool, StoreError> {
    let teachers = match activity.visibility {
        Visibility::Public => return Ok(true),
        Visibility::Private => return Ok(false),
        Visibility::Classes => store.class_teachers(learner_id).await?,
    };
    Ok(activity.visible_to(&Sight::learner(teachers)))
}

impl LearnerActor {
    pub(super) fn handle_client(&mut self, msg: ClientMsg, to: ReplyTo, ctx: &mut Context<Self>) {
        // Refused inside downtime before anything else: a refused call is no activity.
        if let Some(seq) = match &msg {
            ClientMsg::Start { .. } | ClientMsg::Resume { .. } | ClientMsg::JoinGame { .. } => {
                Some(None)
            }
            ClientMsg::Answer { seq, .. } => Some(Some(*seq)),
            ClientMsg::Finish { .. } | ClientMsg::AskTime { .. } => None,
        } && let Some(until) = self.downtime.at(Utc::now())
        {
            return self.reply(to, vec![ServerMsg::downtime_error(until, seq)], None);
        }
        let now = Instant::now();
        // Starting to count (or REST presence beginning) can bring the next tick closer.
        let was_counting = self.counting(now);
        if !was_counting {
            self.settle(now);
        }
        self.last_activity = now;
        if matches!(to, ReplyTo::Rest(_)) {
            self.rest_until = Some(now + self.env.config().rest_presence);
            self.empty_since = None;
        }
        if !was_counting {
            self.arm(ctx);
        }
        match msg {
            ClientMsg::Start { activity_id } => self.start_session(activity_id, to, ctx),
            ClientMsg::Resume { session_id } => self.resume(session_id, to, ctx),
            ClientMsg::Answer {
                session_id,
                seq,
                question_id,
                answer,
            } => self.answer(session_id, seq, question_id, answer, to, ctx),
            ClientMsg::JoinGame { game_id, pin } => self.join_game(game_id, pin, to, ctx),
            ClientMsg::Finish { session_id } => {
                if self.session.as_ref().is_some_and(|s| s.id == session_id) {
                    let completed = self.complete(SessionStatus::Completed, ctx);
                    // Connections already got `completed` from the broadcast.
                    if let ReplyTo::Rest(_) = to {
                        self.reply(to, vec![completed], None);
                    }
                } else {
                    self.error(to, ErrorCode::NoSession, "that session is not open", None);
                }
            }
            ClientMsg::AskTime { seconds, reason } => self.ask_time(seconds, reason, to, ctx),
        }
    }

    pub(super) fn start_session(
        &mut self,
        activity_id: String,
        to: ReplyTo,
        ctx: &mut Context<Self>,
    ) {
        if self.clock.is_up() {
            return self.error(to, ErrorCode::TimeUp, "no screen time left today", None);
        }
        // A session row is one more item for the group commit: refused like an answer.
        if let Some(why) = self.env.flush().load().refusal() {
            return self.refuse(to, why, None);
        }
        // The activity comes from the content cache (a database read only on a miss).
        // `wait`: no other message of this learner is handled until the session exists.
        let content = self.env.content().clone();
        let store = self.env.store().clone();
        let learner_id = self.learner_id.clone();
        let fut = async move {
            let Some(activity) = content.activity(&activity_id).await? else {
                return Ok(None);
            };
            if activity.archived || !may_start(&*store, &learner_id, &activity).await? {
                return Ok(None);
            }
            Ok::<_, StoreError>(Some(activity))
        };
        ctx.wait(fut.into_actor(self).map(move |res, act, ctx| match res {
            Ok(Some(activity)) => act.open_session(activity, to, ctx),
            // Not visible to this learner is no different from not there at all.
            Ok(None) => act.error(to, ErrorCode::UnknownActivity, "no such activity", None),
            Err(e) => {
                tracing::warn!(error = %e, "could not load an activity");
                act.error(
                    to,
                    ErrorCode::StorageUnavailable,
                    "could not start now; try again shortly",
                    None,
                )
            }
        }));
    }

    /// Opens a session and answers `started`; a REST caller waits until its row is saved.
    pub(super) fn open_session(
        &mut self,
        activity: Arc<Activity>,
        to: ReplyTo,
        ctx: &mut Context<Self>,
    ) {
        let session_id = self.new_session(activity, ctx);
        let session = self.session.as_ref().expect("just opened");
        let started = ServerMsg::Started {
            session_id: session_id.clone(),
            activity: session.activity.public(),
            answers: Vec::new(),
            last_saved_seq: Seq::NONE,
        };
        let saved = self.saved_waiter(&to, &session_id, Seq::NONE, true);
        self.reply(to, vec![started], saved);
        self.announce_presence();
    }

    /// A new live session of `activity` (an open one is abandoned first), for `start` and for
    /// joining a game. Its row goes to the flusher ahead of its answers, so play starts at once
    /// (also while the database is away). The caller answers and announces presence.
    pub(super) fn new_session(
        &mut self,
        activity: Arc<Activity>,
        ctx: &mut Context<Self>,
    ) -> SessionId {
        if self.session.is_some() {
            self.complete(SessionStatus::Abandoned, ctx);
        }
        let session_id = SessionId::generate();
        let started_at = Utc::now();
        self.env.flush().push(
            Item::Start(NewSession {
                session_id: session_id.clone(),
                learner_id: self.learner_id.clone(),
                activity_id: activity.id.clone(),
                questions_total: activity.content.questions.len() as u32,
                started_at,
            }),
            Some(ctx.address().recipient()),
        );
        self.session = Some(LiveSession::new(session_id.clone(), activity, started_at));
        session_id
    }

    /// `sent`: the seq as the client sent it, echoed in an error.
    pub(super) fn answer(
        &mut self,
        session_id: SessionId,
        sent: i64,
        question_id: String,
        answer: Answer,
        to: ReplyTo,
        ctx: &mut Context<Self>,
    ) {
        if self.clock.is_up() {
            return self.error(
                to,
                ErrorCode::TimeUp,
                "no screen time left today",
                Some(sent),
            );
        }
        let Some(session) = self.session.as_ref().filter(|s| s.id == session_id) else {
            return self.error(
                to,
                ErrorCode::NoSession,
                "that session is not open",
                Some(sent),
            );
        };
        // The one place a client's seq becomes a `Seq`. Anything else (0, negative, past what
        // the database holds) is neither taken nor next: refused as a gap is.
        let Some(seq) = Seq::from_wire(sent) else {
            let message = session.gap_message();
            return self.error(to, ErrorCode::BadSeq, message, Some(sent));
        };
        let next = session.next_seq();
        if self.game_refuses(&session_id, seq, &question_id) {
            return self.error(
                to,
                ErrorCode::QuestionClosed,
                "in a game, answer the question that is open now",
                Some(sent),
            );
        }
        // Reserve a place before grading: with the queue full, the answer is refused and
        // its seq stays free for the resend.
        let reservation = if Some(seq) == next {
            match self.env.flush().reserve() {
                Ok(r) => {
                    self.shed = None;
                    Some(r)
                }
                Err(why) => {
                    self.shed = Some((session_id, seq));
                    return self.refuse(to, why, Some(sent));
                }
            }
        } else {
            // Answers a client pipelined behind one refused as busy are refused alike (not
            // `bad_seq`): it sends them all again, from the refused one.
            if next.is_some_and(|next| seq > next)
                && self
                    .shed
                    .as_ref()
                    .is_some_and(|(s, from)| *s == session_id && Some(*from) == next)
            {
                let why = self.env.flush().load().refusal().unwrap_or(Refusal::Busy {
                    retry_after: SHED_RETRY,
                });
                return self.refuse(to, why, Some(sent));
            }
            None
        };
        let session = self.session.as_mut().expect("checked above");
        match session.answer(seq, &question_id, &answer) {
            AnswerResult::Rejected(code, message) => self.error(to, code, message, Some(sent)),
            AnswerResult::Duplicate(feedback) => {
                let saved = self.saved_waiter(&to, &session_id, feedback.seq, false);
                self.reply(to, vec![ServerMsg::Feedback(feedback)], saved);
            }
            AnswerResult::New {
                feedback,
                first_attempt,
                complete,
            } => {
                let category = session.activity.category.clone();
                let record = AnswerRecord {
                    session_id: session_id.clone(),
                    learner_id: self.learner_id.clone(),
                    seq: feedback.seq,
                    question_id: feedback.question_id.clone(),
                    answer_json: serde_json::to_string(&answer).unwrap_or_default(),
                    correct: feedback.correct,
                    first_attempt,
                    answered_at: Utc::now(),
                    category,
                    local_date: self.local_date(),
                };
                let seq = feedback.seq;
                self.class_event(ClassEvent::Answer {
                    learner_id: self.learner_id.clone(),
                    session_id: session_id.clone(),
                    question_id: feedback.question_id.clone(),
                    correct: feedback.correct,
                    answered: feedback.progress.answered,
                    right: feedback.progress.correct,
                });
                self.game_graded(
                    &session_id,
                    &feedback.question_id,
                    &answer,
                    feedback.correct,
                );
                reservation
                    .expect("a new seq always has a reservation")
                    .send(record, ctx.address().recipient());
                let mut msgs = vec![ServerMsg::Feedback(feedback)];
                let saved = self.saved_waiter(&to, &session_id, seq, false);
                if complete {
                    if let ReplyTo::Conn(_) = to {
                        // Feedback first, then `completed` to every connection.
                        self.reply(to, msgs, None);
                        self.complete(SessionStatus::Completed, ctx);
                        return;
                    }
                    msgs.push(self.complete(SessionStatus::Completed, ctx));
                }
                self.reply(to, msgs, saved);
            }
        }
    }

    /// Refuses an answer (or a start) the flusher cannot take now; nothing of it was kept.
    fn refuse(&mut self, to: ReplyTo, why: Refusal, seq: Option<i64>) {
        let msg = match why {
            Refusal::Busy { retry_after } => {
                metrics::counter!("studyhub_answers_refused_total", "code" => "busy").increment(1);
                ServerMsg::busy(seq, retry_after)
            }
            Refusal::Unavailable => {
                metrics::counter!("studyhub_answers_refused_total", "code" => "storage_unavailable")
                    .increment(1);
                ServerMsg::error(
                    ErrorCode::StorageUnavailable,
                    "answers cannot be saved right now; send it again shortly",
                    seq,
                )
            }
        };
        self.reply(to, vec![msg], None);
    }

    /// For REST: a receiver that resolves once `seq` is saved (at once if it already is).
    /// Websocket clients learn it from `saved`, so they get none (nothing to track per answer).
    /// `fresh`: the item was just queued, so it cannot be saved yet ([`Seq::NONE`] is a new
    /// session).
    pub(super) fn saved_waiter(
        &mut self,
        to: &ReplyTo,
        session_id: &SessionId,
        seq: Seq,
        fresh: bool,
    ) -> Option<oneshot::Receiver<bool>> {
        if let ReplyTo::Conn(_) = to {
            return None;
        }
        let (tx, rx) = oneshot::channel();
        let already = !fresh
            && self
                .session
                .as_ref()
                .is_some_and(|s| s.id == *session_id && s.last_saved_seq >= seq);
        if already {
            let _ = tx.send(true);
        } else {
            self.waiters.push((session_id.clone(), seq, tx));
        }
        Some(rx)
    }

    /// Ends the live session: the end goes to the flusher behind its answers, `completed`
    /// to every connection. Returns the `completed` message.
    pub(super) fn complete(&mut self, status: SessionStatus, ctx: &mut Context<Self>) -> ServerMsg {
        let session = self.session.take().expect("complete needs a live session");
        let now = Utc::now();
        let c = session.completion(now);
        self.ended = Some(Box::new((session.id.clone(), status, c.clone())));
        // The parent hears of a completion from the end's own commit (once, whichever node's
        // end closes the session).
        let notice = (status == SessionStatus::Completed).then(|| {
            (
                format!("{} completed “{}”", self.name, session.activity.title),
                format!("{} of {} right, {} star{}", c.questions_correct, c.questions_total, c.stars, if c.stars == 1 { "" } else { "s" }),
                serde_json::json!({"session_id": c.session_id, "activity_id": c.activity_id, "accuracy": c.accuracy, "stars": c.stars}),
            )
        });
        let end = self.end_item(
            SessionEnd {
                session_id: session.id.clone(),
                learner_id: self.learner_id.clone(),
                status,
                questions_answered: session.progress().answered,
                questions_correct: c.questions_correct,
                accuracy: c.accuracy,
                stars: c.stars,
                duration_seconds: c.duration_seconds,
                ended_at: now,
                activity_id: session.activity.id.clone(),
                category: session.activity.category.clone(),
                local_date: self.local_date(),
                notice: None,
            },
            notice,
        );
        self.env.flush().push(end, None);
        if status == SessionStatus::Completed {
            self.broadcast(&ServerMsg::Completed(c.clone()));
            self.class_event(ClassEvent::Completed {
                learner_id: self.learner_id.clone(),
                session_id: c.session_id.clone(),
                activity_id: c.activity_id.clone(),
                accuracy: c.accuracy,
                stars: c.stars,
            });
            self.note_played(&session, &c, now);
            self.history.record(
                PastCompletion {
                    category: session.activity.category.clone(),
                    accuracy: c.accuracy,
                },
                self.local_date(),
                c.duration_seconds,
            );
            self.check_achievements(ctx);
        }
        self.announce_presence();
        ServerMsg::Completed(c)
    }

    /// The clock counted seconds that no span handed to the flusher holds yet.
    pub(super) fn unpersisted(&self) -> bool {
        let handed = self.persisted.as_ref().map_or(0, |(_, seconds)| *seconds);
        self.clock.counted_seconds() != handed
    }

    /// Hands the day's span to the flusher; while play goes on (`ended` false), only when it
    /// changed since the last time.
    pub(super) fn persist(&mut self, ended: bool) {
        self.last_persist = Instant::now();
        let span = self.clock.span(ended.then(Utc::now));
        let same = self
            .persisted
            .as_ref()
            .is_some_and(|(id, seconds)| *id == span.id && *seconds == span.seconds);
        if span.seconds == 0 || (same && !ended) {
            return;
        }
        self.persisted = Some((span.id.clone(), span.seconds));
        // Through the group commit like everything else the engine writes.
        self.env.flush().push(Item::Span(span), None);
    }
}

impl Handler<Durable> for LearnerActor {
    type Result = ();

    fn handle(&mut self, msg: Durable, _: &mut Context<Self>) {
        if let Some(s) = self.session.as_mut().filter(|s| s.id == msg.session_id) {
            s.last_saved_seq = s.last_saved_seq.max(msg.up_to_seq);
        }
        let mut i = 0;
        while i < self.waiters.len() {
            let (session, seq, _) = &self.waiters[i];
            let outcome = if *session != msg.session_id {
                None
            } else if msg.refused.contains(seq) {
                Some(false)
            } else {
                (*seq <= msg.up_to_seq).then_some(true)
            };
            match outcome {
                Some(saved) => {
                    let (_, _, tx) = self.waiters.swap_remove(i);
                    let _ = tx.send(saved);
                }
                None => i += 1,
            }
        }
        // A refused answer is never `saved`: every device hears it can never be stored.
        for seq in &msg.refused {
            self.broadcast(&ServerMsg::error(
                ErrorCode::NotSaved,
                "this answer can never be stored; play goes on",
                Some((*seq).into()),
            ));
        }
        // `Seq::MAX`: an offline session's end (see `offline.rs`), not a live `saved`.
        if msg.up_to_seq > Seq::NONE && msg.up_to_seq < Seq::MAX {
            self.broadcast(&ServerMsg::Saved {
                session_id: msg.session_id,
                up_to_seq: msg.up_to_seq,
            });
        }
    }
}

impl Handler<SaySaved> for LearnerActor {
    type Result = ();

    /// Handled after every `Durable` the flusher sent before (one mailbox, in order).
    fn handle(&mut self, _: SaySaved, _: &mut Context<Self>) {
        if let Some(s) = self
            .session
            .as_ref()
            .filter(|s| s.last_saved_seq > Seq::NONE)
        {
            let msg = ServerMsg::Saved {
                session_id: s.id.clone(),
                up_to_seq: s.last_saved_seq,
            };
            self.broadcast(&msg);
        }
    }
}

impl Handler<Persist> for LearnerActor {
    type Result = ();

    fn handle(&mut self, _: Persist, _: &mut Context<Self>) {
        self.persist(false);
    }
}
