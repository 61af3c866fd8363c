//! Applying the rate limiter and writing its headers.

use alloy_domain::{ApiError, ErrorCode};
use alloy_ratelimit::Decision;
use hyper::header::HeaderValue;
use hyper::{HeaderMap, StatusCode};
use serde_json::json;

use crate::respond::{self, HttpResponse};

/// The message of both 429 bodies, as the reference words it.
pub const RATE_LIMITED_MESSAGE: &str = "Rate limit exceeded. Please try again later.";

/// Writes `RateLimit-*` (and on refusal `Retry-After`) headers.
pub fn write_headers(headers: &mut HeaderMap, d: &Decision) {
    headers.insert("ratelimit-limit", HeaderValue::from(d.limit));
    headers.insert("ratelimit-remaining", HeaderValue::from(d.remaining));
    headers.insert("ratelimit-reset", HeaderValue::from(d.reset_after_secs()));
    if let Some(secs) = d.retry_after_secs() {
        headers.insert("retry-after", HeaderValue::from(secs));
    }
}

/// The management API's 429.
pub fn management_refusal(d: &Decision) -> HttpResponse {
    crate::observe::count_rate_limited("management");
    let err = ApiError::new(ErrorCode::RateLimited, RATE_LIMITED_MESSAGE)
        .with_details(json!({ "retryAfter": d.retry_after_secs(), "limit": d.limit }));
    let mut resp = respond::error(&err);
    write_headers(resp.headers_mut(), d);
    resp
}

/// The MCP endpoint's 429: the reference's JSON-RPC body.
pub fn mcp_refusal(d: &Decision) -> HttpResponse {
    crate::observe::count_rate_limited("mcp");
    let body = json!({
        "jsonrpc": "2.0",
        "error": { "code": -32000, "message": RATE_LIMITED_MESSAGE },
        "id": null
    });
    let mut resp = respond::json(StatusCode::TOO_MANY_REQUESTS, &body);
    write_headers(resp.headers_mut(), d);
    resp
}
