//! Loading documents: the model built from OpenAPI, broken documents, duplicates, look-ups.

use alloy_connectors::{
    ApiKeyLocation, AuthSchemeKind, AuthType, BodyEncoding, Error, Pagination, ParameterLocation,
    Registry,
};
use alloy_domain::ErrorCode;
use serde_json::json;

use crate::support::{acme, acme_registry, data_path};

#[test]
fn document_level_fields_and_extensions() {
    let c = acme();
    assert_eq!(c.id, "acme");
    assert_eq!(c.name, "Acme");
    assert_eq!(c.category, "productivity");
    assert_eq!(
        c.description,
        "Acme test platform used by the engine's own tests."
    );
    assert_eq!(c.server_url, "https://{site}.acme.test/api");
    assert_eq!(c.server_variables.len(), 1);
    assert_eq!(c.server_variables[0].name, "site");
    assert_eq!(c.server_variables[0].default, None);
    assert_eq!(c.verify_action.as_deref(), Some("users_me"));
    let conv = c.error_convention.as_ref().unwrap();
    assert_eq!(
        (conv.ok_field.as_str(), conv.error_field.as_str()),
        ("ok", "error")
    );
    assert_eq!(conv.auth_errors, vec!["invalid_auth"]);
    assert!(c.source.ends_with("acme.json"));
}

#[test]
fn auth_schemes_follow_root_security_then_operations() {
    let c = acme();
    let names: Vec<&str> = c.auth_schemes.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["oauth", "key", "token", "basicAuth", "queryKey"]);
    match &c.auth_schemes[0].kind {
        AuthSchemeKind::OAuth2 {
            authorization_url,
            token_url,
            scopes,
            prefix,
            ..
        } => {
            assert_eq!(
                authorization_url.as_deref(),
                Some("https://acme.test/oauth/authorize")
            );
            assert_eq!(token_url.as_deref(), Some("https://acme.test/oauth/token"));
            assert_eq!(scopes.len(), 2);
            assert_eq!(scopes[0].name, "items:read");
            assert_eq!(prefix, "Bearer ");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        c.auth_schemes[1].kind,
        AuthSchemeKind::ApiKey {
            location: ApiKeyLocation::Header,
            param_name: "X-Acme-Key".into(),
            prefix: "Key ".into()
        }
    );
    assert_eq!(
        c.auth_types(),
        [
            AuthType::OAuth2,
            AuthType::ApiKey,
            AuthType::Bearer,
            AuthType::Basic
        ]
    );
}

#[test]
fn credential_metadata_lists_fields_per_type() {
    let meta = serde_json::to_value(acme().credential_metadata()).unwrap();
    let site = json!({"name": "site", "required": true, "secret": false, "description": "Your Acme site name"});
    let sid = json!({"name": "AccountSid", "required": false, "secret": false, "description": "Account SID used in call paths"});
    assert_eq!(meta[0]["type"], "oauth2");
    assert_eq!(meta[0]["fields"], json!([site, sid]));
    assert_eq!(
        meta[0]["oauth"]["tokenUrl"],
        "https://acme.test/oauth/token"
    );
    assert_eq!(
        meta[0]["oauth"]["scopes"][1],
        json!({"name": "items:write", "description": "Write items"})
    );
    assert_eq!(meta[1]["type"], "apiKey");
    assert_eq!(meta[1]["fields"][0]["name"], "apiKey");
    assert_eq!(meta[1]["fields"][0]["secret"], true);
    assert_eq!(meta[2]["type"], "bearer");
    assert_eq!(meta[2]["fields"][0]["name"], "token");
    assert_eq!(meta[3]["type"], "basic");
    let names: Vec<&str> = meta[3]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["username", "password", "site", "AccountSid"]);
    assert_eq!(meta.as_array().unwrap().len(), 4, "one entry per type");
}

#[test]
fn resources_come_from_tags() {
    let c = acme();
    let names: Vec<&str> = c.resources.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["users", "items", "calls", "status"]);
    let items = &c.resources[1];
    assert_eq!(
        items.description.as_deref(),
        Some("Things in the catalogue")
    );
    assert!(items.actions.contains(&"items_list".to_owned()));
    assert_eq!(c.resource_actions("status").count(), 2);
}

#[test]
fn actions_carry_parameters_with_resolved_schemas() {
    let c = acme();
    let list = c.action("items_list").unwrap();
    assert_eq!(list.method, reqwest::Method::GET);
    assert_eq!(list.path, "/items");
    assert_eq!(list.name, "List items");
    assert_eq!(list.list_path.as_deref(), Some("items"));
    assert_eq!(
        list.pagination,
        Some(Pagination::Cursor {
            cursor_param: "cursor".into(),
            next_cursor_path: "meta.next".into(),
            has_more_path: None,
            limit_param: Some("limit".into())
        })
    );
    let limit = list.parameter("limit").unwrap();
    assert_eq!(limit.location, ParameterLocation::Query);
    assert_eq!(limit.type_name, Some("integer"));
    assert_eq!(limit.default_value(), Some(&json!(20)));
    assert_eq!(limit.example(), Some(&json!(10)));
    assert_eq!(limit.description.as_deref(), Some("Page size"));
    assert!(!limit.required);
    let status = list.parameter("status").unwrap();
    assert_eq!(
        status.enum_values(),
        Some(&[json!("open"), json!("closed")][..])
    );

    // Path-level parameters are merged into every operation of the path.
    let get = c.action("items_get").unwrap();
    let item_id = get.parameter("item_id").unwrap();
    assert!(item_id.required);
    assert_eq!(item_id.location, ParameterLocation::Path);
    assert_eq!(
        get.parameter("Acme-Version").unwrap().location,
        ParameterLocation::Header
    );

    let create = c.action("items_create").unwrap();
    let body = create.request_body.as_ref().unwrap();
    assert_eq!(body.content_type, "application/json");
    assert_eq!(body.encoding, BodyEncoding::Json);
    assert!(body.required);
    let fields: Vec<(&str, bool)> = body
        .fields
        .iter()
        .map(|f| (f.name.as_str(), f.required))
        .collect();
    assert_eq!(
        fields,
        [
            ("name", true),
            ("price", false),
            ("kind", false),
            ("parent", false)
        ]
    );
    // The recursive ItemRef schema is cut where it refers to itself.
    assert_eq!(
        body.schema["properties"]["parent"]["properties"]["parent"],
        json!({})
    );
    assert_eq!(create.inputs().count(), 5);

    let update = c.action("items_update").unwrap();
    assert_eq!(
        update.request_body.as_ref().unwrap().encoding,
        BodyEncoding::Form
    );

    // The details shape the MCP tools show.
    let details = serde_json::to_value(create).unwrap();
    assert_eq!(details["method"], "POST");
    assert_eq!(details["requestBody"]["fields"][0]["name"], "name");
    assert_eq!(details["requestBody"]["fields"][0]["in"], "body");
    assert_eq!(details["requestBody"]["fields"][0]["example"], "widget");
    assert_eq!(details["parameters"][0]["name"], "dry_run");
}

#[test]
fn registry_look_ups() {
    let r = acme_registry();
    assert_eq!(r.len(), 1);
    assert_eq!(r.connectors(None).len(), 1);
    assert_eq!(r.connectors(Some("Productivity")).len(), 1);
    assert!(r.connectors(Some("crm")).is_empty());
    assert_eq!(r.categories(), ["productivity"]);
    let err = r.connector("nope").unwrap_err();
    assert_eq!(err.code(), ErrorCode::ConnectorNotFound);
    let err = r.action("acme", "nope").unwrap_err();
    assert_eq!(err.code(), ErrorCode::ActionNotFound);
    assert!(matches!(err, Error::ActionNotFound { .. }));
    let err = r.action("nope", "items_list").unwrap_err();
    assert_eq!(err.code(), ErrorCode::ConnectorNotFound);
    let (c, a) = r.action("acme", "items_list").unwrap();
    assert_eq!((c.id.as_str(), a.id.as_str()), ("acme", "items_list"));
}

#[test]
fn a_folder_with_broken_documents_loads_the_rest() {
    let (r, report) = Registry::load_reporting(false, &[data_path("mixed")]);
    let ids: Vec<&str> = r.connectors(None).iter().map(|c| c.id.as_str()).collect();
    // They take their IDs from their file names (none says who it is); YAML loads too.
    assert_eq!(ids, ["bad-ref", "cycle", "good"], "{report:?}");
    assert_eq!(r.connector("good").unwrap().category, "support");
    assert!(r.is_summary("good"));
    let mut by_file: Vec<(String, String)> = report
        .errors
        .iter()
        .map(|e| {
            let file = std::path::Path::new(&e.source_name)
                .file_name()
                .unwrap()
                .to_string_lossy()
                .into_owned();
            (file, e.message.clone())
        })
        .collect();
    by_file.sort();
    let files: Vec<&str> = by_file.iter().map(|(f, _)| f.as_str()).collect();
    assert_eq!(
        files,
        ["bad-json.json", "no-paths.json", "notes.yaml"],
        "{by_file:?}"
    );
    assert!(by_file[0].1.contains("not valid JSON"), "{}", by_file[0].1);
    assert!(by_file[1].1.contains("paths"), "{}", by_file[1].1);
    // A reference that leads nowhere is a warning naming it, not a refusal.
    assert!(
        report
            .warnings
            .iter()
            .any(|(source, w)| source.ends_with("bad-ref.json")
                && w.contains("#/components/parameters/Missing")),
        "{:?}",
        report.warnings
    );
}

#[tokio::test]
async fn cyclic_refs_load_without_hanging() {
    let (r, _) = Registry::load(false, &[data_path("mixed/cycle.json")]);
    let a = r.action_details("cycle", "a").await.unwrap();
    assert_eq!(a.request_body.as_ref().unwrap().schema, json!({}));
    // The summary holds no schema; the details do.
    assert!(
        r.action("cycle", "a")
            .unwrap()
            .1
            .request_body
            .as_ref()
            .unwrap()
            .schema
            .is_null()
    );
}

#[test]
fn clashing_ids_are_renamed_never_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(data_path("acme.json")).unwrap();
    let copy = text.replace("\"title\": \"Acme\"", "\"title\": \"Acme copy\"");
    // The document whose path sorts first keeps the ID.
    std::fs::write(dir.path().join("a.json"), &text).unwrap();
    std::fs::write(dir.path().join("copy.json"), copy).unwrap();
    let (r, report) = Registry::load_reporting(false, &[dir.path().to_path_buf()]);
    assert!(report.errors.is_empty(), "{report:?}");
    assert_eq!(r.connector("acme").unwrap().name, "Acme");
    assert_eq!(r.connector("acme-2").unwrap().name, "Acme copy");
    assert!(
        report
            .warnings
            .iter()
            .any(|(s, w)| s.ends_with("copy.json") && w.contains("`acme` is taken")),
        "{:?}",
        report.warnings
    );
}

#[test]
fn missing_paths_are_reported() {
    let (r, errors) = Registry::load(false, &[data_path("does-not-exist")]);
    assert!(r.is_empty());
    assert_eq!(errors.len(), 1);
    assert!(errors[0].source_name.ends_with("does-not-exist"));
}

#[test]
fn garbage_never_panics() {
    let mut r = Registry::empty();
    for text in [
        "",
        "null",
        "[]",
        "{}",
        "{\"openapi\": 3}",
        "{\"swagger\": \"2.0\"}",
        "{\"openapi\":\"3.0.0\",\"info\":{},\"servers\":[{\"url\":\"/relative\"}],\"paths\":{}}",
        "{\"openapi\":\"3.0.0\",\"info\":{\"x-alloy-id\":\"x\"},\"servers\":[{\"url\":\"https://{a.b\"}],\"paths\":{}}",
    ] {
        assert!(r.add_document("t.json", text, Some("t")).is_err(), "{text}");
    }
    assert!(r.is_empty());
    // Untidy but usable: they load, with warnings (an external `$ref` is never fetched).
    for (id, text) in [
        (
            "y",
            "{\"openapi\":\"3.0.0\",\"info\":{\"x-alloy-id\":\"y\"},\"servers\":[{\"url\":\"https://a.b\"}],\"paths\":{\"/a\":{\"get\":{\"parameters\":[{\"$ref\":\"https://evil/x.json\"}]}}}}",
        ),
        (
            "z",
            "{\"openapi\":\"3.0.0\",\"info\":{\"x-alloy-id\":\"z\"},\"servers\":[{\"url\":\"https://a.b\"}],\"paths\":{\"/a\":{\"get\":{}}},\"security\":[{\"nope\":[]}]}",
        ),
    ] {
        assert!(r.add_document("t.json", text, None).is_ok(), "{text}");
        assert!(r.connector(id).is_ok());
    }
}

#[test]
fn split_paths_skips_empty_entries() {
    let paths = alloy_connectors::split_connector_paths("/a::/b");
    assert_eq!(
        paths,
        [
            std::path::PathBuf::from("/a"),
            std::path::PathBuf::from("/b")
        ]
    );
}
