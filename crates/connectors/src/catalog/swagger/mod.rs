//! Rewrites a Swagger 2.0 document as OpenAPI 3.0.3, so that the OpenAPI 3 loader stays
//! single-format. The conversion never fails on odd content: whatever it has to guess or drop is
//! reported as a one-line warning that names the place, so an operator can see why an action
//! looks different.

mod parameters;
mod schemas;
mod security;
#[cfg(test)]
mod tests;

use std::collections::HashSet;

use serde_json::{Map, Value, json};

use parameters::location;
use schemas::{convert_schema, map_values, rewrite_refs};

/// The OpenAPI version that converted documents declare.
const OPENAPI_VERSION: &str = "3.0.3";
/// Used when neither the operation nor the document says what it consumes or produces.
const DEFAULT_MEDIA_TYPE: &str = "application/json";
const FORM_URLENCODED: &str = "application/x-www-form-urlencoded";
const MULTIPART: &str = "multipart/form-data";
/// Operation keys of a Swagger 2.0 path item (2.0 has no `trace`).
const METHODS: &[&str] = &["get", "put", "post", "delete", "options", "head", "patch"];
/// Swagger keywords of non-body parameters, items and headers that belong to the OpenAPI 3
/// `schema` of the converted object.
const SCHEMA_KEYWORDS: &[&str] = &[
    "type",
    "format",
    "items",
    "default",
    "enum",
    "maximum",
    "exclusiveMaximum",
    "minimum",
    "exclusiveMinimum",
    "maxLength",
    "minLength",
    "pattern",
    "maxItems",
    "minItems",
    "uniqueItems",
    "multipleOf",
    "x-nullable",
];

/// Converts a Swagger 2.0 document into an OpenAPI 3.0.3 document.
///
/// Returns the new document and one-line warnings, each naming the place, for everything that
/// had to be guessed or dropped. Fails only when `doc` is not an object with `swagger: "2.0"`.
/// Operations keep their `operationId` (or lack of one), their `x-` keys and everything else
/// that means the same in both versions.
pub fn swagger2_to_openapi3(doc: Value) -> Result<(Value, Vec<String>), String> {
    let Value::Object(root) = doc else {
        return Err("not a Swagger 2.0 document: the document is not an object".into());
    };
    match root.get("swagger") {
        Some(Value::String(v)) if v == "2.0" => {}
        // Unquoted `swagger: 2.0` in YAML is a number.
        Some(Value::Number(n)) if n.as_f64() == Some(2.0) => {}
        Some(other) => {
            return Err(format!(
                "not a Swagger 2.0 document: `swagger` is {other}, expected \"2.0\""
            ));
        }
        None => return Err("not a Swagger 2.0 document: no `swagger: \"2.0\"`".into()),
    }
    let mut converter = Converter::new(&root);
    let mut out = converter.document(&root);
    rewrite_refs(&mut out, &converter.body_like);
    Ok((out, converter.warnings))
}

/// A body parameter, kept unconverted until the consuming operation's media types are known.
enum Body {
    Inline(Map<String, Value>),
    /// A reference to a global body parameter: `token` is the pointer token as written.
    Global {
        token: String,
        def: Map<String, Value>,
    },
}

/// One parameter list, split the way OpenAPI 3 splits it.
#[derive(Default)]
struct Params {
    /// Converted path, query and header parameters (and references to them).
    plain: Vec<Value>,
    body: Option<Body>,
    /// `formData` parameters by name, in order.
    form: Vec<(String, Map<String, Value>)>,
}

struct Converter {
    warnings: Vec<String>,
    /// The document's global `parameters`, unconverted.
    globals: Map<String, Value>,
    /// Names of global parameters that become `components.requestBodies`.
    body_like: HashSet<String>,
    /// The document's `consumes`, if it says.
    consumes: Option<Vec<String>>,
    /// The document's `produces`, if it says.
    produces: Option<Vec<String>>,
    /// The scheme chosen for `servers`, to tell when an operation asks for another one.
    scheme: Option<String>,
}

impl Converter {
    fn new(root: &Map<String, Value>) -> Self {
        let globals = root
            .get("parameters")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        let body_like = globals
            .iter()
            .filter(|(_, p)| matches!(location(p), Some("body" | "formData")))
            .map(|(k, _)| k.clone())
            .collect();
        Self {
            warnings: Vec::new(),
            globals,
            body_like,
            consumes: string_list(root.get("consumes")),
            produces: string_list(root.get("produces")),
            scheme: None,
        }
    }

    fn warn(&mut self, at: &str, message: impl std::fmt::Display) {
        self.warnings.push(format!("{at}: {message}"));
    }

    fn document(&mut self, root: &Map<String, Value>) -> Value {
        let mut out = Map::new();
        out.insert("openapi".into(), OPENAPI_VERSION.into());
        if let Some(info) = root.get("info") {
            out.insert("info".into(), info.clone());
        }
        out.insert("servers".into(), self.servers(root));
        let mut components = Map::new();
        for (key, value) in root {
            match key.as_str() {
                "swagger" | "info" | "host" | "basePath" | "schemes" | "consumes" | "produces" => {}
                "paths" => {
                    let paths = self.paths(value);
                    out.insert(key.clone(), paths);
                }
                "definitions" => {
                    let schemas = map_values(value, convert_schema);
                    components.insert("schemas".into(), schemas);
                }
                "parameters" => self.global_parameters(value, &mut components),
                "responses" => {
                    let produces = self.produces_or_default(None);
                    let responses = match value {
                        Value::Object(m) => Value::Object(
                            m.iter()
                                .map(|(name, r)| {
                                    let at = format!("responses.{name}");
                                    (name.clone(), self.response(r, &produces, &at))
                                })
                                .collect(),
                        ),
                        other => other.clone(),
                    };
                    components.insert("responses".into(), responses);
                }
                "securityDefinitions" => {
                    let schemes = match value {
                        Value::Object(m) => Value::Object(
                            m.iter()
                                .map(|(name, s)| (name.clone(), self.security_scheme(name, s)))
                                .collect(),
                        ),
                        other => other.clone(),
                    };
                    components.insert("securitySchemes".into(), schemes);
                }
                _ => {
                    out.insert(key.clone(), value.clone());
                }
            }
        }
        if !components.is_empty() {
            out.insert("components".into(), Value::Object(components));
        }
        Value::Object(out)
    }

    fn servers(&mut self, root: &Map<String, Value>) -> Value {
        let base_path = match root.get("basePath").and_then(Value::as_str) {
            Some(p) if p.starts_with('/') => p.to_owned(),
            Some(p) => format!("/{p}"),
            None => "/".to_owned(),
        };
        // Paths start with `/`; a server URL ending in one would give `//` when they are joined.
        let trimmed = base_path.trim_end_matches('/');
        let Some(host) = root
            .get("host")
            .and_then(Value::as_str)
            .filter(|h| !h.is_empty())
        else {
            let url = if trimmed.is_empty() { "/" } else { trimmed };
            self.warn(
                "servers",
                format!(
                    "no `host`; using the relative URL `{url}`, resolved against where the \
                     document was loaded from"
                ),
            );
            return json!([{ "url": url }]);
        };
        let host = host.trim_end_matches('/');
        if host.contains("://") {
            self.warn(
                "servers",
                format!("`host` `{host}` includes a scheme; used as given"),
            );
            return json!([{ "url": format!("{host}{trimmed}") }]);
        }
        let mut schemes: Vec<String> = match root.get("schemes") {
            Some(Value::Array(list)) => list
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_ascii_lowercase)
                .collect(),
            Some(Value::String(s)) => vec![s.to_ascii_lowercase()],
            _ => Vec::new(),
        };
        let preferred = ["https", "http"]
            .iter()
            .find_map(|p| schemes.iter().position(|s| s == p))
            .unwrap_or(0);
        if schemes.is_empty() {
            schemes.push("https".into());
        } else {
            let chosen = schemes.remove(preferred);
            schemes.insert(0, chosen);
        }
        if schemes[0] != "https" && schemes[0] != "http" {
            self.warn(
                "servers",
                format!("scheme `{}` is not http or https", schemes[0]),
            );
        }
        self.scheme = Some(schemes[0].clone());
        let mut seen = HashSet::new();
        Value::Array(
            schemes
                .iter()
                .filter(|s| seen.insert(s.as_str()))
                .map(|s| json!({ "url": format!("{s}://{host}{trimmed}") }))
                .collect(),
        )
    }

    fn global_parameters(&mut self, value: &Value, components: &mut Map<String, Value>) {
        let Value::Object(params) = value else {
            self.warn("parameters", "not an object; dropped");
            return;
        };
        let consumes = self.consumes_or_default(None);
        let mut plain = Map::new();
        let mut bodies = Map::new();
        for (name, p) in params {
            let at = format!("parameters.{name}");
            let Value::Object(obj) = p else {
                plain.insert(name.clone(), p.clone());
                continue;
            };
            match location(p) {
                Some("body") => {
                    let body = self.request_body(obj, &consumes, &at);
                    bodies.insert(name.clone(), body);
                }
                Some("formData") => {
                    let field = obj
                        .get("name")
                        .and_then(Value::as_str)
                        .unwrap_or(name)
                        .to_owned();
                    let body = self.form_body(&[(field, obj.clone())], &consumes, &at);
                    bodies.insert(name.clone(), body);
                }
                _ => {
                    plain.insert(name.clone(), self.parameter(obj, &at));
                }
            }
        }
        if !plain.is_empty() {
            components.insert("parameters".into(), Value::Object(plain));
        }
        if !bodies.is_empty() {
            components.insert("requestBodies".into(), Value::Object(bodies));
        }
    }

    fn paths(&mut self, paths: &Value) -> Value {
        let Value::Object(paths) = paths else {
            self.warn("paths", "not an object; kept as is");
            return paths.clone();
        };
        let mut out = Map::new();
        for (path, item) in paths {
            let converted = match item {
                Value::Object(item) if !path.starts_with("x-") => {
                    self.path_item(item, &format!("paths.{path}"))
                }
                other => other.clone(),
            };
            out.insert(path.clone(), converted);
        }
        Value::Object(out)
    }

    fn path_item(&mut self, item: &Map<String, Value>, at: &str) -> Value {
        let shared = match item.get("parameters") {
            Some(list) => self.split_parameters(list, &format!("{at}.parameters")),
            None => Params::default(),
        };
        let mut out = Map::new();
        for (key, value) in item {
            match (key.as_str(), value) {
                ("parameters", _) => {
                    // Bodies and form fields move into each operation's `requestBody`.
                    if !shared.plain.is_empty() {
                        out.insert(key.clone(), Value::Array(shared.plain.clone()));
                    }
                }
                (method, Value::Object(op)) if METHODS.contains(&method) => {
                    let op = self.operation(op, &shared, &format!("{at}.{method}"));
                    out.insert(key.clone(), op);
                }
                _ => {
                    out.insert(key.clone(), value.clone());
                }
            }
        }
        Value::Object(out)
    }

    fn operation(&mut self, op: &Map<String, Value>, shared: &Params, at: &str) -> Value {
        let consumes = self.consumes_or_default(op.get("consumes"));
        let produces = self.produces_or_default(op.get("produces"));
        let own = match op.get("parameters") {
            Some(list) => self.split_parameters(list, &format!("{at}.parameters")),
            None => Params::default(),
        };
        // What the operation declares overrides the path's, as in Swagger; a form of its own
        // also displaces a body shared by the path, since a request has only one body.
        let body = match (&own.body, own.form.is_empty()) {
            (Some(body), _) => Some(body),
            (None, true) => shared.body.as_ref(),
            (None, false) => {
                if shared.body.is_some() {
                    self.warn(
                        at,
                        "path-level body parameter dropped for the formData ones",
                    );
                }
                None
            }
        };
        let mut form = shared.form.clone();
        for (name, p) in &own.form {
            form.retain(|(n, _)| n != name);
            form.push((name.clone(), p.clone()));
        }
        let request_body = match body {
            Some(body) => {
                if !form.is_empty() {
                    let names: Vec<&str> = form.iter().map(|(n, _)| n.as_str()).collect();
                    self.warn(
                        at,
                        format!(
                            "has both a body and formData parameters; formData `{}` dropped",
                            names.join("`, `")
                        ),
                    );
                }
                Some(match body {
                    Body::Inline(p) => self.request_body(p, &consumes, at),
                    Body::Global { token, def } => {
                        if consumes == self.consumes_or_default(None) {
                            json!({ "$ref": format!("#/components/requestBodies/{token}") })
                        } else {
                            // The shared component carries the document's media types.
                            self.request_body(def, &consumes, at)
                        }
                    }
                })
            }
            None if !form.is_empty() => Some(self.form_body(&form, &consumes, at)),
            None => None,
        };
        let mut out = Map::new();
        for (key, value) in op {
            match key.as_str() {
                "consumes" | "produces" => {}
                "parameters" => {
                    if !own.plain.is_empty() {
                        out.insert(key.clone(), Value::Array(own.plain.clone()));
                    }
                }
                "responses" => {
                    let responses = match value {
                        Value::Object(m) => Value::Object(
                            m.iter()
                                .map(|(code, r)| {
                                    let r = if code.starts_with("x-") {
                                        r.clone()
                                    } else {
                                        self.response(
                                            r,
                                            &produces,
                                            &format!("{at}.responses.{code}"),
                                        )
                                    };
                                    (code.clone(), r)
                                })
                                .collect(),
                        ),
                        other => other.clone(),
                    };
                    out.insert(key.clone(), responses);
                }
                "schemes" => {
                    let listed = string_list(Some(value)).unwrap_or_default();
                    let served = self
                        .scheme
                        .as_ref()
                        .is_some_and(|s| listed.iter().any(|l| l.eq_ignore_ascii_case(s)));
                    if !served {
                        self.warn(
                            at,
                            format!(
                                "operation-level `schemes` [{}] dropped; the document's server \
                                 is used",
                                listed.join(", ")
                            ),
                        );
                    }
                }
                _ => {
                    out.insert(key.clone(), value.clone());
                }
            }
        }
        if let Some(body) = request_body {
            out.insert("requestBody".into(), body);
        }
        Value::Object(out)
    }

    fn consumes_or_default(&self, own: Option<&Value>) -> Vec<String> {
        or_default(string_list(own).or_else(|| self.consumes.clone()))
    }

    fn produces_or_default(&self, own: Option<&Value>) -> Vec<String> {
        or_default(string_list(own).or_else(|| self.produces.clone()))
    }
}

fn or_default(types: Option<Vec<String>>) -> Vec<String> {
    types.unwrap_or_else(|| vec![DEFAULT_MEDIA_TYPE.to_owned()])
}

/// A `consumes`, `produces` or `schemes` list; `None` when absent or empty, so that the
/// document-level or default list applies.
fn string_list(value: Option<&Value>) -> Option<Vec<String>> {
    let types: Vec<String> = match value? {
        Value::Array(list) => list
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        Value::String(s) => vec![s.clone()],
        _ => Vec::new(),
    };
    (!types.is_empty()).then_some(types)
}
