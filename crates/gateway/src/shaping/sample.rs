//! Samples of a list too long to show: an item as it is when small, else trimmed to the
//! fields that identify it.

use serde_json::{Map, Value};

use super::{SAMPLE_COUNT, truncate_chars};

/// A sample larger than this (as JSON text) is trimmed to its identifying fields.
const SAMPLE_TRIM_ABOVE: usize = 300;
/// Longest string kept in a trimmed sample.
const SAMPLE_STRING_CHARS: usize = 120;

/// Keys that identify an item, kept when a sample is trimmed (compared in lower case).
const IDENTIFYING_KEYS: &[&str] = &[
    "id",
    "key",
    "uuid",
    "gid",
    "sid",
    "number",
    "name",
    "title",
    "subject",
    "summary",
    "email",
    "login",
    "username",
    "handle",
    "slug",
    "display_name",
    "displayname",
    "real_name",
    "full_name",
    "fullname",
    "first_name",
    "firstname",
    "last_name",
    "lastname",
    "status",
    "state",
    "type",
];

/// Nested objects that some platforms keep an item's fields in (HubSpot `properties`,
/// Jira `fields`, Slack `profile`).
const FIELD_CONTAINERS: &[&str] = &["properties", "fields", "attributes", "profile"];

/// One sample item: as is when small, else only its identifying fields.
pub(super) fn sample(item: &Value) -> Value {
    if item.to_string().len() <= SAMPLE_TRIM_ABOVE {
        return item.clone();
    }
    match item {
        Value::Object(map) => {
            let mut out = identifying_fields(map);
            for container in FIELD_CONTAINERS {
                if let Some(Value::Object(inner)) = map.get(*container) {
                    let picked = identifying_fields(inner);
                    if !picked.is_empty() {
                        out.insert((*container).to_owned(), Value::Object(picked));
                    }
                }
            }
            if out.is_empty() {
                out = map
                    .iter()
                    .filter_map(|(k, v)| short_scalar(v).map(|v| (k.clone(), v)))
                    .take(5)
                    .collect();
            }
            Value::Object(out)
        }
        Value::String(s) => Value::String(truncate_chars(s, SAMPLE_STRING_CHARS)),
        Value::Array(inner) => Value::Array(inner.iter().take(SAMPLE_COUNT).map(sample).collect()),
        other => other.clone(),
    }
}

fn identifying_fields(map: &Map<String, Value>) -> Map<String, Value> {
    map.iter()
        .filter(|(k, _)| {
            let lower = k.to_ascii_lowercase();
            IDENTIFYING_KEYS.contains(&lower.as_str())
        })
        .filter_map(|(k, v)| short_scalar(v).map(|v| (k.clone(), v)))
        .collect()
}

/// A scalar value, strings cut short; `None` for arrays and objects.
fn short_scalar(v: &Value) -> Option<Value> {
    match v {
        Value::String(s) => Some(Value::String(truncate_chars(s, SAMPLE_STRING_CHARS))),
        Value::Array(_) | Value::Object(_) => None,
        other => Some(other.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn samples_are_trimmed_to_identifying_fields() {
        let big = json!({
            "id": "U1",
            "name": "Ada",
            "bio": "x".repeat(500),
            "tags": ["a", "b"],
            "profile": {"email": "ada@example.com", "avatar": "y".repeat(400)}
        });
        assert_eq!(
            sample(&big),
            json!({"id": "U1", "name": "Ada", "profile": {"email": "ada@example.com"}})
        );
        let anonymous = json!({"a": 1, "b": "z".repeat(400), "c": [1, 2]});
        let s = sample(&anonymous);
        assert_eq!(s["a"], 1);
        assert_eq!(
            s["b"].as_str().unwrap().chars().count(),
            SAMPLE_STRING_CHARS + 1
        );
        assert!(s.get("c").is_none());
        let small = json!({"id": 1, "tags": [1, 2]});
        assert_eq!(sample(&small), small);
        let long = Value::String("é".repeat(400));
        assert_eq!(
            sample(&long).as_str().unwrap().chars().count(),
            SAMPLE_STRING_CHARS + 1
        );
    }
}
