//! A token bucket for the frames of a live view: a quiet view gets each delta at once, a busy
//! one at most [`Pacer::PER_SECOND`] frames a second (the rest waits and goes as one batch).

use std::time::{Duration, Instant};

pub struct Pacer {
    tokens: f64,
    at: Instant,
}

impl Pacer {
    /// Frames a second, kept up.
    pub const PER_SECOND: f64 = 4.0;
    /// Frames that may go at once after a quiet spell.
    pub const BURST: f64 = 4.0;

    pub fn new(now: Instant) -> Self {
        Self {
            tokens: Self::BURST,
            at: now,
        }
    }

    /// Takes a frame's token: `Ok` to send now, or how long until one is free.
    pub fn take(&mut self, now: Instant) -> Result<(), Duration> {
        let earned = now.saturating_duration_since(self.at).as_secs_f64() * Self::PER_SECOND;
        self.tokens = (self.tokens + earned).min(Self::BURST);
        self.at = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64(
                (1.0 - self.tokens) / Self::PER_SECOND,
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_goes_at_once_then_four_a_second_then_a_burst_again() {
        let t0 = Instant::now();
        let mut p = Pacer::new(t0);
        for _ in 0..4 {
            assert_eq!(p.take(t0), Ok(()));
        }
        let wait = p.take(t0).unwrap_err();
        assert_eq!(wait, Duration::from_millis(250));
        // Kept up: one frame each 250 ms, never sooner.
        let mut t = t0;
        for _ in 0..8 {
            t += Duration::from_millis(250);
            assert_eq!(p.take(t), Ok(()));
            assert!(p.take(t).is_err());
        }
        // A quiet second earns the burst back, and no more.
        t += Duration::from_secs(5);
        for _ in 0..4 {
            assert_eq!(p.take(t), Ok(()));
        }
        assert!(p.take(t).is_err());
    }
}
