//! A closed-loop load generator: `concurrency` workers each send one request, wait for the whole
//! answer, and send the next, over kept-alive HTTP/1 connections, for a fixed time. Latencies of
//! the requests started after the warm-up are kept; the figures are throughput and percentiles.
//!
//! With a session revision (e.g. `2025-06-18`), each worker first opens its own MCP session, as a
//! client of that revision does: `initialize` (without `MCP-Protocol-Version`), the
//! `Mcp-Session-Id` the answer carries, `notifications/initialized`; then every request it sends
//! carries `Mcp-Session-Id` and `MCP-Protocol-Version`. The sessions are opened before the clock
//! starts and closed (`DELETE`) after it stops.

use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::header::{HeaderMap, HeaderName, HeaderValue};
use hyper::{Method, Request, StatusCode, Uri};
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
    /// The protocol revision of the MCP session each worker opens first, if any.
    pub session: Option<String>,
}

/// Headers one worker adds to (or puts in place of) the plan's: its session's.
type Extra = Vec<(HeaderName, HeaderValue)>;

const SESSION_ID: HeaderName = HeaderName::from_static("mcp-session-id");
const PROTOCOL_VERSION: HeaderName = HeaderName::from_static("mcp-protocol-version");

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
    let sessions = match &plan.session {
        None => vec![Extra::new(); plan.concurrency],
        Some(version) => {
            let mut opening = tokio::task::JoinSet::new();
            for _ in 0..plan.concurrency {
                let (client, plan, version) = (client.clone(), plan.clone(), version.clone());
                opening.spawn(async move { open_session(&client, &plan, &version).await });
            }
            let mut sessions = Vec::with_capacity(plan.concurrency);
            while let Some(joined) = opening.join_next().await {
                sessions.push(joined.map_err(|e| Error::Session(format!("{e}")))??);
            }
            sessions
        }
    };
    let start = Instant::now();
    let window_start = start + plan.warmup;
    let deadline = window_start + plan.measure;
    let mut workers = tokio::task::JoinSet::new();
    for extra in &sessions {
        let client = client.clone();
        let plan = plan.clone();
        let extra = extra.clone();
        workers.spawn(async move { work(&client, &plan, &extra, window_start, deadline).await });
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
    if plan.session.is_some() {
        for extra in &sessions {
            close_session(&client, &plan, extra).await;
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
    extra: &[(HeaderName, HeaderValue)],
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
            if !extra.iter().any(|(n, _)| n == name) {
                req = req.header(name, value);
            }
        }
        for (name, value) in extra {
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

/// Sends one request and reads the whole answer.
async fn send(
    client: &Client<HttpConnector, Full<Bytes>>,
    method: Method,
    url: &Uri,
    headers: &[(HeaderName, HeaderValue)],
    body: Bytes,
) -> Result<(StatusCode, HeaderMap, Bytes), Error> {
    let mut req = Request::builder().method(method).uri(url.clone());
    for (name, value) in headers {
        req = req.header(name, value);
    }
    let resp = client.request(req.body(Full::new(body))?).await?;
    let (parts, body) = resp.into_parts();
    Ok((
        parts.status,
        parts.headers,
        body.collect().await?.to_bytes(),
    ))
}

/// The plan's headers without its `mcp-*` ones (protocol version, method, name), as a session's
/// handshake sends them.
fn handshake_headers(plan: &Plan) -> Extra {
    plan.headers
        .iter()
        .filter(|(name, _)| !name.as_str().starts_with("mcp-"))
        .cloned()
        .collect()
}

/// The JSON-RPC message in an answer: the body itself, or the `data:` line of an event stream
/// that holds a result or an error.
fn jsonrpc_message(body: &[u8]) -> Option<Value> {
    if let Ok(value) = serde_json::from_slice::<Value>(body) {
        return Some(value);
    }
    String::from_utf8_lossy(body)
        .lines()
        .filter_map(|line| line.strip_prefix("data:"))
        .filter_map(|data| serde_json::from_str::<Value>(data.trim()).ok())
        .find(|m| m.get("result").is_some() || m.get("error").is_some())
}

fn shown(body: &[u8]) -> String {
    String::from_utf8_lossy(body).chars().take(300).collect()
}

/// Opens an MCP session of revision `version`: `initialize`, then `notifications/initialized`.
/// Returns the headers every request of the session carries.
async fn open_session(
    client: &Client<HttpConnector, Full<Bytes>>,
    plan: &Plan,
    version: &str,
) -> Result<Extra, Error> {
    let base = handshake_headers(plan);
    let init = json!({
        "jsonrpc": "2.0", "id": 0, "method": "initialize",
        "params": {
            "protocolVersion": version,
            "capabilities": {},
            "clientInfo": {"name": "bench", "version": "1"}
        }
    });
    let (status, headers, body) = send(
        client,
        Method::POST,
        &plan.url,
        &base,
        Bytes::from(init.to_string()),
    )
    .await?;
    if status != StatusCode::OK {
        return Err(Error::Session(format!(
            "initialize answered {status}: {}",
            shown(&body)
        )));
    }
    let id = headers.get(&SESSION_ID).cloned().ok_or_else(|| {
        Error::Session(format!(
            "initialize answered no Mcp-Session-Id: {}",
            shown(&body)
        ))
    })?;
    let answered = jsonrpc_message(&body).and_then(|m| {
        m.pointer("/result/protocolVersion")
            .and_then(Value::as_str)
            .map(str::to_owned)
    });
    if answered.as_deref() != Some(version) {
        return Err(Error::Session(format!(
            "initialize for {version} answered protocol version {answered:?}: {}",
            shown(&body)
        )));
    }
    let version = HeaderValue::from_str(version)
        .map_err(|e| Error::Argument(format!("session version {version:?}: {e}")))?;
    let session = vec![(SESSION_ID, id), (PROTOCOL_VERSION, version)];
    let mut headers = base;
    headers.extend(session.iter().cloned());
    let initialized = r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#;
    let (status, _, body) = send(
        client,
        Method::POST,
        &plan.url,
        &headers,
        Bytes::from_static(initialized.as_bytes()),
    )
    .await?;
    if !status.is_success() {
        return Err(Error::Session(format!(
            "notifications/initialized answered {status}: {}",
            shown(&body)
        )));
    }
    Ok(session)
}

/// Ends a session (`DELETE`); a server that keeps it is not an error here.
async fn close_session(
    client: &Client<HttpConnector, Full<Bytes>>,
    plan: &Plan,
    session: &[(HeaderName, HeaderValue)],
) {
    let mut headers = handshake_headers(plan);
    headers.extend(session.iter().cloned());
    let _ = send(client, Method::DELETE, &plan.url, &headers, Bytes::new()).await;
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
            session: None,
        }
    }

    #[test]
    fn messages_are_found_in_json_and_event_streams() {
        let json = br#"{"jsonrpc":"2.0","id":0,"result":{"protocolVersion":"2025-06-18"}}"#;
        assert_eq!(
            jsonrpc_message(json).and_then(|m| m.pointer("/result/protocolVersion").cloned()),
            Some(json!("2025-06-18"))
        );
        let sse =
            b"id: 0\nretry: 3000\ndata: \n\ndata: {\"jsonrpc\":\"2.0\",\"id\":0,\"result\":{}}\n\n";
        assert!(jsonrpc_message(sse).is_some_and(|m| m["result"].is_object()));
        assert_eq!(jsonrpc_message(b"nothing"), None);
    }

    #[test]
    fn handshakes_leave_out_the_mcp_headers() {
        let mut p = plan();
        p.headers = vec![
            (
                HeaderName::from_static("accept"),
                HeaderValue::from_static("application/json"),
            ),
            (PROTOCOL_VERSION, HeaderValue::from_static("2026-07-28")),
            (
                HeaderName::from_static("mcp-method"),
                HeaderValue::from_static("tools/list"),
            ),
        ];
        let names: Vec<_> = handshake_headers(&p).into_iter().map(|(n, _)| n).collect();
        assert_eq!(names, vec![HeaderName::from_static("accept")]);
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
