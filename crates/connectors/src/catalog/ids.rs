//! Connector IDs of imported documents: readable, deterministic, the same on every machine.
//!
//! From what the document says about itself — `info.x-alloy-id`, else the public directory's
//! `info.x-providerName` and `info.x-serviceName` (`googleapis.com` + `gmail` →
//! `googleapis-com-gmail`) — else the file's path relative to the imported folder
//! (`acme/billing.json` → `acme-billing`). Lower-case `[a-z0-9-]`, at most 64 characters (a
//! longer one keeps its first 55 and a hash of the whole).

use std::path::Path;

use serde_json::{Map, Value};

use crate::openapi::is_valid_connector_id;

/// Longest connector ID.
const MAX_ID: usize = 64;

/// The ID a document asks for, before clashes are resolved.
pub fn derive(info: Option<&Map<String, Value>>, relative_path: &Path) -> String {
    let text = |key: &str| {
        info.and_then(|i| i.get(key))
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
    };
    if let Some(id) = text("x-alloy-id") {
        let slugged = slug(id);
        if !slugged.is_empty() {
            return slugged;
        }
    }
    if let Some(provider) = text("x-providerName") {
        let joined = match text("x-serviceName") {
            Some(service) => format!("{provider}-{service}"),
            None => provider.to_owned(),
        };
        let slugged = slug(&joined);
        if !slugged.is_empty() {
            return slugged;
        }
    }
    let stem = relative_path.with_extension("");
    let slugged = slug(&stem.to_string_lossy());
    if slugged.is_empty() {
        "connector".to_owned()
    } else {
        slugged
    }
}

/// `text` lower-cased, every run of characters outside `[a-z0-9]` one hyphen, trimmed of
/// hyphens; shortened with a hash past 64 characters.
pub fn slug(text: &str) -> String {
    let slugged = alloy_domain::ids::slug(text);
    if slugged.len() <= MAX_ID {
        return slugged;
    }
    let head = slugged[..55].trim_end_matches('-');
    format!("{head}-{:08x}", fnv1a(slugged.as_bytes()))
}

/// `id`, or `id-2`, `id-3`, … — the first that `taken` does not hold (kept within 64
/// characters).
pub fn first_free(id: &str, taken: impl Fn(&str) -> bool) -> String {
    if !taken(id) {
        return id.to_owned();
    }
    (2u32..)
        .map(|n| {
            let suffix = format!("-{n}");
            let head = &id[..id.len().min(MAX_ID - suffix.len())];
            format!("{}{suffix}", head.trim_end_matches('-'))
        })
        .find(|candidate| !taken(candidate) && is_valid_connector_id(candidate))
        .unwrap_or_else(|| id.to_owned())
}

/// 32-bit FNV-1a: stable across machines and releases, unlike the standard library's hasher.
pub(crate) fn fnv1a(bytes: &[u8]) -> u32 {
    bytes.iter().fold(0x811c_9dc5u32, |h, b| {
        (h ^ u32::from(*b)).wrapping_mul(0x0100_0193)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn info(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap()
    }

    #[test]
    fn ids_come_from_what_the_document_says() {
        let i = info(json!({"x-providerName": "googleapis.com", "x-serviceName": "gmail"}));
        assert_eq!(
            derive(Some(&i), Path::new("x/y.json")),
            "googleapis-com-gmail"
        );
        let i = info(json!({"x-providerName": "slack.com"}));
        assert_eq!(derive(Some(&i), Path::new("slack.com.json")), "slack-com");
        let i = info(json!({"x-alloy-id": "Acme Billing", "x-providerName": "acme.com"}));
        assert_eq!(derive(Some(&i), Path::new("a.json")), "acme-billing");
        assert_eq!(
            derive(None, Path::new("github.com/ghes-3.7.json")),
            "github-com-ghes-3-7"
        );
        assert_eq!(derive(None, Path::new("???.json")), "connector");
    }

    #[test]
    fn long_ids_are_shortened_deterministically() {
        let long = "a".repeat(100);
        let id = slug(&long);
        assert_eq!(id.len(), 64);
        assert_eq!(id, slug(&long));
        assert!(is_valid_connector_id(&id));
        assert_ne!(slug(&format!("{long}b")), id);
    }

    #[test]
    fn clashes_get_the_first_free_suffix() {
        let taken = ["x", "x-2"];
        assert_eq!(first_free("x", |c| taken.contains(&c)), "x-3");
        assert_eq!(first_free("y", |c| taken.contains(&c)), "y");
    }
}
