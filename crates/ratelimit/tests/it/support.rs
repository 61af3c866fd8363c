//! Shared test helpers: Redis servers (the machine's and private ones), unique key prefixes,
//! concurrent bursts and a log recorder.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use alloy_ratelimit::{Decision, RateLimiter};
use tracing::Level;
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::{Layer, Registry};

/// The Redis every machine of this project runs (see TOOLCHAIN.md; CI starts it).
pub const SHARED_REDIS_URL: &str = "redis://127.0.0.1:6379";

/// A key prefix no other test or run uses, so tests can share one Redis without cleaning it.
pub fn unique_prefix(test: &str) -> String {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| elapsed.as_nanos())
        .unwrap_or_default();
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("alloy:rl:test:{}:{nanos}:{n}:{test}:", std::process::id())
}

/// A plain connection to `url`, failing the test with a clear message when Redis is not there.
pub async fn redis_connection(url: &str) -> redis::aio::MultiplexedConnection {
    let client = redis::Client::open(url).expect("test Redis URL parses");
    let connect = client.get_multiplexed_async_connection();
    match tokio::time::timeout(Duration::from_secs(5), connect).await {
        Ok(Ok(connection)) => connection,
        Ok(Err(error)) => panic!(
            "these tests need Redis at {url} (start it with `redis-server --daemonize yes \
             --bind 127.0.0.1 --port 6379 --save \"\" --appendonly no`): {error}"
        ),
        Err(_) => panic!("these tests need Redis at {url}: connecting timed out"),
    }
}

/// Fails the test with a clear message unless the shared Redis answers.
pub async fn require_shared_redis() {
    let mut connection = redis_connection(SHARED_REDIS_URL).await;
    let pong: String = redis::cmd("PING")
        .query_async(&mut connection)
        .await
        .expect("shared Redis answers PING");
    assert_eq!(pong, "PONG");
}

/// A port nothing listens on right now.
pub fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind an ephemeral port");
    listener.local_addr().expect("local address").port()
}

/// A redis-server child process of this test, killed when dropped.
pub struct RedisServer {
    port: u16,
    child: Option<Child>,
}

impl RedisServer {
    /// Starts `redis-server` on `port` without persistence and waits until it answers.
    pub async fn start(port: u16) -> Self {
        let child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no", "--daemonize", "no"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|error| {
                panic!(
                    "this test starts and stops its own Redis and needs `redis-server` on PATH \
                     (apt-get install redis-server): {error}"
                )
            });
        let server = Self {
            port,
            child: Some(child),
        };
        server.wait_until_ready().await;
        server
    }

    /// `redis://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// Kills the server and waits for it to exit.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    async fn wait_until_ready(&self) {
        let client = redis::Client::open(self.url()).expect("URL parses");
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Ok(mut connection) = client.get_multiplexed_async_connection().await {
                let pong: redis::RedisResult<String> =
                    redis::cmd("PING").query_async(&mut connection).await;
                if pong.is_ok() {
                    return;
                }
            }
            assert!(
                Instant::now() < deadline,
                "redis-server on port {} did not answer within 10 s",
                self.port
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Runs `count` checks of `key` at once, spread round-robin over `limiters`, each in its own
/// task, and returns every decision.
pub async fn concurrent_checks(
    limiters: &[Arc<dyn RateLimiter>],
    key: &str,
    count: usize,
) -> Vec<Decision> {
    // All tasks wait on the barrier so that the checks really overlap.
    let barrier = Arc::new(tokio::sync::Barrier::new(count));
    let tasks: Vec<_> = (0..count)
        .map(|i| {
            let limiter = limiters[i % limiters.len()].clone();
            let barrier = barrier.clone();
            let key = key.to_owned();
            tokio::spawn(async move {
                barrier.wait().await;
                limiter.check(&key).await
            })
        })
        .collect();
    let mut decisions = Vec::with_capacity(count);
    for task in tasks {
        decisions.push(task.await.expect("check task completes"));
    }
    decisions
}

/// How many of `decisions` let the request through.
pub fn allowed(decisions: &[Decision]) -> usize {
    decisions.iter().filter(|decision| decision.allowed).count()
}

/// Asserts that the allowed decisions left 0, 1, ..., n-1 tokens, each exactly once: every
/// token was handed out to one request only.
pub fn assert_each_token_taken_once(decisions: &[Decision], n: u32) {
    let mut remaining: Vec<u32> = decisions
        .iter()
        .filter(|decision| decision.allowed)
        .map(|decision| decision.remaining)
        .collect();
    remaining.sort_unstable();
    let expected: Vec<u32> = (0..n).collect();
    assert_eq!(remaining, expected);
    for refused in decisions.iter().filter(|decision| !decision.allowed) {
        assert_eq!(refused.remaining, 0);
        assert!(refused.retry_after.is_some());
    }
}

/// Counts of the events this crate logged on the current thread.
#[derive(Clone, Default)]
pub struct LogCounts {
    warnings: Arc<AtomicUsize>,
    infos: Arc<AtomicUsize>,
    probes: Arc<AtomicUsize>,
}

impl LogCounts {
    /// Records events on this thread until the guard is dropped.
    pub fn record() -> (Self, tracing::subscriber::DefaultGuard) {
        let counts = Self::default();
        let subscriber = Registry::default().with(counts.clone());
        let guard = tracing::subscriber::set_default(subscriber);
        (counts, guard)
    }

    pub fn warnings(&self) -> usize {
        self.warnings.load(Ordering::SeqCst)
    }

    pub fn infos(&self) -> usize {
        self.infos.load(Ordering::SeqCst)
    }

    pub fn probes(&self) -> usize {
        self.probes.load(Ordering::SeqCst)
    }
}

impl<S: tracing::Subscriber> Layer<S> for LogCounts {
    fn on_event(&self, event: &tracing::Event<'_>, _: Context<'_, S>) {
        let metadata = event.metadata();
        if !metadata.target().starts_with("alloy_ratelimit") {
            return;
        }
        let counter = match *metadata.level() {
            Level::WARN => &self.warnings,
            Level::INFO => &self.infos,
            _ if metadata.fields().field("probe").is_some() => &self.probes,
            _ => return,
        };
        counter.fetch_add(1, Ordering::SeqCst);
    }
}
