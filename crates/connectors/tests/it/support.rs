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

/// A registry holding only `tests/data/acme.json`.
pub fn acme_registry() -> Registry {
    let (registry, errors) = Registry::load(false, &[data_path("acme.json")]);
    assert!(errors.is_empty(), "{errors:?}");
    registry
}

/// The Acme test connector.
pub fn acme() -> Connector {
    acme_registry().connector("acme").unwrap().clone()
}
