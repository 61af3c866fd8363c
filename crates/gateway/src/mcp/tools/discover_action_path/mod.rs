//! `discover_action_path_alloy`: which actions, in which order, reach a goal stated in words.
//!
//! The ranking is deterministic word matching, not a model: the goal and every allowed action
//! are cut into words (camelCase, `_`, `-`, `/` and `.` split; simple plurals removed; a few
//! synonyms folded together), verbs are read as intents (create, send, read, update, delete),
//! and each action scores by where the goal's other words appear (ID or name, then resource,
//! then parameter names, then description), plus a bonus when it does what the goal's verb
//! asks, minus a little for each word of its name the goal does not mention. Ties keep the
//! document's order. Without a connector, the catalog's full-text index proposes candidates
//! across every connector first ([`ranking`]).

mod goal;
mod lookups;
mod ranking;
#[cfg(test)]
mod tests;

use alloy_connectors::{Action, Connector};
use alloy_mcp_protocol::{CallToolResult, Tool, ToolAnnotations, ToolDefinition};
use async_trait::async_trait;
use serde_json::{Map, Value, json};

use super::arguments::{Arguments, MAX_ID_CHARS};
use super::get_action_details::required_parameters;
use super::{connector_id_schema, output_schema, respond};
use crate::actions::{allowed_actions, connector, needs_credential};
use crate::error::Error;
use crate::mcp::McpContext;
use crate::shaping::first_sentence;

use goal::Goal;
use lookups::lookups;
use ranking::{MAX_CANDIDATES, Ranked, across_catalog, within};

/// Longest goal accepted.
const MAX_GOAL_CHARS: usize = 1000;
/// Most alternatives listed after the best match.
const MAX_ALTERNATIVES: usize = 4;
/// Most look-up steps before the main action.
pub(super) const MAX_LOOKUPS: usize = 2;

/// Suggests a workflow of actions for a goal.
pub struct DiscoverActionPath;

#[async_trait]
impl Tool<McpContext> for DiscoverActionPath {
    fn definition(&self) -> ToolDefinition {
        ToolDefinition::new(
            "discover_action_path_alloy",
            json!({
                "type": "object",
                "properties": {
                    "connectorId": connector_id_schema(),
                    "goal": {
                        "type": "string",
                        "minLength": 1,
                        "maxLength": MAX_GOAL_CHARS,
                        "description": "What you want to achieve, in plain words, e.g. \"send message to channel\" or \"find a customer by email\"."
                    }
                },
                "required": ["goal"],
                "additionalProperties": false
            }),
        )
        .with_title("Discover action path")
        .with_description(
            "Finds the actions that achieve a goal you describe in words — across every \
             connector this server allows, or within one when you pass `connectorId` — and \
             returns an ordered workflow: check the user's credential, read the main action's \
             details, look up the IDs it needs with list actions, then execute the main action. \
             Each step names the tool, the action ID, why it is there and the parameters it \
             requires; `alternatives` lists other close matches of the chosen connector and, \
             without `connectorId`, `candidates` the best matches across connectors with why \
             each matched. Use it to find the right action among thousands.",
        )
        .with_output_schema(output_schema(json!({
            "type": "object",
            "properties": {
                "connectorId": {"type": ["string", "null"]},
                "goal": {"type": "string"},
                "recommendedAction": {"type": ["string", "null"]},
                "steps": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "step": {"type": "integer"},
                            "tool": {"type": "string"},
                            "actionId": {"type": "string"},
                            "name": {"type": "string"},
                            "why": {"type": "string"},
                            "arguments": {"type": "object"},
                            "requiredParameters": {"type": "array", "items": {"type": "string"}}
                        },
                        "required": ["step", "tool", "why"]
                    }
                },
                "alternatives": {"type": "array", "items": {"type": "object"}},
                "candidates": {"type": "array", "items": {"type": "object"}},
                "message": {"type": "string"}
            },
            "required": ["connectorId", "goal", "recommendedAction", "steps", "alternatives"]
        })))
        .with_annotations(ToolAnnotations::read_only(false))
    }

    async fn call(&self, ctx: &McpContext, arguments: Map<String, Value>) -> CallToolResult {
        respond(discover(ctx, arguments))
    }
}

pub(crate) fn discover(ctx: &McpContext, arguments: Map<String, Value>) -> Result<Value, Error> {
    let args = Arguments::new(arguments, &["connectorId", "goal"])?;
    let connector_id = args.optional_string("connectorId", MAX_ID_CHARS)?;
    let goal_text = args.required_string("goal", MAX_GOAL_CHARS)?;
    let goal = Goal::parse(&goal_text);
    let restrictions = &ctx.server.restrictions;
    let registry = ctx.gateway.registry();
    let workflow = |connector| {
        let allowed: Vec<&Action> = allowed_actions(connector, restrictions).collect();
        let ranked = within(
            &registry,
            restrictions,
            connector,
            &allowed,
            &goal,
            &goal_text,
        );
        plan(connector, ranked, &allowed, &goal_text)
    };
    if let Some(connector_id) = connector_id {
        return Ok(workflow(connector(&registry, restrictions, &connector_id)?));
    }
    let candidates = across_catalog(&registry, restrictions, &goal, &goal_text);
    let Some(best) = candidates.first() else {
        return Ok(json!({
            "connectorId": null,
            "goal": goal_text,
            "recommendedAction": null,
            "steps": [],
            "alternatives": [],
            "candidates": [],
            "message": "No action of any connector on this server matches this goal. Try other \
                        words: the platform, the kind of object (message, customer, issue) and \
                        what to do with it (send, list, refund, delete); list_connectors_alloy \
                        with a `query` finds platforms.",
        }));
    };
    let connector = best.connector;
    let listed: Vec<Value> = candidates
        .iter()
        .take(MAX_CANDIDATES)
        .map(|c| {
            let mut why: Vec<String> = Vec::new();
            if c.ranked.score.intent_matched {
                why.push(c.ranked.intent.verb().to_owned());
            }
            why.extend(c.ranked.score.matched.iter().cloned());
            json!({
                "connectorId": c.connector.id,
                "connectorName": c.connector.name,
                "actionId": c.ranked.action.id,
                "name": c.ranked.action.name,
                "method": c.ranked.action.method.as_str(),
                "path": c.ranked.action.path,
                "why": format!("matches {}", why.join(", ")),
                "score": (c.points * 100.0).round() / 100.0,
            })
        })
        .collect();
    // Within the chosen connector, its actions are ranked as if it had been named: the
    // catalog-wide proposals may hold only a few of them (other versions of the same API crowd
    // the rest out).
    let mut answer = workflow(connector);
    answer["candidates"] = Value::Array(listed);
    Ok(answer)
}

/// The workflow for `goal_text` on `connector`: its best `ranked` action, the look-ups among
/// its `allowed` actions that action needs, and the next best as alternatives.
fn plan(connector: &Connector, ranked: Vec<Ranked>, allowed: &[&Action], goal_text: &str) -> Value {
    let Some(best) = ranked.first() else {
        return json!({
            "connectorId": connector.id,
            "goal": goal_text,
            "recommendedAction": null,
            "steps": [],
            "alternatives": [],
            "message": format!(
                "No action of {} matches this goal. get_connector_resources_alloy lists every \
                 action; try other words, e.g. the kind of object (message, user, issue) and \
                 what to do with it (send, list, update, delete).",
                connector.name
            ),
        });
    };
    let best_score = &best.score;
    let best_intent = best.intent;
    let best = best.action;
    let mut steps = Vec::new();
    if needs_credential(connector, best) {
        steps.push(json!({
            "tool": "get_credentials_alloy",
            "arguments": {"connectorId": connector.id},
            "why": format!(
                "Check that the user has a {} credential. If there is none, \
                 get_credential_metadata_alloy shows what one needs and create_credential_alloy \
                 creates it.",
                connector.name
            ),
        }));
    }
    steps.push(json!({
        "tool": "get_action_details_alloy",
        "actionId": best.id,
        "arguments": {"connectorId": connector.id, "actionId": best.id},
        "why": format!("Read every parameter of {} before calling it.", best.id),
    }));
    for (lookup, parameter) in lookups(connector, allowed, best) {
        steps.push(json!({
            "tool": "execute_action_alloy",
            "actionId": lookup.id,
            "name": lookup.name,
            "why": format!(
                "Find the value of `{parameter}` that {} needs (skip this if you already know it).",
                best.id
            ),
            "requiredParameters": required_parameters(connector, lookup),
        }));
    }
    let mut reasons: Vec<String> = best_score.matched.clone();
    if best_score.intent_matched {
        reasons.insert(0, best_intent.verb().to_owned());
    }
    steps.push(json!({
        "tool": "execute_action_alloy",
        "actionId": best.id,
        "name": best.name,
        "why": format!(
            "Best match for the goal ({}): {}",
            reasons.join(", "),
            first_sentence(&best.description)
        ),
        "requiredParameters": required_parameters(connector, best),
    }));
    for (i, step) in steps.iter_mut().enumerate() {
        if let Some(obj) = step.as_object_mut() {
            let mut numbered = Map::new();
            numbered.insert("step".into(), json!(i + 1));
            numbered.extend(std::mem::take(obj));
            *obj = numbered;
        }
    }
    let alternatives: Vec<Value> = ranked
        .iter()
        .skip(1)
        .take(MAX_ALTERNATIVES)
        .map(|r| {
            json!({
                "actionId": r.action.id,
                "name": r.action.name,
                "description": first_sentence(&r.action.description),
                "score": r.score.points,
            })
        })
        .collect();
    json!({
        "connectorId": connector.id,
        "goal": goal_text,
        "recommendedAction": best.id,
        "steps": steps,
        "alternatives": alternatives,
    })
}
