//! Working out the parameters of the next page from a list answer (`x-alloy-pagination`), and
//! reading dotted paths such as `response_metadata.next_cursor` or `data.-1.id`.

use reqwest::header::{HeaderMap, LINK};
use serde_json::{Map, Value, json};
use url::Url;

use crate::model::{Action, Pagination, ParameterLocation};

/// The value at a dotted `path` of `body`; `$` or the empty path is the body itself. Array
/// indexes are numbers, `-1` being the last element.
pub fn lookup<'a>(body: &'a Value, path: &str) -> Option<&'a Value> {
    if path.is_empty() || path == "$" {
        return Some(body);
    }
    let path = path.strip_prefix("$.").unwrap_or(path);
    let mut current = body;
    for segment in path.split('.') {
        current = match current {
            Value::Object(map) => map.get(segment)?,
            Value::Array(items) => items.get(array_index(items.len(), segment)?)?,
            _ => return None,
        };
    }
    Some(current)
}

/// [`lookup`] for a mutable body (the same paths, the same indexes).
pub fn lookup_mut<'a>(body: &'a mut Value, path: &str) -> Option<&'a mut Value> {
    if path.is_empty() || path == "$" {
        return Some(body);
    }
    let path = path.strip_prefix("$.").unwrap_or(path);
    let mut current = body;
    for segment in path.split('.') {
        current = match current {
            Value::Object(map) => map.get_mut(segment)?,
            Value::Array(items) => {
                let i = array_index(items.len(), segment)?;
                items.get_mut(i)?
            }
            _ => return None,
        };
    }
    Some(current)
}

/// The position a path segment names in an array of `len` items: a number, `-1` being the
/// last; `None` when it is no number or out of range below.
pub fn array_index(len: usize, segment: &str) -> Option<usize> {
    let i: i64 = segment.parse().ok()?;
    if i < 0 {
        len.checked_sub(usize::try_from(i.unsigned_abs()).ok()?)
    } else {
        usize::try_from(i).ok()
    }
}

/// The parameters to merge into the call for the next page, or `None` on the last page.
pub(crate) fn next_page(
    action: &Action,
    sent: &Map<String, Value>,
    headers: &HeaderMap,
    body: &Value,
    auth_query_param: Option<&str>,
) -> Option<Value> {
    let pagination = action.pagination.as_ref()?;
    let list_len = action
        .list_path
        .as_deref()
        .and_then(|p| lookup(body, p))
        .and_then(Value::as_array)
        .map(Vec::len);
    match pagination {
        Pagination::Cursor {
            cursor_param,
            next_cursor_path,
            has_more_path,
            ..
        } => {
            if !has_more(body, has_more_path.as_deref())? {
                return None;
            }
            let cursor = lookup(body, next_cursor_path)?;
            let usable = match cursor {
                Value::String(s) => !s.is_empty(),
                Value::Number(_) => true,
                _ => false,
            };
            usable.then(|| json!({ cursor_param.clone(): cursor.clone() }))
        }
        Pagination::Offset {
            offset_param,
            limit_param,
            has_more_path,
        } => {
            let count = list_len?;
            if !more_after(
                body,
                has_more_path.as_deref(),
                count,
                action,
                sent,
                limit_param,
            )? {
                return None;
            }
            let current = number_param(action, sent, offset_param).unwrap_or(0);
            Some(json!({ offset_param.clone(): current + count as i64 }))
        }
        Pagination::Page {
            page_param,
            limit_param,
            has_more_path,
        } => {
            let count = list_len?;
            if !more_after(
                body,
                has_more_path.as_deref(),
                count,
                action,
                sent,
                limit_param,
            )? {
                return None;
            }
            let current = number_param(action, sent, page_param).unwrap_or(1);
            Some(json!({ page_param.clone(): current + 1 }))
        }
        Pagination::LinkHeader { .. } => {
            let next = headers
                .get_all(LINK)
                .iter()
                .filter_map(|v| v.to_str().ok())
                .find_map(next_link)?;
            declared_query_params(action, &Url::parse(&next).ok()?, auth_query_param)
        }
        Pagination::NextUrl { next_url_path, .. } => {
            let next = lookup(body, next_url_path)?
                .as_str()
                .filter(|s| !s.is_empty())?;
            // A path alone (Twilio, Salesforce) is read against a placeholder origin: only its
            // query matters.
            let url = Url::parse(next)
                .or_else(|_| Url::parse("http://next.invalid/").and_then(|base| base.join(next)))
                .ok()?;
            declared_query_params(action, &url, auth_query_param)
        }
    }
}

/// The query parameters of a next-page URL that the action declares, typed as it declares
/// them; never an API key the upstream echoed back. `None` when none is left.
fn declared_query_params(
    action: &Action,
    url: &Url,
    auth_query_param: Option<&str>,
) -> Option<Value> {
    let mut params = Map::new();
    for (k, v) in url.query_pairs() {
        if Some(k.as_ref()) == auth_query_param {
            continue;
        }
        let Some(param) = action
            .parameters
            .iter()
            .find(|p| p.location == ParameterLocation::Query && p.name == k)
        else {
            continue;
        };
        let value = Value::String(v.into_owned());
        let value = param.compiled().coerce_scalar(&value).unwrap_or(value);
        params.insert(k.into_owned(), value);
    }
    (!params.is_empty()).then_some(Value::Object(params))
}

/// `Some(true)` when there is no has-more flag or it is true; `None` when it says no.
fn has_more(body: &Value, path: Option<&str>) -> Option<bool> {
    match path {
        None => Some(true),
        Some(p) => (lookup(body, p) == Some(&Value::Bool(true))).then_some(true),
    }
}

/// Whether a page of `count` items is followed by another: the has-more flag when the platform
/// has one, else "the page was full" (or, without a known page size, "not empty").
fn more_after(
    body: &Value,
    has_more_path: Option<&str>,
    count: usize,
    action: &Action,
    sent: &Map<String, Value>,
    limit_param: &Option<String>,
) -> Option<bool> {
    if let Some(p) = has_more_path {
        return has_more(body, Some(p));
    }
    if count == 0 {
        return None;
    }
    let limit = limit_param
        .as_deref()
        .and_then(|l| number_param(action, sent, l));
    match limit {
        Some(limit) if (count as i64) < limit => None,
        _ => Some(true),
    }
}

/// A numeric parameter as sent, or its documented default.
fn number_param(action: &Action, sent: &Map<String, Value>, name: &str) -> Option<i64> {
    let as_int = |v: &Value| match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    };
    sent.get(name)
        .and_then(as_int)
        .or_else(|| action.parameter(name)?.default_value().and_then(as_int))
}

/// The `rel="next"` target of one `Link` header value (RFC 8288).
fn next_link(header: &str) -> Option<String> {
    for link in split_links(header) {
        let link = link.trim();
        let Some(rest) = link.strip_prefix('<') else {
            continue;
        };
        let Some(end) = rest.find('>') else {
            continue;
        };
        let target = &rest[..end];
        let is_next = rest[end + 1..].split(';').any(|param| {
            let param = param.trim();
            let Some((key, value)) = param.split_once('=') else {
                return false;
            };
            key.trim().eq_ignore_ascii_case("rel")
                && value
                    .trim()
                    .trim_matches('"')
                    .split_ascii_whitespace()
                    .any(|rel| rel.eq_ignore_ascii_case("next"))
        });
        if is_next {
            return Some(target.to_owned());
        }
    }
    None
}

/// Splits a `Link` value at the commas between links (not those inside `<…>` or quotes).
fn split_links(header: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut in_angle, mut in_quote, mut start) = (false, false, 0);
    for (i, c) in header.char_indices() {
        match c {
            '<' if !in_quote => in_angle = true,
            '>' if !in_quote => in_angle = false,
            '"' if !in_angle => in_quote = !in_quote,
            ',' if !in_angle && !in_quote => {
                parts.push(&header[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&header[start..]);
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dotted_paths() {
        let body = json!({"a": {"b": [1, 2, {"c": "x"}]}});
        assert_eq!(lookup(&body, "a.b.-1.c"), Some(&json!("x")));
        assert_eq!(lookup(&body, "a.b.0"), Some(&json!(1)));
        assert_eq!(lookup(&body, "a.b.9"), None);
        assert_eq!(lookup(&body, "a.b.-9"), None);
        assert_eq!(lookup(&body, "$"), Some(&body));
        assert_eq!(lookup(&body, "$.a.b.1"), Some(&json!(2)));
        assert_eq!(lookup(&body, "a.z"), None);
    }

    #[test]
    fn link_headers() {
        let h = r#"<https://api.github.com/user/repos?page=1>; rel="prev", <https://api.github.com/user/repos?page=3&per_page=2>; rel="next", <https://x/?a=1,2>; rel="last""#;
        assert_eq!(
            next_link(h).as_deref(),
            Some("https://api.github.com/user/repos?page=3&per_page=2")
        );
        assert_eq!(next_link(r#"<https://x/>; rel="prev last""#), None);
        assert_eq!(
            next_link(r#"<https://x/n>; rel="last next""#).as_deref(),
            Some("https://x/n")
        );
        assert_eq!(next_link("garbage"), None);
    }
}
