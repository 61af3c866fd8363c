//! Request IDs and the request metrics (bounded labels: route templates, method names,
//! status codes; never an ID).

use std::time::Duration;

use hyper::{HeaderMap, Method};

/// The header carrying a request's ID, both ways.
pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// Longest incoming request ID kept.
const MAX_REQUEST_ID: usize = 128;

/// The request's ID: the client's (or the proxy's) `X-Request-Id` when it is a plain token,
/// else a new one. The ID is echoed in the response, logged and stored with audit events.
pub fn request_id(headers: &HeaderMap) -> String {
    headers
        .get(REQUEST_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|v| {
            !v.is_empty()
                && v.len() <= MAX_REQUEST_ID
                && v.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
        })
        .map_or_else(|| uuid::Uuid::new_v4().simple().to_string(), str::to_owned)
}

/// A method as a metric label: one of the standard ones, or `other`.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        Method::PATCH => "PATCH",
        _ => "other",
    }
}

/// Counts one answered request and its latency.
pub fn count_request(method: &Method, route: &'static str, status: u16, took: Duration) {
    metrics::counter!(
        "alloy_http_requests_total",
        "route" => route,
        "method" => method_label(method),
        "status" => status.to_string(),
    )
    .increment(1);
    metrics::histogram!("alloy_http_request_duration_seconds", "route" => route)
        .record(took.as_secs_f64());
}

/// MCP methods counted by name; anything else is `other`.
const MCP_METHODS: &[&str] = &[
    "initialize",
    "notifications/initialized",
    "ping",
    "tools/list",
    "tools/call",
    "server/discover",
    "logging/setLevel",
    "resources/list",
    "prompts/list",
    "notifications/cancelled",
];

/// Counts one MCP message by method and protocol revision.
pub fn count_mcp(method: &str, revision: &'static str) {
    let method = MCP_METHODS
        .iter()
        .find(|m| **m == method)
        .copied()
        .unwrap_or("other");
    metrics::counter!(
        "alloy_mcp_requests_total",
        "method" => method,
        "protocol_version" => revision,
    )
    .increment(1);
}

/// Counts one request refused by a rate limit.
pub fn count_rate_limited(kind: &'static str) {
    metrics::counter!("alloy_rate_limit_rejections_total", "kind" => kind).increment(1);
}

#[cfg(test)]
mod tests {
    use super::*;
    use hyper::header::HeaderValue;

    #[test]
    fn request_ids() {
        let mut h = HeaderMap::new();
        assert_eq!(request_id(&h).len(), 32);
        h.insert(REQUEST_ID_HEADER, HeaderValue::from_static("abc-123.x:y_z"));
        assert_eq!(request_id(&h), "abc-123.x:y_z");
        h.insert(REQUEST_ID_HEADER, HeaderValue::from_static("has space"));
        assert_ne!(request_id(&h), "has space");
        h.insert(
            REQUEST_ID_HEADER,
            HeaderValue::from_str(&"a".repeat(200)).unwrap(),
        );
        assert_eq!(request_id(&h).len(), 32);
    }
}
