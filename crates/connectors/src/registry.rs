//! The set of loaded connectors: the built-in catalog plus operators' documents.
//!
//! Built-in connectors are held whole. Imported ones (a folder of `ALLOY_CONNECTORS_PATH`, or
//! the catalog stored by `connectors import`) are held as summaries — names, places, types —
//! and each action's full definition is loaded when it is first asked for, from the document's
//! compressed details (in memory for path documents, in the database for imported ones), then
//! kept in a bounded cache.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};

use crate::catalog::builtin_documents;
use crate::catalog::detail::DetailBlob;
use crate::catalog::import::{DocumentFile, ImportedConnector, import};
use crate::catalog::index::CatalogIndex;
use crate::catalog::stored;
use crate::error::{Error, LoadError};
use crate::model::{Action, Connector};
use crate::openapi::load_document;

/// Where the details of imported connectors are stored (the database, for the catalog that
/// `connectors import` wrote).
#[async_trait::async_trait]
pub trait DetailStore: Send + Sync + fmt::Debug {
    /// The compressed details of a connector, `None` when there are none.
    async fn details(&self, connector_id: &str) -> Result<Option<Vec<u8>>, String>;
}

/// Where a summary connector's details come from.
#[derive(Debug, Clone)]
enum DetailSource {
    /// Compressed in memory (documents loaded from `ALLOY_CONNECTORS_PATH`).
    Memory(Arc<[u8]>),
    /// In the [`DetailStore`].
    Store,
}

/// Bytes of decompressed details kept in memory at most.
const DETAIL_CACHE_BYTES: usize = 96 * 1024 * 1024;
/// Full actions kept in memory at most.
const ACTION_CACHE_ENTRIES: usize = 4096;

/// A full action by `(connector ID, action ID)`, with the tick of its last use.
type ActionCache = HashMap<(String, String), (Arc<Action>, u64)>;

#[derive(Debug, Default)]
struct Caches {
    /// Decompressed details by connector, with the tick of their last use.
    blobs: Mutex<HashMap<String, (Arc<DetailBlob>, u64)>>,
    actions: Mutex<ActionCache>,
    tick: std::sync::atomic::AtomicU64,
}

impl Caches {
    fn next_tick(&self) -> u64 {
        self.tick.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    }
}

/// Every connector the gateway knows, by ID.
///
/// Loading never stops at a broken document: each one that fails is reported as a
/// [`LoadError`] naming its file, and the others load. A document whose connector ID is already
/// taken gets the first free `-2`, `-3`, … suffix and a warning; it never silently replaces a
/// connector.
#[derive(Debug, Clone, Default)]
pub struct Registry {
    connectors: BTreeMap<String, Connector>,
    details: HashMap<String, DetailSource>,
    store: Option<Arc<dyn DetailStore>>,
    caches: Arc<Caches>,
    index: Arc<OnceLock<CatalogIndex>>,
}

/// What loading the documents of `ALLOY_CONNECTORS_PATH` said besides errors.
#[derive(Debug, Default)]
pub struct LoadReport {
    /// Documents that did not load.
    pub errors: Vec<LoadError>,
    /// `(source, warning)` for documents that loaded with guesses or omissions.
    pub warnings: Vec<(String, String)>,
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

    /// The built-in catalog (when `include_builtin`) plus the documents at `paths` (files, or
    /// folders read recursively: JSON and YAML, OpenAPI 3 or Swagger 2.0). Returns the
    /// registry and one error per document (or path) that failed.
    pub fn load(include_builtin: bool, paths: &[PathBuf]) -> (Self, Vec<LoadError>) {
        let (registry, report) = Registry::load_reporting(include_builtin, paths);
        (registry, report.errors)
    }

    /// As [`load`](Self::load), with the warnings of the documents that loaded.
    pub fn load_reporting(include_builtin: bool, paths: &[PathBuf]) -> (Self, LoadReport) {
        Registry::load_with_progress(include_builtin, paths, &|_, _| {})
    }

    /// As [`load_reporting`](Self::load_reporting); `progress` is told each document of
    /// `paths` as it finishes, with how many there are.
    pub fn load_with_progress(
        include_builtin: bool,
        paths: &[PathBuf],
        progress: &(dyn Fn(&DocumentFile, usize) + Sync),
    ) -> (Self, LoadReport) {
        let mut registry = Registry::empty();
        let mut report = LoadReport::default();
        if include_builtin {
            for (file, text) in builtin_documents() {
                let source = format!("builtin:{file}");
                if let Err(e) = registry.add_document(&source, text, None) {
                    report.errors.push(e);
                }
            }
        }
        registry.add_paths(paths, progress, &mut report);
        (registry, report)
    }

    /// The connectors of `base` plus the documents at `paths`, as
    /// [`load_with_progress`](Self::load_with_progress) loads them, in a registry of its own
    /// (its caches and search index start empty). A server that already parsed the built-in
    /// catalog to serve while the rest loads passes that registry here rather than parsing the
    /// built-in documents again.
    pub fn load_onto(
        base: &Registry,
        paths: &[PathBuf],
        progress: &(dyn Fn(&DocumentFile, usize) + Sync),
    ) -> (Self, LoadReport) {
        let mut registry = Registry {
            connectors: base.connectors.clone(),
            details: base.details.clone(),
            store: base.store.clone(),
            ..Registry::default()
        };
        let mut report = LoadReport::default();
        registry.add_paths(paths, progress, &mut report);
        (registry, report)
    }

    fn add_paths(
        &mut self,
        paths: &[PathBuf],
        progress: &(dyn Fn(&DocumentFile, usize) + Sync),
        report: &mut LoadReport,
    ) {
        if paths.is_empty() {
            return;
        }
        let reserved: HashSet<String> = self.connectors.keys().cloned().collect();
        let imported = import(paths, &reserved, crate::parallel::cores(), progress);
        for r in imported.refused {
            report.errors.push(LoadError::new(r.source, r.reason));
        }
        for c in imported.imported {
            for w in &c.warnings {
                report.warnings.push((c.source.clone(), w.clone()));
            }
            if let Err(e) = self.add_imported(c) {
                report.errors.push(e);
            }
        }
    }

    /// Loads one document whole and adds its connector. `fallback_id` is used when the
    /// document has no `info.x-alloy-id`. Refuses a connector ID that is already taken.
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
        // A clone shares its index and caches; a changed registry has its own.
        self.index = Arc::new(OnceLock::new());
        self.caches = Arc::new(Caches::default());
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

    /// Adds an imported summary whose details stay in memory, compressed.
    pub fn add_imported(&mut self, imported: ImportedConnector) -> Result<(), LoadError> {
        let connector = stored::decode(&imported.summary)
            .map_err(|e| LoadError::new(&imported.source, e.to_string()))?;
        self.add(connector)?;
        self.details
            .insert(imported.id, DetailSource::Memory(imported.detail.into()));
        Ok(())
    }

    /// Adds every `(source, summary)` stored by `connectors import`, decoding them on every core;
    /// returns one error per summary that could not be added.
    pub fn add_stored_all(&mut self, stored: &[(String, Vec<u8>)]) -> Vec<LoadError> {
        let chunk = stored.len().div_ceil(crate::parallel::cores()).max(1);
        let parts: Vec<&[(String, Vec<u8>)]> = stored.chunks(chunk).collect();
        let decoded: Vec<Vec<Result<Connector, LoadError>>> =
            crate::parallel::map(&parts, |part| {
                part.iter()
                    .map(|(source, bytes)| {
                        stored::decode(bytes).map_err(|e| LoadError::new(source, e.to_string()))
                    })
                    .collect()
            });
        let mut errors = Vec::new();
        for result in decoded.into_iter().flatten() {
            let added = result.and_then(|connector| {
                let id = connector.id.clone();
                self.add(connector)?;
                self.details.insert(id, DetailSource::Store);
                Ok(())
            });
            if let Err(e) = added {
                errors.push(e);
            }
        }
        errors
    }

    /// Where the details of stored summaries are read from.
    pub fn set_detail_store(&mut self, store: Arc<dyn DetailStore>) {
        self.store = Some(store);
    }

    /// Whether `id` is held as a summary (its actions' schemas load on demand).
    pub fn is_summary(&self, id: &str) -> bool {
        self.details.contains_key(id)
    }

    /// Connectors sorted by ID, only those of `category` (case-insensitive) when given.
    pub fn connectors(&self, category: Option<&str>) -> Vec<&Connector> {
        self.connectors
            .values()
            .filter(|c| category.is_none_or(|cat| c.category.eq_ignore_ascii_case(cat)))
            .collect()
    }

    /// The connector with this ID, or `CONNECTOR_NOT_FOUND`. For an imported connector this
    /// is its summary: use [`action_details`](Self::action_details) for an action's schemas.
    pub fn connector(&self, id: &str) -> Result<&Connector, Error> {
        self.connectors
            .get(id)
            .ok_or_else(|| Error::ConnectorNotFound(id.to_owned()))
    }

    /// A connector's action (a summary for imported connectors), or `CONNECTOR_NOT_FOUND` /
    /// `ACTION_NOT_FOUND`.
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

    /// The whole definition of an action — parameter and body schemas included — as
    /// validation, `get_action_details` and execution need it.
    pub async fn action_details(
        &self,
        connector_id: &str,
        action_id: &str,
    ) -> Result<Arc<Action>, Error> {
        let (connector, action) = self.action(connector_id, action_id)?;
        let key = (connector_id.to_owned(), action_id.to_owned());
        let tick = self.caches.next_tick();
        if let Ok(mut actions) = self.caches.actions.lock()
            && let Some((a, used)) = actions.get_mut(&key)
        {
            *used = tick;
            return Ok(Arc::clone(a));
        }
        let full = match self.details.get(connector_id) {
            // A connector held whole: its action is copied once, then served from the cache.
            None => Arc::new(action.clone()),
            Some(source) => {
                let blob = self.blob(connector_id, source).await?;
                blob.action(connector, action_id).ok_or_else(|| {
                    Error::Config(format!(
                        "the details of action `{action_id}` of connector `{connector_id}` are \
                         missing; import the document again"
                    ))
                })?
            }
        };
        if let Ok(mut actions) = self.caches.actions.lock() {
            if actions.len() >= ACTION_CACHE_ENTRIES {
                evict_oldest(&mut actions, |_| 1, 1);
            }
            actions.insert(key, (Arc::clone(&full), tick));
        }
        Ok(full)
    }

    async fn blob(
        &self,
        connector_id: &str,
        source: &DetailSource,
    ) -> Result<Arc<DetailBlob>, Error> {
        let tick = self.caches.next_tick();
        if let Ok(mut blobs) = self.caches.blobs.lock()
            && let Some((b, used)) = blobs.get_mut(connector_id)
        {
            *used = tick;
            return Ok(Arc::clone(b));
        }
        let compressed: Arc<[u8]> = match source {
            DetailSource::Memory(bytes) => Arc::clone(bytes),
            DetailSource::Store => {
                let store = self.store.as_ref().ok_or_else(|| {
                    Error::Config("no store for the imported catalog's details".into())
                })?;
                store
                    .details(connector_id)
                    .await
                    .map_err(Error::Config)?
                    .ok_or_else(|| {
                        Error::Config(format!(
                            "the details of connector `{connector_id}` are missing; import its \
                             document again"
                        ))
                    })?
                    .into()
            }
        };
        let blob =
            Arc::new(DetailBlob::open(&compressed).map_err(|e| Error::Config(e.to_string()))?);
        if let Ok(mut blobs) = self.caches.blobs.lock() {
            let held: usize = blobs.values().map(|(b, _)| b.size()).sum();
            evict_oldest(
                &mut blobs,
                |(b, _)| b.size(),
                (held + blob.size()).saturating_sub(DETAIL_CACHE_BYTES),
            );
            blobs.insert(connector_id.to_owned(), (Arc::clone(&blob), tick));
        }
        Ok(blob)
    }

    /// The search index over every connector and action (built on first use; call it once
    /// after loading so that the first search does not wait).
    pub fn index(&self) -> &CatalogIndex {
        self.index
            .get_or_init(|| CatalogIndex::build(self.connectors.values()))
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

/// Removes least recently used entries until `weight` of them is gone.
fn evict_oldest<K: Clone + Eq + std::hash::Hash, V>(
    map: &mut HashMap<K, (V, u64)>,
    weight: impl Fn(&(V, u64)) -> usize,
    mut to_free: usize,
) {
    while to_free > 0 {
        let Some(oldest) = map
            .iter()
            .min_by_key(|(_, (_, used))| *used)
            .map(|(k, _)| k.clone())
        else {
            return;
        };
        if let Some(entry) = map.remove(&oldest) {
            to_free = to_free.saturating_sub(weight(&entry).max(1));
        }
    }
}

/// Splits an `ALLOY_CONNECTORS_PATH` value (the platform's path-list syntax: `:`-separated on
/// Unix) into paths, skipping empty entries.
pub fn split_connector_paths(value: &str) -> Vec<PathBuf> {
    std::env::split_paths(value)
        .filter(|p| !p.as_os_str().is_empty())
        .collect()
}
