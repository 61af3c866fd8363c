//! The category list: the built-in catalog's categories plus those of the public OpenAPI
//! directory (`info.x-apisguru-categories`), mapped onto one documented set.

use serde_json::{Map, Value};

/// The categories of the built-in catalog (`info.x-alloy-category` of curated documents).
pub const CURATED: &[&str] = &[
    "communication",
    "crm",
    "developer-tools",
    "project-management",
    "productivity",
    "payments",
    "support",
    "email",
    "e-commerce",
];

/// The further categories imported documents may have, from the directory's list; `other` for
/// a document that names none we know.
pub const IMPORTED: &[&str] = &[
    "finance",
    "marketing",
    "analytics",
    "cloud",
    "hosting",
    "storage",
    "backend",
    "monitoring",
    "security",
    "machine-learning",
    "search",
    "text",
    "media",
    "entertainment",
    "social",
    "location",
    "transport",
    "iot",
    "education",
    "enterprise",
    "forms",
    "open-data",
    "other",
];

/// Every category a connector can have.
pub fn all() -> impl Iterator<Item = &'static str> {
    CURATED.iter().chain(IMPORTED).copied()
}

/// Our category for one of the directory's: `messaging` → `communication`,
/// `customer_relation` → `crm`, `payment` → `payments`, …; `None` for a word we do not know.
pub fn from_directory(category: &str) -> Option<&'static str> {
    let mapped = match category.trim().to_ascii_lowercase().as_str() {
        "messaging" | "telecom" => "communication",
        "customer_relation" | "crm" => "crm",
        "developer_tools" | "developer-tools" => "developer-tools",
        "project_management" | "project-management" => "project-management",
        "collaboration" | "time_management" | "tools" | "productivity" => "productivity",
        "payment" | "payments" => "payments",
        "financial" | "finance" => "finance",
        "ecommerce" | "e-commerce" => "e-commerce",
        "machine_learning" | "machine-learning" => "machine-learning",
        "open_data" | "open-data" => "open-data",
        other => return all().find(|c| *c == other),
    };
    Some(mapped)
}

/// The category of a document without `x-alloy-category`: the first of its
/// `x-apisguru-categories` that we know, else `other`.
pub fn of_document(info: &Map<String, Value>) -> String {
    let listed: Vec<&str> = match info.get("x-apisguru-categories") {
        Some(Value::Array(list)) => list.iter().filter_map(Value::as_str).collect(),
        // Seen in the wild: one category as a plain string.
        Some(Value::String(one)) => vec![one.as_str()],
        _ => Vec::new(),
    };
    listed
        .into_iter()
        .find_map(from_directory)
        .unwrap_or("other")
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn directory_categories_map_onto_ours() {
        assert_eq!(from_directory("messaging"), Some("communication"));
        assert_eq!(from_directory("customer_relation"), Some("crm"));
        assert_eq!(from_directory("open_data"), Some("open-data"));
        assert_eq!(from_directory("cloud"), Some("cloud"));
        assert_eq!(from_directory("nonsense"), None);
        for c in all() {
            assert_eq!(from_directory(c), Some(c), "{c} maps to itself");
        }
    }

    #[test]
    fn documents_take_their_first_known_category() {
        let info = json!({"x-apisguru-categories": ["bogus", "financial", "cloud"]});
        assert_eq!(of_document(info.as_object().unwrap()), "finance");
        let info = json!({"x-apisguru-categories": "security"});
        assert_eq!(of_document(info.as_object().unwrap()), "security");
        assert_eq!(of_document(&Map::new()), "other");
    }
}
