//! The Redis limiter against the machine's Redis (127.0.0.1:6379): exactness across replicas,
//! the script's arithmetic, key layout and expiry.

use std::sync::Arc;
use std::time::{Duration, Instant};

use alloy_ratelimit::{
    Clock, Decision, ManualClock, MemoryRateLimiter, Quota, RateLimiter, RedisOptions,
    RedisRateLimiter,
};

use crate::support::{
    LogCounts, SHARED_REDIS_URL, allowed, assert_each_token_taken_once, concurrent_checks,
    free_port, redis_connection, require_shared_redis, unique_prefix,
};

/// Options for tests that must not fall back: a loaded CI machine may be slow to answer.
fn patient_options(test: &str, clock: Option<Arc<dyn Clock>>) -> RedisOptions {
    RedisOptions {
        key_prefix: unique_prefix(test),
        connection_timeout: Duration::from_secs(5),
        response_timeout: Duration::from_secs(5),
        clock,
        ..RedisOptions::default()
    }
}

async fn replica(per_minute: u32, options: RedisOptions) -> Arc<RedisRateLimiter> {
    require_shared_redis().await;
    let limiter = RedisRateLimiter::connect(SHARED_REDIS_URL, Quota::new(per_minute), options)
        .await
        .expect("limiter on the shared Redis");
    assert!(!limiter.is_using_fallback(), "the shared Redis answered");
    Arc::new(limiter)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_checks_on_one_key_allow_exactly_the_bucket_size() {
    let clock: Arc<dyn Clock> = Arc::new(ManualClock::new());
    let limiter = replica(100, patient_options("exact", Some(clock))).await;
    let decisions =
        concurrent_checks(&[limiter.clone() as Arc<dyn RateLimiter>], "key:hot", 1_000).await;
    assert!(
        !limiter.is_using_fallback(),
        "every check was answered by Redis"
    );
    assert_eq!(allowed(&decisions), 100);
    assert_each_token_taken_once(&decisions, 100);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_replicas_share_one_budget() {
    // One frozen clock stands for Redis's: no token can come back during the burst.
    let clock: Arc<dyn Clock> = Arc::new(ManualClock::new());
    let options = patient_options("two-replicas", Some(clock));
    let first = replica(100, options.clone()).await;
    let second = replica(100, options).await;
    let replicas: [Arc<dyn RateLimiter>; 2] = [first.clone(), second.clone()];
    let decisions = concurrent_checks(&replicas, "token:digest", 1_000).await;
    assert!(!first.is_using_fallback() && !second.is_using_fallback());
    assert_eq!(
        allowed(&decisions),
        100,
        "100 in total, not 100 per replica"
    );
    assert_each_token_taken_once(&decisions, 100);
    let per_replica = |offset: usize| {
        decisions
            .iter()
            .skip(offset)
            .step_by(2)
            .filter(|decision| decision.allowed)
            .count()
    };
    assert_eq!(per_replica(0) + per_replica(1), 100);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_replicas_on_the_redis_clock_share_one_budget() {
    // The service configuration: time comes from Redis's TIME. A token comes back every
    // 0.6 s, so a burst that lasts longer than that may see one more pass per 0.6 s.
    let first = replica(100, patient_options("server-clock", None)).await;
    let second = replica(
        100,
        RedisOptions {
            key_prefix: first.key_prefix().to_owned(),
            ..patient_options("unused", None)
        },
    )
    .await;
    let replicas: [Arc<dyn RateLimiter>; 2] = [first.clone(), second.clone()];
    let started = Instant::now();
    let decisions = concurrent_checks(&replicas, "key:shared", 1_000).await;
    let refills = (started.elapsed().as_micros() / 600_000) as usize;
    assert!(!first.is_using_fallback() && !second.is_using_fallback());
    let passed = allowed(&decisions);
    assert!(
        (100..=100 + refills).contains(&passed),
        "{passed} passed; expected 100 plus at most {refills} refilled during the burst"
    );
}

/// The same scripted sequence through Redis and through memory gives identical decisions: the
/// Lua script and the Rust bucket agree to the microsecond.
#[tokio::test]
async fn redis_and_memory_agree_on_refill_timing() {
    let clock = Arc::new(ManualClock::new());
    let redis = replica(100, patient_options("timing", Some(clock.clone()))).await;
    let memory = MemoryRateLimiter::with_clock(Quota::new(100), clock.clone());

    let mut steps: Vec<(Decision, Decision)> = Vec::new();
    let mut step = async |advance_ms: u64| {
        clock.advance(Duration::from_millis(advance_ms));
        let pair = (redis.check("key:a").await, memory.check_sync("key:a"));
        steps.push(pair);
        pair.0
    };
    for _ in 0..100 {
        assert!(step(0).await.allowed);
    }
    let refused = step(0).await;
    assert!(!refused.allowed);
    assert_eq!(refused.retry_after, Some(Duration::from_millis(600)));
    assert_eq!(refused.reset_after, Duration::from_secs(60));
    assert!(!step(599).await.allowed);
    let refilled = step(1).await;
    assert!(refilled.allowed);
    assert_eq!(refilled.remaining, 0);
    assert!(!step(0).await.allowed);
    for advance in [100, 250, 250, 333, 30_000, 59_999, 1, 60_000, 7, 593] {
        step(advance).await;
    }
    let full = steps[steps.len() - 3].0;
    assert_eq!(full.remaining, 99, "a minute idle refills the bucket");
    assert_eq!(full.reset_after, Duration::from_millis(600));
    for (i, (in_redis, in_memory)) in steps.iter().enumerate() {
        assert_eq!(in_redis, in_memory, "step {i}");
    }
    assert!(!redis.is_using_fallback());
}

#[tokio::test]
async fn refusal_on_the_redis_clock_says_when_to_retry() {
    let limiter = replica(100, patient_options("retry", None)).await;
    for _ in 0..100 {
        limiter.check("key:a").await;
    }
    let refused = limiter.check("key:a").await;
    assert!(!refused.allowed);
    let wait = refused.retry_after.expect("a refusal says when to retry");
    assert!(
        wait > Duration::ZERO && wait <= Duration::from_millis(600),
        "{wait:?}"
    );
    assert!(
        refused.reset_after > Duration::from_secs(59)
            && refused.reset_after <= Duration::from_secs(60)
    );
    tokio::time::sleep(wait + Duration::from_millis(20)).await;
    assert!(
        limiter.check("key:a").await.allowed,
        "a token is back after Retry-After"
    );
    assert!(!limiter.is_using_fallback());
}

#[tokio::test]
async fn one_key_running_out_leaves_other_keys_alone() {
    let clock: Arc<dyn Clock> = Arc::new(ManualClock::new());
    let limiter = replica(3, patient_options("isolation", Some(clock))).await;
    for _ in 0..10 {
        limiter.check("ip:203.0.113.7").await;
    }
    assert!(!limiter.check("ip:203.0.113.7").await.allowed);
    let other = limiter.check("ip:203.0.113.8").await;
    assert!(other.allowed);
    assert_eq!(other.remaining, 2);
}

#[tokio::test]
async fn buckets_live_under_the_prefix_and_expire_once_full() {
    let clock = Arc::new(ManualClock::new());
    let limiter = replica(100, patient_options("layout", Some(clock.clone()))).await;
    limiter.check("key:a").await;
    limiter.check("key:a").await;

    let mut connection = redis_connection(SHARED_REDIS_URL).await;
    let name = format!("{}key:a", limiter.key_prefix());
    let (level, ts): (u64, u64) = redis::cmd("HMGET")
        .arg(&name)
        .arg("level")
        .arg("ts")
        .query_async(&mut connection)
        .await
        .expect("bucket hash under the prefix");
    assert_eq!(level, 98 * 60_000_000, "98 tokens left, in ticks");
    assert_eq!(ts, 0, "the clock reading of the last check");
    let ttl_ms: i64 = redis::cmd("PTTL")
        .arg(&name)
        .query_async(&mut connection)
        .await
        .expect("PTTL");
    // Two tokens come back in 1.2 s: the bucket means nothing after that.
    assert!(ttl_ms > 0 && ttl_ms <= 1_201, "TTL {ttl_ms} ms");
}

#[tokio::test]
async fn limiter_from_url_uses_redis_when_given_a_url() {
    require_shared_redis().await;
    let limiter = alloy_ratelimit::limiter_from_url(Some(SHARED_REDIS_URL), Quota::new(2))
        .await
        .expect("limiter");
    // The default prefix is shared with the running service, so the key is made unique.
    let key = unique_prefix("from-url");
    assert!(limiter.check(&key).await.allowed);
    assert!(limiter.check(&key).await.allowed);
    assert!(!limiter.check(&key).await.allowed);
    let mut connection = redis_connection(SHARED_REDIS_URL).await;
    let exists: bool = redis::cmd("EXISTS")
        .arg(format!("alloy:rl:{key}"))
        .query_async(&mut connection)
        .await
        .expect("EXISTS");
    assert!(exists, "the bucket is in Redis under the default prefix");
}

#[tokio::test]
async fn start_up_with_redis_down_gives_a_working_limiter() {
    let (logs, _guard) = LogCounts::record();
    let url = format!("redis://127.0.0.1:{}", free_port());
    let limiter = alloy_ratelimit::limiter_from_url(Some(&url), Quota::new(3))
        .await
        .expect("a down Redis is not a start-up error");
    assert_eq!(logs.warnings(), 1, "the outage is logged at start-up");
    let decisions = [
        limiter.check("key:a").await,
        limiter.check("key:a").await,
        limiter.check("key:a").await,
        limiter.check("key:a").await,
    ];
    assert_eq!(allowed(&decisions), 3, "the fallback enforces the quota");
    assert_eq!(
        logs.warnings(),
        1,
        "logged once per outage, not per request"
    );
}

#[tokio::test]
async fn malformed_url_is_an_error_that_does_not_echo_the_url() {
    let url = "rediss-not-a-scheme://user:hunter2@host:6379";
    let error = match alloy_ratelimit::limiter_from_url(Some(url), Quota::default()).await {
        Ok(_) => panic!("a malformed URL must be rejected"),
        Err(error) => error,
    };
    let shown = format!("{error} {error:?}");
    assert!(!shown.contains("hunter2"), "{shown}");
}
