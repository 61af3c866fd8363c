//! Glue between garde and the reference's validation errors.
//!
//! garde runs the rules; each rule reports its specific code, constraint and limit through
//! [`rule_error`], and [`first_field_error`] turns garde's report back into a [`FieldError`].

use serde_json::Value;

use crate::error::{ErrorCode, FieldError};

const SEP: char = '\u{1f}';

/// A garde error carrying everything a [`FieldError`] needs besides the field name.
pub fn rule_error(
    code: ErrorCode,
    constraint: &str,
    value: impl Into<Value>,
    message: &str,
) -> garde::Error {
    let value: Value = value.into();
    garde::Error::new(format!(
        "{}{SEP}{constraint}{SEP}{value}{SEP}{message}",
        code.as_str()
    ))
}

/// `VALIDATION_ERROR` for an integer `value` of `field` outside `range`: the bound it crosses
/// (`min` or `max`) with that bound's value, and `message`. `None` inside the range.
pub fn out_of_range(
    field: &str,
    value: i64,
    range: &std::ops::RangeInclusive<i64>,
    message: &str,
) -> Option<FieldError> {
    let (constraint, limit) = if value < *range.start() {
        ("min", *range.start())
    } else if value > *range.end() {
        ("max", *range.end())
    } else {
        return None;
    };
    Some(FieldError::new(
        ErrorCode::ValidationError,
        field,
        constraint,
        limit,
        message,
    ))
}

/// The first failure of a garde report, with the field path in the wire's camelCase.
pub fn first_field_error(report: &garde::Report) -> Option<FieldError> {
    let (path, error) = report.iter().next()?;
    let field = camel_path(&path.to_string());
    let mut parts = error.message().splitn(4, SEP);
    let code = parts
        .next()
        .and_then(parse_code)
        .unwrap_or(ErrorCode::ValidationError);
    let (constraint, value, message) = match (parts.next(), parts.next(), parts.next()) {
        (Some(c), Some(v), Some(m)) => (
            c.to_owned(),
            serde_json::from_str(v).unwrap_or(Value::Null),
            m.to_owned(),
        ),
        // A garde built-in rule: no structured parts, keep its message.
        _ => ("rule".to_owned(), Value::Null, error.message().to_owned()),
    };
    Some(FieldError {
        code: Some(code),
        field,
        constraint,
        value,
        message,
    })
}

fn parse_code(s: &str) -> Option<ErrorCode> {
    serde_json::from_value(Value::String(s.to_owned())).ok()
}

fn camel_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    let mut upper = false;
    for c in path.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn camel_cases_paths() {
        assert_eq!(camel_path("token_expires_in_days"), "tokenExpiresInDays");
        assert_eq!(camel_path("name"), "name");
    }
}
