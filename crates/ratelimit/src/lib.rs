//! Token-bucket rate limiting that holds across replicas: in memory for one process, in Redis
//! for several.
//!
//! Every key (an opaque string chosen by the caller, such as `"key:<id>"` or `"ip:<addr>"`) has
//! a bucket of [`Quota::per_minute`] tokens that refills continuously at `per_minute / 60`
//! tokens per second. A request takes one token; when none is left it is refused, and the
//! [`Decision`] says how long until the next token.
//!
//! - [`MemoryRateLimiter`] keeps buckets in a `DashMap` and drops those that have refilled.
//! - [`RedisRateLimiter`] keeps them in Redis (one atomic Lua script per check, Redis's own
//!   clock) so that all replicas share one budget, and falls back to per-replica memory
//!   buckets while Redis is unreachable.
//! - [`limiter_from_url`] picks one from the `REDIS_URL` setting.
//!
//! ```
//! use alloy_ratelimit::{Quota, limiter_from_url};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), alloy_ratelimit::Error> {
//! // `None`: no REDIS_URL, buckets in memory.
//! let limiter = limiter_from_url(None, Quota::new(2)).await?;
//! assert!(limiter.check("key:abc").await.allowed);
//! assert!(limiter.check("key:abc").await.allowed);
//! let refused = limiter.check("key:abc").await;
//! assert!(!refused.allowed);
//! assert_eq!(refused.retry_after_secs(), Some(30)); // one token every 30 s
//! # Ok(())
//! # }
//! ```

#![forbid(unsafe_code)]

mod bucket;
mod clock;
mod error;
mod health;
mod memory;
mod quota;
mod redis_limiter;

use std::sync::Arc;

pub use bucket::MAX_PER_MINUTE;
pub use clock::{Clock, ManualClock, SystemClock};
pub use error::Error;
pub use memory::MemoryRateLimiter;
pub use quota::{DEFAULT_PER_MINUTE, Decision, Quota};
pub use redis_limiter::{DEFAULT_KEY_PREFIX, RedisOptions, RedisRateLimiter};

/// Decides whether a request identified by a key may proceed.
///
/// Implementations are infallible: a backend that cannot reach its store answers from a
/// fallback rather than failing the request.
#[async_trait::async_trait]
pub trait RateLimiter: Send + Sync + 'static {
    /// Takes one token from `key`'s bucket if one is available.
    async fn check(&self, key: &str) -> Decision;
}

/// Builds the limiter the settings ask for: Redis when `redis_url` is given, memory otherwise.
///
/// A Redis that is down at start-up is not an error: the limiter starts on its in-memory
/// fallback, logs a warning and moves to Redis once it answers. Only a malformed URL fails.
pub async fn limiter_from_url(
    redis_url: Option<&str>,
    quota: Quota,
) -> Result<Arc<dyn RateLimiter>, Error> {
    match redis_url {
        Some(url) => {
            let limiter = RedisRateLimiter::connect(url, quota, RedisOptions::default()).await?;
            Ok(Arc::new(limiter))
        }
        None => Ok(Arc::new(MemoryRateLimiter::new(quota))),
    }
}
