//! A token bucket per socket: bursts are fine, floods are refused with
//! `rate_limited` (the connection stays up).

use std::time::Instant;

/// Sustained events per second and the burst allowed on top.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RateLimit {
    pub per_second: f64,
    pub burst: f64,
}

impl Default for RateLimit {
    /// 20 events a second with bursts of 60: far above a person typing and
    /// clicking, far below a script in a loop.
    fn default() -> Self {
        Self {
            per_second: 20.0,
            burst: 60.0,
        }
    }
}

pub struct TokenBucket {
    limit: RateLimit,
    tokens: f64,
    refilled_at: Instant,
}

impl TokenBucket {
    pub fn new(limit: RateLimit) -> Self {
        Self {
            limit,
            tokens: limit.burst,
            refilled_at: Instant::now(),
        }
    }

    pub fn take(&mut self) -> bool {
        self.take_at(Instant::now())
    }

    fn take_at(&mut self, now: Instant) -> bool {
        let elapsed = now
            .saturating_duration_since(self.refilled_at)
            .as_secs_f64();
        self.tokens = (self.tokens + elapsed * self.limit.per_second).min(self.limit.burst);
        self.refilled_at = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_burst_passes_then_the_rate_holds() {
        let start = Instant::now();
        let mut bucket = TokenBucket::new(RateLimit {
            per_second: 10.0,
            burst: 5.0,
        });
        bucket.refilled_at = start;
        assert!((0..5).all(|_| bucket.take_at(start)));
        assert!(!bucket.take_at(start));
        // 100 ms later, one more token.
        let later = start + Duration::from_millis(100);
        assert!(bucket.take_at(later));
        assert!(!bucket.take_at(later));
    }

    #[test]
    fn tokens_never_exceed_the_burst() {
        let start = Instant::now();
        let mut bucket = TokenBucket::new(RateLimit {
            per_second: 10.0,
            burst: 2.0,
        });
        bucket.refilled_at = start;
        let much_later = start + Duration::from_secs(60);
        assert!(bucket.take_at(much_later));
        assert!(bucket.take_at(much_later));
        assert!(!bucket.take_at(much_later));
    }
}
