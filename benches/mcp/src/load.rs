//! A closed-loop load generator: `concurrency` workers each send one request, wait for the whole
//! answer, and send the next, over kept-alive HTTP/1 connections, for a fixed time. Latencies of
//! the requests started after the warm-up are kept; the figures are throughput and percentiles.

use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::header::{HeaderName, HeaderValue};
use hyper::{Method, Request, Uri};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::{Value, json};

use crate::Error;

/// One load run.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Where every request goes.
    pub url: Uri,
    /// The request method.
    pub method: Method,
    /// Headers sent with every request.
    pub headers: Vec<(HeaderName, HeaderValue)>,
    /// The request body (may be empty).
    pub body: Bytes,
    /// Requests in flight at any time.
    pub concurrency: usize,
    /// Time spent before latencies are kept (connections open, caches fill).
    pub warmup: Duration,
    /// Time during which latencies are kept.
    pub measure: Duration,
    /// The status a correct answer has.
    pub expect_status: u16,
    /// A string a correct answer's body contains.
    pub expect_body: Option<String>,
    /// A string a correct answer's body never contains.
    pub reject_body: Option<String>,
}

/// What a run measured.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// Requests started in the measured window.
    pub requests: usize,
    /// Of those, answers with the wrong status or body.
    pub errors: usize,
    /// Requests per second over the measured window.
    pub requests_per_sec: f64,
    /// Median latency, milliseconds.
    pub p50_ms: f64,
    /// 99th percentile latency, milliseconds.
    pub p99_ms: f64,
    /// The first wrong answer seen, to show what went wrong.
    pub first_error: Option<String>,
}

impl Report {
    /// The report as one JSON object.
    pub fn to_json(&self) -> Value {
        json!({
            "requests": self.requests,
            "errors": self.errors,
            "rps": (self.requests_per_sec * 10.0).round() / 10.0,
            "p50_ms": (self.p50_ms * 1000.0).round() / 1000.0,
            "p99_ms": (self.p99_ms * 1000.0).round() / 1000.0,
            "first_error": self.first_error,
        })
    }
}

/// Latencies and failures one worker saw.
#[derive(Default)]
struct Tally {
    latencies_us: Vec<u64>,
    errors: usize,
    first_error: Option<String>,
}

/// Runs `plan` and reports.
pub async fn run(plan: Plan) -> Result<Report, Error> {
    if plan.concurrency == 0 {
        return Err(Error::Argument("concurrency must be at least 1".into()));
    }
    let mut connector = HttpConnector::new();
    connector.set_nodelay(true);
    let client: Client<HttpConnector, Full<Bytes>> = Client::builder(TokioExecutor::new())
        .pool_max_idle_per_host(plan.concurrency)
        .build(connector);
    let start = Instant::now();
    let window_start = start + plan.warmup;
    let deadline = window_start + plan.measure;
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..plan.concurrency {
        let client = client.clone();
        let plan = plan.clone();
        workers.spawn(async move { work(&client, &plan, window_start, deadline).await });
    }
    let mut all = Tally::default();
    while let Some(joined) = workers.join_next().await {
        let tally = joined.map_err(|e| Error::Argument(format!("worker failed: {e}")))??;
        all.latencies_us.extend(tally.latencies_us);
        all.errors += tally.errors;
        if all.first_error.is_none() {
            all.first_error = tally.first_error;
        }
    }
    all.latencies_us.sort_unstable();
    let n = all.latencies_us.len();
    let percentile = |p: usize| -> f64 {
        if n == 0 {
            return 0.0;
        }
        let i = (n * p / 100).min(n - 1);
        all.latencies_us[i] as f64 / 1000.0
    };
    Ok(Report {
        requests: n,
        errors: all.errors,
        requests_per_sec: n as f64 / plan.measure.as_secs_f64(),
        p50_ms: percentile(50),
        p99_ms: percentile(99),
        first_error: all.first_error,
    })
}

async fn work(
    client: &Client<HttpConnector, Full<Bytes>>,
    plan: &Plan,
    window_start: Instant,
    deadline: Instant,
) -> Result<Tally, Error> {
    let mut tally = Tally::default();
    loop {
        let sent = Instant::now();
        if sent >= deadline {
            return Ok(tally);
        }
        let mut req = Request::builder()
            .method(plan.method.clone())
            .uri(plan.url.clone());
        for (name, value) in &plan.headers {
            req = req.header(name, value);
        }
        let req = req.body(Full::new(plan.body.clone()))?;
        let resp = client.request(req).await?;
        let status = resp.status().as_u16();
        let body = resp.into_body().collect().await?.to_bytes();
        let elapsed = sent.elapsed();
        if sent < window_start {
            continue;
        }
        tally
            .latencies_us
            .push(u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX));
        if let Some(problem) = check(plan, status, &body) {
            tally.errors += 1;
            tally.first_error.get_or_insert(problem);
        }
    }
}

/// Why an answer is wrong, if it is.
fn check(plan: &Plan, status: u16, body: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(body);
    let shown = || text.chars().take(300).collect::<String>();
    if status != plan.expect_status {
        return Some(format!("status {status}: {}", shown()));
    }
    if let Some(needle) = &plan.expect_body
        && !text.contains(needle.as_str())
    {
        return Some(format!("body lacks {needle:?}: {}", shown()));
    }
    if let Some(needle) = &plan.reject_body
        && text.contains(needle.as_str())
    {
        return Some(format!("body has {needle:?}: {}", shown()));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan() -> Plan {
        Plan {
            url: Uri::from_static("http://127.0.0.1:1/"),
            method: Method::POST,
            headers: Vec::new(),
            body: Bytes::new(),
            concurrency: 1,
            warmup: Duration::ZERO,
            measure: Duration::from_secs(1),
            expect_status: 200,
            expect_body: Some("\"result\"".into()),
            reject_body: Some("\"isError\":true".into()),
        }
    }

    #[test]
    fn answers_are_checked() {
        let p = plan();
        assert_eq!(check(&p, 200, br#"{"result":{}}"#), None);
        assert!(check(&p, 429, br#"{"result":{}}"#).is_some_and(|e| e.starts_with("status 429")));
        assert!(check(&p, 200, br#"{"error":{}}"#).is_some_and(|e| e.contains("lacks")));
        assert!(
            check(&p, 200, br#"{"result":{"isError":true}}"#).is_some_and(|e| e.contains("has"))
        );
    }
}
