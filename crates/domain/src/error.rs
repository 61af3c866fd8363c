//! The reference's error object (`{"error":{"code","message","details"}}`) and its codes.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// Every error code the API answers with, spelled as on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[non_exhaustive]
pub enum ErrorCode {
    /// Malformed request.
    InvalidRequest,
    /// Invalid or missing authentication.
    Unauthorized,
    /// Authenticated, but not allowed.
    Forbidden,
    /// Resource (or route) not found.
    NotFound,
    /// The route exists but not for this method.
    MethodNotAllowed,
    /// Request body over the size limit.
    PayloadTooLarge,
    /// The client did not send its request in time.
    RequestTimeout,
    /// The `Accept` header rules out every representation we can send.
    NotAcceptable,
    /// Too many requests.
    RateLimited,
    /// Server error.
    InternalError,
    /// A dependency (database, upstream platform) is unavailable.
    ServiceUnavailable,
    /// The body is not valid JSON.
    InvalidJson,
    /// Generic validation failure (the reference's example code).
    ValidationError,
    /// Required field not provided.
    MissingRequiredField,
    /// Field format incorrect (type, pattern, shape).
    InvalidFormat,
    /// Exceeds maximum length.
    ValueTooLong,
    /// Below minimum length.
    ValueTooShort,
    /// Value already exists.
    DuplicateValue,
    /// Not in the allowed values.
    InvalidEnumValue,
    /// Platform credential missing.
    CredentialNotFound,
    /// The credential exists but can no longer be used (for example a failed OAuth refresh).
    CredentialInvalid,
    /// Invalid connector ID.
    ConnectorNotFound,
    /// Invalid action ID.
    ActionNotFound,
    /// The upstream platform answered with an error.
    UpstreamError,
    /// The upstream platform did not answer in time.
    UpstreamTimeout,
}

impl ErrorCode {
    /// The HTTP status this code is answered with on the management API.
    pub fn http_status(self) -> u16 {
        use ErrorCode::*;
        match self {
            InvalidRequest | InvalidJson | ValidationError | MissingRequiredField
            | InvalidFormat | ValueTooLong | ValueTooShort | DuplicateValue | InvalidEnumValue
            | CredentialNotFound | CredentialInvalid => 400,
            Unauthorized => 401,
            Forbidden => 403,
            NotFound | ConnectorNotFound | ActionNotFound => 404,
            MethodNotAllowed => 405,
            NotAcceptable => 406,
            RequestTimeout => 408,
            PayloadTooLarge => 413,
            RateLimited => 429,
            InternalError => 500,
            UpstreamError => 502,
            ServiceUnavailable => 503,
            UpstreamTimeout => 504,
        }
    }

    /// The code as written on the wire, e.g. `"VALUE_TOO_LONG"`.
    pub fn as_str(self) -> &'static str {
        use ErrorCode::*;
        match self {
            InvalidRequest => "INVALID_REQUEST",
            Unauthorized => "UNAUTHORIZED",
            Forbidden => "FORBIDDEN",
            NotFound => "NOT_FOUND",
            MethodNotAllowed => "METHOD_NOT_ALLOWED",
            PayloadTooLarge => "PAYLOAD_TOO_LARGE",
            RequestTimeout => "REQUEST_TIMEOUT",
            NotAcceptable => "NOT_ACCEPTABLE",
            RateLimited => "RATE_LIMITED",
            InternalError => "INTERNAL_ERROR",
            ServiceUnavailable => "SERVICE_UNAVAILABLE",
            InvalidJson => "INVALID_JSON",
            ValidationError => "VALIDATION_ERROR",
            MissingRequiredField => "MISSING_REQUIRED_FIELD",
            InvalidFormat => "INVALID_FORMAT",
            ValueTooLong => "VALUE_TOO_LONG",
            ValueTooShort => "VALUE_TOO_SHORT",
            DuplicateValue => "DUPLICATE_VALUE",
            InvalidEnumValue => "INVALID_ENUM_VALUE",
            CredentialNotFound => "CREDENTIAL_NOT_FOUND",
            CredentialInvalid => "CREDENTIAL_INVALID",
            ConnectorNotFound => "CONNECTOR_NOT_FOUND",
            ActionNotFound => "ACTION_NOT_FOUND",
            UpstreamError => "UPSTREAM_ERROR",
            UpstreamTimeout => "UPSTREAM_TIMEOUT",
        }
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One field that failed validation: the `details` object of a validation error.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldError {
    /// The specific code from the field-limits table, e.g. `VALUE_TOO_LONG`.
    #[serde(skip)]
    pub code: Option<ErrorCode>,
    /// Dotted path of the field, e.g. `restrictions.connectors.mode`.
    pub field: String,
    /// The rule that failed, e.g. `maxLength`, `pattern`, `required`.
    pub constraint: String,
    /// The rule's own value (the limit, the pattern, the allowed values); never the input.
    pub value: Value,
    /// A sentence for humans.
    pub message: String,
}

impl FieldError {
    /// A field error with its specific code.
    pub fn new(
        code: ErrorCode,
        field: impl Into<String>,
        constraint: impl Into<String>,
        value: impl Into<Value>,
        message: impl Into<String>,
    ) -> Self {
        FieldError {
            code: Some(code),
            field: field.into(),
            constraint: constraint.into(),
            value: value.into(),
            message: message.into(),
        }
    }

    /// The same error for a field nested under `prefix`.
    pub fn under(mut self, prefix: &str) -> Self {
        self.field = if self.field.is_empty() {
            prefix.to_owned()
        } else {
            format!("{prefix}.{}", self.field)
        };
        self
    }
}

/// The reference's error object. Every failure a client sees, on either API, is one of these.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    /// Machine-readable code.
    pub code: ErrorCode,
    /// Human-readable message.
    pub message: String,
    /// Additional context (`field`, `constraint`, … for validation errors).
    pub details: Option<Value>,
}

impl ApiError {
    /// An error with a code and a message, no details.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        ApiError {
            code,
            message: message.into(),
            details: None,
        }
    }

    /// Adds a `details` object.
    pub fn with_details(mut self, details: Value) -> Self {
        self.details = Some(details);
        self
    }

    /// A validation error: the field error's specific code, message `Validation failed`, and the
    /// field error as `details`.
    pub fn validation(field: FieldError) -> Self {
        let code = field.code.unwrap_or(ErrorCode::ValidationError);
        let details = serde_json::to_value(&field).unwrap_or(Value::Null);
        ApiError {
            code,
            message: "Validation failed".to_owned(),
            details: Some(details),
        }
    }

    /// `401 UNAUTHORIZED`.
    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Unauthorized, message)
    }

    /// `403 FORBIDDEN`.
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Forbidden, message)
    }

    /// `404 NOT_FOUND`.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::NotFound, message)
    }

    /// `500 INTERNAL_ERROR` with a message that reveals nothing of the cause.
    pub fn internal() -> Self {
        Self::new(ErrorCode::InternalError, "An internal error occurred")
    }

    /// The HTTP status of this error.
    pub fn http_status(&self) -> u16 {
        self.code.http_status()
    }

    /// The wire form: `{"error":{"code","message","details"?}}`.
    pub fn to_json(&self) -> Value {
        let mut inner = json!({ "code": self.code.as_str(), "message": self.message });
        if let (Some(details), Some(obj)) = (&self.details, inner.as_object_mut()) {
            obj.insert("details".to_owned(), details.clone());
        }
        json!({ "error": inner })
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for ApiError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_error_uses_specific_code_and_details() {
        let e = ApiError::validation(FieldError::new(
            ErrorCode::ValueTooLong,
            "name",
            "maxLength",
            100,
            "Server name must not exceed 100 characters",
        ));
        assert_eq!(e.http_status(), 400);
        assert_eq!(
            e.to_json(),
            json!({"error":{"code":"VALUE_TOO_LONG","message":"Validation failed","details":{
                "field":"name","constraint":"maxLength","value":100,
                "message":"Server name must not exceed 100 characters"}}})
        );
    }

    #[test]
    fn codes_serialize_as_on_the_wire() {
        assert_eq!(
            serde_json::to_value(ErrorCode::CredentialNotFound).unwrap(),
            json!("CREDENTIAL_NOT_FOUND")
        );
        assert_eq!(ErrorCode::ConnectorNotFound.as_str(), "CONNECTOR_NOT_FOUND");
        assert_eq!(ErrorCode::RateLimited.http_status(), 429);
    }
}
