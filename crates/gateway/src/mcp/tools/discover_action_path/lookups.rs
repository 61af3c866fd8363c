//! Look-up steps: which read-only action of the same connector finds the ID a required
//! parameter names (`channel`, `owner_id`, `issueIdOrKey`).

use alloy_connectors::{Action, Connector};

use super::MAX_LOOKUPS;
use super::goal::{canonical, words};
use super::ranking::ActionWords;
use crate::mcp::tools::get_action_details::required_parameters;

/// Read-only list actions that find the IDs `main`'s required parameters refer to (a
/// `channel`, an `owner_id`, a `projectId`), at most [`MAX_LOOKUPS`], each with the parameter
/// it serves.
pub(super) fn lookups<'a>(
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
pub(super) fn lists_something(action: &Action) -> bool {
    action.list_path.is_some() || collection_of(action).is_some()
}

/// The kind of object a read of a collection path lists: `GET /v1/customers` → `customer`.
pub(super) fn collection_of(action: &Action) -> Option<String> {
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
pub(super) fn referenced_entity(parameter: &str) -> Option<String> {
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
