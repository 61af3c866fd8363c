//! The `fields` of a new credential checked against what the connector's authentication type
//! needs, and OAuth URLs whose host is templated by a credential field (Shopify's
//! `https://{shop}.myshopify.com/...`).

use std::collections::BTreeMap;

use alloy_connectors::{AuthTypeMetadata, Connector};
use alloy_domain::ErrorCode;
use serde_json::{Map, Value, json};

use super::field_error;
use crate::error::Error;

/// Longest value of one credential field.
pub(crate) const MAX_FIELD_CHARS: usize = 16 * 1024;

/// Checks `given` against the fields of `meta`: no unknown names, every required field present
/// and non-empty, values strings (numbers and booleans are turned into strings), no control
/// characters, server variables among their allowed values. Answers the trimmed values.
pub(crate) fn validate(
    connector: &Connector,
    meta: &AuthTypeMetadata,
    given: &Map<String, Value>,
) -> Result<BTreeMap<String, String>, Error> {
    let accepted: Vec<&str> = meta.fields.iter().map(|f| f.name.as_str()).collect();
    let mut out = BTreeMap::new();
    for (name, value) in given {
        if !accepted.contains(&name.as_str()) {
            let shown: String = name.chars().take(64).collect();
            let expected = if accepted.is_empty() {
                "none".to_owned()
            } else {
                accepted.join(", ")
            };
            return Err(field_error(
                ErrorCode::ValidationError,
                &format!("fields.{shown}"),
                "unknown",
                json!(accepted),
                format!(
                    "Unknown field '{shown}' for a {} credential of '{}'; expected fields: {expected}",
                    meta.auth_type, connector.id
                ),
            ));
        }
        let text = match value {
            Value::String(s) => s.trim().to_owned(),
            Value::Number(n) => n.to_string(),
            Value::Bool(b) => b.to_string(),
            // As everywhere in the API, `null` is not "absent" but a value of the wrong type.
            Value::Null | Value::Array(_) | Value::Object(_) => {
                return Err(field_error(
                    ErrorCode::InvalidFormat,
                    &format!("fields.{name}"),
                    "type",
                    json!("string"),
                    format!("Field '{name}' must be a string"),
                ));
            }
        };
        if text.chars().count() > MAX_FIELD_CHARS {
            return Err(field_error(
                ErrorCode::ValueTooLong,
                &format!("fields.{name}"),
                "maxLength",
                json!(MAX_FIELD_CHARS),
                format!("Field '{name}' must be at most {MAX_FIELD_CHARS} characters long"),
            ));
        }
        if text.chars().any(char::is_control) {
            return Err(field_error(
                ErrorCode::InvalidFormat,
                &format!("fields.{name}"),
                "pattern",
                json!("no control characters"),
                format!("Field '{name}' must not contain control characters"),
            ));
        }
        if let Some(var) = connector.server_variables.iter().find(|v| v.name == *name)
            && !var.allowed_values.is_empty()
            && !text.is_empty()
            && !var.allowed_values.contains(&text)
        {
            return Err(field_error(
                ErrorCode::InvalidEnumValue,
                &format!("fields.{name}"),
                "enum",
                json!(var.allowed_values),
                format!(
                    "Field '{name}' must be one of: {}",
                    var.allowed_values.join(", ")
                ),
            ));
        }
        if !text.is_empty() {
            out.insert(name.clone(), text);
        }
    }
    for field in meta.fields.iter().filter(|f| f.required) {
        if !out.contains_key(&field.name) {
            return Err(field_error(
                ErrorCode::MissingRequiredField,
                &format!("fields.{}", field.name),
                "required",
                json!(true),
                format!(
                    "A {} credential of '{}' needs the field '{}' ({})",
                    meta.auth_type, connector.id, field.name, field.description
                ),
            ));
        }
    }
    Ok(out)
}

/// `url` with every `{name}` replaced by the credential field of that name (or the server
/// variable's default). Values must be plain host or path labels, so that a field cannot turn
/// the URL into another site's.
pub(crate) fn fill_url_template(
    connector: &Connector,
    url: &str,
    fields: &BTreeMap<String, String>,
) -> Result<String, Error> {
    let mut out = String::with_capacity(url.len());
    let mut rest = url;
    while let Some(start) = rest.find('{') {
        let Some(len) = rest[start..].find('}') else {
            break;
        };
        let name = &rest[start + 1..start + len];
        let value = fields.get(name).cloned().or_else(|| {
            connector
                .server_variables
                .iter()
                .find(|v| v.name == name)
                .and_then(|v| v.default.clone())
        });
        let Some(value) = value else {
            return Err(field_error(
                ErrorCode::MissingRequiredField,
                &format!("fields.{name}"),
                "required",
                json!(true),
                format!(
                    "The OAuth URLs of '{}' need the field '{name}'",
                    connector.id
                ),
            ));
        };
        if value.is_empty()
            || !value
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
        {
            return Err(field_error(
                ErrorCode::InvalidFormat,
                &format!("fields.{name}"),
                "pattern",
                json!("^[A-Za-z0-9._-]+$"),
                format!("Field '{name}' may contain only letters, digits, '.', '_' and '-'"),
            ));
        }
        out.push_str(&rest[..start]);
        out.push_str(&value);
        rest = &rest[start + len + 1..];
    }
    out.push_str(rest);
    Ok(out)
}
