//! The list where learners leave items for the group commit, and when it wakes the flusher.

use actix::prelude::*;

use super::Pending;

/// Where learners leave items for the flusher: one list shared by every worker thread. An
/// item costs a lock and a push; only the first item after the flusher went idle wakes it
/// (a message to its thread), and the rest wait out the window or the write in flight
/// without waking anyone. A message per item woke the flusher's thread for nearly every
/// answer (issue #31: a context switch per answer).
pub(super) struct Intake {
    state: std::sync::Mutex<IntakeState>,
    /// A batch's worth: the flusher is woken to write it without waiting out the window.
    full: usize,
}

#[derive(Default)]
struct IntakeState {
    items: Vec<Pending>,
    /// The flusher knows there is work (a window or a write is under way, or a [`Wake`] is
    /// on its way): items added meanwhile need not wake it.
    awake: bool,
}

impl Intake {
    pub(super) fn new(full: usize) -> Self {
        Self {
            state: Default::default(),
            full: full.max(1),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, IntakeState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Adds an item; what to tell the flusher, if anything.
    pub(super) fn add(&self, pending: Pending) -> Option<Wake> {
        let mut state = self.lock();
        state.items.push(pending);
        if !std::mem::replace(&mut state.awake, true) {
            Some(Wake {
                full: state.items.len() >= self.full,
            })
        } else if state.items.len() == self.full {
            Some(Wake { full: true })
        } else {
            None
        }
    }

    /// Everything added so far, in order.
    pub(super) fn take(&self) -> Vec<Pending> {
        std::mem::take(&mut self.lock().items)
    }

    /// Marks the flusher idle if nothing is waiting (`true`); decided under the lock, so an
    /// item added at the same moment either is seen here or wakes the flusher.
    pub(super) fn idle_if_empty(&self) -> bool {
        let mut state = self.lock();
        if state.items.is_empty() {
            state.awake = false;
        }
        !state.awake
    }
}

/// Told to the flusher when items wait in the [`Intake`] and it was idle, or when a batch's
/// worth waits (`full`: write it now rather than at the end of the window).
#[derive(Message)]
#[rtype(result = "()")]
pub(super) struct Wake {
    pub(super) full: bool,
}
