//! Buckets held in this process: exact for one replica, and the fallback of the Redis store.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use dashmap::DashMap;

use crate::RateLimiter;
use crate::bucket::{Rate, TokenBucket, as_micros};
use crate::clock::{Clock, SystemClock};
use crate::quota::{Decision, Quota};

/// How often full buckets are dropped. Between sweeps the map holds at most the keys seen in
/// the last minute plus this interval, whatever the number of keys ever seen.
const SWEEP_INTERVAL: Duration = Duration::from_secs(10);

/// A rate limiter whose buckets live in a `DashMap` in this process.
///
/// Buckets that have refilled completely are dropped by a sweep that runs at most once per
/// ten seconds (of the limiter's clock), on whichever check finds it due, so a check costs
/// O(1) and memory follows the number of recently active keys.
pub struct MemoryRateLimiter {
    rate: Rate,
    clock: Arc<dyn Clock>,
    buckets: DashMap<String, TokenBucket>,
    next_sweep_micros: AtomicU64,
}

impl MemoryRateLimiter {
    /// A limiter enforcing `quota` on the system clock.
    pub fn new(quota: Quota) -> Self {
        Self::with_clock(quota, Arc::new(SystemClock::new()))
    }

    /// A limiter enforcing `quota` on `clock` (a [`crate::ManualClock`] in tests).
    pub fn with_clock(quota: Quota, clock: Arc<dyn Clock>) -> Self {
        let now = as_micros(clock.now());
        Self {
            rate: Rate::new(quota),
            clock,
            buckets: DashMap::new(),
            next_sweep_micros: AtomicU64::new(now.saturating_add(as_micros(SWEEP_INTERVAL))),
        }
    }

    /// The same as [`RateLimiter::check`], for callers outside async code. It never blocks
    /// beyond a shard lock of the map.
    pub fn check_sync(&self, key: &str) -> Decision {
        let now = as_micros(self.clock.now());
        let decision = self.take(key, now);
        self.sweep_if_due(now);
        decision
    }

    /// Number of buckets held: keys seen recently whose bucket is not full yet (or not swept).
    pub fn len(&self) -> usize {
        self.buckets.len()
    }

    /// Whether no bucket is held.
    pub fn is_empty(&self) -> bool {
        self.buckets.is_empty()
    }

    fn take(&self, key: &str, now: u64) -> Decision {
        // Looking up by &str first avoids allocating the key on every check of a known key.
        if let Some(mut bucket) = self.buckets.get_mut(key) {
            return bucket.take(self.rate, now);
        }
        self.buckets
            .entry(key.to_owned())
            .or_insert_with(|| TokenBucket::full(self.rate, now))
            .take(self.rate, now)
    }

    fn sweep_if_due(&self, now: u64) {
        let due = self.next_sweep_micros.load(Ordering::Acquire);
        if now < due {
            return;
        }
        let next = now.saturating_add(as_micros(SWEEP_INTERVAL));
        // Only the check that wins the exchange sweeps; the others go on at once.
        if self
            .next_sweep_micros
            .compare_exchange(due, next, Ordering::AcqRel, Ordering::Acquire)
            .is_err()
        {
            return;
        }
        let rate = self.rate;
        self.buckets
            .retain(|_, bucket| !bucket.is_full_at(rate, now));
    }
}

impl fmt::Debug for MemoryRateLimiter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Keys may be derived from credentials: only their number is shown.
        f.debug_struct("MemoryRateLimiter")
            .field("per_minute", &self.rate.per_minute())
            .field("buckets", &self.buckets.len())
            .finish_non_exhaustive()
    }
}

#[async_trait::async_trait]
impl RateLimiter for MemoryRateLimiter {
    async fn check(&self, key: &str) -> Decision {
        self.check_sync(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;

    #[test]
    fn sweep_keeps_buckets_that_are_still_refilling() {
        let clock = Arc::new(ManualClock::new());
        let limiter = MemoryRateLimiter::with_clock(Quota::new(2), clock.clone());
        limiter.check_sync("busy");
        limiter.check_sync("busy");
        limiter.check_sync("idle");
        // "idle" needs 30 s to refill its one token, "busy" 60 s for two.
        clock.advance(Duration::from_secs(31));
        limiter.check_sync("other");
        assert_eq!(limiter.len(), 2, "busy and other remain, idle is dropped");
        let busy = limiter.check_sync("busy");
        assert_eq!(
            busy.remaining, 0,
            "busy kept its state: one token back after 31 s"
        );
    }

    #[test]
    fn debug_output_does_not_show_keys() {
        let limiter = MemoryRateLimiter::new(Quota::default());
        limiter.check_sync("key:secret-value");
        let shown = format!("{limiter:?}");
        assert!(!shown.contains("secret-value"), "{shown}");
        assert!(shown.contains("buckets: 1"), "{shown}");
    }
}
