//! `get_action_details_alloy`: everything needed to call one action.

use alloy_connectors::{Action, Connector, Parameter};
use alloy_mcp_protocol::{CallToolResult, Tool, ToolAnnotations, ToolDefinition};
use async_trait::async_trait;
use serde_json::{Map, Value, json};

use super::arguments::{Arguments, MAX_ID_CHARS};
use super::{action_id_schema, connector_id_schema, output_schema, respond};
use crate::actions::{action_details, credential_fields};
use crate::error::Error;
use crate::mcp::McpContext;

/// Describes one action's parameters.
pub struct GetActionDetails;

#[async_trait]
impl Tool<McpContext> for GetActionDetails {
    fn definition(&self) -> ToolDefinition {
        ToolDefinition::new(
            "get_action_details_alloy",
            json!({
                "type": "object",
                "properties": {
                    "connectorId": connector_id_schema(),
                    "actionId": action_id_schema()
                },
                "required": ["connectorId", "actionId"],
                "additionalProperties": false
            }),
        )
        .with_title("Get action details")
        .with_description(
            "Describes one action before you execute it: what it does, its HTTP method, and \
             every parameter with where it goes (path, query, header or body), whether it is \
             required, its type, allowed values, default and description. `parametersSchema` is \
             a JSON Schema of the `parameters` object execute_action_alloy takes, and \
             `exampleCall` shows a call with the required parameters filled in. Parameters \
             marked `filledFromCredential` come from the user's credential and can be left out.",
        )
        .with_output_schema(output_schema(json!({
            "type": "object",
            "properties": {
                "connectorId": {"type": "string"},
                "actionId": {"type": "string"},
                "name": {"type": "string"},
                "description": {"type": "string"},
                "resource": {"type": "string"},
                "method": {"type": "string"},
                "path": {"type": "string"},
                "readOnly": {"type": "boolean"},
                "deprecated": {"type": "boolean"},
                "parameters": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "name": {"type": "string"},
                            "in": {"type": "string", "enum": ["path", "query", "header", "cookie", "body"]},
                            "required": {"type": "boolean"},
                            "type": {"type": "string"},
                            "description": {"type": "string"},
                            "schema": {}
                        },
                        "required": ["name", "in", "required"]
                    }
                },
                "requiredParameters": {"type": "array", "items": {"type": "string"}},
                "parametersSchema": {"type": "object"},
                "listPath": {"type": "string"},
                "pagination": {"type": "object"},
                "exampleCall": {"type": "object"}
            },
            "required": ["connectorId", "actionId", "name", "method", "parameters", "requiredParameters", "parametersSchema"]
        })))
        .with_annotations(ToolAnnotations::read_only(false))
    }

    async fn call(&self, ctx: &McpContext, arguments: Map<String, Value>) -> CallToolResult {
        respond(details(ctx, arguments).await)
    }
}

pub(crate) async fn details(
    ctx: &McpContext,
    arguments: Map<String, Value>,
) -> Result<Value, Error> {
    let args = Arguments::new(arguments, &["connectorId", "actionId"])?;
    let connector_id = args.required_string("connectorId", MAX_ID_CHARS)?;
    let action_id = args.required_string("actionId", MAX_ID_CHARS)?;
    let registry = ctx.gateway.registry();
    let (connector, action) = action_details(
        &registry,
        &ctx.server.restrictions,
        &connector_id,
        &action_id,
    )
    .await?;
    Ok(describe(connector, &action))
}

/// Whether the executor fills `p` from the credential when the call leaves it out.
fn is_credential_filled(from_credential: &[&str], p: &Parameter) -> bool {
    p.location == alloy_connectors::ParameterLocation::Path
        && from_credential.contains(&p.name.as_str())
}

/// The parameters a call must give (those the credential fills are not among them).
pub(crate) fn required_parameters(connector: &Connector, action: &Action) -> Vec<String> {
    let from_credential: Vec<&str> = credential_fields(connector).collect();
    let mut names: Vec<String> = action
        .inputs()
        .filter(|p| p.required && !is_credential_filled(&from_credential, p))
        .map(|p| p.name.clone())
        .collect();
    if action
        .request_body
        .as_ref()
        .is_some_and(|b| b.fields.is_empty() && b.required)
    {
        names.push("body".to_owned());
    }
    names
}

/// The full description of an action.
pub(crate) fn describe(connector: &Connector, action: &Action) -> Value {
    let from_credential: Vec<&str> = credential_fields(connector).collect();
    let filled = |p: &Parameter| is_credential_filled(&from_credential, p);
    let mut parameters = Vec::new();
    let mut properties = Map::new();
    let mut required = Vec::new();
    let mut example = Map::new();
    for p in action.inputs() {
        let mut entry = serde_json::to_value(p).unwrap_or(Value::Null);
        if filled(p)
            && let Some(obj) = entry.as_object_mut()
        {
            obj.insert("filledFromCredential".into(), Value::Bool(true));
        }
        parameters.push(entry);
        let mut schema = p.schema().clone();
        if let (Some(d), Some(obj)) = (&p.description, schema.as_object_mut()) {
            obj.entry("description")
                .or_insert_with(|| Value::String(d.clone()));
        }
        properties.insert(p.name.clone(), schema);
        if p.required && !filled(p) {
            required.push(p.name.clone());
            example.insert(p.name.clone(), example_value(p));
        }
    }
    // A body that is not an object of known properties is passed whole, as `body`.
    if let Some(body) = action.request_body.as_ref().filter(|b| b.fields.is_empty()) {
        parameters.push(json!({
            "name": "body",
            "in": "body",
            "required": body.required,
            "description": format!("The whole request body ({})", body.content_type),
            "schema": body.schema,
        }));
        properties.insert("body".into(), body.schema.clone());
        if body.required {
            required.push("body".to_owned());
            example.insert("body".into(), json!({}));
        }
    }
    let mut out = json!({
        "connectorId": connector.id,
        "actionId": action.id,
        "name": action.name,
        "description": action.description,
        "resource": action.resource,
        "method": action.method.as_str(),
        "path": action.path,
        "readOnly": action.is_read_only(),
        "deprecated": action.deprecated,
        "parameters": parameters,
        "requiredParameters": required,
        "parametersSchema": {
            "type": "object",
            "properties": properties,
            "required": required,
        },
        "exampleCall": {
            "connectorId": connector.id,
            "actionId": action.id,
            "parameters": example,
        },
    });
    if let Some(obj) = out.as_object_mut() {
        if let Some(list_path) = &action.list_path {
            obj.insert("listPath".into(), Value::String(list_path.clone()));
        }
        if let Some(pagination) = &action.pagination {
            obj.insert(
                "pagination".into(),
                serde_json::to_value(pagination).unwrap_or(Value::Null),
            );
        }
    }
    out
}

/// A plausible value for a required parameter: its example, default or first allowed value,
/// else a placeholder of its type.
fn example_value(p: &Parameter) -> Value {
    if let Some(v) = p.example().or(p.default_value()) {
        return v.clone();
    }
    if let Some(first) = p.enum_values().and_then(|v| v.first()) {
        return first.clone();
    }
    match p.type_name {
        Some("integer") | Some("number") => json!(1),
        Some("boolean") => json!(true),
        Some("array") => json!([]),
        Some("object") => json!({}),
        _ => Value::String(format!("<{}>", p.name)),
    }
}
