//! What a committed batch changed, told to whoever keeps derived data in memory (the progress
//! summaries, `features::progress::summary_cache`) without the store knowing who that is.

use chrono::NaiveDateTime;
use studyhub_actors::ids::LearnerId;

use super::ProgressDelta;

/// A completed session the group commit stored.
pub struct StoredCompletion {
    pub learner_id: LearnerId,
    pub activity_id: String,
    pub category: String,
    pub accuracy: f64,
    pub ended_at: NaiveDateTime,
}

/// What one committed batch changed in learners' progress.
#[derive(Default)]
pub struct BatchChanges {
    /// Added to daily progress rows.
    pub days: Vec<ProgressDelta>,
    pub completions: Vec<StoredCompletion>,
    /// New unlocks: their reward points.
    pub rewards: Vec<(LearnerId, i64)>,
    /// Learners whose derived data must be read again (a batch written item by item).
    pub read_again: Vec<LearnerId>,
}

/// Told before a batch that touches these learners is written, and after it committed.
pub trait CommitWatch: Send + Sync {
    /// The guard is told the batch's changes once it committed; dropped untold, the batch
    /// failed or may have (what was derived from these learners must be read again).
    fn before_write(self: std::sync::Arc<Self>, learners: Vec<LearnerId>) -> Box<dyn WriteGuard>;
}

pub trait WriteGuard: Send {
    fn committed(self: Box<Self>, changes: BatchChanges);
}
