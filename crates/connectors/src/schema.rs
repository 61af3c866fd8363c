//! The JSON Schema subset that action parameters are checked against, compiled once at load time.
//!
//! Supported keywords: `type` (string or list, 3.1), `nullable` (3.0), `enum`, `const`,
//! `minimum`/`maximum`/`exclusiveMinimum`/`exclusiveMaximum` (3.0 booleans and 3.1 numbers),
//! `minLength`, `maxLength`, `pattern` (when the `regex` crate accepts it), `minItems`,
//! `maxItems`, `items`, `properties`, `required`, `additionalProperties`, `allOf`, `anyOf`,
//! `oneOf` (treated as `anyOf`). Other keywords (`format`, `multipleOf`, …) are not enforced:
//! the upstream platform remains the final judge.

use regex::Regex;
use serde_json::{Map, Value, json};

use crate::error::Error;

/// A JSON value type as JSON Schema names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum JsonType {
    String,
    Integer,
    Number,
    Boolean,
    Array,
    Object,
    Null,
}

impl JsonType {
    fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "string" => JsonType::String,
            "integer" => JsonType::Integer,
            "number" => JsonType::Number,
            "boolean" => JsonType::Boolean,
            "array" => JsonType::Array,
            "object" => JsonType::Object,
            "null" => JsonType::Null,
            _ => return None,
        })
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            JsonType::String => "string",
            JsonType::Integer => "integer",
            JsonType::Number => "number",
            JsonType::Boolean => "boolean",
            JsonType::Array => "array",
            JsonType::Object => "object",
            JsonType::Null => "null",
        }
    }

    fn matches(self, value: &Value) -> bool {
        match (self, value) {
            (JsonType::String, Value::String(_))
            | (JsonType::Boolean, Value::Bool(_))
            | (JsonType::Array, Value::Array(_))
            | (JsonType::Object, Value::Object(_))
            | (JsonType::Null, Value::Null)
            | (JsonType::Number, Value::Number(_)) => true,
            (JsonType::Integer, Value::Number(n)) => {
                n.is_i64() || n.is_u64() || n.as_f64().is_some_and(|f| f.fract() == 0.0)
            }
            _ => false,
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Bound {
    limit: f64,
    exclusive: bool,
}

#[derive(Debug, Clone, Default)]
enum Additional {
    #[default]
    Any,
    Deny,
    Schema(Box<Schema>),
}

/// A compiled schema held by a parameter: boxed, and absent in summaries (which accept
/// anything), so that the tens of thousands of parameters of a large catalog stay small.
#[derive(Debug, Clone, Default)]
pub(crate) struct CompiledSchema(Option<Box<Schema>>);

impl CompiledSchema {
    pub(crate) fn new(schema: Schema) -> Self {
        CompiledSchema(Some(Box::new(schema)))
    }
}

/// What an absent schema means: anything goes.
static ANY: std::sync::LazyLock<Schema> = std::sync::LazyLock::new(Schema::default);

impl std::ops::Deref for CompiledSchema {
    type Target = Schema;

    fn deref(&self) -> &Schema {
        self.0.as_deref().unwrap_or(&ANY)
    }
}

/// A compiled schema. `Schema::default()` accepts anything.
#[derive(Debug, Clone, Default)]
pub(crate) struct Schema {
    types: Vec<JsonType>,
    enum_values: Option<Vec<Value>>,
    minimum: Option<Bound>,
    maximum: Option<Bound>,
    min_length: Option<u64>,
    max_length: Option<u64>,
    pattern: Option<Regex>,
    min_items: Option<u64>,
    max_items: Option<u64>,
    items: Option<Box<Schema>>,
    properties: Vec<(String, Schema)>,
    required: Vec<String>,
    additional: Additional,
    all_of: Vec<Schema>,
    any_of: Vec<Schema>,
}

impl Schema {
    /// Compiles a (ref-resolved) schema. Unknown keywords are ignored; a pattern the `regex` crate
    /// cannot compile (look-arounds, back-references) is not enforced.
    pub(crate) fn compile(value: &Value) -> Schema {
        let Some(obj) = value.as_object() else {
            // `true`, `{}` and anything odd accept everything; `false` is not worth supporting.
            return Schema::default();
        };
        let mut schema = Schema::default();
        match obj.get("type") {
            Some(Value::String(t)) => schema.types.extend(JsonType::parse(t)),
            Some(Value::Array(ts)) => schema.types.extend(
                ts.iter()
                    .filter_map(Value::as_str)
                    .filter_map(JsonType::parse),
            ),
            _ => {}
        }
        if !schema.types.is_empty() && obj.get("nullable") == Some(&Value::Bool(true)) {
            schema.types.push(JsonType::Null);
        }
        if let Some(Value::Array(values)) = obj.get("enum") {
            let mut values = values.clone();
            // 3.0 spells "nullable enum" as nullable: true without null in the list.
            if schema.types.contains(&JsonType::Null) && !values.contains(&Value::Null) {
                values.push(Value::Null);
            }
            schema.enum_values = Some(values);
        } else if let Some(c) = obj.get("const") {
            schema.enum_values = Some(vec![c.clone()]);
        }
        schema.minimum = bound(obj, "minimum", "exclusiveMinimum");
        schema.maximum = bound(obj, "maximum", "exclusiveMaximum");
        schema.min_length = obj.get("minLength").and_then(Value::as_u64);
        schema.max_length = obj.get("maxLength").and_then(Value::as_u64);
        schema.pattern = obj
            .get("pattern")
            .and_then(Value::as_str)
            .and_then(|p| Regex::new(p).ok());
        schema.min_items = obj.get("minItems").and_then(Value::as_u64);
        schema.max_items = obj.get("maxItems").and_then(Value::as_u64);
        schema.items = obj
            .get("items")
            .filter(|i| i.is_object())
            .map(|i| Box::new(Schema::compile(i)));
        if let Some(Value::Object(props)) = obj.get("properties") {
            schema.properties = props
                .iter()
                .map(|(k, v)| (k.clone(), Schema::compile(v)))
                .collect();
        }
        if let Some(Value::Array(req)) = obj.get("required") {
            schema.required = req
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect();
        }
        schema.additional = match obj.get("additionalProperties") {
            Some(Value::Bool(false)) => Additional::Deny,
            Some(v @ Value::Object(_)) => Additional::Schema(Box::new(Schema::compile(v))),
            _ => Additional::Any,
        };
        if let Some(Value::Array(all)) = obj.get("allOf") {
            schema.all_of = all.iter().map(Schema::compile).collect();
        }
        for key in ["anyOf", "oneOf"] {
            if let Some(Value::Array(any)) = obj.get(key) {
                let branches: Vec<Schema> = any.iter().map(Schema::compile).collect();
                if schema.any_of.is_empty() {
                    schema.any_of = branches;
                } else {
                    // Both anyOf and oneOf: each must hold, so the second becomes an allOf part.
                    schema.all_of.push(Schema {
                        any_of: branches,
                        ..Schema::default()
                    });
                }
            }
        }
        schema
    }

    /// The types this schema allows (empty: any).
    pub(crate) fn types(&self) -> &[JsonType] {
        &self.types
    }

    /// A scalar given in the "wrong" but unambiguous form, converted to the form the schema
    /// wants: `"10"` → `10`, `"true"` → `true`, `10` → `"10"`. `None` when no conversion applies.
    pub(crate) fn coerce_scalar(&self, value: &Value) -> Option<Value> {
        if self.types.is_empty() || self.types.iter().any(|t| t.matches(value)) {
            return None;
        }
        for t in &self.types {
            let converted = match (t, value) {
                (JsonType::Integer, Value::String(s)) => {
                    s.trim().parse::<i64>().ok().map(Value::from)
                }
                (JsonType::Number, Value::String(s)) => s
                    .trim()
                    .parse::<f64>()
                    .ok()
                    .filter(|f| f.is_finite())
                    .and_then(|f| {
                        // Keep integers integral so that `"10"` is sent as `10`, not `10.0`.
                        if f.fract() == 0.0 && f.abs() < 9.0e15 {
                            Some(Value::from(f as i64))
                        } else {
                            serde_json::Number::from_f64(f).map(Value::Number)
                        }
                    }),
                (JsonType::Boolean, Value::String(s)) => match s.as_str() {
                    "true" => Some(Value::Bool(true)),
                    "false" => Some(Value::Bool(false)),
                    _ => None,
                },
                (JsonType::String, Value::Number(n)) => Some(Value::String(n.to_string())),
                (JsonType::String, Value::Bool(b)) => Some(Value::String(b.to_string())),
                _ => None,
            };
            if converted.is_some() {
                return converted;
            }
        }
        None
    }

    /// Whether the schema names `property` among its properties (directly or through `allOf`).
    pub(crate) fn has_property(&self, property: &str) -> bool {
        self.properties.iter().any(|(k, _)| k == property)
            || self.all_of.iter().any(|s| s.has_property(property))
    }

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
        if let Some(re) = &self.pattern
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

fn bound(obj: &Map<String, Value>, key: &str, exclusive_key: &str) -> Option<Bound> {
    // 3.1: exclusiveMinimum is itself the limit; 3.0: a boolean modifying `minimum`.
    if let Some(limit) = obj.get(exclusive_key).and_then(Value::as_f64) {
        return Some(Bound {
            limit,
            exclusive: true,
        });
    }
    let limit = obj.get(key).and_then(Value::as_f64)?;
    Some(Bound {
        limit,
        exclusive: obj.get(exclusive_key) == Some(&Value::Bool(true)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_domain::ErrorCode;

    fn check(schema: Value, value: Value) -> Result<(), (String, String)> {
        Schema::compile(&schema)
            .validate(&value, "p")
            .map_err(|e| match e {
                Error::Validation(p) => (p.parameter, p.constraint),
                other => panic!("unexpected {other:?}"),
            })
    }

    #[test]
    fn types_and_nullable() {
        assert!(check(json!({"type":"integer"}), json!(3)).is_ok());
        assert!(check(json!({"type":"integer"}), json!(3.0)).is_ok());
        assert_eq!(
            check(json!({"type":"integer"}), json!(3.5)),
            Err(("p".into(), "type".into()))
        );
        assert!(check(json!({"type":"string"}), json!(null)).is_err());
        assert!(check(json!({"type":"string","nullable":true}), json!(null)).is_ok());
        assert!(check(json!({"type":["string","null"]}), json!(null)).is_ok());
        assert!(check(json!({}), json!({"any": 1})).is_ok());
    }

    #[test]
    fn limits() {
        let s = json!({"type":"integer","minimum":1,"maximum":1000});
        assert_eq!(
            check(s.clone(), json!(0)),
            Err(("p".into(), "minimum".into()))
        );
        assert_eq!(
            check(s.clone(), json!(1001)),
            Err(("p".into(), "maximum".into()))
        );
        assert!(check(s, json!(1000)).is_ok());
        let ex30 = json!({"type":"number","minimum":0,"exclusiveMinimum":true});
        assert!(check(ex30, json!(0)).is_err());
        let ex31 = json!({"type":"number","exclusiveMaximum":10});
        assert!(check(ex31.clone(), json!(10)).is_err());
        assert!(check(ex31, json!(9.5)).is_ok());
        let s = json!({"type":"string","minLength":2,"maxLength":3,"pattern":"^[a-z]+$"});
        assert_eq!(
            check(s.clone(), json!("a")),
            Err(("p".into(), "minLength".into()))
        );
        assert_eq!(
            check(s.clone(), json!("abcd")),
            Err(("p".into(), "maxLength".into()))
        );
        assert_eq!(
            check(s.clone(), json!("AB")),
            Err(("p".into(), "pattern".into()))
        );
        // Length counts characters, not bytes.
        assert!(check(s, json!("éé")).is_err());
        let long = json!({"type":"string","maxLength":2});
        assert!(check(long, json!("éé")).is_ok());
    }

    #[test]
    fn unsupported_patterns_are_not_enforced() {
        assert!(check(json!({"type":"string","pattern":"^(?!x)"}), json!("xyz")).is_ok());
    }

    #[test]
    fn enums_and_nested_objects() {
        let s = json!({"type":"string","enum":["a","b"]});
        assert_eq!(check(s, json!("c")), Err(("p".into(), "enum".into())));
        let obj = json!({
            "type":"object","required":["name"],"additionalProperties":false,
            "properties":{"name":{"type":"string"},"tags":{"type":"array","maxItems":1,"items":{"type":"string"}}}
        });
        assert_eq!(
            check(obj.clone(), json!({})),
            Err(("p.name".into(), "required".into()))
        );
        assert_eq!(
            check(obj.clone(), json!({"name":"x","tags":[1]})),
            Err(("p.tags[0]".into(), "type".into()))
        );
        assert_eq!(
            check(obj.clone(), json!({"name":"x","tags":["a","b"]})),
            Err(("p.tags".into(), "maxItems".into()))
        );
        assert_eq!(
            check(obj, json!({"name":"x","other":1})),
            Err(("p.other".into(), "unknown".into()))
        );
    }

    #[test]
    fn any_of_accepts_one_match() {
        let s = json!({"anyOf":[{"type":"string"},{"type":"integer","minimum":5}]});
        assert!(check(s.clone(), json!("x")).is_ok());
        assert!(check(s.clone(), json!(7)).is_ok());
        assert_eq!(check(s, json!(1)), Err(("p".into(), "anyOf".into())));
    }

    #[test]
    fn coercion_is_only_for_unambiguous_scalars() {
        let int = Schema::compile(&json!({"type":"integer"}));
        assert_eq!(int.coerce_scalar(&json!("10")), Some(json!(10)));
        assert_eq!(int.coerce_scalar(&json!("ten")), None);
        assert_eq!(int.coerce_scalar(&json!(10)), None);
        let s = Schema::compile(&json!({"type":"string"}));
        assert_eq!(s.coerce_scalar(&json!(5)), Some(json!("5")));
        assert_eq!(s.coerce_scalar(&json!([5])), None);
        let b = Schema::compile(&json!({"type":"boolean"}));
        assert_eq!(b.coerce_scalar(&json!("true")), Some(json!(true)));
        let e = Error::validation("x", "type", "string", "m");
        assert_eq!(e.code(), ErrorCode::ValidationError);
    }
}
