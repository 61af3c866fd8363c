//! The outcome of one tool call, and its wire form in each protocol revision.

use std::sync::Arc;

use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use crate::prebuilt::PerRevision;
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

/// What a tool returns. A failed call is still a result (with [`is_error`](Self::is_error)) so
/// that the model sees what went wrong; only protocol problems become JSON-RPC errors.
///
/// A result is immutable and cheap to clone (its parts are shared), and it keeps the wire
/// form it was answered with, per revision, shared by its clones: a tool that hands out clones
/// of one kept result (an answer cache) neither copies it nor serialises it again per call.
#[derive(Debug, Clone)]
pub struct CallToolResult {
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    content: Vec<Content>,
    structured_content: Option<Value>,
    is_error: bool,
    wire: WireForms,
}

impl PartialEq for CallToolResult {
    fn eq(&self, other: &Self) -> bool {
        self.content() == other.content()
            && self.structured_content() == other.structured_content()
            && self.is_error() == other.is_error()
    }
}

/// The serialised forms of one result: per revision, the dispatcher that made them (its server
/// identity is in them) and the bytes.
type WireForms = PerRevision<(u64, Arc<RawValue>)>;

impl CallToolResult {
    fn new(content: Vec<Content>, structured_content: Option<Value>, is_error: bool) -> Self {
        CallToolResult {
            shared: Arc::new(Shared {
                content,
                structured_content,
                is_error,
                wire: WireForms::default(),
            }),
        }
    }

    /// A success carrying `value` twice: serialised as a text block (for clients that only
    /// read `content`, as the specification recommends) and as `structuredContent`.
    pub fn json(value: Value) -> Self {
        Self::new(vec![Content::Text(value.to_string())], Some(value), false)
    }

    /// A failure carrying `value` the same two ways as [`CallToolResult::json`].
    pub fn error(value: Value) -> Self {
        Self::new(vec![Content::Text(value.to_string())], Some(value), true)
    }

    /// A success with plain text and no structured content.
    pub fn text(text: impl Into<String>) -> Self {
        Self::new(vec![Content::Text(text.into())], None, false)
    }

    /// This result with one more text block after its content (a new result: this one, and
    /// any clone of it, is unchanged).
    pub fn with_text(self, text: impl Into<String>) -> Self {
        let mut content = self.shared.content.clone();
        content.push(Content::Text(text.into()));
        Self::new(
            content,
            self.shared.structured_content.clone(),
            self.shared.is_error,
        )
    }

    /// Unstructured content.
    pub fn content(&self) -> &[Content] {
        &self.shared.content
    }

    /// The same information as JSON, for clients that read `structuredContent`.
    pub fn structured_content(&self) -> Option<&Value> {
        self.shared.structured_content.as_ref()
    }

    /// True when the call failed.
    pub fn is_error(&self) -> bool {
        self.shared.is_error
    }

    /// The complete wire form for `revision` as `owner` (a dispatcher) answers it, with
    /// `completion` (2026-07-28's `resultType` and `_meta`) when given: the kept bytes when
    /// this result, or a clone of it, was answered so before; serialised straight from the
    /// parts otherwise (no copy of the text or the value). `None` only if serialising failed.
    pub(crate) fn wire_form(
        &self,
        revision: ProtocolVersion,
        owner: u64,
        completion: Option<&Value>,
    ) -> Option<Arc<RawValue>> {
        let make = || {
            serde_json::value::to_raw_value(&Wire {
                result: self,
                revision,
                completion,
            })
            .ok()
            .map(Arc::from)
        };
        let slot = self.shared.wire.slot(revision);
        match slot.get() {
            Some((o, raw)) if *o == owner => Some(Arc::clone(raw)),
            // Made by another dispatcher: its server identity is in those bytes.
            Some(_) => make(),
            None => {
                let raw = make()?;
                let _ = slot.set((owner, Arc::clone(&raw)));
                Some(raw)
            }
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
            Value::Array(self.content().iter().map(Content::to_wire).collect()),
        );
        if revision.has_structured_output()
            && let Some(value) = self.structured_content()
            && (value.is_object() || !revision.structured_output_must_be_object())
        {
            obj.insert("structuredContent".into(), value.clone());
        }
        obj.insert("isError".into(), Value::Bool(self.is_error()));
        obj
    }
}

/// A result's wire form, serialised from borrowed fields. Keys in the order of
/// [`CallToolResult::to_wire`] followed by the completion's.
struct Wire<'a> {
    result: &'a CallToolResult,
    revision: ProtocolVersion,
    completion: Option<&'a Value>,
}

/// `{"type": "text", "text": …}` for each block.
struct Blocks<'a>(&'a [Content]);

impl Serialize for Blocks<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter().map(|c| match c {
            Content::Text(text) => TextBlock(text),
        }))
    }
}

struct TextBlock<'a>(&'a str);

impl Serialize for TextBlock<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut m = serializer.serialize_map(Some(2))?;
        m.serialize_entry("type", "text")?;
        m.serialize_entry("text", self.0)?;
        m.end()
    }
}

impl Serialize for Wire<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let r = self.result;
        let mut m = serializer.serialize_map(None)?;
        m.serialize_entry("content", &Blocks(r.content()))?;
        if self.revision.has_structured_output()
            && let Some(value) = r.structured_content()
            && (value.is_object() || !self.revision.structured_output_must_be_object())
        {
            m.serialize_entry("structuredContent", value)?;
        }
        m.serialize_entry("isError", &r.is_error())?;
        if let Some(Value::Object(completion)) = self.completion {
            for (k, v) in completion {
                m.serialize_entry(k, v)?;
            }
        }
        m.end()
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
        let Content::Text(text) = &r.content()[0];
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

    #[test]
    fn the_wire_form_is_the_built_one_made_once_and_shared_by_clones() {
        let r = CallToolResult::json(json!({"a": [1, "x"], "b": "q\"uote"}));
        let completion = json!({"resultType": "complete", "_meta": {"k": 1}});
        for v in ProtocolVersion::ALL {
            let mut built = r.to_wire(v);
            if let Value::Object(c) = &completion {
                built.extend(c.clone());
            }
            let raw = r.wire_form(v, 7, Some(&completion)).unwrap();
            assert_eq!(raw.get(), serde_json::to_string(&built).unwrap(), "{v}");
        }
        let v = ProtocolVersion::V2026_07_28;
        let first = r.wire_form(v, 7, Some(&completion)).unwrap();
        let clone = r.clone();
        assert!(Arc::ptr_eq(
            &first,
            &clone.wire_form(v, 7, Some(&completion)).unwrap()
        ));
        // Another dispatcher is not served the kept bytes; a result made from this one has its own.
        assert!(!Arc::ptr_eq(
            &first,
            &clone.wire_form(v, 8, Some(&completion)).unwrap()
        ));
        let more = r.clone().with_text("and more");
        let raw = more.wire_form(v, 7, Some(&completion)).unwrap();
        assert!(raw.get().contains("and more"), "{}", raw.get());
        let again = r.wire_form(v, 7, Some(&completion)).unwrap();
        assert!(!again.get().contains("and more"));
        assert_eq!(r.content().len(), 1, "the original is unchanged");
    }
}
