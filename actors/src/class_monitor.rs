//! `ClassMonitor`: one per class a teacher is watching. It keeps the live roster (who is
//! online, in which activity, how far) and streams what changes to the teacher's
//! connections: a snapshot once on connect, then only deltas, so a big class does not re-send
//! the roster on every answer. Never the answer itself: only whether it was right.
//! Deltas closer together than [`BATCH_EVERY`] go out as one `batch` frame, so a busy class
//! costs its viewers at most four frames a second however fast it plays.
//! The server holds a [`ClassFeed`]; the monitor sees of the engine only its `ClassEnv`.

use crate::ids::{ClassId, LearnerId};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::outbox::OutboxTx;
use actix::prelude::*;
use futures_util::future::LocalBoxFuture;

use crate::audience::Audience;
use crate::events::ClassEvent;
use crate::protocol::Outbound;
use crate::protocol::feeds::{ClassFeedFrame, ClassInfo};
use crate::shared::LearnerStatus;

pub use crate::protocol::feeds::StudentState;

/// The least time between two frames to a class's viewers (the contract: at most four
/// batches a second per view). The first delta after a quiet spell goes at once.
pub const BATCH_EVERY: Duration = Duration::from_millis(250);

/// What a class monitor may use of the engine around it, and nothing more.
pub(crate) trait ClassEnv: Send + Sync {
    /// How long a monitor stays once its last connection closed.
    fn linger(&self) -> Duration;
    /// Where these learners are: this node's live actors, and the other nodes' word.
    fn where_are(
        &self,
        learner_ids: Vec<LearnerId>,
    ) -> LocalBoxFuture<'static, HashMap<LearnerId, LearnerStatus>>;
    /// The monitor stopped: it is no longer the class's live one.
    fn unregister(&self, class_id: &str, addr: &Addr<ClassMonitor>);
}

/// What the server holds of a class's live view. Its methods are the whole way in, so
/// actix's message types stay in this crate.
pub struct ClassFeed(pub(crate) Addr<ClassMonitor>);

impl ClassFeed {
    pub fn connect(&self, conn_id: u64, tx: OutboxTx) {
        self.0.do_send(MonitorConnect { conn_id, tx });
    }

    pub fn disconnect(&self, conn_id: u64) {
        self.0.do_send(MonitorDisconnect { conn_id });
    }
}

#[derive(Message)]
#[rtype(result = "()")]
struct MonitorConnect {
    pub conn_id: u64,
    pub tx: OutboxTx,
}

#[derive(Message)]
#[rtype(result = "()")]
struct MonitorDisconnect {
    pub conn_id: u64,
}

/// The roster changed (a student joined or was removed).
#[derive(Message)]
#[rtype(result = "()")]
pub(crate) struct Roster {
    pub students: Vec<(LearnerId, String)>,
}

pub struct ClassMonitor {
    class_id: ClassId,
    class: ClassInfo,
    students: BTreeMap<LearnerId, StudentState>,
    env: Arc<dyn ClassEnv>,
    audience: Audience,
    /// Deltas waiting for the next frame, in order.
    pending: Vec<String>,
    last_sent: Option<Instant>,
    flush_scheduled: bool,
}

impl ClassMonitor {
    pub(crate) fn new(
        class_id: ClassId,
        class: ClassInfo,
        roster: Vec<(LearnerId, String)>,
        env: Arc<dyn ClassEnv>,
    ) -> Self {
        let mut m = Self {
            class_id,
            class,
            students: BTreeMap::new(),
            env,
            audience: Audience::new(),
            pending: Vec::new(),
            last_sent: None,
            flush_scheduled: false,
        };
        m.set_roster(roster);
        m
    }

    fn set_roster(&mut self, roster: Vec<(LearnerId, String)>) {
        let mut next = BTreeMap::new();
        for (id, name) in roster {
            let state = self.students.remove(&id).unwrap_or(StudentState {
                learner_id: id.clone(),
                name: name.clone(),
                online: false,
                activity_id: None,
                session_id: None,
                answered: 0,
                correct: 0,
            });
            next.insert(id, StudentState { name, ..state });
        }
        self.students = next;
    }

    fn snapshot(&self) -> String {
        ClassFeedFrame::Snapshot {
            class: &self.class,
            students: self.students.values().collect(),
        }
        .to_json()
    }

    /// Asks where each student is (live actors here, the other nodes' word), so the first
    /// snapshot is current whichever node the students play on.
    /// With `announce`, the snapshot then goes to every connection (the roster changed).
    fn refresh(&mut self, ctx: &mut Context<Self>, announce: bool) {
        let ids: Vec<LearnerId> = self.students.keys().cloned().collect();
        ctx.wait(
            self.env
                .where_are(ids)
                .into_actor(self)
                .map(move |found, act, _| {
                    for (id, st) in found {
                        if let Some(s) = act.students.get_mut(&id) {
                            s.online = st.online;
                            s.activity_id = st.activity_id;
                            s.session_id = st.session_id;
                            s.answered = st.answered;
                            s.correct = st.correct;
                        }
                    }
                    if announce {
                        act.flush();
                        let snapshot = act.snapshot();
                        act.audience.broadcast(snapshot);
                    }
                }),
        );
    }
}

impl ClassMonitor {
    /// Sends a delta now if the last frame went [`BATCH_EVERY`] ago, or with the others
    /// that come until then.
    fn send(&mut self, json: String, ctx: &mut Context<Self>) {
        self.pending.push(json);
        if self.flush_scheduled {
            return;
        }
        let wait = self.last_sent.map_or(Duration::ZERO, |at| {
            BATCH_EVERY.saturating_sub(at.elapsed())
        });
        if wait.is_zero() {
            self.flush();
        } else {
            self.flush_scheduled = true;
            ctx.run_later(wait, |act, _| {
                act.flush_scheduled = false;
                act.flush();
            });
        }
    }

    /// What waits, to every viewer: one frame as it is, several as a `batch`.
    fn flush(&mut self) {
        let json = match self.pending.len() {
            0 => return,
            1 => self.pending.pop().expect("one waits"),
            _ => ClassFeedFrame::batch(&std::mem::take(&mut self.pending)),
        };
        self.last_sent = Some(Instant::now());
        self.audience.broadcast(json);
    }
}

impl Actor for ClassMonitor {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        self.refresh(ctx, false);
        Audience::stop_when_idle(self.env.linger(), ctx, |a: &mut Self| &mut a.audience);
    }

    fn stopped(&mut self, ctx: &mut Context<Self>) {
        self.env.unregister(&self.class_id, &ctx.address());
    }
}

impl Handler<MonitorConnect> for ClassMonitor {
    type Result = ();
    fn handle(&mut self, msg: MonitorConnect, _: &mut Context<Self>) {
        if msg
            .tx
            .try_send(Outbound::Frame {
                json: self.snapshot(),
                is_error: false,
            })
            .is_ok()
        {
            self.audience.add(msg.conn_id, msg.tx);
        }
    }
}

impl Handler<MonitorDisconnect> for ClassMonitor {
    type Result = ();
    fn handle(&mut self, msg: MonitorDisconnect, _: &mut Context<Self>) {
        self.audience.remove(msg.conn_id);
    }
}

impl Handler<Roster> for ClassMonitor {
    type Result = ();
    fn handle(&mut self, msg: Roster, ctx: &mut Context<Self>) {
        self.set_roster(msg.students);
        self.refresh(ctx, true);
    }
}

impl Handler<ClassEvent> for ClassMonitor {
    type Result = ();
    fn handle(&mut self, event: ClassEvent, ctx: &mut Context<Self>) {
        // A learner no longer on the roster (removed on another node a moment ago, its actor
        // not told yet) streams nothing here.
        if !self.students.contains_key(event.learner_id()) {
            return;
        }
        let json = match event {
            ClassEvent::Presence {
                learner_id,
                online,
                activity_id,
                session_id,
            } => {
                if let Some(s) = self.students.get_mut(&learner_id) {
                    s.online = online;
                    if s.session_id != session_id {
                        s.answered = 0;
                        s.correct = 0;
                    }
                    s.activity_id = activity_id.clone();
                    s.session_id = session_id.clone();
                }
                ClassFeedFrame::Presence {
                    learner_id: &learner_id,
                    online,
                    activity_id: activity_id.as_deref(),
                    session_id: session_id.as_deref(),
                }
                .to_json()
            }
            ClassEvent::Answer {
                learner_id,
                session_id,
                question_id,
                correct,
                answered,
                right,
            } => {
                if let Some(s) = self.students.get_mut(&learner_id) {
                    s.session_id = Some(session_id.clone());
                    s.answered = answered;
                    s.correct = right;
                }
                ClassFeedFrame::Answer {
                    learner_id: &learner_id,
                    session_id: &session_id,
                    question_id: &question_id,
                    correct,
                    answered,
                    right,
                }
                .to_json()
            }
            ClassEvent::Completed {
                learner_id,
                session_id,
                activity_id,
                accuracy,
                stars,
            } => {
                if let Some(s) = self.students.get_mut(&learner_id) {
                    s.activity_id = None;
                    s.session_id = None;
                }
                ClassFeedFrame::Completed {
                    learner_id: &learner_id,
                    session_id: &session_id,
                    activity_id: &activity_id,
                    accuracy,
                    stars,
                }
                .to_json()
            }
            ClassEvent::Achievement {
                learner_id,
                achievement,
            } => ClassFeedFrame::Achievement {
                learner_id: &learner_id,
                achievement: &achievement,
            }
            .to_json(),
            ClassEvent::TimeUp { learner_id } => {
                if let Some(s) = self.students.get_mut(&learner_id) {
                    s.online = false;
                }
                ClassFeedFrame::TimeUp {
                    learner_id: &learner_id,
                }
                .to_json()
            }
        };
        self.send(json, ctx);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outbox::{OutboxRx, outbox};
    use serde_json::Value;

    /// An engine where nobody plays anywhere yet.
    struct Quiet;

    impl ClassEnv for Quiet {
        fn linger(&self) -> Duration {
            Duration::from_secs(60)
        }
        fn where_are(
            &self,
            _: Vec<LearnerId>,
        ) -> LocalBoxFuture<'static, HashMap<LearnerId, LearnerStatus>> {
            Box::pin(async { HashMap::new() })
        }
        fn unregister(&self, _: &str, _: &Addr<ClassMonitor>) {}
    }

    fn answer(n: u32) -> ClassEvent {
        ClassEvent::Answer {
            learner_id: LearnerId::from("ada"),
            session_id: "s1".into(),
            question_id: format!("q{n}"),
            correct: true,
            answered: n,
            right: n,
        }
    }

    async fn frame(rx: &mut OutboxRx) -> (Value, Instant) {
        match rx.recv().await {
            Some(Outbound::Frame { json, .. }) => {
                (serde_json::from_str(&json).unwrap(), Instant::now())
            }
            other => panic!("a frame, not {other:?}"),
        }
    }

    #[actix_rt::test]
    async fn answers_close_together_reach_the_view_as_one_batch_in_order() {
        let class = ClassInfo {
            id: "c1".into(),
            name: "4B".into(),
            subject: None,
            join_code: "ABC123".into(),
        };
        let roster = vec![(LearnerId::from("ada"), "Ada".to_string())];
        let monitor = ClassMonitor::new("c1".into(), class, roster, Arc::new(Quiet)).start();
        let (tx, mut rx) = outbox(64);
        monitor.do_send(MonitorConnect { conn_id: 1, tx });
        assert_eq!(frame(&mut rx).await.0["type"], "snapshot");

        // A quiet class: the first answer goes at once, on its own.
        monitor.do_send(answer(1));
        let (first, first_at) = frame(&mut rx).await;
        assert_eq!(
            (first["type"].as_str(), first["answered"].as_u64()),
            (Some("answer"), Some(1))
        );

        // Nine more at once: one batch, in order, no sooner than BATCH_EVERY after the first.
        for n in 2..=10 {
            monitor.do_send(answer(n));
        }
        let (batch, batch_at) = frame(&mut rx).await;
        assert_eq!(batch["type"], "batch");
        let answered: Vec<u64> = batch["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["answered"].as_u64().unwrap())
            .collect();
        assert_eq!(answered, (2..=10).collect::<Vec<_>>());
        assert!(batch_at - first_at >= BATCH_EVERY - Duration::from_millis(5));

        // One more after a quiet spell: alone again, and the roster's state is kept.
        tokio::time::sleep(BATCH_EVERY).await;
        monitor.do_send(answer(11));
        let (last, _) = frame(&mut rx).await;
        assert_eq!(
            (last["type"].as_str(), last["answered"].as_u64()),
            (Some("answer"), Some(11))
        );
        assert!(rx.try_recv().is_none());
    }
}
