//! Tool arguments as the audit trail may keep them: values under secret-looking keys, and
//! values that look like tokens wherever they are, replaced by `[redacted]`; long strings and
//! large arguments cut.

use serde_json::{Map, Value};

/// What replaces a redacted value.
pub const REDACTED: &str = "[redacted]";

/// Longest string kept whole, in characters.
const MAX_STRING_CHARS: usize = 512;

/// Deepest nesting kept.
const MAX_DEPTH: usize = 16;

/// Parts of a key name (lower-cased, without `-`, `_` and spaces) that mark a secret.
const SECRET_KEY_PARTS: &[&str] = &[
    "password",
    "passwd",
    "passphrase",
    "secret",
    "token",
    "apikey",
    "accesskey",
    "privatekey",
    "authorization",
    "credential",
    "cookie",
    "sessionid",
    "signature",
    "bearer",
    "otp",
];

/// Key names (same normal form) that are secrets although no part above matches.
const SECRET_KEYS: &[&str] = &["key", "auth", "pin", "pwd", "sig", "cvv", "cvc", "ssn"];

/// Prefixes of well-known token formats (Stripe, Slack, GitHub, AWS, GitLab, OpenAI, …).
const TOKEN_PREFIXES: &[&str] = &[
    "sk_live_",
    "sk_test_",
    "rk_live_",
    "rk_test_",
    "xoxb-",
    "xoxp-",
    "xoxa-",
    "xapp-",
    "ghp_",
    "gho_",
    "ghu_",
    "ghs_",
    "ghr_",
    "github_pat_",
    "glpat-",
    "akia",
    "sk-",
    "bearer ",
    "basic ",
    "mcp_token_",
    "alloy_",
];

fn is_secret_key(key: &str) -> bool {
    let normal: String = key
        .chars()
        .filter(|c| !matches!(c, '-' | '_' | ' ' | '.'))
        .flat_map(char::to_lowercase)
        .collect();
    SECRET_KEYS.contains(&normal.as_str()) || SECRET_KEY_PARTS.iter().any(|p| normal.contains(p))
}

fn looks_like_token(s: &str) -> bool {
    let lower = s.trim_start().to_ascii_lowercase();
    if TOKEN_PREFIXES.iter().any(|p| lower.starts_with(p)) {
        return true;
    }
    // A JWT: three base64url parts, the first a JSON object ("eyJ").
    let parts: Vec<&str> = s.split('.').collect();
    parts.len() == 3
        && s.starts_with("eyJ")
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'=')
        })
}

/// The arguments of a tool call as they may be stored.
pub fn redact_arguments(arguments: &Map<String, Value>) -> Value {
    Value::Object(redact_object(arguments, 0))
}

fn redact_object(map: &Map<String, Value>, depth: usize) -> Map<String, Value> {
    map.iter()
        .map(|(k, v)| {
            let v = if is_secret_key(k) && !v.is_null() {
                Value::String(REDACTED.to_owned())
            } else {
                redact_value(v, depth + 1)
            };
            (k.clone(), v)
        })
        .collect()
}

fn redact_value(value: &Value, depth: usize) -> Value {
    if depth > MAX_DEPTH {
        return Value::String("[too deep]".to_owned());
    }
    match value {
        Value::String(s) if looks_like_token(s) => Value::String(REDACTED.to_owned()),
        Value::String(s) if s.chars().count() > MAX_STRING_CHARS => {
            let kept: String = s.chars().take(MAX_STRING_CHARS).collect();
            Value::String(format!("{kept}… [cut]"))
        }
        Value::Object(m) => Value::Object(redact_object(m, depth)),
        Value::Array(items) => Value::Array(
            items
                .iter()
                .take(100)
                .map(|v| redact_value(v, depth + 1))
                .collect(),
        ),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn secrets_are_redacted_everywhere() {
        let args = json!({
            "connectorId": "slack",
            "parameters": {
                "channel": "C123",
                "text": "hello",
                "api_key": "abc",
                "X-Api-Key": "abc",
                "client_secret": "s",
                "nested": {"password": "p", "Authorization": "Bearer x", "key": "k", "count": 3},
                "list": [{"accessToken": "t"}, "xoxb-123-456", "plain"],
                "jwt": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln",
                "note": "sk_live_abcdef",
                "monkey": "banana",
                "tokens_count": null
            }
        });
        let Value::Object(map) = args else {
            unreachable!()
        };
        let out = redact_arguments(&map);
        let p = &out["parameters"];
        assert_eq!(p["channel"], "C123");
        assert_eq!(p["text"], "hello");
        assert_eq!(
            p["monkey"], "banana",
            "a word containing 'key' is not a key"
        );
        for redacted in [
            &p["api_key"],
            &p["X-Api-Key"],
            &p["client_secret"],
            &p["nested"]["password"],
            &p["nested"]["Authorization"],
            &p["nested"]["key"],
            &p["list"][0]["accessToken"],
            &p["list"][1],
            &p["jwt"],
            &p["note"],
        ] {
            assert_eq!(redacted, REDACTED);
        }
        assert_eq!(p["nested"]["count"], 3);
        assert_eq!(p["list"][2], "plain");
        assert_eq!(p["tokens_count"], Value::Null);
        assert!(!out.to_string().contains("abc"));
    }

    #[test]
    fn long_values_are_cut() {
        let map = json!({"text": "a".repeat(10_000)});
        let out = redact_arguments(map.as_object().unwrap());
        assert!(out["text"].as_str().unwrap().len() < 600);
    }
}
