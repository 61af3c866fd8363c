//! Small readers of the document: tags, examples, and the `x-alloy-*` extensions of curated
//! connectors (error conventions, credential fields, pagination).

use std::collections::HashMap;

use serde_json::{Map, Value};

use super::str_field;
use crate::credential::CredentialField;
use crate::model::{ErrorConvention, Pagination};

/// `example`, or the first of `examples` (3.0 map of Example objects, 3.1 array).
pub(super) fn example_of(obj: &Map<String, Value>) -> Option<Value> {
    if let Some(e) = obj.get("example") {
        return Some(e.clone());
    }
    match obj.get("examples")? {
        Value::Array(list) => list.first().cloned(),
        Value::Object(map) => map.values().next().and_then(|e| e.get("value")).cloned(),
        _ => None,
    }
}

/// Each tag's description, by tag name.
pub(super) fn tag_descriptions(root: &Map<String, Value>) -> HashMap<String, String> {
    root.get("tags")
        .and_then(Value::as_array)
        .map(|tags| {
            tags.iter()
                .filter_map(|t| {
                    Some((
                        t.get("name")?.as_str()?.to_owned(),
                        t.get("description")?.as_str()?.to_owned(),
                    ))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// `info.x-alloy-error`.
pub(super) fn error_convention(raw: &Value) -> Result<ErrorConvention, String> {
    let obj = raw.as_object().ok_or("must be an object")?;
    let ok_field = str_field(obj, "okField").ok_or("missing `okField`")?;
    let error_field = str_field(obj, "errorField").ok_or("missing `errorField`")?;
    let auth_errors = match obj.get("authErrors") {
        None => Vec::new(),
        Some(Value::Array(list)) => list
            .iter()
            .map(|v| v.as_str().map(str::to_owned))
            .collect::<Option<Vec<_>>>()
            .ok_or("`authErrors` must be an array of strings")?,
        Some(_) => return Err("`authErrors` must be an array of strings".into()),
    };
    Ok(ErrorConvention {
        ok_field,
        error_field,
        auth_errors,
    })
}

/// `info.x-alloy-credential-fields`.
pub(super) fn credential_fields(raw: &Value) -> Result<Vec<CredentialField>, String> {
    let list = raw.as_array().ok_or("must be an array")?;
    list.iter()
        .enumerate()
        .map(|(i, f)| {
            let f = f.as_object().ok_or(format!("[{i}] must be an object"))?;
            let name = str_field(f, "name")
                .filter(|n| !n.is_empty())
                .ok_or(format!("[{i}] has no `name`"))?;
            Ok(CredentialField {
                description: str_field(f, "description").unwrap_or_else(|| name.clone()),
                name,
                required: f.get("required") != Some(&Value::Bool(false)),
                secret: f.get("secret") == Some(&Value::Bool(true)),
            })
        })
        .collect()
}

/// `x-alloy-pagination` of an operation.
pub(super) fn pagination(raw: &Value) -> Result<Pagination, String> {
    let obj = raw.as_object().ok_or("must be an object")?;
    let limit_param = str_field(obj, "limitParam");
    let has_more_path = str_field(obj, "hasMorePath");
    match obj.get("style").and_then(Value::as_str) {
        Some("cursor") => Ok(Pagination::Cursor {
            cursor_param: str_field(obj, "cursorParam")
                .ok_or("cursor style needs `cursorParam`")?,
            next_cursor_path: str_field(obj, "nextCursorPath")
                .ok_or("cursor style needs `nextCursorPath`")?,
            has_more_path,
            limit_param,
        }),
        Some("offset") => Ok(Pagination::Offset {
            offset_param: str_field(obj, "offsetParam").unwrap_or_else(|| "offset".into()),
            limit_param,
            has_more_path,
        }),
        Some("page") => Ok(Pagination::Page {
            page_param: str_field(obj, "pageParam").unwrap_or_else(|| "page".into()),
            limit_param,
            has_more_path,
        }),
        Some("link-header") => Ok(Pagination::LinkHeader { limit_param }),
        Some("next-url") => Ok(Pagination::NextUrl {
            next_url_path: str_field(obj, "nextUrlPath")
                .ok_or("next-url style needs `nextUrlPath`")?,
            limit_param,
        }),
        other => Err(format!(
            "`style` must be cursor, offset, page, link-header or next-url (got {other:?})"
        )),
    }
}
