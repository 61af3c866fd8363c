//! Benchmarks of the connector engine, printed as plain figures: registry look-ups per second,
//! parameter validations per second, and the executor's own overhead per request against a
//! loopback upstream compared with a bare reqwest GET to the same upstream.
//!
//! Run with `cargo bench -p alloy-connectors` (optimised), or add `--profile dev` for a quick
//! unoptimised run.

use std::collections::HashMap;
use std::hint::black_box;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use alloy_connectors::testing::{RecordingServer, Reply};
use alloy_connectors::{
    AuthType, CredentialMaterial, ExecuteOptions, Executor, ExecutorConfig, Registry,
};
use serde_json::json;

/// Runs `f` `n` times and returns operations per second.
fn per_second(n: u64, mut f: impl FnMut(u64)) -> f64 {
    let start = Instant::now();
    for i in 0..n {
        f(i);
    }
    n as f64 / start.elapsed().as_secs_f64()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

fn main() {
    let profile = if cfg!(debug_assertions) {
        "debug build: figures are pessimistic"
    } else {
        "optimised build"
    };
    println!("alloy-connectors benchmarks ({profile})");

    let acme_path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/acme.json");
    let (registry, errors) = Registry::load(true, &[acme_path]);
    if !errors.is_empty() {
        eprintln!("load errors (ignored for the benchmark): {errors:?}");
    }
    let started = Instant::now();
    let (_, _) = Registry::load(true, &[]);
    println!(
        "registry: {} connectors, built-in catalog loads in {:.1} ms",
        registry.len(),
        started.elapsed().as_secs_f64() * 1e3
    );

    // Look-ups: spread over every connector and action so that nothing stays trivially hot.
    let ids: Vec<String> = registry
        .connectors(None)
        .iter()
        .map(|c| c.id.clone())
        .collect();
    let pairs: Vec<(String, String)> = registry
        .connectors(None)
        .iter()
        .flat_map(|c| c.actions.iter().map(|a| (c.id.clone(), a.id.clone())))
        .collect();
    let categories: Vec<String> = registry
        .categories()
        .iter()
        .map(|c| c.to_string())
        .collect();
    const LOOKUPS: u64 = 1_000_000;
    let rate = per_second(LOOKUPS, |i| {
        black_box(registry.connector(&ids[i as usize % ids.len()]).is_ok());
    });
    println!("registry.connector:          {:>12.0} look-ups/s", rate);
    let rate = per_second(LOOKUPS, |i| {
        let (c, a) = &pairs[i as usize % pairs.len()];
        black_box(registry.action(c, a).is_ok());
    });
    println!(
        "registry.action:             {:>12.0} look-ups/s ({} actions)",
        rate,
        pairs.len()
    );
    let rate = per_second(LOOKUPS / 10, |i| {
        let cat = &categories[i as usize % categories.len()];
        black_box(registry.connectors(Some(cat)).len());
    });
    println!("registry.connectors(category): {:>10.0} lists/s", rate);

    // Validation of a realistic call: a JSON body with nested fields plus a query parameter.
    let (Ok((_, create)), Ok((_, list))) = (
        registry.action("acme", "items_create"),
        registry.action("acme", "items_list"),
    ) else {
        eprintln!("the acme test document did not load");
        return;
    };
    let create_params = json!({"name": "widget", "price": "2.5", "kind": "toy", "parent": {"id": "p1"}, "dry_run": true});
    let list_params = json!({"limit": 10, "status": "open", "tags": ["a", "b"], "cursor": "abc"});
    const VALIDATIONS: u64 = 200_000;
    let rate = per_second(VALIDATIONS, |_| {
        black_box(create.validate_parameters(&create_params).is_ok());
    });
    println!(
        "validate (JSON body, 5 params): {:>9.0} validations/s",
        rate
    );
    let rate = per_second(VALIDATIONS, |_| {
        black_box(list.validate_parameters(&list_params).is_ok());
    });
    println!(
        "validate (query, 4 params):     {:>9.0} validations/s",
        rate
    );

    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("cannot start a runtime: {e}");
            return;
        }
    };
    runtime.block_on(executor_overhead(&registry));
}

async fn executor_overhead(registry: &Registry) {
    const WARM_UP: usize = 200;
    const REQUESTS: usize = 3_000;
    let server = match RecordingServer::start().await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("cannot start the loopback upstream: {e}");
            return;
        }
    };
    let body =
        json!({"items": [{"id": 1, "name": "a"}, {"id": 2, "name": "b"}], "meta": {"next": "c2"}});
    server.set_fallback(Reply::json(200, &body));
    let executor = match Executor::new(ExecutorConfig {
        base_url_overrides: HashMap::from([("acme".to_owned(), server.url())]),
        upstream_allow: vec!["127.0.0.0/8".parse().expect("a network")],
        ..ExecutorConfig::default()
    }) {
        Ok(e) => e,
        Err(e) => {
            eprintln!("cannot build the executor: {e}");
            return;
        }
    };
    let Ok((connector, action)) = registry.action("acme", "items_list") else {
        eprintln!("acme test document missing");
        return;
    };
    let cred = CredentialMaterial::new(AuthType::OAuth2, [("accessToken", "tok-123")]);
    let params = json!({"limit": 10, "status": "open"});
    let bare = reqwest::Client::new();
    let url = format!("{}/items?limit=10&status=open", server.url());

    let mut via_executor = Vec::with_capacity(REQUESTS);
    let mut via_reqwest = Vec::with_capacity(REQUESTS);
    for i in 0..(WARM_UP + REQUESTS) {
        // Interleave the two so that both see the same machine conditions.
        let start = Instant::now();
        let ok = executor
            .execute(connector, action, &params, &cred, ExecuteOptions::default())
            .await
            .is_ok();
        let executor_time = start.elapsed();
        let start = Instant::now();
        let bare_ok = match bare
            .get(&url)
            .header("authorization", "Bearer tok-123")
            .header("accept", "application/json")
            .send()
            .await
        {
            Ok(r) => r.bytes().await.is_ok(),
            Err(_) => false,
        };
        let bare_time = start.elapsed();
        if !(ok && bare_ok) {
            eprintln!("request {i} failed (executor ok: {ok}, bare ok: {bare_ok})");
            return;
        }
        if i >= WARM_UP {
            via_executor.push(executor_time);
            via_reqwest.push(bare_time);
        }
        if i % 500 == 0 {
            // The recording server keeps every request; it is not what is measured.
            server.reset();
        }
    }
    via_executor.sort();
    via_reqwest.sort();
    let (e50, e99) = (
        percentile(&via_executor, 0.5),
        percentile(&via_executor, 0.99),
    );
    let (b50, b99) = (
        percentile(&via_reqwest, 0.5),
        percentile(&via_reqwest, 0.99),
    );
    println!("executor vs bare reqwest GET, loopback, {REQUESTS} sequential requests each:");
    println!(
        "  executor.execute: p50 {:>8.1} µs   p99 {:>8.1} µs",
        micros(e50),
        micros(e99)
    );
    println!(
        "  bare reqwest:     p50 {:>8.1} µs   p99 {:>8.1} µs",
        micros(b50),
        micros(b99)
    );
    println!(
        "  executor overhead: p50 {:>+8.1} µs   p99 {:>+8.1} µs (validation, request building, body parsing, pagination)",
        micros(e50) - micros(b50),
        micros(e99) - micros(b99)
    );
}
