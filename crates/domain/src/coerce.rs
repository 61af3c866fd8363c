//! Reading fields out of a JSON body with the reference's type coercions.
//!
//! The reference coerces where it is safe: `"100"` → `100`, `123` → `"123"`, `"true"`/`"false"` →
//! booleans. Arrays, objects and `null` are never coerced: they are a type error for a scalar field.

use serde_json::{Map, Value};

use crate::error::{ErrorCode, FieldError};

fn type_error(field: &str, expected: &'static str) -> FieldError {
    FieldError::new(
        ErrorCode::InvalidFormat,
        field,
        "type",
        expected,
        format!("{field} must be {}", article(expected)),
    )
}

fn article(expected: &str) -> String {
    match expected {
        "integer" | "object" | "array" => format!("an {expected}"),
        _ => format!("a {expected}"),
    }
}

/// A request body as the object every endpoint expects (`INVALID_FORMAT` on `body` otherwise).
pub fn body_object(body: &Value) -> Result<&Map<String, Value>, FieldError> {
    body.as_object().ok_or_else(|| {
        FieldError::new(
            ErrorCode::InvalidFormat,
            "body",
            "type",
            "object",
            "The request body must be a JSON object",
        )
    })
}

/// A string field; numbers are coerced to their decimal text. `Ok(None)` when absent.
pub fn string(obj: &Map<String, Value>, field: &str) -> Result<Option<String>, FieldError> {
    match obj.get(field) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(_) => Err(type_error(field, "string")),
    }
}

/// An integer field. A JSON number counts when it is whole (`30`, `30.0`, `1e2`); a string
/// counts when it is an integer in decimal digits with an optional leading `-` and nothing
/// else (`"100"`, `"-5"`; not `" 100"`, `"+5"`, `"30.0"`, `"1e2"`). A whole value beyond the
/// 64-bit range (`18446744073709551616`, `1e308`) is read as the nearest 64-bit value, so that
/// the field's own range check refuses it with a range error rather than a type error.
/// `Ok(None)` when absent.
pub fn integer(obj: &Map<String, Value>, field: &str) -> Result<Option<i64>, FieldError> {
    match obj.get(field) {
        None => Ok(None),
        Some(Value::Number(n)) => number_to_i64(n)
            .map(Some)
            .ok_or_else(|| type_error(field, "integer")),
        Some(Value::String(s)) => parse_integer(s)
            .map(Some)
            .ok_or_else(|| type_error(field, "integer")),
        Some(_) => Err(type_error(field, "integer")),
    }
}

fn number_to_i64(n: &serde_json::Number) -> Option<i64> {
    if let Some(i) = n.as_i64() {
        return Some(i);
    }
    if n.as_u64().is_some() {
        return Some(i64::MAX);
    }
    let f = n.as_f64()?;
    // `as` saturates: a whole value past the range becomes i64::MAX or i64::MIN.
    (f.is_finite() && f.fract() == 0.0).then_some(f as i64)
}

fn parse_integer(s: &str) -> Option<i64> {
    let (negative, digits) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(
        s.parse::<i64>()
            .unwrap_or(if negative { i64::MIN } else { i64::MAX }),
    )
}

/// A boolean field; the strings `"true"` and `"false"` are coerced. `Ok(None)` when absent.
pub fn boolean(obj: &Map<String, Value>, field: &str) -> Result<Option<bool>, FieldError> {
    match obj.get(field) {
        None => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(Value::String(s)) if s == "true" => Ok(Some(true)),
        Some(Value::String(s)) if s == "false" => Ok(Some(false)),
        Some(_) => Err(type_error(field, "boolean")),
    }
}

/// An object field, never coerced. `Ok(None)` when absent.
pub fn object<'a>(
    obj: &'a Map<String, Value>,
    field: &str,
) -> Result<Option<&'a Map<String, Value>>, FieldError> {
    match obj.get(field) {
        None => Ok(None),
        Some(Value::Object(o)) => Ok(Some(o)),
        Some(_) => Err(type_error(field, "object")),
    }
}

/// An array of strings, never coerced as a whole; numeric entries become strings like any string
/// field. `Ok(None)` when absent.
pub fn string_list(
    obj: &Map<String, Value>,
    field: &str,
) -> Result<Option<Vec<String>>, FieldError> {
    match obj.get(field) {
        None => Ok(None),
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(i, item)| match item {
                Value::String(s) => Ok(s.clone()),
                Value::Number(n) => Ok(n.to_string()),
                _ => Err(type_error(&format!("{field}[{i}]"), "string")),
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some),
        Some(_) => Err(type_error(field, "array")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap()
    }

    #[test]
    fn strings_to_numbers() {
        let o = obj(
            json!({"a": "100", "b": 100, "c": 30.0, "d": "30.5", "e": "abc", "f": null, "g": [1]}),
        );
        assert_eq!(integer(&o, "a").unwrap(), Some(100));
        assert_eq!(integer(&o, "b").unwrap(), Some(100));
        assert_eq!(integer(&o, "c").unwrap(), Some(30));
        assert!(integer(&o, "d").is_err());
        assert!(integer(&o, "e").is_err());
        assert!(integer(&o, "f").is_err());
        assert!(integer(&o, "g").is_err());
        assert_eq!(integer(&o, "missing").unwrap(), None);
    }

    #[test]
    fn integer_strings_are_digits_only_and_whole_numbers_past_the_range_saturate() {
        let o = obj(json!({
            "exp": 1e2, "neg": "-5", "big": 18446744073709551616u128 as f64,
            "huge": 1e308, "tiny": -1e308, "bigs": "99999999999999999999",
            "negs": "-99999999999999999999", "u": 18446744073709551615u64,
        }));
        assert_eq!(integer(&o, "exp").unwrap(), Some(100));
        assert_eq!(integer(&o, "neg").unwrap(), Some(-5));
        for (field, value) in [
            ("big", i64::MAX),
            ("huge", i64::MAX),
            ("tiny", i64::MIN),
            ("bigs", i64::MAX),
            ("negs", i64::MIN),
            ("u", i64::MAX),
        ] {
            assert_eq!(integer(&o, field).unwrap(), Some(value), "{field}");
        }
        for bad in [
            "1e2", "30.0", " 100", "100 ", "+5", "-", "", "0x10", "1_000", "１２",
        ] {
            let o = obj(json!({ "f": bad }));
            let err = integer(&o, "f").unwrap_err();
            assert_eq!(err.constraint, "type", "{bad:?}");
        }
    }

    #[test]
    fn numbers_to_strings_but_not_null_arrays_objects() {
        let o = obj(json!({"a": 123, "b": "x", "c": null, "d": [], "e": {}, "f": true}));
        assert_eq!(string(&o, "a").unwrap().as_deref(), Some("123"));
        assert_eq!(string(&o, "b").unwrap().as_deref(), Some("x"));
        for f in ["c", "d", "e", "f"] {
            let err = string(&o, f).unwrap_err();
            assert_eq!(err.code, Some(ErrorCode::InvalidFormat));
            assert_eq!(err.field, f);
        }
    }

    #[test]
    fn booleans() {
        let o = obj(json!({"a": "true", "b": "false", "c": true, "d": "yes", "e": 1, "f": null}));
        assert_eq!(boolean(&o, "a").unwrap(), Some(true));
        assert_eq!(boolean(&o, "b").unwrap(), Some(false));
        assert_eq!(boolean(&o, "c").unwrap(), Some(true));
        assert!(boolean(&o, "d").is_err());
        assert!(boolean(&o, "e").is_err());
        assert!(boolean(&o, "f").is_err());
    }
}
