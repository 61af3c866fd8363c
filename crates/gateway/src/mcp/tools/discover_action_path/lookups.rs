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
    main: &Action,
) -> Vec<(&'a Action, String)> {
    let mut out: Vec<(&Action, String)> = Vec::new();
    for parameter in required_parameters(connector, main) {
        if out.len() >= MAX_LOOKUPS {
            break;
        }
        // A path parameter that is a plain noun (Stripe's `{charge}`) names that object too.
        let in_path = main
            .parameter(&parameter)
            .is_some_and(|p| p.location == alloy_connectors::ParameterLocation::Path);
        let entity = referenced_entity(&parameter).or_else(|| {
            in_path
                .then(|| path_entity(&main.path, &parameter))
                .flatten()
        });
        let Some(entity) = entity else {
            continue;
        };
        // Only list actions are read for their words: a large connector has thousands of others.
        let found = actions
            .iter()
            .filter(|a| a.id != main.id && a.is_read_only() && lists_something(a))
            .filter(|a| !out.iter().any(|(o, _)| o.id == a.id))
            .map(|a| (a, ActionWords::names_of(a)))
            .map(|(a, w)| {
                let names = w.name.contains(&entity) || w.name_canonical.contains(&entity);
                let mut points = if names || collection_of(a).as_ref() == Some(&entity) {
                    2
                } else if w.resource.contains(&entity) {
                    1
                } else {
                    0
                };
                // Of two readers of the same objects, the one that lists them ("List
                // repositories for the authenticated user") beats one that reports on them.
                if points > 0
                    && w.verbs
                        .iter()
                        .any(|v| matches!(v.as_str(), "list" | "search"))
                {
                    points += 1;
                }
                (*a, points, w.name.len())
            })
            .filter(|(_, points, _)| *points > 0)
            // The most points; of equals, the plainest name (`conversations.list` over
            // `admin.conversations.ekm.listOriginalConnectedChannelInfo`), then document order.
            .fold(
                None::<(&Action, u32, usize)>,
                |best, (a, p, n)| match best {
                    Some((_, bp, bn)) if bp > p || (bp == p && bn <= n) => best,
                    _ => Some((a, p, n)),
                },
            );
        if let Some((action, _, _)) = found {
            out.push((action, parameter));
        }
    }
    out
}

/// The object a path parameter stands for: a noun is its own (`{charge}` → `charge`); a bare
/// ID is one of what the path segment before it names (`/messages/{id}` → `message`).
fn path_entity(path: &str, parameter: &str) -> Option<String> {
    let name = words(parameter).pop()?;
    if !matches!(name.as_str(), "id" | "uuid" | "key" | "slug" | "name") {
        return Some(canonical(&name).to_owned());
    }
    let placeholder = format!("{{{parameter}}}");
    let mut previous = None;
    for segment in path.split('/') {
        if segment == placeholder {
            let word = words(previous?).pop()?;
            return Some(canonical(&word).to_owned());
        }
        if !segment.starts_with('{') {
            previous = Some(segment);
        }
    }
    None
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
