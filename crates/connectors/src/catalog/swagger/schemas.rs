//! Swagger 2.0 schema objects and `$ref`s rewritten for OpenAPI 3.

use std::collections::HashSet;

use serde_json::{Map, Value, json};

pub(super) fn map_values(value: &Value, f: impl Fn(&Value) -> Value) -> Value {
    match value {
        Value::Object(m) => Value::Object(m.iter().map(|(k, v)| (k.clone(), f(v))).collect()),
        other => other.clone(),
    }
}

/// A Swagger schema object with the keywords OpenAPI 3 spells differently rewritten.
pub(super) fn convert_schema(schema: &Value) -> Value {
    let Value::Object(s) = schema else {
        return schema.clone();
    };
    let mut out = Map::new();
    for (key, value) in s {
        match key.as_str() {
            "x-nullable" => {
                if value == &Value::Bool(true) {
                    out.insert("nullable".into(), true.into());
                }
            }
            "type" if value == "file" => {
                out.insert("type".into(), "string".into());
                out.insert("format".into(), "binary".into());
            }
            "format" if s.get("type").is_some_and(|t| t == "file") => {}
            "discriminator" if value.is_string() => {
                out.insert(key.clone(), json!({ "propertyName": value }));
            }
            "properties" => {
                out.insert(key.clone(), map_values(value, convert_schema));
            }
            "items" | "additionalProperties" | "not" => {
                let converted = match value {
                    Value::Array(list) => Value::Array(list.iter().map(convert_schema).collect()),
                    other => convert_schema(other),
                };
                out.insert(key.clone(), converted);
            }
            "allOf" | "anyOf" | "oneOf" => {
                let converted = match value {
                    Value::Array(list) => Value::Array(list.iter().map(convert_schema).collect()),
                    other => other.clone(),
                };
                out.insert(key.clone(), converted);
            }
            _ => {
                out.insert(key.clone(), value.clone());
            }
        }
    }
    Value::Object(out)
}

/// Rewrites every local `$ref` to its OpenAPI 3 home. `body_like` names the global parameters
/// that became request bodies. Only the prefix changes, so pointer escapes stay as written.
pub(super) fn rewrite_refs(value: &mut Value, body_like: &HashSet<String>) {
    match value {
        Value::Object(map) => {
            for (key, v) in map.iter_mut() {
                match v {
                    Value::String(reference) if key == "$ref" => {
                        if let Some(new) = rewrite_ref(reference, body_like) {
                            *reference = new;
                        }
                    }
                    other => rewrite_refs(other, body_like),
                }
            }
        }
        Value::Array(list) => {
            for v in list {
                rewrite_refs(v, body_like);
            }
        }
        _ => {}
    }
}

pub(super) fn rewrite_ref(reference: &str, body_like: &HashSet<String>) -> Option<String> {
    if let Some(rest) = reference.strip_prefix("#/definitions/") {
        return Some(format!("#/components/schemas/{rest}"));
    }
    if let Some(rest) = reference.strip_prefix("#/parameters/") {
        let token = rest.split('/').next().unwrap_or_default();
        let home = if body_like.contains(&unescape_pointer_token(token)) {
            "requestBodies"
        } else {
            "parameters"
        };
        return Some(format!("#/components/{home}/{rest}"));
    }
    if let Some(rest) = reference.strip_prefix("#/responses/") {
        return Some(format!("#/components/responses/{rest}"));
    }
    if let Some(rest) = reference.strip_prefix("#/securityDefinitions/") {
        return Some(format!("#/components/securitySchemes/{rest}"));
    }
    None
}

/// The key a JSON-pointer token (of a URI fragment) names.
pub(super) fn unescape_pointer_token(token: &str) -> String {
    percent_decode(token).replace("~1", "/").replace("~0", "~")
}

/// Decodes `%XX` escapes; invalid escapes and non-UTF-8 results are kept as written.
pub(super) fn percent_decode(text: &str) -> String {
    if !text.contains('%') {
        return text.to_owned();
    }
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        // from_str_radix alone would also take a sign, as in `%+1`.
        let hex = bytes
            .get(i + 1..i + 3)
            .filter(|h| h.iter().all(u8::is_ascii_hexdigit))
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).unwrap_or_else(|_| text.to_owned())
}
