//! The engine's front door: configuration, the registries of live actors, and the calls the
//! server makes (connect a player, play over REST, open a parent feed or a class view, host a
//! game, change a limit, grant time). It sits above the actors it starts: each of them sees
//! only its own narrow view of it (`views`), so none imports it.

mod games;
mod open_games;
mod registry;
mod views;

use crate::ids::{ClassId, LearnerId};
use std::collections::HashMap;
use std::sync::{Arc, Weak};
use std::time::Duration;

use actix::prelude::*;
use chrono::Utc;

use crate::bus::Bus;
use crate::class_monitor::{ClassFeed, ClassMonitor, Roster};
use crate::events::{GameNews, LiveEvent};
use crate::flusher::FlushHandle;
use crate::game::{GameActor, GameLog, GameStore, MemoryJournal, Wake};
use crate::learner::{
    AssessmentRecorded, Grant, Learner, LearnerActor, OfflineTime, Refresh, Settings,
    TimeRequestAnswered,
};
use crate::loader::Loader;
use crate::next_activity::{CatalogEntry, LearnerTraits, Next};
use crate::parents::{NotificationSink, ParentFeed, ParentNotifier};
use crate::protocol::AssessmentFrame;
use crate::screen_time::{local_date, parse_tz};
use crate::session::LiveSession;
use crate::shared::{LearnerStatus, Shared};
use crate::store::{ContentSource, LearnerStart, SessionStatus, Store, StoreError};
use open_games::OpenGames;
use registry::Registry;

pub use crate::engine_config::EngineConfig;

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

pub struct Engine {
    /// Itself, for what actors start with a handle on the engine.
    me: Weak<Engine>,
    store: Arc<dyn Store>,
    content: Arc<dyn ContentSource>,
    flush: FlushHandle,
    config: EngineConfig,
    /// Reads learners' starts in batches.
    loader: Loader,
    learners: Registry<LearnerId, LearnerActor>,
    parents: Registry<String, ParentNotifier>,
    classes: Registry<ClassId, ClassMonitor>,
    /// Class games hosted on this node (see `crate::game`).
    games: Registry<String, GameActor>,
    /// Those of them that still take players.
    open_games: OpenGames,
    /// Where games and their journals are kept (the server's database) ...
    game_store: std::sync::OnceLock<Arc<dyn GameStore>>,
    /// ... or, until one is set, memory.
    memory_games: Arc<MemoryJournal>,
    /// Where games' records go (the server's database); none in the engine's own tests.
    game_log: std::sync::OnceLock<Arc<dyn GameLog>>,
    bus: std::sync::OnceLock<Arc<dyn Bus>>,
    /// Where stored notifications go beyond the open pages (Web Push), once set.
    sink: std::sync::OnceLock<Arc<dyn NotificationSink>>,
    /// What the nodes share (screen time, presence), when there are several.
    shared: std::sync::OnceLock<Arc<dyn Shared>>,
    /// Learners whose actor is being started (loads in flight), with how many starts.
    starting: std::sync::Mutex<HashMap<LearnerId, usize>>,
    /// Bumped by every limit or grant that reached a learner while it was starting.
    changes: std::sync::atomic::AtomicU64,
}

/// A start in progress; tells whether a change raced it.
struct StartGuard<'a> {
    engine: &'a Engine,
    learner_id: LearnerId,
    seen: u64,
}

impl StartGuard<'_> {
    fn changed(&self) -> bool {
        self.engine
            .changes
            .load(std::sync::atomic::Ordering::SeqCst)
            != self.seen
    }
}

impl Drop for StartGuard<'_> {
    fn drop(&mut self) {
        let mut starting = self
            .engine
            .starting
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        if let Some(n) = starting.get_mut(&self.learner_id) {
            *n -= 1;
            if *n == 0 {
                starting.remove(&self.learner_id);
            }
        }
    }
}

impl Engine {
    /// Starts the flusher on the current arbiter. Call from inside an actix system.
    pub fn start(
        store: Arc<dyn Store>,
        content: Arc<dyn ContentSource>,
        config: EngineConfig,
    ) -> Arc<Self> {
        let flush = FlushHandle::start(store.clone(), config.flush);
        Arc::new_cyclic(|me| Self {
            me: me.clone(),
            loader: Loader::start(store.clone()),
            store,
            content,
            flush,
            config,
            learners: Registry::default(),
            parents: Registry::default(),
            classes: Registry::default(),
            games: Registry::default(),
            open_games: OpenGames::default(),
            game_store: std::sync::OnceLock::new(),
            memory_games: Arc::default(),
            game_log: std::sync::OnceLock::new(),
            bus: std::sync::OnceLock::new(),
            sink: std::sync::OnceLock::new(),
            shared: std::sync::OnceLock::new(),
            starting: Default::default(),
            changes: Default::default(),
        })
    }

    /// The engine as shared (it lives as long as any actor holds it).
    fn arc(&self) -> Arc<Engine> {
        self.me.upgrade().expect("the engine outlives its actors")
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

    /// The group commit's load: whether answers would be refused now, and for how long.
    pub fn load(&self) -> crate::flusher::Load {
        self.flush.load().clone()
    }

    /// Learners with a live actor on this node.
    pub fn live_learners(&self) -> usize {
        self.learners.len()
    }

    /// The live actor of a learner, if there is one.
    pub fn live(&self, learner_id: &LearnerId) -> Option<Learner> {
        self.live_addr(learner_id).map(Learner)
    }

    fn live_addr(&self, learner_id: &str) -> Option<Addr<LearnerActor>> {
        self.learners.get(learner_id)
    }

    /// The learner's actor, started (with today's screen time and any open session loaded)
    /// if it is not live yet.
    pub async fn learner(self: &Arc<Self>, learner_id: &LearnerId) -> Result<Learner, EngineError> {
        self.learner_addr(learner_id).await.map(Learner)
    }

    async fn learner_addr(
        self: &Arc<Self>,
        learner_id: &LearnerId,
    ) -> Result<Addr<LearnerActor>, EngineError> {
        if let Some(addr) = self.live_addr(learner_id) {
            return Ok(addr);
        }
        // Changes that arrive while this start loads are noted, so that none is lost.
        let raced = self.racing(learner_id);
        let LearnerStart {
            profile,
            today,
            used,
            open_session,
        } = self
            .loader
            .load(learner_id)
            .await?
            .ok_or(EngineError::UnknownLearner)?;
        let tz = parse_tz(&profile.timezone);
        let mut used = used;
        // Other nodes' seconds not stored yet.
        if let Some(shared) = self.shared()
            && let Some(total) = shared.used(learner_id, today).await
        {
            used.used_seconds = used.used_seconds.max(total);
        }
        let mut session = None;
        if let Some(snapshot) = open_session
            && snapshot.status == SessionStatus::Open
            && let Some(activity) = self.content.activity(&snapshot.activity_id).await?
        {
            session = Some(LiveSession::from_snapshot(&snapshot, activity));
        }
        let catalog = self.content.achievements().await?;
        // Someone else may have started it while we were loading: theirs wins.
        let engine = self.clone();
        let addr = self.learners.get_or_start(learner_id, move || {
            LearnerActor::new(engine, profile, tz, today, used, session, catalog)
        });
        if raced.changed() {
            // A limit or a grant was written while we loaded: read them again, as stored.
            if let Some(p) = self.store.load_learner(learner_id).await? {
                let now = self.store.load_screen_time(learner_id, today).await?;
                addr.do_send(Refresh {
                    daily_limit_seconds: p.daily_limit_seconds,
                    notifications_enabled: p.notifications_enabled,
                    downtime: p.downtime,
                    bonus_seconds: now.bonus_seconds,
                });
            }
        }
        Ok(addr)
    }

    /// Reads every live learner's limit, notifications and today's grants again, as stored:
    /// for when this node may have missed changes made on another (its bus was away).
    pub async fn reload_live(&self) {
        let live: Vec<(LearnerId, Addr<LearnerActor>)> = self
            .learners
            .lock()
            .iter()
            .map(|(id, addr)| (id.clone(), addr.clone()))
            .collect();
        for (learner_id, addr) in live {
            let Ok(Some(p)) = self.store.load_learner(&learner_id).await else {
                continue;
            };
            let today = local_date(parse_tz(&p.timezone), Utc::now());
            if let Ok(now) = self.store.load_screen_time(&learner_id, today).await {
                addr.do_send(Refresh {
                    daily_limit_seconds: p.daily_limit_seconds,
                    notifications_enabled: p.notifications_enabled,
                    downtime: p.downtime,
                    bonus_seconds: now.bonus_seconds,
                });
            }
        }
    }

    /// Marks a start of `learner_id` in progress until the guard is dropped.
    fn racing(&self, learner_id: &LearnerId) -> StartGuard<'_> {
        let mut starting = self.starting.lock().unwrap_or_else(|p| p.into_inner());
        *starting.entry(learner_id.clone()).or_insert(0) += 1;
        let seen = self.changes.load(std::sync::atomic::Ordering::SeqCst);
        drop(starting);
        StartGuard {
            engine: self,
            learner_id: learner_id.clone(),
            seen,
        }
    }

    /// A change for a learner with no live actor: counted if a start is in progress.
    fn note_change(&self, learner_id: &str) {
        let starting = self.starting.lock().unwrap_or_else(|p| p.into_inner());
        if starting.contains_key(learner_id) {
            self.changes
                .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
    }

    /// The parent's feed, for a parent's socket.
    pub fn parent_feed(self: &Arc<Self>, parent_id: &str) -> ParentFeed {
        ParentFeed(self.parent(parent_id))
    }

    /// The parent's notifier, started if needed (it loads nothing).
    fn parent(self: &Arc<Self>, parent_id: &str) -> Addr<ParentNotifier> {
        let engine = self.clone();
        self.parents.get_or_start(&parent_id.to_string(), || {
            ParentNotifier::new(parent_id.to_string(), engine)
        })
    }

    /// The parent's notifier if one is live (presence and time need no storing).
    fn live_parent(&self, parent_id: &str) -> Option<Addr<ParentNotifier>> {
        self.parents.get(parent_id)
    }

    /// The class's live view, started with its roster (id, name) if needed.
    pub fn class_feed(
        self: &Arc<Self>,
        class_id: &ClassId,
        class: crate::protocol::feeds::ClassInfo,
        roster: Vec<(LearnerId, String)>,
    ) -> ClassFeed {
        let engine = self.clone();
        ClassFeed(self.classes.get_or_start(class_id, || {
            ClassMonitor::new(class_id.clone(), class, roster, engine)
        }))
    }

    /// A class's roster changed (id, name of each student): its live view, if any, follows.
    pub fn roster_changed(&self, class_id: &ClassId, students: Vec<(LearnerId, String)>) {
        if let Some(monitor) = self.live_class(class_id) {
            monitor.do_send(Roster { students });
        }
    }

    fn live_class(&self, class_id: &str) -> Option<Addr<ClassMonitor>> {
        self.classes.get(class_id)
    }

    /// Stored notifications go to `sink` too from now on (once, at start-up).
    pub fn set_notification_sink(&self, sink: Arc<dyn NotificationSink>) {
        let _ = self.sink.set(sink);
    }

    /// Hands a stored notification to the sink, if there is one.
    fn beyond(&self, notification: &crate::store::Notification) {
        if let Some(sink) = self.sink.get() {
            sink.stored(notification);
        }
    }

    /// A notification the server stored itself (outside the group commit): the parent's
    /// feeds on every node hear it, and the sink gets it once.
    pub fn notify_parent(&self, notification: &crate::store::Notification) {
        self.tell_parent(
            &notification.parent_id,
            crate::events::ParentFrame::Notification {
                notification: notification.view(),
            },
        );
        self.beyond(notification);
    }

    /// Connects the engine to the other nodes (once, at start-up).
    pub fn set_bus(&self, bus: Arc<dyn Bus>) {
        let _ = self.bus.set(bus);
    }

    /// Shares screen time and presence with the other nodes (once, at start-up, before any
    /// learner is live).
    pub fn set_shared(&self, shared: Arc<dyn Shared>) {
        let _ = self.shared.set(shared);
    }

    pub fn shared(&self) -> Option<&Arc<dyn Shared>> {
        self.shared.get()
    }

    /// Today's screen time as every node counted it, if the nodes share it and it answers.
    pub async fn shared_used(
        &self,
        learner_id: &LearnerId,
        date: chrono::NaiveDate,
    ) -> Option<u64> {
        self.shared()?.used(learner_id, date).await
    }

    /// Where these learners are: this node's live actors, and the other nodes' word.
    pub async fn where_are(&self, learner_ids: &[LearnerId]) -> HashMap<LearnerId, LearnerStatus> {
        let mut found = match self.shared() {
            Some(shared) => shared
                .presence(learner_ids.to_vec())
                .await
                .unwrap_or_default(),
            None => HashMap::new(),
        };
        let asks = learner_ids.iter().filter_map(|id| {
            let addr = self.live_addr(id)?;
            Some(async move { (id.clone(), addr.send(crate::learner::Status).await.ok()) })
        });
        for (id, status) in futures_util::future::join_all(asks).await {
            let Some(mut here) = status else { continue };
            match found.get_mut(&id) {
                // No activity here: the other nodes' word on it stands.
                Some(there) if here.session_id.is_none() => there.online |= here.online,
                there => {
                    here.online |= there.is_some_and(|t| t.online);
                    found.insert(id, here);
                }
            }
        }
        found
    }

    /// Hands an event already delivered here to the other nodes.
    fn relay(&self, event: LiveEvent) {
        if let Some(bus) = self.bus.get() {
            bus.publish(event);
        }
    }

    /// Delivers an event on this node (to a live parent feed or class view), then relays it.
    fn announce(&self, event: LiveEvent) {
        self.deliver(event.clone());
        self.relay(event);
    }

    /// Tells the parent's feeds on every node (nothing is stored).
    pub fn tell_parent(&self, parent_id: &str, frame: crate::events::ParentFrame) {
        self.announce(LiveEvent::Parent {
            parent_id: parent_id.to_string(),
            frame,
        });
    }

    /// Delivers an event that came from another node to this node's parent feeds and class views.
    pub fn deliver(&self, event: LiveEvent) {
        match event {
            LiveEvent::Parent { parent_id, frame } => {
                if let Some(n) = self.live_parent(&parent_id) {
                    n.do_send(frame);
                }
            }
            LiveEvent::Class { class_id, event } => {
                if let Some(m) = self.live_class(&class_id) {
                    m.do_send(event);
                }
            }
            LiveEvent::Learners { learner_ids, push } => {
                for id in &learner_ids {
                    if let Some(addr) = self.live_addr(id) {
                        addr.do_send(push.clone());
                    }
                }
            }
            LiveEvent::Game(GameNews::Opened { class_id, game }) => {
                self.open_games.open(class_id, game)
            }
            LiveEvent::Game(GameNews::Changed { game_id }) => {
                if let Some(game) = self.games.get(&game_id) {
                    game.do_send(Wake);
                }
            }
            LiveEvent::Game(GameNews::Closed { game_id }) => self.open_games.close(&game_id),
        }
    }

    /// A learner joined or left classes: its actor (if live) and the classes' monitors learn it.
    pub fn classes_changed(&self, learner_id: &LearnerId, class_ids: Vec<ClassId>) {
        if let Some(addr) = self.live_addr(learner_id) {
            addr.do_send(crate::learner::Classes { class_ids });
        }
    }

    /// `GET /v1/learners/{id}/next`: from the live actor's history when the learner is live
    /// here, else from the store. `None` only when nothing in `catalog` can be started.
    pub async fn next_activity(
        &self,
        learner_id: &LearnerId,
        learner: LearnerTraits,
        catalog: Arc<Vec<CatalogEntry>>,
    ) -> Result<Option<Next>, EngineError> {
        let live = self.live_addr(learner_id);
        let next = crate::learner::next_activity_for(
            live,
            self.store.as_ref(),
            learner_id,
            learner,
            catalog,
        )
        .await?;
        Ok(next)
    }

    /// For a graceful stop: every live learner writes its screen time, then everything queued
    /// is committed (bounded by `timeout`), then every learner tells its connections what is
    /// saved. Returns whether it all got written.
    pub async fn drain(&self, timeout: Duration) -> bool {
        let learners: Vec<Addr<LearnerActor>> = self.learners.lock().values().cloned().collect();
        // Each learner first handles what its connections sent before (one mailbox, in order),
        // so their answers are queued before the flusher is asked to drain.
        for addr in &learners {
            let _ = addr.send(crate::learner::Persist).await;
        }
        let written = tokio::time::timeout(timeout, self.flush.drain())
            .await
            .is_ok();
        for addr in &learners {
            let _ = addr.send(crate::learner::SaySaved).await;
        }
        written
    }

    /// A parent changed the daily limit, notifications or downtime: felt at once by open
    /// sessions (a downtime window that holds now closes them).
    pub fn settings_changed(&self, learner_id: &LearnerId, settings: Settings) {
        match self.live_addr(learner_id) {
            Some(addr) => addr.do_send(settings),
            None => self.note_change(learner_id),
        }
    }

    /// A parent answered a request for more time (an approval already stored as a grant):
    /// the child hears the answer, then its time.
    pub fn time_request_answered(&self, learner_id: &LearnerId, answer: TimeRequestAnswered) {
        match self.live_addr(learner_id) {
            Some(addr) => addr.do_send(answer),
            None => self.note_change(learner_id),
        }
    }

    /// A teacher's assessment (already stored) reaches the learner's open play sockets on this
    /// node; a learner not live here hears nothing (the page reads the list when it opens).
    pub fn assessment_recorded(&self, learner_id: &LearnerId, assessment: AssessmentFrame) {
        if let Some(addr) = self.live_addr(learner_id) {
            addr.do_send(AssessmentRecorded(assessment));
        }
    }

    /// Offline play on `date` newly counted by a sync (already stored): felt at once.
    pub fn offline_time(&self, learner_id: &LearnerId, date: chrono::NaiveDate, seconds: u64) {
        match self.live_addr(learner_id) {
            Some(addr) => addr.do_send(OfflineTime { date, seconds }),
            None => self.note_change(learner_id),
        }
    }

    /// Extra time for today (already stored by the caller): felt at once.
    pub fn grant(&self, learner_id: &LearnerId, seconds: u64) {
        match self.live_addr(learner_id) {
            Some(addr) => addr.do_send(Grant { seconds }),
            None => self.note_change(learner_id),
        }
    }
}
