//! The [`Tool`] trait an application implements once per tool, and the tool's description.

use async_trait::async_trait;
use serde_json::{Map, Value};

use crate::call_result::CallToolResult;
use crate::error::Error;
use crate::version::ProtocolVersion;

/// One MCP tool.
///
/// `C` is the caller context the application builds for each request (who is calling, on
/// which server, with which credentials); the dispatcher hands it through untouched.
///
/// Failures the model can act on (bad arguments, a refused action, a remote API error) are
/// results made with [`CallToolResult::error`], never panics: a tool must not panic.
#[async_trait]
pub trait Tool<C: Send + Sync>: Send + Sync {
    /// The tool's name, schemas and hints. Called once, when the tool is registered in a
    /// [`crate::ToolSet`].
    fn definition(&self) -> ToolDefinition;

    /// Runs the tool. `arguments` is the call's `arguments` object (empty when the client
    /// sent none); checking it against the input schema is the tool's job.
    async fn call(&self, ctx: &C, arguments: Map<String, Value>) -> CallToolResult;
}

/// Behaviour hints shown to clients. All are hints, never guarantees; `None` leaves the
/// specification's default (read-only false, destructive true, idempotent false, open-world
/// true).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ToolAnnotations {
    /// `readOnlyHint`: the tool does not change its environment.
    pub read_only_hint: Option<bool>,
    /// `destructiveHint`: the tool may delete or overwrite (meaningful when not read-only).
    pub destructive_hint: Option<bool>,
    /// `idempotentHint`: repeating a call with the same arguments has no further effect.
    pub idempotent_hint: Option<bool>,
    /// `openWorldHint`: the tool reaches entities outside this server (e.g. a SaaS API).
    pub open_world_hint: Option<bool>,
}

impl ToolAnnotations {
    /// The hints of a tool that only reads: read-only, so neither destructive nor different
    /// when repeated, and open-world as given.
    pub fn read_only(open_world: bool) -> Self {
        ToolAnnotations {
            read_only_hint: Some(true),
            destructive_hint: Some(false),
            idempotent_hint: Some(true),
            open_world_hint: Some(open_world),
        }
    }

    fn is_empty(&self) -> bool {
        *self == ToolAnnotations::default()
    }
}

/// What `tools/list` says about a tool.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolDefinition {
    /// Unique name: 1 to 128 characters of `A-Z a-z 0-9 _ - .`.
    pub name: String,
    /// Display name.
    pub title: Option<String>,
    /// What the tool does, for the model.
    pub description: Option<String>,
    /// JSON Schema of `arguments`: an object schema (`"type": "object"`).
    pub input_schema: Value,
    /// JSON Schema of `structuredContent`, when the tool promises a shape.
    pub output_schema: Option<Value>,
    /// Behaviour hints.
    pub annotations: ToolAnnotations,
}

/// Longest tool name the specification recommends.
const MAX_NAME_LEN: usize = 128;

impl ToolDefinition {
    /// A definition with only a name and an input schema.
    pub fn new(name: impl Into<String>, input_schema: Value) -> Self {
        ToolDefinition {
            name: name.into(),
            title: None,
            description: None,
            input_schema,
            output_schema: None,
            annotations: ToolAnnotations::default(),
        }
    }

    /// Sets the display title.
    pub fn with_title(mut self, title: impl Into<String>) -> Self {
        self.title = Some(title.into());
        self
    }

    /// Sets the description.
    pub fn with_description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }

    /// Sets the output schema.
    pub fn with_output_schema(mut self, schema: Value) -> Self {
        self.output_schema = Some(schema);
        self
    }

    /// Sets the behaviour hints.
    pub fn with_annotations(mut self, annotations: ToolAnnotations) -> Self {
        self.annotations = annotations;
        self
    }

    /// Checks what every MCP revision requires of a tool, so that a bad definition fails at
    /// start-up rather than in a client.
    pub fn validate(&self) -> Result<(), Error> {
        let fail = |reason| {
            Err(Error::InvalidToolDefinition {
                name: self.name.clone(),
                reason,
            })
        };
        if self.name.is_empty() || self.name.len() > MAX_NAME_LEN {
            return fail("the name must be 1 to 128 characters long");
        }
        if !self
            .name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
        {
            return fail("the name may only hold A-Z, a-z, 0-9, '_', '-' and '.'");
        }
        if !is_object_schema(&self.input_schema) {
            return fail("the input schema must be a JSON object with \"type\": \"object\"");
        }
        if self.output_schema.as_ref().is_some_and(|s| !s.is_object()) {
            return fail("the output schema must be a JSON object");
        }
        Ok(())
    }

    /// The `Tool` object of `tools/list` for `revision`.
    ///
    /// 2025-03-26 has no `title` or `outputSchema`: the title moves to `annotations.title`
    /// there. 2025-06-18 and 2025-11-25 only accept object output schemas, so another shape
    /// is left out for them.
    pub(crate) fn to_wire(&self, revision: ProtocolVersion) -> Value {
        let mut obj = Map::new();
        obj.insert("name".into(), Value::String(self.name.clone()));
        if revision.has_titles()
            && let Some(title) = &self.title
        {
            obj.insert("title".into(), Value::String(title.clone()));
        }
        if let Some(description) = &self.description {
            obj.insert("description".into(), Value::String(description.clone()));
        }
        obj.insert("inputSchema".into(), self.input_schema.clone());
        if revision.has_structured_output()
            && let Some(schema) = &self.output_schema
            && (!revision.structured_output_must_be_object() || is_object_schema(schema))
        {
            obj.insert("outputSchema".into(), schema.clone());
        }
        let legacy_title = if revision.has_titles() {
            None
        } else {
            self.title.as_deref()
        };
        if !self.annotations.is_empty() || legacy_title.is_some() {
            let a = &self.annotations;
            let mut ann = Map::new();
            if let Some(title) = legacy_title {
                ann.insert("title".into(), Value::String(title.to_owned()));
            }
            for (key, hint) in [
                ("readOnlyHint", a.read_only_hint),
                ("destructiveHint", a.destructive_hint),
                ("idempotentHint", a.idempotent_hint),
                ("openWorldHint", a.open_world_hint),
            ] {
                if let Some(hint) = hint {
                    ann.insert(key.into(), Value::Bool(hint));
                }
            }
            obj.insert("annotations".into(), Value::Object(ann));
        }
        Value::Object(obj)
    }
}

fn is_object_schema(schema: &Value) -> bool {
    schema.get("type").and_then(Value::as_str) == Some("object")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn full() -> ToolDefinition {
        ToolDefinition::new("list_things", json!({"type":"object","properties":{}}))
            .with_title("List things")
            .with_description("Lists things.")
            .with_output_schema(json!({"type":"object"}))
            .with_annotations(ToolAnnotations::read_only(true))
    }

    #[test]
    fn wire_form_for_current_revisions() {
        let expected = json!({
            "name": "list_things",
            "title": "List things",
            "description": "Lists things.",
            "inputSchema": {"type":"object","properties":{}},
            "outputSchema": {"type":"object"},
            "annotations": {"readOnlyHint": true, "destructiveHint": false, "idempotentHint": true, "openWorldHint": true}
        });
        for v in [
            ProtocolVersion::V2025_06_18,
            ProtocolVersion::V2025_11_25,
            ProtocolVersion::V2026_07_28,
        ] {
            assert_eq!(full().to_wire(v), expected, "{v}");
        }
    }

    #[test]
    fn wire_form_for_2025_03_26_moves_title_and_drops_output_schema() {
        assert_eq!(
            full().to_wire(ProtocolVersion::V2025_03_26),
            json!({
                "name": "list_things",
                "description": "Lists things.",
                "inputSchema": {"type":"object","properties":{}},
                "annotations": {"title": "List things", "readOnlyHint": true, "destructiveHint": false, "idempotentHint": true, "openWorldHint": true}
            })
        );
    }

    #[test]
    fn non_object_output_schema_only_goes_to_2026() {
        let d = full().with_output_schema(json!({"type":"array"}));
        assert!(
            d.to_wire(ProtocolVersion::V2025_11_25)
                .get("outputSchema")
                .is_none()
        );
        assert_eq!(
            d.to_wire(ProtocolVersion::V2026_07_28)["outputSchema"],
            json!({"type":"array"})
        );
    }

    #[test]
    fn minimal_definition_has_no_optional_members() {
        let d = ToolDefinition::new("t", json!({"type":"object"}));
        assert_eq!(
            d.to_wire(ProtocolVersion::V2026_07_28),
            json!({"name":"t","inputSchema":{"type":"object"}})
        );
        assert_eq!(
            d.to_wire(ProtocolVersion::V2025_03_26),
            json!({"name":"t","inputSchema":{"type":"object"}})
        );
    }

    #[test]
    fn validation() {
        assert!(full().validate().is_ok());
        let schema = json!({"type":"object"});
        for bad_name in ["", "has space", "ünïcode", "a,b", &"x".repeat(129)] {
            assert!(
                ToolDefinition::new(bad_name, schema.clone())
                    .validate()
                    .is_err(),
                "{bad_name}"
            );
        }
        assert!(
            ToolDefinition::new("a.b-c_D9", schema.clone())
                .validate()
                .is_ok()
        );
        assert!(
            ToolDefinition::new("t", json!({"type":"array"}))
                .validate()
                .is_err()
        );
        assert!(ToolDefinition::new("t", json!(null)).validate().is_err());
        assert!(
            ToolDefinition::new("t", schema)
                .with_output_schema(json!(true))
                .validate()
                .is_err()
        );
    }
}
