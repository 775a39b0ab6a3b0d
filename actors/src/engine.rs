//! The engine's front door: configuration, the learner registry, and the calls the server
//! makes (connect a player, play over REST, change a limit, grant time).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix::prelude::*;
use chrono::Utc;

use crate::flusher::{FlushConfig, FlushHandle};
use crate::learner::{Grant, LearnerActor, Settings};
use crate::screen_time::{local_date, parse_tz};
use crate::session::LiveSession;
use crate::store::{ContentSource, SessionStatus, Store, StoreError};

#[derive(Debug, Clone, Copy)]
pub struct EngineConfig {
    pub flush: FlushConfig,
    /// Screen time stops counting this long after the learner last did something.
    pub idle_after: Duration,
    /// A learner's actor stays this long after its last connection closed.
    pub linger: Duration,
    /// Screen time is written at least this often while counting.
    pub persist_every: Duration,
    /// `time` is pushed at least this often while counting.
    pub push_every: Duration,
    pub tick: Duration,
    /// A REST request keeps a learner "connected" for screen time this long.
    pub rest_presence: Duration,
}

impl Default for EngineConfig {
    fn default() -> Self {
        Self {
            flush: FlushConfig::default(),
            idle_after: Duration::from_secs(60),
            linger: Duration::from_secs(120),
            persist_every: Duration::from_secs(15),
            push_every: Duration::from_secs(60),
            tick: Duration::from_secs(1),
            rest_presence: Duration::from_secs(60),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EngineError {
    UnknownLearner,
    Storage(StoreError),
    /// The learner's actor stopped while we talked to it; try again.
    Gone,
}

impl std::fmt::Display for EngineError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EngineError::UnknownLearner => f.write_str("unknown learner"),
            EngineError::Storage(e) => write!(f, "storage: {e}"),
            EngineError::Gone => f.write_str("learner actor stopped"),
        }
    }
}

impl std::error::Error for EngineError {}

impl From<StoreError> for EngineError {
    fn from(e: StoreError) -> Self {
        EngineError::Storage(e)
    }
}

type Registry = Arc<Mutex<HashMap<String, Addr<LearnerActor>>>>;

pub struct Engine {
    pub(crate) store: Arc<dyn Store>,
    pub(crate) content: Arc<dyn ContentSource>,
    pub(crate) flush: FlushHandle,
    pub(crate) config: EngineConfig,
    registry: Registry,
}

impl Engine {
    /// Starts the flusher on the current arbiter. Call from inside an actix system.
    pub fn start(
        store: Arc<dyn Store>,
        content: Arc<dyn ContentSource>,
        config: EngineConfig,
    ) -> Arc<Self> {
        let flush = FlushHandle::start(store.clone(), config.flush);
        Arc::new(Self {
            store,
            content,
            flush,
            config,
            registry: Registry::default(),
        })
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    pub fn config(&self) -> &EngineConfig {
        &self.config
    }

    /// Answers waiting for the database.
    pub fn backlog(&self) -> usize {
        self.flush.backlog()
    }

    /// Learners with a live actor on this node.
    pub fn live_learners(&self) -> usize {
        self.registry
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .len()
    }

    /// The live actor of a learner, if there is one.
    pub fn live(&self, learner_id: &str) -> Option<Addr<LearnerActor>> {
        let reg = self.registry.lock().unwrap_or_else(|p| p.into_inner());
        reg.get(learner_id).filter(|a| a.connected()).cloned()
    }

    /// The learner's actor, started (with today's screen time and any open session loaded)
    /// if it is not live yet.
    pub async fn learner(
        self: &Arc<Self>,
        learner_id: &str,
    ) -> Result<Addr<LearnerActor>, EngineError> {
        if let Some(addr) = self.live(learner_id) {
            return Ok(addr);
        }
        let profile = self
            .store
            .load_learner(learner_id)
            .await?
            .ok_or(EngineError::UnknownLearner)?;
        let tz = parse_tz(&profile.timezone);
        let now = Utc::now();
        let today = local_date(tz, now);
        let used = self.store.load_screen_time(learner_id, today).await?;
        let mut session = None;
        if let Some(snapshot) = self.store.open_session(learner_id).await? {
            if snapshot.status == SessionStatus::Open {
                if let Some(activity) = self.content.activity(&snapshot.activity_id).await? {
                    session = Some(LiveSession::from_snapshot(&snapshot, activity));
                }
            }
        }
        let mut reg = self.registry.lock().unwrap_or_else(|p| p.into_inner());
        // Someone else may have started it while we were loading: theirs wins.
        if let Some(addr) = reg.get(learner_id).filter(|a| a.connected()) {
            return Ok(addr.clone());
        }
        let actor = LearnerActor::new(self.clone(), profile, tz, today, used, session);
        let addr = actor.start();
        reg.insert(learner_id.to_string(), addr.clone());
        Ok(addr)
    }

    /// Forgets a stopped actor (only if the registry still points at it).
    pub(crate) fn unregister(&self, learner_id: &str, addr: &Addr<LearnerActor>) {
        let mut reg = self.registry.lock().unwrap_or_else(|p| p.into_inner());
        if reg.get(learner_id).is_some_and(|a| a == addr) {
            reg.remove(learner_id);
        }
    }

    /// A parent changed the daily limit or notifications: felt at once by open sessions.
    pub fn settings_changed(
        &self,
        learner_id: &str,
        daily_limit_seconds: u64,
        notifications_enabled: bool,
    ) {
        if let Some(addr) = self.live(learner_id) {
            addr.do_send(Settings {
                daily_limit_seconds,
                notifications_enabled,
            });
        }
    }

    /// Extra time for today (already stored by the caller): felt at once.
    pub fn grant(&self, learner_id: &str, seconds: u64) {
        if let Some(addr) = self.live(learner_id) {
            addr.do_send(Grant { seconds });
        }
    }
}
