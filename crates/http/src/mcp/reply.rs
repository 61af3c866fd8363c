//! Encoding MCP answers: JSON or a one-event SSE stream, and JSON-RPC bodies for HTTP-level
//! failures.

use alloy_domain::ApiError;
use alloy_mcp_protocol::{ErrorObject, Response};
use hyper::header::{self, HeaderValue};
use hyper::{Response as HttpResponseBuilder, StatusCode};
use serde::Serialize;
use serde_json::json;

use crate::respond::{self, HttpResponse};

/// How the client accepts answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// `application/json`.
    Json,
    /// `text/event-stream` with one `message` event.
    EventStream,
}

/// A JSON-RPC answer with an HTTP status.
pub fn answer(status: StatusCode, body: &impl Serialize, encoding: Encoding) -> HttpResponse {
    let json = serde_json::to_vec(body).unwrap_or_else(|_| b"{}".to_vec());
    let (content_type, bytes) = match encoding {
        Encoding::Json => ("application/json", json),
        Encoding::EventStream => {
            let mut out = b"event: message\ndata: ".to_vec();
            out.extend_from_slice(&json);
            out.extend_from_slice(b"\n\n");
            ("text/event-stream", out)
        }
    };
    let mut resp = HttpResponseBuilder::new(respond::full(bytes));
    *resp.status_mut() = status;
    resp.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if encoding == Encoding::EventStream {
        resp.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    }
    resp
}

/// An HTTP-level failure as a JSON-RPC error without id; `data` carries the reference error
/// object so both kinds of client understand it.
pub fn failure(err: &ApiError) -> HttpResponse {
    let status =
        StatusCode::from_u16(err.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let code = if status.is_server_error() {
        -32603
    } else {
        -32600
    };
    let body = json!({
        "jsonrpc": "2.0",
        "id": null,
        "error": { "code": code, "message": err.message, "data": err.to_json()["error"] },
    });
    let mut resp = respond::json(status, &body);
    if status == StatusCode::UNAUTHORIZED {
        resp.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"alloy-mcp\", error=\"invalid_token\""),
        );
    }
    resp
}

/// A protocol error answered with an HTTP error status (parse errors, bad versions, header
/// mismatches).
pub fn protocol_failure(status: StatusCode, response: &Response) -> HttpResponse {
    answer(status, response, Encoding::Json)
}

/// The JSON-RPC error response for `error` with no id.
pub fn error_response(error: ErrorObject) -> Response {
    Response::error(None, error)
}
