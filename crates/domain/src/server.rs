//! MCP server definitions: what a create or update request may contain, and its rules.

use garde::Validate;
use serde_json::{Map, Value};

use crate::coerce;
use crate::error::{ErrorCode, FieldError};
use crate::restrictions::Restrictions;
use crate::validation::{first_field_error, rule_error};

/// Longest server name, in characters.
pub const NAME_MAX_LEN: usize = 100;
/// Token expiry bounds, in days.
pub const TOKEN_EXPIRY_DAYS: std::ops::RangeInclusive<i64> = 1..=365;
/// The only server mode the reference shows.
pub const MODE_CONNECTIVITY: &str = "connectivity";

/// A validated request to create a server.
#[derive(Debug, Clone, PartialEq, Validate)]
pub struct NewServer {
    /// Display name, unique per user.
    #[garde(custom(server_name))]
    pub name: String,
    /// Free text, may be empty.
    #[garde(skip)]
    pub description: String,
    /// Whether other users of the account may connect.
    #[garde(skip)]
    pub is_public: bool,
    /// Whether the token URL of a public server accepts another user only through a signed
    /// user token (`x-alloy-user-token`), not a bare `x-alloy-userid`.
    #[garde(skip)]
    pub require_user_token: bool,
    /// Days until the access token expires; `None` never expires.
    #[garde(custom(token_expiry))]
    pub token_expires_in_days: Option<i64>,
    /// Allow and block lists.
    #[garde(skip)]
    pub restrictions: Restrictions,
}

/// A validated update: absent fields keep their value; `restrictions` replaces the whole object.
#[derive(Debug, Clone, Default, PartialEq, Validate)]
pub struct ServerUpdate {
    /// New name.
    #[garde(custom(optional_server_name))]
    pub name: Option<String>,
    /// New description.
    #[garde(skip)]
    pub description: Option<String>,
    /// New visibility.
    #[garde(skip)]
    pub is_public: Option<bool>,
    /// New user-token requirement.
    #[garde(skip)]
    pub require_user_token: Option<bool>,
    /// New restrictions (whole object).
    #[garde(skip)]
    pub restrictions: Option<Restrictions>,
}

fn restrictions(obj: &Map<String, Value>) -> Result<Option<Restrictions>, FieldError> {
    obj.get("restrictions")
        .map(Restrictions::from_json)
        .transpose()
}

impl NewServer {
    /// Reads and validates a create request body, applying the reference's coercions.
    pub fn from_json(body: &Value) -> Result<Self, FieldError> {
        let obj = coerce::body_object(body)?;
        let name = coerce::string(obj, "name")?.ok_or_else(|| {
            FieldError::new(
                ErrorCode::MissingRequiredField,
                "name",
                "required",
                true,
                "Server name is required",
            )
        })?;
        let server = NewServer {
            name,
            description: coerce::string(obj, "description")?.unwrap_or_default(),
            is_public: coerce::boolean(obj, "isPublic")?.unwrap_or(false),
            require_user_token: coerce::boolean(obj, "requireUserToken")?.unwrap_or(false),
            token_expires_in_days: coerce::integer(obj, "tokenExpiresInDays")?,
            restrictions: restrictions(obj)?.unwrap_or_default(),
        };
        server.validate().map_err(|r| report_error(&r))?;
        Ok(server)
    }
}

/// A validated request for a new access token (`POST /api/servers/:serverId/rotate-token`).
#[derive(Debug, Clone, Default, PartialEq, Validate)]
pub struct TokenRotation {
    /// Days until the new token expires; `None` never expires (as at creation).
    #[garde(custom(token_expiry))]
    pub token_expires_in_days: Option<i64>,
}

impl TokenRotation {
    /// Reads and validates a rotation request body (`{}` asks for a token that never expires).
    pub fn from_json(body: &Value) -> Result<Self, FieldError> {
        let obj = coerce::body_object(body)?;
        let rotation = TokenRotation {
            token_expires_in_days: coerce::integer(obj, "tokenExpiresInDays")?,
        };
        rotation.validate().map_err(|r| report_error(&r))?;
        Ok(rotation)
    }
}

impl ServerUpdate {
    /// Reads and validates an update request body, applying the reference's coercions.
    pub fn from_json(body: &Value) -> Result<Self, FieldError> {
        let obj = coerce::body_object(body)?;
        let update = ServerUpdate {
            name: coerce::string(obj, "name")?,
            description: coerce::string(obj, "description")?,
            is_public: coerce::boolean(obj, "isPublic")?,
            require_user_token: coerce::boolean(obj, "requireUserToken")?,
            restrictions: restrictions(obj)?,
        };
        update.validate().map_err(|r| report_error(&r))?;
        Ok(update)
    }
}

fn report_error(report: &garde::Report) -> FieldError {
    first_field_error(report).unwrap_or_else(|| {
        FieldError::new(
            ErrorCode::ValidationError,
            "body",
            "rule",
            Value::Null,
            "Validation failed",
        )
    })
}

/// The server-name rules of the field-limits page, in the order a user would fix them.
fn server_name(name: &str, _ctx: &()) -> garde::Result {
    let len = name.chars().count();
    if len == 0 {
        return Err(rule_error(
            ErrorCode::ValueTooShort,
            "minLength",
            1,
            "Server name must not be empty",
        ));
    }
    if name.trim().is_empty() {
        return Err(rule_error(
            ErrorCode::InvalidFormat,
            "notBlank",
            true,
            "Server name must not be whitespace only",
        ));
    }
    if name.trim() != name {
        return Err(rule_error(
            ErrorCode::InvalidFormat,
            "noSurroundingWhitespace",
            true,
            "Server name must not start or end with whitespace",
        ));
    }
    if len > NAME_MAX_LEN {
        return Err(rule_error(
            ErrorCode::ValueTooLong,
            "maxLength",
            NAME_MAX_LEN,
            "Server name must not exceed 100 characters",
        ));
    }
    if let Some(bad) = name
        .chars()
        .find(|c| !(c.is_alphanumeric() || matches!(c, ' ' | '-' | '_')))
    {
        let message = format!(
            "Server name may contain only letters, digits, spaces, hyphens and underscores (found '{}')",
            bad.escape_default()
        );
        return Err(rule_error(
            ErrorCode::InvalidFormat,
            "pattern",
            "^[\\p{L}\\p{N} _-]+$",
            &message,
        ));
    }
    if name.ends_with('-') {
        return Err(rule_error(
            ErrorCode::InvalidFormat,
            "noTrailingHyphen",
            true,
            "Server name must not end with a hyphen",
        ));
    }
    Ok(())
}

fn optional_server_name(name: &Option<String>, ctx: &()) -> garde::Result {
    name.as_deref().map_or(Ok(()), |n| server_name(n, ctx))
}

fn token_expiry(days: &Option<i64>, _ctx: &()) -> garde::Result {
    match *days {
        Some(d) if d < *TOKEN_EXPIRY_DAYS.start() => Err(rule_error(
            ErrorCode::ValidationError,
            "min",
            *TOKEN_EXPIRY_DAYS.start(),
            "tokenExpiresInDays must be at least 1",
        )),
        Some(d) if d > *TOKEN_EXPIRY_DAYS.end() => Err(rule_error(
            ErrorCode::ValidationError,
            "max",
            *TOKEN_EXPIRY_DAYS.end(),
            "tokenExpiresInDays must not exceed 365",
        )),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn token_rotation_reads_the_expiry_with_the_creation_rules() {
        assert_eq!(
            TokenRotation::from_json(&json!({}))
                .unwrap()
                .token_expires_in_days,
            None
        );
        let r = TokenRotation::from_json(&json!({ "tokenExpiresInDays": "30" })).unwrap();
        assert_eq!(r.token_expires_in_days, Some(30));
        let e = TokenRotation::from_json(&json!({ "tokenExpiresInDays": 0 })).unwrap_err();
        assert_eq!(
            (e.code, e.constraint.as_str()),
            (Some(ErrorCode::ValidationError), "min")
        );
        let e = TokenRotation::from_json(&json!({ "tokenExpiresInDays": null })).unwrap_err();
        assert_eq!(e.code, Some(ErrorCode::InvalidFormat));
        assert!(TokenRotation::from_json(&json!([])).is_err());
    }

    fn err(body: Value) -> FieldError {
        NewServer::from_json(&body).unwrap_err()
    }

    #[test]
    fn valid_examples_of_the_field_limits_page() {
        for name in [
            "My Production Server",
            "test-server-01",
            "Customer_Support_Bot",
        ] {
            let s = NewServer::from_json(&json!({ "name": name })).unwrap();
            assert_eq!(s.name, name);
            assert_eq!(s.description, "");
            assert!(!s.is_public);
            assert_eq!(s.token_expires_in_days, None);
            assert!(s.restrictions.is_empty());
        }
        assert!(NewServer::from_json(&json!({ "name": "a".repeat(100) })).is_ok());
    }

    #[test]
    fn invalid_examples_of_the_field_limits_page() {
        let e = err(json!({"name": ""}));
        assert_eq!(
            (e.code, e.field.as_str()),
            (Some(ErrorCode::ValueTooShort), "name")
        );
        let e = err(json!({"name": " "}));
        assert_eq!(
            (e.code, e.constraint.as_str()),
            (Some(ErrorCode::InvalidFormat), "notBlank")
        );
        let e = err(json!({"name": "server@123"}));
        assert_eq!(
            (e.code, e.constraint.as_str()),
            (Some(ErrorCode::InvalidFormat), "pattern")
        );
        let e = err(json!({"name": "my-server-"}));
        assert_eq!(e.constraint, "noTrailingHyphen");
        let e = err(json!({"name": " lead"}));
        assert_eq!(e.constraint, "noSurroundingWhitespace");
        let e = err(json!({"name": "a".repeat(101)}));
        assert_eq!(
            (e.code, e.constraint.as_str(), e.value.clone()),
            (Some(ErrorCode::ValueTooLong), "maxLength", json!(100))
        );
        assert_eq!(e.message, "Server name must not exceed 100 characters");
        let e = err(json!({}));
        assert_eq!(
            (e.code, e.field.as_str()),
            (Some(ErrorCode::MissingRequiredField), "name")
        );
    }

    #[test]
    fn expiry_and_coercions() {
        let s = NewServer::from_json(
            &json!({"name": 123, "isPublic": "true", "tokenExpiresInDays": "30"}),
        )
        .unwrap();
        assert_eq!(s.name, "123");
        assert!(s.is_public);
        assert_eq!(s.token_expires_in_days, Some(30));
        let e = err(json!({"name": "x", "tokenExpiresInDays": 0}));
        assert_eq!(
            (e.field.as_str(), e.constraint.as_str()),
            ("tokenExpiresInDays", "min")
        );
        let e = err(json!({"name": "x", "tokenExpiresInDays": 366}));
        assert_eq!(e.constraint, "max");
        assert!(NewServer::from_json(&json!({"name": "x", "tokenExpiresInDays": 365})).is_ok());
        assert!(NewServer::from_json(&json!({"name": "x", "tokenExpiresInDays": 1})).is_ok());
        let e = err(json!({"name": ["x"]}));
        assert_eq!(e.code, Some(ErrorCode::InvalidFormat));
        let e = err(json!({"name": null}));
        assert_eq!(e.code, Some(ErrorCode::InvalidFormat));
        let e = err(json!({"name": "x", "isPublic": null}));
        assert_eq!(e.field, "isPublic");
        let e = err(json!([1]));
        assert_eq!(e.field, "body");
    }

    #[test]
    fn updates_are_partial() {
        let u = ServerUpdate::from_json(&json!({"description": "d"})).unwrap();
        assert_eq!(u.name, None);
        assert_eq!(u.description.as_deref(), Some("d"));
        let e = ServerUpdate::from_json(&json!({"name": "bad@"})).unwrap_err();
        assert_eq!(
            (e.field.as_str(), e.constraint.as_str()),
            ("name", "pattern")
        );
        let u = ServerUpdate::from_json(&json!({"restrictions": {}})).unwrap();
        assert_eq!(u.restrictions, Some(Restrictions::default()));
    }
}
