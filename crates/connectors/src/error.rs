//! The connector engine's error type and its mapping onto the API's error codes.

use alloy_domain::ErrorCode;
use serde_json::{Value, json};

/// A document (built-in or operator-supplied) that could not be turned into a connector.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{source_name}: {message}")]
pub struct LoadError {
    /// Where the document came from: a file path, or `builtin:<file>` for the compiled-in catalog.
    pub source_name: String,
    /// What is wrong with it, naming the place in the document where possible.
    pub message: String,
}

impl LoadError {
    /// A load error for the document named `source_name`.
    pub fn new(source_name: impl Into<String>, message: impl Into<String>) -> Self {
        LoadError {
            source_name: source_name.into(),
            message: message.into(),
        }
    }
}

/// Why a parameter was refused; the `details` of a `VALIDATION_ERROR`.
#[derive(Debug, Clone, PartialEq)]
pub struct ParameterError {
    /// The parameter's name (dotted for nested body fields, e.g. `metadata.key`).
    pub parameter: String,
    /// The rule that failed: `required`, `type`, `enum`, `minimum`, `maximum`, `minLength`,
    /// `maxLength`, `pattern`, `minItems`, `maxItems`, `unknown`, `path`, ….
    pub constraint: String,
    /// The rule's own value (the limit, the allowed values, the pattern); never the input.
    pub value: Value,
    /// A sentence for humans, naming the parameter.
    pub message: String,
}

/// Everything that can go wrong while looking up or executing an action.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// No connector with this ID.
    #[error("connector `{0}` not found")]
    ConnectorNotFound(String),
    /// The connector exists but has no action with this ID.
    #[error("action `{action}` not found on connector `{connector}`")]
    ActionNotFound {
        /// Connector ID.
        connector: String,
        /// The action ID that was asked for.
        action: String,
    },
    /// A parameter failed validation; nothing was sent upstream.
    #[error("{}", .0.message)]
    Validation(Box<ParameterError>),
    /// The credential cannot be used with this connector (wrong type, missing field).
    #[error("credential cannot be used: {message}")]
    Credential {
        /// What is wrong, naming fields but never their values.
        message: String,
        /// The missing or invalid credential field, if one is to blame.
        field: Option<String>,
    },
    /// The upstream platform answered with a non-success status.
    #[error("upstream answered HTTP {status}: {message}")]
    UpstreamStatus {
        /// HTTP status of the upstream answer.
        status: u16,
        /// The upstream's error message (from its body), or the status' reason phrase.
        message: String,
        /// The upstream body, when small enough to pass on.
        body: Option<Value>,
        /// Seconds the upstream asked us to wait (`Retry-After`), when it said so.
        retry_after_secs: Option<u64>,
    },
    /// The upstream answered 2xx with an error inside the body (`x-alloy-error`, e.g. Slack).
    #[error("upstream reported an error: {message}")]
    UpstreamReported {
        /// HTTP status of the upstream answer (2xx).
        status: u16,
        /// The value of the document's error field.
        message: String,
        /// The upstream body, when small enough to pass on.
        body: Option<Value>,
        /// The error is one of the document's `authErrors`: the credential was rejected.
        unauthorized: bool,
    },
    /// The upstream did not answer within the request's timeout.
    #[error("upstream did not answer within {timeout_ms} ms")]
    UpstreamTimeout {
        /// The timeout that ran out.
        timeout_ms: u64,
    },
    /// The request could not be sent or its answer not read (DNS, connect, reset, TLS).
    #[error("upstream request failed: {message}")]
    Transport {
        /// The transport error, with any URL removed (URLs may carry query-string API keys).
        message: String,
    },
    /// The upstream answer was larger than the executor reads.
    #[error("upstream response exceeds the limit of {limit} bytes")]
    ResponseTooLarge {
        /// The configured limit in bytes.
        limit: usize,
    },
    /// The upstream redirected to another origin (or too many times); not followed.
    #[error("upstream redirected to {location}, which is not followed")]
    RedirectRefused {
        /// HTTP status of the redirect.
        status: u16,
        /// Where it pointed, without its query string.
        location: String,
    },
    /// The upstream's address is private, loopback or link-local and not allowed
    /// (`ALLOY_UPSTREAM_ALLOW`); nothing was sent.
    #[error(
        "upstream address refused: {host} is {address}, a private, loopback or link-local \
         address; an operator can allow its network with ALLOY_UPSTREAM_ALLOW"
    )]
    AddressRefused {
        /// The host of the URL.
        host: String,
        /// The address it is or resolves to.
        address: String,
    },
    /// The executor's configuration is unusable (e.g. a base URL override is not a URL).
    #[error("connector configuration: {0}")]
    Config(String),
    /// One or more documents could not be loaded.
    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Load(Vec<LoadError>),
}

impl Error {
    /// A validation error for `parameter`.
    pub(crate) fn validation(
        parameter: impl Into<String>,
        constraint: impl Into<String>,
        value: impl Into<Value>,
        message: impl Into<String>,
    ) -> Self {
        Error::Validation(Box::new(ParameterError {
            parameter: parameter.into(),
            constraint: constraint.into(),
            value: value.into(),
            message: message.into(),
        }))
    }

    /// The API error code this error is answered with.
    ///
    /// Upstream statuses map as: 401 → `CREDENTIAL_INVALID`, 403 → `FORBIDDEN`,
    /// 404 → `NOT_FOUND`, 429 → `RATE_LIMITED`, anything else → `UPSTREAM_ERROR`.
    pub fn code(&self) -> ErrorCode {
        match self {
            Error::ConnectorNotFound(_) => ErrorCode::ConnectorNotFound,
            Error::ActionNotFound { .. } => ErrorCode::ActionNotFound,
            Error::Validation(_) => ErrorCode::ValidationError,
            Error::Credential { .. } => ErrorCode::CredentialInvalid,
            Error::UpstreamStatus { status, .. } => match status {
                401 => ErrorCode::CredentialInvalid,
                403 => ErrorCode::Forbidden,
                404 => ErrorCode::NotFound,
                429 => ErrorCode::RateLimited,
                _ => ErrorCode::UpstreamError,
            },
            Error::UpstreamReported { unauthorized, .. } => {
                if *unauthorized {
                    ErrorCode::CredentialInvalid
                } else {
                    ErrorCode::UpstreamError
                }
            }
            Error::UpstreamTimeout { .. } => ErrorCode::UpstreamTimeout,
            Error::Transport { .. }
            | Error::ResponseTooLarge { .. }
            | Error::RedirectRefused { .. } => ErrorCode::UpstreamError,
            Error::AddressRefused { .. } => ErrorCode::Forbidden,
            Error::Config(_) | Error::Load(_) => ErrorCode::InternalError,
        }
    }

    /// The HTTP status the upstream answered with, when the failure came from an answer.
    ///
    /// An in-body authentication error (`x-alloy-error` `authErrors`) counts as 401, so that the
    /// credentials layer refreshes an OAuth token for it as for a real 401.
    pub fn upstream_status(&self) -> Option<u16> {
        match self {
            Error::UpstreamStatus { status, .. } | Error::RedirectRefused { status, .. } => {
                Some(*status)
            }
            Error::UpstreamReported {
                status,
                unauthorized,
                ..
            } => Some(if *unauthorized { 401 } else { *status }),
            _ => None,
        }
    }

    /// Whether the upstream rejected the credential (HTTP 401 or an in-body auth error); the
    /// caller may refresh an OAuth token once and retry.
    pub fn is_upstream_unauthorized(&self) -> bool {
        self.upstream_status() == Some(401)
    }

    /// The `details` object of the API error: the parameter for validation errors, the upstream
    /// status, message and body for upstream errors; `null` when there is nothing to add.
    pub fn details(&self) -> Value {
        match self {
            Error::ConnectorNotFound(id) => json!({ "connectorId": id }),
            Error::ActionNotFound { connector, action } => {
                json!({ "connectorId": connector, "actionId": action })
            }
            Error::Validation(p) => json!({
                "field": p.parameter,
                "constraint": p.constraint,
                "value": p.value,
                "message": p.message,
            }),
            Error::Credential { field, .. } => match field {
                Some(f) => json!({ "field": f }),
                None => Value::Null,
            },
            Error::UpstreamStatus {
                status,
                message,
                body,
                retry_after_secs,
            } => {
                let mut d = json!({ "upstreamStatus": status, "upstreamMessage": message });
                if let Some(body) = body {
                    d["upstreamBody"] = body.clone();
                }
                if let Some(secs) = retry_after_secs {
                    d["retryAfterSeconds"] = json!(secs);
                }
                d
            }
            Error::UpstreamReported {
                status,
                message,
                body,
                ..
            } => {
                let mut d = json!({ "upstreamStatus": status, "upstreamMessage": message });
                if let Some(body) = body {
                    d["upstreamBody"] = body.clone();
                }
                d
            }
            Error::UpstreamTimeout { timeout_ms } => json!({ "timeoutMs": timeout_ms }),
            Error::Transport { message } => json!({ "reason": message }),
            Error::ResponseTooLarge { limit } => json!({ "limitBytes": limit }),
            Error::RedirectRefused { status, location } => {
                json!({ "upstreamStatus": status, "location": location })
            }
            Error::AddressRefused { host, address } => {
                json!({ "host": host, "address": address })
            }
            Error::Config(_) => Value::Null,
            Error::Load(errors) => json!(
                errors
                    .iter()
                    .map(|e| json!({ "source": e.source_name, "message": e.message }))
                    .collect::<Vec<_>>()
            ),
        }
    }

    /// The parameter a validation error names.
    pub fn parameter(&self) -> Option<&str> {
        match self {
            Error::Validation(p) => Some(&p.parameter),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upstream_statuses_map_to_codes() {
        let e = |status| Error::UpstreamStatus {
            status,
            message: "m".into(),
            body: None,
            retry_after_secs: None,
        };
        assert_eq!(e(401).code(), ErrorCode::CredentialInvalid);
        assert!(e(401).is_upstream_unauthorized());
        assert_eq!(e(403).code(), ErrorCode::Forbidden);
        assert_eq!(e(404).code(), ErrorCode::NotFound);
        assert_eq!(e(429).code(), ErrorCode::RateLimited);
        assert_eq!(e(400).code(), ErrorCode::UpstreamError);
        assert_eq!(e(503).code(), ErrorCode::UpstreamError);
        assert!(!e(503).is_upstream_unauthorized());
        assert_eq!(e(502).details()["upstreamStatus"], 502);
    }

    #[test]
    fn in_body_auth_errors_count_as_401() {
        let e = Error::UpstreamReported {
            status: 200,
            message: "invalid_auth".into(),
            body: None,
            unauthorized: true,
        };
        assert_eq!(e.upstream_status(), Some(401));
        assert_eq!(e.code(), ErrorCode::CredentialInvalid);
    }
}
