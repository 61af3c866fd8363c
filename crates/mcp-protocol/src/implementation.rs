//! Who is speaking: the name, version and title of an MCP server or client (`Implementation`
//! in the MCP schema).

use serde_json::{Map, Value};

use crate::version::ProtocolVersion;

/// The identity of an MCP implementation. The embedding application passes the server's own
/// to [`crate::Dispatcher::new`]; clients of 2026-07-28 send theirs in each request's `_meta`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Implementation {
    /// Programmatic name, e.g. `alloy-mcp-server`.
    pub name: String,
    /// Version, e.g. `0.1.0`.
    pub version: String,
    /// Display name; sent from revision 2025-06-18 on.
    pub title: Option<String>,
}

impl Implementation {
    /// An identity without a title.
    pub fn new(name: impl Into<String>, version: impl Into<String>) -> Self {
        Implementation {
            name: name.into(),
            version: version.into(),
            title: None,
        }
    }

    /// The same identity with a display title.
    pub fn with_title(mut self, title: impl Into<String>) -> Self {
        self.title = Some(title.into());
        self
    }

    /// Reads `{"name": string, "version": string, "title"?: string}`; `None` when the
    /// required members are missing or any of them has the wrong type.
    pub fn from_value(value: &Value) -> Option<Implementation> {
        let obj = value.as_object()?;
        let name = obj.get("name")?.as_str()?.to_owned();
        let version = obj.get("version")?.as_str()?.to_owned();
        let title = match obj.get("title") {
            None => None,
            Some(t) => Some(t.as_str()?.to_owned()),
        };
        Some(Implementation {
            name,
            version,
            title,
        })
    }

    /// The wire form for `revision` (2025-03-26 has no `title`).
    pub(crate) fn to_wire(&self, revision: ProtocolVersion) -> Value {
        let mut obj = Map::new();
        obj.insert("name".into(), Value::String(self.name.clone()));
        if revision.has_titles()
            && let Some(title) = &self.title
        {
            obj.insert("title".into(), Value::String(title.clone()));
        }
        obj.insert("version".into(), Value::String(self.version.clone()));
        Value::Object(obj)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn wire_form_drops_title_before_2025_06_18() {
        let me = Implementation::new("alloy", "1.2.3").with_title("Alloy");
        assert_eq!(
            me.to_wire(ProtocolVersion::V2025_03_26),
            json!({"name":"alloy","version":"1.2.3"})
        );
        for v in [
            ProtocolVersion::V2025_06_18,
            ProtocolVersion::V2025_11_25,
            ProtocolVersion::V2026_07_28,
        ] {
            assert_eq!(
                me.to_wire(v),
                json!({"name":"alloy","title":"Alloy","version":"1.2.3"})
            );
        }
    }

    #[test]
    fn from_value_requires_name_and_version_strings() {
        let ok =
            Implementation::from_value(&json!({"name":"c","version":"1","title":"C","extra":1}));
        assert_eq!(ok, Some(Implementation::new("c", "1").with_title("C")));
        assert_eq!(Implementation::from_value(&json!({"name":"c"})), None);
        assert_eq!(
            Implementation::from_value(&json!({"name":"c","version":1})),
            None
        );
        assert_eq!(
            Implementation::from_value(&json!({"name":"c","version":"1","title":5})),
            None
        );
        assert_eq!(Implementation::from_value(&json!("c")), None);
    }
}
