//! Smart response management: what an agent sees when a tool's main list is long.
//!
//! The rules are the reference's, by the number of items in the main list:
//!
//! - fewer than [`COMPLETE_BELOW`] (25): the answer is unchanged;
//! - 25 to [`REFINE_ABOVE`] (50): `{"data": <first 25>, "metadata": {originalCount,
//!   displayedCount, truncated, paginationHint}}`;
//! - more than 50: the `needsRefinement` object, whose message gives the real count and whose
//!   `suggestions` and `searchInstructions` name the real search, filter and limit parameters of
//!   the action that produced the list, with two or three (trimmed) samples.
//!
//! Whatever the tier, no array anywhere in an answer holds more than [`MAX_ARRAY_ITEMS`] items
//! ([`cap_arrays`]). Everything here is a pure function of its inputs.

use alloy_connectors::Action;
use alloy_connectors::pagination::{array_index, lookup, lookup_mut};
use serde_json::{Value, json};

/// Lists with fewer items than this are shown whole.
pub const COMPLETE_BELOW: usize = 25;
/// Lists with more items than this are replaced by refinement advice.
pub const REFINE_ABOVE: usize = 50;
/// How many items a medium list shows.
pub const DISPLAYED_ITEMS: usize = 25;
/// No array in a response holds more items than this (the reference's field limit).
pub const MAX_ARRAY_ITEMS: usize = 1000;
/// How many samples the refinement advice carries.
pub const SAMPLE_COUNT: usize = 3;

/// The reference's advice for any large result set.
pub const GUIDANCE: &str = "When dealing with large result sets, it's better to: \n 1. Search for \
                            specific items by name or ID \n 2. Use filtering parameters \n 3. \
                            Paginate through results";

/// Longest parameter description in `searchInstructions`.
const DESCRIPTION_CHARS: usize = 140;
/// Most parameters named in `searchInstructions`.
const MAX_INSTRUCTION_PARAMETERS: usize = 10;
/// Most parameter names in one suggestion.
const MAX_SUGGESTION_NAMES: usize = 3;

/// Which of the three presentations a list of `count` items gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tier {
    /// Fewer than 25 items: shown whole.
    Complete,
    /// 25 to 50 items: the first 25 with `metadata`.
    Truncated,
    /// More than 50 items: the `needsRefinement` object.
    NeedsRefinement,
}

impl Tier {
    /// The tier of a list of `count` items.
    pub fn for_count(count: usize) -> Self {
        if count < COMPLETE_BELOW {
            Tier::Complete
        } else if count <= REFINE_ABOVE {
            Tier::Truncated
        } else {
            Tier::NeedsRefinement
        }
    }
}

mod guide;
mod sample;

pub use guide::{NarrowingParameter, ParameterRole, RefinementGuide};
pub(crate) use guide::{first_sentence, truncate_chars};
use sample::sample;

/// A list after shaping.
#[derive(Debug, Clone, PartialEq)]
pub enum ShapedList {
    /// Fewer than 25 items: the items as they were (nested arrays capped).
    Complete(Vec<Value>),
    /// 25 to 50 items: `{"data", "metadata"}`.
    Truncated(Value),
    /// More than 50 items: the `needsRefinement` object.
    NeedsRefinement(Value),
}

/// Shapes a list by its length; `guide` supplies the refinement advice.
pub fn shape_list(mut items: Vec<Value>, guide: &RefinementGuide) -> ShapedList {
    match Tier::for_count(items.len()) {
        Tier::Complete => {
            items.iter_mut().for_each(cap_arrays);
            ShapedList::Complete(items)
        }
        Tier::Truncated => ShapedList::Truncated(truncated(items)),
        Tier::NeedsRefinement => ShapedList::NeedsRefinement(needs_refinement(&items, guide)),
    }
}

/// `{"data": <first 25>, "metadata": {...}}` for a medium list.
fn truncated(mut items: Vec<Value>) -> Value {
    let original = items.len();
    items.truncate(DISPLAYED_ITEMS);
    let displayed = items.len();
    let mut out = json!({
        "data": items,
        "metadata": {
            "originalCount": original,
            "displayedCount": displayed,
            "truncated": displayed < original,
            "paginationHint": format!("Showing first {displayed} of {original} items."),
        }
    });
    cap_arrays(&mut out);
    out
}

/// The `needsRefinement` object for a list too long to show.
fn needs_refinement(items: &[Value], guide: &RefinementGuide) -> Value {
    let samples: Vec<Value> = items.iter().take(SAMPLE_COUNT).map(sample).collect();
    json!({
        "needsRefinement": true,
        "message": format!(
            "Found {} {}. This is too many to display effectively.",
            items.len(),
            guide.noun
        ),
        "guidance": GUIDANCE,
        "suggestions": guide.suggestions(),
        "searchInstructions": guide.search_instructions(),
        "samples": samples,
    })
}

/// The tier an action's answer falls in, by the length of its main list; `None` when the answer
/// has no main list.
pub fn action_result_tier(action: &Action, body: &Value) -> Option<Tier> {
    let path = match action.list_path.as_deref() {
        Some(p) => p,
        None if body.is_array() => "$",
        None => return None,
    };
    lookup(body, path)
        .and_then(Value::as_array)
        .map(|items| Tier::for_count(items.len()))
}

/// Shapes an action's answer by its main list: the list at the action's `x-alloy-list-path`
/// (or the body itself when it is an array and the action names no path).
///
/// - No list, or fewer than 25 items: the body unchanged.
/// - 25–50: `{"data", "metadata"}` followed by the body's other top-level members (Slack's `ok`,
///   Stripe's `has_more`, …), except any named `data` or `metadata`, which the reference's
///   members replace.
/// - More than 50: the `needsRefinement` object alone, built from the action's parameters.
///
/// Arrays are capped at [`MAX_ARRAY_ITEMS`] in every case.
pub fn shape_action_result(action: &Action, mut body: Value) -> Value {
    let path = match action.list_path.as_deref() {
        Some(p) => p.to_owned(),
        None if body.is_array() => "$".to_owned(),
        None => {
            cap_arrays(&mut body);
            return body;
        }
    };
    let count = lookup(&body, &path).and_then(Value::as_array).map(Vec::len);
    let Some(count) = count else {
        cap_arrays(&mut body);
        return body;
    };
    match Tier::for_count(count) {
        Tier::Complete => {
            cap_arrays(&mut body);
            body
        }
        Tier::NeedsRefinement => {
            let items = lookup(&body, &path)
                .and_then(Value::as_array)
                .map(Vec::as_slice)
                .unwrap_or_default();
            let mut out = needs_refinement(items, &RefinementGuide::for_action(action));
            cap_arrays(&mut out);
            out
        }
        Tier::Truncated => {
            let (items, rest) = take_list(body, &path);
            let mut out = truncated(items);
            if let (Value::Object(rest), Some(obj)) = (rest, out.as_object_mut()) {
                for (k, v) in rest {
                    if k != "data" && k != "metadata" {
                        obj.insert(k, v);
                    }
                }
            }
            cap_arrays(&mut out);
            out
        }
    }
}

/// Removes the array at `path` from `body`, returning it and what is left of the body
/// (`null` when the body was the list).
fn take_list(body: Value, path: &str) -> (Vec<Value>, Value) {
    let path = path.strip_prefix("$.").unwrap_or(path);
    if path.is_empty() || path == "$" {
        return match body {
            Value::Array(items) => (items, Value::Null),
            other => (Vec::new(), other),
        };
    }
    let mut body = body;
    let (parent_path, last) = match path.rsplit_once('.') {
        Some((parent, last)) => (Some(parent), last),
        None => (None, path),
    };
    let parent = match parent_path {
        Some(p) => lookup_mut(&mut body, p),
        None => Some(&mut body),
    };
    let taken = match parent {
        Some(Value::Object(map)) => map.remove(last),
        Some(Value::Array(items)) => array_index(items.len(), last)
            .and_then(|i| items.get_mut(i))
            .map(Value::take),
        _ => None,
    };
    match taken {
        Some(Value::Array(items)) => (items, body),
        _ => (Vec::new(), body),
    }
}

/// Cuts every array in `value`, however deeply nested, to [`MAX_ARRAY_ITEMS`] items.
pub fn cap_arrays(value: &mut Value) {
    // An explicit stack: nesting depth is the input's, and must not become stack depth.
    let mut stack = vec![value];
    while let Some(v) = stack.pop() {
        match v {
            Value::Array(items) => {
                items.truncate(MAX_ARRAY_ITEMS);
                stack.extend(items.iter_mut());
            }
            Value::Object(map) => stack.extend(map.values_mut()),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::guide::*;
    use super::*;
    use alloy_connectors::Connector;
    use alloy_connectors::openapi::load_document;

    /// A connector with a Slack-like users list (cursor pagination, a search and a filter
    /// parameter), a bare-array list, a list without narrowing parameters, and a nested list.
    fn connector() -> Connector {
        let doc = json!({
            "openapi": "3.1.0",
            "info": {"title": "Shop", "x-alloy-id": "shop"},
            "servers": [{"url": "https://api.example.com"}],
            "paths": {
                "/users": {"get": {
                    "operationId": "users_list",
                    "summary": "List users",
                    "tags": ["users"],
                    "parameters": [
                        {"name": "query", "in": "query", "description": "Search by name. Partial matches count.", "schema": {"type": "string"}},
                        {"name": "status", "in": "query", "schema": {"type": "string", "enum": ["active", "deleted"]}},
                        {"name": "team", "in": "query", "required": true, "schema": {"type": "string"}},
                        {"name": "limit", "in": "query", "description": "Limit results", "schema": {"type": "integer", "maximum": 200}},
                        {"name": "cursor", "in": "query", "schema": {"type": "string"}}
                    ],
                    "x-alloy-list-path": "members",
                    "x-alloy-pagination": {"style": "cursor", "cursorParam": "cursor", "nextCursorPath": "next", "limitParam": "limit"}
                }},
                "/orders": {"get": {
                    "operationId": "list_orders",
                    "tags": ["Orders"],
                    "parameters": [
                        {"name": "per_page", "in": "query", "schema": {"type": "integer", "minimum": 20, "maximum": 100}},
                        {"name": "page", "in": "query", "schema": {"type": "integer"}}
                    ],
                    "x-alloy-list-path": "$"
                }},
                "/things": {"get": {"operationId": "things", "tags": ["Typeahead"], "x-alloy-list-path": "result.widgets"}},
                "/plain": {"get": {"operationId": "plain"}}
            }
        });
        load_document("shop.json", &doc.to_string(), None).unwrap()
    }

    fn items(n: usize) -> Vec<Value> {
        (0..n)
            .map(|i| json!({"id": format!("U{i}"), "name": format!("User {i}")}))
            .collect()
    }

    #[test]
    fn tiers_have_the_reference_boundaries() {
        assert_eq!(Tier::for_count(0), Tier::Complete);
        assert_eq!(Tier::for_count(24), Tier::Complete);
        assert_eq!(Tier::for_count(25), Tier::Truncated);
        assert_eq!(Tier::for_count(50), Tier::Truncated);
        assert_eq!(Tier::for_count(51), Tier::NeedsRefinement);
    }

    #[test]
    fn small_results_are_unchanged() {
        let c = connector();
        let action = c.action("users_list").unwrap();
        let body = json!({"ok": true, "members": items(10), "next": "c2"});
        assert_eq!(shape_action_result(action, body.clone()), body);
        let body = json!({"ok": true, "members": items(24)});
        assert_eq!(shape_action_result(action, body.clone()), body);
    }

    #[test]
    fn medium_results_show_the_first_25_with_metadata_and_keep_the_other_members() {
        let c = connector();
        let action = c.action("users_list").unwrap();
        let body = json!({"ok": true, "members": items(30), "next": "c2", "metadata": {"x": 1}});
        let shaped = shape_action_result(action, body);
        assert_eq!(shaped["data"], json!(items(25)));
        assert_eq!(
            shaped["metadata"],
            json!({
                "originalCount": 30,
                "displayedCount": 25,
                "truncated": true,
                "paginationHint": "Showing first 25 of 30 items."
            })
        );
        assert_eq!(shaped["ok"], true);
        assert_eq!(shaped["next"], "c2");
        assert!(shaped.get("members").is_none());
        let keys: Vec<&String> = shaped.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["data", "metadata", "ok", "next"]);
    }

    #[test]
    fn exactly_25_and_50_are_medium() {
        let c = connector();
        let action = c.action("list_orders").unwrap();
        let shaped = shape_action_result(action, json!(items(25)));
        assert_eq!(shaped["metadata"]["truncated"], false);
        assert_eq!(
            shaped["metadata"]["paginationHint"],
            "Showing first 25 of 25 items."
        );
        let shaped = shape_action_result(action, json!(items(50)));
        assert_eq!(shaped["data"].as_array().unwrap().len(), 25);
        assert_eq!(shaped["metadata"]["originalCount"], 50);
        assert_eq!(shaped["metadata"]["truncated"], true);
    }

    #[test]
    fn large_results_need_refinement_built_from_the_action() {
        let c = connector();
        let action = c.action("users_list").unwrap();
        let shaped = shape_action_result(action, json!({"ok": true, "members": items(298)}));
        assert_eq!(
            shaped,
            json!({
                "needsRefinement": true,
                "message": "Found 298 users. This is too many to display effectively.",
                "guidance": GUIDANCE,
                "suggestions": [
                    "Try: users_list with limit parameter (e.g., { limit: 10 })",
                    "Search for specific users by query",
                    "Filter by status",
                    "Page through results with the cursor parameter, a smaller page at a time"
                ],
                "searchInstructions": "You can search using: \n - query (query): Search by name \n - status (query): Filter by status (one of: active, deleted) \n - limit (query): Limit results (e.g., 10)",
                "samples": [items(3)[0], items(3)[1], items(3)[2]]
            })
        );
    }

    #[test]
    fn limit_example_respects_the_parameter_range_and_nouns_come_from_resources() {
        let c = connector();
        let action = c.action("list_orders").unwrap();
        let shaped = shape_action_result(action, json!(items(51)));
        assert_eq!(
            shaped["message"],
            "Found 51 orders. This is too many to display effectively."
        );
        assert_eq!(
            shaped["suggestions"][0],
            "Try: list_orders with per_page parameter (e.g., { per_page: 20 })"
        );
        assert_eq!(
            shaped["suggestions"][1],
            "Page through results with the page parameter, a smaller page at a time"
        );
        assert_eq!(
            shaped["searchInstructions"],
            "You can search using: \n - per_page (query): Limit results (e.g., 20)"
        );
    }

    #[test]
    fn nested_lists_and_actions_without_parameters() {
        let c = connector();
        let action = c.action("things").unwrap();
        let body = json!({"result": {"widgets": items(60), "total": 60}});
        let shaped = shape_action_result(action, body);
        assert_eq!(
            shaped["message"],
            "Found 60 widgets. This is too many to display effectively."
        );
        assert_eq!(
            shaped["searchInstructions"],
            "things takes no search, filter or limit parameters."
        );
        assert_eq!(shaped["suggestions"].as_array().unwrap().len(), 1);
        assert!(
            shaped["suggestions"][0]
                .as_str()
                .unwrap()
                .contains("discover_action_path_alloy")
        );

        let shaped = shape_action_result(
            action,
            json!({"result": {"widgets": items(26), "total": 26}}),
        );
        assert_eq!(shaped["metadata"]["originalCount"], 26);
        assert_eq!(shaped["result"], json!({"total": 26}));
    }

    #[test]
    fn bodies_without_the_list_are_unchanged() {
        let c = connector();
        let users = c.action("users_list").unwrap();
        let body = json!({"ok": false, "error": "nope"});
        assert_eq!(shape_action_result(users, body.clone()), body);
        let body = json!({"members": "not a list"});
        assert_eq!(shape_action_result(users, body.clone()), body);
        let plain = c.action("plain").unwrap();
        let body = json!({"value": items(100)});
        assert_eq!(shape_action_result(plain, body.clone()), body);
        // No list path, but the body is itself a list.
        let shaped = shape_action_result(plain, json!(items(30)));
        assert_eq!(shaped["metadata"]["originalCount"], 30);
    }

    #[test]
    fn arrays_never_exceed_1000_items() {
        let c = connector();
        let plain = c.action("plain").unwrap();
        let nested: Vec<Value> = (0..1500).map(|i| json!(i)).collect();
        let body = json!({"a": {"b": [{"c": nested.clone()}]}, "d": nested.clone()});
        let shaped = shape_action_result(plain, body);
        assert_eq!(shaped["a"]["b"][0]["c"].as_array().unwrap().len(), 1000);
        assert_eq!(shaped["d"].as_array().unwrap().len(), 1000);
        assert_eq!(shaped["d"][999], 999);

        // The real count is reported even when the upstream list itself is over the cap.
        let users = c.action("users_list").unwrap();
        let shaped = shape_action_result(users, json!({"members": items(1500)}));
        assert_eq!(
            shaped["message"],
            "Found 1500 users. This is too many to display effectively."
        );

        // Deep nesting does not recurse.
        let mut deep = Value::Array(nested);
        for _ in 0..10_000 {
            deep = Value::Array(vec![deep]);
        }
        cap_arrays(&mut deep);
        // Drop the value iteratively too: serde_json's recursive drop would overflow.
        let (mut stack, mut longest) = (vec![deep], 0);
        while let Some(v) = stack.pop() {
            if let Value::Array(items) = v {
                longest = longest.max(items.len());
                stack.extend(items);
            }
        }
        assert_eq!(longest, MAX_ARRAY_ITEMS);
    }

    #[test]
    fn generic_lists_use_the_given_guide() {
        let guide = RefinementGuide::new("connectors", "list_connectors_alloy").with_parameter(
            NarrowingParameter {
                name: "category".into(),
                location: "argument".into(),
                description: "One of: crm, email".into(),
                role: ParameterRole::Filter,
                example: None,
            },
        );
        match shape_list(items(3), &guide) {
            ShapedList::Complete(list) => assert_eq!(list, items(3)),
            other => panic!("{other:?}"),
        }
        match shape_list(items(40), &guide) {
            ShapedList::Truncated(v) => assert_eq!(v["metadata"]["originalCount"], 40),
            other => panic!("{other:?}"),
        }
        match shape_list(items(80), &guide) {
            ShapedList::NeedsRefinement(v) => {
                assert_eq!(
                    v["message"],
                    "Found 80 connectors. This is too many to display effectively."
                );
                assert_eq!(v["suggestions"], json!(["Filter by category"]));
                assert_eq!(
                    v["searchInstructions"],
                    "You can search using: \n - category (argument): One of: crm, email"
                );
                assert_eq!(v["samples"].as_array().unwrap().len(), 3);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn text_helpers() {
        assert_eq!(humanize("PhoneNumbers"), "phone numbers");
        assert_eq!(humanize("merge_requests"), "merge requests");
        assert_eq!(humanize("Issue comments"), "issue comments");
        assert_eq!(first_sentence("Search by name. More."), "Search by name");
        assert_eq!(first_sentence("One line\nanother"), "One line");
        assert_eq!(
            first_sentence("Sort order, e.g. `asc`. Default desc."),
            "Sort order, e.g. `asc`"
        );
        assert_eq!(first_sentence("A. B\nC. D"), "A");
        assert_eq!(first_sentence("Trailing e.g. "), "Trailing e.g");
        assert_eq!(truncate_chars("abc", 2), "ab…");
        assert_eq!(truncate_chars("abc", 3), "abc");
        assert_eq!(join_or(&["a", "b", "c", "d"]), "a, b or c");
        assert_eq!(normalize("page[size]"), "pagesize");
        assert!(is_limit(&normalize("maxResults")));
        assert!(is_page_name(&normalize("starting_after")));
        assert!(is_search(&normalize("email_address")));
    }
}
