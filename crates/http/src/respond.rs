//! Building responses, and the one place where errors become HTTP responses.

use std::convert::Infallible;

use alloy_domain::{ApiError, ErrorCode};
use bytes::Bytes;
use http_body_util::{BodyExt, Full, combinators::BoxBody};
use hyper::header::{self, HeaderValue};
use hyper::{Response, StatusCode};
use serde_json::Value;

/// The response body type of every route.
pub type Body = BoxBody<Bytes, Infallible>;

/// A response of the front end.
pub type HttpResponse = Response<Body>;

/// A body from bytes.
pub fn full(bytes: impl Into<Bytes>) -> Body {
    Full::new(bytes.into()).boxed()
}

/// A response with a status and no body (202, 204, 302, …).
pub fn empty(status: StatusCode) -> HttpResponse {
    let mut resp = Response::new(full(Bytes::new()));
    *resp.status_mut() = status;
    resp
}

/// A JSON response.
pub fn json(status: StatusCode, value: &Value) -> HttpResponse {
    let bytes = serde_json::to_vec(value).unwrap_or_else(|_| b"{}".to_vec());
    let mut resp = Response::new(full(bytes));
    *resp.status_mut() = status;
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    resp
}

/// The reference error object with the status its code maps to.
pub fn error(err: &ApiError) -> HttpResponse {
    let status =
        StatusCode::from_u16(err.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut resp = json(status, &err.to_json());
    if err.code == ErrorCode::Unauthorized {
        resp.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"alloy\""),
        );
    }
    resp
}

/// A gateway failure as a response; server-side causes are logged, never sent.
pub fn gateway_error(err: &alloy_gateway::Error) -> HttpResponse {
    if err.is_internal() {
        tracing::error!(error = %err, "request failed");
    }
    error(&err.to_api_error())
}

/// `404 NOT_FOUND` for a path no route serves.
pub fn route_not_found() -> HttpResponse {
    error(&ApiError::not_found("Route not found"))
}

/// `405 METHOD_NOT_ALLOWED` with the `Allow` header.
pub fn method_not_allowed(allow: &'static str) -> HttpResponse {
    let mut resp = error(&ApiError::new(
        ErrorCode::MethodNotAllowed,
        format!("Method not allowed; use {allow}"),
    ));
    resp.headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static(allow));
    resp
}
