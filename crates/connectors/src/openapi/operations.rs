//! Path items and operations: actions with their parameters and request bodies.

use std::collections::HashSet;

use reqwest::Method;
use serde_json::{Map, Value};

use super::{Detail, Loader, extensions, str_field};
use crate::model::{
    Action, AuthScheme, BodyEncoding, Parameter, ParameterDetails, ParameterLocation, RequestBody,
};
use crate::schema::{CompiledSchema, JsonType, Schema};

/// Operation keys of a path item.
const METHODS: &[&str] = &[
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];
/// Header parameters that OpenAPI says to ignore: the engine sets them itself.
const RESERVED_HEADERS: &[&str] = &["accept", "content-type", "authorization"];
/// Longest action description kept in a summary (the full text comes with the details).
pub(crate) const SUMMARY_DESCRIPTION_CHARS: usize = 400;
/// How deep `allOf` parts are followed for a summary's body fields.
const SUMMARY_ALL_OF_DEPTH: usize = 6;

impl<'a> Loader<'a> {
    /// The actions of one path item. An operation that cannot be read is skipped with a
    /// warning; the others load.
    pub(crate) fn path_item(
        &mut self,
        path: &str,
        item: &'a Value,
        schemes: &[AuthScheme],
    ) -> Vec<Action> {
        if !path.starts_with('/') {
            self.warn(format!("paths.{path}: a path must start with `/`; skipped"));
            return Vec::new();
        }
        let item = match self.follow(item) {
            Ok(Value::Object(item)) => item,
            Ok(_) => {
                self.warn(format!("paths.{path}: not an object; skipped"));
                return Vec::new();
            }
            Err(e) => {
                self.warn(format!("paths.{path}: {e}; skipped"));
                return Vec::new();
            }
        };
        let shared = match item.get("parameters") {
            Some(p) => self.parameters(p, &format!("paths.{path}.parameters")),
            None => Vec::new(),
        };
        let mut actions = Vec::new();
        for method in METHODS {
            let Some(op) = item.get(*method) else {
                continue;
            };
            match self.operation(path, method, op, &shared, schemes) {
                Ok(action) => actions.push(action),
                Err(e) => self.warn(format!(
                    "paths.{path}.{method}: {e}; the operation is skipped"
                )),
            }
        }
        actions
    }

    fn operation(
        &mut self,
        path: &str,
        method: &str,
        op: &'a Value,
        shared: &[Parameter],
        schemes: &[AuthScheme],
    ) -> Result<Action, String> {
        let at = format!("paths.{path}.{method}");
        let op = op.as_object().ok_or("operation must be an object")?;
        let id = match op.get("operationId") {
            Some(Value::String(s)) if !s.trim().is_empty() => s.trim().to_owned(),
            Some(_) => {
                let id = generated_operation_id(method, path);
                self.warn(format!(
                    "{at}: `operationId` is empty or not a string; using `{id}`"
                ));
                id
            }
            None => generated_operation_id(method, path),
        };
        let name = str_field(op, "summary")
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| id.clone());
        let mut description = str_field(op, "description")
            .filter(|s| !s.trim().is_empty())
            .unwrap_or_else(|| name.clone());
        if self.detail == Detail::Summary {
            description = truncate(&description, SUMMARY_DESCRIPTION_CHARS);
        }
        let resource = op
            .get("tags")
            .and_then(Value::as_array)
            .and_then(|t| t.first())
            .and_then(Value::as_str)
            .filter(|t| !t.trim().is_empty())
            .unwrap_or("default")
            .to_owned();

        let mut parameters = shared.to_vec();
        if let Some(p) = op.get("parameters") {
            for param in self.parameters(p, &format!("{at}.parameters")) {
                // Operation parameters override path-level ones with the same name and place.
                parameters.retain(|q| !(q.name == param.name && q.location == param.location));
                parameters.push(param);
            }
        }
        let template = path.split('?').next().unwrap_or(path);
        for segment_name in template_names(template)? {
            if !parameters
                .iter()
                .any(|p| p.location == ParameterLocation::Path && p.name == segment_name)
            {
                self.warn(format!(
                    "{at}: path parameter `{segment_name}` is not declared; taken as a \
                     required string"
                ));
                let schema = serde_json::json!({"type": "string"});
                parameters.push(self.parameter(
                    segment_name,
                    ParameterLocation::Path,
                    true,
                    None,
                    schema,
                    None,
                ));
            }
        }
        let stray: Vec<String> = parameters
            .iter()
            .filter(|p| {
                p.location == ParameterLocation::Path
                    && !template.contains(&format!("{{{}}}", p.name))
            })
            .map(|p| p.name.clone())
            .collect();
        for name in stray {
            self.warn(format!(
                "{at}: path parameter `{name}` is not in the path; ignored"
            ));
            parameters.retain(|p| !(p.location == ParameterLocation::Path && p.name == name));
        }

        let request_body = match op.get("requestBody") {
            None => None,
            Some(b) => match self.request_body(b) {
                Ok(Some(body)) => Some(body),
                Ok(None) => {
                    self.warn(format!(
                        "{at}.requestBody: has no `content`; the operation is sent without a body"
                    ));
                    None
                }
                Err(e) => {
                    self.warn(format!(
                        "{at}.requestBody: {e}; the operation is sent without a body"
                    ));
                    None
                }
            },
        };

        let list_path = match op.get("x-alloy-list-path") {
            None => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(_) => return Err("`x-alloy-list-path` must be a string".into()),
        };
        let pagination = op
            .get("x-alloy-pagination")
            .map(extensions::pagination)
            .transpose()
            .map_err(|e| format!("x-alloy-pagination: {e}"))?;
        let security = match self.security_requirement(op.get("security"), schemes) {
            Ok(s) => s,
            Err(e) => {
                self.warn(format!(
                    "{at}.security: {e}; the document's default applies"
                ));
                None
            }
        };

        Ok(Action {
            id,
            name,
            description,
            method: Method::from_bytes(method.to_ascii_uppercase().as_bytes())
                .map_err(|_| format!("bad method {method}"))?,
            path: path.to_owned(),
            resource,
            parameters,
            request_body,
            list_path,
            pagination,
            security,
            deprecated: op.get("deprecated") == Some(&Value::Bool(true)),
        })
    }

    /// A `parameters` list; an entry that cannot be used is skipped with a warning.
    fn parameters(&mut self, raw: &'a Value, at: &str) -> Vec<Parameter> {
        let Some(list) = raw.as_array() else {
            self.warn(format!("{at}: must be an array; ignored"));
            return Vec::new();
        };
        let mut out: Vec<Parameter> = Vec::new();
        for (i, p) in list.iter().enumerate() {
            match self.one_parameter(p) {
                Ok(Some(param)) => {
                    out.retain(|q| !(q.name == param.name && q.location == param.location));
                    out.push(param);
                }
                Ok(None) => {}
                Err(e) => self.warn(format!("{at}[{i}]: {e}; ignored")),
            }
        }
        out
    }

    fn one_parameter(&mut self, raw: &'a Value) -> Result<Option<Parameter>, String> {
        let followed = self.follow(raw)?;
        let p = followed.as_object().ok_or("must be an object")?;
        let name = str_field(p, "name")
            .filter(|n| !n.is_empty())
            .ok_or("has no `name`")?;
        let location = match p.get("in").and_then(Value::as_str) {
            Some("path") => ParameterLocation::Path,
            Some("query") => ParameterLocation::Query,
            Some("header") => ParameterLocation::Header,
            Some("cookie") => ParameterLocation::Cookie,
            other => {
                return Err(format!(
                    "`{name}`: `in` must be path, query, header or cookie (got {other:?})"
                ));
            }
        };
        if location == ParameterLocation::Header {
            if RESERVED_HEADERS.contains(&name.to_ascii_lowercase().as_str()) {
                return Ok(None);
            }
            if reqwest::header::HeaderName::from_bytes(name.as_bytes()).is_err() {
                return Err(format!("`{name}` is not a valid header name"));
            }
        }
        // OpenAPI: path parameters are always required.
        let required =
            location == ParameterLocation::Path || p.get("required") == Some(&Value::Bool(true));
        let raw_schema = match (p.get("schema"), p.get("content")) {
            (Some(s), _) => Some(s),
            (None, Some(Value::Object(content))) => content.values().find_map(|m| m.get("schema")),
            _ => None,
        };
        let description = str_field(p, "description");
        let example = extensions::example_of(p);
        let schema = match (self.detail, raw_schema) {
            (_, None) => Value::Object(Map::new()),
            (Detail::Full, Some(s)) => self.resolve_at(s, &name)?,
            (Detail::Summary, Some(s)) => self.shallow_schema(s),
        };
        Ok(Some(self.parameter(
            name,
            location,
            required,
            description,
            schema,
            example,
        )))
    }

    /// The request body; `None` when the document gives it no `content`.
    fn request_body(&mut self, raw: &'a Value) -> Result<Option<RequestBody>, String> {
        let body = self.follow(raw)?;
        let body = body.as_object().ok_or("must be an object")?;
        let Some(content) = body
            .get("content")
            .and_then(Value::as_object)
            .filter(|c| !c.is_empty())
        else {
            return Ok(None);
        };
        let is_json = |t: &str| t == "application/json" || t.ends_with("+json");
        let Some((content_type, media)) = content
            .iter()
            .find(|(t, _)| is_json(t))
            .or_else(|| {
                content
                    .iter()
                    .find(|(t, _)| *t == "application/x-www-form-urlencoded")
            })
            .or_else(|| content.iter().next())
        else {
            return Ok(None);
        };
        let encoding = if is_json(content_type) {
            BodyEncoding::Json
        } else if content_type == "application/x-www-form-urlencoded" {
            BodyEncoding::Form
        } else {
            BodyEncoding::Raw
        };
        let required = body.get("required") == Some(&Value::Bool(true));
        // Many documents leave `required` out of bodies that calls cannot do without (Slack's
        // chat.postMessage): unless the body is said to be optional, the fields its schema
        // requires are required parameters.
        let fields_required = required || body.get("required").is_none();
        let raw_schema = media.get("schema");
        let mut fields = Vec::new();
        let mut seen = HashSet::new();
        let (schema, compiled) = match (self.detail, raw_schema) {
            (_, None) => (Value::Object(Map::new()), CompiledSchema::default()),
            (Detail::Full, Some(s)) => {
                let schema = self.resolve_at(s, "schema")?;
                let compiled = CompiledSchema::new(Schema::compile(&schema));
                self.collect_fields(&schema, fields_required, &mut fields, &mut seen);
                (schema, compiled)
            }
            (Detail::Summary, Some(s)) => {
                self.summary_fields(s, fields_required, &mut fields, &mut seen, 0);
                (Value::Null, CompiledSchema::default())
            }
        };
        let deep_object_fields = media
            .get("encoding")
            .and_then(Value::as_object)
            .map(|enc| {
                enc.iter()
                    .filter(|(_, e)| e.get("style").and_then(Value::as_str) == Some("deepObject"))
                    .map(|(k, _)| k.clone())
                    .collect()
            })
            .unwrap_or_default();
        Ok(Some(RequestBody {
            content_type: content_type.clone(),
            encoding,
            required,
            schema,
            fields,
            deep_object_fields,
            compiled,
        }))
    }

    /// A parameter. In a summary the schema is only its type (`schema` is `null`, nothing is
    /// compiled); the details load the rest.
    fn parameter(
        &self,
        name: String,
        location: ParameterLocation,
        required: bool,
        description: Option<String>,
        schema: Value,
        example: Option<Value>,
    ) -> Parameter {
        let description = description.or_else(|| {
            schema
                .get("description")
                .and_then(Value::as_str)
                .map(str::to_owned)
        });
        if self.detail == Detail::Summary {
            return Parameter {
                name,
                location,
                required,
                description: None,
                type_name: schema
                    .get("type")
                    .and_then(Value::as_str)
                    .and_then(JsonType::parse)
                    .map(JsonType::name),
                details: None,
            };
        }
        let compiled = Schema::compile(&schema);
        let type_name = compiled
            .types()
            .iter()
            .find(|t| **t != JsonType::Null)
            .map(|t| t.name());
        let enum_values = schema.get("enum").and_then(Value::as_array).cloned();
        let default = schema.get("default").cloned();
        let example = example.or_else(|| schema.as_object().and_then(extensions::example_of));
        Parameter {
            name,
            location,
            required,
            description,
            type_name,
            details: Some(Box::new(ParameterDetails {
                enum_values,
                default,
                example,
                schema,
                compiled,
            })),
        }
    }

    /// The top-level properties of a resolved body schema (through `allOf`), as parameters.
    fn collect_fields(
        &self,
        schema: &Value,
        body_required: bool,
        fields: &mut Vec<Parameter>,
        seen: &mut HashSet<String>,
    ) {
        let required = required_names(schema);
        if let Some(Value::Object(props)) = schema.get("properties") {
            for (name, prop) in props {
                if !seen.insert(name.clone()) {
                    continue;
                }
                fields.push(self.parameter(
                    name.clone(),
                    ParameterLocation::Body,
                    body_required && required.contains(&name.as_str()),
                    None,
                    prop.clone(),
                    None,
                ));
            }
        }
        if let Some(Value::Array(parts)) = schema.get("allOf") {
            for part in parts {
                self.collect_fields(part, body_required, fields, seen);
            }
        }
    }

    /// The body fields of a summary: property names, types and descriptions, following
    /// `$ref`s and `allOf` parts without expanding anything.
    fn summary_fields(
        &mut self,
        raw: &'a Value,
        body_required: bool,
        fields: &mut Vec<Parameter>,
        seen: &mut HashSet<String>,
        depth: usize,
    ) {
        let Ok(schema) = self.follow(raw) else {
            return;
        };
        let required = required_names(schema);
        if let Some(Value::Object(props)) = schema.get("properties") {
            for (name, prop) in props {
                if !seen.insert(name.clone()) {
                    continue;
                }
                let shallow = self.shallow_schema(prop);
                fields.push(self.parameter(
                    name.clone(),
                    ParameterLocation::Body,
                    body_required && required.contains(&name.as_str()),
                    None,
                    shallow,
                    None,
                ));
            }
        }
        if depth < SUMMARY_ALL_OF_DEPTH
            && let Some(Value::Array(parts)) = schema.get("allOf")
        {
            for part in parts {
                self.summary_fields(part, body_required, fields, seen, depth + 1);
            }
        }
    }

    /// `type` and `description` of a schema, following its `$ref` chain only.
    fn shallow_schema(&mut self, raw: &'a Value) -> Value {
        let Ok(schema) = self.follow(raw) else {
            return Value::Object(Map::new());
        };
        let mut out = Map::new();
        let type_name = match schema.get("type") {
            Some(Value::String(t)) => Some(t.clone()),
            Some(Value::Array(ts)) => ts
                .iter()
                .filter_map(Value::as_str)
                .find(|t| *t != "null")
                .map(str::to_owned),
            _ if schema.get("properties").is_some() => Some("object".to_owned()),
            _ if schema.get("items").is_some() => Some("array".to_owned()),
            _ => None,
        };
        if let Some(t) = type_name {
            out.insert("type".into(), Value::String(t));
        }
        if let Some(d) = schema.get("description").and_then(Value::as_str) {
            out.insert("description".into(), Value::String(d.to_owned()));
        }
        Value::Object(out)
    }
}

fn required_names(schema: &Value) -> Vec<&str> {
    schema
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

/// At most `max` characters of `text`, cut at a word boundary with `…` when cut.
pub(crate) fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let cut: String = text.chars().take(max).collect();
    let cut = match cut.rfind(char::is_whitespace) {
        Some(i) if i > max / 2 => &cut[..i],
        _ => cut.as_str(),
    };
    format!("{}…", cut.trim_end())
}

/// The `{name}`s of a template, in order.
pub(crate) fn template_names(template: &str) -> Result<Vec<String>, String> {
    let mut names = Vec::new();
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        let after = &rest[start + 1..];
        let end = after
            .find('}')
            .ok_or(format!("unclosed `{{` in `{template}`"))?;
        let name = &after[..end];
        if name.is_empty() || name.contains('{') {
            return Err(format!("bad template variable in `{template}`"));
        }
        names.push(name.to_owned());
        rest = &after[end + 1..];
    }
    Ok(names)
}

/// An operation ID from method and path: `get /users/{id}/repos` → `get_users_id_repos`.
pub(crate) fn generated_operation_id(method: &str, path: &str) -> String {
    let mut id = method.to_owned();
    for c in path.chars() {
        if c.is_ascii_alphanumeric() {
            id.push(c.to_ascii_lowercase());
        } else if !id.ends_with('_') {
            id.push('_');
        }
    }
    id.trim_end_matches('_').to_owned()
}
