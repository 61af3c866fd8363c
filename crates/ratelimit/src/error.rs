//! Errors of this crate: only configuration can fail, never a check.

/// What can go wrong when building a rate limiter.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The Redis URL could not be understood. The URL itself is left out of the message
    /// because it may carry a password.
    #[error("the Redis URL is not valid ({kind})")]
    InvalidRedisUrl {
        /// The Redis client's classification of the problem.
        kind: String,
    },
}
