//! `ClassMonitor`: one per class a teacher is watching. It keeps the live roster (who is
//! online, in which activity, how far) and streams what changes to the teacher's
//! connections: a snapshot once on connect, then only deltas, so a big class does not re-send
//! the roster on every answer. Never the answer itself: only whether it was right.
//! A quiet class's deltas go out at once; past four frames a second ([`Pacer`]) the rest wait
//! and go together as one `batch` frame, so a busy class costs its viewers at most four
//! frames a second however fast it plays.
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
use crate::pacer::Pacer;
use crate::protocol::Outbound;
use crate::protocol::feeds::{ClassFeedFrame, ClassInfo};
use crate::shared::LearnerStatus;

pub use crate::protocol::feeds::StudentState;

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
    pacer: Pacer,
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
            pacer: Pacer::new(Instant::now()),
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
    /// Sends a delta now if the [`Pacer`] allows a frame, or with those that come until it
    /// does.
    fn send(&mut self, json: String, ctx: &mut Context<Self>) {
        self.pending.push(json);
        if !self.flush_scheduled {
            self.flush_when_paced(ctx);
        }
    }

    fn flush_when_paced(&mut self, ctx: &mut Context<Self>) {
        match self.pacer.take(Instant::now()) {
            Ok(()) => self.flush(),
            Err(wait) => {
                self.flush_scheduled = true;
                ctx.run_later(wait, |act, ctx| {
                    act.flush_scheduled = false;
                    act.flush_when_paced(ctx);
                });
            }
        }
    }

    /// What waits, to every viewer: one frame as it is, several as a `batch`.
    fn flush(&mut self) {
        let json = match self.pending.len() {
            0 => return,
            1 => self.pending.pop().expect("one waits"),
            _ => ClassFeedFrame::batch(&std::mem::take(&mut self.pending)),
        };
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
    async fn a_quiet_class_streams_at_once_and_a_busy_one_in_batches_in_order() {
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

        // Twenty answers at once: the pacer's burst goes at once, each on its own; the rest
        // in one batch, in order, no sooner than a frame's share of a second later.
        for n in 1..=20 {
            monitor.do_send(answer(n));
        }
        let burst = Pacer::BURST as u64;
        let mut last_single = Instant::now();
        for n in 1..=burst {
            let (single, at) = frame(&mut rx).await;
            assert_eq!(
                (single["type"].as_str(), single["answered"].as_u64()),
                (Some("answer"), Some(n))
            );
            last_single = at;
        }
        let (batch, batch_at) = frame(&mut rx).await;
        assert_eq!(batch["type"], "batch");
        let answered: Vec<u64> = batch["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["answered"].as_u64().unwrap())
            .collect();
        assert_eq!(answered, (burst + 1..=20).collect::<Vec<_>>());
        let share = Duration::from_secs_f64(1.0 / Pacer::PER_SECOND);
        assert!(batch_at - last_single >= share - Duration::from_millis(5));
        assert!(rx.try_recv().is_none());
    }
}
