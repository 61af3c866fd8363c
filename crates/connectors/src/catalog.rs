//! The built-in catalog: every `catalog/*.json` document, compiled in by `build.rs`.

include!(concat!(env!("OUT_DIR"), "/catalog.rs"));

/// `(file name, document text)` of every built-in document, sorted by file name.
pub fn builtin_documents() -> &'static [(&'static str, &'static str)] {
    BUILTIN_DOCUMENTS
}
