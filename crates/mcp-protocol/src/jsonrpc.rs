//! JSON-RPC 2.0 message types: ids, requests, notifications, responses and error objects.
//!
//! These types only describe messages; [`crate::parse`] builds them from bytes and
//! [`crate::Dispatcher`] answers them. Serialising any of them always yields
//! `"jsonrpc": "2.0"`.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use serde::ser::{SerializeSeq, SerializeStruct};
use serde::{Deserialize, Serialize, Serializer};
use serde_json::value::RawValue;
use serde_json::{Map, Value, json};

use crate::version::ProtocolVersion;

/// The only value the `jsonrpc` member may take.
pub const JSONRPC_VERSION: &str = "2.0";

/// A request id: an integer or a string.
///
/// JSON-RPC 2.0 also allows fractional numbers and `null`; MCP forbids both, so the parser
/// refuses them, and integers outside the `i64` range too. A response whose request id could not be read carries no `Id` at all
/// (`Response::id` is `None`, serialised as `null`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Id {
    /// An integer id.
    Number(i64),
    /// A string id.
    String(String),
}

impl Id {
    /// Reads an id from its JSON form; `None` for anything but an integer or a string.
    pub fn from_value(value: &Value) -> Option<Id> {
        match value {
            Value::Number(n) => n.as_i64().map(Id::Number),
            Value::String(s) => Some(Id::String(s.clone())),
            _ => None,
        }
    }
}

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Id::Number(n) => write!(f, "{n}"),
            Id::String(s) => write!(f, "{s:?}"),
        }
    }
}

impl From<i64> for Id {
    fn from(n: i64) -> Self {
        Id::Number(n)
    }
}

impl From<&str> for Id {
    fn from(s: &str) -> Self {
        Id::String(s.to_owned())
    }
}

/// A call that expects a [`Response`].
#[derive(Clone, PartialEq)]
pub struct Request {
    /// Echoed in the response.
    pub id: Id,
    /// The method name, e.g. `tools/call`.
    pub method: String,
    /// `params`: a JSON object or array when present (MCP only ever uses objects).
    pub params: Option<Value>,
}

impl Request {
    /// A request with the given parts.
    pub fn new(id: impl Into<Id>, method: impl Into<String>, params: Option<Value>) -> Self {
        Request {
            id: id.into(),
            method: method.into(),
            params,
        }
    }

    /// `params` when it is a JSON object.
    pub fn params_object(&self) -> Option<&Map<String, Value>> {
        self.params.as_ref().and_then(Value::as_object)
    }
}

// Params can carry credentials (e.g. the fields of a credential being created), so Debug
// output names the method and id only.
impl fmt::Debug for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Request")
            .field("id", &self.id)
            .field("method", &self.method)
            .field("params", &self.params.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

impl Serialize for Request {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("Request", 4)?;
        s.serialize_field("jsonrpc", JSONRPC_VERSION)?;
        s.serialize_field("id", &self.id)?;
        s.serialize_field("method", &self.method)?;
        if let Some(params) = &self.params {
            s.serialize_field("params", params)?;
        }
        s.end()
    }
}

/// A one-way message: it has no id and is never answered.
#[derive(Clone, PartialEq)]
pub struct Notification {
    /// The method name, e.g. `notifications/initialized`.
    pub method: String,
    /// `params`: a JSON object or array when present.
    pub params: Option<Value>,
}

impl Notification {
    /// A notification with the given parts.
    pub fn new(method: impl Into<String>, params: Option<Value>) -> Self {
        Notification {
            method: method.into(),
            params,
        }
    }
}

impl fmt::Debug for Notification {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Notification")
            .field("method", &self.method)
            .field("params", &self.params.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

impl Serialize for Notification {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("Notification", 3)?;
        s.serialize_field("jsonrpc", JSONRPC_VERSION)?;
        s.serialize_field("method", &self.method)?;
        if let Some(params) = &self.params {
            s.serialize_field("params", params)?;
        }
        s.end()
    }
}

/// What a [`Response`] carries: a result or an error, never both.
#[derive(Debug, Clone)]
pub enum Payload {
    /// The method's result (MCP results are JSON objects).
    Result(Value),
    /// A result serialised in advance — one that changes only with the revision, like
    /// `tools/list` — sent as these bytes instead of being rebuilt for every request.
    Prebuilt(Arc<RawValue>),
    /// Why the request failed.
    Error(ErrorObject),
}

impl PartialEq for Payload {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Payload::Error(a), Payload::Error(b)) => a == b,
            (Payload::Error(_), _) | (_, Payload::Error(_)) => false,
            (Payload::Prebuilt(a), Payload::Prebuilt(b)) => a.get() == b.get(),
            // A prebuilt result equals a built one with the same JSON.
            (a, b) => a.result() == b.result(),
        }
    }
}

impl Payload {
    /// The result as a value (a prebuilt one is parsed: meant for inspection, not the hot
    /// path); `None` for an error.
    fn result(&self) -> Option<Cow<'_, Value>> {
        match self {
            Payload::Result(v) => Some(Cow::Borrowed(v)),
            Payload::Prebuilt(raw) => serde_json::from_str(raw.get()).ok().map(Cow::Owned),
            Payload::Error(_) => None,
        }
    }
}

/// The answer to a [`Request`].
#[derive(Debug, Clone, PartialEq)]
pub struct Response {
    /// The request's id; `None` (serialised as `"id": null`) only in an error response to a
    /// message whose id could not be read, as JSON-RPC 2.0 requires.
    pub id: Option<Id>,
    /// Result or error.
    pub payload: Payload,
}

impl Response {
    /// A successful response.
    pub fn result(id: Id, result: Value) -> Self {
        Response {
            id: Some(id),
            payload: Payload::Result(result),
        }
    }

    /// An error response; pass `None` when the request id is unknown.
    pub fn error(id: Option<Id>, error: ErrorObject) -> Self {
        Response {
            id,
            payload: Payload::Error(error),
        }
    }

    /// A successful response whose result was serialised in advance.
    pub fn prebuilt(id: Id, result: Arc<RawValue>) -> Self {
        Response {
            id: Some(id),
            payload: Payload::Prebuilt(result),
        }
    }

    /// The result, if this is a success (a prebuilt result is parsed for the caller).
    pub fn result_value(&self) -> Option<Cow<'_, Value>> {
        self.payload.result()
    }

    /// The error, if this is a failure.
    pub fn error_object(&self) -> Option<&ErrorObject> {
        match &self.payload {
            Payload::Result(_) | Payload::Prebuilt(_) => None,
            Payload::Error(e) => Some(e),
        }
    }
}

impl Serialize for Response {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("Response", 3)?;
        s.serialize_field("jsonrpc", JSONRPC_VERSION)?;
        s.serialize_field("id", &self.id)?;
        match &self.payload {
            Payload::Result(v) => s.serialize_field("result", v)?,
            Payload::Prebuilt(raw) => s.serialize_field("result", &**raw)?,
            Payload::Error(e) => s.serialize_field("error", e)?,
        }
        s.end()
    }
}

/// The `error` member of an error response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorObject {
    /// One of the constants below, or an application code outside the reserved range.
    pub code: i64,
    /// A short, single-sentence description.
    pub message: String,
    /// Structured detail; omitted when `None`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<Value>,
}

/// Longest echo of client-supplied text (a method or tool name) in an error message, so that
/// a huge name cannot inflate the error.
const ECHO_LIMIT: usize = 100;

impl ErrorObject {
    /// `-32700`: the body is not valid JSON.
    pub const PARSE_ERROR: i64 = -32700;
    /// `-32600`: valid JSON but not a valid JSON-RPC message.
    pub const INVALID_REQUEST: i64 = -32600;
    /// `-32601`: no such method (or not in the request's protocol revision).
    pub const METHOD_NOT_FOUND: i64 = -32601;
    /// `-32602`: bad params, unknown tool, unknown cursor, missing per-request `_meta`.
    pub const INVALID_PARAMS: i64 = -32602;
    /// `-32603`: the server failed.
    pub const INTERNAL_ERROR: i64 = -32603;
    /// `-32000`: too many requests (this product's code, from the implementation-defined
    /// legacy sub-range `-32000..=-32019`).
    pub const RATE_LIMITED: i64 = -32000;
    /// `-32020` (2026-07-28 `HeaderMismatchError`): mirrored HTTP headers missing, malformed
    /// or different from the body. HTTP status 400.
    pub const HEADER_MISMATCH: i64 = -32020;
    /// `-32021` (2026-07-28 `MissingRequiredClientCapabilityError`). HTTP status 400.
    pub const MISSING_REQUIRED_CLIENT_CAPABILITY: i64 = -32021;
    /// `-32022` (2026-07-28 `UnsupportedProtocolVersionError`): `data` is
    /// `{"supported": [...], "requested": "..."}`. HTTP status 400.
    pub const UNSUPPORTED_PROTOCOL_VERSION: i64 = -32022;

    /// The message of [`ErrorObject::rate_limited`], fixed by the product's API reference.
    pub const RATE_LIMIT_MESSAGE: &'static str = "Rate limit exceeded. Please try again later.";

    /// An error with the given code and message and no data.
    pub fn new(code: i64, message: impl Into<String>) -> Self {
        ErrorObject {
            code,
            message: message.into(),
            data: None,
        }
    }

    /// The same error with `data` set.
    pub fn with_data(mut self, data: Value) -> Self {
        self.data = Some(data);
        self
    }

    /// `-32700` with the parser's explanation (a position, never the input itself).
    pub fn parse_error(detail: impl fmt::Display) -> Self {
        Self::new(Self::PARSE_ERROR, format!("Parse error: {detail}"))
    }

    /// `-32600` saying what is wrong with the message's shape.
    pub fn invalid_request(detail: impl fmt::Display) -> Self {
        Self::new(Self::INVALID_REQUEST, format!("Invalid Request: {detail}"))
    }

    /// `-32601` naming the method (cut to a bounded length).
    pub fn method_not_found(method: &str) -> Self {
        Self::new(
            Self::METHOD_NOT_FOUND,
            format!("Method not found: {}", clip(method)),
        )
    }

    /// `-32602` with the given message, e.g. `Unknown tool: foo`.
    pub fn invalid_params(message: impl Into<String>) -> Self {
        Self::new(Self::INVALID_PARAMS, message)
    }

    /// `-32603` with a generic message: internal details stay in the server's logs.
    pub fn internal_error() -> Self {
        Self::new(Self::INTERNAL_ERROR, "Internal error")
    }

    /// `-32000` with the product's rate-limit message.
    pub fn rate_limited() -> Self {
        Self::new(Self::RATE_LIMITED, Self::RATE_LIMIT_MESSAGE)
    }

    /// `-32020` with a message naming the header at fault.
    pub fn header_mismatch(message: impl Into<String>) -> Self {
        Self::new(Self::HEADER_MISMATCH, message)
    }

    /// `-32022` listing every supported revision (newest first) and echoing the request.
    pub fn unsupported_protocol_version(requested: &str) -> Self {
        Self::new(
            Self::UNSUPPORTED_PROTOCOL_VERSION,
            "Unsupported protocol version",
        )
        .with_data(json!({
            "supported": ProtocolVersion::supported(),
            "requested": clip(requested),
        }))
    }
}

/// `s` cut to [`ECHO_LIMIT`] characters, for echoing client text in messages.
pub(crate) fn clip(s: &str) -> Cow<'_, str> {
    match s.char_indices().nth(ECHO_LIMIT) {
        None => Cow::Borrowed(s),
        Some((cut, _)) => Cow::Owned(format!("{}...", &s[..cut])),
    }
}

/// A parsed POST body: one message or a batch.
#[derive(Debug, Clone, PartialEq)]
pub enum Message {
    /// A single request.
    Request(Request),
    /// A single notification.
    Notification(Notification),
    /// A single response (a client answering a server request; this server sends none).
    Response(Response),
    /// A JSON array of messages (allowed by revision 2025-03-26 only).
    Batch(Vec<BatchEntry>),
}

/// One element of a batch.
#[derive(Debug, Clone, PartialEq)]
pub enum BatchEntry {
    /// A request.
    Request(Request),
    /// A notification.
    Notification(Notification),
    /// A response.
    Response(Response),
    /// An element that is not a valid message; JSON-RPC answers it with this error in place.
    Invalid(Response),
}

impl Serialize for BatchEntry {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            BatchEntry::Request(r) => r.serialize(serializer),
            BatchEntry::Notification(n) => n.serialize(serializer),
            BatchEntry::Response(r) | BatchEntry::Invalid(r) => r.serialize(serializer),
        }
    }
}

impl Serialize for Message {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Message::Request(r) => r.serialize(serializer),
            Message::Notification(n) => n.serialize(serializer),
            Message::Response(r) => r.serialize(serializer),
            Message::Batch(entries) => {
                let mut seq = serializer.serialize_seq(Some(entries.len()))?;
                for e in entries {
                    seq.serialize_element(e)?;
                }
                seq.end()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_serialize_as_bare_values() {
        assert_eq!(serde_json::to_value(Id::Number(7)).unwrap(), json!(7));
        assert_eq!(serde_json::to_value(Id::from("a")).unwrap(), json!("a"));
        assert_eq!(Id::from_value(&json!(-3)), Some(Id::Number(-3)));
        assert_eq!(Id::from_value(&json!(1.5)), None);
        assert_eq!(Id::from_value(&json!(null)), None);
        assert_eq!(Id::from_value(&json!(u64::MAX)), None);
        assert_eq!(Id::from_value(&json!([1])), None);
    }

    #[test]
    fn responses_serialize_with_jsonrpc_and_null_id_when_unknown() {
        let ok = Response::result(Id::Number(1), json!({}));
        assert_eq!(
            serde_json::to_value(&ok).unwrap(),
            json!({"jsonrpc":"2.0","id":1,"result":{}})
        );
        let err = Response::error(None, ErrorObject::rate_limited());
        assert_eq!(
            serde_json::to_value(&err).unwrap(),
            json!({"jsonrpc":"2.0","id":null,"error":{"code":-32000,"message":"Rate limit exceeded. Please try again later."}})
        );
        assert!(err.result_value().is_none());
        assert_eq!(err.error_object().map(|e| e.code), Some(-32000));
    }

    #[test]
    fn requests_and_notifications_serialize_without_absent_params() {
        let r = Request::new(1, "ping", None);
        assert_eq!(
            serde_json::to_value(&r).unwrap(),
            json!({"jsonrpc":"2.0","id":1,"method":"ping"})
        );
        let n = Notification::new("notifications/initialized", Some(json!({})));
        assert_eq!(
            serde_json::to_value(&n).unwrap(),
            json!({"jsonrpc":"2.0","method":"notifications/initialized","params":{}})
        );
    }

    #[test]
    fn debug_output_never_shows_params() {
        let r = Request::new(
            1,
            "tools/call",
            Some(json!({"arguments":{"apiKey":"sk-secret-123"}})),
        );
        let n = Notification::new("x", Some(json!({"token":"sk-secret-123"})));
        assert!(!format!("{r:?}").contains("sk-secret"));
        assert!(!format!("{n:?}").contains("sk-secret"));
        assert!(format!("{r:?}").contains("tools/call"));
    }

    #[test]
    fn error_codes_match_the_specification() {
        assert_eq!(ErrorObject::PARSE_ERROR, -32700);
        assert_eq!(ErrorObject::INVALID_REQUEST, -32600);
        assert_eq!(ErrorObject::METHOD_NOT_FOUND, -32601);
        assert_eq!(ErrorObject::INVALID_PARAMS, -32602);
        assert_eq!(ErrorObject::INTERNAL_ERROR, -32603);
        assert_eq!(ErrorObject::RATE_LIMITED, -32000);
        assert_eq!(ErrorObject::HEADER_MISMATCH, -32020);
        assert_eq!(ErrorObject::MISSING_REQUIRED_CLIENT_CAPABILITY, -32021);
        assert_eq!(ErrorObject::UNSUPPORTED_PROTOCOL_VERSION, -32022);
    }

    #[test]
    fn unsupported_version_lists_supported_and_requested() {
        let e = ErrorObject::unsupported_protocol_version("1900-01-01");
        assert_eq!(
            serde_json::to_value(&e).unwrap(),
            json!({"code":-32022,"message":"Unsupported protocol version",
                   "data":{"supported":["2026-07-28","2025-11-25","2025-06-18","2025-03-26"],
                           "requested":"1900-01-01"}})
        );
    }

    #[test]
    fn echoed_names_are_bounded() {
        let long = "é".repeat(10_000);
        let e = ErrorObject::method_not_found(&long);
        assert!(e.message.chars().count() < 130, "{}", e.message.len());
        assert_eq!(clip("short"), "short");
    }

    #[test]
    fn batch_serializes_as_array() {
        let m = Message::Batch(vec![
            BatchEntry::Request(Request::new(1, "ping", None)),
            BatchEntry::Invalid(Response::error(None, ErrorObject::invalid_request("x"))),
        ]);
        let v = serde_json::to_value(&m).unwrap();
        assert_eq!(v.as_array().map(Vec::len), Some(2));
        assert_eq!(v[1]["error"]["code"], -32600);
    }
}
