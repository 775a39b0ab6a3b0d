//! Login throttling: at most `max_failures` failed logins per window, counted separately per
//! client address and per email. An attempt is counted *before* the password is checked
//! ([`LoginLimiter::try_acquire`]), so parallel attempts cannot slip past the limit; a success
//! gives its attempt back and clears that email's failures, so a family sharing one address
//! is not locked out by successful logins. Registration uses the same counter per address
//! and keeps every attempt.
//!
//! In-process: the fallback of `shared_limit::SharedLimiter`, which shares the counts
//! between nodes through Redis and uses this one while Redis is away (or not configured).

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub struct LoginLimiter {
    max_failures: usize,
    window: Duration,
    failures: Mutex<HashMap<String, VecDeque<Instant>>>,
}

impl LoginLimiter {
    pub fn new(max_failures: usize, window: Duration) -> Self {
        Self {
            max_failures,
            window,
            failures: Mutex::new(HashMap::new()),
        }
    }

    /// Counts one attempt against every key at once, or `Err(retry_after)` without counting
    /// when any key has used up its allowance. Check and count happen under one lock.
    pub fn try_acquire(&self, keys: &[&str], now: Instant) -> Result<Instant, Duration> {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        let mut wait = Duration::ZERO;
        for key in keys {
            if let Some(q) = map.get_mut(*key) {
                prune(q, now, self.window);
                if q.len() >= self.max_failures {
                    let oldest = q[q.len() - self.max_failures];
                    wait = wait.max(self.window.saturating_sub(now - oldest));
                }
            }
        }
        if !wait.is_zero() {
            return Err(wait.max(Duration::from_secs(1)));
        }
        for key in keys {
            map.entry((*key).to_string()).or_default().push_back(now);
        }
        if map.len() > 10_000 {
            map.retain(|_, q| {
                prune(q, now, self.window);
                !q.is_empty()
            });
        }
        Ok(now)
    }

    /// Gives back an attempt counted by [`Self::try_acquire`] (the login succeeded).
    pub fn release(&self, keys: &[&str], attempt: Instant) {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        for key in keys {
            if let Some(q) = map.get_mut(*key)
                && let Some(i) = q.iter().rposition(|t| *t == attempt)
            {
                q.remove(i);
            }
        }
    }

    pub fn clear(&self, key: &str) {
        self.failures
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(key);
    }
}

fn prune(q: &mut VecDeque<Instant>, now: Instant, window: Duration) {
    while q.front().is_some_and(|t| now.duration_since(*t) >= window) {
        q.pop_front();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_after_max_failures_and_recovers_after_window() {
        let l = LoginLimiter::new(5, Duration::from_secs(900));
        let t0 = Instant::now();
        for i in 0..5 {
            let at = t0 + Duration::from_secs(i);
            assert!(
                l.try_acquire(&["ip:a", "email:x"], at).is_ok(),
                "attempt {i}"
            );
        }
        let at = t0 + Duration::from_secs(10);
        assert_eq!(
            l.try_acquire(&["ip:a"], at).unwrap_err(),
            Duration::from_secs(890)
        );
        // Another address with the same email is blocked too (per-email limit).
        assert!(l.try_acquire(&["ip:b", "email:x"], at).is_err());
        // Another email from another address is not.
        assert!(l.try_acquire(&["ip:b", "email:y"], at).is_ok());
        // After the window the oldest failure has expired.
        assert!(
            l.try_acquire(&["ip:a"], t0 + Duration::from_secs(901))
                .is_ok()
        );
    }

    #[test]
    fn attempts_are_counted_before_checking_so_parallel_ones_cannot_slip_past() {
        let l = LoginLimiter::new(5, Duration::from_secs(900));
        let t = Instant::now();
        let keys = ["ip:a", "email:x"];
        let taken: Vec<_> = (0..30).map(|_| l.try_acquire(&keys, t)).collect();
        assert_eq!(taken.iter().filter(|r| r.is_ok()).count(), 5);
        // A success gives its attempt back: one more may try.
        l.release(&keys, *taken[0].as_ref().unwrap());
        assert!(l.try_acquire(&keys, t).is_ok());
        assert!(l.try_acquire(&keys, t).is_err());
    }

    #[test]
    fn clear_forgets_one_key() {
        let l = LoginLimiter::new(1, Duration::from_secs(60));
        let t = Instant::now();
        l.try_acquire(&["ip:a", "email:x"], t).unwrap();
        l.clear("email:x");
        assert!(l.try_acquire(&["email:x"], t).is_ok());
        assert!(l.try_acquire(&["ip:a"], t).is_err());
    }
}
