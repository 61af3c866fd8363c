//! How well an action fits a goal: where the goal's words appear in it and whether it does
//! what the goal's verb asks; across the catalog, the full-text index proposes the candidates.

use std::collections::{BTreeSet, HashSet};

use alloy_connectors::{Action, Connector, Registry};
use alloy_domain::Restrictions;

use crate::shaping::first_sentence;

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
/// More when the name has the goal's verb as written ("*trash*" for "move to the trash", where
/// other actions only delete).
pub(super) const EXACT_VERB_IN_NAME: i64 = 6;
/// When the description's first sentence has it ("*Cancels* a customer's subscription").
pub(super) const EXACT_VERB_IN_LEAD: i64 = 4;

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
    /// Words of the description's first sentence ("*Cancels* a customer's subscription").
    pub(super) lead: BTreeSet<String>,
    pub(super) intent: Intent,
}

pub(super) fn folded(words: &BTreeSet<String>) -> BTreeSet<String> {
    words.iter().map(|w| canonical(w).to_owned()).collect()
}

impl ActionWords {
    /// The words of the action's ID, name and resource only (what look-ups compare), cheaper
    /// than [`ActionWords::of`] for the many list actions of a large connector.
    pub(super) fn names_of(action: &Action) -> Self {
        let id_words = words(&action.id);
        let name_words = words(&action.name);
        let intent = action_intent(action, &name_words, &id_words);
        let name: BTreeSet<String> = id_words.into_iter().chain(name_words).collect();
        ActionWords {
            name_canonical: folded(&name),
            verbs: name
                .iter()
                .filter(|w| intent_of(w).is_some())
                .map(|w| canonical_verb(w).to_owned())
                .collect(),
            name,
            resource: folded(&words(&action.resource).into_iter().collect()),
            parameters: BTreeSet::new(),
            description: BTreeSet::new(),
            lead: BTreeSet::new(),
            intent,
        }
    }

    /// Every word of the action, by where it comes from.
    pub(super) fn of(action: &Action) -> Self {
        let parameters: Vec<&str> = action.inputs().map(|p| p.name.as_str()).collect();
        ActionWords {
            parameters: folded(&words(&parameters.join(" ")).into_iter().collect()),
            description: folded(&words(&action.description).into_iter().collect()),
            lead: words(&first_sentence(&action.description))
                .into_iter()
                .collect(),
            ..ActionWords::names_of(action)
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
        let in_name = words.name.contains(&term.literal)
            || words.name_canonical.contains(&term.canonical)
            || term
                .alternate
                .is_some_and(|a| words.name_canonical.contains(a));
        let mut p = if words.name.contains(&term.literal) {
            IN_NAME
        } else if in_name {
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
        } else if in_name && words.resource.contains(&term.canonical) {
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
    // HTTP method names in operation IDs (`postUsersIdBookmarks`) say how, not what.
    let said = |v: &&String| !matches!(v.as_str(), "get" | "post" | "put" | "patch" | "delete");
    if family_matched
        && goal
            .verb_literals
            .iter()
            .filter(said)
            .any(|v| words.name.contains(v))
    {
        points += EXACT_VERB_IN_NAME;
    } else if family_matched
        && goal
            .verb_literals
            .iter()
            .filter(said)
            .any(|v| words.lead.contains(v))
    {
        points += EXACT_VERB_IN_LEAD;
    } else if family_matched && goal.verbs.iter().any(|v| words.verbs.contains(v)) {
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

/// A provider with more connectors than this ("google") is narrowed to those whose ID has
/// another word of the goal ("google *calendar*" → `googleapis-com-calendar`).
const BROAD_PROVIDER: usize = 20;

/// `named` (a provider's connectors), narrowed for a broad provider as [`BROAD_PROVIDER`] says.
fn narrowed<'a>(named: Vec<&'a str>, goal: &Goal) -> Vec<&'a str> {
    if named.len() <= BROAD_PROVIDER {
        return named;
    }
    named
        .into_iter()
        .filter(|id| {
            id.split('-').skip(1).any(|segment| {
                let singular = segment.strip_suffix('s').unwrap_or(segment);
                goal.terms
                    .iter()
                    .any(|t| t.literal == segment || t.literal == singular)
            })
        })
        .collect()
}

/// An allowed action scored for a goal.
pub(super) struct Ranked<'a> {
    pub(super) action: &'a Action,
    pub(super) score: Score,
    pub(super) intent: Intent,
    /// How many words its name has: of equal scores, the plainest name wins.
    pub(super) name_words: usize,
}

/// Each of `actions` that matches the goal (one of its words, or only its intent when the goal
/// has no other words: "list everything"), best first.
pub(super) fn rank<'a>(goal: &Goal, actions: &[&'a Action]) -> Vec<Ranked<'a>> {
    let mut ranked: Vec<Ranked<'a>> = actions
        .iter()
        .map(|action| {
            let words = ActionWords::of(action);
            Ranked {
                action,
                score: score(goal, &words),
                intent: words.intent,
                name_words: words.name.len(),
            }
        })
        .filter(|r| {
            !r.score.matched.is_empty() || (goal.terms.is_empty() && r.score.intent_matched)
        })
        .collect();
    // Of equal scores the plainest name (`conversations_list` over
    // `admin_conversations_ekm_listOriginalConnectedChannelInfo`), then document order.
    ranked.sort_by_key(|r| (std::cmp::Reverse(r.score.points), r.name_words));
    ranked
}

/// Connectors with more allowed actions than this are ranked from what the search index
/// proposes rather than action by action.
pub(super) const RANK_ALL_UP_TO: usize = 200;
/// How many of a large connector's actions the index proposes for ranking.
pub(super) const RECALL_WITHIN: usize = 100;

/// The allowed actions of one connector that fit the goal, best first: every one of them for a
/// connector of up to [`RANK_ALL_UP_TO`], else the index's [`RECALL_WITHIN`] best proposals
/// (in document order, so that ties still go to the first).
pub(super) fn within<'a>(
    registry: &Registry,
    restrictions: &Restrictions,
    connector: &'a Connector,
    allowed: &[&'a Action],
    goal: &Goal,
    goal_text: &str,
) -> Vec<Ranked<'a>> {
    if allowed.len() <= RANK_ALL_UP_TO {
        return rank(goal, allowed);
    }
    let mut positions: Vec<usize> = registry
        .index()
        .search_actions(goal_text, RECALL_WITHIN, |connector_id, position| {
            connector_id == connector.id
                && connector
                    .actions
                    .get(position)
                    .is_some_and(|a| restrictions.allows_action(&connector.id, &a.id))
        })
        .into_iter()
        .map(|hit| hit.action)
        .collect();
    positions.sort_unstable();
    let proposed: Vec<&Action> = positions
        .into_iter()
        .filter_map(|p| connector.actions.get(p))
        .collect();
    rank(goal, &proposed)
}

/// An action of some connector, ranked for a goal across the catalog.
pub(super) struct Candidate<'a> {
    pub(super) connector: &'a Connector,
    pub(super) ranked: Ranked<'a>,
    /// The word-and-verb points plus text relevance and the platform bonus.
    pub(super) points: f64,
}

/// The allowed actions of every allowed connector that fit the goal, best first: the
/// catalog's BM25 index proposes them — among every connector, and among the connectors the
/// goal names ("a *slack* channel") — then each is scored as within one connector (where the
/// goal's verb meets the action's method and name), plus its text relevance and a bonus when
/// its connector is the one named.
pub(super) fn across_catalog<'a>(
    registry: &'a Registry,
    restrictions: &Restrictions,
    goal: &Goal,
    goal_text: &str,
) -> Vec<Candidate<'a>> {
    let index = registry.index();
    let action_of = |connector_id: &str, position: usize| {
        let c = registry.connector(connector_id).ok()?;
        Some((c, c.actions.get(position)?))
    };
    let allowed = |connector_id: &str, position: usize| {
        restrictions.allows_connector(connector_id)
            && action_of(connector_id, position)
                .is_some_and(|(_, a)| restrictions.allows_action(connector_id, &a.id))
    };
    // A provider's name ("stripe") says more than a word of a service ("subscription"
    // names Azure's subscription API too): when the goal has one, only its connectors count.
    let providers: Vec<&str> = goal
        .terms
        .iter()
        .map(|t| t.literal.as_str())
        .filter(|w| index.is_provider(w))
        .collect();
    let named: HashSet<&str> = if providers.is_empty() {
        goal.terms
            .iter()
            .flat_map(|t| index.connectors_named(&t.literal))
            .collect()
    } else {
        providers
            .iter()
            .flat_map(|w| narrowed(index.connectors_named(w).collect(), goal))
            .collect()
    };
    let mut hits = index.search_actions(goal_text, RECALL, allowed);
    if !named.is_empty() {
        let seen: HashSet<(&str, usize)> =
            hits.iter().map(|h| (h.connector_id, h.action)).collect();
        let more =
            index.search_actions(goal_text, RECALL, |c, p| named.contains(c) && allowed(c, p));
        hits.extend(
            more.into_iter()
                .filter(|h| !seen.contains(&(h.connector_id, h.action))),
        );
    }
    let top = hits
        .iter()
        .map(|h| f64::from(h.score))
        .fold(f64::EPSILON, f64::max);
    let mut candidates: Vec<Candidate<'a>> = hits
        .iter()
        .filter_map(|hit| {
            let (connector, action) = action_of(hit.connector_id, hit.action)?;
            let words = ActionWords::of(action);
            let mut score = score(goal, &words);
            let is_named = named.contains(connector.id.as_str());
            if is_named
                && let Some(platform) = goal.terms.iter().find(|t| {
                    index
                        .connectors_named(&t.literal)
                        .any(|id| id == connector.id)
                })
            {
                // The platform's name is a word of the goal this action matches.
                score.matched.push(platform.literal.clone());
            }
            // As within one connector: a candidate needs one of the goal's words.
            if score.matched.is_empty() && !(goal.terms.is_empty() && score.intent_matched) {
                return None;
            }
            let relevance = f64::from(hit.score) / top;
            let bonus = if is_named { PLATFORM_NAMED } else { 0.0 };
            Some(Candidate {
                connector,
                points: score.points as f64 + TEXT_WEIGHT * relevance + bonus,
                ranked: Ranked {
                    action,
                    score,
                    intent: words.intent,
                    name_words: words.name.len(),
                },
            })
        })
        .collect();
    // A goal that names a platform means it: its connectors' actions come first. Stable:
    // equal points keep the index's order.
    let is_named = |c: &Candidate| named.contains(c.connector.id.as_str());
    candidates.sort_by(|a, b| {
        is_named(b)
            .cmp(&is_named(a))
            .then(b.points.total_cmp(&a.points))
    });
    candidates
}
