//! Loads one URL with a fixed number of concurrent keep-alive connections for a fixed time and
//! prints one JSON line: requests, errors, requests/s, p50 and p99 latency in milliseconds.
//!
//! `mcp_load --url http://127.0.0.1:8080/mcp/s/t --header 'accept: application/json, text/event-stream'
//!  --body '{"jsonrpc":"2.0",...}' --concurrency 16 --seconds 10`
//!
//! With `--session 2025-06-18`, each worker first opens an MCP session of that revision and sends
//! every request in it (`Mcp-Session-Id`, `MCP-Protocol-Version`).

use std::time::Duration;

use alloy_mcp_bench::Error;
use alloy_mcp_bench::load::{self, Plan};
use bytes::Bytes;
use clap::Parser;
use hyper::header::{HeaderName, HeaderValue};
use hyper::{Method, Uri};

/// Command line.
#[derive(Parser)]
struct Args {
    /// The URL every request goes to (http only).
    #[arg(long)]
    url: String,
    /// The request method.
    #[arg(long, default_value = "POST")]
    method: String,
    /// A header, `name: value`; repeat for more.
    #[arg(long = "header")]
    headers: Vec<String>,
    /// The request body.
    #[arg(long, default_value = "")]
    body: String,
    /// Requests in flight at any time.
    #[arg(long, default_value_t = 16)]
    concurrency: usize,
    /// Seconds of measurement.
    #[arg(long, default_value_t = 10.0)]
    seconds: f64,
    /// Seconds of warm-up before measuring.
    #[arg(long, default_value_t = 1.0)]
    warmup: f64,
    /// The status of a correct answer.
    #[arg(long, default_value_t = 200)]
    expect_status: u16,
    /// A string every correct answer contains.
    #[arg(long)]
    expect_body: Option<String>,
    /// A string no correct answer contains.
    #[arg(long)]
    reject_body: Option<String>,
    /// Open an MCP session of this protocol revision per worker (initialize, then
    /// notifications/initialized) and send every request in it.
    #[arg(long)]
    session: Option<String>,
}

fn seconds(s: f64, what: &str) -> Result<Duration, Error> {
    Duration::try_from_secs_f64(s).map_err(|_| Error::Argument(format!("{what}: {s}")))
}

fn plan(args: Args) -> Result<Plan, Error> {
    let url: Uri = args
        .url
        .parse()
        .map_err(|e| Error::Argument(format!("--url {}: {e}", args.url)))?;
    let method = Method::from_bytes(args.method.as_bytes())
        .map_err(|e| Error::Argument(format!("--method {}: {e}", args.method)))?;
    let mut headers = Vec::new();
    for h in &args.headers {
        let (name, value) = h
            .split_once(':')
            .ok_or_else(|| Error::Argument(format!("--header wants `name: value`, got {h:?}")))?;
        let name = HeaderName::from_bytes(name.trim().as_bytes())
            .map_err(|e| Error::Argument(format!("--header {h:?}: {e}")))?;
        let value = HeaderValue::from_str(value.trim())
            .map_err(|e| Error::Argument(format!("--header {h:?}: {e}")))?;
        headers.push((name, value));
    }
    Ok(Plan {
        url,
        method,
        headers,
        body: Bytes::from(args.body),
        concurrency: args.concurrency,
        warmup: seconds(args.warmup, "--warmup")?,
        measure: seconds(args.seconds, "--seconds")?,
        expect_status: args.expect_status,
        expect_body: args.expect_body,
        reject_body: args.reject_body,
        session: args.session,
    })
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let report = load::run(plan(Args::parse())?).await?;
    println!("{}", report.to_json());
    Ok(())
}
