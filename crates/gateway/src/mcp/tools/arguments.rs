//! Reading a tool call's `arguments` object: types, presence, lengths and unknown names, each
//! failure a `VALIDATION_ERROR` naming the argument.

use alloy_domain::{ApiError, ErrorCode, FieldError};
use serde_json::{Map, Value, json};

use crate::error::Error;

/// Longest ID argument accepted (connector, action and credential IDs are far shorter).
pub(crate) const MAX_ID_CHARS: usize = 256;

/// A `VALIDATION_ERROR` about one argument.
pub(crate) fn invalid(
    field: &str,
    constraint: &str,
    value: impl Into<Value>,
    message: impl Into<String>,
) -> Error {
    Error::Api(ApiError::validation(FieldError::new(
        ErrorCode::ValidationError,
        field,
        constraint,
        value.into(),
        message.into(),
    )))
}

/// The arguments of one call, checked against the names the tool accepts.
pub(crate) struct Arguments {
    map: Map<String, Value>,
}

impl Arguments {
    /// Refuses any argument not in `accepted`, so that a misspelt name is reported rather than
    /// silently ignored.
    pub(crate) fn new(map: Map<String, Value>, accepted: &[&str]) -> Result<Self, Error> {
        if let Some(unknown) = map.keys().find(|k| !accepted.contains(&k.as_str())) {
            let shown = crate::shaping::truncate_chars(unknown, 64);
            return Err(invalid(
                &shown,
                "unknown",
                json!(accepted),
                format!(
                    "Unknown argument '{shown}'; this tool accepts: {}",
                    accepted.join(", ")
                ),
            ));
        }
        Ok(Arguments { map })
    }

    /// A string argument (`null` counts as absent), at most `max_chars` characters, not blank.
    pub(crate) fn optional_string(
        &self,
        name: &str,
        max_chars: usize,
    ) -> Result<Option<String>, Error> {
        match self.map.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => {
                if s.trim().is_empty() {
                    return Err(invalid(
                        name,
                        "minLength",
                        1,
                        format!("'{name}' must not be empty"),
                    ));
                }
                if s.chars().count() > max_chars {
                    return Err(invalid(
                        name,
                        "maxLength",
                        max_chars,
                        format!("'{name}' must be at most {max_chars} characters long"),
                    ));
                }
                Ok(Some(s.clone()))
            }
            Some(_) => Err(invalid(
                name,
                "type",
                "string",
                format!("'{name}' must be a string"),
            )),
        }
    }

    /// A string argument that must be present.
    pub(crate) fn required_string(&self, name: &str, max_chars: usize) -> Result<String, Error> {
        self.optional_string(name, max_chars)?
            .ok_or_else(|| invalid(name, "required", true, format!("'{name}' is required")))
    }

    /// An object argument (`null` counts as absent). Some clients send nested objects as JSON
    /// text; a string holding a JSON object is accepted as that object.
    pub(crate) fn optional_object(&self, name: &str) -> Result<Option<Map<String, Value>>, Error> {
        let not_object = || {
            invalid(
                name,
                "type",
                "object",
                format!("'{name}' must be an object"),
            )
        };
        match self.map.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Object(o)) => Ok(Some(o.clone())),
            Some(Value::String(text)) => match serde_json::from_str::<Value>(text) {
                Ok(Value::Object(o)) => Ok(Some(o)),
                _ => Err(not_object()),
            },
            Some(_) => Err(not_object()),
        }
    }

    /// An integer argument within `min..=max`; an integer written as a string (`"5000"`) or
    /// with a zero fraction (`5000.0`) is accepted, as the reference coerces.
    pub(crate) fn optional_integer(
        &self,
        name: &str,
        min: i64,
        max: i64,
    ) -> Result<Option<i64>, Error> {
        let n = match self.map.get(name) {
            None | Some(Value::Null) => return Ok(None),
            Some(Value::Number(n)) => n.as_i64().or_else(|| {
                n.as_f64()
                    .filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15)
                    .map(|f| f as i64)
            }),
            Some(Value::String(s)) => s.trim().parse::<i64>().ok(),
            Some(_) => None,
        };
        let Some(n) = n else {
            return Err(invalid(
                name,
                "type",
                "integer",
                format!("'{name}' must be an integer"),
            ));
        };
        if n < min {
            return Err(invalid(
                name,
                "minimum",
                min,
                format!("'{name}' must be between {min} and {max}"),
            ));
        }
        if n > max {
            return Err(invalid(
                name,
                "maximum",
                max,
                format!("'{name}' must be between {min} and {max}"),
            ));
        }
        Ok(Some(n))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(v: Value) -> Arguments {
        Arguments::new(v.as_object().cloned().unwrap(), &["a", "b"]).unwrap()
    }

    fn code_and_field(e: Error) -> (String, Value) {
        let json = e.to_api_error().to_json();
        (
            json["error"]["code"].as_str().unwrap().to_owned(),
            json["error"]["details"]["field"].clone(),
        )
    }

    #[test]
    fn unknown_names_are_refused() {
        let e = Arguments::new(
            json!({"a": 1, "zz": 2}).as_object().cloned().unwrap(),
            &["a"],
        )
        .err()
        .unwrap();
        assert_eq!(code_and_field(e), ("VALIDATION_ERROR".into(), json!("zz")));
    }

    #[test]
    fn strings() {
        let a = args(json!({"a": "x", "b": 5}));
        assert_eq!(a.required_string("a", 5).unwrap(), "x");
        assert_eq!(
            code_and_field(a.required_string("b", 5).unwrap_err()).1,
            json!("b")
        );
        assert!(a.optional_string("missing", 5).unwrap().is_none());
        let a = args(json!({"a": "  ", "b": "toolong"}));
        assert!(a.required_string("a", 5).is_err());
        assert!(a.required_string("b", 5).is_err());
        assert_eq!(a.required_string("b", 7).unwrap(), "toolong");
        let a = args(json!({"a": null}));
        assert!(a.optional_string("a", 5).unwrap().is_none());
        assert!(a.required_string("a", 5).is_err());
    }

    #[test]
    fn integers_and_objects() {
        let a = args(json!({"a": "5000", "b": 5000.0}));
        assert_eq!(a.optional_integer("a", 1000, 9000).unwrap(), Some(5000));
        assert_eq!(a.optional_integer("b", 1000, 9000).unwrap(), Some(5000));
        assert!(a.optional_integer("a", 6000, 9000).is_err());
        assert!(a.optional_integer("b", 1, 10).is_err());
        let a = args(json!({"a": 1.5, "b": true}));
        assert!(a.optional_integer("a", 0, 10).is_err());
        assert!(a.optional_integer("b", 0, 10).is_err());
        assert!(a.optional_object("b").is_err());
        let a = args(json!({"a": {"k": 1}, "b": "{\"k\": 2}"}));
        assert_eq!(a.optional_object("a").unwrap().unwrap()["k"], 1);
        assert_eq!(a.optional_object("b").unwrap().unwrap()["k"], 2);
        let a = args(json!({"a": "[1]", "b": "not json"}));
        assert!(a.optional_object("a").is_err());
        assert!(a.optional_object("b").is_err());
    }
}
