//! Turns an OpenAPI 3.0/3.1 document (plus its `x-alloy-*` extensions) into a [`Connector`].
//!
//! Real-world documents are untidy, so the loader refuses a document only when nothing usable
//! can be read from it (not an object, no operations). Everything it had to guess or leave out
//! — a relative server URL, an unusable security scheme, a missing or repeated `operationId`, an
//! undeclared path parameter — becomes a warning naming the place, and the rest loads.
//!
//! Two levels of detail: [`Detail::Full`] resolves every local `$ref` into the parameter and
//! body schemas (what validation and `get_action_details` need); [`Detail::Summary`] reads only
//! names, places, types and descriptions, in time linear in the document's size, for catalogs
//! of tens of thousands of actions whose details are loaded one action at a time. A `$ref` that
//! points back into its own resolution becomes the permissive schema `{}`, and expansion is
//! capped, so neither cycles nor "billion laughs" documents can hang or exhaust the loader.

mod extensions;
mod operations;
mod refs;
mod security;
mod servers;
#[cfg(test)]
mod tests;

use std::collections::{HashMap, HashSet};

use serde_json::{Map, Value};

use crate::error::LoadError;
use crate::model::{AuthScheme, Connector, Resource};

pub(crate) use operations::template_names;

/// The categories of the built-in catalog (`info.x-alloy-category`); imported documents may
/// use the wider list of [`crate::catalog::categories`].
pub use crate::catalog::categories::CURATED as CATEGORIES;

/// How many JSON nodes `$ref` expansion may produce for one whole document ([`Detail::Full`]).
const EXPANSION_BUDGET: usize = 2_000_000;
/// How many JSON nodes one action's schemas may expand to when it is loaded on its own; past
/// it, deeper references are shown by name instead of expanded.
pub(crate) const ACTION_EXPANSION_BUDGET: usize = 100_000;
/// Nesting depth past which expansion stops (the schema there accepts anything).
const MAX_DEPTH: usize = 64;
/// Most warnings kept per document (the count of the rest is reported).
const MAX_WARNINGS: usize = 50;

/// How much of each action the loader reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Detail {
    /// Everything, with `$ref`s resolved into the schemas.
    Full,
    /// Names, places, types and descriptions; no schemas (loaded later, one action at a time).
    Summary,
}

/// What to load and how.
#[derive(Debug, Clone, Copy)]
pub struct LoadOptions<'o> {
    /// How much of each action to read.
    pub detail: Detail,
    /// The connector ID to use whatever the document says (the importer decides IDs).
    pub id: Option<&'o str>,
    /// The connector ID when the document has no `info.x-alloy-id`.
    pub fallback_id: Option<&'o str>,
}

impl Default for LoadOptions<'_> {
    fn default() -> Self {
        LoadOptions {
            detail: Detail::Full,
            id: None,
            fallback_id: None,
        }
    }
}

/// A loaded connector and what the loader had to guess or leave out on the way.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// The connector.
    pub connector: Connector,
    /// One line per guess or omission, naming the place in the document.
    pub warnings: Vec<String>,
}

/// Parses and fully loads one JSON document. `source_name` names it in errors; `fallback_id` is
/// the connector ID used when the document has no `info.x-alloy-id`. Warnings are dropped: use
/// [`load_value`] to see them.
pub fn load_document(
    source_name: &str,
    text: &str,
    fallback_id: Option<&str>,
) -> Result<Connector, LoadError> {
    let doc: Value = serde_json::from_str(text)
        .map_err(|e| LoadError::new(source_name, format!("not valid JSON ({e})")))?;
    let options = LoadOptions {
        fallback_id,
        ..LoadOptions::default()
    };
    load_value(source_name, &doc, options).map(|l| l.connector)
}

/// Loads one parsed OpenAPI 3 document.
pub fn load_value(
    source_name: &str,
    doc: &Value,
    options: LoadOptions<'_>,
) -> Result<Loaded, LoadError> {
    let mut loader = Loader::new(doc, options.detail, EXPANSION_BUDGET);
    let mut connector = loader
        .connector(options)
        .map_err(|m| LoadError::new(source_name, m))?;
    connector.source = source_name.to_owned();
    let mut warnings = loader.warnings;
    if loader.dropped_warnings > 0 {
        warnings.push(format!("… and {} more warnings", loader.dropped_warnings));
    }
    Ok(Loaded {
        connector,
        warnings,
    })
}

/// Whether `id` is a valid connector ID: lower-case letters, digits and hyphens, 1–64 long.
pub fn is_valid_connector_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !id.starts_with('-')
}

pub(crate) struct Loader<'a> {
    root: &'a Value,
    detail: Detail,
    budget: usize,
    /// When set, running out of budget shows deeper references by name instead of failing.
    degrade: bool,
    /// Every key of `components.securitySchemes`, including the types the engine skips.
    declared_schemes: HashSet<String>,
    warnings: Vec<String>,
    dropped_warnings: usize,
    /// The budget ran out (without `degrade`): the document is refused.
    exhausted: bool,
}

impl<'a> Loader<'a> {
    pub(crate) fn new(root: &'a Value, detail: Detail, budget: usize) -> Self {
        Loader {
            root,
            detail,
            budget,
            degrade: false,
            declared_schemes: HashSet::new(),
            warnings: Vec::new(),
            dropped_warnings: 0,
            exhausted: false,
        }
    }

    /// Degrades instead of failing when the budget runs out (one action loaded on its own).
    pub(crate) fn degrading(mut self) -> Self {
        self.degrade = true;
        self
    }

    /// Names the document's security schemes (when only part of a document is loaded).
    pub(crate) fn declare_schemes(&mut self, names: impl IntoIterator<Item = String>) {
        self.declared_schemes.extend(names);
    }

    pub(crate) fn warn(&mut self, message: String) {
        if self.warnings.len() < MAX_WARNINGS {
            self.warnings.push(message);
        } else {
            self.dropped_warnings += 1;
        }
    }

    fn connector(&mut self, options: LoadOptions<'_>) -> Result<Connector, String> {
        let root = self.root;
        let root_obj = root
            .as_object()
            .ok_or("the document is not a JSON object")?;
        match root_obj.get("openapi").and_then(Value::as_str) {
            Some(v) if v.starts_with("3.") => {}
            Some(v) => {
                return Err(format!(
                    "unsupported OpenAPI version `{v}` (3.0 or 3.1, or Swagger 2.0 through the importer)"
                ));
            }
            None if root_obj.contains_key("swagger") => {
                return Err(
                    "a Swagger 2.0 document: import it with `connectors import`, which converts it"
                        .into(),
                );
            }
            None => return Err("missing `openapi` version field".into()),
        }
        let empty = Map::new();
        let info = match root_obj.get("info") {
            Some(Value::Object(info)) => info,
            _ => {
                self.warn("missing `info` object".into());
                &empty
            }
        };
        let id = match (options.id, info.get("x-alloy-id")) {
            (Some(id), _) => id.to_owned(),
            (None, Some(Value::String(id))) => id.clone(),
            (None, Some(_)) => return Err("`info.x-alloy-id` must be a string".into()),
            (None, None) => options
                .fallback_id
                .map(str::to_owned)
                .ok_or("missing `info.x-alloy-id`")?,
        };
        if !is_valid_connector_id(&id) {
            return Err(format!(
                "connector ID `{id}` is invalid (lower-case letters, digits and hyphens, at most 64)"
            ));
        }
        let name = str_field(info, "title")
            .filter(|t| !t.trim().is_empty())
            .unwrap_or_else(|| id.clone());
        let description = str_field(info, "description").unwrap_or_default();
        let category = match info.get("x-alloy-category") {
            Some(Value::String(c)) if is_valid_connector_id(c) => c.clone(),
            Some(other) => {
                self.warn(format!(
                    "`info.x-alloy-category` {other} is invalid (lower-case letters, digits, \
                     hyphens); using the document's other categories"
                ));
                crate::catalog::categories::of_document(info)
            }
            None => crate::catalog::categories::of_document(info),
        };
        let error_convention = info
            .get("x-alloy-error")
            .map(extensions::error_convention)
            .transpose()
            .map_err(|e| format!("info.x-alloy-error: {e}"))?;
        let verify_action = match info.get("x-alloy-verify") {
            None => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(_) => return Err("`info.x-alloy-verify` must be a string".into()),
        };
        let mut extra_credential_fields = info
            .get("x-alloy-credential-fields")
            .map(extensions::credential_fields)
            .transpose()
            .map_err(|e| format!("info.x-alloy-credential-fields: {e}"))?
            .unwrap_or_default();

        let (server_url, server_variables) = self.servers(root_obj, info);
        if server_url.is_empty()
            && !extra_credential_fields
                .iter()
                .any(|f| f.name == servers::BASE_URL_FIELD)
        {
            extra_credential_fields.push(servers::base_url_field());
        }
        let schemes = self.security_schemes(root_obj);
        let root_security = self
            .security_requirement(root_obj.get("security"), &schemes)
            .map_err(|e| format!("security: {e}"))?;

        let tag_descriptions = extensions::tag_descriptions(root_obj);
        let paths = root_obj
            .get("paths")
            .and_then(Value::as_object)
            .ok_or("missing `paths` object")?;
        let mut actions = Vec::new();
        let mut action_index = HashMap::new();
        for (path, item) in paths {
            // OpenAPI allows extension keys among the paths.
            if path.starts_with("x-") {
                continue;
            }
            for mut action in self.path_item(path, item, &schemes) {
                if action_index.contains_key(&action.id) {
                    let unique = unique_id(&action.id, &action_index);
                    self.warn(format!(
                        "paths.{path}.{}: operationId `{}` is used twice; this one is `{unique}`",
                        action.method.as_str().to_ascii_lowercase(),
                        action.id
                    ));
                    action.id = unique;
                }
                action_index.insert(action.id.clone(), actions.len());
                actions.push(action);
            }
        }
        if self.exhausted {
            return Err(format!(
                "`$ref` expansion exceeds {EXPANSION_BUDGET} nodes; simplify the document"
            ));
        }
        if actions.is_empty() {
            return Err("`paths` has no usable operations".into());
        }

        let mut resources: Vec<Resource> = Vec::new();
        let mut resource_index: HashMap<String, usize> = HashMap::new();
        for action in &actions {
            match resource_index.get(&action.resource) {
                Some(&i) => resources[i].actions.push(action.id.clone()),
                None => {
                    resource_index.insert(action.resource.clone(), resources.len());
                    resources.push(Resource {
                        name: action.resource.clone(),
                        description: tag_descriptions.get(&action.resource).cloned(),
                        actions: vec![action.id.clone()],
                    });
                }
            }
        }

        if let Some(verify) = &verify_action
            && !action_index.contains_key(verify)
        {
            return Err(format!(
                "`info.x-alloy-verify` names `{verify}`, which is not an operationId of this document"
            ));
        }

        let auth_schemes = preferred_schemes(&schemes, root_security.as_deref(), &actions);
        Ok(Connector {
            id,
            name,
            category,
            description,
            server_url,
            server_variables,
            auth_schemes,
            resources,
            actions,
            error_convention,
            verify_action,
            extra_credential_fields,
            source: String::new(),
            action_index,
        })
    }
}

/// Root-listed schemes first (that is the document's preference), then those only operations
/// mention; with no root `security`, every scheme in document order.
fn preferred_schemes(
    schemes: &[AuthScheme],
    root_security: Option<&[String]>,
    actions: &[crate::model::Action],
) -> Vec<AuthScheme> {
    let mut out: Vec<AuthScheme> = Vec::new();
    let mut take = |name: &str| {
        if let Some(s) = schemes.iter().find(|s| s.name == name)
            && !out.iter().any(|a| a.name == name)
        {
            out.push(s.clone());
        }
    };
    match root_security {
        Some(names) => {
            for n in names {
                take(n);
            }
            for a in actions {
                for n in a.security.iter().flatten() {
                    take(n);
                }
            }
        }
        None => {
            for s in schemes {
                take(&s.name);
            }
        }
    }
    out
}

/// `id` with the first free `_2`, `_3`, … suffix.
fn unique_id(id: &str, taken: &HashMap<String, usize>) -> String {
    (2..)
        .map(|n| format!("{id}_{n}"))
        .find(|candidate| !taken.contains_key(candidate))
        .unwrap_or_else(|| id.to_owned())
}

pub(crate) fn str_field(obj: &Map<String, Value>, key: &str) -> Option<String> {
    obj.get(key).and_then(Value::as_str).map(str::to_owned)
}
