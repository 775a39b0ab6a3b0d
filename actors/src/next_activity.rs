//! What to play next (`GET /v1/learners/{id}/next`): a pure function of the catalog, the
//! learner and the learner's completions. No I/O, no clock, no randomness: the same inputs
//! always give the same answer.
//!
//! # Rules
//!
//! 1. **Only what can be started.** Archived activities are never chosen. Of the rest, only
//!    those within the learner's age (`age_min ≤ age ≤ age_max`) are considered; when none
//!    fits, those nearest to the age (smallest gap to the range) take their place. An empty
//!    catalog gives `None`.
//! 2. **Where the learner is.** The history is ordered by `completed_at` (equal times keep
//!    their given order). The *current category* is the category of the latest completion
//!    whose category still has a candidate; its latest completion sets the *level* (its
//!    difficulty). Categories compare case-insensitively.
//! 3. **Fresh learner** (no completion in any category still on offer): the easiest
//!    activity, leaning to the interests — one whose sub-category matches an interest first,
//!    then one whose category does, then any — reason [`Reason::StartHere`].
//! 4. **Easier** after one miss: when the latest completion in the current category is under
//!    [`EASIER_BELOW`] % (50), the nearest lower difficulty of that category —
//!    [`Reason::Easier`]. At the bottom already: the same level, [`Reason::KeepGoing`].
//! 5. **Harder** after two successes: when the two latest completions in the current
//!    category are both at least [`HARDER_AT`] % (90) and the earlier of them was at the
//!    current level or above (so one good result right after stepping up does not step up
//!    again), the nearest higher difficulty of that category — [`Reason::Harder`].
//!    At the top already: the same level ([`Reason::KeepGoing`]), unless every top-level
//!    activity of the category has been completed and one of the learner's interests points
//!    at a category they have never played: then its easiest activity,
//!    [`Reason::NewInterest`].
//! 6. **Otherwise** the same level ([`Reason::KeepGoing`]); if no activity is left at exactly
//!    that difficulty, the nearest one (the lower on a tie).
//! 7. **Which activity of a level**: one not completed yet first, then the least recently
//!    completed; among equals, one whose sub-category matches an interest; last, the smallest
//!    id.
//!
//! Interests match a category or sub-category trimmed, case-insensitively, with spaces and
//! underscores taken as hyphens (`"Human body"` matches `human-body`).

use std::collections::{BTreeSet, HashMap, HashSet};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Two consecutive completions at or above this accuracy (0..100) in a category step up.
pub const HARDER_AT: f64 = 90.0;
/// One completion below this accuracy (0..100) steps down.
pub const EASIER_BELOW: f64 = 50.0;

/// One activity of the catalog, as far as choosing goes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CatalogEntry {
    pub id: String,
    pub category: String,
    #[serde(default)]
    pub sub_category: Option<String>,
    pub difficulty: i32,
    pub age_min: i32,
    pub age_max: i32,
    /// Archived (deleted) activities stay in history but are never suggested.
    #[serde(default)]
    pub archived: bool,
}

/// The learner who asks.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LearnerTraits {
    pub age: i32,
    #[serde(default)]
    pub interests: Vec<String>,
}

/// One completed session of the learner. `category` and `difficulty` are the activity's at the
/// time, so history stays meaningful after the activity is archived.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Completed {
    pub activity_id: String,
    pub category: String,
    pub difficulty: i32,
    /// 0..100.
    pub accuracy: f64,
    pub completed_at: DateTime<Utc>,
}

/// Why an activity was chosen; serialized as a snake_case string.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// No usable history: the entry point.
    StartHere,
    /// Two results at ≥ 90 %: one step up.
    Harder,
    /// The latest result under 50 %: one step down.
    Easier,
    /// Same level (also at the top or bottom when no further step exists).
    KeepGoing,
    /// The current category is mastered: a category of the learner's interests never played.
    NewInterest,
}

impl Reason {
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::StartHere => "start_here",
            Reason::Harder => "harder",
            Reason::Easier => "easier",
            Reason::KeepGoing => "keep_going",
            Reason::NewInterest => "new_interest",
        }
    }
}

impl std::fmt::Display for Reason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The answer: `{"activity_id": "...", "reason": "harder"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Next {
    pub activity_id: String,
    pub reason: Reason,
}

/// Chooses the next activity; `None` only when nothing in the catalog can be started.
/// `history` may come in any order. See the module documentation for the rules.
pub fn next_activity(
    catalog: &[CatalogEntry],
    learner: &LearnerTraits,
    history: &[Completed],
) -> Option<Next> {
    let pool = candidates(catalog, learner.age);
    if pool.is_empty() {
        return None;
    }
    let interests: Vec<String> = learner
        .interests
        .iter()
        .map(|i| norm(i))
        .filter(|i| !i.is_empty())
        .collect();

    let mut order: Vec<&Completed> = history.iter().collect();
    order.sort_by_key(|c| c.completed_at); // stable: equal times keep their order
    let mut last_played: HashMap<&str, usize> = HashMap::new();
    for (i, c) in order.iter().enumerate() {
        last_played.insert(c.activity_id.as_str(), i + 1);
    }
    let ctx = Ctx {
        interests: &interests,
        last_played: &last_played,
    };

    let offered: HashSet<&str> = pool.iter().map(|c| c.category.as_str()).collect();
    let current = order
        .iter()
        .rev()
        .map(|c| norm(&c.category))
        .find(|cat| offered.contains(cat.as_str()));
    let Some(cat) = current else {
        return ctx.start(&pool.iter().collect::<Vec<_>>(), Reason::StartHere);
    };

    let in_cat: Vec<&Cand> = pool.iter().filter(|c| c.category == cat).collect();
    let levels: BTreeSet<i32> = in_cat.iter().map(|c| c.entry.difficulty).collect();
    let mut recent = order.iter().rev().filter(|c| norm(&c.category) == cat);
    let latest = recent
        .next()
        .expect("the current category comes from a completion");
    let previous = recent.next();
    let level = latest.difficulty;
    let nearest = |level: i32| {
        *levels
            .iter()
            .min_by_key(|d| ((**d - level).abs(), **d))
            .expect("the current category has a candidate")
    };

    let (target, reason) = if latest.accuracy < EASIER_BELOW {
        match levels.range(..level).next_back() {
            Some(d) => (*d, Reason::Easier),
            None => (nearest(level), Reason::KeepGoing),
        }
    } else if latest.accuracy >= HARDER_AT
        && previous.is_some_and(|p| p.accuracy >= HARDER_AT && p.difficulty >= level)
    {
        match levels.range(level.saturating_add(1)..).next() {
            Some(d) => (*d, Reason::Harder),
            None => {
                let top = nearest(level);
                let top_done = in_cat
                    .iter()
                    .filter(|c| c.entry.difficulty == top)
                    .all(|c| last_played.contains_key(c.entry.id.as_str()));
                if top_done {
                    let played: HashSet<String> = order.iter().map(|c| norm(&c.category)).collect();
                    let fresh: Vec<&Cand> = pool
                        .iter()
                        .filter(|c| !played.contains(&c.category) && ctx.interest_rank(c) < 2)
                        .collect();
                    if !fresh.is_empty() {
                        return ctx.start(&fresh, Reason::NewInterest);
                    }
                }
                (top, Reason::KeepGoing)
            }
        }
    } else {
        (nearest(level), Reason::KeepGoing)
    };

    let at_level: Vec<&Cand> = in_cat
        .into_iter()
        .filter(|c| c.entry.difficulty == target)
        .collect();
    ctx.pick(&at_level, reason)
}

/// A startable catalog entry with its normalized category and sub-category.
struct Cand<'a> {
    entry: &'a CatalogEntry,
    category: String,
    sub_category: Option<String>,
}

fn norm(s: &str) -> String {
    s.trim().to_lowercase().replace([' ', '_'], "-")
}

/// Non-archived entries within the age, or, when none fits, those nearest to it.
fn candidates(catalog: &[CatalogEntry], age: i32) -> Vec<Cand<'_>> {
    let gap = |e: &CatalogEntry| {
        if age < e.age_min {
            e.age_min as i64 - age as i64
        } else if age > e.age_max {
            age as i64 - e.age_max as i64
        } else {
            0
        }
    };
    let live: Vec<&CatalogEntry> = catalog.iter().filter(|e| !e.archived).collect();
    let Some(best) = live.iter().map(|e| gap(e)).min() else {
        return Vec::new();
    };
    live.into_iter()
        .filter(|e| gap(e) == best)
        .map(|entry| Cand {
            entry,
            category: norm(&entry.category),
            sub_category: entry.sub_category.as_deref().map(norm),
        })
        .collect()
}

struct Ctx<'a> {
    interests: &'a [String],
    /// Activity id → 1-based position of its latest completion in the ordered history.
    last_played: &'a HashMap<&'a str, usize>,
}

impl Ctx<'_> {
    /// 0: the sub-category matches an interest, 1: the category does, 2: neither.
    fn interest_rank(&self, c: &Cand) -> u8 {
        if c.sub_category
            .as_ref()
            .is_some_and(|s| self.interests.contains(s))
        {
            0
        } else if self.interests.contains(&c.category) {
            1
        } else {
            2
        }
    }

    fn played_at(&self, c: &Cand) -> usize {
        self.last_played
            .get(c.entry.id.as_str())
            .copied()
            .unwrap_or(0)
    }

    /// An entry point: interests first, then the easiest, then the least recently played.
    fn start(&self, among: &[&Cand], reason: Reason) -> Option<Next> {
        among
            .iter()
            .min_by(|a, b| {
                (self.interest_rank(a), a.entry.difficulty, self.played_at(a))
                    .cmp(&(self.interest_rank(b), b.entry.difficulty, self.played_at(b)))
                    .then_with(|| a.entry.id.cmp(&b.entry.id))
            })
            .map(|c| next(c, reason))
    }

    /// One of a level: never completed first (0 sorts first), then the least recently
    /// completed, then interests, then the id.
    fn pick(&self, among: &[&Cand], reason: Reason) -> Option<Next> {
        among
            .iter()
            .min_by(|a, b| {
                (self.played_at(a), self.interest_rank(a))
                    .cmp(&(self.played_at(b), self.interest_rank(b)))
                    .then_with(|| a.entry.id.cmp(&b.entry.id))
            })
            .map(|c| next(c, reason))
    }
}

fn next(c: &Cand, reason: Reason) -> Next {
    Next {
        activity_id: c.entry.id.clone(),
        reason,
    }
}

#[cfg(test)]
mod tests;
