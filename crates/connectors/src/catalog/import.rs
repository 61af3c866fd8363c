//! Importing documents: files and folders (read recursively), JSON or YAML, OpenAPI 3 or
//! Swagger 2.0, checked and turned into connector summaries with their details kept aside.
//!
//! Documents are parsed in parallel (one at a time per thread, so memory stays bounded by the
//! largest few), then given IDs in the order of their paths, so the result is the same on every
//! machine and every run whatever the threads did.

use std::collections::HashSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::Value;

use super::{detail, ids, parse, stored, swagger};
use crate::openapi::{Detail, LoadOptions, load_value};

/// Largest document accepted; larger ones are refused without being parsed.
pub const MAX_DOCUMENT_BYTES: u64 = 64 * 1024 * 1024;

/// A document file found under an imported path.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct DocumentFile {
    /// The file.
    pub path: PathBuf,
    /// Its path relative to the imported folder (the file name for a file given directly).
    pub relative: PathBuf,
}

/// A document that loaded. Only its compressed forms are kept (the summary connector itself is
/// dropped as soon as it is encoded), so that importing thousands of documents holds a few
/// bytes per action rather than the parsed structures.
#[derive(Debug)]
pub struct ImportedConnector {
    /// The connector's final ID.
    pub id: String,
    /// Where the document came from.
    pub source: String,
    /// Its category.
    pub category: String,
    /// How many actions it has.
    pub action_count: usize,
    /// The ID the document asked for, when a clash made it take another.
    pub wanted_id: Option<String>,
    /// What had to be guessed or left out.
    pub warnings: Vec<String>,
    /// The compressed summary ([`stored::decode`] reads it back).
    pub summary: Vec<u8>,
    /// The compressed details ([`detail::DetailBlob::open`] reads them).
    pub detail: Vec<u8>,
}

/// A document that did not load, and why (one line naming the place).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    /// The file (or path) concerned.
    pub source: String,
    /// Why.
    pub reason: String,
}

/// What an import did.
#[derive(Debug, Default)]
pub struct ImportReport {
    /// Documents that loaded, in path order.
    pub imported: Vec<ImportedConnector>,
    /// Documents (or paths) that did not.
    pub refused: Vec<Refused>,
}

impl ImportReport {
    /// How many actions the imported connectors have.
    pub fn action_count(&self) -> usize {
        self.imported.iter().map(|c| c.action_count).sum()
    }
}

/// Every `*.json`, `*.yaml` and `*.yml` file under `paths` (folders read recursively, hidden
/// entries skipped), sorted by path; a path that cannot be read is refused.
pub fn document_files(paths: &[PathBuf]) -> (Vec<DocumentFile>, Vec<Refused>) {
    let mut files = Vec::new();
    let mut refused = Vec::new();
    for path in paths {
        match fs::metadata(path) {
            Ok(m) if m.is_dir() => walk(path, path, &mut files, &mut refused),
            Ok(_) => files.push(DocumentFile {
                path: path.clone(),
                relative: path
                    .file_name()
                    .map(PathBuf::from)
                    .unwrap_or_else(|| path.clone()),
            }),
            Err(e) => refused.push(Refused {
                source: path.display().to_string(),
                reason: format!("cannot read: {e}"),
            }),
        }
    }
    files.sort();
    files.dedup_by(|a, b| a.path == b.path);
    (files, refused)
}

fn walk(base: &Path, dir: &Path, files: &mut Vec<DocumentFile>, refused: &mut Vec<Refused>) {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) => {
            refused.push(Refused {
                source: dir.display().to_string(),
                reason: format!("cannot list folder: {e}"),
            });
            return;
        }
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let hidden = path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with('.'));
        if hidden {
            continue;
        }
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_dir() {
            walk(base, &path, files, refused);
        } else if is_document(&path) {
            let relative = path.strip_prefix(base).unwrap_or(&path).to_path_buf();
            files.push(DocumentFile { path, relative });
        }
    }
}

fn is_document(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("json" | "yaml" | "yml")
    )
}

/// Reads, converts and loads one document under the ID it asks for.
pub fn import_file(file: &DocumentFile) -> Result<ImportedConnector, Refused> {
    let source = file.path.display().to_string();
    let refuse = |reason: String| Refused {
        source: source.clone(),
        reason,
    };
    let size = fs::metadata(&file.path)
        .map_err(|e| refuse(format!("cannot read: {e}")))?
        .len();
    if size > MAX_DOCUMENT_BYTES {
        return Err(refuse(format!(
            "the document is {size} bytes; at most {MAX_DOCUMENT_BYTES} are accepted"
        )));
    }
    let text = fs::read_to_string(&file.path).map_err(|e| refuse(format!("cannot read: {e}")))?;
    let yaml = matches!(
        file.path.extension().and_then(|e| e.to_str()),
        Some("yaml" | "yml")
    );
    import_text(&source, &file.relative, &text, yaml).map_err(refuse)
}

/// Loads one document's text; `relative` is its path relative to the imported folder.
pub fn import_text(
    source: &str,
    relative: &Path,
    text: &str,
    yaml: bool,
) -> Result<ImportedConnector, String> {
    let mut doc: Value = parse::parse_document(text, yaml)?;
    let mut warnings = Vec::new();
    if doc.get("swagger").is_some() {
        let (converted, notes) = swagger::swagger2_to_openapi3(doc)?;
        doc = converted;
        warnings.push("Swagger 2.0 document converted to OpenAPI 3".to_owned());
        warnings.extend(notes);
    }
    let wanted = ids::derive(doc.get("info").and_then(Value::as_object), relative);
    let options = LoadOptions {
        detail: Detail::Summary,
        id: Some(&wanted),
        fallback_id: None,
    };
    let loaded = load_value(source, &doc, options).map_err(|e| e.message)?;
    warnings.extend(loaded.warnings);
    let connector = loaded.connector;
    let detail = detail::build(&doc, &connector);
    Ok(ImportedConnector {
        summary: stored::encode(&connector),
        id: connector.id,
        source: connector.source,
        category: connector.category,
        action_count: connector.actions.len(),
        wanted_id: None,
        warnings,
        detail,
    })
}

/// Imports every document under `paths` on `threads` threads ([`import_files`] of
/// [`document_files`]).
pub fn import(
    paths: &[PathBuf],
    reserved: &HashSet<String>,
    threads: usize,
    progress: &(dyn Fn(&DocumentFile, usize) + Sync),
) -> ImportReport {
    let (files, refused) = document_files(paths);
    import_files(&files, refused, reserved, threads, progress)
}

/// Imports `files` on `threads` threads; `refused` are paths already found unreadable.
/// `reserved` IDs (the built-in catalog's) are never given to a document; a clash between
/// documents goes to the one whose path sorts first, the others get `-2`, `-3`, … and say so.
/// `progress` is told each document as it finishes.
pub fn import_files(
    files: &[DocumentFile],
    mut refused: Vec<Refused>,
    reserved: &HashSet<String>,
    threads: usize,
    progress: &(dyn Fn(&DocumentFile, usize) + Sync),
) -> ImportReport {
    let results: Mutex<Vec<(usize, Result<ImportedConnector, Refused>)>> =
        Mutex::new(Vec::with_capacity(files.len()));
    let next = AtomicUsize::new(0);
    let threads = threads.clamp(1, 64);
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(file) = files.get(i) else {
                        break;
                    };
                    let result = import_file(file);
                    progress(file, files.len());
                    if let Ok(mut all) = results.lock() {
                        all.push((i, result));
                    }
                }
            });
        }
    });
    let mut results = results.into_inner().unwrap_or_default();
    results.sort_by_key(|(i, _)| *i);
    let mut taken: HashSet<String> = reserved.clone();
    let mut imported = Vec::with_capacity(results.len());
    for (_, result) in results {
        let mut c = match result {
            Ok(c) => c,
            Err(r) => {
                refused.push(r);
                continue;
            }
        };
        let id = ids::first_free(&c.id, |candidate| taken.contains(candidate));
        if id != c.id {
            let renamed = match stored::with_id(&c.summary, &id) {
                Ok(bytes) => bytes,
                Err(e) => {
                    refused.push(Refused {
                        source: c.source,
                        reason: e.to_string(),
                    });
                    continue;
                }
            };
            c.warnings.push(format!(
                "connector ID `{}` is taken (by the built-in catalog or a document whose path \
                 sorts first); this one is `{id}`",
                c.id
            ));
            c.summary = renamed;
            c.wanted_id = Some(std::mem::replace(&mut c.id, id.clone()));
        }
        taken.insert(id);
        imported.push(c);
    }
    ImportReport { imported, refused }
}
