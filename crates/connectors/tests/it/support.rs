//! Helpers shared by the test modules: the engine's own test documents.

use std::path::PathBuf;

use alloy_connectors::{Connector, Registry};

/// `crates/connectors/tests/data/<name>`.
pub fn data_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("data")
        .join(name)
}

/// A registry holding only `tests/data/acme.json`, loaded whole (a document loaded from a
/// path is held as a summary; these tests need the schemas).
pub fn acme_registry() -> Registry {
    let text = std::fs::read_to_string(data_path("acme.json")).unwrap();
    let mut registry = Registry::empty();
    registry.add_document("acme.json", &text, None).unwrap();
    registry
}

/// The Acme test connector.
pub fn acme() -> Connector {
    acme_registry().connector("acme").unwrap().clone()
}
