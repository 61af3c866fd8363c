//! `get_connector_resources_alloy`: a connector's resources and the actions in each.

use alloy_mcp_protocol::{CallToolResult, Tool, ToolAnnotations, ToolDefinition};
use async_trait::async_trait;
use serde_json::{Map, Value, json};

use super::arguments::{Arguments, MAX_ID_CHARS};
use super::{connector_id_schema, output_schema, respond};
use crate::actions::{allowed_actions, connector};
use crate::error::Error;
use crate::mcp::McpContext;
use crate::shaping::first_sentence;

/// Shows what a connector can do, grouped by resource.
pub struct GetConnectorResources;

#[async_trait]
impl Tool<McpContext> for GetConnectorResources {
    fn definition(&self) -> ToolDefinition {
        ToolDefinition::new(
            "get_connector_resources_alloy",
            json!({
                "type": "object",
                "properties": {"connectorId": connector_id_schema()},
                "required": ["connectorId"],
                "additionalProperties": false
            }),
        )
        .with_title("Get connector resources")
        .with_description(
            "Shows what a connector can do: its resources (users, channels, issues, …) and, in \
             each, the actions you can execute, with each action's ID, name, one-line \
             description, HTTP method and whether it only reads. Use an action's ID with \
             get_action_details_alloy to learn its parameters, then execute_action_alloy to run \
             it. If you are unsure which action fits a goal, discover_action_path_alloy ranks \
             them for you.",
        )
        .with_output_schema(output_schema(json!({
            "type": "object",
            "properties": {
                "connectorId": {"type": "string"},
                "name": {"type": "string"},
                "category": {"type": "string"},
                "description": {"type": "string"},
                "authTypes": {"type": "array", "items": {"type": "string"}},
                "actionCount": {"type": "integer"},
                "resources": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "name": {"type": "string"},
                            "description": {"type": "string"},
                            "actions": {
                                "type": "array",
                                "items": {
                                    "type": "object",
                                    "properties": {
                                        "id": {"type": "string"},
                                        "name": {"type": "string"},
                                        "description": {"type": "string"},
                                        "method": {"type": "string"},
                                        "readOnly": {"type": "boolean"}
                                    },
                                    "required": ["id", "name", "method", "readOnly"]
                                }
                            }
                        },
                        "required": ["name", "actions"]
                    }
                }
            },
            "required": ["connectorId", "name", "resources", "actionCount"]
        })))
        .with_annotations(ToolAnnotations::read_only(false))
    }

    async fn call(&self, ctx: &McpContext, arguments: Map<String, Value>) -> CallToolResult {
        respond(resources(ctx, arguments))
    }
}

fn resources(ctx: &McpContext, arguments: Map<String, Value>) -> Result<Value, Error> {
    let args = Arguments::new(arguments, &["connectorId"])?;
    let connector_id = args.required_string("connectorId", MAX_ID_CHARS)?;
    let restrictions = &ctx.server.restrictions;
    let connector = connector(ctx.gateway.registry(), restrictions, &connector_id)?;

    // Resources in document order; an action whose resource the document's tag list does
    // not name still gets a group of its own.
    let mut groups: Vec<(String, Option<String>, Vec<Value>)> = connector
        .resources
        .iter()
        .map(|r| (r.name.clone(), r.description.clone(), Vec::new()))
        .collect();
    let mut count = 0usize;
    for action in allowed_actions(connector, restrictions) {
        let entry = json!({
            "id": action.id,
            "name": action.name,
            "description": first_sentence(&action.description),
            "method": action.method.as_str(),
            "readOnly": action.is_read_only(),
        });
        count += 1;
        match groups
            .iter_mut()
            .find(|(name, _, _)| *name == action.resource)
        {
            Some((_, _, actions)) => actions.push(entry),
            None => groups.push((action.resource.clone(), None, vec![entry])),
        }
    }
    let resources: Vec<Value> = groups
        .into_iter()
        .filter(|(_, _, actions)| !actions.is_empty())
        .map(|(name, description, actions)| {
            let mut r = json!({"name": name, "actions": actions});
            if let Some(d) = description {
                r["description"] = Value::String(d);
            }
            r
        })
        .collect();
    let auth_types: Vec<&str> = connector
        .auth_types()
        .into_iter()
        .map(|t| t.as_str())
        .collect();
    Ok(json!({
        "connectorId": connector.id,
        "name": connector.name,
        "category": connector.category,
        "description": connector.description,
        "authTypes": auth_types,
        "actionCount": count,
        "resources": resources,
    }))
}
