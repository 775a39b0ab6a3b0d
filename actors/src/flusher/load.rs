//! How full the group commit is, and when an answer is refused for it: read by learners
//! before grading an answer and by sockets, without a message to the flusher.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use super::FlushConfig;

/// Why an answer cannot be taken now (nothing of it was kept).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Past capacity: the database is slower than the answers coming in, or the node's thread
    /// runs late (`crate::lag`). Send it again after `retry_after`.
    Busy { retry_after: Duration },
    /// The database has been away so long that the buffer is full.
    Unavailable,
}

/// The flusher's load, readable without a message round trip: learners read it to refuse
/// an answer before grading it, sockets to pause reading while the database is away and its
/// buffer is full.
#[derive(Clone)]
pub struct Load(pub(super) Arc<LoadState>);

pub(super) struct LoadState {
    /// Items waiting, the batch being written included (counted by the senders).
    pub(super) items: AtomicUsize,
    /// The last write failed: the database is away, the buffer holds up to `max_buffer`.
    pub(super) failing: AtomicBool,
    /// Items committed per second while writing (smoothed; `f64` bits), for retry hints.
    pub(super) rate: AtomicU64,
    pub(super) max_queue: usize,
    pub(super) max_buffer: usize,
    pub(super) max_lag: Duration,
    pub(super) max_wait: Duration,
    pub(super) window: Duration,
}

/// The shortest and longest wait a `busy` asks for.
const RETRY_MIN: Duration = Duration::from_millis(100);
const RETRY_MAX: Duration = Duration::from_secs(5);

/// `wait` and up to a quarter more, at random, so refused clients do not all come back at once.
fn spread(wait: Duration) -> Duration {
    wait.mul_f64(1.0 + (uuid::Uuid::new_v4().as_u128() % 1_000) as f64 / 4_000.0)
}

impl Load {
    pub(super) fn new(config: &FlushConfig) -> Self {
        Self(Arc::new(LoadState {
            items: AtomicUsize::new(0),
            failing: AtomicBool::new(false),
            rate: AtomicU64::new(0f64.to_bits()),
            max_queue: config.max_queue.max(1),
            max_buffer: config.max_buffer.max(1),
            max_lag: config.max_lag,
            max_wait: config.max_wait,
            window: config.window,
        }))
    }

    pub fn get(&self) -> usize {
        self.0.items.load(Ordering::Relaxed)
    }

    /// Why a new answer would be refused now, if it would.
    pub fn refusal(&self) -> Option<Refusal> {
        self.refusal_at(self.get())
    }

    pub(super) fn refusal_at(&self, n: usize) -> Option<Refusal> {
        let late = crate::lag::late();
        if n >= self.0.max_buffer {
            Some(Refusal::Unavailable)
        } else if n >= self.bound() && !self.0.failing.load(Ordering::Acquire) {
            Some(Refusal::Busy {
                retry_after: self.retry_after(n),
            })
        } else if late > self.0.max_lag {
            Some(Refusal::Busy {
                retry_after: spread(late * 4).clamp(RETRY_MIN, RETRY_MAX),
            })
        } else {
            None
        }
    }

    fn rate(&self) -> f64 {
        f64::from_bits(self.0.rate.load(Ordering::Relaxed))
    }

    /// The items that may wait: `max_queue`, or fewer when the database commits them more
    /// slowly than `max_wait` allows (never fewer than a tenth of `max_queue`: the rate of
    /// small batches says little of what the database can take).
    fn bound(&self) -> usize {
        let rate = self.rate();
        if rate <= 0.0 {
            return self.0.max_queue;
        }
        let by_rate = (rate * self.0.max_wait.as_secs_f64()) as usize;
        by_rate
            .clamp(self.0.max_queue / 10, self.0.max_queue)
            .max(1)
    }

    /// The retry hint while the queue is full: about the time it takes to drain to half its
    /// bound at the rate it has been committing, [`spread`].
    fn retry_after(&self, n: usize) -> Duration {
        let rate = self.rate();
        let excess = n.saturating_sub(self.bound() / 2) as f64;
        let base = if rate > 0.0 {
            Duration::from_secs_f64(excess / rate)
        } else {
            self.0.window * 2
        };
        spread(base).clamp(RETRY_MIN, RETRY_MAX)
    }

    pub(super) fn committed(&self, items: usize, took: Duration) {
        let now = items as f64 / took.as_secs_f64().max(0.001);
        let old = f64::from_bits(self.0.rate.load(Ordering::Relaxed));
        let new = if old > 0.0 {
            old * 0.8 + now * 0.2
        } else {
            now
        };
        self.0.rate.store(new.to_bits(), Ordering::Relaxed);
        self.0.items.fetch_sub(items, Ordering::AcqRel);
        self.0.failing.store(false, Ordering::Release);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(max_queue: usize) -> Load {
        Load::new(&FlushConfig {
            max_queue,
            max_wait: Duration::from_millis(250),
            ..FlushConfig::default()
        })
    }

    #[test]
    fn the_queue_is_bounded_by_what_the_database_commits_in_the_wait_allowed() {
        let l = load(5_000);
        // Before any commit: the bound is `max_queue`.
        assert!(l.refusal_at(4_999).is_none());
        assert!(matches!(l.refusal_at(5_000), Some(Refusal::Busy { .. })));
        // Committing 4 000 a second: a quarter of a second is 1 000 items.
        l.0.items.store(400, Ordering::Relaxed);
        l.committed(400, Duration::from_millis(100));
        assert!(l.refusal_at(999).is_none());
        let Some(Refusal::Busy { retry_after }) = l.refusal_at(1_000) else {
            panic!("busy past a quarter second's worth")
        };
        assert!(retry_after >= RETRY_MIN && retry_after <= RETRY_MAX);
        // A fast database: `max_queue` bounds it again.
        for _ in 0..50 {
            l.0.items.store(2_000, Ordering::Relaxed);
            l.committed(2_000, Duration::from_millis(10));
        }
        assert!(l.refusal_at(4_999).is_none());
        assert!(l.refusal_at(5_000).is_some());
        // A crawling one: never fewer than a tenth of `max_queue` may wait.
        for _ in 0..50 {
            l.0.items.store(1, Ordering::Relaxed);
            l.committed(1, Duration::from_secs(1));
        }
        assert!(l.refusal_at(499).is_none());
        assert!(l.refusal_at(500).is_some());
    }
}
