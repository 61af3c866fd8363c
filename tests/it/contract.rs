//! Responses held to the OpenAPI document (`alloy_http::OPENAPI_DOCUMENT`, served at
//! `/api/openapi.json`): every answer a test gets through [`crate::support::send`] must have a
//! status the document lists for its operation, a documented content type, and a body that
//! matches the documented schema. So the whole end-to-end suite checks the document.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};

use jsonschema::{Draft, Registry, Validator};
use serde_json::Value;

const BASE: &str = "urn:alloy:openapi";

static DOC: LazyLock<Value> = LazyLock::new(|| {
    serde_json::from_str(alloy_http::OPENAPI_DOCUMENT).expect("the OpenAPI document is JSON")
});

static REGISTRY: LazyLock<Registry<'static>> = LazyLock::new(|| {
    Registry::new()
        .add(BASE, Draft::Draft202012.create_resource(DOC.clone()))
        .expect("document registered")
        .prepare()
        .expect("document's references resolve")
});

static VALIDATORS: LazyLock<Mutex<HashMap<String, Arc<Validator>>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

/// The documented path template `path` falls under, preferring literal segments.
fn template_of(path: &str) -> Option<&'static str> {
    let path = path
        .strip_suffix('/')
        .filter(|p| !p.is_empty())
        .unwrap_or(path);
    let segments: Vec<&str> = path.split('/').collect();
    let mut best: Option<(&'static str, usize)> = None;
    for template in DOC["paths"].as_object()?.keys() {
        let parts: Vec<&str> = template.split('/').collect();
        if parts.len() != segments.len() {
            continue;
        }
        let mut literals = 0;
        let fits = parts.iter().zip(&segments).all(|(t, s)| {
            if t.starts_with('{') && t.ends_with('}') {
                !s.is_empty()
            } else {
                literals += 1;
                t == s
            }
        });
        if fits && best.is_none_or(|(_, l)| literals > l) {
            best = Some((template.as_str(), literals));
        }
    }
    best.map(|(t, _)| t)
}

/// The JSON pointer escape of one reference token.
fn escape(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

/// `value` and its pointer, with one local `$ref` followed.
fn deref(value: &'static Value, pointer: String) -> (&'static Value, String) {
    match value.get("$ref").and_then(Value::as_str) {
        Some(r) => {
            let target = r.strip_prefix('#').expect("local reference");
            let resolved = DOC
                .pointer(target)
                .unwrap_or_else(|| panic!("dangling {r}"));
            (resolved, target.to_owned())
        }
        None => (value, pointer),
    }
}

fn validator(pointer: &str) -> Arc<Validator> {
    let mut cache = VALIDATORS.lock().unwrap();
    if let Some(v) = cache.get(pointer) {
        return Arc::clone(v);
    }
    // A pointer in a URI fragment: the characters a URI cannot hold are percent-encoded.
    let fragment: String = pointer
        .chars()
        .map(|c| match c {
            '{' | '}' | ' ' | '"' | '<' | '>' | '\\' | '^' | '`' | '|' | '%' => {
                format!("%{:02X}", c as u32)
            }
            c => c.to_string(),
        })
        .collect();
    let schema = serde_json::json!({ "$ref": format!("{BASE}#{fragment}") });
    let v = Arc::new(
        jsonschema::options()
            .with_draft(Draft::Draft202012)
            .with_registry(&REGISTRY)
            .build(&schema)
            .unwrap_or_else(|e| panic!("schema at {pointer} does not compile: {e}")),
    );
    cache.insert(pointer.to_owned(), Arc::clone(&v));
    v
}

/// Checks one answer against the document. Paths and methods the document does not describe
/// (an unknown route's 404, a 405) are not checked here: the OpenAPI tests of `alloy-http`
/// hold the document to the router.
#[track_caller]
pub fn check(method: &str, path: &str, status: u16, content_type: Option<&str>, body: &str) {
    let Some(template) = template_of(path) else {
        return;
    };
    let method = method.to_ascii_lowercase();
    let Some(op) = DOC["paths"][template].get(&method) else {
        return;
    };
    let at = format!("{} {template} → {status}", method.to_ascii_uppercase());
    let responses = &op["responses"];
    let status_key = status.to_string();
    let class_key = format!("{}XX", status / 100);
    let key = [status_key.as_str(), class_key.as_str(), "default"]
        .into_iter()
        .find(|k| responses.get(*k).is_some())
        .unwrap_or_else(|| panic!("{at}: status not in the document; body {body}"));
    let base = format!(
        "/paths/{}/{method}/responses/{}",
        escape(template),
        escape(key)
    );
    let (response, pointer) = deref(&responses[key], base);
    if body.is_empty() || method == "head" {
        return;
    }
    let media = content_type
        .map(|c| {
            c.split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase()
        })
        .unwrap_or_default();
    let Some(content) = response["content"].as_object() else {
        panic!("{at}: the document gives no body, the answer has one ({media}): {body}");
    };
    let Some((media_key, media_type)) = content.iter().find(|(k, _)| **k == media) else {
        panic!(
            "{at}: content type {media:?} not documented ({:?})",
            content.keys().collect::<Vec<_>>()
        );
    };
    let json = media == "application/json" || media.ends_with("+json");
    if !json || media_type.get("schema").is_none() {
        return;
    }
    let instance: Value = serde_json::from_str(body)
        .unwrap_or_else(|e| panic!("{at}: {media} body is not JSON ({e}): {body}"));
    let schema_pointer = format!("{pointer}/content/{}/schema", escape(media_key));
    let v = validator(&schema_pointer);
    let errors: Vec<String> = v
        .iter_errors(&instance)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{at}: the answer does not match the document:\n  {}\nbody: {body}",
        errors.join("\n  ")
    );
}

#[test]
fn the_checker_matches_templates_and_refuses_what_the_document_lacks() {
    assert_eq!(template_of("/api/servers"), Some("/api/servers"));
    assert_eq!(
        template_of("/api/servers/abc"),
        Some("/api/servers/{serverId}")
    );
    assert_eq!(template_of("/api/openapi.json"), Some("/api/openapi.json"));
    assert_eq!(template_of("/nope"), None);
    // A documented body passes; a wrong one and an undocumented status do not.
    check(
        "GET",
        "/healthz",
        200,
        Some("application/json"),
        r#"{"status":"ok"}"#,
    );
    let wrong = std::panic::catch_unwind(|| {
        check(
            "GET",
            "/api/servers",
            200,
            Some("application/json"),
            r#"{"servers": 3}"#,
        )
    });
    assert!(wrong.is_err(), "a wrong body passed");
    let undocumented =
        std::panic::catch_unwind(|| check("GET", "/healthz", 418, Some("application/json"), "{}"));
    assert!(undocumented.is_err(), "an undocumented status passed");
}
