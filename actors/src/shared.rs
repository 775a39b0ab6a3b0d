//! What the nodes share about a learner: today's screen time as one number (each wall-clock
//! second counted once, whichever nodes and devices saw the learner active in it) and where
//! the learner is (presence, for parent feeds and class views opened on another node).
//!
//! The server keeps both in Redis (`src/infra/shared_counts.rs`, one atomic script per report);
//! [`MemoryShared`] keeps them in this process for the engine's tests, where two engines on
//! one `MemoryShared` are two nodes. When the shared state is away every call answers `None`:
//! each node then counts and enforces alone (see `ScreenClock`) and adds what it counted once
//! the shared counter answers again.

use crate::ids::{LearnerId, SessionId};
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// How long a node's word on a learner's presence holds unless said again (a node says it
/// every tick while the learner is connected there, so a node that died is forgotten soon).
pub const PRESENCE_TTL_MS: i64 = 5_000;

/// Where a learner is on a node (its actor's word), or on every node (merged words).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LearnerStatus {
    pub online: bool,
    pub activity_id: Option<String>,
    pub session_id: Option<SessionId>,
    pub answered: u32,
    pub correct: u32,
}

/// What one node saw of a learner since its last report.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    pub learner_id: LearnerId,
    /// The learner's local day the seconds belong to.
    pub date: NaiveDate,
    /// The last wall-clock second (Unix time) this node saw the learner active.
    pub to: i64,
    /// Active seconds seen up to `to` and not reported yet (0: only reading).
    pub seconds: u64,
    /// Seconds this node counted alone while the shared counter was away: added as they are.
    pub alone: u64,
    /// What this node holds as used today: the day's start value if no node counted yet.
    pub seed: u64,
    /// Counting stops at this allowance (limit and grants, as this node has them).
    pub cap: u64,
    /// Where the learner is on this node; `None`: not connected here.
    pub presence: Option<LearnerStatus>,
}

/// The shared counter's answer to a [`Report`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counted {
    /// Today's total, every node's seconds included.
    pub used: u64,
    /// How many of the reported seconds were new (no node had counted them yet).
    pub added: u64,
}

/// `None`: the shared state is away (or too slow); the caller goes on alone.
pub type SharedFuture<T> = Pin<Box<dyn Future<Output = Option<T>> + Send>>;

pub trait Shared: Send + Sync + 'static {
    /// Counts what `report` saw, at most once per wall-clock second across nodes, records
    /// the node's presence word, and answers today's total.
    fn count(&self, report: Report) -> SharedFuture<Counted>;
    /// Today's total so far, without counting.
    fn used(&self, learner_id: &LearnerId, date: NaiveDate) -> SharedFuture<u64>;
    /// This node's word on where the learner is, at once (best effort).
    fn set_presence(&self, learner_id: &LearnerId, status: Option<LearnerStatus>);
    /// Where these learners are, by every node's word (absent: connected nowhere).
    fn presence(
        &self,
        learner_ids: Vec<LearnerId>,
    ) -> SharedFuture<HashMap<LearnerId, LearnerStatus>>;
}

/// The day's counter: the total and the last wall-clock second counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DayCount {
    pub used: u64,
    pub last: i64,
}

/// The counting rule (the Redis script in the server applies the same, atomically): a new
/// day starts from the reporting node's `seed` (which holds what it counted alone); seconds
/// up to a second already counted by any node are not counted again; nothing past `cap`.
pub fn count_rule(day: Option<DayCount>, r: &Report) -> (DayCount, Counted) {
    let mut day = match day {
        Some(d) => DayCount {
            used: d.used + r.alone,
            last: d.last,
        },
        None => DayCount {
            used: r.seed,
            last: 0,
        },
    };
    let mut added = 0;
    if r.seconds > 0 && r.to > day.last {
        let fresh = r.seconds.min((r.to - day.last) as u64);
        added = fresh.min(r.cap.saturating_sub(day.used));
        day.used += added;
        day.last = r.to;
    }
    (
        day,
        Counted {
            used: day.used,
            added,
        },
    )
}

/// One node's word on a learner's presence, with when it was said.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PresenceWord {
    pub at_ms: i64,
    #[serde(flatten)]
    pub status: LearnerStatus,
}

/// Every node's fresh word on one learner, merged: online if connected anywhere; the
/// activity (and progress) of the freshest word that has a session.
pub fn merge_presence(
    words: impl IntoIterator<Item = PresenceWord>,
    now_ms: i64,
) -> Option<LearnerStatus> {
    let mut fresh: Vec<PresenceWord> = words
        .into_iter()
        .filter(|w| now_ms - w.at_ms <= PRESENCE_TTL_MS)
        .collect();
    fresh.sort_by_key(|w| std::cmp::Reverse(w.at_ms));
    let first = fresh.first()?;
    let mut merged = fresh
        .iter()
        .find(|w| w.status.session_id.is_some())
        .unwrap_or(first)
        .status
        .clone();
    merged.online = fresh.iter().any(|w| w.status.online);
    Some(merged)
}

pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

#[derive(Default)]
struct MemoryState {
    days: HashMap<(LearnerId, NaiveDate), DayCount>,
    presence: HashMap<LearnerId, HashMap<String, PresenceWord>>,
    away: bool,
}

/// The shared state in this process: [`MemoryShared::node`] gives each engine its handle.
#[derive(Default)]
pub struct MemoryShared {
    state: Mutex<MemoryState>,
}

impl MemoryShared {
    pub fn new() -> Arc<Self> {
        Arc::default()
    }

    /// One node's handle on the shared state.
    pub fn node(self: &Arc<Self>, name: &str) -> Arc<dyn Shared> {
        Arc::new(MemoryNode {
            shared: self.clone(),
            node: name.to_string(),
        })
    }

    /// Makes every call answer `None` (the shared state is away), or answer again.
    pub fn set_away(&self, away: bool) {
        self.lock().away = away;
    }

    /// Today's total as shared.
    pub fn used(&self, learner_id: &str, date: NaiveDate) -> Option<u64> {
        self.lock()
            .days
            .get(&(LearnerId::from(learner_id), date))
            .map(|d| d.used)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, MemoryState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

struct MemoryNode {
    shared: Arc<MemoryShared>,
    node: String,
}

fn ready<T: Send + 'static>(v: Option<T>) -> SharedFuture<T> {
    Box::pin(std::future::ready(v))
}

impl MemoryNode {
    fn say(&self, st: &mut MemoryState, learner_id: &LearnerId, status: Option<LearnerStatus>) {
        let words = st.presence.entry(learner_id.clone()).or_default();
        match status {
            Some(status) => {
                let at_ms = now_ms();
                words.insert(self.node.clone(), PresenceWord { at_ms, status });
            }
            None => {
                words.remove(&self.node);
            }
        }
    }
}

impl Shared for MemoryNode {
    fn count(&self, report: Report) -> SharedFuture<Counted> {
        let mut st = self.shared.lock();
        if st.away {
            return ready(None);
        }
        let key = (report.learner_id.clone(), report.date);
        let (day, counted) = count_rule(st.days.get(&key).copied(), &report);
        st.days.insert(key, day);
        self.say(&mut st, &report.learner_id, report.presence);
        ready(Some(counted))
    }

    fn used(&self, learner_id: &LearnerId, date: NaiveDate) -> SharedFuture<u64> {
        let st = self.shared.lock();
        if st.away {
            return ready(None);
        }
        let used = st.days.get(&(learner_id.clone(), date)).map(|d| d.used);
        ready(Some(used.unwrap_or(0)))
    }

    fn set_presence(&self, learner_id: &LearnerId, status: Option<LearnerStatus>) {
        let mut st = self.shared.lock();
        if !st.away {
            self.say(&mut st, learner_id, status);
        }
    }

    fn presence(
        &self,
        learner_ids: Vec<LearnerId>,
    ) -> SharedFuture<HashMap<LearnerId, LearnerStatus>> {
        let st = self.shared.lock();
        if st.away {
            return ready(None);
        }
        let now = now_ms();
        let found = learner_ids
            .into_iter()
            .filter_map(|id| {
                let words = st.presence.get(&id)?.values().cloned();
                merge_presence(words, now).map(|s| (id, s))
            })
            .collect();
        ready(Some(found))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(to: i64, seconds: u64) -> Report {
        Report {
            learner_id: "l".into(),
            date: NaiveDate::from_ymd_opt(2025, 1, 1).unwrap(),
            to,
            seconds,
            alone: 0,
            seed: 10,
            cap: 100,
            presence: None,
        }
    }

    #[test]
    fn a_second_seen_by_two_nodes_counts_once() {
        let (day, c) = count_rule(None, &report(1000, 1));
        assert_eq!((day.used, c.added), (11, 1), "a new day starts at the seed");
        // The other node saw the same second.
        let (day, c) = count_rule(Some(day), &report(1000, 1));
        assert_eq!((day.used, c.added), (11, 0));
        // A node whose report was late: only the second nobody counted is new.
        let (day, c) = count_rule(Some(day), &report(1002, 3));
        assert_eq!((day.used, c.added, day.last), (13, 2, 1002));
        // Reading counts nothing.
        let (day, c) = count_rule(Some(day), &report(1005, 0));
        assert_eq!((day.used, c.added, day.last), (13, 0, 1002));
    }

    #[test]
    fn nothing_past_the_cap_and_alone_seconds_are_added() {
        let mut r = report(2000, 5);
        r.cap = 12;
        let (day, c) = count_rule(Some(DayCount { used: 10, last: 0 }), &r);
        assert_eq!((day.used, c.added), (12, 2));
        let mut r = report(2001, 0);
        r.alone = 7;
        let (day, _) = count_rule(Some(day), &r);
        assert_eq!(day.used, 19);
    }

    #[test]
    fn presence_is_merged_from_fresh_words() {
        let status = |online: bool, session: Option<&str>| LearnerStatus {
            online,
            activity_id: session.map(|_| "math-1".to_string()),
            session_id: session.map(SessionId::from),
            answered: 2,
            correct: 1,
        };
        let now = 100_000;
        let words = vec![
            PresenceWord {
                at_ms: now - 100,
                status: status(true, None),
            },
            PresenceWord {
                at_ms: now - 900,
                status: status(false, Some("s1")),
            },
            PresenceWord {
                at_ms: now - PRESENCE_TTL_MS - 1,
                status: status(true, Some("stale")),
            },
        ];
        let merged = merge_presence(words, now).unwrap();
        assert!(merged.online);
        assert_eq!(merged.session_id.as_deref(), Some("s1"));
        assert!(merge_presence(Vec::new(), now).is_none());
    }
}
