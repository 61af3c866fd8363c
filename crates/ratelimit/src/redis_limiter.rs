//! Buckets in Redis, shared by every replica, with a per-replica fallback while Redis is down.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{RedisError, Script};

use crate::RateLimiter;
use crate::bucket::{Rate, as_micros};
use crate::clock::{Clock, SystemClock};
use crate::error::Error;
use crate::health::StoreHealth;
use crate::memory::MemoryRateLimiter;
use crate::quota::{Decision, Quota};

/// The prefix put before every caller key in Redis unless [`RedisOptions::key_prefix`] says
/// otherwise.
pub const DEFAULT_KEY_PREFIX: &str = "alloy:rl:";

/// How a [`RedisRateLimiter`] talks to Redis. `Default` gives the values meant for service.
#[derive(Clone)]
pub struct RedisOptions {
    /// Put before every key, so that several deployments (or test runs) can share one Redis.
    pub key_prefix: String,
    /// Limit on establishing a connection. A request never waits longer than this plus
    /// `response_timeout` for Redis before it is answered from the fallback.
    pub connection_timeout: Duration,
    /// Limit on waiting for Redis's answer to one command.
    pub response_timeout: Duration,
    /// During an outage, how often one request is let through to Redis to see if it is back.
    pub probe_interval: Duration,
    /// `None` (the default): the Redis server's clock, the only one all replicas agree on.
    /// `Some`: this clock's readings are sent with each check instead, and the fallback uses it
    /// too; for tests that must control time, with every limiter sharing the one clock.
    pub clock: Option<Arc<dyn Clock>>,
}

impl Default for RedisOptions {
    fn default() -> Self {
        Self {
            key_prefix: DEFAULT_KEY_PREFIX.to_owned(),
            connection_timeout: Duration::from_millis(1000),
            response_timeout: Duration::from_millis(1000),
            probe_interval: Duration::from_secs(1),
            clock: None,
        }
    }
}

impl fmt::Debug for RedisOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisOptions")
            .field("key_prefix", &self.key_prefix)
            .field("connection_timeout", &self.connection_timeout)
            .field("response_timeout", &self.response_timeout)
            .field("probe_interval", &self.probe_interval)
            .field("clock", &self.clock.as_ref().map(|_| "custom"))
            .finish()
    }
}

/// A rate limiter whose buckets live in Redis, so N replicas sharing one Redis allow
/// `per_minute` requests per key in total, not N times that.
///
/// Each check is one `EVALSHA` of a Lua script that refills and takes a token atomically, on
/// Redis's own clock, and sets the bucket to expire when it would be full again. When Redis
/// fails or does not answer in time the check is answered by a per-replica
/// [`MemoryRateLimiter`] with the same quota; a warning is logged once per outage, one request
/// per [`RedisOptions::probe_interval`] tries Redis again, and shared limits resume as soon as
/// one succeeds.
pub struct RedisRateLimiter {
    rate: Rate,
    connection: ConnectionManager,
    script: Script,
    key_prefix: String,
    clock: Option<Arc<dyn Clock>>,
    deadline: Duration,
    health: StoreHealth,
    fallback: MemoryRateLimiter,
}

impl RedisRateLimiter {
    /// A limiter on the Redis at `redis_url` (`redis://[user:password@]host:port[/db]`).
    ///
    /// Loads the script once to find out whether Redis answers. If it does not, the limiter
    /// starts on its fallback and logs a warning; only a malformed URL is an error. Must be
    /// called inside a Tokio runtime.
    pub async fn connect(
        redis_url: &str,
        quota: Quota,
        options: RedisOptions,
    ) -> Result<Self, Error> {
        let client = redis::Client::open(redis_url).map_err(|error| Error::InvalidRedisUrl {
            kind: format!("{:?}", error.kind()),
        })?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(options.connection_timeout))
            .set_response_timeout(Some(options.response_timeout))
            // Retrying inside the manager would hold requests for seconds; outages are
            // handled here instead, by the fallback and the probe interval.
            .set_number_of_retries(0);
        let connection =
            ConnectionManager::new_lazy_with_config(client, config).map_err(|error| {
                Error::InvalidRedisUrl {
                    kind: format!("{:?}", error.kind()),
                }
            })?;
        let fallback_clock: Arc<dyn Clock> = match &options.clock {
            Some(clock) => clock.clone(),
            None => Arc::new(SystemClock::new()),
        };
        let limiter = Self {
            rate: Rate::new(quota),
            connection,
            script: Script::new(include_str!("token_bucket.lua")),
            key_prefix: options.key_prefix,
            clock: options.clock,
            deadline: options.connection_timeout + options.response_timeout,
            health: StoreHealth::new(options.probe_interval),
            fallback: MemoryRateLimiter::with_clock(quota, fallback_clock),
        };
        limiter.load_script().await;
        Ok(limiter)
    }

    /// Whether checks are currently answered by the per-replica fallback because Redis failed.
    pub fn is_using_fallback(&self) -> bool {
        self.health.is_down()
    }

    /// The prefix put before every key in Redis.
    pub fn key_prefix(&self) -> &str {
        &self.key_prefix
    }

    /// Loads the script so that the first checks need one round trip, and records whether
    /// Redis answered.
    async fn load_script(&self) {
        let result = self
            .with_deadline(|| {
                let mut connection = self.connection.clone();
                async move { self.script.load_async(&mut connection).await.map(drop) }
            })
            .await;
        match result {
            Ok(()) => self.health.record_success(),
            Err(error) => self.health.record_failure(&error),
        }
    }

    async fn check_in_redis(&self, key: &str) -> Result<Decision, RedisError> {
        let (allowed, level): (i64, i64) = self
            .with_deadline(|| {
                let mut connection = self.connection.clone();
                let mut invocation = self.script.key(format!("{}{}", self.key_prefix, key));
                invocation.arg(self.rate.per_minute());
                match &self.clock {
                    Some(clock) => invocation.arg(as_micros(clock.now())),
                    None => invocation.arg(""),
                };
                async move { invocation.invoke_async(&mut connection).await }
            })
            .await?;
        let level = u64::try_from(level).unwrap_or(0);
        Ok(self.rate.decision(allowed == 1, level))
    }

    /// Runs `call` under the request deadline, once more at once if the connection had
    /// failed: the manager starts reconnecting on that error, and a Redis that has merely
    /// closed an idle connection should not send the replica to its fallback.
    async fn with_deadline<T, F, Fut>(&self, call: F) -> Result<T, RedisError>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Result<T, RedisError>>,
    {
        let attempts = async {
            match call().await {
                Err(error) if error.is_io_error() => call().await,
                other => other,
            }
        };
        match tokio::time::timeout(self.deadline, attempts).await {
            Ok(result) => result,
            // An I/O time-out, as the client reports its own time-outs.
            Err(_elapsed) => Err(std::io::Error::from(std::io::ErrorKind::TimedOut).into()),
        }
    }
}

impl fmt::Debug for RedisRateLimiter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The connection is left out: its address may carry a password.
        f.debug_struct("RedisRateLimiter")
            .field("per_minute", &self.rate.per_minute())
            .field("key_prefix", &self.key_prefix)
            .field("using_fallback", &self.is_using_fallback())
            .finish_non_exhaustive()
    }
}

#[async_trait::async_trait]
impl RateLimiter for RedisRateLimiter {
    async fn check(&self, key: &str) -> Decision {
        if self.health.should_try() {
            match self.check_in_redis(key).await {
                Ok(decision) => {
                    self.health.record_success();
                    return decision;
                }
                Err(error) => self.health.record_failure(&error),
            }
        }
        self.fallback.check_sync(key)
    }
}
