//! Reads the text of an API description, JSON or YAML, into a JSON value: YAML with limits
//! that refuse alias bombs, errors in one line with their position.

use serde_json::Value;

/// Alias replays and anchor copies allowed in one YAML document. Real descriptions use a few
/// anchors for repeated fragments; a cap this size holds an alias bomb to about 25 MB.
const YAML_ALIAS_EVENTS: usize = 100_000;
/// The same nesting limit `serde_json` applies, so both formats accept the same documents.
const YAML_MAX_DEPTH: usize = 128;
/// Node and event caps only bound work proportional to the text, which the caller already
/// holds in memory; they are raised so that large vendor descriptions are not refused.
const YAML_MAX_NODES: usize = 20_000_000;

/// Parses `text` as JSON, or as YAML when `yaml` is true.
///
/// When `yaml` is false and the text is not JSON and does not start with `{`, it is tried as
/// YAML as well; that fallback only accepts a YAML mapping, so that plain text or HTML is
/// reported as bad JSON rather than returned as a string. Non-string YAML mapping keys (such as
/// `200:` response codes) become strings with their original spelling. Anchors and aliases
/// are supported within fixed limits, so alias bombs are refused instead of expanded.
/// Errors are one line and give the line and column when known.
pub fn parse_document(text: &str, yaml: bool) -> Result<Value, String> {
    // Editors on Windows like to prepend a byte-order mark, which neither parser wants.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if yaml {
        return parse_yaml(text);
    }
    let json_error = match serde_json::from_str(text) {
        Ok(value) => return Ok(value),
        Err(e) => json_error_message(&e),
    };
    if text.trim_start().starts_with('{') {
        return Err(json_error);
    }
    match parse_yaml(text) {
        Ok(value @ Value::Object(_)) => Ok(value),
        Ok(_) => Err(json_error),
        Err(yaml_error) => Err(format!("{json_error}; {yaml_error}")),
    }
}

fn json_error_message(e: &serde_json::Error) -> String {
    let text = e.to_string();
    // serde_json appends the position itself; it is moved to the front like the YAML errors.
    let suffix = format!(" at line {} column {}", e.line(), e.column());
    match text.strip_suffix(&suffix) {
        Some(message) if e.line() > 0 => format!(
            "not valid JSON at line {} column {}: {}",
            e.line(),
            e.column(),
            one_line(message)
        ),
        _ => format!("not valid JSON: {}", one_line(&text)),
    }
}

fn parse_yaml(text: &str) -> Result<Value, String> {
    serde_saphyr::from_str_with_options::<Value>(text, yaml_options()).map_err(|e| {
        let e = e.without_snippet();
        let mut message = e.to_string();
        let location = e.location().map(|l| (l.line(), l.column()));
        if let Some((line, column)) = location {
            message = message.replacen(&format!(" at line {line}, column {column}"), "", 1);
        }
        let message = one_line(&message);
        // Budget breaches are size limits, not syntax errors; say so, or people hunt for typos.
        let what = if message.contains("budget breached") || message.contains("alias replay") {
            "YAML document is too large or its aliases expand too much"
        } else {
            "not valid YAML"
        };
        match location {
            Some((line, column)) if line > 0 => {
                format!("{what} at line {line} column {column}: {message}")
            }
            _ => format!("{what}: {message}"),
        }
    })
}

fn yaml_options() -> serde_saphyr::Options {
    let mut alias_limits = serde_saphyr::options::AliasLimits::default();
    alias_limits.max_total_replayed_events = YAML_ALIAS_EVENTS;
    serde_saphyr::options! {
        budget: serde_saphyr::budget! {
            max_recorded_anchor_events: YAML_ALIAS_EVENTS,
            max_depth: YAML_MAX_DEPTH,
            max_nodes: YAML_MAX_NODES,
            max_events: YAML_MAX_NODES.saturating_mul(2),
        },
        alias_limits: alias_limits,
        // YAML 1.1 booleans (`yes`, `on`) would turn enum values and descriptions into bools.
        strict_booleans: true,
        // A `null:` key is a string key to a JSON object, not an error.
        null_as_string: true,
        // JSON parsing keeps the last of duplicate keys; YAML should not be stricter.
        duplicate_keys: serde_saphyr::DuplicateKeyPolicy::LastWins,
        // JSON has no infinities; keeping the spelling beats refusing the whole document.
        non_finite_float_policy: serde_saphyr::NonFiniteFloatPolicy::AsString,
        with_snippet: false,
    }
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use super::*;
    use serde_json::json;

    const YAML_DOC: &str = r#"
openapi: "3.0.3"
info:
  title: Example API
  version: "1.0"
  description: |
    Multi-line
    text.
  x-alloy-id: example
servers:
  - url: https://api.example.com/v1
paths:
  /items/{id}:
    get:
      operationId: getItem
      parameters:
        - name: id
          in: path
          required: true
          schema: {type: integer, minimum: 1}
        - name: mode
          in: query
          schema:
            type: string
            enum: [yes, no, on, off]
            default: ~
      responses:
        200:
          description: OK
          content:
            application/json:
              schema:
                type: object
                properties:
                  price: {type: number, example: 1.5}
                  tags: [a, b]
        "404":
          description: Not found
"#;

    const JSON_DOC: &str = r#"{
  "openapi": "3.0.3",
  "info": {
    "title": "Example API",
    "version": "1.0",
    "description": "Multi-line\ntext.\n",
    "x-alloy-id": "example"
  },
  "servers": [{"url": "https://api.example.com/v1"}],
  "paths": {
    "/items/{id}": {
      "get": {
        "operationId": "getItem",
        "parameters": [
          {"name": "id", "in": "path", "required": true,
           "schema": {"type": "integer", "minimum": 1}},
          {"name": "mode", "in": "query",
           "schema": {"type": "string", "enum": ["yes", "no", "on", "off"], "default": null}}
        ],
        "responses": {
          "200": {
            "description": "OK",
            "content": {"application/json": {"schema": {
              "type": "object",
              "properties": {"price": {"type": "number", "example": 1.5}, "tags": ["a", "b"]}
            }}}
          },
          "404": {"description": "Not found"}
        }
      }
    }
  }
}"#;

    #[test]
    fn yaml_and_json_twins_parse_alike() {
        let from_yaml = parse_document(YAML_DOC, true).unwrap();
        let from_json = parse_document(JSON_DOC, false).unwrap();
        assert_eq!(from_yaml, from_json);
        // Key order survives too, as the JSON path keeps it.
        let keys: Vec<&String> = from_yaml.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["openapi", "info", "servers", "paths"]);
        // YAML that was not announced as such is still recognised.
        assert_eq!(parse_document(YAML_DOC, false).unwrap(), from_json);
    }

    #[test]
    fn non_string_keys_become_strings() {
        let v = parse_document(
            "responses:\n  200: {a: 1}\n  404: b\n  1.5: c\n  true: d\n",
            true,
        )
        .unwrap();
        let keys: Vec<&String> = v["responses"].as_object().unwrap().keys().collect();
        assert_eq!(keys, ["200", "404", "1.5", "true"]);
        assert_eq!(v["responses"]["200"], json!({"a": 1}));
    }

    #[test]
    fn anchors_and_merge_keys_work() {
        let v = parse_document(
            "base: &base {type: string, maxLength: 5}\nuse:\n  <<: *base\n  minLength: 1\nalso: *base\n",
            true,
        )
        .unwrap();
        assert_eq!(
            v["use"],
            json!({"type": "string", "maxLength": 5, "minLength": 1})
        );
        assert_eq!(v["also"], v["base"]);
    }

    #[test]
    fn alias_bombs_are_refused_quickly() {
        let mut bomb = String::from("a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
        for i in 1..10 {
            let refs = vec![format!("*a{}", i - 1); 10].join(", ");
            bomb.push_str(&format!("a{i}: &a{i} [{refs}]\n"));
        }
        let started = Instant::now();
        let err = parse_document(&bomb, true).unwrap_err();
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{:?}",
            started.elapsed()
        );
        assert!(err.contains("aliases expand too much"), "{err}");
        assert!(!err.contains('\n'), "{err}");
    }

    #[test]
    fn syntax_errors_are_one_line_with_a_position() {
        let err = parse_document("a: 1\nb:\n  - [1, 2\n c: 3\n", true).unwrap_err();
        assert!(err.starts_with("not valid YAML at line 4 column "), "{err}");
        assert!(!err.contains('\n'), "{err}");
        let err = parse_document("{\"a\": 1,\n  \"b\": }", false).unwrap_err();
        assert_eq!(err, "not valid JSON at line 2 column 8: expected value");
        // Not JSON and not a YAML mapping: the JSON error is the useful one.
        let err = parse_document("<html>nope</html>", false).unwrap_err();
        assert!(
            err.starts_with("not valid JSON at line 1 column 1"),
            "{err}"
        );
    }
}
