//! The outcome of one tool call, and its wire form in each protocol revision.

use serde_json::{Map, Value};

use crate::version::ProtocolVersion;

/// One block of a tool result's unstructured `content`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Content {
    /// `{"type": "text", "text": ...}`
    Text(String),
}

impl Content {
    fn to_wire(&self) -> Value {
        match self {
            Content::Text(text) => {
                let mut obj = Map::new();
                obj.insert("type".into(), Value::String("text".into()));
                obj.insert("text".into(), Value::String(text.clone()));
                Value::Object(obj)
            }
        }
    }
}

/// What a tool returns. A failed call is still a result (with `is_error` set) so that the
/// model sees what went wrong; only protocol problems become JSON-RPC errors.
#[derive(Debug, Clone, PartialEq)]
pub struct CallToolResult {
    /// Unstructured content.
    pub content: Vec<Content>,
    /// The same information as JSON, for clients that read `structuredContent`.
    pub structured_content: Option<Value>,
    /// True when the call failed.
    pub is_error: bool,
}

impl CallToolResult {
    /// A success carrying `value` twice: serialised as a text block (for clients that only
    /// read `content`, as the specification recommends) and as `structuredContent`.
    pub fn json(value: Value) -> Self {
        CallToolResult {
            content: vec![Content::Text(value.to_string())],
            structured_content: Some(value),
            is_error: false,
        }
    }

    /// A failure carrying `value` the same two ways as [`CallToolResult::json`].
    pub fn error(value: Value) -> Self {
        CallToolResult {
            is_error: true,
            ..Self::json(value)
        }
    }

    /// A success with plain text and no structured content.
    pub fn text(text: impl Into<String>) -> Self {
        CallToolResult {
            content: vec![Content::Text(text.into())],
            structured_content: None,
            is_error: false,
        }
    }

    /// The `CallToolResult` object for `revision` (without 2026-07-28's `resultType` and
    /// `_meta`, which the dispatcher adds to every result).
    ///
    /// 2025-03-26 has no `structuredContent`; 2025-06-18 and 2025-11-25 accept only an
    /// object there, so another value is carried by the text block alone.
    pub(crate) fn to_wire(&self, revision: ProtocolVersion) -> Map<String, Value> {
        let mut obj = Map::new();
        obj.insert(
            "content".into(),
            Value::Array(self.content.iter().map(Content::to_wire).collect()),
        );
        if revision.has_structured_output()
            && let Some(value) = &self.structured_content
            && (value.is_object() || !revision.structured_output_must_be_object())
        {
            obj.insert("structuredContent".into(), value.clone());
        }
        obj.insert("isError".into(), Value::Bool(self.is_error));
        obj
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn json_result_carries_text_and_structured_forms() {
        let r = CallToolResult::json(json!({"a": [1, "x"]}));
        assert_eq!(
            Value::Object(r.to_wire(ProtocolVersion::V2025_06_18)),
            json!({"content":[{"type":"text","text":"{\"a\":[1,\"x\"]}"}],"structuredContent":{"a":[1,"x"]},"isError":false})
        );
        // The text block parses back to the structured value.
        let Content::Text(text) = &r.content[0];
        assert_eq!(
            serde_json::from_str::<Value>(text).unwrap(),
            json!({"a": [1, "x"]})
        );
    }

    #[test]
    fn error_result_is_flagged() {
        let r = CallToolResult::error(json!({"error": {"code": "NOT_FOUND", "message": "m"}}));
        let wire = r.to_wire(ProtocolVersion::V2026_07_28);
        assert_eq!(wire["isError"], true);
        assert_eq!(wire["structuredContent"]["error"]["code"], "NOT_FOUND");
    }

    #[test]
    fn structured_content_follows_the_revision() {
        let arr = CallToolResult::json(json!([1, 2]));
        assert!(
            !arr.to_wire(ProtocolVersion::V2025_11_25)
                .contains_key("structuredContent")
        );
        assert_eq!(
            arr.to_wire(ProtocolVersion::V2026_07_28)["structuredContent"],
            json!([1, 2])
        );
        let obj = CallToolResult::json(json!({}));
        assert!(
            !obj.to_wire(ProtocolVersion::V2025_03_26)
                .contains_key("structuredContent")
        );
        assert_eq!(
            obj.to_wire(ProtocolVersion::V2025_03_26)["content"][0]["text"],
            "{}"
        );
    }

    #[test]
    fn text_result_has_no_structured_content() {
        let r = CallToolResult::text("hi");
        let wire = r.to_wire(ProtocolVersion::V2026_07_28);
        assert_eq!(
            Value::Object(wire),
            json!({"content":[{"type":"text","text":"hi"}],"isError":false})
        );
    }
}
