//! The set of loaded connectors: the built-in catalog plus operators' documents.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use crate::catalog::builtin_documents;
use crate::error::{Error, LoadError};
use crate::model::{Action, Connector};
use crate::openapi::{is_valid_connector_id, load_document};

/// Every connector the gateway knows, by ID.
///
/// Loading never stops at a broken document: each one that fails is reported as a
/// [`LoadError`] naming its file, and the others load. A document whose connector ID is already
/// taken (by the built-in catalog or an earlier operator file) is refused with a `LoadError`; it
/// never silently replaces a connector.
#[derive(Debug, Clone, Default)]
pub struct Registry {
    connectors: BTreeMap<String, Connector>,
}

impl Registry {
    /// A registry without connectors.
    pub fn empty() -> Self {
        Registry::default()
    }

    /// The built-in catalog only. Fails if any built-in document does not load (a bug in the
    /// catalog, which the crate's tests catch).
    pub fn builtin() -> Result<Self, Error> {
        let (registry, errors) = Registry::load(true, &[]);
        if errors.is_empty() {
            Ok(registry)
        } else {
            Err(Error::Load(errors))
        }
    }

    /// The built-in catalog (when `include_builtin`) plus the documents at `paths`: files load
    /// whatever their extension, folders load their `*.json` files (not sub-folders) in name
    /// order. Returns the registry and one error per document (or path) that failed.
    pub fn load(include_builtin: bool, paths: &[PathBuf]) -> (Self, Vec<LoadError>) {
        let mut registry = Registry::empty();
        let mut errors = Vec::new();
        if include_builtin {
            for (file, text) in builtin_documents() {
                let source = format!("builtin:{file}");
                if let Err(e) = registry.add_document(&source, text, None) {
                    errors.push(e);
                }
            }
        }
        for path in paths {
            registry.load_path(path, &mut errors);
        }
        (registry, errors)
    }

    fn load_path(&mut self, path: &Path, errors: &mut Vec<LoadError>) {
        let shown = path.display().to_string();
        let meta = match fs::metadata(path) {
            Ok(m) => m,
            Err(e) => {
                errors.push(LoadError::new(shown, format!("cannot read: {e}")));
                return;
            }
        };
        if !meta.is_dir() {
            self.load_file(path, errors);
            return;
        }
        let entries = match fs::read_dir(path) {
            Ok(entries) => entries,
            Err(e) => {
                errors.push(LoadError::new(shown, format!("cannot list folder: {e}")));
                return;
            }
        };
        let mut files: Vec<PathBuf> = Vec::new();
        for entry in entries {
            match entry {
                Ok(entry) => {
                    let p = entry.path();
                    if p.is_file() {
                        files.push(p);
                    }
                }
                Err(e) => errors.push(LoadError::new(
                    shown.clone(),
                    format!("cannot list folder: {e}"),
                )),
            }
        }
        files.sort();
        for file in files {
            match file.extension().and_then(|e| e.to_str()) {
                Some("json") => self.load_file(&file, errors),
                Some("yaml") | Some("yml") => errors.push(LoadError::new(
                    file.display().to_string(),
                    "YAML documents are not supported; convert the document to JSON",
                )),
                _ => {}
            }
        }
    }

    fn load_file(&mut self, path: &Path, errors: &mut Vec<LoadError>) {
        let shown = path.display().to_string();
        let text = match fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) => {
                errors.push(LoadError::new(shown, format!("cannot read: {e}")));
                return;
            }
        };
        let fallback = path
            .file_stem()
            .and_then(|s| s.to_str())
            .map(str::to_ascii_lowercase)
            .filter(|s| is_valid_connector_id(s));
        if let Err(e) = self.add_document(&shown, &text, fallback.as_deref()) {
            errors.push(e);
        }
    }

    /// Loads one document and adds its connector. `fallback_id` is used when the document has
    /// no `info.x-alloy-id`. Refuses a connector ID that is already taken.
    pub fn add_document(
        &mut self,
        source_name: &str,
        text: &str,
        fallback_id: Option<&str>,
    ) -> Result<&Connector, LoadError> {
        let connector = load_document(source_name, text, fallback_id)?;
        self.add(connector)
    }

    /// Adds a loaded connector; refuses an ID that is already taken.
    pub fn add(&mut self, connector: Connector) -> Result<&Connector, LoadError> {
        use std::collections::btree_map::Entry;
        match self.connectors.entry(connector.id.clone()) {
            Entry::Occupied(existing) => Err(LoadError::new(
                connector.source.clone(),
                format!(
                    "connector ID `{}` is already defined by {}; this document is ignored",
                    connector.id,
                    existing.get().source
                ),
            )),
            Entry::Vacant(slot) => Ok(slot.insert(connector)),
        }
    }

    /// Connectors sorted by ID, only those of `category` (case-insensitive) when given.
    pub fn connectors(&self, category: Option<&str>) -> Vec<&Connector> {
        self.connectors
            .values()
            .filter(|c| category.is_none_or(|cat| c.category.eq_ignore_ascii_case(cat)))
            .collect()
    }

    /// The connector with this ID, or `CONNECTOR_NOT_FOUND`.
    pub fn connector(&self, id: &str) -> Result<&Connector, Error> {
        self.connectors
            .get(id)
            .ok_or_else(|| Error::ConnectorNotFound(id.to_owned()))
    }

    /// A connector's action, or `CONNECTOR_NOT_FOUND` / `ACTION_NOT_FOUND`.
    pub fn action(
        &self,
        connector_id: &str,
        action_id: &str,
    ) -> Result<(&Connector, &Action), Error> {
        let connector = self.connector(connector_id)?;
        let action = connector
            .action(action_id)
            .ok_or_else(|| Error::ActionNotFound {
                connector: connector_id.to_owned(),
                action: action_id.to_owned(),
            })?;
        Ok((connector, action))
    }

    /// The categories that have at least one connector, sorted.
    pub fn categories(&self) -> Vec<&str> {
        let mut categories: Vec<&str> = self
            .connectors
            .values()
            .map(|c| c.category.as_str())
            .collect();
        categories.sort_unstable();
        categories.dedup();
        categories
    }

    /// How many connectors are loaded.
    pub fn len(&self) -> usize {
        self.connectors.len()
    }

    /// Whether no connector is loaded.
    pub fn is_empty(&self) -> bool {
        self.connectors.is_empty()
    }
}

/// Splits an `ALLOY_CONNECTORS_PATH` value (the platform's path-list syntax: `:`-separated on
/// Unix) into paths, skipping empty entries.
pub fn split_connector_paths(value: &str) -> Vec<PathBuf> {
    std::env::split_paths(value)
        .filter(|p| !p.as_os_str().is_empty())
        .collect()
}
