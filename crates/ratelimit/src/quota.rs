//! What a limiter is asked to enforce ([`Quota`]) and what it answers ([`Decision`]).

use std::time::Duration;

/// The default of `RATE_LIMIT_PER_MINUTE`.
pub const DEFAULT_PER_MINUTE: u32 = 100;

/// The size of every bucket and how fast it refills.
///
/// A bucket holds `per_minute` tokens and gains `per_minute / 60` tokens per second, so a burst
/// of `per_minute` requests passes at once and after that one request every `60 / per_minute`
/// seconds. Limiters treat values below 1 as 1 and above [`crate::MAX_PER_MINUTE`] as that.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Quota {
    /// Bucket capacity, and tokens added per minute.
    pub per_minute: u32,
}

impl Quota {
    /// A quota of `per_minute` tokens per minute.
    pub const fn new(per_minute: u32) -> Self {
        Self { per_minute }
    }
}

impl Default for Quota {
    fn default() -> Self {
        Self::new(DEFAULT_PER_MINUTE)
    }
}

/// The answer to one check, with what the HTTP layer needs for its rate-limit headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    /// Whether the request may proceed (a token was taken).
    pub allowed: bool,
    /// The bucket size in force (`RateLimit-Limit`).
    pub limit: u32,
    /// Whole tokens left after this check (`RateLimit-Remaining`).
    pub remaining: u32,
    /// Time until the bucket is full again (`RateLimit-Reset`).
    pub reset_after: Duration,
    /// When refused: time until one token is available (`Retry-After`).
    pub retry_after: Option<Duration>,
}

impl Decision {
    /// [`Decision::retry_after`] in whole seconds, rounded up and at least 1, as `Retry-After`
    /// wants it: rounding down would invite a retry that is refused again.
    pub fn retry_after_secs(&self) -> Option<u64> {
        self.retry_after.map(|wait| ceil_secs(wait).max(1))
    }

    /// [`Decision::reset_after`] in whole seconds, rounded up, for `RateLimit-Reset`.
    pub fn reset_after_secs(&self) -> u64 {
        ceil_secs(self.reset_after)
    }
}

fn ceil_secs(duration: Duration) -> u64 {
    let whole = duration.as_secs();
    if duration.subsec_nanos() > 0 {
        whole.saturating_add(1)
    } else {
        whole
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(retry_after: Duration) -> Decision {
        Decision {
            allowed: false,
            limit: 100,
            remaining: 0,
            reset_after: Duration::from_millis(59_400),
            retry_after: Some(retry_after),
        }
    }

    #[test]
    fn header_seconds_round_up() {
        assert_eq!(
            refused(Duration::from_millis(600)).retry_after_secs(),
            Some(1)
        );
        assert_eq!(
            refused(Duration::from_millis(1_001)).retry_after_secs(),
            Some(2)
        );
        assert_eq!(refused(Duration::from_secs(2)).retry_after_secs(), Some(2));
        assert_eq!(refused(Duration::ZERO).retry_after_secs(), Some(1));
        assert_eq!(refused(Duration::from_secs(1)).reset_after_secs(), 60);
    }

    #[test]
    fn default_quota_is_one_hundred_per_minute() {
        assert_eq!(Quota::default(), Quota { per_minute: 100 });
    }
}
