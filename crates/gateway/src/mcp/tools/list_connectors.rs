//! `list_connectors_alloy`: the connectors this server offers, optionally of one category.

use alloy_connectors::Connector;
use alloy_mcp_protocol::{CallToolResult, Tool, ToolAnnotations, ToolDefinition};
use async_trait::async_trait;
use serde_json::{Map, Value, json};

use super::arguments::{Arguments, invalid};
use super::{output_schema, respond};
use crate::actions::{allowed_categories, allowed_connectors};
use crate::error::Error;
use crate::mcp::McpContext;
use crate::shaping::{
    NarrowingParameter, ParameterRole, RefinementGuide, ShapedList, shape_list, truncate_chars,
};

/// Longest connector description in the listing.
const DESCRIPTION_CHARS: usize = 300;

/// Lists the connectors (platforms) this server allows.
pub struct ListConnectors;

#[async_trait]
impl Tool<McpContext> for ListConnectors {
    fn definition(&self) -> ToolDefinition {
        ToolDefinition::new(
            "list_connectors_alloy",
            json!({
                "type": "object",
                "properties": {
                    "category": {
                        "type": "string",
                        "minLength": 1,
                        "maxLength": 64,
                        "description": "Only connectors of this category (case-insensitive), e.g. communication, crm, developer-tools, project-management, productivity, payments, support, email, e-commerce. An unknown category is an error that lists the available ones."
                    }
                },
                "additionalProperties": false
            }),
        )
        .with_title("List connectors")
        .with_description(
            "Lists the platforms (connectors) you can act on through this server: Slack, HubSpot, \
             GitHub, Stripe and others, with each one's ID, name, category, description and \
             accepted authentication types. Start here; then call get_connector_resources_alloy \
             with a connector's ID to see its actions. Pass `category` to list one category only. \
             A long list comes back shortened (first 25 with `metadata`) or as refinement advice \
             (`needsRefinement`).",
        )
        .with_output_schema(output_schema(json!({
            "type": "object",
            "properties": {
                "connectors": {
                    "type": "array",
                    "items": connector_schema()
                },
                "count": {"type": "integer", "description": "How many connectors match."},
                "categories": {"type": "array", "items": {"type": "string"}},
                "data": {"type": "array", "items": connector_schema()},
                "metadata": {"type": "object"},
                "needsRefinement": {"type": "boolean"}
            }
        })))
        .with_annotations(ToolAnnotations::read_only(false))
    }

    async fn call(&self, ctx: &McpContext, arguments: Map<String, Value>) -> CallToolResult {
        respond(list(ctx, arguments))
    }
}

fn connector_schema() -> Value {
    json!({
        "type": "object",
        "properties": {
            "id": {"type": "string"},
            "name": {"type": "string"},
            "category": {"type": "string"},
            "description": {"type": "string"},
            "authTypes": {"type": "array", "items": {"type": "string"}}
        },
        "required": ["id", "name", "category"]
    })
}

fn list(ctx: &McpContext, arguments: Map<String, Value>) -> Result<Value, Error> {
    let args = Arguments::new(arguments, &["category"])?;
    let category = args.optional_string("category", 64)?;
    let registry = ctx.gateway.registry();
    let restrictions = &ctx.server.restrictions;
    let categories = allowed_categories(registry, restrictions);
    if let Some(category) = &category
        && !categories.iter().any(|c| c.eq_ignore_ascii_case(category))
    {
        let shown = truncate_chars(category, 64);
        return Err(invalid(
            "category",
            "enum",
            json!(categories),
            format!(
                "Unknown category '{shown}'; the categories available are: {}",
                categories.join(", ")
            ),
        ));
    }
    let connectors: Vec<Value> = allowed_connectors(registry, restrictions, category.as_deref())
        .into_iter()
        .map(summary)
        .collect();
    let count = connectors.len();
    let guide = RefinementGuide::new("connectors", "list_connectors_alloy").with_parameter(
        NarrowingParameter {
            name: "category".into(),
            location: "argument".into(),
            description: format!("One of {}", categories.join(", ")),
            role: ParameterRole::Filter,
            example: None,
        },
    );
    Ok(match shape_list(connectors, &guide) {
        ShapedList::Complete(connectors) => json!({
            "connectors": connectors,
            "count": count,
            "categories": categories,
        }),
        ShapedList::Truncated(v) | ShapedList::NeedsRefinement(v) => v,
    })
}

/// One connector as the listing shows it.
fn summary(c: &Connector) -> Value {
    let auth_types: Vec<&str> = c.auth_types().into_iter().map(|t| t.as_str()).collect();
    json!({
        "id": c.id,
        "name": c.name,
        "category": c.category,
        "description": truncate_chars(&c.description, DESCRIPTION_CHARS),
        "authTypes": auth_types,
    })
}
