//! The catalog's search index: every action (and every connector) of the registry, ranked by
//! field-weighted BM25 over what an agent's words are likely to meet — the action's ID and
//! name, its resource, path, parameter names and description, and its connector's name.

use std::collections::{HashMap, HashSet};

use super::search::{FieldSpec, SearchIndex, SearchIndexBuilder};
use crate::model::Connector;

/// Fields of an action document, in the order [`CatalogIndex::build`] fills them.
const ACTION_FIELDS: &[FieldSpec] = &[
    // ID and name (summary): what the action is called.
    FieldSpec {
        weight: 3.0,
        b: 0.5,
    },
    // Resource (tag).
    FieldSpec {
        weight: 1.5,
        b: 0.3,
    },
    // Path.
    FieldSpec {
        weight: 1.2,
        b: 0.5,
    },
    // Parameter and body field names.
    FieldSpec {
        weight: 0.6,
        b: 0.75,
    },
    // Description.
    FieldSpec {
        weight: 0.8,
        b: 0.75,
    },
    // Connector: name, ID and category.
    FieldSpec {
        weight: 1.0,
        b: 0.3,
    },
];

/// Fields of a connector document.
const CONNECTOR_FIELDS: &[FieldSpec] = &[
    // Name and ID.
    FieldSpec {
        weight: 3.0,
        b: 0.3,
    },
    // Category.
    FieldSpec {
        weight: 1.5,
        b: 0.0,
    },
    // Description.
    FieldSpec {
        weight: 1.0,
        b: 0.75,
    },
    // Resource names.
    FieldSpec {
        weight: 0.5,
        b: 0.75,
    },
];

/// One action found by a search.
#[derive(Debug, Clone, PartialEq)]
pub struct ActionHit<'a> {
    /// The connector's ID.
    pub connector_id: &'a str,
    /// The action's position in its connector's `actions`.
    pub action: usize,
    /// BM25F score (higher is better).
    pub score: f32,
    /// The query's words (normalised) that the action contains.
    pub matched: Vec<String>,
}

/// One connector found by a search.
#[derive(Debug, Clone, PartialEq)]
pub struct ConnectorHit<'a> {
    /// The connector's ID.
    pub connector_id: &'a str,
    /// BM25F score (higher is better).
    pub score: f32,
}

/// Search over the actions and connectors of a registry.
#[derive(Debug)]
pub struct CatalogIndex {
    actions: SearchIndex,
    /// `(connector ordinal, action position)` of each action document.
    action_refs: Vec<(u32, u32)>,
    connectors: SearchIndex,
    connector_ids: Vec<String>,
    /// The connectors each platform word names (see [`CatalogIndex::connectors_named`]).
    platforms: HashMap<String, Vec<u32>>,
    /// The platform words that are a provider's own name.
    providers_named: HashSet<String>,
}

/// Words of connector IDs and names that say nothing about the platform.
const GENERIC_PLATFORM_WORDS: &[&str] = &[
    "api",
    "apis",
    "app",
    "com",
    "net",
    "org",
    "io",
    "co",
    "local",
    "www",
    "the",
    "and",
    "for",
    "service",
    "services",
    "v1",
    "v2",
    "v3",
    "rest",
    "http",
    "openapi",
    "swagger",
    "spec",
    "current",
    "latest",
    "beta",
    "alpha",
    "stable",
    "preview",
    "legacy",
    "public",
    "private",
    "admin",
    "management",
    "core",
    "platform",
    "main",
    "default",
    "next",
    "data",
    "web",
];
/// A word naming more connectors than this is a category, not a platform.
const MAX_NAMED: usize = 60;
/// A service word (`gmail`, `jira`) whose word the actions of more providers than this use is
/// an everyday word (`issue`, `subscription`), not a platform's name.
const RARELY_USED_BY: usize = 5;

impl CatalogIndex {
    /// Indexes `connectors` (their summaries are enough), reading their text on every core:
    /// each thread indexes a contiguous run of connectors, and the runs are appended in order.
    pub fn build<'a>(connectors: impl Iterator<Item = &'a Connector>) -> Self {
        let connectors: Vec<&Connector> = connectors.collect();
        let runs = runs(&connectors, crate::parallel::cores());
        let parts = crate::parallel::map(&runs, |run| index_run(run));
        let mut actions = SearchIndexBuilder::new(ACTION_FIELDS);
        let mut by_connector = SearchIndexBuilder::new(CONNECTOR_FIELDS);
        for (a, c) in parts {
            actions.append(a);
            by_connector.append(c);
        }
        let mut action_refs = Vec::new();
        let mut connector_ids = Vec::with_capacity(connectors.len());
        let mut platforms: HashMap<String, Vec<u32>> = HashMap::new();
        for (ordinal, c) in connectors.iter().enumerate() {
            let ordinal = u32::try_from(ordinal).unwrap_or(u32::MAX);
            connector_ids.push(c.id.clone());
            for word in platform_words(c) {
                let named = platforms.entry(word).or_default();
                if named.last() != Some(&ordinal) {
                    named.push(ordinal);
                }
            }
            for position in 0..c.actions.len() {
                action_refs.push((ordinal, u32::try_from(position).unwrap_or(u32::MAX)));
            }
        }
        // A word names a platform when it is the provider's own name (`stripe` of
        // `stripe-com`, `google` of `googleapis-com-…`), or a word of one provider's IDs that
        // the actions of few other providers use (`gmail`, `s3`, `jira`; not `issue`
        // or `subscription`, which many APIs' actions are about).
        let provider_of = |o: u32| {
            connector_ids
                .get(o as usize)
                .and_then(|id| id.split('-').next())
                .unwrap_or("")
                .to_owned()
        };
        let mut providers: HashMap<&str, HashSet<&str>> = HashMap::new();
        for c in &connectors {
            let provider = c.id.split('-').next().unwrap_or("");
            for a in &c.actions {
                let text = format!("{} {}", a.id, a.name).to_lowercase();
                for word in text.split(|ch: char| !ch.is_ascii_alphanumeric()) {
                    let singular = word
                        .strip_suffix('s')
                        .filter(|w| w.len() > 2)
                        .unwrap_or(word);
                    for w in [word, singular] {
                        if let Some((key, _)) = platforms.get_key_value(w) {
                            providers.entry(key.as_str()).or_default().insert(provider);
                        }
                    }
                }
            }
        }
        let kept: Vec<(String, Vec<u32>, bool)> = platforms
            .iter()
            .filter_map(|(word, named)| {
                let is_provider = named.iter().any(|o| {
                    let p = provider_of(*o);
                    p == *word || p.strip_suffix("apis") == Some(word.as_str())
                });
                let first = provider_of(*named.first()?);
                let one_provider = named.iter().all(|o| provider_of(*o) == first);
                let rarely_used = providers
                    .get(word.as_str())
                    .is_none_or(|p| p.len() <= RARELY_USED_BY);
                // A provider's name is kept however many connectors it has (`google`): the
                // caller narrows those by the goal's other words.
                (is_provider || (named.len() <= MAX_NAMED && one_provider && rarely_used))
                    .then(|| (word.clone(), named.clone(), is_provider))
            })
            .collect();
        let mut platforms: HashMap<String, Vec<u32>> = HashMap::new();
        let mut providers_named: HashSet<String> = HashSet::new();
        for (word, named, is_provider) in kept {
            if is_provider {
                providers_named.insert(word.clone());
            }
            platforms.insert(word, named);
        }
        CatalogIndex {
            actions: actions.build(),
            action_refs,
            connectors: by_connector.build(),
            connector_ids,
            platforms,
            providers_named,
        }
    }

    /// The best `limit` actions for `query` among those `allow(connector ID, position)` lets
    /// through, best first.
    pub fn search_actions(
        &self,
        query: &str,
        limit: usize,
        allow: impl Fn(&str, usize) -> bool,
    ) -> Vec<ActionHit<'_>> {
        let resolve = |doc: u32| {
            let (c, a) = *self.action_refs.get(doc as usize)?;
            Some((self.connector_ids.get(c as usize)?.as_str(), a as usize))
        };
        self.actions
            .search(query, limit, |doc| {
                resolve(doc).is_some_and(|(c, a)| allow(c, a))
            })
            .into_iter()
            .filter_map(|hit| {
                let (connector_id, action) = resolve(hit.doc)?;
                Some(ActionHit {
                    connector_id,
                    action,
                    score: hit.score,
                    matched: hit.matched,
                })
            })
            .collect()
    }

    /// The best `limit` connectors for `query` among those `allow` lets through, best first.
    pub fn search_connectors(
        &self,
        query: &str,
        limit: usize,
        allow: impl Fn(&str) -> bool,
    ) -> Vec<ConnectorHit<'_>> {
        let id = |doc: u32| self.connector_ids.get(doc as usize).map(String::as_str);
        self.connectors
            .search(query, limit, |doc| id(doc).is_some_and(&allow))
            .into_iter()
            .filter_map(|hit| {
                Some(ConnectorHit {
                    connector_id: id(hit.doc)?,
                    score: hit.score,
                })
            })
            .collect()
    }

    /// The connectors a goal's word names as their platform: their provider (`slack`, `twilio`,
    /// `stripe`; `google` for `googleapis-com-…`), or a word of their ID only one provider uses
    /// (`gmail`, `s3`, `jira`), lower-case as written. Generic words (`api`, `com`,
    /// `current`) name none; a provider's name names all its connectors (hundreds for
    /// `google`), other words at most 60.
    pub fn connectors_named(&self, word: &str) -> impl Iterator<Item = &str> {
        self.platforms
            .get(word)
            .into_iter()
            .flatten()
            .filter_map(|&o| self.connector_ids.get(o as usize).map(String::as_str))
    }

    /// Whether `word` is a provider's own name (`stripe`), which says more than a word of a
    /// service's ID (`gmail`).
    pub fn is_provider(&self, word: &str) -> bool {
        self.providers_named.contains(word)
    }

    /// How many actions are indexed.
    pub fn action_count(&self) -> usize {
        self.action_refs.len()
    }

    /// Approximate heap bytes held.
    pub fn heap_bytes(&self) -> usize {
        self.actions.heap_bytes()
            + self.connectors.heap_bytes()
            + self
                .platforms
                .iter()
                .map(|(w, named)| w.len() + 24 + named.len() * 4 + 24)
                .sum::<usize>()
            + self.action_refs.len() * 8
            + self
                .connector_ids
                .iter()
                .map(|s| s.len() + 24)
                .sum::<usize>()
    }
}

/// `connectors` cut into at most `threads` contiguous runs of about as many actions each.
fn runs<'c, 'a>(connectors: &'c [&'a Connector], threads: usize) -> Vec<&'c [&'a Connector]> {
    let total: usize = connectors.iter().map(|c| c.actions.len() + 1).sum();
    let per_run = total.div_ceil(threads.max(1)).max(1);
    let mut runs = Vec::new();
    let mut start = 0;
    let mut weight = 0;
    for (i, c) in connectors.iter().enumerate() {
        weight += c.actions.len() + 1;
        if weight >= per_run {
            runs.push(&connectors[start..=i]);
            start = i + 1;
            weight = 0;
        }
    }
    if start < connectors.len() {
        runs.push(&connectors[start..]);
    }
    runs
}

/// The action and connector documents of one run of connectors.
fn index_run(connectors: &[&Connector]) -> (SearchIndexBuilder, SearchIndexBuilder) {
    let mut actions = SearchIndexBuilder::new(ACTION_FIELDS);
    let mut by_connector = SearchIndexBuilder::new(CONNECTOR_FIELDS);
    for c in connectors {
        let about = format!("{} {} {}", c.name, c.id, c.category);
        let resources: Vec<&str> = c.resources.iter().map(|r| r.name.as_str()).collect();
        by_connector.add(&[
            &format!("{} {}", c.name, c.id),
            &c.category,
            &c.description,
            &resources.join(" "),
        ]);
        for a in &c.actions {
            let inputs: Vec<&str> = a.inputs().map(|p| p.name.as_str()).collect();
            actions.add(&[
                &format!("{} {}", a.id, a.name),
                &a.resource,
                &a.path,
                &inputs.join(" "),
                &a.description,
                &about,
            ]);
        }
    }
    (actions, by_connector)
}

/// The words naming `connector`'s platform: the parts of its ID (`stripe-com` → `stripe`;
/// `googleapis-com-gmail` → `googleapis`, `google`, `gmail`). Titles are left out: they are
/// everyday words as often as names ("Subscriptions", "Calendar API").
fn platform_words(connector: &Connector) -> Vec<String> {
    let mut words: Vec<String> = Vec::new();
    for word in connector.id.split('-') {
        // Short names count when they carry a digit (`s3`, `ec2`).
        let short = word.len() < 3 && !word.bytes().any(|b| b.is_ascii_digit());
        if word.is_empty() || short || GENERIC_PLATFORM_WORDS.contains(&word) {
            continue;
        }
        if let Some(head) = word.strip_suffix("apis").filter(|h| h.len() >= 3) {
            words.push(head.to_owned());
        }
        words.push(word.to_owned());
    }
    words.sort();
    words.dedup();
    words
}
