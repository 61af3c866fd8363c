//! Redis stopping and coming back: requests keep being answered from the per-replica
//! fallback, the outage is logged once, and the limiters return to shared limits.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use alloy_ratelimit::{
    Clock, Decision, ManualClock, Quota, RateLimiter, RedisOptions, RedisRateLimiter,
};

use crate::support::{LogCounts, RedisServer, allowed, free_port, unique_prefix};

/// Bound on any one check: a dead Redis must never hold a request for long. This is a
/// liveness bound, far above the 0.5 s the options allow, not a speed measurement.
async fn answered<F: Future<Output = Decision>>(check: F) -> Decision {
    tokio::time::timeout(Duration::from_secs(5), check)
        .await
        .expect("a check is answered even while Redis is down")
}

async fn check_n(limiter: &RedisRateLimiter, key: &str, n: usize) -> Vec<Decision> {
    let mut decisions = Vec::with_capacity(n);
    for _ in 0..n {
        decisions.push(answered(limiter.check(key)).await);
    }
    decisions
}

/// Checks `probe_key` until the limiter is back on Redis, within ten seconds.
async fn wait_until_shared(limiter: &RedisRateLimiter, probe_key: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        answered(limiter.check(probe_key)).await;
        if !limiter.is_using_fallback() {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the limiter did not return to Redis within 10 s"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

#[tokio::test]
async fn redis_stopping_and_restarting() {
    let (logs, _guard) = LogCounts::record();
    let port = free_port();
    let mut server = RedisServer::start(port).await;

    let clock: Arc<dyn Clock> = Arc::new(ManualClock::new());
    let options = RedisOptions {
        key_prefix: unique_prefix("outage"),
        connection_timeout: Duration::from_millis(250),
        response_timeout: Duration::from_millis(250),
        probe_interval: Duration::from_millis(100),
        clock: Some(clock),
    };
    let quota = Quota::new(5);
    let first = RedisRateLimiter::connect(&server.url(), quota, options.clone())
        .await
        .expect("first replica");
    let second = RedisRateLimiter::connect(&server.url(), quota, options)
        .await
        .expect("second replica");

    // Shared while Redis runs: three on one replica and one on the other leave one token.
    assert_eq!(allowed(&check_n(&first, "key:k", 3).await), 3);
    let shared = answered(second.check("key:k")).await;
    assert!(shared.allowed);
    assert_eq!(shared.remaining, 1);
    assert_eq!(logs.warnings(), 0);

    server.stop();

    // Each replica now answers from its own buckets with the same quota: five each.
    let during_first = check_n(&first, "key:k", 8).await;
    let during_second = check_n(&second, "key:k", 8).await;
    assert!(first.is_using_fallback() && second.is_using_fallback());
    assert_eq!(allowed(&during_first), 5);
    assert_eq!(allowed(&during_second), 5);
    assert!(during_first[7].retry_after.is_some());
    assert_eq!(
        logs.warnings(),
        2,
        "one warning per replica for the whole outage"
    );

    // A dead Redis is probed at most once per interval, not on every request.
    let probes_before = logs.probes();
    let started = Instant::now();
    check_n(&first, "key:other", 300).await;
    let intervals = (started.elapsed().as_millis() / 100) as usize;
    let probes = logs.probes() - probes_before;
    assert!(
        probes <= intervals + 1,
        "{probes} probes in {intervals} probe intervals"
    );
    assert_eq!(logs.warnings(), 2);

    // Same port, empty Redis (no persistence): both replicas come back to it.
    let _server = RedisServer::start(port).await;
    wait_until_shared(&first, "probe:first").await;
    wait_until_shared(&second, "probe:second").await;
    assert_eq!(
        logs.infos(),
        2,
        "the end of the outage is logged once per replica"
    );

    let back_first = check_n(&first, "key:after", 3).await;
    assert_eq!(allowed(&back_first), 3);
    let back_second = answered(second.check("key:after")).await;
    assert!(back_second.allowed);
    assert_eq!(back_second.remaining, 1, "the replicas share buckets again");
    assert!(!first.is_using_fallback() && !second.is_using_fallback());
    assert_eq!(logs.warnings(), 2);
}
