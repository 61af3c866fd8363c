//! `list_connectors_alloy`: the connectors this server offers — of one category, matching some
//! words, a page at a time (the catalog may hold thousands).

use std::collections::HashMap;

use alloy_connectors::{Connector, Registry};
use alloy_domain::Restrictions;
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
/// Longest query accepted.
const MAX_QUERY_CHARS: usize = 500;
/// Connectors per page by default, and at most.
const DEFAULT_LIMIT: i64 = 20;
const MAX_LIMIT: i64 = 100;
/// Action matches considered when ranking connectors by a query.
const ACTION_CANDIDATES: usize = 400;

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
                        "description": "Only connectors of this category (case-insensitive), e.g. communication, crm, developer-tools, project-management, productivity, payments, finance, support, email, e-commerce, cloud, analytics. An unknown category is an error that lists the available ones."
                    },
                    "query": {
                        "type": "string",
                        "minLength": 1,
                        "maxLength": MAX_QUERY_CHARS,
                        "description": "Words describing the platform or what you want to do with it, e.g. \"payments\", \"send sms\", \"github issues\". Best matches come first."
                    },
                    "limit": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "description": "Connectors per page (default 20)."},
                    "offset": {"type": "integer", "minimum": 0, "description": "Connectors to skip (default 0)."}
                },
                "additionalProperties": false
            }),
        )
        .with_title("List connectors")
        .with_description(
            "Lists the platforms (connectors) you can act on through this server: Slack, HubSpot, \
             GitHub, Stripe and others, with each one's ID, name, category, description and \
             accepted authentication types. Start here; then call get_connector_resources_alloy \
             with a connector's ID to see its actions. Pass `query` (words) to search, \
             `category` to list one category, and `limit`/`offset` to page: the catalog may \
             hold thousands of connectors (`total` says how many match, `hasMore` whether \
             another page follows). To find an action directly, discover_action_path_alloy \
             searches every connector's actions.",
        )
        .with_output_schema(output_schema(json!({
            "type": "object",
            "properties": {
                "connectors": {
                    "type": "array",
                    "items": connector_schema()
                },
                "count": {"type": "integer", "description": "How many connectors this page holds."},
                "total": {"type": "integer", "description": "How many connectors match."},
                "limit": {"type": "integer"},
                "offset": {"type": "integer"},
                "hasMore": {"type": "boolean"},
                "categories": {"type": "array", "items": {"type": "string"}},
                "data": {"type": "array", "items": connector_schema()},
                "metadata": {"type": "object"},
                "needsRefinement": {"type": "boolean"}
            }
        })))
        .with_annotations(ToolAnnotations::read_only(false))
    }

    async fn call(&self, ctx: &McpContext, arguments: Map<String, Value>) -> CallToolResult {
        respond(list(ctx, arguments, Shaping::ForAgents))
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

/// Whether a page is cut to fit an agent's context (the tool) or answered whole (the
/// management API's `GET /api/connectors`, whose readers page with `limit`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shaping {
    ForAgents,
    Whole,
}

/// The connectors page answered whole, for the management API.
pub(crate) fn list_whole(ctx: &McpContext, arguments: Map<String, Value>) -> Result<Value, Error> {
    list(ctx, arguments, Shaping::Whole)
}

fn list(ctx: &McpContext, arguments: Map<String, Value>, shaping: Shaping) -> Result<Value, Error> {
    let args = Arguments::new(arguments, &["category", "query", "limit", "offset"])?;
    let category = args.optional_string("category", 64)?;
    let query = args.optional_string("query", MAX_QUERY_CHARS)?;
    let limit = args
        .optional_integer("limit", 1, MAX_LIMIT)?
        .unwrap_or(DEFAULT_LIMIT);
    let offset = args.optional_integer("offset", 0, i64::MAX)?.unwrap_or(0);
    let registry = &*ctx.gateway.registry();
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
    let matching: Vec<&Connector> = match &query {
        None => {
            let mut all = allowed_connectors(registry, restrictions, category.as_deref());
            // Curated connectors first: they are the ones tuned for agents.
            all.sort_by_key(|c| registry.is_summary(&c.id));
            all
        }
        Some(q) => ranked(registry, restrictions, category.as_deref(), q),
    };
    let total = matching.len();
    let start = usize::try_from(offset).unwrap_or(usize::MAX).min(total);
    let end = start
        .saturating_add(usize::try_from(limit).unwrap_or(usize::MAX))
        .min(total);
    let connectors: Vec<Value> = matching[start..end].iter().map(|c| summary(c)).collect();
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
    let shaped = match shaping {
        Shaping::ForAgents => shape_list(connectors, &guide),
        Shaping::Whole => ShapedList::Complete(connectors),
    };
    Ok(match shaped {
        ShapedList::Complete(connectors) => {
            let mut out = json!({
                "connectors": connectors,
                "count": count,
                "total": total,
                "limit": limit,
                "offset": offset,
                "hasMore": end < total,
                "categories": categories,
            });
            if let Some(q) = &query {
                out["query"] = json!(q);
            }
            out
        }
        ShapedList::Truncated(v) | ShapedList::NeedsRefinement(v) => v,
    })
}

/// The allowed connectors matching `query`, best first: a connector scores by its own name,
/// category and description, plus its best matching action; curated connectors win ties
/// against imported ones for the same words.
fn ranked<'a>(
    registry: &'a Registry,
    restrictions: &Restrictions,
    category: Option<&str>,
    query: &str,
) -> Vec<&'a Connector> {
    let allowed = |id: &str| {
        restrictions.allows_connector(id)
            && registry
                .connector(id)
                .is_ok_and(|c| category.is_none_or(|cat| c.category.eq_ignore_ascii_case(cat)))
    };
    let index = registry.index();
    let mut scores: HashMap<&str, f32> = HashMap::new();
    for hit in index.search_connectors(query, usize::MAX, |id| allowed(id)) {
        *scores.entry(hit.connector_id).or_default() += hit.score;
    }
    let mut best_action: HashMap<&str, f32> = HashMap::new();
    for hit in index.search_actions(query, ACTION_CANDIDATES, |id, _| allowed(id)) {
        let best = best_action.entry(hit.connector_id).or_default();
        *best = best.max(hit.score);
    }
    for (id, s) in best_action {
        *scores.entry(id).or_default() += 0.5 * s;
    }
    let mut ranked: Vec<(&Connector, f32)> = scores
        .into_iter()
        .filter_map(|(id, s)| {
            let c = registry.connector(id).ok()?;
            let curated = if registry.is_summary(id) { 1.0 } else { 1.5 };
            Some((c, s * curated))
        })
        .collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.id.cmp(&b.0.id)));
    ranked.into_iter().map(|(c, _)| c).collect()
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
