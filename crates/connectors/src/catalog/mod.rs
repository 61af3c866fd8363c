//! The catalog: the built-in documents compiled into the crate, and what an operator imports —
//! readable IDs, categories, Swagger/YAML conversion, compact stored summaries with their
//! details kept aside, and the search index over every action.

pub mod categories;
pub mod detail;
pub mod ids;
pub mod import;
pub mod index;
mod parse;
pub mod search;
pub mod stored;
mod swagger;
pub mod terms;

include!(concat!(env!("OUT_DIR"), "/catalog.rs"));

/// `(file name, document text)` of every built-in document, sorted by file name.
pub fn builtin_documents() -> &'static [(&'static str, &'static str)] {
    BUILTIN_DOCUMENTS
}
