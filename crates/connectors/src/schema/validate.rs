//! Checking a value against a compiled schema; each failure names the parameter, the rule and
//! the rule's own value, never the input.

use serde_json::{Map, Value, json};

use super::{Additional, JsonType, Pattern, Schema};
use crate::error::Error;

impl Schema {
    /// Checks `value`; the error names `path` (the parameter, dotted for nested fields).
    pub(crate) fn validate(&self, value: &Value, path: &str) -> Result<(), Error> {
        if !self.types.is_empty() && !self.types.iter().any(|t| t.matches(value)) {
            let expected: Vec<&str> = self
                .types
                .iter()
                .filter(|t| **t != JsonType::Null)
                .map(|t| t.name())
                .collect();
            let expected = if expected.is_empty() {
                "null".to_owned()
            } else {
                expected.join(" or ")
            };
            return Err(Error::validation(
                path,
                "type",
                expected.clone(),
                format!("Parameter `{path}` must be of type {expected}"),
            ));
        }
        if let Some(values) = &self.enum_values
            && !values.contains(value)
        {
            return Err(Error::validation(
                path,
                "enum",
                Value::Array(values.clone()),
                format!(
                    "Parameter `{path}` must be one of {}",
                    Value::Array(values.clone())
                ),
            ));
        }
        match value {
            Value::Number(n) => self.validate_number(n.as_f64().unwrap_or(f64::NAN), path)?,
            Value::String(s) => self.validate_string(s, path)?,
            Value::Array(items) => self.validate_array(items, path)?,
            Value::Object(obj) => self.validate_object(obj, path)?,
            Value::Bool(_) | Value::Null => {}
        }
        for s in &self.all_of {
            s.validate(value, path)?;
        }
        if !self.any_of.is_empty() {
            let mut first_error = None;
            for s in &self.any_of {
                match s.validate(value, path) {
                    Ok(()) => return Ok(()),
                    Err(e) => {
                        first_error.get_or_insert(e);
                    }
                }
            }
            if self.any_of.len() == 1
                && let Some(e) = first_error
            {
                return Err(e);
            }
            return Err(Error::validation(
                path,
                "anyOf",
                Value::Null,
                format!("Parameter `{path}` does not match any of the allowed shapes"),
            ));
        }
        Ok(())
    }

    fn validate_number(&self, n: f64, path: &str) -> Result<(), Error> {
        if let Some(b) = self.minimum
            && (n < b.limit || (b.exclusive && n == b.limit))
        {
            let (constraint, relation) = if b.exclusive {
                ("exclusiveMinimum", "greater than")
            } else {
                ("minimum", "at least")
            };
            return Err(Error::validation(
                path,
                constraint,
                number(b.limit),
                format!("Parameter `{path}` must be {relation} {}", number(b.limit)),
            ));
        }
        if let Some(b) = self.maximum
            && (n > b.limit || (b.exclusive && n == b.limit))
        {
            let (constraint, relation) = if b.exclusive {
                ("exclusiveMaximum", "less than")
            } else {
                ("maximum", "at most")
            };
            return Err(Error::validation(
                path,
                constraint,
                number(b.limit),
                format!("Parameter `{path}` must be {relation} {}", number(b.limit)),
            ));
        }
        Ok(())
    }

    fn validate_string(&self, s: &str, path: &str) -> Result<(), Error> {
        // JSON Schema counts characters (code points), not bytes.
        let len = s.chars().count() as u64;
        if let Some(min) = self.min_length
            && len < min
        {
            return Err(Error::validation(
                path,
                "minLength",
                min,
                format!("Parameter `{path}` must be at least {min} characters long"),
            ));
        }
        if let Some(max) = self.max_length
            && len > max
        {
            return Err(Error::validation(
                path,
                "maxLength",
                max,
                format!("Parameter `{path}` must be at most {max} characters long"),
            ));
        }
        if let Some(re) = self.pattern.as_ref().and_then(Pattern::regex)
            && !re.is_match(s)
        {
            return Err(Error::validation(
                path,
                "pattern",
                re.as_str(),
                format!("Parameter `{path}` must match the pattern {}", re.as_str()),
            ));
        }
        Ok(())
    }

    fn validate_array(&self, items: &[Value], path: &str) -> Result<(), Error> {
        let len = items.len() as u64;
        if let Some(min) = self.min_items
            && len < min
        {
            return Err(Error::validation(
                path,
                "minItems",
                min,
                format!("Parameter `{path}` must have at least {min} items"),
            ));
        }
        if let Some(max) = self.max_items
            && len > max
        {
            return Err(Error::validation(
                path,
                "maxItems",
                max,
                format!("Parameter `{path}` must have at most {max} items"),
            ));
        }
        if let Some(item_schema) = &self.items {
            for (i, item) in items.iter().enumerate() {
                item_schema.validate(item, &format!("{path}[{i}]"))?;
            }
        }
        Ok(())
    }

    fn validate_object(&self, obj: &Map<String, Value>, path: &str) -> Result<(), Error> {
        for name in &self.required {
            if !obj.contains_key(name) {
                let field = join(path, name);
                return Err(Error::validation(
                    field.clone(),
                    "required",
                    true,
                    format!("Parameter `{field}` is required"),
                ));
            }
        }
        for (key, value) in obj {
            let field = join(path, key);
            if let Some((_, s)) = self.properties.iter().find(|(k, _)| k == key) {
                s.validate(value, &field)?;
                continue;
            }
            match &self.additional {
                Additional::Any => {}
                Additional::Schema(s) => s.validate(value, &field)?,
                Additional::Deny if self.all_of.iter().any(|s| s.has_property(key)) => {}
                Additional::Deny => {
                    return Err(Error::validation(
                        field.clone(),
                        "unknown",
                        Value::Null,
                        format!("Unknown parameter `{field}`"),
                    ));
                }
            }
        }
        Ok(())
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

/// A limit for messages and details: integral limits print without a fraction.
fn number(f: f64) -> Value {
    if f.fract() == 0.0 && f.abs() < 9.0e15 {
        json!(f as i64)
    } else {
        json!(f)
    }
}
