//! Turns an OpenAPI 3.0/3.1 JSON document (plus its `x-alloy-*` extensions) into a [`Connector`].
//!
//! Local `$ref`s are resolved here, once, so that nothing later has to know about them. A `$ref`
//! that points back into its own resolution (a recursive schema) becomes the permissive schema
//! `{}`, and the total amount of expansion is capped, so that neither cycles nor "billion laughs"
//! documents can hang or exhaust the loader.

use std::collections::{HashMap, HashSet};

use percent_encoding::percent_decode_str;
use reqwest::Method;
use serde_json::{Map, Value};

use crate::credential::CredentialField;
use crate::error::LoadError;
use crate::model::{
    Action, ApiKeyLocation, AuthScheme, AuthSchemeKind, BodyEncoding, Connector, ErrorConvention,
    OAuthScope, Pagination, Parameter, ParameterLocation, RequestBody, Resource, ServerVariable,
};
use crate::schema::Schema;

/// The categories of the built-in catalog (`info.x-alloy-category`).
pub const CATEGORIES: &[&str] = &[
    "communication",
    "crm",
    "developer-tools",
    "project-management",
    "productivity",
    "payments",
    "support",
    "email",
    "e-commerce",
];

/// How many JSON nodes `$ref` expansion may produce for one document.
const EXPANSION_BUDGET: usize = 2_000_000;
/// Nesting depth past which expansion stops (the schema there accepts anything).
const MAX_DEPTH: usize = 256;
/// Operation keys of a path item.
const METHODS: &[&str] = &[
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];
/// Header parameters that OpenAPI says to ignore: the engine sets them itself.
const RESERVED_HEADERS: &[&str] = &["accept", "content-type", "authorization"];

/// Parses and loads one document. `source_name` names it in errors; `fallback_id` is the
/// connector ID used when the document has no `info.x-alloy-id` (operators' documents: the
/// file stem).
pub fn load_document(
    source_name: &str,
    text: &str,
    fallback_id: Option<&str>,
) -> Result<Connector, LoadError> {
    let doc: Value = serde_json::from_str(text).map_err(|e| {
        LoadError::new(
            source_name,
            format!("not valid JSON ({e}); only JSON OpenAPI documents are supported"),
        )
    })?;
    let mut connector = Loader::new(&doc)
        .connector(fallback_id)
        .map_err(|m| LoadError::new(source_name, m))?;
    connector.source = source_name.to_owned();
    Ok(connector)
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

struct Loader<'a> {
    root: &'a Value,
    budget: usize,
    /// Every key of `components.securitySchemes`, including the types the engine skips.
    declared_schemes: HashSet<String>,
}

impl<'a> Loader<'a> {
    fn new(root: &'a Value) -> Self {
        Loader {
            root,
            budget: EXPANSION_BUDGET,
            declared_schemes: HashSet::new(),
        }
    }

    fn connector(mut self, fallback_id: Option<&str>) -> Result<Connector, String> {
        let root = self.root;
        let root_obj = root
            .as_object()
            .ok_or("the document is not a JSON object")?;
        match root_obj.get("openapi").and_then(Value::as_str) {
            Some(v) if v.starts_with("3.") => {}
            Some(v) => {
                return Err(format!(
                    "unsupported OpenAPI version `{v}` (3.0 or 3.1 only)"
                ));
            }
            None if root_obj.contains_key("swagger") => {
                return Err(
                    "Swagger 2.0 documents are not supported (OpenAPI 3.0 or 3.1 only)".into(),
                );
            }
            None => return Err("missing `openapi` version field".into()),
        }
        let info = root_obj
            .get("info")
            .and_then(Value::as_object)
            .ok_or("missing `info` object")?;
        let id = match info.get("x-alloy-id") {
            Some(Value::String(id)) => id.clone(),
            Some(_) => return Err("`info.x-alloy-id` must be a string".into()),
            None => fallback_id
                .map(str::to_owned)
                .ok_or("missing `info.x-alloy-id`")?,
        };
        if !is_valid_connector_id(&id) {
            return Err(format!(
                "connector ID `{id}` is invalid (lower-case letters, digits and hyphens, at most 64)"
            ));
        }
        let name = str_field(info, "title").unwrap_or_else(|| id.clone());
        let description = str_field(info, "description").unwrap_or_default();
        let category = match info.get("x-alloy-category") {
            None => "other".to_owned(),
            Some(Value::String(c)) if is_valid_connector_id(c) => c.clone(),
            Some(other) => {
                return Err(format!(
                    "`info.x-alloy-category` {other} is invalid (lower-case letters, digits, hyphens)"
                ));
            }
        };
        let error_convention = info
            .get("x-alloy-error")
            .map(error_convention)
            .transpose()
            .map_err(|e| format!("info.x-alloy-error: {e}"))?;
        let verify_action = match info.get("x-alloy-verify") {
            None => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(_) => return Err("`info.x-alloy-verify` must be a string".into()),
        };

        let extra_credential_fields = info
            .get("x-alloy-credential-fields")
            .map(credential_fields)
            .transpose()
            .map_err(|e| format!("info.x-alloy-credential-fields: {e}"))?
            .unwrap_or_default();
        let (server_url, server_variables) = servers(root_obj)?;
        let schemes = self.security_schemes(root_obj)?;
        let root_security = self
            .security_requirement(root_obj.get("security"), &schemes)
            .map_err(|e| format!("security: {e}"))?;

        let tag_descriptions = tag_descriptions(root_obj);
        let paths = root_obj
            .get("paths")
            .and_then(Value::as_object)
            .ok_or("missing `paths` object")?;
        let mut actions: Vec<Action> = Vec::new();
        let mut action_index = HashMap::new();
        for (path, item) in paths {
            for action in self
                .path_item(path, item, &schemes)
                .map_err(|e| format!("paths.{path}: {e}"))?
            {
                if action_index.contains_key(&action.id) {
                    return Err(format!(
                        "operationId `{}` is used twice (second at {} {path})",
                        action.id, action.method
                    ));
                }
                action_index.insert(action.id.clone(), actions.len());
                actions.push(action);
            }
        }
        if actions.is_empty() {
            return Err("`paths` has no operations".into());
        }

        let mut resources: Vec<Resource> = Vec::new();
        for action in &actions {
            match resources.iter_mut().find(|r| r.name == action.resource) {
                Some(r) => r.actions.push(action.id.clone()),
                None => resources.push(Resource {
                    name: action.resource.clone(),
                    description: tag_descriptions.get(&action.resource).cloned(),
                    actions: vec![action.id.clone()],
                }),
            }
        }

        if let Some(verify) = &verify_action
            && !action_index.contains_key(verify)
        {
            return Err(format!(
                "`info.x-alloy-verify` names `{verify}`, which is not an operationId of this document"
            ));
        }

        // Root-listed schemes first (that is the document's preference), then those only
        // operations mention; with no root `security`, every scheme in document order.
        let mut auth_schemes: Vec<AuthScheme> = Vec::new();
        let mut take = |name: &str| {
            if let Some(s) = schemes.iter().find(|s| s.name == name)
                && !auth_schemes.iter().any(|a| a.name == name)
            {
                auth_schemes.push(s.clone());
            }
        };
        match &root_security {
            Some(names) => {
                for n in names {
                    take(n);
                }
                for a in &actions {
                    for n in a.security.iter().flatten() {
                        take(n);
                    }
                }
            }
            None => {
                for s in &schemes {
                    take(&s.name);
                }
            }
        }

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

    fn security_schemes(&mut self, root: &Map<String, Value>) -> Result<Vec<AuthScheme>, String> {
        let Some(raw) = root
            .get("components")
            .and_then(|c| c.get("securitySchemes"))
        else {
            return Ok(Vec::new());
        };
        let raw = self.resolve_at(raw, "components.securitySchemes")?;
        let raw = raw
            .as_object()
            .ok_or("components.securitySchemes must be an object")?;
        let mut schemes = Vec::new();
        self.declared_schemes = raw.keys().cloned().collect();
        for (name, s) in raw {
            let at = format!("components.securitySchemes.{name}");
            let s = s.as_object().ok_or(format!("{at} must be an object"))?;
            let description = str_field(s, "description");
            let prefix = |default: &str| -> Result<String, String> {
                match s.get("x-alloy-prefix") {
                    None => Ok(default.to_owned()),
                    Some(Value::String(p)) => Ok(p.clone()),
                    Some(_) => Err(format!("{at}.x-alloy-prefix must be a string")),
                }
            };
            let kind = match s.get("type").and_then(Value::as_str) {
                Some("oauth2") => {
                    let flows = s
                        .get("flows")
                        .and_then(Value::as_object)
                        .ok_or(format!("{at}: oauth2 scheme without `flows`"))?;
                    let flow = [
                        "authorizationCode",
                        "implicit",
                        "clientCredentials",
                        "password",
                    ]
                    .iter()
                    .find_map(|f| flows.get(*f).and_then(Value::as_object))
                    .ok_or(format!("{at}: oauth2 scheme without a known flow"))?;
                    let scopes = flow
                        .get("scopes")
                        .and_then(Value::as_object)
                        .map(|m| {
                            m.iter()
                                .map(|(k, v)| OAuthScope {
                                    name: k.clone(),
                                    description: v.as_str().unwrap_or_default().to_owned(),
                                })
                                .collect()
                        })
                        .unwrap_or_default();
                    let token_header = match s.get("x-alloy-token-header") {
                        None => None,
                        Some(Value::String(h))
                            if reqwest::header::HeaderName::from_bytes(h.as_bytes()).is_ok() =>
                        {
                            Some(h.clone())
                        }
                        Some(_) => {
                            return Err(format!(
                                "{at}.x-alloy-token-header must be a valid header name"
                            ));
                        }
                    };
                    AuthSchemeKind::OAuth2 {
                        authorization_url: str_field(flow, "authorizationUrl"),
                        token_url: str_field(flow, "tokenUrl"),
                        refresh_url: str_field(flow, "refreshUrl"),
                        scopes,
                        prefix: prefix(if token_header.is_some() {
                            ""
                        } else {
                            "Bearer "
                        })?,
                        token_header,
                    }
                }
                Some("apiKey") => {
                    let location = match s.get("in").and_then(Value::as_str) {
                        Some("header") => ApiKeyLocation::Header,
                        Some("query") => ApiKeyLocation::Query,
                        Some("cookie") => ApiKeyLocation::Cookie,
                        other => {
                            return Err(format!(
                                "{at}: apiKey `in` must be header, query or cookie (got {other:?})"
                            ));
                        }
                    };
                    let param_name = str_field(s, "name")
                        .filter(|n| !n.is_empty())
                        .ok_or(format!("{at}: apiKey scheme without `name`"))?;
                    if location == ApiKeyLocation::Header
                        && reqwest::header::HeaderName::from_bytes(param_name.as_bytes()).is_err()
                    {
                        return Err(format!("{at}: `{param_name}` is not a valid header name"));
                    }
                    AuthSchemeKind::ApiKey {
                        location,
                        param_name,
                        prefix: prefix("")?,
                    }
                }
                Some("http") => {
                    let scheme = s
                        .get("scheme")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_ascii_lowercase();
                    match scheme.as_str() {
                        "basic" => AuthSchemeKind::Basic,
                        "bearer" => AuthSchemeKind::Bearer {
                            prefix: prefix("Bearer ")?,
                        },
                        other => {
                            return Err(format!(
                                "{at}: http scheme `{other}` is not supported (basic or bearer)"
                            ));
                        }
                    }
                }
                // openIdConnect, mutualTLS: the engine cannot inject those; the scheme is skipped
                // rather than failing the whole connector.
                Some("openIdConnect") | Some("mutualTLS") => continue,
                other => return Err(format!("{at}: unknown scheme type {other:?}")),
            };
            schemes.push(AuthScheme {
                name: name.clone(),
                description,
                kind,
            });
        }
        Ok(schemes)
    }

    fn path_item(
        &mut self,
        path: &str,
        item: &'a Value,
        schemes: &[AuthScheme],
    ) -> Result<Vec<Action>, String> {
        if !path.starts_with('/') {
            return Err("path must start with `/`".into());
        }
        let item = self.follow(item)?;
        let item = item.as_object().ok_or("path item must be an object")?;
        let shared = match item.get("parameters") {
            Some(p) => self.parameters(p).map_err(|e| format!("parameters: {e}"))?,
            None => Vec::new(),
        };
        let mut actions = Vec::new();
        for method in METHODS {
            let Some(op) = item.get(*method) else {
                continue;
            };
            let action = self
                .operation(path, method, op, &shared, schemes)
                .map_err(|e| format!("{method}: {e}"))?;
            actions.push(action);
        }
        Ok(actions)
    }

    fn operation(
        &mut self,
        path: &str,
        method: &str,
        op: &Value,
        shared: &[Parameter],
        schemes: &[AuthScheme],
    ) -> Result<Action, String> {
        let op = op.as_object().ok_or("operation must be an object")?;
        let id = match op.get("operationId") {
            Some(Value::String(s)) if !s.is_empty() => s.clone(),
            Some(_) => return Err("`operationId` must be a non-empty string".into()),
            None => generated_operation_id(method, path),
        };
        let name = str_field(op, "summary").unwrap_or_else(|| id.clone());
        let description = str_field(op, "description").unwrap_or_else(|| name.clone());
        let resource = op
            .get("tags")
            .and_then(Value::as_array)
            .and_then(|t| t.first())
            .and_then(Value::as_str)
            .unwrap_or("default")
            .to_owned();

        let mut parameters = shared.to_vec();
        if let Some(p) = op.get("parameters") {
            for param in self.parameters(p).map_err(|e| format!("parameters: {e}"))? {
                // Operation parameters override path-level ones with the same name and place.
                parameters.retain(|q| !(q.name == param.name && q.location == param.location));
                parameters.push(param);
            }
        }
        for segment_name in template_names(path)? {
            if !parameters
                .iter()
                .any(|p| p.location == ParameterLocation::Path && p.name == segment_name)
            {
                return Err(format!(
                    "path parameter `{segment_name}` is in the path but not declared"
                ));
            }
        }
        if let Some(p) = parameters.iter().find(|p| {
            p.location == ParameterLocation::Path && !path.contains(&format!("{{{}}}", p.name))
        }) {
            return Err(format!(
                "path parameter `{}` is declared but not in the path",
                p.name
            ));
        }

        let request_body = match op.get("requestBody") {
            Some(b) => Some(
                self.request_body(b)
                    .map_err(|e| format!("requestBody: {e}"))?,
            ),
            None => None,
        };

        let list_path = match op.get("x-alloy-list-path") {
            None => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(_) => return Err("`x-alloy-list-path` must be a string".into()),
        };
        let pagination = op
            .get("x-alloy-pagination")
            .map(pagination)
            .transpose()
            .map_err(|e| format!("x-alloy-pagination: {e}"))?;
        let security = self
            .security_requirement(op.get("security"), schemes)
            .map_err(|e| format!("security: {e}"))?;

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

    fn parameters(&mut self, raw: &Value) -> Result<Vec<Parameter>, String> {
        let list = raw.as_array().ok_or("must be an array")?;
        let mut out: Vec<Parameter> = Vec::new();
        for (i, p) in list.iter().enumerate() {
            let p = self.resolve_at(p, &format!("[{i}]"))?;
            let p = p.as_object().ok_or(format!("[{i}] must be an object"))?;
            let name = str_field(p, "name")
                .filter(|n| !n.is_empty())
                .ok_or(format!("[{i}] has no `name`"))?;
            let location = match p.get("in").and_then(Value::as_str) {
                Some("path") => ParameterLocation::Path,
                Some("query") => ParameterLocation::Query,
                Some("header") => ParameterLocation::Header,
                Some("cookie") => ParameterLocation::Cookie,
                other => {
                    return Err(format!(
                        "[{i}] `{name}`: `in` must be path, query, header or cookie (got {other:?})"
                    ));
                }
            };
            if location == ParameterLocation::Header {
                if RESERVED_HEADERS.contains(&name.to_ascii_lowercase().as_str()) {
                    continue;
                }
                if reqwest::header::HeaderName::from_bytes(name.as_bytes()).is_err() {
                    return Err(format!("[{i}] `{name}` is not a valid header name"));
                }
            }
            // OpenAPI: path parameters are always required.
            let required = location == ParameterLocation::Path
                || p.get("required") == Some(&Value::Bool(true));
            let schema = match (p.get("schema"), p.get("content")) {
                (Some(s), _) => s.clone(),
                (None, Some(Value::Object(content))) => content
                    .values()
                    .find_map(|m| m.get("schema").cloned())
                    .unwrap_or_else(|| Value::Object(Map::new())),
                _ => Value::Object(Map::new()),
            };
            let example = example_of(p).or_else(|| example_of_schema(&schema));
            out.retain(|q| !(q.name == name && q.location == location));
            out.push(parameter(
                name,
                location,
                required,
                str_field(p, "description"),
                schema,
                example,
            ));
        }
        Ok(out)
    }

    fn request_body(&mut self, raw: &Value) -> Result<RequestBody, String> {
        let body = self.resolve_at(raw, "")?;
        let body = body.as_object().ok_or("must be an object")?;
        let content = body
            .get("content")
            .and_then(Value::as_object)
            .filter(|c| !c.is_empty())
            .ok_or("has no `content`")?;
        let is_json = |t: &str| t == "application/json" || t.ends_with("+json");
        let (content_type, media) = content
            .iter()
            .find(|(t, _)| is_json(t))
            .or_else(|| {
                content
                    .iter()
                    .find(|(t, _)| *t == "application/x-www-form-urlencoded")
            })
            .or_else(|| content.iter().next())
            .ok_or("has no `content`")?;
        let encoding = if is_json(content_type) {
            BodyEncoding::Json
        } else if content_type == "application/x-www-form-urlencoded" {
            BodyEncoding::Form
        } else {
            BodyEncoding::Raw
        };
        let required = body.get("required") == Some(&Value::Bool(true));
        let schema = media
            .get("schema")
            .cloned()
            .unwrap_or_else(|| Value::Object(Map::new()));
        let compiled = Schema::compile(&schema);
        let mut fields = Vec::new();
        let mut seen = HashSet::new();
        collect_fields(&schema, required, &mut fields, &mut seen);
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
        Ok(RequestBody {
            content_type: content_type.clone(),
            encoding,
            required,
            schema,
            fields,
            deep_object_fields,
            compiled,
        })
    }

    /// The scheme names a `security` list mentions; `Some([])` for an explicit "no auth".
    fn security_requirement(
        &self,
        raw: Option<&Value>,
        schemes: &[AuthScheme],
    ) -> Result<Option<Vec<String>>, String> {
        let Some(raw) = raw else {
            return Ok(None);
        };
        let list = raw.as_array().ok_or("must be an array")?;
        let mut names = Vec::new();
        for requirement in list {
            let req = requirement
                .as_object()
                .ok_or("requirements must be objects")?;
            for name in req.keys() {
                if !self.declared_schemes.contains(name) {
                    // A typo here would silently send requests without credentials.
                    return Err(format!("`{name}` is not in components.securitySchemes"));
                }
                // Schemes of a type the engine skips (openIdConnect) are not injectable.
                if schemes.iter().any(|s| &s.name == name) && !names.contains(name) {
                    names.push(name.clone());
                }
            }
        }
        Ok(Some(names))
    }

    /// `value` with every local `$ref` replaced by its target; errors name `at`.
    fn resolve_at(&mut self, value: &Value, at: &str) -> Result<Value, String> {
        let mut stack = Vec::new();
        self.resolve(value, &mut stack, 0).map_err(|e| {
            if at.is_empty() {
                e
            } else {
                format!("{at}: {e}")
            }
        })
    }

    fn resolve(
        &mut self,
        value: &Value,
        stack: &mut Vec<String>,
        depth: usize,
    ) -> Result<Value, String> {
        self.budget = self.budget.checked_sub(1).ok_or(format!(
            "`$ref` expansion exceeds {EXPANSION_BUDGET} nodes; simplify the document"
        ))?;
        if depth > MAX_DEPTH {
            return Ok(Value::Object(Map::new()));
        }
        match value {
            Value::Object(map) => {
                if let Some(reference) = map.get("$ref") {
                    let reference = reference.as_str().ok_or("`$ref` must be a string")?;
                    if stack.iter().any(|r| r == reference) {
                        // A recursive schema: stop here with "anything goes".
                        return Ok(Value::Object(Map::new()));
                    }
                    let target = self.lookup(reference)?;
                    stack.push(reference.to_owned());
                    let mut resolved = self.resolve(target, stack, depth + 1)?;
                    stack.pop();
                    // 3.1 allows keywords beside `$ref` (description, summary): they win.
                    if map.len() > 1
                        && let Value::Object(obj) = &mut resolved
                    {
                        for (k, v) in map.iter().filter(|(k, _)| *k != "$ref") {
                            let v = self.resolve(v, stack, depth + 1)?;
                            obj.insert(k.clone(), v);
                        }
                    }
                    return Ok(resolved);
                }
                let mut out = Map::with_capacity(map.len());
                for (k, v) in map {
                    // Literal values: a `$ref` key inside an example is data, not a reference.
                    let v = if matches!(
                        k.as_str(),
                        "example" | "examples" | "default" | "enum" | "const"
                    ) {
                        v.clone()
                    } else {
                        self.resolve(v, stack, depth + 1)?
                    };
                    out.insert(k.clone(), v);
                }
                Ok(Value::Object(out))
            }
            Value::Array(items) => items
                .iter()
                .map(|v| self.resolve(v, stack, depth + 1))
                .collect::<Result<Vec<_>, _>>()
                .map(Value::Array),
            other => Ok(other.clone()),
        }
    }

    /// `value`, or what its `$ref` chain ends at; nothing inside is resolved (that happens where
    /// the parts are read, so errors can name the exact place).
    fn follow(&self, mut value: &'a Value) -> Result<&'a Value, String> {
        for _ in 0..32 {
            match value.get("$ref") {
                Some(Value::String(reference)) => value = self.lookup(reference)?,
                Some(_) => return Err("`$ref` must be a string".into()),
                None => return Ok(value),
            }
        }
        Err("`$ref` chain is too long or cyclic".into())
    }

    fn lookup(&self, reference: &str) -> Result<&'a Value, String> {
        let Some(pointer) = reference.strip_prefix('#') else {
            return Err(format!(
                "external `$ref` `{reference}` is not supported (only local `#/...` references)"
            ));
        };
        let pointer = percent_decode_str(pointer)
            .decode_utf8()
            .map_err(|_| format!("`$ref` `{reference}` is not valid UTF-8"))?;
        self.root
            .pointer(&pointer)
            .ok_or(format!("`$ref` `{reference}` points to nothing"))
    }
}

fn parameter(
    name: String,
    location: ParameterLocation,
    required: bool,
    description: Option<String>,
    schema: Value,
    example: Option<Value>,
) -> Parameter {
    let compiled = Schema::compile(&schema);
    let type_name = compiled
        .types()
        .iter()
        .find(|t| **t != crate::schema::JsonType::Null)
        .map(|t| t.name().to_owned());
    let enum_values = schema.get("enum").and_then(Value::as_array).cloned();
    let default = schema.get("default").cloned();
    let description = description.or_else(|| {
        schema
            .get("description")
            .and_then(Value::as_str)
            .map(str::to_owned)
    });
    Parameter {
        name,
        location,
        required,
        description,
        type_name,
        enum_values,
        default,
        example,
        schema,
        compiled,
    }
}

/// The top-level properties of a body schema (through `allOf`), as body parameters.
fn collect_fields(
    schema: &Value,
    body_required: bool,
    fields: &mut Vec<Parameter>,
    seen: &mut HashSet<String>,
) {
    let required: Vec<&str> = schema
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    if let Some(Value::Object(props)) = schema.get("properties") {
        for (name, prop) in props {
            if !seen.insert(name.clone()) {
                continue;
            }
            let example = example_of_schema(prop);
            fields.push(parameter(
                name.clone(),
                ParameterLocation::Body,
                body_required && required.contains(&name.as_str()),
                None,
                prop.clone(),
                example,
            ));
        }
    }
    if let Some(Value::Array(parts)) = schema.get("allOf") {
        for part in parts {
            collect_fields(part, body_required, fields, seen);
        }
    }
}

/// `example`, or the first of `examples` (3.0 map of Example objects, 3.1 array).
fn example_of(obj: &Map<String, Value>) -> Option<Value> {
    if let Some(e) = obj.get("example") {
        return Some(e.clone());
    }
    match obj.get("examples")? {
        Value::Array(list) => list.first().cloned(),
        Value::Object(map) => map.values().next().and_then(|e| e.get("value")).cloned(),
        _ => None,
    }
}

fn example_of_schema(schema: &Value) -> Option<Value> {
    schema.as_object().and_then(example_of)
}

fn str_field(obj: &Map<String, Value>, key: &str) -> Option<String> {
    obj.get(key).and_then(Value::as_str).map(str::to_owned)
}

fn servers(root: &Map<String, Value>) -> Result<(String, Vec<ServerVariable>), String> {
    let server = root
        .get("servers")
        .and_then(Value::as_array)
        .and_then(|s| s.first())
        .and_then(Value::as_object)
        .ok_or("missing `servers[0]`")?;
    let url = str_field(server, "url").ok_or("missing `servers[0].url`")?;
    let mut variables = Vec::new();
    let declared = server.get("variables").and_then(Value::as_object);
    for name in template_names(&url).map_err(|e| format!("servers[0].url: {e}"))? {
        let var = declared
            .and_then(|d| d.get(&name))
            .and_then(Value::as_object);
        let default = var
            .and_then(|v| str_field(v, "default"))
            .filter(|d| !d.is_empty());
        let allowed_values = var
            .and_then(|v| v.get("enum"))
            .and_then(Value::as_array)
            .map(|e| {
                e.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        if variables.iter().any(|v: &ServerVariable| v.name == name) {
            continue;
        }
        variables.push(ServerVariable {
            description: var.and_then(|v| str_field(v, "description")),
            name,
            default,
            allowed_values,
        });
    }
    // The URL must be an absolute http(s) URL once its variables are filled in.
    let mut probe = url.clone();
    for v in &variables {
        probe = probe.replace(&format!("{{{}}}", v.name), "x");
    }
    match url::Url::parse(&probe) {
        Ok(u) if (u.scheme() == "https" || u.scheme() == "http") && u.host().is_some() => {}
        _ => {
            return Err(format!(
                "`servers[0].url` `{url}` is not an absolute http(s) URL"
            ));
        }
    }
    Ok((url, variables))
}

/// The `{name}`s of a template, in order.
fn template_names(template: &str) -> Result<Vec<String>, String> {
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

fn generated_operation_id(method: &str, path: &str) -> String {
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

fn tag_descriptions(root: &Map<String, Value>) -> HashMap<String, String> {
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

fn error_convention(raw: &Value) -> Result<ErrorConvention, String> {
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

fn credential_fields(raw: &Value) -> Result<Vec<CredentialField>, String> {
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

fn pagination(raw: &Value) -> Result<Pagination, String> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn doc(paths: Value) -> String {
        json!({
            "openapi": "3.1.0",
            "info": {"title": "T", "x-alloy-id": "t"},
            "servers": [{"url": "https://api.example.com"}],
            "paths": paths,
        })
        .to_string()
    }

    #[test]
    fn generated_ids_are_readable() {
        assert_eq!(
            generated_operation_id("get", "/users/{id}/repos"),
            "get_users_id_repos"
        );
    }

    #[test]
    fn undeclared_path_parameters_are_refused() {
        let text = doc(json!({"/x/{id}": {"get": {"operationId": "x"}}}));
        let err = load_document("t.json", &text, None).unwrap_err();
        assert!(err.message.contains("`id`"), "{err}");
        assert_eq!(err.source_name, "t.json");
    }

    #[test]
    fn duplicate_operation_ids_are_refused() {
        let text = doc(json!({
            "/a": {"get": {"operationId": "x"}},
            "/b": {"get": {"operationId": "x"}}
        }));
        let err = load_document("t.json", &text, None).unwrap_err();
        assert!(err.message.contains("used twice"), "{err}");
    }

    #[test]
    fn self_referencing_schemas_terminate() {
        let text = json!({
            "openapi": "3.0.3",
            "info": {"title": "T", "x-alloy-id": "t"},
            "servers": [{"url": "https://api.example.com"}],
            "paths": {"/a": {"post": {"operationId": "a", "requestBody": {"content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/Node"}}}}}}},
            "components": {"schemas": {"Node": {"type": "object", "properties": {
                "child": {"$ref": "#/components/schemas/Node"}, "name": {"type": "string"}}}}}
        })
        .to_string();
        let c = load_document("t.json", &text, None).unwrap();
        let body = c.action("a").unwrap().request_body.as_ref().unwrap();
        assert_eq!(body.schema["properties"]["child"], json!({}));
        assert_eq!(body.schema["properties"]["name"]["type"], "string");
    }

    #[test]
    fn exponential_refs_hit_the_budget() {
        // Each level refers to the previous one 8 times: 8^12 nodes if expanded naively.
        let mut schemas = serde_json::Map::new();
        schemas.insert("L0".into(), json!({"type": "string"}));
        for i in 1..=12 {
            let r = json!({"$ref": format!("#/components/schemas/L{}", i - 1)});
            let props: serde_json::Map<String, Value> =
                (0..8).map(|k| (format!("p{k}"), r.clone())).collect();
            schemas.insert(
                format!("L{i}"),
                json!({"type": "object", "properties": props}),
            );
        }
        let text = json!({
            "openapi": "3.0.3",
            "info": {"title": "T", "x-alloy-id": "t"},
            "servers": [{"url": "https://api.example.com"}],
            "paths": {"/a": {"post": {"operationId": "a", "requestBody": {"content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/L12"}}}}}}},
            "components": {"schemas": schemas}
        })
        .to_string();
        let err = load_document("t.json", &text, None).unwrap_err();
        assert!(err.message.contains("expansion"), "{err}");
    }

    #[test]
    fn ids_are_checked() {
        assert!(is_valid_connector_id("google-calendar"));
        assert!(!is_valid_connector_id("Google"));
        assert!(!is_valid_connector_id(""));
        assert!(!is_valid_connector_id("-x"));
    }
}
