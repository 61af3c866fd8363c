//! Unit tests of the loader: hostile and untidy documents.

use super::operations::generated_operation_id;
use super::*;
use crate::model::ParameterLocation;
use serde_json::json;

fn doc(paths: Value) -> String {
    json!({
        "openapi": "3.1.0",
        "info": {"title": "T", "x-alloy-id": "t"},
        "servers": [{"url": "https://api.example.com"}],
        "paths": paths,
    })
    .to_string()
}

#[test]
fn generated_ids_are_readable() {
    assert_eq!(
        generated_operation_id("get", "/users/{id}/repos"),
        "get_users_id_repos"
    );
}

fn load(value: Value) -> Loaded {
    load_value("t.json", &value, LoadOptions::default()).unwrap()
}

fn with_paths(paths: Value) -> Value {
    serde_json::from_str(&doc(paths)).unwrap()
}

#[test]
fn undeclared_path_parameters_are_taken_as_strings() {
    let loaded = load(with_paths(
        json!({"/x/{id}": {"get": {"operationId": "x"}}}),
    ));
    let p = loaded
        .connector
        .action("x")
        .unwrap()
        .parameter("id")
        .unwrap();
    assert!(p.required);
    assert_eq!(p.location, ParameterLocation::Path);
    assert_eq!(p.type_name, Some("string"));
    assert!(
        loaded.warnings[0].contains("`id` is not declared"),
        "{loaded:?}"
    );
}

#[test]
fn repeated_operation_ids_are_made_unique() {
    let loaded = load(with_paths(json!({
        "/a": {"get": {"operationId": "x"}},
        "/b": {"get": {"operationId": "x"}},
        "/users": {"get": {}},
        "/users/~": {"get": {}},
        "/empty": {"get": {"operationId": ""}}
    })));
    let ids: Vec<&str> = loaded
        .connector
        .actions
        .iter()
        .map(|a| a.id.as_str())
        .collect();
    assert_eq!(ids, ["x", "x_2", "get_users", "get_users_2", "get_empty"]);
    assert_eq!(loaded.connector.action("x_2").unwrap().path, "/b");
    assert!(
        loaded.warnings.iter().any(|w| w.contains("used twice")),
        "{loaded:?}"
    );
    assert!(
        loaded.warnings.iter().any(|w| w.contains("empty")),
        "{loaded:?}"
    );
}

#[test]
fn extension_keys_and_untidy_operations_do_not_stop_a_document() {
    let loaded = load(with_paths(json!({
        "x-registry": {"anything": true},
        "/search?kind=user": {"get": {"operationId": "search"}},
        "/upload": {"post": {"operationId": "upload", "requestBody": {"description": "no content"}}},
        "/odd": {"get": {"operationId": "odd", "parameters": [
            {"name": "f", "in": "formData"}, {"name": "ok", "in": "query"},
            {"name": "Bad Header", "in": "header"}]}},
        "relative": {"get": {"operationId": "rel"}},
        "/stray": {"get": {"operationId": "stray", "parameters": [{"name": "gone", "in": "path"}]}}
    })));
    let c = &loaded.connector;
    assert_eq!(c.actions.len(), 4, "{loaded:?}");
    assert!(c.action("upload").unwrap().request_body.is_none());
    assert_eq!(c.action("search").unwrap().path, "/search?kind=user");
    let odd = c.action("odd").unwrap();
    assert_eq!(odd.parameters.len(), 1);
    assert!(c.action("stray").unwrap().parameters.is_empty());
    for needle in [
        "formData",
        "Bad Header",
        "must start with",
        "no `content`",
        "`gone`",
    ] {
        assert!(
            loaded.warnings.iter().any(|w| w.contains(needle)),
            "no warning about {needle}: {:?}",
            loaded.warnings
        );
    }
}

fn with_servers(servers: Value, info: Value) -> Loaded {
    let mut d = with_paths(json!({"/a": {"get": {"operationId": "a"}}}));
    d["info"] = info;
    match servers {
        Value::Null => {
            d.as_object_mut().unwrap().remove("servers");
        }
        s => d["servers"] = s,
    }
    load(d)
}

#[test]
fn servers_are_made_absolute_or_left_to_the_operator() {
    let info = json!({"title": "T", "x-alloy-id": "t",
        "x-origin": [{"url": "https://specs.example.org/v2/openapi.json"}]});
    let l = with_servers(json!([{"url": "//api.example.com/v1"}]), info.clone());
    assert_eq!(l.connector.server_url, "https://api.example.com/v1");
    let l = with_servers(json!([{"url": "/api/v3/"}]), info.clone());
    assert_eq!(l.connector.server_url, "https://specs.example.org/api/v3");
    assert!(l.warnings[0].contains("relative"), "{:?}", l.warnings);
    let l = with_servers(Value::Null, info.clone());
    assert_eq!(l.connector.server_url, "");
    assert!(
        l.connector
            .extra_credential_fields
            .iter()
            .any(|f| f.name == "baseUrl" && !f.required)
    );
    let l = with_servers(
        json!([{"url": "/v1"}]),
        json!({"title": "T", "x-alloy-id": "t"}),
    );
    assert_eq!(l.connector.server_url, "");
    let l = with_servers(json!([{"url": "ftp://files.example.com"}]), info);
    assert_eq!(l.connector.server_url, "");
    assert!(
        l.warnings[0].contains("not an http(s) URL"),
        "{:?}",
        l.warnings
    );
}

#[test]
fn unusable_security_schemes_are_skipped() {
    let mut d = with_paths(json!({"/a": {"get": {"operationId": "a",
        "security": [{"oauth1": []}, {"bearer": []}, {"typo": []}]}}}));
    d["components"] = json!({"securitySchemes": {
        "oauth1": {"type": "http", "scheme": "oauth"},
        "noflows": {"type": "oauth2"},
        "bearer": {"type": "http", "scheme": "bearer"},
        "oauth2": {"type": "oauth2", "flows": {"authorizationCode": {
            "authorizationUrl": "https://x/a", "tokenUrl": "https://x/t", "scopes": {}}}}
    }});
    d["security"] = json!([{"oauth2": []}, {"bearer": []}]);
    let l = load(d);
    let names: Vec<&str> = l
        .connector
        .auth_schemes
        .iter()
        .map(|s| s.name.as_str())
        .collect();
    assert_eq!(names, ["oauth2", "bearer"]);
    assert_eq!(
        l.connector.action("a").unwrap().security.as_deref(),
        Some(&["bearer".to_owned()][..])
    );
    assert_eq!(l.warnings.len(), 3, "{:?}", l.warnings);
}

#[test]
fn a_security_list_of_only_typos_is_not_no_authentication() {
    let mut d =
        with_paths(json!({"/a": {"get": {"operationId": "a", "security": [{"typo": []}]}}}));
    d["components"] =
        json!({"securitySchemes": {"k": {"type": "apiKey", "in": "header", "name": "X-Key"}}});
    let l = load(d);
    assert_eq!(l.connector.action("a").unwrap().security, None);
}

#[test]
fn summaries_keep_names_and_types_but_no_schemas() {
    let d = json!({
        "openapi": "3.0.3",
        "info": {"title": "T", "x-alloy-id": "t", "x-apisguru-categories": ["messaging"]},
        "servers": [{"url": "https://api.example.com"}],
        "paths": {"/a/{id}": {"post": {"operationId": "a",
            "description": "d".repeat(2000),
            "parameters": [{"$ref": "#/components/parameters/Id"},
                {"name": "huge", "in": "query", "schema": {"enum": (0..5000).collect::<Vec<_>>()}}],
            "requestBody": {"required": true, "content": {"application/json": {"schema": {
                "$ref": "#/components/schemas/Body"}}}}}}},
        "components": {
            "parameters": {"Id": {"name": "id", "in": "path", "schema": {"type": "integer"}}},
            "schemas": {"Body": {"allOf": [{"$ref": "#/components/schemas/Base"},
                {"type": "object", "required": ["text"], "properties": {"text": {"type": "string"}}}]},
                "Base": {"type": "object", "properties": {"channel": {"$ref": "#/components/schemas/Ch"}}},
                "Ch": {"type": "string"}}
        }
    });
    let options = LoadOptions {
        detail: Detail::Summary,
        ..LoadOptions::default()
    };
    let l = load_value("t.json", &d, options).unwrap();
    assert_eq!(l.connector.category, "communication");
    let a = l.connector.action("a").unwrap();
    assert!(a.description.chars().count() < 500);
    let id = a.parameter("id").unwrap();
    assert_eq!(id.type_name, Some("integer"));
    assert!(id.schema().is_null() && a.parameter("huge").unwrap().enum_values().is_none());
    let body = a.request_body.as_ref().unwrap();
    let fields: Vec<(&str, bool, Option<&str>)> = body
        .fields
        .iter()
        .map(|f| (f.name.as_str(), f.required, f.type_name))
        .collect();
    assert_eq!(
        fields,
        [
            ("channel", false, Some("string")),
            ("text", true, Some("string"))
        ]
    );
}

#[test]
fn self_referencing_schemas_terminate() {
    let text = json!({
        "openapi": "3.0.3",
        "info": {"title": "T", "x-alloy-id": "t"},
        "servers": [{"url": "https://api.example.com"}],
        "paths": {"/a": {"post": {"operationId": "a", "requestBody": {"content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/Node"}}}}}}},
        "components": {"schemas": {"Node": {"type": "object", "properties": {
            "child": {"$ref": "#/components/schemas/Node"}, "name": {"type": "string"}}}}}
    })
    .to_string();
    let c = load_document("t.json", &text, None).unwrap();
    let body = c.action("a").unwrap().request_body.as_ref().unwrap();
    assert_eq!(body.schema["properties"]["child"], json!({}));
    assert_eq!(body.schema["properties"]["name"]["type"], "string");
}

#[test]
fn exponential_refs_hit_the_budget() {
    // Each level refers to the previous one 8 times: 8^12 nodes if expanded naively.
    let mut schemas = serde_json::Map::new();
    schemas.insert("L0".into(), json!({"type": "string"}));
    for i in 1..=12 {
        let r = json!({"$ref": format!("#/components/schemas/L{}", i - 1)});
        let props: serde_json::Map<String, Value> =
            (0..8).map(|k| (format!("p{k}"), r.clone())).collect();
        schemas.insert(
            format!("L{i}"),
            json!({"type": "object", "properties": props}),
        );
    }
    let text = json!({
        "openapi": "3.0.3",
        "info": {"title": "T", "x-alloy-id": "t"},
        "servers": [{"url": "https://api.example.com"}],
        "paths": {"/a": {"post": {"operationId": "a", "requestBody": {"content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/L12"}}}}}}},
        "components": {"schemas": schemas}
    })
    .to_string();
    let err = load_document("t.json", &text, None).unwrap_err();
    assert!(err.message.contains("expansion"), "{err}");
}

#[test]
fn ids_are_checked() {
    assert!(is_valid_connector_id("google-calendar"));
    assert!(!is_valid_connector_id("Google"));
    assert!(!is_valid_connector_id(""));
    assert!(!is_valid_connector_id("-x"));
}
