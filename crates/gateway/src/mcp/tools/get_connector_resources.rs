//! `get_connector_resources_alloy`: a connector's resources and the actions in each — for a
//! connector of hundreds or thousands of actions (an imported API such as Microsoft Graph), an
//! overview of its resources first, then one resource's actions a page at a time.

use alloy_mcp_protocol::{CallToolResult, Tool, ToolAnnotations, ToolDefinition};
use async_trait::async_trait;
use std::collections::HashMap;

use alloy_connectors::{Action, Connector};
use serde_json::{Map, Value, json};

use super::arguments::{Arguments, MAX_ID_CHARS, invalid};
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
                "properties": {
                    "connectorId": connector_id_schema(),
                    "resource": {
                        "type": "string",
                        "minLength": 1,
                        "maxLength": MAX_ID_CHARS,
                        "description": "Only this resource's actions (a resource name from an earlier answer)."
                    },
                    "limit": {"type": "integer", "minimum": 1, "maximum": MAX_LISTED, "description": "Actions per page when a resource is named (default 100)."},
                    "offset": {"type": "integer", "minimum": 0, "description": "Actions to skip when a resource is named (default 0)."}
                },
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
             it. A connector with more than 200 actions answers an overview (each resource with \
             its action count); pass `resource` to see one resource's actions, a page at a time \
             (`limit`, `offset`). If you are unsure which action fits a goal, \
             discover_action_path_alloy ranks them for you.",
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
                "message": {"type": "string"},
                "resource": {"type": "string"},
                "offset": {"type": "integer"},
                "limit": {"type": "integer"},
                "hasMore": {"type": "boolean"},
                "resources": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "name": {"type": "string"},
                            "description": {"type": "string"},
                            "actionCount": {"type": "integer"},
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
                        "required": ["name"]
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

/// Most actions one answer lists; a connector with more answers an overview of its resources.
const MAX_LISTED: i64 = 200;
/// Actions per page of one resource by default.
const DEFAULT_PAGE: i64 = 100;

pub(crate) fn resources(ctx: &McpContext, arguments: Map<String, Value>) -> Result<Value, Error> {
    let args = Arguments::new(arguments, &["connectorId", "resource", "limit", "offset"])?;
    let connector_id = args.required_string("connectorId", MAX_ID_CHARS)?;
    let only = args.optional_string("resource", MAX_ID_CHARS)?;
    let limit = args.optional_integer("limit", 1, MAX_LISTED)?;
    let offset = args.optional_integer("offset", 0, i64::MAX)?;
    let restrictions = &ctx.server.restrictions;
    let registry = ctx.gateway.registry();
    let connector = connector(&registry, restrictions, &connector_id)?;
    let allowed: Vec<&Action> = allowed_actions(connector, restrictions).collect();
    let auth_types: Vec<&str> = connector
        .auth_types()
        .into_iter()
        .map(|t| t.as_str())
        .collect();
    let mut answer = json!({
        "connectorId": connector.id,
        "name": connector.name,
        "category": connector.category,
        "description": connector.description,
        "authTypes": auth_types,
        "actionCount": allowed.len(),
    });
    if let Some(resource) = only {
        let in_resource: Vec<&Action> = allowed
            .iter()
            .copied()
            .filter(|a| a.resource == resource)
            .collect();
        if in_resource.is_empty() {
            let names: Vec<&str> = groups(connector, &allowed)
                .into_iter()
                .map(|(name, _, _)| name)
                .collect();
            let shown = crate::shaping::truncate_chars(&resource, 64);
            return Err(invalid(
                "resource",
                "enum",
                json!(names),
                format!(
                    "Connector '{}' has no resource '{shown}' with actions this server allows",
                    connector.id
                ),
            ));
        }
        let limit = usize::try_from(limit.unwrap_or(DEFAULT_PAGE)).unwrap_or(usize::MAX);
        let start = usize::try_from(offset.unwrap_or(0))
            .unwrap_or(usize::MAX)
            .min(in_resource.len());
        let end = start.saturating_add(limit).min(in_resource.len());
        let description = connector
            .resources
            .iter()
            .find(|r| r.name == resource)
            .and_then(|r| r.description.clone());
        let mut group = json!({
            "name": resource,
            "actionCount": in_resource.len(),
            "actions": in_resource[start..end].iter().map(|a| entry(a)).collect::<Vec<_>>(),
        });
        if let Some(d) = description {
            group["description"] = Value::String(d);
        }
        answer["resource"] = json!(resource);
        answer["offset"] = json!(start);
        answer["limit"] = json!(limit);
        answer["hasMore"] = json!(end < in_resource.len());
        answer["resources"] = json!([group]);
        return Ok(answer);
    }
    let groups = groups(connector, &allowed);
    let overview = allowed.len() > usize::try_from(MAX_LISTED).unwrap_or(usize::MAX);
    let resources: Vec<Value> = groups
        .into_iter()
        .map(|(name, description, actions)| {
            let mut r = if overview {
                json!({"name": name, "actionCount": actions.len()})
            } else {
                json!({"name": name, "actions": actions.iter().map(|a| entry(a)).collect::<Vec<_>>()})
            };
            if let Some(d) = description {
                r["description"] = Value::String(d.to_owned());
            }
            r
        })
        .collect();
    if overview {
        answer["message"] = json!(format!(
            "{} has {} actions in {} resources: pass `resource` to list one resource's actions \
             (a page at a time), or ask discover_action_path_alloy with your goal.",
            connector.name,
            allowed.len(),
            resources.len()
        ));
    }
    answer["resources"] = Value::Array(resources);
    Ok(answer)
}

/// The allowed actions grouped by resource, in document order; an action whose resource the
/// document's tag list does not name still gets a group of its own.
fn groups<'a>(
    connector: &'a Connector,
    allowed: &[&'a Action],
) -> Vec<(&'a str, Option<&'a str>, Vec<&'a Action>)> {
    let mut groups: Vec<(&str, Option<&str>, Vec<&Action>)> = connector
        .resources
        .iter()
        .map(|r| (r.name.as_str(), r.description.as_deref(), Vec::new()))
        .collect();
    let mut index: HashMap<&str, usize> = groups
        .iter()
        .enumerate()
        .map(|(i, (name, _, _))| (*name, i))
        .collect();
    for action in allowed {
        match index.get(action.resource.as_str()) {
            Some(&i) => groups[i].2.push(action),
            None => {
                index.insert(action.resource.as_str(), groups.len());
                groups.push((action.resource.as_str(), None, vec![action]));
            }
        }
    }
    groups.retain(|(_, _, actions)| !actions.is_empty());
    groups
}

/// One action as the listing shows it.
fn entry(action: &Action) -> Value {
    json!({
        "id": action.id,
        "name": action.name,
        "description": first_sentence(&action.description),
        "method": action.method.as_str(),
        "readOnly": action.is_read_only(),
    })
}
