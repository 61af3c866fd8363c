//! Token-bucket arithmetic shared by the memory store and (in Lua) the Redis script.
//!
//! Levels are counted in *ticks*: one token is [`TICKS_PER_TOKEN`] ticks and a bucket gains
//! `per_minute` ticks per microsecond. With 60,000,000 µs in a minute that is exactly
//! `per_minute` tokens per minute, and every quantity stays an integer, so "one token every
//! 0.6 s" is exact rather than a float that lands a hair short of 1.0. Redis's Lua numbers are
//! doubles, exact up to 2^53; [`MAX_PER_MINUTE`] keeps a full bucket below that.

use std::time::Duration;

use crate::quota::{Decision, Quota};

/// Microseconds in a minute: the longest any bucket takes to refill from empty.
pub(crate) const MICROS_PER_MINUTE: u64 = 60_000_000;

/// Ticks in one token.
pub(crate) const TICKS_PER_TOKEN: u64 = MICROS_PER_MINUTE;

/// The largest `per_minute` a limiter enforces; larger quotas are treated as this one.
pub const MAX_PER_MINUTE: u32 = 150_000_000;

/// A quota turned into tick arithmetic, with out-of-range values clamped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Rate {
    per_minute: u64,
}

impl Rate {
    pub(crate) fn new(quota: Quota) -> Self {
        Self {
            per_minute: u64::from(quota.per_minute.clamp(1, MAX_PER_MINUTE)),
        }
    }

    /// Tokens per minute after clamping; the same number is ticks gained per microsecond.
    pub(crate) fn per_minute(self) -> u64 {
        self.per_minute
    }

    pub(crate) fn capacity(self) -> u64 {
        self.per_minute * TICKS_PER_TOKEN
    }

    /// `level` after `elapsed_micros` of refilling, never above capacity.
    pub(crate) fn refill(self, level: u64, elapsed_micros: u64) -> u64 {
        // A minute refills any bucket, so capping elapsed time first keeps the product small.
        let gained = elapsed_micros.min(MICROS_PER_MINUTE) * self.per_minute;
        level.saturating_add(gained).min(self.capacity())
    }

    /// The decision for a bucket left at `level` ticks after this check.
    pub(crate) fn decision(self, allowed: bool, level: u64) -> Decision {
        let level = level.min(self.capacity());
        let micros_until = |target: u64| {
            Duration::from_micros(target.saturating_sub(level).div_ceil(self.per_minute))
        };
        Decision {
            allowed,
            // Lossless: clamped to MAX_PER_MINUTE in `new`.
            limit: u32::try_from(self.per_minute).unwrap_or(MAX_PER_MINUTE),
            remaining: u32::try_from(level / TICKS_PER_TOKEN).unwrap_or(MAX_PER_MINUTE),
            reset_after: micros_until(self.capacity()),
            retry_after: (!allowed).then(|| micros_until(TICKS_PER_TOKEN)),
        }
    }
}

/// One key's bucket as the memory store keeps it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TokenBucket {
    level: u64,
    updated_micros: u64,
}

impl TokenBucket {
    /// A bucket first seen at `now_micros`: full, as if it had been idle forever.
    pub(crate) fn full(rate: Rate, now_micros: u64) -> Self {
        Self {
            level: rate.capacity(),
            updated_micros: now_micros,
        }
    }

    /// Refills up to `now_micros`, then takes one token if there is one.
    pub(crate) fn take(&mut self, rate: Rate, now_micros: u64) -> Decision {
        // A clock reading older than the last update adds nothing; keeping the later time
        // avoids counting the same interval twice.
        let elapsed = now_micros.saturating_sub(self.updated_micros);
        self.level = rate.refill(self.level, elapsed);
        self.updated_micros = self.updated_micros.max(now_micros);
        let allowed = self.level >= TICKS_PER_TOKEN;
        if allowed {
            self.level -= TICKS_PER_TOKEN;
        }
        rate.decision(allowed, self.level)
    }

    /// Whether the bucket has refilled completely by `now_micros`. A full bucket says nothing
    /// a fresh one would not, so it can be forgotten.
    pub(crate) fn is_full_at(&self, rate: Rate, now_micros: u64) -> bool {
        let elapsed = now_micros.saturating_sub(self.updated_micros);
        rate.refill(self.level, elapsed) >= rate.capacity()
    }
}

/// A clock reading in whole microseconds, saturating far beyond any real uptime.
pub(crate) fn as_micros(duration: Duration) -> u64 {
    u64::try_from(duration.as_micros()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: u64 = 1_000;

    #[test]
    fn burst_passes_exactly_the_capacity() {
        let rate = Rate::new(Quota::new(100));
        let mut bucket = TokenBucket::full(rate, 0);
        let allowed = (0..150).filter(|_| bucket.take(rate, 0).allowed).count();
        assert_eq!(allowed, 100);
    }

    #[test]
    fn one_token_every_six_hundred_milliseconds() {
        let rate = Rate::new(Quota::new(100));
        let mut bucket = TokenBucket::full(rate, 0);
        for _ in 0..100 {
            bucket.take(rate, 0);
        }
        let refused = bucket.take(rate, 0);
        assert_eq!(refused.retry_after, Some(Duration::from_millis(600)));
        assert!(!bucket.take(rate, 599 * MS).allowed);
        assert!(bucket.take(rate, 600 * MS).allowed);
        assert!(!bucket.take(rate, 600 * MS).allowed);
    }

    #[test]
    fn quota_is_clamped() {
        assert_eq!(Rate::new(Quota::new(0)).per_minute(), 1);
        assert_eq!(
            Rate::new(Quota::new(u32::MAX)).per_minute(),
            u64::from(MAX_PER_MINUTE)
        );
        // The largest bucket must stay exact in a Lua double.
        assert!(Rate::new(Quota::new(u32::MAX)).capacity() < (1 << 53));
    }

    #[test]
    fn clock_going_backwards_neither_refills_nor_panics() {
        let rate = Rate::new(Quota::new(1));
        let mut bucket = TokenBucket::full(rate, 10 * MICROS_PER_MINUTE);
        assert!(bucket.take(rate, 10 * MICROS_PER_MINUTE).allowed);
        assert!(!bucket.take(rate, 0).allowed);
        // The full minute counts from the later reading, not from the earlier one.
        assert!(!bucket.take(rate, 11 * MICROS_PER_MINUTE - 1).allowed);
        assert!(bucket.take(rate, 11 * MICROS_PER_MINUTE).allowed);
    }

    #[test]
    fn full_after_a_minute_idle() {
        let rate = Rate::new(Quota::new(7));
        let mut bucket = TokenBucket::full(rate, 0);
        bucket.take(rate, 0);
        assert!(!bucket.is_full_at(rate, 0));
        assert!(!bucket.is_full_at(rate, MICROS_PER_MINUTE / 7 - 1));
        assert!(bucket.is_full_at(rate, MICROS_PER_MINUTE / 7 + 1));
        assert!(bucket.is_full_at(rate, u64::MAX));
    }
}
