//! How well an action fits a goal: where the goal's words appear in it and whether it does
//! what the goal's verb asks; across the catalog, the full-text index proposes the candidates.

use std::collections::BTreeSet;

use alloy_connectors::{Action, Connector, Registry};
use alloy_domain::Restrictions;

use super::goal::{
    Goal, Intent, PREPOSITIONS, STOP_WORDS, canonical, canonical_verb, intent_of, words,
};

/// Score of a goal word found in the action's ID or name (as written, or as a synonym),
/// resource, parameter names, description.
pub(super) const IN_NAME: i64 = 6;

pub(super) const IN_NAME_SYNONYM: i64 = 4;

pub(super) const IN_RESOURCE: i64 = 4;

pub(super) const IN_PARAMETERS: i64 = 2;

pub(super) const IN_DESCRIPTION: i64 = 1;

/// Bonus when the action does what the goal's verb asks, or something of the same family
/// (creating for sending).
pub(super) const INTENT_MATCH: i64 = 5;

pub(super) const INTENT_FAMILY_MATCH: i64 = 2;

/// Bonus when the goal's verb (or one meaning the same) is in the action's name ("send" in
/// "Send message").
pub(super) const VERB_IN_NAME: i64 = 2;

/// Bonus when the goal's object is also the action's resource.
pub(super) const RESOURCE_BONUS: i64 = 2;

/// Most points taken off for name words the goal does not mention.
pub(super) const MAX_NOISE_PENALTY: usize = 3;

/// An action's words, by where they come from: as written, and with synonyms folded.
pub(super) struct ActionWords {
    pub(super) name: BTreeSet<String>,
    pub(super) name_canonical: BTreeSet<String>,
    pub(super) verbs: BTreeSet<String>,
    pub(super) resource: BTreeSet<String>,
    pub(super) parameters: BTreeSet<String>,
    pub(super) description: BTreeSet<String>,
    pub(super) intent: Intent,
}

pub(super) fn folded(words: &BTreeSet<String>) -> BTreeSet<String> {
    words.iter().map(|w| canonical(w).to_owned()).collect()
}

impl ActionWords {
    pub(super) fn of(action: &Action) -> Self {
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
pub(super) fn action_intent(action: &Action, name_words: &[String], id_words: &[String]) -> Intent {
    if action.is_read_only() {
        return Intent::Read;
    }
    name_words
        .iter()
        .chain(id_words)
        .find_map(|w| intent_of(w))
        .unwrap_or_else(|| method_intent(action.method.as_str()))
}

pub(super) fn method_intent(method: &str) -> Intent {
    match method {
        "POST" => Intent::Create,
        "PUT" | "PATCH" => Intent::Update,
        "DELETE" => Intent::Delete,
        _ => Intent::Read,
    }
}

/// How well an action fits the goal, and which goal words it matched.
pub(super) struct Score {
    pub(super) points: i64,
    pub(super) matched: Vec<String>,
    pub(super) intent_matched: bool,
}

pub(super) fn score(goal: &Goal, words: &ActionWords) -> Score {
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

/// Most candidates listed across the catalog.
pub(super) const MAX_CANDIDATES: usize = 5;

/// Actions the full-text index proposes before the goal's verb re-ranks them.
pub(super) const RECALL: usize = 60;

/// Weight of the full-text relevance (scaled to the best hit) beside the word-and-verb points.
pub(super) const TEXT_WEIGHT: f64 = 8.0;

/// Bonus when the goal names the action's platform ("a *slack* channel").
pub(super) const PLATFORM_NAMED: f64 = 6.0;

/// Whether the goal names `connector` (a word of its name or ID other than a domain suffix).
pub(super) fn names_platform(goal: &Goal, connector: &Connector) -> bool {
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
pub(super) struct Candidate<'a> {
    pub(super) connector: &'a Connector,
    pub(super) action: &'a Action,
    pub(super) points: f64,
    pub(super) matched: Vec<String>,
    pub(super) intent: Intent,
    pub(super) intent_matched: bool,
}

/// The allowed actions of every allowed connector that fit `goal_text`, best first: the
/// catalog's BM25 index proposes them, then each is scored as within one connector (where the
/// goal's verb meets the action's method and name), plus its text relevance.
pub(super) fn across_catalog<'a>(
    registry: &'a Registry,
    restrictions: &Restrictions,
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
