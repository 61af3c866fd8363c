//! Whether the shared store is usable, and when to try it again after it failed.
//!
//! While the store is down, requests must not each wait on a dead server: only one request per
//! probe interval is let through to it, and the outage is logged once at its start and once at
//! its end.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Outage tracking for one store connection. Uses real time: it is about the network, not
/// about the buckets.
#[derive(Debug)]
pub(crate) struct StoreHealth {
    start: Instant,
    probe_interval_micros: u64,
    down: AtomicBool,
    next_probe_micros: AtomicU64,
}

impl StoreHealth {
    pub(crate) fn new(probe_interval: Duration) -> Self {
        Self {
            start: Instant::now(),
            probe_interval_micros: crate::bucket::as_micros(probe_interval),
            down: AtomicBool::new(false),
            next_probe_micros: AtomicU64::new(0),
        }
    }

    pub(crate) fn is_down(&self) -> bool {
        self.down.load(Ordering::Acquire)
    }

    /// Whether this request should use the store: always while it is up, and during an outage
    /// for the single request that claims the next probe slot.
    pub(crate) fn should_try(&self) -> bool {
        if !self.is_down() {
            return true;
        }
        let now = self.now_micros();
        let due = self.next_probe_micros.load(Ordering::Acquire);
        if now < due {
            return false;
        }
        let claimed = self
            .next_probe_micros
            .compare_exchange(
                due,
                now.saturating_add(self.probe_interval_micros),
                Ordering::AcqRel,
                Ordering::Acquire,
            )
            .is_ok();
        if claimed {
            tracing::debug!(probe = true, "probing the rate-limit store");
        }
        claimed
    }

    /// Records a failed store call; logs a warning if this starts an outage.
    pub(crate) fn record_failure(&self, error: &dyn std::fmt::Display) {
        let next = self.now_micros().saturating_add(self.probe_interval_micros);
        self.next_probe_micros.store(next, Ordering::Release);
        if !self.down.swap(true, Ordering::AcqRel) {
            tracing::warn!(
                error = %error,
                "rate-limit store (Redis) unreachable; using per-replica in-memory limits until it answers"
            );
        }
    }

    /// Records a successful store call; logs if this ends an outage.
    pub(crate) fn record_success(&self) {
        if self.down.swap(false, Ordering::AcqRel) {
            tracing::info!("rate-limit store (Redis) answers again; limits are shared again");
        }
    }

    fn now_micros(&self) -> u64 {
        crate::bucket::as_micros(self.start.elapsed())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_probe_per_interval_during_an_outage() {
        let health = StoreHealth::new(Duration::from_secs(3600));
        assert!(health.should_try());
        health.record_failure(&"connection refused");
        assert!(health.is_down());
        assert!(!health.should_try(), "the next probe is an hour away");
        health.record_success();
        assert!(!health.is_down());
        assert!(health.should_try());
    }

    #[test]
    fn probe_slot_goes_to_one_caller() {
        let health = StoreHealth::new(Duration::ZERO);
        health.record_failure(&"down");
        // With a zero interval every later caller may probe, but never two on one slot.
        assert!(health.should_try());
        let health = StoreHealth::new(Duration::from_secs(3600));
        health.record_failure(&"down");
        health.next_probe_micros.store(0, Ordering::Release);
        assert!(health.should_try());
        assert!(!health.should_try());
    }
}
