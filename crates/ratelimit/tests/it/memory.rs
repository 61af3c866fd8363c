//! The in-memory limiter: exactness, refill timing, key isolation and eviction.

use std::sync::Arc;
use std::time::Duration;

use alloy_ratelimit::{Decision, ManualClock, MemoryRateLimiter, Quota, RateLimiter};

use crate::support::{allowed, assert_each_token_taken_once, concurrent_checks};

fn limiter(per_minute: u32) -> (Arc<MemoryRateLimiter>, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::new());
    let limiter = MemoryRateLimiter::with_clock(Quota::new(per_minute), clock.clone());
    (Arc::new(limiter), clock)
}

#[test]
fn burst_of_150_lets_exactly_100_through() {
    let (limiter, _clock) = limiter(100);
    let decisions: Vec<Decision> = (0..150).map(|_| limiter.check_sync("key:a")).collect();
    assert_eq!(allowed(&decisions), 100);
    assert!(decisions[..100].iter().all(|decision| decision.allowed));
    assert!(decisions[100..].iter().all(|decision| !decision.allowed));
    assert_each_token_taken_once(&decisions, 100);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_checks_allow_exactly_the_bucket_size() {
    let (limiter, _clock) = limiter(100);
    let decisions = concurrent_checks(&[limiter as Arc<dyn RateLimiter>], "key:hot", 1_000).await;
    assert_eq!(allowed(&decisions), 100);
    assert_each_token_taken_once(&decisions, 100);
}

#[test]
fn concurrent_checks_from_os_threads_allow_exactly_the_bucket_size() {
    let (limiter, _clock) = limiter(250);
    let allowed_per_thread: Vec<usize> = std::thread::scope(|scope| {
        let threads: Vec<_> = (0..8)
            .map(|_| {
                let limiter = &limiter;
                scope.spawn(move || {
                    (0..125)
                        .filter(|_| limiter.check_sync("jwt:subject").allowed)
                        .count()
                })
            })
            .collect();
        threads
            .into_iter()
            .map(|thread| thread.join().expect("thread completes"))
            .collect()
    });
    assert_eq!(allowed_per_thread.iter().sum::<usize>(), 250);
}

#[test]
fn refill_gives_one_token_every_600_ms_and_is_full_after_60_s() {
    let (limiter, clock) = limiter(100);
    for expected_remaining in (0..100).rev() {
        let decision = limiter.check_sync("key:a");
        assert!(decision.allowed);
        assert_eq!(decision.remaining, expected_remaining);
        assert_eq!(decision.limit, 100);
    }
    let refused = limiter.check_sync("key:a");
    assert_eq!(
        refused,
        Decision {
            allowed: false,
            limit: 100,
            remaining: 0,
            reset_after: Duration::from_secs(60),
            retry_after: Some(Duration::from_millis(600)),
        }
    );
    assert_eq!(refused.retry_after_secs(), Some(1));
    assert_eq!(refused.reset_after_secs(), 60);

    clock.advance(Duration::from_millis(599));
    let early = limiter.check_sync("key:a");
    assert!(!early.allowed);
    assert_eq!(early.retry_after, Some(Duration::from_millis(1)));
    assert_eq!(early.reset_after, Duration::from_millis(59_401));

    clock.advance(Duration::from_millis(1));
    let refilled = limiter.check_sync("key:a");
    assert!(refilled.allowed);
    assert_eq!(refilled.remaining, 0);
    assert_eq!(refilled.retry_after, None);
    assert_eq!(refilled.reset_after, Duration::from_secs(60));
    assert!(!limiter.check_sync("key:a").allowed);

    // Over six seconds, exactly ten more pass.
    let mut passed = 0;
    for _ in 0..60 {
        clock.advance(Duration::from_millis(100));
        passed += usize::from(limiter.check_sync("key:a").allowed);
    }
    assert_eq!(passed, 10);

    // Half a minute brings back half the bucket.
    clock.advance(Duration::from_secs(30));
    let half = limiter.check_sync("key:a");
    assert!(half.allowed);
    assert_eq!(half.remaining, 49);

    // A minute idle fills it completely.
    clock.advance(Duration::from_secs(60));
    let full = limiter.check_sync("key:a");
    assert!(full.allowed);
    assert_eq!(full.remaining, 99);
    assert_eq!(full.reset_after, Duration::from_millis(600));
}

#[test]
fn one_key_running_out_leaves_other_keys_alone() {
    let (limiter, _clock) = limiter(3);
    for _ in 0..10 {
        limiter.check_sync("ip:203.0.113.7");
    }
    assert!(!limiter.check_sync("ip:203.0.113.7").allowed);
    let other = limiter.check_sync("ip:203.0.113.8");
    assert!(other.allowed);
    assert_eq!(other.remaining, 2);
    let unrelated = limiter.check_sync("key:203.0.113.7");
    assert_eq!(unrelated.remaining, 2);
}

#[test]
fn idle_buckets_are_dropped_and_memory_stays_bounded() {
    let (limiter, clock) = limiter(100);
    for round in 0..20 {
        for i in 0..1_000 {
            assert!(limiter.check_sync(&format!("ip:{round}:{i}")).allowed);
        }
        assert!(
            limiter.len() <= 1_000,
            "round {round}: {} buckets held, yet only the last 1,000 keys are recent",
            limiter.len()
        );
        // Each bucket has taken one token: it is full again 0.6 s later, and the next sweep
        // (every 10 s) drops it.
        clock.advance(Duration::from_secs(11));
    }
    limiter.check_sync("key:last");
    assert_eq!(limiter.len(), 1);
}

#[test]
fn buckets_still_refilling_survive_the_sweep() {
    let (limiter, clock) = limiter(100);
    for _ in 0..100 {
        limiter.check_sync("key:drained");
    }
    limiter.check_sync("key:touched");
    clock.advance(Duration::from_secs(30));
    limiter.check_sync("key:new");
    assert_eq!(
        limiter.len(),
        2,
        "drained needs 60 s; touched was full after 0.6 s"
    );
    assert_eq!(limiter.check_sync("key:drained").remaining, 49);
}

#[tokio::test]
async fn without_a_redis_url_the_limiter_is_in_memory() {
    let limiter = alloy_ratelimit::limiter_from_url(None, Quota::new(2))
        .await
        .expect("memory limiter");
    assert!(limiter.check("key:a").await.allowed);
    assert!(limiter.check("key:a").await.allowed);
    let refused = limiter.check("key:a").await;
    assert!(!refused.allowed);
    let wait = refused.retry_after.expect("refusal says when to retry");
    assert!(wait > Duration::from_secs(29) && wait <= Duration::from_secs(30));
}

#[test]
fn zero_per_minute_is_treated_as_one() {
    let (limiter, _clock) = limiter(0);
    assert!(limiter.check_sync("key:a").allowed);
    let refused = limiter.check_sync("key:a");
    assert!(!refused.allowed);
    assert_eq!(refused.limit, 1);
    assert_eq!(refused.retry_after, Some(Duration::from_secs(60)));
}
