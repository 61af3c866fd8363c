//! Reading an upstream answer: its body by content type, its headers, `Retry-After`, and the
//! error a failed status becomes (with the platform's own message where it gives one).

use std::collections::BTreeMap;
use std::time::Duration;

use reqwest::header::{CONTENT_TYPE, HeaderMap, RETRY_AFTER, SET_COOKIE};
use serde_json::Value;

use crate::error::Error;
use crate::pagination::lookup;

use super::Answer;

/// Upstream bodies larger than this (serialized) are left out of error details.
const DETAILS_BODY_LIMIT: usize = 4096;

/// `Retry-After` as a delay: delta-seconds or an HTTP date (a past date is no wait).
pub(super) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let delta = when.signed_duration_since(chrono::Utc::now());
    Some(delta.to_std().unwrap_or(Duration::ZERO))
}

/// A JSON body as JSON; anything else (or JSON that does not parse) as a JSON string.
pub(super) fn decode_body(headers: &HeaderMap, bytes: &[u8]) -> Value {
    if bytes.is_empty() {
        return Value::Null;
    }
    let content_type = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    let media = content_type.split(';').next().unwrap_or("").trim();
    let looks_json = media.is_empty()
        || media == "application/json"
        || media.ends_with("+json")
        || media == "text/json";
    if looks_json && let Ok(v) = serde_json::from_slice(bytes) {
        return v;
    }
    Value::String(String::from_utf8_lossy(bytes).into_owned())
}

pub(super) fn header_map(headers: &HeaderMap) -> BTreeMap<String, String> {
    let mut out: BTreeMap<String, String> = BTreeMap::new();
    for (name, value) in headers {
        if name == SET_COOKIE {
            continue;
        }
        let Ok(value) = value.to_str() else {
            continue;
        };
        out.entry(name.as_str().to_owned())
            .and_modify(|v| {
                v.push_str(", ");
                v.push_str(value);
            })
            .or_insert_with(|| value.to_owned());
    }
    out
}

/// The body, unless it is too large to repeat in error details.
pub(super) fn small(body: &Value) -> Option<Value> {
    if body.is_null() {
        return None;
    }
    let size = serde_json::to_vec(body)
        .map(|b| b.len())
        .unwrap_or(usize::MAX);
    (size <= DETAILS_BODY_LIMIT).then(|| body.clone())
}

pub(super) fn status_error(answer: &Answer, body: Value) -> Error {
    let message = upstream_message(&body).unwrap_or_else(|| {
        answer
            .status
            .canonical_reason()
            .unwrap_or("upstream error")
            .to_owned()
    });
    Error::UpstreamStatus {
        status: answer.status.as_u16(),
        message,
        body: small(&body),
        retry_after_secs: retry_after(&answer.headers).map(|d| d.as_secs()),
    }
}

/// The human message of an error body, from the fields platforms commonly use.
pub(super) fn upstream_message(body: &Value) -> Option<String> {
    const MAX: usize = 500;
    let text = match body {
        Value::String(s) => s.trim().to_owned(),
        Value::Object(_) => {
            let candidates = [
                "message",
                "error.message",
                "error_description",
                "error",
                "errors.0.message",
                "errors.0.detail",
                "errors.0.title",
                "errors.0",
                "detail",
                "title",
                "error_message",
                "msg",
                "description",
            ];
            candidates
                .iter()
                .find_map(|path| match lookup(body, path) {
                    Some(Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_owned()),
                    _ => None,
                })?
        }
        _ => return None,
    };
    if text.is_empty() {
        return None;
    }
    Some(match text.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn messages_from_common_error_shapes() {
        assert_eq!(
            upstream_message(&json!({"message": "Bad"})).as_deref(),
            Some("Bad")
        );
        assert_eq!(
            upstream_message(&json!({"error": {"message": "Nested"}})).as_deref(),
            Some("Nested")
        );
        assert_eq!(
            upstream_message(&json!({"error": "flat"})).as_deref(),
            Some("flat")
        );
        assert_eq!(
            upstream_message(&json!({"errors": [{"message": "first"}]})).as_deref(),
            Some("first")
        );
        assert_eq!(
            upstream_message(&json!("plain text")).as_deref(),
            Some("plain text")
        );
        assert_eq!(upstream_message(&json!({"x": 1})), None);
        let long = "é".repeat(600);
        assert_eq!(upstream_message(&json!(long)).unwrap().chars().count(), 501);
    }

    #[test]
    fn retry_after_forms() {
        let mut h = HeaderMap::new();
        h.insert(RETRY_AFTER, "7".parse().unwrap());
        assert_eq!(retry_after(&h), Some(Duration::from_secs(7)));
        h.insert(
            RETRY_AFTER,
            "Wed, 21 Oct 2015 07:28:00 GMT".parse().unwrap(),
        );
        assert_eq!(retry_after(&h), Some(Duration::ZERO));
        let later = (chrono::Utc::now() + chrono::Duration::seconds(120))
            .format("%a, %d %b %Y %H:%M:%S GMT")
            .to_string();
        h.insert(RETRY_AFTER, later.parse().unwrap());
        let d = retry_after(&h).unwrap();
        assert!(
            d > Duration::from_secs(100) && d <= Duration::from_secs(120),
            "{d:?}"
        );
        h.insert(RETRY_AFTER, "soon".parse().unwrap());
        assert_eq!(retry_after(&h), None);
    }

    #[test]
    fn bodies_decode_by_content_type() {
        let mut h = HeaderMap::new();
        assert_eq!(decode_body(&h, b""), Value::Null);
        assert_eq!(decode_body(&h, b"{\"a\":1}"), json!({"a": 1}));
        h.insert(CONTENT_TYPE, "text/plain".parse().unwrap());
        assert_eq!(decode_body(&h, b"123"), json!("123"));
        h.insert(
            CONTENT_TYPE,
            "application/vnd.api+json; charset=utf-8".parse().unwrap(),
        );
        assert_eq!(decode_body(&h, b"[1]"), json!([1]));
        h.insert(CONTENT_TYPE, "application/json".parse().unwrap());
        assert_eq!(decode_body(&h, b"not json"), json!("not json"));
    }
}
