//! Checks per second of the memory limiter (one key; many keys across threads) and of the
//! Redis limiter. A plain program that prints figures: `cargo bench -p alloy-ratelimit`.
//! The Redis part uses `REDIS_URL` (default `redis://127.0.0.1:6379`) and is skipped with a
//! notice when Redis does not answer.

use std::hint::black_box;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use alloy_ratelimit::{MemoryRateLimiter, Quota, RateLimiter, RedisOptions, RedisRateLimiter};

const RUN_FOR: Duration = Duration::from_secs(1);
const KEYS_PER_THREAD: usize = 50_000;
const REDIS_TASKS: usize = 64;

fn main() {
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let quota = Quota::default();
    println!(
        "alloy-ratelimit benchmark: quota {} per minute, {threads} threads",
        quota.per_minute
    );
    println!("(most checks are refusals once a key is drained; both paths cost the same)\n");

    let limiter = MemoryRateLimiter::new(quota);
    let checks = run_threads(1, |_, stop| {
        let mut n = 0u64;
        while !stop.load(Ordering::Relaxed) {
            black_box(limiter.check_sync("key:one"));
            n += 1;
        }
        n
    });
    report("memory, 1 key, 1 thread", checks);

    let limiter = MemoryRateLimiter::new(quota);
    let checks = run_threads(threads, |_, stop| {
        let mut n = 0u64;
        while !stop.load(Ordering::Relaxed) {
            black_box(limiter.check_sync("key:one"));
            n += 1;
        }
        n
    });
    report(&format!("memory, 1 key, {threads} threads"), checks);

    let limiter = MemoryRateLimiter::new(quota);
    let keys: Vec<Vec<String>> = (0..threads)
        .map(|t| {
            (0..KEYS_PER_THREAD)
                .map(|i| format!("ip:{t}:{i}"))
                .collect()
        })
        .collect();
    let checks = run_threads(threads, |t, stop| {
        let mut n = 0u64;
        for key in keys[t].iter().cycle() {
            if stop.load(Ordering::Relaxed) {
                break;
            }
            black_box(limiter.check_sync(key));
            n += 1;
        }
        n
    });
    report(
        &format!(
            "memory, {} keys, {threads} threads",
            threads * KEYS_PER_THREAD
        ),
        checks,
    );
    println!("{:>40}  {} buckets held afterwards", "", limiter.len());

    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            println!("\nRedis: skipped, no Tokio runtime: {error}");
            return;
        }
    };
    runtime.block_on(redis_bench(quota));
}

/// Runs `work` on `threads` threads for [`RUN_FOR`] and returns (checks, seconds).
fn run_threads<F>(threads: usize, work: F) -> (u64, f64)
where
    F: Fn(usize, &AtomicBool) -> u64 + Sync,
{
    let stop = AtomicBool::new(false);
    let started = Instant::now();
    let total = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let (work, stop) = (&work, &stop);
                scope.spawn(move || work(t, stop))
            })
            .collect();
        std::thread::sleep(RUN_FOR);
        stop.store(true, Ordering::Relaxed);
        handles.into_iter().map(|h| h.join().unwrap_or(0)).sum()
    });
    (total, started.elapsed().as_secs_f64())
}

fn report(label: &str, (checks, seconds): (u64, f64)) {
    let per_second = checks as f64 / seconds;
    println!("{label:>40}  {per_second:>12.0} checks/s");
}

async fn redis_bench(quota: Quota) {
    let url = std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned());
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    let options = RedisOptions {
        key_prefix: format!("alloy:rl:bench:{nanos}:"),
        ..RedisOptions::default()
    };
    let limiter = match RedisRateLimiter::connect(&url, quota, options).await {
        Ok(limiter) if !limiter.is_using_fallback() => Arc::new(limiter),
        Ok(_) => {
            println!(
                "\nRedis: skipped, nothing answers at REDIS_URL (or the default 127.0.0.1:6379)"
            );
            return;
        }
        Err(error) => {
            println!("\nRedis: skipped, {error}");
            return;
        }
    };
    println!();

    let started = Instant::now();
    let mut checks = 0u64;
    while started.elapsed() < RUN_FOR {
        black_box(limiter.check("key:one").await);
        checks += 1;
    }
    let seconds = started.elapsed().as_secs_f64();
    report("redis, 1 key, 1 request at a time", (checks, seconds));
    let micros = seconds * 1e6 / checks.max(1) as f64;
    println!("{:>40}  {micros:>12.1} µs per check (one round trip)", "");

    let started = Instant::now();
    let tasks: Vec<_> = (0..REDIS_TASKS)
        .map(|t| {
            let limiter = limiter.clone();
            tokio::spawn(async move {
                let mut n = 0u64;
                while started.elapsed() < RUN_FOR {
                    black_box(limiter.check(&format!("ip:{t}:{}", n % 1_000)).await);
                    n += 1;
                }
                n
            })
        })
        .collect();
    let mut checks = 0u64;
    for task in tasks {
        checks += task.await.unwrap_or(0);
    }
    report(
        &format!("redis, many keys, {REDIS_TASKS} concurrent"),
        (checks, started.elapsed().as_secs_f64()),
    );
    if limiter.is_using_fallback() {
        println!("note: Redis failed during the run; some checks were answered by the fallback");
    }
}
