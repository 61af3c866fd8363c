//! What narrows a list: an action's search, filter, limit and page parameters, read from its
//! definition, and the sentences of a `needsRefinement` answer that name them.

use alloy_connectors::{Action, Pagination, Parameter, ParameterLocation};
use serde_json::{Value, json};

use super::{DESCRIPTION_CHARS, MAX_INSTRUCTION_PARAMETERS, MAX_SUGGESTION_NAMES};

/// What a parameter can do to narrow a list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParameterRole {
    /// Finds items by text, name, email, a query language, ….
    Search,
    /// Narrows by a property (status, type, date, owner, …).
    Filter,
    /// Caps the number of items per answer.
    Limit,
}

/// A parameter the advice tells the agent to use.
#[derive(Debug, Clone, PartialEq)]
pub struct NarrowingParameter {
    /// The name the agent passes.
    pub name: String,
    /// Where it goes, as shown to the agent (`query`, `body`, `argument`).
    pub location: String,
    /// One line about it.
    pub description: String,
    /// What it does to the list.
    pub role: ParameterRole,
    /// For a limit: the example value (10, or less when the parameter's maximum is lower).
    pub example: Option<Value>,
}

/// What the refinement advice for one list is made of.
#[derive(Debug, Clone, PartialEq)]
pub struct RefinementGuide {
    /// Plural noun for the items, e.g. `users`.
    pub noun: String,
    /// The action ID or tool name the agent calls again with narrower parameters.
    pub operation: String,
    /// Search parameters first, then filters, then the limit.
    pub parameters: Vec<NarrowingParameter>,
    /// The parameter that selects the next page (cursor, offset or page number), if any.
    pub page_parameter: Option<String>,
}

impl RefinementGuide {
    /// Advice for a list of `noun` produced by `operation`, with no parameters yet.
    pub fn new(noun: impl Into<String>, operation: impl Into<String>) -> Self {
        RefinementGuide {
            noun: noun.into(),
            operation: operation.into(),
            parameters: Vec::new(),
            page_parameter: None,
        }
    }

    /// Adds a parameter (kept in search, filter, limit order).
    pub fn with_parameter(mut self, parameter: NarrowingParameter) -> Self {
        self.parameters.push(parameter);
        self.parameters.sort_by_key(|p| role_rank(p.role));
        self
    }

    /// Advice built from an action's real parameters: its query parameters and top-level body
    /// fields sorted into search, filter and limit roles, and its pagination parameter.
    pub fn for_action(action: &Action) -> Self {
        let (limit_name, page_name) = pagination_names(action.pagination.as_ref());
        let mut search = Vec::new();
        let mut filters = Vec::new();
        let mut limit: Option<NarrowingParameter> = None;
        let mut page_parameter = page_name.clone();
        for p in action.inputs() {
            if !matches!(
                p.location,
                ParameterLocation::Query | ParameterLocation::Body
            ) {
                continue;
            }
            let norm = normalize(&p.name);
            let is_declared_limit = limit_name.as_deref() == Some(p.name.as_str());
            if page_name.as_deref() == Some(p.name.as_str()) || is_page_name(&norm) {
                page_parameter.get_or_insert_with(|| p.name.clone());
                continue;
            }
            if is_declared_limit || (limit_name.is_none() && limit.is_none() && is_limit(&norm)) {
                limit = Some(limit_parameter(p));
                continue;
            }
            if is_limit(&norm) {
                // A second page-size parameter adds nothing to the advice.
                continue;
            }
            if is_search(&norm) {
                search.push(narrowing(p, ParameterRole::Search));
            } else if !p.required {
                // Required inputs (a channel, a project) say what to list, not how to narrow it.
                filters.push(narrowing(p, ParameterRole::Filter));
            }
        }
        let mut parameters = search;
        parameters.extend(filters);
        parameters.extend(limit);
        RefinementGuide {
            noun: noun_for(action),
            operation: action.id.clone(),
            parameters,
            page_parameter,
        }
    }

    fn of_role(&self, role: ParameterRole) -> impl Iterator<Item = &NarrowingParameter> {
        self.parameters.iter().filter(move |p| p.role == role)
    }

    /// The `suggestions` list: one line per way of narrowing the list that the operation offers.
    pub fn suggestions(&self) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(limit) = self.of_role(ParameterRole::Limit).next() {
            let example = limit.example.clone().unwrap_or_else(|| json!(10));
            out.push(format!(
                "Try: {} with {} parameter (e.g., {{ {}: {} }})",
                self.operation, limit.name, limit.name, example
            ));
        }
        let search: Vec<&str> = self
            .of_role(ParameterRole::Search)
            .map(|p| p.name.as_str())
            .collect();
        if !search.is_empty() {
            out.push(format!(
                "Search for specific {} by {}",
                self.noun,
                join_or(&search)
            ));
        }
        let filters: Vec<&str> = self
            .of_role(ParameterRole::Filter)
            .map(|p| p.name.as_str())
            .collect();
        if !filters.is_empty() {
            out.push(format!("Filter by {}", join_or(&filters)));
        }
        if let Some(page) = &self.page_parameter {
            out.push(format!(
                "Page through results with the {page} parameter, a smaller page at a time"
            ));
        }
        if out.is_empty() {
            out.push(format!(
                "{} has no search, filter or limit parameters: ask which {} are needed, or use \
                 discover_action_path_alloy to find an action that searches",
                self.operation, self.noun
            ));
        }
        out
    }

    /// The `searchInstructions` text: every narrowing parameter with where it goes and what it
    /// does.
    pub fn search_instructions(&self) -> String {
        if self.parameters.is_empty() {
            return format!(
                "{} takes no search, filter or limit parameters.",
                self.operation
            );
        }
        let mut text = String::from("You can search using:");
        for p in self.parameters.iter().take(MAX_INSTRUCTION_PARAMETERS) {
            text.push_str(&format!(
                " \n - {} ({}): {}",
                p.name, p.location, p.description
            ));
        }
        text
    }
}

pub(super) fn role_rank(role: ParameterRole) -> u8 {
    match role {
        ParameterRole::Search => 0,
        ParameterRole::Filter => 1,
        ParameterRole::Limit => 2,
    }
}

/// The pagination's limit and page-selecting parameter names.
pub(super) fn pagination_names(
    pagination: Option<&Pagination>,
) -> (Option<String>, Option<String>) {
    match pagination {
        None => (None, None),
        Some(Pagination::Cursor {
            cursor_param,
            limit_param,
            ..
        }) => (limit_param.clone(), Some(cursor_param.clone())),
        Some(Pagination::Offset {
            offset_param,
            limit_param,
            ..
        }) => (limit_param.clone(), Some(offset_param.clone())),
        Some(Pagination::Page {
            page_param,
            limit_param,
            ..
        }) => (limit_param.clone(), Some(page_param.clone())),
        Some(Pagination::LinkHeader { limit_param } | Pagination::NextUrl { limit_param, .. }) => {
            (limit_param.clone(), None)
        }
    }
}

/// Lower case without `_`, `-`, `.`, `[`, `]` and `$`, so `per_page`, `perPage` and `page[size]`
/// compare alike.
pub(super) fn normalize(name: &str) -> String {
    name.chars()
        .filter(|c| !matches!(c, '_' | '-' | '.' | '[' | ']' | '$'))
        .flat_map(char::to_lowercase)
        .collect()
}

pub(super) fn is_page_name(norm: &str) -> bool {
    matches!(
        norm,
        "cursor"
            | "page"
            | "offset"
            | "pagetoken"
            | "nextpagetoken"
            | "startingafter"
            | "endingbefore"
            | "startcursor"
            | "pageinfo"
            | "sinceid"
            | "nextpage"
            | "skip"
            | "startat"
            | "after"
            | "pageafter"
            | "pagebefore"
    )
}

pub(super) fn is_limit(norm: &str) -> bool {
    norm.contains("limit")
        || norm.contains("pagesize")
        || matches!(
            norm,
            "perpage" | "maxresults" | "top" | "first" | "count" | "size" | "maxitems"
        )
}

pub(super) fn is_search(norm: &str) -> bool {
    matches!(
        norm,
        "q" | "term" | "keyword" | "keywords" | "text" | "jql" | "soql" | "sosl" | "title"
    ) || norm.contains("query")
        || norm.contains("search")
        || norm.contains("email")
        || norm.contains("name")
        || norm.contains("phone")
}

pub(super) fn narrowing(p: &Parameter, role: ParameterRole) -> NarrowingParameter {
    let fallback = match role {
        ParameterRole::Search => format!("Search by {}", p.name),
        ParameterRole::Filter => format!("Filter by {}", p.name),
        ParameterRole::Limit => "Limit results".to_owned(),
    };
    let mut description = p
        .description
        .as_deref()
        .map(first_sentence)
        .filter(|d| !d.is_empty())
        .unwrap_or(fallback);
    if let Some(values) = p.enum_values().filter(|v| v.len() <= 6)
        && !values.is_empty()
    {
        let shown: Vec<String> = values.iter().map(display_scalar).collect();
        description.push_str(&format!(" (one of: {})", shown.join(", ")));
    }
    NarrowingParameter {
        name: p.name.clone(),
        location: location_name(p.location).to_owned(),
        description,
        role,
        example: None,
    }
}

pub(super) fn limit_parameter(p: &Parameter) -> NarrowingParameter {
    let mut example: i64 = 10;
    if let Some(max) = p.schema().get("maximum").and_then(Value::as_i64) {
        example = example.min(max);
    }
    if let Some(min) = p.schema().get("minimum").and_then(Value::as_i64) {
        example = example.max(min);
    }
    let mut limit = narrowing(p, ParameterRole::Limit);
    limit.description.push_str(&format!(" (e.g., {example})"));
    limit.example = Some(json!(example));
    limit
}

pub(super) fn location_name(location: ParameterLocation) -> &'static str {
    match location {
        ParameterLocation::Path => "path",
        ParameterLocation::Query => "query",
        ParameterLocation::Header => "header",
        ParameterLocation::Cookie => "cookie",
        ParameterLocation::Body => "body",
    }
}

pub(super) fn display_scalar(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The first sentence of a description, without its final period, at most
/// [`DESCRIPTION_CHARS`] characters.
pub(crate) fn first_sentence(text: &str) -> String {
    let text = text.trim();
    let mut end = text.find('\n').unwrap_or(text.len());
    let mut from = 0;
    while let Some(i) = text[from..end].find(". ") {
        let at = from + i;
        // "e.g. " and the like do not end a sentence.
        if ["e.g", "i.e", "etc", "vs"]
            .iter()
            .any(|abbr| text[..at].ends_with(abbr))
        {
            from = at + 2;
            continue;
        }
        end = at;
        break;
    }
    let sentence = text[..end].trim().trim_end_matches('.');
    truncate_chars(sentence, DESCRIPTION_CHARS)
}

/// `s` cut to at most `max` characters (on a character boundary), with `…` when cut.
pub(crate) fn truncate_chars(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        None => s.to_owned(),
        Some((cut, _)) => format!("{}…", &s[..cut]),
    }
}

pub(super) fn join_or(names: &[&str]) -> String {
    let names = &names[..names.len().min(MAX_SUGGESTION_NAMES)];
    match names {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

/// The plural noun for an action's items: its resource when that reads as a plural noun
/// (`Customers`, `merge_requests`, `PhoneNumbers`), else the list's own key unless it is a
/// generic one (`data`, `items`, …), else `items`.
pub(super) fn noun_for(action: &Action) -> String {
    let resource = humanize(&action.resource);
    if resource.ends_with('s') && resource != "default" {
        return resource;
    }
    let key = action
        .list_path
        .as_deref()
        .and_then(|p| p.rsplit('.').find(|s| s.parse::<i64>().is_err()))
        .map(humanize)
        .unwrap_or_default();
    let generic = matches!(
        key.as_str(),
        "" | "$"
            | "data"
            | "items"
            | "results"
            | "result"
            | "records"
            | "values"
            | "list"
            | "entries"
            | "elements"
            | "value"
    );
    if generic { "items".to_owned() } else { key }
}

/// `PhoneNumbers` → `phone numbers`, `merge_requests` → `merge requests`.
pub(super) fn humanize(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    let mut prev_lower = false;
    for c in name.chars() {
        if c == '_' || c == '-' {
            out.push(' ');
            prev_lower = false;
            continue;
        }
        if c.is_uppercase() && prev_lower {
            out.push(' ');
        }
        prev_lower = c.is_lowercase() || c.is_ascii_digit();
        out.extend(c.to_lowercase());
    }
    out.trim().to_owned()
}
