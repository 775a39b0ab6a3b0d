//! How late this thread runs work that is ready: the node's own measure of overload.
//!
//! A frame that has arrived waits for every task ahead of it on its worker thread. When the
//! node is past what its cores can do, that wait grows (to seconds, issue #31) while the
//! group commit's queue may still look short. A probe on each worker thread that runs the
//! engine's actors asks to be woken every [`EVERY`] and records how late it ran; answers
//! are refused as `busy` while it is late (see `flusher::Load`), so what is taken keeps a
//! short wait and the rest hears `busy` at once instead of waiting in the socket's buffer.

use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use tokio::sync::Notify;

/// How often the probe looks. It wakes its idle thread this often, which costs little.
const EVERY: Duration = Duration::from_millis(25);

thread_local! {
    static LATE: Cell<Duration> = const { Cell::new(Duration::ZERO) };
    static WATCHED: Cell<bool> = const { Cell::new(false) };
    /// Told each time the probe has looked (no waiter, no cost but a check).
    static LOOKED: Rc<Notify> = Rc::new(Notify::new());
}

/// How late this thread's probe last ran (zero on a thread without one).
pub fn late() -> Duration {
    LATE.with(Cell::get)
}

/// Resolves once this thread's probe has looked again: what a test that holds the thread
/// waits for, instead of sleeping.
pub async fn next_look() {
    let looked = LOOKED.with(Rc::clone);
    looked.notified().await;
}

/// Starts this thread's probe, once: called from an actor's start, on the thread it runs on.
pub(crate) fn watch_this_thread() {
    if WATCHED.with(|w| w.replace(true)) {
        return;
    }
    actix::spawn(async {
        let mut due = tokio::time::Instant::now() + EVERY;
        loop {
            tokio::time::sleep_until(due).await;
            let now = tokio::time::Instant::now();
            let late = now.saturating_duration_since(due);
            LATE.with(|l| l.set(late));
            metrics::histogram!("studyhub_worker_lag_seconds").record(late.as_secs_f64());
            LOOKED.with(|n| n.notify_waiters());
            due = now + EVERY;
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[actix::test]
    async fn a_thread_kept_busy_is_seen_late_until_it_is_free_again() {
        watch_this_thread();
        next_look().await;
        // Hold the thread for 150 ms, as a burst of ready work would: the probe, due within
        // one look of the start, runs at least 125 ms late.
        let held = std::time::Instant::now();
        while held.elapsed() < Duration::from_millis(150) {
            std::hint::spin_loop();
        }
        next_look().await;
        assert!(late() >= Duration::from_millis(100), "{:?}", late());
        // Once the thread is free, the probe is on time again within a few looks.
        let mut looks = 0;
        while late() >= Duration::from_millis(50) {
            looks += 1;
            assert!(looks < 80, "still {:?} late after {looks} looks", late());
            next_look().await;
        }
    }
}
