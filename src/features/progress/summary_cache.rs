//! Learners' progress summaries kept in memory and moved by the group commit itself: a parent
//! opening the dashboard again and again while the child plays is answered without the
//! database. A summary read from the database is kept; each batch the flusher commits adds its
//! session ends and unlocks to the summaries it touches, and every other write to a learner's history
//! (study pages, imports, deletes) makes the summary be read again.
//!
//! Two races are closed by each learner's slot:
//! - a read that began before a write must not keep what it read (it may miss the write):
//!   every write turns a loading slot empty, and the read keeps its result only if its
//!   ticket is still there;
//! - between a batch's commit and the moment its changes are added here, the database is
//!   ahead of the kept summary: while a batch that touches a learner is being written, that
//!   learner's reads go to the database and keep nothing.
//!
//! Other nodes hear of every change on the control channel (`Change::Progress`) and read the
//! learner again. While Redis is configured but away, nothing kept is trusted: a change made
//! on another node could go unheard.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

use studyhub_actors::ids::LearnerId;

use super::summary::SummaryParts;
use crate::infra::cache::RedisCache;
use crate::infra::db::models::DayProgress;
use crate::infra::store::{BatchChanges, CommitWatch, WriteGuard};

/// How long a kept summary is trusted at most: bounds the lag of a change whose control
/// message was lost (a node's own changes are applied at once).
const FRESH_FOR: Duration = Duration::from_secs(60);
/// About 1–2 KiB each; past this, everything not being read or written is let go.
const MAX_ENTRIES: usize = 50_000;

type TellOthers = Box<dyn Fn(Vec<LearnerId>) + Send + Sync>;

pub struct SummaryCache {
    slots: Mutex<HashMap<LearnerId, Slot>>,
    tickets: AtomicU64,
    /// `None`: one node alone, whose own changes are all there is.
    redis: Option<Arc<RedisCache>>,
    /// Publishes the learners whose summaries changed here (set by the control channel).
    others: OnceLock<TellOthers>,
}

#[derive(Default)]
struct Slot {
    state: State,
    /// Batches touching this learner being written now.
    writing: u32,
}

#[derive(Default)]
enum State {
    #[default]
    Empty,
    /// A read from the database is under way; it may keep its result if this is still here.
    Loading(u64),
    Ready(Arc<SummaryParts>, Instant),
}

/// What [`SummaryCache::lookup`] found.
pub enum Lookup {
    Kept(Arc<SummaryParts>),
    /// Read it from the database, then hand it to [`SummaryCache::keep`] with the ticket (if
    /// any: none while a write is under way).
    Read(Option<Ticket>),
}

pub struct Ticket(u64);

impl SummaryCache {
    pub fn new(redis: Option<Arc<RedisCache>>) -> Arc<Self> {
        Arc::new(Self {
            slots: Mutex::default(),
            tickets: AtomicU64::new(1),
            redis,
            others: OnceLock::new(),
        })
    }

    /// How this node tells the others that summaries changed (once, at start).
    pub fn tell_others_with(&self, f: impl Fn(Vec<LearnerId>) + Send + Sync + 'static) {
        let _ = self.others.set(Box::new(f));
    }

    fn slots(&self) -> MutexGuard<'_, HashMap<LearnerId, Slot>> {
        self.slots.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Whether every change made elsewhere reaches this node now.
    fn trusted(&self) -> bool {
        self.redis.as_ref().is_none_or(|r| r.is_up())
    }

    pub fn lookup(&self, id: &LearnerId) -> Lookup {
        if !self.trusted() {
            return Lookup::Read(None);
        }
        let mut slots = self.slots();
        let slot = slots.entry(id.clone()).or_default();
        if slot.writing > 0 {
            return Lookup::Read(None);
        }
        if let State::Ready(parts, at) = &slot.state
            && at.elapsed() < FRESH_FOR
        {
            return Lookup::Kept(parts.clone());
        }
        let ticket = self.tickets.fetch_add(1, Ordering::Relaxed);
        slot.state = State::Loading(ticket);
        Lookup::Read(Some(Ticket(ticket)))
    }

    /// Keeps what a read found, unless a write came in between.
    pub fn keep(&self, id: &LearnerId, ticket: Ticket, parts: Arc<SummaryParts>) {
        let mut slots = self.slots();
        if slots.len() >= MAX_ENTRIES {
            // Reads under way keep nothing either (their slot goes): simpler than an LRU for a
            // cache this size, which a node fills only after tens of thousands of families.
            slots.retain(|_, s| s.writing > 0);
        }
        if let Some(slot) = slots.get_mut(id)
            && matches!(slot.state, State::Loading(t) if t == ticket.0)
        {
            slot.state = State::Ready(parts, Instant::now());
        }
    }

    /// These learners' histories changed outside the group commit (or on another node): their
    /// summaries are read again.
    pub fn forget(&self, ids: &[LearnerId]) {
        let mut slots = self.slots();
        for id in ids {
            forget_in(&mut slots, id);
        }
    }

    /// Every summary is read again (an activity moved category; messages were missed).
    pub fn clear(&self) {
        self.slots().retain(|_, s| {
            s.state = State::Empty;
            s.writing > 0
        });
    }

    /// A batch touching `ids` is about to be written: until [`Writing::stored`] (or the
    /// guard's drop, when it failed) their reads go to the database.
    pub fn writing(self: &Arc<Self>, mut ids: Vec<LearnerId>) -> Writing {
        ids.sort_unstable();
        ids.dedup();
        let mut slots = self.slots();
        for id in &ids {
            let slot = slots.entry(id.clone()).or_default();
            if matches!(slot.state, State::Loading(_)) {
                slot.state = State::Empty;
            }
            slot.writing += 1;
        }
        drop(slots);
        Writing {
            cache: self.clone(),
            ids,
            done: false,
        }
    }
}

/// The kept summary of `id`, to change in place.
fn ready<'a>(slots: &'a mut HashMap<LearnerId, Slot>, id: &str) -> Option<&'a mut SummaryParts> {
    match slots.get_mut(id) {
        Some(Slot {
            state: State::Ready(parts, _),
            ..
        }) => Some(Arc::make_mut(parts)),
        _ => None,
    }
}

fn forget_in(slots: &mut HashMap<LearnerId, Slot>, id: &LearnerId) {
    if let Some(slot) = slots.get_mut(id) {
        slot.state = State::Empty;
        if slot.writing == 0 {
            slots.remove(id);
        }
    }
}

/// A batch being written (see [`SummaryCache::writing`]).
pub struct Writing {
    cache: Arc<SummaryCache>,
    ids: Vec<LearnerId>,
    done: bool,
}

impl Writing {
    /// The batch is committed: its changes move the kept summaries, and other nodes hear of
    /// them.
    pub fn stored(mut self, stored: BatchChanges) {
        let mut slots = self.cache.slots();
        for d in &stored.days {
            if let Some(parts) = ready(&mut slots, &d.learner_id) {
                parts.add_day(&DayProgress {
                    date: d.date,
                    category: d.category.clone(),
                    activities_completed: d.activities_completed,
                    questions_answered: d.questions_answered,
                    questions_correct: d.questions_correct,
                    study_seconds: d.study_seconds,
                    stars: d.stars,
                    points: d.points,
                });
            }
        }
        for c in &stored.completions {
            if let Some(parts) = ready(&mut slots, c.learner_id.as_str()) {
                parts.add_completed(&c.activity_id, &c.category, c.accuracy, c.ended_at);
            }
        }
        for (id, points) in &stored.rewards {
            if let Some(parts) = ready(&mut slots, id.as_str()) {
                parts.add_reward(*points);
            }
        }
        for id in &stored.read_again {
            forget_in(&mut slots, id);
        }
        self.release(&mut slots);
        drop(slots);
        self.done = true;
        if let Some(tell) = self.cache.others.get() {
            tell(std::mem::take(&mut self.ids));
        }
    }

    fn release(&self, slots: &mut HashMap<LearnerId, Slot>) {
        for id in &self.ids {
            if let Some(slot) = slots.get_mut(id) {
                slot.writing = slot.writing.saturating_sub(1);
                if slot.writing == 0 && matches!(slot.state, State::Empty) {
                    slots.remove(id);
                }
            }
        }
    }
}

/// The group commit tells the summaries of every batch (`infra::store` does not know them).
impl CommitWatch for SummaryCache {
    fn before_write(self: Arc<Self>, learners: Vec<LearnerId>) -> Box<dyn WriteGuard> {
        Box::new(self.writing(learners))
    }
}

impl WriteGuard for Writing {
    fn committed(self: Box<Self>, changes: BatchChanges) {
        self.stored(changes);
    }
}

impl Drop for Writing {
    /// Not known to be committed (it failed, or may have): read them all again.
    fn drop(&mut self) {
        if self.done {
            return;
        }
        let mut slots = self.cache.slots();
        for id in &self.ids {
            if let Some(slot) = slots.get_mut(id) {
                slot.state = State::Empty;
            }
        }
        self.release(&mut slots);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::infra::store::ProgressDelta;
    use chrono::NaiveDate;

    fn day(learner: &str, completed: i32) -> ProgressDelta {
        ProgressDelta {
            learner_id: learner.into(),
            date: NaiveDate::from_ymd_opt(2026, 12, 1).unwrap(),
            category: "math".into(),
            activities_completed: completed,
            questions_answered: 7,
            questions_correct: 6,
            study_seconds: 60,
            stars: 2,
            points: 20,
        }
    }

    fn answered(parts: &SummaryParts) -> i64 {
        let today = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
        parts.summarize("l", today).questions_answered
    }

    fn kept(cache: &SummaryCache, id: &LearnerId) -> Option<Arc<SummaryParts>> {
        match cache.lookup(id) {
            Lookup::Kept(p) => Some(p),
            Lookup::Read(_) => None,
        }
    }

    /// A read that finds nothing kept: its ticket.
    fn ticket(cache: &SummaryCache, id: &LearnerId) -> Ticket {
        match cache.lookup(id) {
            Lookup::Read(Some(t)) => t,
            _ => panic!("a read with a ticket expected"),
        }
    }

    /// An empty history read from the database and kept.
    fn read_and_keep(cache: &SummaryCache, id: &LearnerId) {
        let t = ticket(cache, id);
        cache.keep(id, t, Arc::new(SummaryParts::default()));
    }

    #[test]
    fn a_kept_summary_moves_with_each_committed_batch() {
        let cache = SummaryCache::new(None);
        let id = LearnerId::from("l");
        read_and_keep(&cache, &id);
        assert_eq!(answered(&kept(&cache, &id).unwrap()), 0);
        let w = cache.writing(vec![id.clone()]);
        assert!(kept(&cache, &id).is_none(), "no kept reads while writing");
        w.stored(BatchChanges {
            days: vec![day("l", 1)],
            ..BatchChanges::default()
        });
        assert_eq!(answered(&kept(&cache, &id).unwrap()), 7);
    }

    #[test]
    fn a_read_that_raced_a_write_keeps_nothing() {
        let cache = SummaryCache::new(None);
        let id = LearnerId::from("l");
        let t = ticket(&cache, &id);
        // The batch commits while the read is under way.
        cache.writing(vec![id.clone()]).stored(BatchChanges {
            days: vec![day("l", 1)],
            ..BatchChanges::default()
        });
        cache.keep(&id, t, Arc::new(SummaryParts::default()));
        assert!(kept(&cache, &id).is_none());
    }

    #[test]
    fn a_failed_or_forgotten_write_makes_the_summary_be_read_again() {
        let cache = SummaryCache::new(None);
        let id = LearnerId::from("l");
        read_and_keep(&cache, &id);
        drop(cache.writing(vec![id.clone()]));
        assert!(kept(&cache, &id).is_none());
        read_and_keep(&cache, &id);
        cache.forget(std::slice::from_ref(&id));
        assert!(kept(&cache, &id).is_none());
    }
}
