//! The JSON Schema subset that action parameters are checked against, compiled once at load time
//! (a `pattern` at its first use).
//!
//! Supported keywords: `type` (string or list, 3.1), `nullable` (3.0), `enum`, `const`,
//! `minimum`/`maximum`/`exclusiveMinimum`/`exclusiveMaximum` (3.0 booleans and 3.1 numbers),
//! `minLength`, `maxLength`, `pattern` (when the `regex` crate accepts it), `minItems`,
//! `maxItems`, `items`, `properties`, `required`, `additionalProperties`, `allOf`, `anyOf`,
//! `oneOf` (treated as `anyOf`). Other keywords (`format`, `multipleOf`, …) are not enforced:
//! the upstream platform remains the final judge.

mod validate;

use std::sync::OnceLock;

use regex::Regex;
use serde_json::{Map, Value};

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
    pub(crate) fn parse(name: &str) -> Option<Self> {
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

/// A `pattern`, compiled when a value is first checked against it: a catalog has many more
/// patterns than a process checks, and compiling them all at load cost start-up milliseconds
/// and, with the regex engine's code paged in, about a mebibyte of an idle server's memory.
#[derive(Debug, Clone)]
struct Pattern {
    source: Box<str>,
    /// `None` once the `regex` crate refused it (look-arounds, back-references): not enforced.
    compiled: OnceLock<Option<Regex>>,
}

impl Pattern {
    fn new(source: &str) -> Self {
        Pattern {
            source: source.into(),
            compiled: OnceLock::new(),
        }
    }

    fn regex(&self) -> Option<&Regex> {
        self.compiled
            .get_or_init(|| Regex::new(&self.source).ok())
            .as_ref()
    }
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
pub(crate) static ANY: std::sync::LazyLock<Schema> = std::sync::LazyLock::new(Schema::default);

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
    pattern: Option<Pattern>,
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
        schema.pattern = obj.get("pattern").and_then(Value::as_str).map(Pattern::new);
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
mod tests;
