//! Login throttling: at most `max_failures` failed logins per window, counted separately per
//! client address and per email. Only failures count, so a family sharing one address is not
//! locked out by successful logins; a success clears that email's failures.
//!
//! In-process: on several nodes each node counts on its own (a Redis-backed store is the
//! next step once `REDIS_URL` is used for the bus).

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

    /// The login default: 5 failures in 15 minutes.
    pub fn for_login() -> Self {
        Self::new(5, Duration::from_secs(15 * 60))
    }

    /// `Err(retry_after)` when any of `keys` has used up its failures.
    pub fn check(&self, keys: &[&str], now: Instant) -> Result<(), Duration> {
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
        if wait.is_zero() { Ok(()) } else { Err(wait) }
    }

    pub fn record_failure(&self, keys: &[&str], now: Instant) {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        for key in keys {
            let q = map.entry((*key).to_string()).or_default();
            prune(q, now, self.window);
            q.push_back(now);
        }
        // Keep memory bounded: forget keys whose failures have all expired.
        if map.len() > 10_000 {
            map.retain(|_, q| {
                prune(q, now, self.window);
                !q.is_empty()
            });
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
            assert!(l.check(&["ip:a", "email:x"], t0).is_ok(), "attempt {i}");
            l.record_failure(&["ip:a", "email:x"], t0 + Duration::from_secs(i));
        }
        let wait = l
            .check(&["ip:a"], t0 + Duration::from_secs(10))
            .unwrap_err();
        assert_eq!(wait, Duration::from_secs(890));
        // Another address with the same email is blocked too (per-email limit).
        assert!(
            l.check(&["ip:b", "email:x"], t0 + Duration::from_secs(10))
                .is_err()
        );
        // Another email from another address is not.
        assert!(
            l.check(&["ip:b", "email:y"], t0 + Duration::from_secs(10))
                .is_ok()
        );
        // After the window the oldest failure has expired.
        assert!(l.check(&["ip:a"], t0 + Duration::from_secs(901)).is_ok());
    }

    #[test]
    fn clear_forgets_one_key() {
        let l = LoginLimiter::new(1, Duration::from_secs(60));
        let t = Instant::now();
        l.record_failure(&["ip:a", "email:x"], t);
        l.clear("email:x");
        assert!(l.check(&["email:x"], t).is_ok());
        assert!(l.check(&["ip:a"], t).is_err());
    }
}
