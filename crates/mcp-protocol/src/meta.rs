//! Per-request metadata of revision 2026-07-28: the `_meta` keys every request carries in
//! place of the old `initialize` handshake, and the `_meta` key every result carries back.

use serde_json::{Map, Value};

use crate::implementation::Implementation;
use crate::jsonrpc::{ErrorObject, Request, clip};
use crate::logging::LoggingLevel;
use crate::version::ProtocolVersion;

/// `_meta` key: the request's protocol revision (required).
pub const PROTOCOL_VERSION_KEY: &str = "io.modelcontextprotocol/protocolVersion";
/// `_meta` key: the client's capabilities for this request, an object (required).
pub const CLIENT_CAPABILITIES_KEY: &str = "io.modelcontextprotocol/clientCapabilities";
/// `_meta` key: the client's [`Implementation`] (optional).
pub const CLIENT_INFO_KEY: &str = "io.modelcontextprotocol/clientInfo";
/// `_meta` key: the lowest [`LoggingLevel`] the client wants for this request (optional).
pub const LOG_LEVEL_KEY: &str = "io.modelcontextprotocol/logLevel";
/// Result `_meta` key: the server's [`Implementation`].
pub const SERVER_INFO_KEY: &str = "io.modelcontextprotocol/serverInfo";

/// The validated `params._meta` of a 2026-07-28 request.
#[derive(Debug, Clone, PartialEq)]
pub struct RequestMeta {
    /// The revision the client declared, as sent (not necessarily one we support).
    pub protocol_version: String,
    /// The client's capabilities for this request. A tools-only server requires none.
    pub client_capabilities: Map<String, Value>,
    /// Who the client says it is; self-reported, for logs only.
    pub client_info: Option<Implementation>,
    /// The log level the client opted in to; `None` means send no log messages.
    pub log_level: Option<LoggingLevel>,
}

impl RequestMeta {
    /// Reads and checks `params._meta` of a request.
    ///
    /// A missing or malformed required field is `-32602` (the specification's answer, with
    /// HTTP status 400). The declared version is not checked here; see
    /// [`RequestMeta::revision`].
    pub fn from_request(request: &Request) -> Result<RequestMeta, ErrorObject> {
        let meta = request
            .params_object()
            .and_then(|p| p.get("_meta"))
            .and_then(Value::as_object)
            .ok_or_else(|| missing("params._meta"))?;

        let protocol_version = match meta.get(PROTOCOL_VERSION_KEY) {
            Some(Value::String(v)) => v.clone(),
            Some(_) => return Err(malformed(PROTOCOL_VERSION_KEY, "a string")),
            None => return Err(missing(PROTOCOL_VERSION_KEY)),
        };
        let client_capabilities = match meta.get(CLIENT_CAPABILITIES_KEY) {
            Some(Value::Object(c)) => c.clone(),
            Some(_) => return Err(malformed(CLIENT_CAPABILITIES_KEY, "an object")),
            None => return Err(missing(CLIENT_CAPABILITIES_KEY)),
        };
        let client_info = match meta.get(CLIENT_INFO_KEY) {
            None => None,
            Some(v) => Some(Implementation::from_value(v).ok_or_else(|| {
                malformed(
                    CLIENT_INFO_KEY,
                    "an object with string \"name\" and \"version\"",
                )
            })?),
        };
        let log_level = match meta.get(LOG_LEVEL_KEY) {
            None => None,
            Some(v) => Some(
                v.as_str()
                    .and_then(LoggingLevel::parse)
                    .ok_or_else(|| malformed(LOG_LEVEL_KEY, "a logging level"))?,
            ),
        };
        Ok(RequestMeta {
            protocol_version,
            client_capabilities,
            client_info,
            log_level,
        })
    }

    /// The declared revision when this server serves it per request (2026-07-28 only);
    /// otherwise `-32022` with the supported list (HTTP status 400). A session revision
    /// declared in `_meta` is refused too: those are served through `initialize`.
    pub fn revision(&self) -> Result<ProtocolVersion, ErrorObject> {
        match ProtocolVersion::parse(&self.protocol_version) {
            Some(v) if v.is_stateless() => Ok(v),
            _ => Err(ErrorObject::unsupported_protocol_version(
                &self.protocol_version,
            )),
        }
    }
}

fn missing(field: &str) -> ErrorObject {
    ErrorObject::invalid_params(format!("Missing required request metadata: {field}"))
}

fn malformed(field: &str, expected: &str) -> ErrorObject {
    ErrorObject::invalid_params(format!(
        "Invalid request metadata: {} must be {expected}",
        clip(field)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn request(meta: Value) -> Request {
        Request::new(1, "tools/list", Some(json!({ "_meta": meta })))
    }

    #[test]
    fn reads_every_field() {
        let r = request(json!({
            PROTOCOL_VERSION_KEY: "2026-07-28",
            CLIENT_CAPABILITIES_KEY: {"elicitation": {}},
            CLIENT_INFO_KEY: {"name": "c", "version": "9"},
            LOG_LEVEL_KEY: "warning",
            "traceparent": "00-abc"
        }));
        let m = RequestMeta::from_request(&r).unwrap();
        assert_eq!(m.protocol_version, "2026-07-28");
        assert!(m.client_capabilities.contains_key("elicitation"));
        assert_eq!(m.client_info, Some(Implementation::new("c", "9")));
        assert_eq!(m.log_level, Some(LoggingLevel::Warning));
        assert_eq!(m.revision(), Ok(ProtocolVersion::V2026_07_28));
    }

    #[test]
    fn optional_fields_may_be_absent() {
        let r = request(json!({ PROTOCOL_VERSION_KEY: "2026-07-28", CLIENT_CAPABILITIES_KEY: {} }));
        let m = RequestMeta::from_request(&r).unwrap();
        assert_eq!(m.client_info, None);
        assert_eq!(m.log_level, None);
    }

    #[test]
    fn missing_or_malformed_required_fields_are_invalid_params() {
        let bad = [
            Request::new(1, "tools/list", None),
            Request::new(1, "tools/list", Some(json!([1]))),
            Request::new(1, "tools/list", Some(json!({}))),
            request(json!("x")),
            request(json!({ CLIENT_CAPABILITIES_KEY: {} })),
            request(json!({ PROTOCOL_VERSION_KEY: "2026-07-28" })),
            request(json!({ PROTOCOL_VERSION_KEY: 20260728, CLIENT_CAPABILITIES_KEY: {} })),
            request(json!({ PROTOCOL_VERSION_KEY: "2026-07-28", CLIENT_CAPABILITIES_KEY: [] })),
            request(
                json!({ PROTOCOL_VERSION_KEY: "2026-07-28", CLIENT_CAPABILITIES_KEY: {}, CLIENT_INFO_KEY: {"name": "c"} }),
            ),
            request(
                json!({ PROTOCOL_VERSION_KEY: "2026-07-28", CLIENT_CAPABILITIES_KEY: {}, LOG_LEVEL_KEY: "loud" }),
            ),
        ];
        for r in bad {
            let e = RequestMeta::from_request(&r).unwrap_err();
            assert_eq!(e.code, ErrorObject::INVALID_PARAMS, "{:?}", r.params);
        }
    }

    #[test]
    fn only_2026_is_served_per_request() {
        for (v, ok) in [
            ("2026-07-28", true),
            ("2025-11-25", false),
            ("2099-01-01", false),
        ] {
            let r = request(json!({ PROTOCOL_VERSION_KEY: v, CLIENT_CAPABILITIES_KEY: {} }));
            let m = RequestMeta::from_request(&r).unwrap();
            match m.revision() {
                Ok(rev) => assert!(ok && rev.is_stateless()),
                Err(e) => {
                    assert!(!ok);
                    assert_eq!(e.code, ErrorObject::UNSUPPORTED_PROTOCOL_VERSION);
                    assert_eq!(e.data.unwrap()["requested"], v);
                }
            }
        }
    }
}
