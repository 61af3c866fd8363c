//! Reading requests: bounded bodies, JSON, query pairs, path segments and headers.

use std::time::Duration;

use crate::request_body::RequestBody;
use alloy_domain::{ApiError, ErrorCode, FieldError};
use alloy_gateway::AuthHeaders;
use bytes::Bytes;
use http_body_util::{BodyExt, Limited};
use hyper::header::{self, HeaderMap};
use serde_json::Value;

/// Reads the body, refusing anything over `max` bytes (413) without reading it whole, and a
/// client that does not finish sending within `timeout` (408).
pub async fn read_body(
    headers: &HeaderMap,
    body: RequestBody,
    max: usize,
    timeout: Duration,
) -> Result<Bytes, ApiError> {
    let too_large = || {
        ApiError::new(
            ErrorCode::PayloadTooLarge,
            format!("Request body exceeds the {} MB limit", max / (1024 * 1024)),
        )
    };
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|len| len > max as u64) {
        return Err(too_large());
    }
    match tokio::time::timeout(timeout, Limited::new(body, max).collect()).await {
        Err(_) => Err(ApiError::new(
            ErrorCode::RequestTimeout,
            "Request body not received in time",
        )),
        Ok(Err(e)) if e.is::<http_body_util::LengthLimitError>() => Err(too_large()),
        Ok(Err(_)) => Err(ApiError::new(
            ErrorCode::InvalidRequest,
            "Request body could not be read",
        )),
        Ok(Ok(collected)) => Ok(collected.to_bytes()),
    }
}

/// Parses a JSON body (`400 INVALID_JSON` when it is not JSON). `Content-Type`, when sent, must
/// be JSON.
pub fn parse_json(headers: &HeaderMap, bytes: &[u8]) -> Result<Value, ApiError> {
    if let Some(ct) = headers.get(header::CONTENT_TYPE) {
        let ct = ct.to_str().unwrap_or("").to_ascii_lowercase();
        let essence = ct.split(';').next().unwrap_or("").trim();
        if essence != "application/json" && !essence.ends_with("+json") {
            return Err(ApiError::new(
                ErrorCode::InvalidRequest,
                "Content-Type must be application/json",
            ));
        }
    }
    // The field-limits page lists INVALID_JSON among the validation errors, so it has their
    // shape; serde_json's message names a position, never the input.
    serde_json::from_slice(bytes).map_err(|e| {
        ApiError::validation(FieldError::new(
            ErrorCode::InvalidJson,
            "body",
            "syntax",
            "JSON",
            format!("Malformed JSON in request body: {e}"),
        ))
    })
}

/// Decoded `key=value` pairs of a query string.
pub fn query_pairs(query: Option<&str>) -> Vec<(String, String)> {
    url::form_urlencoded::parse(query.unwrap_or("").as_bytes())
        .into_owned()
        .collect()
}

/// A percent-decoded path segment; `None` if it does not decode to UTF-8.
pub fn decode_segment(segment: &str) -> Option<String> {
    percent_encoding::percent_decode_str(segment)
        .decode_utf8()
        .ok()
        .map(|s| s.into_owned())
}

/// The authentication headers of a request (`Authorization`, `x-alloy-userid`,
/// `x-alloy-user-token`), read as UTF-8 so that any user ID can be named.
///
/// A header that is present but not UTF-8 is refused (401 for a credential, 400 for the user
/// ID) rather than treated as absent: dropping an unreadable `x-alloy-userid` would act as the
/// key's own user, dropping a user token would act as the key.
pub fn auth_headers(headers: &HeaderMap) -> Result<AuthHeaders<'_>, ApiError> {
    // Two copies are ambiguous: a proxy in front may have checked the other one.
    for name in ["authorization", "x-alloy-userid", "x-alloy-user-token"] {
        if headers.get_all(name).iter().nth(1).is_some() {
            return Err(ApiError::new(
                ErrorCode::InvalidRequest,
                format!("The {name} header must be sent at most once"),
            ));
        }
    }
    let credential = |name: &str| {
        utf8_header(headers, name)
            .map_err(|()| ApiError::unauthorized("Invalid or missing authentication"))
    };
    let authorization = credential("authorization")?;
    let user_token = credential("x-alloy-user-token")?;
    let user_id = utf8_header(headers, "x-alloy-userid").map_err(|()| {
        ApiError::validation(FieldError::new(
            ErrorCode::InvalidFormat,
            "x-alloy-userid",
            "encoding",
            "UTF-8",
            "x-alloy-userid must be UTF-8 text",
        ))
    })?;
    Ok(AuthHeaders {
        authorization,
        user_id,
        user_token,
    })
}

/// Why a request is malformed at the HTTP level, if it is: an HTTP/1.1 request must carry
/// exactly one `Host` (RFC 9112, section 3.2). HTTP/1.0 may omit it; HTTP/2 names the
/// authority in `:authority`.
pub fn malformed(version: hyper::Version, headers: &HeaderMap) -> Option<ApiError> {
    let hosts = headers.get_all(header::HOST).iter().count();
    let required = version == hyper::Version::HTTP_11;
    (hosts > 1 || (required && hosts == 0)).then(|| {
        ApiError::new(
            ErrorCode::InvalidRequest,
            "An HTTP/1.1 request must carry exactly one Host header",
        )
    })
}

/// A header as UTF-8: `Ok(None)` when absent, `Err(())` when present but not UTF-8.
fn utf8_header<'a>(headers: &'a HeaderMap, name: &str) -> Result<Option<&'a str>, ()> {
    headers
        .get(name)
        .map(|v| std::str::from_utf8(v.as_bytes()).map_err(|_| ()))
        .transpose()
}

/// The value of cookie `name` among the request's `Cookie` headers (HTTP/2 may split them),
/// if it is there and not empty.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v.trim())
        .filter(|v| !v.is_empty())
}

/// A header as a string, if present and UTF-8 (user IDs and other values may be non-ASCII).
/// Where an undecodable value must not pass for an absent one, use [`auth_headers`].
pub fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    utf8_header(headers, name).ok().flatten()
}

#[cfg(test)]
mod tests {
    use super::*;
    use hyper::header::HeaderValue;

    fn headers(pairs: &[(&'static str, &[u8])]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (name, value) in pairs {
            h.insert(*name, HeaderValue::from_bytes(value).unwrap());
        }
        h
    }

    #[test]
    fn headers_are_read_as_utf8() {
        let h = headers(&[("x-alloy-userid", "Jörg".as_bytes()), ("accept", b"a\xff")]);
        assert_eq!(header_str(&h, "x-alloy-userid"), Some("Jörg"));
        assert_eq!(header_str(&h, "accept"), None);
        assert_eq!(header_str(&h, "missing"), None);
        let auth = auth_headers(&h).unwrap();
        assert_eq!(auth.user_id, Some("Jörg"));
        assert_eq!((auth.authorization, auth.user_token), (None, None));
    }

    #[test]
    fn undecodable_auth_headers_are_refused_not_dropped() {
        let e = auth_headers(&headers(&[("x-alloy-userid", b"J\xf6rg")]))
            .err()
            .unwrap();
        assert_eq!(e.code, ErrorCode::InvalidFormat);
        for name in ["authorization", "x-alloy-user-token"] {
            let e = auth_headers(&headers(&[(name, b"Bearer \xff")]))
                .err()
                .unwrap();
            assert_eq!(e.code, ErrorCode::Unauthorized, "{name}");
        }
    }

    #[test]
    fn malformed_json_has_the_validation_shape() {
        let e = parse_json(&HeaderMap::new(), b"{").err().unwrap();
        assert_eq!(e.code, ErrorCode::InvalidJson);
        let details = e.details.unwrap();
        assert_eq!(details["field"], "body");
        assert_eq!(details["constraint"], "syntax");
        let e = parse_json(&headers(&[("content-type", b"text/plain")]), b"{}")
            .err()
            .unwrap();
        assert_eq!(e.code, ErrorCode::InvalidRequest);
        assert!(
            parse_json(
                &headers(&[("content-type", b"application/vnd.api+json")]),
                b"{}"
            )
            .is_ok()
        );
    }
}
