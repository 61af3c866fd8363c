//! What one audit event costs the process: builds tool-call events as `Audited` does and hands
//! them to an [`AuditWriter`] storing into SQLite (and PostgreSQL, when reachable), against
//! the same events handed to a disabled writer (the baseline), and prints CPU time per event.
//!
//! Run with `cargo bench -p alloy-gateway --bench audit_writer`. Prints figures; asserts nothing.
//! `AUDIT_BENCH_EVENTS` sets the number of events per case (default 200,000).

use std::time::{Duration, Instant};

use alloy_gateway::audit::{AuditConfig, AuditEvent, AuditWriter, Outcome};
use alloy_gateway::{Caller, Principal};
use alloy_storage::testing::TestDatabase;

/// The server's allocator, so that the figures are the server's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// User plus system CPU time of this process so far (Linux: /proc/self/stat, in clock ticks of
/// 10 ms); `None` elsewhere.
fn cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name, which is in parentheses and may hold spaces.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split(' ').collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(Duration::from_millis(ticks * 10))
}

fn tool_call(caller: &Caller, n: u64) -> AuditEvent {
    AuditEvent::new("tools/call", Outcome::Ok)
        .by(caller)
        .server("srv_0123456789abcdef")
        .tool("execute_action_alloy")
        .target(Some("github"), Some("issues/create"))
        .credential(Some("cred_0123456789abcdefghij"))
        .client(Some("bench"), Some("1.0.0"))
        .upstream(Some(201), Some(Duration::from_micros(800 + n % 100)))
        .latency(Duration::from_micros(1_200 + n % 100))
}

async fn run(label: &str, writer: &AuditWriter, events: u64) -> (Duration, Duration) {
    let caller = Caller {
        account_id: "acct_bench".to_owned(),
        user_id: "user-42@example.com".to_owned(),
        principal: Principal::AccessToken {
            server_id: "srv_0123456789abcdef".to_owned(),
        },
    };
    let cpu0 = cpu_time();
    let started = Instant::now();
    for n in 0..events {
        writer.record(tool_call(&caller, n));
        // Stay under the queue's bound, as a server's request rate does.
        if n % 20_000 == 19_999 {
            writer.flush().await;
        }
    }
    writer.flush().await;
    let wall = started.elapsed();
    let cpu = match (cpu0, cpu_time()) {
        (Some(a), Some(b)) => b.saturating_sub(a),
        _ => Duration::ZERO,
    };
    println!(
        "{label:<34}{:>10.2}{:>12.2}{:>10}",
        cpu.as_secs_f64() * 1e6 / events as f64,
        wall.as_secs_f64() * 1e6 / events as f64,
        writer.dropped_total()
    );
    (cpu, wall)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let events: u64 = std::env::var("AUDIT_BENCH_EVENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200_000);
    println!("audit writer: {events} tool-call events per case");
    println!(
        "{:<34}{:>10}{:>12}{:>10}",
        "case", "cpu µs/ev", "wall µs/ev", "dropped"
    );
    let config = AuditConfig {
        buffer: 100_000,
        ..AuditConfig::default()
    };
    let off = AuditWriter::disabled();
    let sqlite = TestDatabase::sqlite().await;
    let on = AuditWriter::start(sqlite.db.clone(), config.clone());
    // Twice each, alternating, so that warming up weighs on neither.
    for _ in 0..2 {
        run("built, writer off (baseline)", &off, events).await;
        run("built and stored, SQLite", &on, events).await;
    }
    let reachable = tokio::time::timeout(
        Duration::from_secs(2),
        tokio::net::TcpStream::connect("127.0.0.1:5432"),
    )
    .await
    .is_ok_and(|r| r.is_ok());
    if reachable {
        let pg = TestDatabase::postgres().await;
        let on = AuditWriter::start(pg.db.clone(), config);
        run("built and stored, PostgreSQL", &on, events).await;
        run("built and stored, PostgreSQL", &on, events).await;
    } else {
        println!("PostgreSQL at 127.0.0.1:5432 not reachable: not measured");
    }
}
