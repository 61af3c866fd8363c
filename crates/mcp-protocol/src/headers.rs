//! The 2026-07-28 Streamable HTTP rule that HTTP headers mirror the JSON-RPC body, checked
//! without touching HTTP: the transport passes the raw header values in.
//!
//! A conforming client sends `MCP-Protocol-Version` (the `_meta` protocol version),
//! `Mcp-Method` (the `method`) and, for `tools/call`, `prompts/get` and `resources/read`,
//! `Mcp-Name` (`params.name`, or `params.uri` for `resources/read`). A missing, malformed or
//! different value is a `-32020` header mismatch, answered with HTTP status 400.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::Value;

use crate::jsonrpc::{ErrorObject, Request, clip};
use crate::meta::PROTOCOL_VERSION_KEY;

/// Header carrying the request's protocol revision (every revision from 2025-06-18 on).
pub const PROTOCOL_VERSION_HEADER: &str = "MCP-Protocol-Version";
/// Header mirroring the JSON-RPC `method` (2026-07-28).
pub const METHOD_HEADER: &str = "Mcp-Method";
/// Header mirroring `params.name` / `params.uri` (2026-07-28).
pub const NAME_HEADER: &str = "Mcp-Name";

/// Prefix and suffix of a Base64-encoded header value: `=?base64?SGVsbG8=?=`.
const BASE64_PREFIX: &str = "=?base64?";
const BASE64_SUFFIX: &str = "?=";

/// The raw values of the mirrored headers on one HTTP request (`None` when absent). Pass
/// `HeaderValue::as_bytes()`: this module decides what is well formed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MirroredHeaders<'a> {
    /// `MCP-Protocol-Version`.
    pub protocol_version: Option<&'a [u8]>,
    /// `Mcp-Method`.
    pub method: Option<&'a [u8]>,
    /// `Mcp-Name`.
    pub name: Option<&'a [u8]>,
}

/// What a conforming client puts in the mirrored headers for a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExpectedHeaders<'a> {
    /// The `_meta` protocol version, when the body has one.
    pub protocol_version: Option<&'a str>,
    /// The JSON-RPC method.
    pub method: &'a str,
    /// The value `Mcp-Name` must carry, for the methods that need one and whose body has it.
    pub name: Option<&'a str>,
}

/// Reads from the body the values the mirrored headers must match.
pub fn expected_headers(request: &Request) -> ExpectedHeaders<'_> {
    let params = request.params_object();
    let protocol_version = params
        .and_then(|p| p.get("_meta"))
        .and_then(|m| m.get(PROTOCOL_VERSION_KEY))
        .and_then(Value::as_str);
    let name_member = match request.method.as_str() {
        "tools/call" | "prompts/get" => Some("name"),
        "resources/read" => Some("uri"),
        _ => None,
    };
    let name = name_member
        .and_then(|m| params.and_then(|p| p.get(m)))
        .and_then(Value::as_str);
    ExpectedHeaders {
        protocol_version,
        method: &request.method,
        name,
    }
}

/// Checks the mirrored headers of a 2026-07-28 request against its body.
///
/// When the body lacks a value (no `_meta` protocol version, no `params.name`), the header
/// is not compared: the request is malformed and the dispatcher answers it with `-32602`.
pub fn check_mirrored_headers(
    request: &Request,
    headers: &MirroredHeaders<'_>,
) -> Result<(), ErrorObject> {
    let expected = expected_headers(request);

    let version = plain(PROTOCOL_VERSION_HEADER, headers.protocol_version)?;
    if let Some(body_version) = expected.protocol_version {
        compare(PROTOCOL_VERSION_HEADER, version.as_deref(), body_version)?;
    }

    let method = plain(METHOD_HEADER, headers.method)?;
    compare(METHOD_HEADER, method.as_deref(), expected.method)?;

    if let Some(body_name) = expected.name {
        let name = match headers.name {
            None => None,
            Some(raw) => Some(decode_header_value(raw).ok_or_else(|| invalid_chars(NAME_HEADER))?),
        };
        compare(NAME_HEADER, name.as_deref(), body_name)?;
    }
    Ok(())
}

/// Decodes a header value that may use the Base64 sentinel form `=?base64?...?=` (allowed in
/// `Mcp-Name` and `Mcp-Param-*`). `None` when the value has characters a header may not hold
/// or the Base64 part does not decode to UTF-8.
pub fn decode_header_value(raw: &[u8]) -> Option<String> {
    let text = visible_ascii(raw)?;
    match text
        .strip_prefix(BASE64_PREFIX)
        .and_then(|rest| rest.strip_suffix(BASE64_SUFFIX))
    {
        Some(encoded) => String::from_utf8(STANDARD.decode(encoded).ok()?).ok(),
        None => Some(text.to_owned()),
    }
}

/// RFC 9110 field values: visible ASCII, space and horizontal tab.
fn visible_ascii(raw: &[u8]) -> Option<&str> {
    if raw
        .iter()
        .all(|&b| b == b'\t' || (0x20..=0x7e).contains(&b))
    {
        std::str::from_utf8(raw).ok()
    } else {
        None
    }
}

fn plain(header: &str, raw: Option<&[u8]>) -> Result<Option<String>, ErrorObject> {
    raw.map(|r| {
        visible_ascii(r)
            .map(str::to_owned)
            .ok_or_else(|| invalid_chars(header))
    })
    .transpose()
}

fn compare(header: &str, got: Option<&str>, body: &str) -> Result<(), ErrorObject> {
    match got {
        None => Err(ErrorObject::header_mismatch(format!(
            "Header mismatch: required header {header} is missing"
        ))),
        Some(got) if got == body => Ok(()),
        Some(got) => Err(ErrorObject::header_mismatch(format!(
            "Header mismatch: {header} header value '{}' does not match body value '{}'",
            clip(got),
            clip(body)
        ))),
    }
}

fn invalid_chars(header: &str) -> ErrorObject {
    ErrorObject::header_mismatch(format!(
        "Header mismatch: {header} header value contains invalid characters"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn call(name: &str) -> Request {
        Request::new(
            1,
            "tools/call",
            Some(json!({
                "name": name,
                "arguments": {},
                "_meta": {PROTOCOL_VERSION_KEY: "2026-07-28", "io.modelcontextprotocol/clientCapabilities": {}}
            })),
        )
    }

    fn headers<'a>(v: &'a str, m: &'a str, n: Option<&'a str>) -> MirroredHeaders<'a> {
        MirroredHeaders {
            protocol_version: Some(v.as_bytes()),
            method: Some(m.as_bytes()),
            name: n.map(str::as_bytes),
        }
    }

    #[test]
    fn expected_values_come_from_the_body() {
        let r = call("get_weather");
        assert_eq!(
            expected_headers(&r),
            ExpectedHeaders {
                protocol_version: Some("2026-07-28"),
                method: "tools/call",
                name: Some("get_weather")
            }
        );
        let read = Request::new(1, "resources/read", Some(json!({"uri": "file:///a"})));
        assert_eq!(expected_headers(&read).name, Some("file:///a"));
        let list = Request::new(1, "tools/list", Some(json!({"name": "ignored"})));
        assert_eq!(expected_headers(&list).name, None);
    }

    #[test]
    fn matching_headers_pass() {
        let r = call("get_weather");
        assert_eq!(
            check_mirrored_headers(
                &r,
                &headers("2026-07-28", "tools/call", Some("get_weather"))
            ),
            Ok(())
        );
        let list = Request::new(1, "tools/list", None);
        assert_eq!(
            check_mirrored_headers(&list, &headers("2026-07-28", "tools/list", None)),
            Ok(())
        );
    }

    #[test]
    fn base64_names_are_decoded_before_comparing() {
        let r = call("Hello, 世界");
        let h = headers(
            "2026-07-28",
            "tools/call",
            Some("=?base64?SGVsbG8sIOS4lueVjA==?="),
        );
        assert_eq!(check_mirrored_headers(&r, &h), Ok(()));
        assert_eq!(
            decode_header_value(b"=?base64?IHBhZGRlZCA=?="),
            Some(" padded ".into())
        );
        assert_eq!(decode_header_value(b"plain"), Some("plain".into()));
        assert_eq!(decode_header_value(b"=?base64?!!!?="), None);
        assert_eq!(decode_header_value(b"=?base64?/w==?="), None, "not UTF-8");
        assert_eq!(decode_header_value("bad\u{7f}".as_bytes()), None);
        assert_eq!(decode_header_value("é".as_bytes()), None);
    }

    #[test]
    fn every_failure_is_a_header_mismatch() {
        let r = call("get_weather");
        let cases = [
            MirroredHeaders::default(),
            headers("2025-11-25", "tools/call", Some("get_weather")),
            headers("2026-07-28", "tools/list", Some("get_weather")),
            headers("2026-07-28", "Tools/Call", Some("get_weather")),
            headers("2026-07-28", "tools/call", Some("other")),
            headers("2026-07-28", "tools/call", None),
            MirroredHeaders {
                method: None,
                ..headers("2026-07-28", "tools/call", Some("get_weather"))
            },
            MirroredHeaders {
                name: Some(b"get\xffweather"),
                ..headers("2026-07-28", "tools/call", None)
            },
            MirroredHeaders {
                method: Some(b"tools/call\n"),
                ..headers("2026-07-28", "", Some("get_weather"))
            },
        ];
        for h in cases {
            let e = check_mirrored_headers(&r, &h).unwrap_err();
            assert_eq!(e.code, ErrorObject::HEADER_MISMATCH, "{h:?}");
            assert!(e.message.starts_with("Header mismatch"), "{}", e.message);
        }
    }

    #[test]
    fn mismatch_message_names_header_and_values() {
        let e = check_mirrored_headers(
            &call("bar"),
            &headers("2026-07-28", "tools/call", Some("foo")),
        )
        .unwrap_err();
        assert_eq!(
            e.message,
            "Header mismatch: Mcp-Name header value 'foo' does not match body value 'bar'"
        );
    }

    #[test]
    fn body_without_a_name_leaves_the_name_to_the_dispatcher() {
        let r = Request::new(
            1,
            "tools/call",
            Some(json!({"_meta": {PROTOCOL_VERSION_KEY: "2026-07-28"}})),
        );
        assert_eq!(
            check_mirrored_headers(&r, &headers("2026-07-28", "tools/call", Some("x"))),
            Ok(())
        );
    }
}
