//! `discover_action_path_alloy`: which actions, in which order, reach a goal stated in words.
//!
//! The ranking is deterministic word matching, not a model: the goal and every allowed action
//! are cut into words (camelCase, `_`, `-`, `/` and `.` split; simple plurals removed; a few
//! synonyms folded together), verbs are read as intents (create, send, read, update, delete),
//! and each action scores by where the goal's other words appear (ID or name, then resource,
//! then parameter names, then description), plus a bonus when it does what the goal's verb
//! asks, minus a little for each word of its name the goal does not mention. Ties keep the
//! document's order.

use std::collections::BTreeSet;

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

/// Longest goal accepted.
const MAX_GOAL_CHARS: usize = 1000;
/// Most alternatives listed after the best match.
const MAX_ALTERNATIVES: usize = 4;
/// Most look-up steps before the main action.
const MAX_LOOKUPS: usize = 2;

/// Score of a goal word found in the action's ID or name (as written, or as a synonym),
/// resource, parameter names, description.
const IN_NAME: i64 = 6;
const IN_NAME_SYNONYM: i64 = 4;
const IN_RESOURCE: i64 = 4;
const IN_PARAMETERS: i64 = 2;
const IN_DESCRIPTION: i64 = 1;
/// Bonus when the action does what the goal's verb asks, or something of the same family
/// (creating for sending).
const INTENT_MATCH: i64 = 5;
const INTENT_FAMILY_MATCH: i64 = 2;
/// Bonus when the goal's verb (or one meaning the same) is in the action's name ("send" in
/// "Send message").
const VERB_IN_NAME: i64 = 2;
/// Bonus when the goal's object is also the action's resource.
const RESOURCE_BONUS: i64 = 2;
/// Most points taken off for name words the goal does not mention.
const MAX_NOISE_PENALTY: usize = 3;

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

/// What a verb asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Intent {
    Create,
    /// Sending is creating something that goes to someone (a message, an email).
    Send,
    Read,
    Update,
    Delete,
}

impl Intent {
    /// Sending is a kind of creating: a goal to send partly matches an action that creates.
    fn family(self) -> Intent {
        match self {
            Intent::Send => Intent::Create,
            other => other,
        }
    }

    /// How a reason reads: "it creates".
    fn verb(self) -> &'static str {
        match self {
            Intent::Create => "it creates",
            Intent::Send => "it sends",
            Intent::Read => "it reads",
            Intent::Update => "it updates",
            Intent::Delete => "it deletes",
        }
    }
}

fn intent_of(word: &str) -> Option<Intent> {
    Some(match word {
        "send" | "post" | "publish" | "reply" | "compose" | "write" => Intent::Send,
        "create" | "add" | "new" | "make" | "submit" | "insert" | "invite" | "schedule"
        | "upload" | "open" | "book" => Intent::Create,
        "list" | "get" | "fetch" | "find" | "search" | "show" | "read" | "retrieve" | "view"
        | "lookup" | "look" | "browse" | "query" | "see" | "check" | "count" | "display"
        | "download" | "export" | "history" => Intent::Read,
        "update" | "edit" | "change" | "modify" | "set" | "rename" | "patch" | "move"
        | "assign" | "close" | "reopen" | "archive" | "mark" | "transition" | "replace" => {
            Intent::Update
        }
        "delete" | "remove" | "destroy" | "erase" | "cancel" | "trash" | "unsubscribe"
        | "revoke" | "clear" => Intent::Delete,
        _ => return None,
    })
}

/// Folds verbs that name the same operation, for matching a goal's verb in an action's name.
fn canonical_verb(word: &str) -> &str {
    match word {
        "find" | "lookup" | "look" | "query" => "search",
        "browse" | "show" | "view" | "display" => "list",
        "fetch" | "retrieve" | "read" | "see" | "check" => "get",
        "post" => "send",
        "add" | "new" | "make" | "insert" => "create",
        "remove" | "destroy" | "erase" | "trash" => "delete",
        "edit" | "change" | "modify" | "set" | "patch" => "update",
        other => other,
    }
}

/// Words after which the rest of a goal is context ("send a message *to a channel*"): those
/// words count less than the goal's object.
const PREPOSITIONS: &[&str] = &[
    "in", "to", "into", "for", "from", "by", "with", "on", "of", "at", "within", "inside",
];

/// Folds a few nouns that mean the same thing on most platforms.
fn canonical(word: &str) -> &str {
    match word {
        "msg" | "dm" => "message",
        "conversation" | "room" => "channel",
        "member" | "people" | "person" | "teammate" => "user",
        "ticket" | "bug" => "issue",
        "mail" => "email",
        "repository" => "repo",
        "meeting" | "appointment" => "event",
        "pr" => "pull",
        "me" | "mine" | "authenticated" | "current" | "self" => "my",
        other => other,
    }
}

const STOP_WORDS: &[&str] = &[
    "a", "an", "the", "to", "in", "on", "of", "for", "and", "or", "with", "from", "by", "i", "we",
    "you", "it", "its", "this", "that", "these", "those", "all", "any", "some", "into", "at", "as",
    "is", "are", "be", "was", "please", "want", "need", "would", "like", "can", "could", "should",
    "how", "do", "does", "what", "which", "who", "via", "using", "about", "them", "their", "our",
    "your", "then", "there", "up", "out", "api", "v1", "v2", "v3", "alloy",
];

/// Lower-case words of `text`, split at camelCase humps and punctuation, plurals removed.
fn words(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut prev_lower = false;
    for c in text.chars() {
        if !c.is_alphanumeric() {
            flush(&mut current, &mut out);
            prev_lower = false;
            continue;
        }
        if c.is_uppercase() && prev_lower {
            flush(&mut current, &mut out);
        }
        prev_lower = c.is_lowercase() || c.is_ascii_digit();
        current.extend(c.to_lowercase());
    }
    flush(&mut current, &mut out);
    out
}

fn flush(current: &mut String, out: &mut Vec<String>) {
    if !current.is_empty() {
        out.push(stem(current));
        current.clear();
    }
}

/// Removes a simple English plural: `companies` → `company`, `messages` → `message`.
fn stem(word: &str) -> String {
    let n = word.chars().count();
    if n > 4 && word.ends_with("ies") {
        return format!("{}y", &word[..word.len() - 3]);
    }
    if n > 3
        && word.ends_with('s')
        && !word.ends_with("ss")
        && !word.ends_with("us")
        && !word.ends_with("is")
    {
        return word[..word.len() - 1].to_owned();
    }
    word.to_owned()
}

/// A goal word as written (stemmed) and with synonyms folded.
#[derive(Debug, PartialEq, Eq)]
struct Term {
    literal: String,
    canonical: String,
    /// The word came after a preposition: it says where or for what, not what.
    context: bool,
}

/// A goal, read as intents (with the verbs that said them) and the other words.
struct Goal {
    intents: BTreeSet<Intent>,
    verbs: Vec<String>,
    terms: Vec<Term>,
}

impl Goal {
    fn parse(text: &str) -> Self {
        let mut intents = BTreeSet::new();
        let mut verbs = Vec::new();
        let mut terms: Vec<Term> = Vec::new();
        let mut context = false;
        for w in words(text) {
            if PREPOSITIONS.contains(&w.as_str()) {
                context = !terms.is_empty();
                continue;
            }
            if STOP_WORDS.contains(&w.as_str()) {
                continue;
            }
            if let Some(intent) = intent_of(&w) {
                intents.insert(intent);
                verbs.push(canonical_verb(&w).to_owned());
                continue;
            }
            let canonical = canonical(&w).to_owned();
            if !terms.iter().any(|t| t.canonical == canonical) {
                terms.push(Term {
                    canonical,
                    literal: w,
                    context,
                });
            }
        }
        Goal {
            intents,
            verbs,
            terms,
        }
    }

    /// Whether the goal's object (not its context) is `word`.
    fn mentions(&self, word: &str) -> bool {
        self.terms
            .iter()
            .any(|t| !t.context && (t.literal == word || t.canonical == canonical(word)))
    }
}

/// An action's words, by where they come from: as written, and with synonyms folded.
struct ActionWords {
    name: BTreeSet<String>,
    name_canonical: BTreeSet<String>,
    verbs: BTreeSet<String>,
    resource: BTreeSet<String>,
    parameters: BTreeSet<String>,
    description: BTreeSet<String>,
    intent: Intent,
}

fn folded(words: &BTreeSet<String>) -> BTreeSet<String> {
    words.iter().map(|w| canonical(w).to_owned()).collect()
}

impl ActionWords {
    fn of(action: &Action) -> Self {
        let id_words = words(&action.id);
        let name_words = words(&action.name);
        let intent = action_intent(action, &name_words, &id_words);
        let name: BTreeSet<String> = id_words.into_iter().chain(name_words).collect();
        let parameters: Vec<&str> = action.inputs().map(|p| p.name.as_str()).collect();
        ActionWords {
            name_canonical: folded(&name),
            verbs: name
                .iter()
                .filter(|w| intent_of(w).is_some())
                .map(|w| canonical_verb(w).to_owned())
                .collect(),
            name,
            resource: folded(&words(&action.resource).into_iter().collect()),
            parameters: folded(&words(&parameters.join(" ")).into_iter().collect()),
            description: folded(&words(&action.description).into_iter().collect()),
            intent,
        }
    }
}

/// What an action does: a GET only reads; otherwise the first verb of its name (summary),
/// then of its ID (a POST named "Search contacts" reads), then its method.
fn action_intent(action: &Action, name_words: &[String], id_words: &[String]) -> Intent {
    if action.is_read_only() {
        return Intent::Read;
    }
    name_words
        .iter()
        .chain(id_words)
        .find_map(|w| intent_of(w))
        .unwrap_or_else(|| method_intent(action.method.as_str()))
}

fn method_intent(method: &str) -> Intent {
    match method {
        "POST" => Intent::Create,
        "PUT" | "PATCH" => Intent::Update,
        "DELETE" => Intent::Delete,
        _ => Intent::Read,
    }
}

/// How well an action fits the goal, and which goal words it matched.
struct Score {
    points: i64,
    matched: Vec<String>,
    intent_matched: bool,
}

fn score(goal: &Goal, words: &ActionWords) -> Score {
    let mut points: i64 = 0;
    let mut matched = Vec::new();
    for term in &goal.terms {
        let mut p = if words.name.contains(&term.literal) {
            IN_NAME
        } else if words.name_canonical.contains(&term.canonical) {
            IN_NAME_SYNONYM
        } else if words.resource.contains(&term.canonical) {
            IN_RESOURCE
        } else if words.parameters.contains(&term.canonical) {
            IN_PARAMETERS
        } else if words.description.contains(&term.canonical) {
            IN_DESCRIPTION
        } else {
            0
        };
        if term.context {
            p = p.min(IN_PARAMETERS);
        } else if p > IN_RESOURCE && words.resource.contains(&term.canonical) {
            // The goal's object is the action's resource, not just a word in its name.
            p += RESOURCE_BONUS;
        }
        if p > 0 {
            points += p;
            matched.push(term.literal.clone());
        }
    }
    let intent_matched = goal.intents.contains(&words.intent);
    let family_matched = goal
        .intents
        .iter()
        .any(|i| i.family() == words.intent.family());
    if intent_matched {
        points += INTENT_MATCH;
    } else if family_matched {
        points += INTENT_FAMILY_MATCH;
    }
    // Only where the action does that kind of thing: "replies" in "Get thread replies" is a
    // noun.
    if family_matched && goal.verbs.iter().any(|v| words.verbs.contains(v)) {
        points += VERB_IN_NAME;
    }
    // Words of the name the goal does not mention make an action a less precise fit.
    let noise = words
        .name
        .iter()
        .filter(|w| intent_of(w).is_none() && !STOP_WORDS.contains(&w.as_str()))
        .filter(|w| !PREPOSITIONS.contains(&w.as_str()))
        .filter(|w| !goal.mentions(w))
        .count()
        .min(MAX_NOISE_PENALTY);
    points -= i64::try_from(noise).unwrap_or(0);
    Score {
        points,
        matched,
        intent_matched,
    }
}

fn discover(ctx: &McpContext, arguments: Map<String, Value>) -> Result<Value, Error> {
    let args = Arguments::new(arguments, &["connectorId", "goal"])?;
    let connector_id = args.optional_string("connectorId", MAX_ID_CHARS)?;
    let goal_text = args.required_string("goal", MAX_GOAL_CHARS)?;
    let restrictions = &ctx.server.restrictions;
    let registry = ctx.gateway.registry();
    if let Some(connector_id) = connector_id {
        let connector = connector(registry, restrictions, &connector_id)?;
        let actions: Vec<&Action> = allowed_actions(connector, restrictions).collect();
        return Ok(plan(connector, &actions, &goal_text));
    }
    let candidates = across_catalog(registry, restrictions, &goal_text);
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
    let actions: Vec<&Action> = allowed_actions(connector, restrictions).collect();
    let mut answer = plan(connector, &actions, &goal_text);
    let listed: Vec<Value> = candidates
        .iter()
        .take(MAX_CANDIDATES)
        .map(|c| {
            let mut why: Vec<String> = Vec::new();
            if c.intent_matched {
                why.push(c.intent.verb().to_owned());
            }
            why.extend(c.matched.iter().cloned());
            json!({
                "connectorId": c.connector.id,
                "connectorName": c.connector.name,
                "actionId": c.action.id,
                "name": c.action.name,
                "method": c.action.method.as_str(),
                "path": c.action.path,
                "why": format!("matches {}", why.join(", ")),
                "score": (c.points * 100.0).round() / 100.0,
            })
        })
        .collect();
    answer["candidates"] = Value::Array(listed);
    Ok(answer)
}

/// Most candidates listed across the catalog.
const MAX_CANDIDATES: usize = 5;
/// Actions the full-text index proposes before the goal's verb re-ranks them.
const RECALL: usize = 60;
/// Weight of the full-text relevance (scaled to the best hit) beside the word-and-verb points.
const TEXT_WEIGHT: f64 = 8.0;
/// Bonus when the goal names the action's platform ("a *slack* channel").
const PLATFORM_NAMED: f64 = 6.0;

/// Whether the goal names `connector` (a word of its name or ID other than a domain suffix).
fn names_platform(goal: &Goal, connector: &Connector) -> bool {
    let mut own: BTreeSet<String> = words(&connector.name).into_iter().collect();
    own.extend(words(&connector.id));
    goal.terms.iter().any(|t| {
        own.contains(&t.literal)
            && !matches!(
                t.literal.as_str(),
                "com" | "io" | "net" | "org" | "api" | "app"
            )
    })
}

/// An action of some connector, ranked for a goal.
struct Candidate<'a> {
    connector: &'a Connector,
    action: &'a Action,
    points: f64,
    matched: Vec<String>,
    intent: Intent,
    intent_matched: bool,
}

/// The allowed actions of every allowed connector that fit `goal_text`, best first: the
/// catalog's BM25 index proposes them, then each is scored as within one connector (where the
/// goal's verb meets the action's method and name), plus its text relevance.
fn across_catalog<'a>(
    registry: &'a alloy_connectors::Registry,
    restrictions: &alloy_domain::Restrictions,
    goal_text: &str,
) -> Vec<Candidate<'a>> {
    let goal = Goal::parse(goal_text);
    let action_of = |connector_id: &str, position: usize| {
        let c = registry.connector(connector_id).ok()?;
        Some((c, c.actions.get(position)?))
    };
    let hits = registry
        .index()
        .search_actions(goal_text, RECALL, |connector_id, position| {
            restrictions.allows_connector(connector_id)
                && action_of(connector_id, position)
                    .is_some_and(|(_, a)| restrictions.allows_action(connector_id, &a.id))
        });
    let top = hits
        .first()
        .map_or(1.0, |h| f64::from(h.score).max(f64::EPSILON));
    let mut candidates: Vec<Candidate<'a>> = hits
        .iter()
        .filter_map(|hit| {
            let (connector, action) = action_of(hit.connector_id, hit.action)?;
            let words = ActionWords::of(action);
            let s = score(&goal, &words);
            let relevance = f64::from(hit.score) / top;
            let named = if names_platform(&goal, connector) {
                PLATFORM_NAMED
            } else {
                0.0
            };
            Some(Candidate {
                connector,
                action,
                points: s.points as f64 + TEXT_WEIGHT * relevance + named,
                matched: s.matched,
                intent: words.intent,
                intent_matched: s.intent_matched,
            })
        })
        .collect();
    // Stable: equal points keep the index's order.
    candidates.sort_by(|a, b| b.points.total_cmp(&a.points));
    candidates
}

/// The workflow for `goal_text` over the allowed `actions` of `connector`.
fn plan(connector: &Connector, actions: &[&Action], goal_text: &str) -> Value {
    let goal = Goal::parse(goal_text);
    let words: Vec<ActionWords> = actions.iter().map(|a| ActionWords::of(a)).collect();
    let mut ranked: Vec<(usize, Score)> = words
        .iter()
        .enumerate()
        .map(|(i, w)| (i, score(&goal, w)))
        // A match needs one of the goal's words, or only the intent when the goal has no
        // other words ("list everything").
        .filter(|(_, s)| !s.matched.is_empty() || (goal.terms.is_empty() && s.intent_matched))
        .collect();
    // Stable sort: equal scores keep the document's order.
    ranked.sort_by_key(|(_, s)| std::cmp::Reverse(s.points));

    let Some((best_index, best_score)) = ranked.first() else {
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
    let best = actions[*best_index];
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
    for (lookup, parameter) in lookups(connector, actions, &words, best) {
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
        reasons.insert(0, words[*best_index].intent.verb().to_owned());
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
        .map(|(i, s)| {
            let a = actions[*i];
            json!({
                "actionId": a.id,
                "name": a.name,
                "description": first_sentence(&a.description),
                "score": s.points,
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

/// Read-only list actions that find the IDs `main`'s required parameters refer to (a
/// `channel`, an `owner_id`, a `projectId`), at most [`MAX_LOOKUPS`], each with the parameter
/// it serves.
fn lookups<'a>(
    connector: &Connector,
    actions: &[&'a Action],
    words: &[ActionWords],
    main: &Action,
) -> Vec<(&'a Action, String)> {
    let mut out: Vec<(&Action, String)> = Vec::new();
    for parameter in required_parameters(connector, main) {
        if out.len() >= MAX_LOOKUPS {
            break;
        }
        let Some(entity) = referenced_entity(&parameter) else {
            continue;
        };
        let found = actions
            .iter()
            .zip(words)
            .filter(|(a, _)| a.id != main.id && a.is_read_only() && lists_something(a))
            .filter(|(a, _)| !out.iter().any(|(o, _)| o.id == a.id))
            .map(|(a, w)| {
                let points =
                    if w.name.contains(&entity) || collection_of(a).as_ref() == Some(&entity) {
                        2
                    } else if w.resource.contains(&entity) {
                        1
                    } else {
                        0
                    };
                (*a, points)
            })
            .filter(|(_, points)| *points > 0)
            // `max_by_key` keeps the last of equals; prefer the first in document order.
            .fold(None::<(&Action, u32)>, |best, (a, p)| match best {
                Some((_, bp)) if bp >= p => best,
                _ => Some((a, p)),
            });
        if let Some((action, _)) = found {
            out.push((action, parameter));
        }
    }
    out
}

/// Whether `action` answers a list: the document says so (`x-alloy-list-path`), or it reads a
/// collection (its path ends in a word, not a `{parameter}`), as `GET /channels` does.
fn lists_something(action: &Action) -> bool {
    action.list_path.is_some() || collection_of(action).is_some()
}

/// The kind of object a read of a collection path lists: `GET /v1/customers` → `customer`.
fn collection_of(action: &Action) -> Option<String> {
    if !action.is_read_only() {
        return None;
    }
    let path = action.path.split('?').next().unwrap_or(&action.path);
    let last = path.trim_end_matches('/').rsplit('/').next()?;
    if last.is_empty() || last.contains('{') {
        return None;
    }
    let word = words(last).pop()?;
    Some(canonical(&word).to_owned())
}

/// The kind of object a parameter names by ID: `channel` → `channel`, `owner_id` →
/// `owner`, `projectGid` → `project`; `None` for parameters that are plain values.
fn referenced_entity(parameter: &str) -> Option<String> {
    let parts = words(parameter);
    let last = parts.last()?;
    let is_id = |w: &str| matches!(w, "id" | "gid" | "key" | "sid" | "ids" | "uuid" | "slug");
    // `issueIdOrKey`: the object is the word before the first ID word.
    let first_id = parts.iter().position(|w| is_id(w)).filter(|&i| i > 0);
    let entity = if let Some(i) = first_id {
        parts.get(i - 1)?
    } else if matches!(
        last.as_str(),
        "channel"
            | "user"
            | "owner"
            | "repo"
            | "project"
            | "team"
            | "workspace"
            | "calendar"
            | "list"
            | "board"
            | "customer"
            | "contact"
            | "company"
            | "deal"
            | "guild"
            | "organization"
            | "org"
            | "label"
            | "assignee"
    ) {
        last
    } else {
        return None;
    };
    let entity = match canonical(entity) {
        "owner" | "assignee" => "user",
        "org" => "organization",
        other => other,
    };
    Some(entity.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_split_humps_and_punctuation_and_drop_plurals() {
        assert_eq!(words("chat_postMessage"), ["chat", "post", "message"]);
        assert_eq!(
            words("repos/list-for-authenticated-user"),
            ["repo", "list", "for", "authenticated", "user"]
        );
        assert_eq!(words("Companies status"), ["company", "status"]);
        assert_eq!(words("ÉTÉ été"), ["été", "été"]);
        assert!(words("").is_empty());
    }

    #[test]
    fn goals_separate_intents_from_terms() {
        let g = Goal::parse("Please send a DM to the #general room");
        assert_eq!(g.intents, BTreeSet::from([Intent::Send]));
        let terms: Vec<(&str, &str)> = g
            .terms
            .iter()
            .map(|t| (t.literal.as_str(), t.canonical.as_str()))
            .collect();
        assert_eq!(
            terms,
            [
                ("dm", "message"),
                ("general", "general"),
                ("room", "channel")
            ]
        );
        assert!(!g.terms[0].context && g.terms[2].context);
        let g = Goal::parse("list my repositories");
        assert_eq!(g.verbs, ["list"]);
        assert_eq!(
            g.terms
                .iter()
                .map(|t| t.canonical.as_str())
                .collect::<Vec<_>>(),
            ["my", "repo"]
        );
    }

    #[test]
    fn referenced_entities() {
        assert_eq!(referenced_entity("channel").as_deref(), Some("channel"));
        assert_eq!(referenced_entity("owner_id").as_deref(), Some("user"));
        assert_eq!(referenced_entity("projectGid").as_deref(), Some("project"));
        assert_eq!(referenced_entity("text"), None);
        assert_eq!(referenced_entity("id"), None);
    }
}
