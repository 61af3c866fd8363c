//! Reads API descriptions written as JSON or YAML, and rewrites Swagger 2.0 ones as OpenAPI 3.0.3.
//!
//! Vendors publish in all of these forms, while the OpenAPI 3 loader only understands an
//! OpenAPI 3 `serde_json::Value`; normalising here keeps the loader single-format. The
//! conversion never fails on odd content: whatever it has to guess or drop is reported as a
//! one-line warning that names the place, so an operator can see why an action looks different.

use std::collections::HashSet;

use serde_json::{Map, Value, json};

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

/// Alias replays and anchor copies allowed in one YAML document. Real descriptions use a few
/// anchors for repeated fragments; a cap this size holds an alias bomb to about 25 MB.
const YAML_ALIAS_EVENTS: usize = 100_000;
/// The same nesting limit `serde_json` applies, so both formats accept the same documents.
const YAML_MAX_DEPTH: usize = 128;
/// Node and event caps only bound work proportional to the text, which the caller already
/// holds in memory; they are raised so that large vendor descriptions are not refused.
const YAML_MAX_NODES: usize = 20_000_000;

/// Parses `text` as JSON, or as YAML when `yaml` is true.
///
/// When `yaml` is false and the text is not JSON and does not start with `{`, it is tried as
/// YAML as well; that fallback only accepts a YAML mapping, so that plain text or HTML is
/// reported as bad JSON rather than returned as a string. Non-string YAML mapping keys (such as
/// `200:` response codes) become strings with their original spelling. Anchors and aliases
/// are supported within fixed limits, so alias bombs are refused instead of expanded.
/// Errors are one line and give the line and column when known.
pub fn parse_document(text: &str, yaml: bool) -> Result<Value, String> {
    // Editors on Windows like to prepend a byte-order mark, which neither parser wants.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if yaml {
        return parse_yaml(text);
    }
    let json_error = match serde_json::from_str(text) {
        Ok(value) => return Ok(value),
        Err(e) => json_error_message(&e),
    };
    if text.trim_start().starts_with('{') {
        return Err(json_error);
    }
    match parse_yaml(text) {
        Ok(value @ Value::Object(_)) => Ok(value),
        Ok(_) => Err(json_error),
        Err(yaml_error) => Err(format!("{json_error}; {yaml_error}")),
    }
}

fn json_error_message(e: &serde_json::Error) -> String {
    let text = e.to_string();
    // serde_json appends the position itself; it is moved to the front like the YAML errors.
    let suffix = format!(" at line {} column {}", e.line(), e.column());
    match text.strip_suffix(&suffix) {
        Some(message) if e.line() > 0 => format!(
            "not valid JSON at line {} column {}: {}",
            e.line(),
            e.column(),
            one_line(message)
        ),
        _ => format!("not valid JSON: {}", one_line(&text)),
    }
}

fn parse_yaml(text: &str) -> Result<Value, String> {
    serde_saphyr::from_str_with_options::<Value>(text, yaml_options()).map_err(|e| {
        let e = e.without_snippet();
        let mut message = e.to_string();
        let location = e.location().map(|l| (l.line(), l.column()));
        if let Some((line, column)) = location {
            message = message.replacen(&format!(" at line {line}, column {column}"), "", 1);
        }
        let message = one_line(&message);
        // Budget breaches are size limits, not syntax errors; say so, or people hunt for typos.
        let what = if message.contains("budget breached") || message.contains("alias replay") {
            "YAML document is too large or its aliases expand too much"
        } else {
            "not valid YAML"
        };
        match location {
            Some((line, column)) if line > 0 => {
                format!("{what} at line {line} column {column}: {message}")
            }
            _ => format!("{what}: {message}"),
        }
    })
}

fn yaml_options() -> serde_saphyr::Options {
    let mut alias_limits = serde_saphyr::options::AliasLimits::default();
    alias_limits.max_total_replayed_events = YAML_ALIAS_EVENTS;
    serde_saphyr::options! {
        budget: serde_saphyr::budget! {
            max_recorded_anchor_events: YAML_ALIAS_EVENTS,
            max_depth: YAML_MAX_DEPTH,
            max_nodes: YAML_MAX_NODES,
            max_events: YAML_MAX_NODES.saturating_mul(2),
        },
        alias_limits: alias_limits,
        // YAML 1.1 booleans (`yes`, `on`) would turn enum values and descriptions into bools.
        strict_booleans: true,
        // A `null:` key is a string key to a JSON object, not an error.
        null_as_string: true,
        // JSON parsing keeps the last of duplicate keys; YAML should not be stricter.
        duplicate_keys: serde_saphyr::DuplicateKeyPolicy::LastWins,
        // JSON has no infinities; keeping the spelling beats refusing the whole document.
        non_finite_float_policy: serde_saphyr::NonFiniteFloatPolicy::AsString,
        with_snippet: false,
    }
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

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

    fn split_parameters(&mut self, list: &Value, at: &str) -> Params {
        let mut params = Params::default();
        let Value::Array(list) = list else {
            self.warn(at, "not an array; dropped");
            return params;
        };
        for (i, p) in list.iter().enumerate() {
            let at = format!("{at}[{i}]");
            let Value::Object(obj) = p else {
                self.warn(&at, "not an object; dropped");
                continue;
            };
            if let Some(reference) = obj.get("$ref").and_then(Value::as_str) {
                let Some(token) = reference.strip_prefix("#/parameters/") else {
                    // External or unusual references are left for the loader to judge.
                    params.plain.push(p.clone());
                    continue;
                };
                let def = self
                    .globals
                    .get(&unescape_pointer_token(token))
                    .and_then(Value::as_object)
                    .cloned();
                let Some(def) = def else {
                    self.warn(&at, format!("`{reference}` points to nothing"));
                    params.plain.push(p.clone());
                    continue;
                };
                match def.get("in").and_then(Value::as_str) {
                    Some("body") => self.add_body(
                        &mut params,
                        Body::Global {
                            token: token.to_owned(),
                            def,
                        },
                        &at,
                    ),
                    Some("formData") => self.add_form_field(&mut params, &def, &at),
                    _ => params.plain.push(p.clone()),
                }
                continue;
            }
            match obj.get("in").and_then(Value::as_str) {
                Some("body") => self.add_body(&mut params, Body::Inline(obj.clone()), &at),
                Some("formData") => self.add_form_field(&mut params, obj, &at),
                Some("path" | "query" | "header") => params.plain.push(self.parameter(obj, &at)),
                other => {
                    let other = other.map_or("missing".to_owned(), |o| format!("`{o}`"));
                    self.warn(&at, format!("`in` is {other}; parameter dropped"));
                }
            }
        }
        params
    }

    fn add_body(&mut self, params: &mut Params, body: Body, at: &str) {
        if params.body.is_some() {
            self.warn(at, "a second body parameter; dropped");
        } else {
            params.body = Some(body);
        }
    }

    fn add_form_field(&mut self, params: &mut Params, p: &Map<String, Value>, at: &str) {
        let Some(name) = p.get("name").and_then(Value::as_str) else {
            self.warn(at, "formData parameter without `name`; dropped");
            return;
        };
        params.form.retain(|(n, _)| n != name);
        params.form.push((name.to_owned(), p.clone()));
    }

    /// A path, query or header parameter in OpenAPI 3 form.
    fn parameter(&mut self, p: &Map<String, Value>, at: &str) -> Value {
        if p.contains_key("$ref") {
            return Value::Object(p.clone());
        }
        let name = p.get("name").and_then(Value::as_str).unwrap_or_default();
        let at = format!("{at} (`{name}`)");
        let mut out = Map::new();
        for (key, value) in p {
            match key.as_str() {
                k if SCHEMA_KEYWORDS.contains(&k) => {}
                "collectionFormat" => {}
                "x-example" => {
                    // Swagger had no parameter example; this extension was the usual stand-in.
                    if !p.contains_key("example") {
                        out.insert("example".into(), value.clone());
                    }
                    out.insert(key.clone(), value.clone());
                }
                _ => {
                    out.insert(key.clone(), value.clone());
                }
            }
        }
        out.insert("schema".into(), self.simple_schema(p, &at));
        if is_array(p) {
            let location = p.get("in").and_then(Value::as_str).unwrap_or_default();
            let format = collection_format(p);
            let (style, explode) = match (location, format) {
                ("query", "csv") => (Some("form"), Some(false)),
                ("query", "multi") => (Some("form"), Some(true)),
                ("query", "ssv") => (Some("spaceDelimited"), Some(false)),
                ("query", "pipes") => (Some("pipeDelimited"), Some(false)),
                ("path" | "header", "csv") => (None, None),
                ("query", _) => {
                    self.warn(
                        &at,
                        format!("collectionFormat `{format}` has no OpenAPI 3 form; using csv"),
                    );
                    (Some("form"), Some(false))
                }
                _ => {
                    self.warn(
                        &at,
                        format!(
                            "collectionFormat `{format}` is not possible in {location}; using csv"
                        ),
                    );
                    (None, None)
                }
            };
            if let Some(style) = style {
                out.insert("style".into(), style.into());
            }
            if let Some(explode) = explode {
                out.insert("explode".into(), explode.into());
            }
        }
        Value::Object(out)
    }

    /// The schema that a parameter's, header's or items' type keywords describe.
    fn simple_schema(&mut self, p: &Map<String, Value>, at: &str) -> Value {
        let mut schema = Map::new();
        for key in SCHEMA_KEYWORDS {
            let Some(value) = p.get(*key) else {
                continue;
            };
            match *key {
                "items" => {
                    let items = match value {
                        Value::Object(items) => {
                            if is_array(items) && collection_format(items) != "csv" {
                                self.warn(
                                    at,
                                    format!(
                                        "nested collectionFormat `{}` dropped",
                                        collection_format(items)
                                    ),
                                );
                            }
                            self.simple_schema(items, at)
                        }
                        other => other.clone(),
                    };
                    schema.insert("items".into(), items);
                }
                "x-nullable" => {
                    if value == &Value::Bool(true) {
                        schema.insert("nullable".into(), true.into());
                    }
                }
                _ => {
                    schema.insert((*key).to_owned(), value.clone());
                }
            }
        }
        if schema.get("type").and_then(Value::as_str) == Some("file") {
            schema.insert("type".into(), "string".into());
            schema.insert("format".into(), "binary".into());
        }
        Value::Object(schema)
    }

    fn request_body(&mut self, p: &Map<String, Value>, consumes: &[String], at: &str) -> Value {
        let schema = match p.get("schema") {
            Some(s) => convert_schema(s),
            None => {
                self.warn(at, "body parameter without `schema`; any body accepted");
                json!({})
            }
        };
        let mut out = Map::new();
        if let Some(d) = p.get("description") {
            out.insert("description".into(), d.clone());
        }
        let content: Map<String, Value> = consumes
            .iter()
            .map(|t| (t.clone(), json!({ "schema": schema.clone() })))
            .collect();
        out.insert("content".into(), Value::Object(content));
        if let Some(r) = p.get("required") {
            out.insert("required".into(), r.clone());
        }
        for (key, value) in p.iter().filter(|(k, _)| k.starts_with("x-")) {
            out.insert(key.clone(), value.clone());
        }
        Value::Object(out)
    }

    fn form_body(
        &mut self,
        fields: &[(String, Map<String, Value>)],
        consumes: &[String],
        at: &str,
    ) -> Value {
        let has_file = fields
            .iter()
            .any(|(_, p)| p.get("type").and_then(Value::as_str) == Some("file"));
        let listed: Vec<&str> = consumes
            .iter()
            .map(String::as_str)
            .filter(|t| is_media_type(t, FORM_URLENCODED) || is_media_type(t, MULTIPART))
            .collect();
        let types: Vec<&str> = if has_file {
            if !listed.is_empty() && !listed.iter().any(|t| is_media_type(t, MULTIPART)) {
                self.warn(
                    at,
                    "a file parameter cannot be sent url-encoded; using multipart/form-data",
                );
            }
            vec![MULTIPART]
        } else if listed.is_empty() {
            vec![FORM_URLENCODED]
        } else {
            listed
        };
        let mut properties = Map::new();
        let mut required = Vec::new();
        let mut encoding = Map::new();
        for (name, p) in fields {
            let field_at = format!("{at} (formData `{name}`)");
            let mut property = self.simple_schema(p, &field_at);
            // A form field has no object of its own: what described it moves into its schema.
            if let Value::Object(prop) = &mut property {
                for (key, value) in p {
                    if key == "description" || (key.starts_with("x-") && key != "x-nullable") {
                        prop.insert(key.clone(), value.clone());
                    }
                }
                if let Some(example) = p.get("x-example") {
                    prop.insert("example".into(), example.clone());
                }
            }
            properties.insert(name.clone(), property);
            if p.get("required") == Some(&Value::Bool(true)) {
                required.push(Value::String(name.clone()));
            }
            if is_array(p) {
                let (style, explode) = match collection_format(p) {
                    "multi" => ("form", true),
                    "ssv" => ("spaceDelimited", false),
                    "pipes" => ("pipeDelimited", false),
                    "csv" => ("form", false),
                    "tsv" => {
                        self.warn(
                            &field_at,
                            "collectionFormat `tsv` has no OpenAPI 3 form; using csv",
                        );
                        ("form", false)
                    }
                    other => {
                        self.warn(
                            &field_at,
                            format!("unknown collectionFormat `{other}`; using csv"),
                        );
                        ("form", false)
                    }
                };
                let delimited = style != "form" || !explode;
                if delimited
                    && p.contains_key("collectionFormat")
                    && !types.iter().any(|t| is_media_type(t, FORM_URLENCODED))
                {
                    self.warn(
                        &field_at,
                        format!(
                            "collectionFormat `{}` cannot be expressed in multipart/form-data; \
                             items are sent as repeated parts",
                            collection_format(p)
                        ),
                    );
                }
                encoding.insert(name.clone(), json!({ "style": style, "explode": explode }));
            }
        }
        let mut schema = Map::new();
        schema.insert("type".into(), "object".into());
        schema.insert("properties".into(), Value::Object(properties));
        let any_required = !required.is_empty();
        if any_required {
            schema.insert("required".into(), Value::Array(required));
        }
        let schema = Value::Object(schema);
        let content: Map<String, Value> = types
            .iter()
            .map(|t| {
                let mut media = Map::new();
                media.insert("schema".into(), schema.clone());
                // Only url-encoded bodies have delimiter styles; multipart repeats parts.
                if is_media_type(t, FORM_URLENCODED) && !encoding.is_empty() {
                    media.insert("encoding".into(), Value::Object(encoding.clone()));
                }
                ((*t).to_owned(), Value::Object(media))
            })
            .collect();
        let mut out = Map::new();
        out.insert("content".into(), Value::Object(content));
        if any_required {
            out.insert("required".into(), true.into());
        }
        Value::Object(out)
    }

    fn response(&mut self, response: &Value, produces: &[String], at: &str) -> Value {
        let Value::Object(r) = response else {
            return response.clone();
        };
        if r.contains_key("$ref") {
            return response.clone();
        }
        let mut out = Map::new();
        let schema = r.get("schema").map(convert_schema);
        let media = || match &schema {
            Some(schema) => json!({ "schema": schema }),
            None => json!({}),
        };
        let mut content = Map::new();
        if schema.is_some() {
            for t in produces {
                content.insert(t.clone(), media());
            }
        }
        for (key, value) in r {
            match key.as_str() {
                "schema" => {}
                "examples" => {
                    let Value::Object(examples) = value else {
                        continue;
                    };
                    // The example's key names its media type, even when `produces` does not.
                    for (media_type, example) in examples {
                        let entry = content.entry(media_type.clone()).or_insert_with(media);
                        if let Value::Object(entry) = entry {
                            entry.insert("example".into(), example.clone());
                        }
                    }
                }
                "headers" => {
                    let headers = match value {
                        Value::Object(h) => Value::Object(
                            h.iter()
                                .map(|(name, header)| {
                                    let header_at = format!("{at}.headers.{name}");
                                    (name.clone(), self.header(header, &header_at))
                                })
                                .collect(),
                        ),
                        other => other.clone(),
                    };
                    out.insert(key.clone(), headers);
                }
                _ => {
                    out.insert(key.clone(), value.clone());
                }
            }
        }
        // OpenAPI 3 requires a description; Swagger documents sometimes omit it.
        out.entry("description").or_insert_with(|| "".into());
        if !content.is_empty() {
            out.insert("content".into(), Value::Object(content));
        }
        Value::Object(out)
    }

    fn header(&mut self, header: &Value, at: &str) -> Value {
        let Value::Object(h) = header else {
            return header.clone();
        };
        if h.contains_key("$ref") {
            return header.clone();
        }
        let mut out = Map::new();
        for (key, value) in h {
            if !SCHEMA_KEYWORDS.contains(&key.as_str()) && key != "collectionFormat" {
                out.insert(key.clone(), value.clone());
            }
        }
        if is_array(h) && collection_format(h) != "csv" {
            self.warn(
                at,
                format!(
                    "collectionFormat `{}` is not possible in a header; using csv",
                    collection_format(h)
                ),
            );
        }
        out.insert("schema".into(), self.simple_schema(h, at));
        Value::Object(out)
    }

    fn security_scheme(&mut self, name: &str, scheme: &Value) -> Value {
        let at = format!("securityDefinitions.{name}");
        let Value::Object(s) = scheme else {
            self.warn(&at, "not an object; kept as is");
            return scheme.clone();
        };
        let kind = s.get("type").and_then(Value::as_str).unwrap_or_default();
        let mut out = Map::new();
        match kind {
            "basic" => {
                out.insert("type".into(), "http".into());
                out.insert("scheme".into(), "basic".into());
            }
            "apiKey" => {
                out.insert("type".into(), "apiKey".into());
                for key in ["in", "name"] {
                    if let Some(v) = s.get(key) {
                        out.insert(key.into(), v.clone());
                    }
                }
            }
            "oauth2" => {
                out.insert("type".into(), "oauth2".into());
                let has = |k: &str| s.get(k).is_some_and(|v| v.is_string());
                let flow = match s.get("flow").and_then(Value::as_str) {
                    Some("implicit") => "implicit",
                    Some("password") => "password",
                    Some("application") => "clientCredentials",
                    Some("accessCode") => "authorizationCode",
                    other => {
                        let guess = match (has("authorizationUrl"), has("tokenUrl")) {
                            (true, true) => "authorizationCode",
                            (true, false) => "implicit",
                            _ => "clientCredentials",
                        };
                        let other = other.map_or("missing".to_owned(), |o| format!("`{o}`"));
                        self.warn(&at, format!("oauth2 `flow` is {other}; assumed `{guess}`"));
                        guess
                    }
                };
                let mut f = Map::new();
                let urls: &[&str] = match flow {
                    "implicit" => &["authorizationUrl"],
                    "authorizationCode" => &["authorizationUrl", "tokenUrl"],
                    _ => &["tokenUrl"],
                };
                for key in urls {
                    match s.get(*key) {
                        Some(v) => {
                            f.insert((*key).into(), v.clone());
                        }
                        None => self.warn(&at, format!("oauth2 flow `{flow}` without `{key}`")),
                    }
                }
                let scopes = s.get("scopes").cloned().unwrap_or_else(|| json!({}));
                f.insert("scopes".into(), scopes);
                out.insert("flows".into(), json!({ flow: f }));
            }
            other => {
                self.warn(&at, format!("unknown scheme type `{other}`; kept as is"));
                return scheme.clone();
            }
        }
        for (key, value) in s {
            if key == "description" || key.starts_with("x-") {
                out.insert(key.clone(), value.clone());
            }
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

/// Whether `media_type` is `expected`, ignoring case and parameters such as `; charset=`.
fn is_media_type(media_type: &str, expected: &str) -> bool {
    media_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .eq_ignore_ascii_case(expected)
}

fn location(p: &Value) -> Option<&str> {
    p.get("in").and_then(Value::as_str)
}

fn is_array(p: &Map<String, Value>) -> bool {
    p.get("type").and_then(Value::as_str) == Some("array")
}

/// Swagger's default is `csv`.
fn collection_format(p: &Map<String, Value>) -> &str {
    p.get("collectionFormat")
        .and_then(Value::as_str)
        .unwrap_or("csv")
}

fn map_values(value: &Value, f: impl Fn(&Value) -> Value) -> Value {
    match value {
        Value::Object(m) => Value::Object(m.iter().map(|(k, v)| (k.clone(), f(v))).collect()),
        other => other.clone(),
    }
}

/// A Swagger schema object with the keywords OpenAPI 3 spells differently rewritten.
fn convert_schema(schema: &Value) -> Value {
    let Value::Object(s) = schema else {
        return schema.clone();
    };
    let mut out = Map::new();
    for (key, value) in s {
        match key.as_str() {
            "x-nullable" => {
                if value == &Value::Bool(true) {
                    out.insert("nullable".into(), true.into());
                }
            }
            "type" if value == "file" => {
                out.insert("type".into(), "string".into());
                out.insert("format".into(), "binary".into());
            }
            "format" if s.get("type").is_some_and(|t| t == "file") => {}
            "discriminator" if value.is_string() => {
                out.insert(key.clone(), json!({ "propertyName": value }));
            }
            "properties" => {
                out.insert(key.clone(), map_values(value, convert_schema));
            }
            "items" | "additionalProperties" | "not" => {
                let converted = match value {
                    Value::Array(list) => Value::Array(list.iter().map(convert_schema).collect()),
                    other => convert_schema(other),
                };
                out.insert(key.clone(), converted);
            }
            "allOf" | "anyOf" | "oneOf" => {
                let converted = match value {
                    Value::Array(list) => Value::Array(list.iter().map(convert_schema).collect()),
                    other => other.clone(),
                };
                out.insert(key.clone(), converted);
            }
            _ => {
                out.insert(key.clone(), value.clone());
            }
        }
    }
    Value::Object(out)
}

/// Rewrites every local `$ref` to its OpenAPI 3 home. `body_like` names the global parameters
/// that became request bodies. Only the prefix changes, so pointer escapes stay as written.
fn rewrite_refs(value: &mut Value, body_like: &HashSet<String>) {
    match value {
        Value::Object(map) => {
            for (key, v) in map.iter_mut() {
                match v {
                    Value::String(reference) if key == "$ref" => {
                        if let Some(new) = rewrite_ref(reference, body_like) {
                            *reference = new;
                        }
                    }
                    other => rewrite_refs(other, body_like),
                }
            }
        }
        Value::Array(list) => {
            for v in list {
                rewrite_refs(v, body_like);
            }
        }
        _ => {}
    }
}

fn rewrite_ref(reference: &str, body_like: &HashSet<String>) -> Option<String> {
    if let Some(rest) = reference.strip_prefix("#/definitions/") {
        return Some(format!("#/components/schemas/{rest}"));
    }
    if let Some(rest) = reference.strip_prefix("#/parameters/") {
        let token = rest.split('/').next().unwrap_or_default();
        let home = if body_like.contains(&unescape_pointer_token(token)) {
            "requestBodies"
        } else {
            "parameters"
        };
        return Some(format!("#/components/{home}/{rest}"));
    }
    if let Some(rest) = reference.strip_prefix("#/responses/") {
        return Some(format!("#/components/responses/{rest}"));
    }
    if let Some(rest) = reference.strip_prefix("#/securityDefinitions/") {
        return Some(format!("#/components/securitySchemes/{rest}"));
    }
    None
}

/// The key a JSON-pointer token (of a URI fragment) names.
fn unescape_pointer_token(token: &str) -> String {
    percent_decode(token).replace("~1", "/").replace("~0", "~")
}

/// Decodes `%XX` escapes; invalid escapes and non-UTF-8 results are kept as written.
fn percent_decode(text: &str) -> String {
    if !text.contains('%') {
        return text.to_owned();
    }
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        // from_str_radix alone would also take a sign, as in `%+1`.
        let hex = bytes
            .get(i + 1..i + 3)
            .filter(|h| h.iter().all(u8::is_ascii_hexdigit))
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).unwrap_or_else(|_| text.to_owned())
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use super::*;

    const YAML_DOC: &str = r#"
openapi: "3.0.3"
info:
  title: Example API
  version: "1.0"
  description: |
    Multi-line
    text.
  x-alloy-id: example
servers:
  - url: https://api.example.com/v1
paths:
  /items/{id}:
    get:
      operationId: getItem
      parameters:
        - name: id
          in: path
          required: true
          schema: {type: integer, minimum: 1}
        - name: mode
          in: query
          schema:
            type: string
            enum: [yes, no, on, off]
            default: ~
      responses:
        200:
          description: OK
          content:
            application/json:
              schema:
                type: object
                properties:
                  price: {type: number, example: 1.5}
                  tags: [a, b]
        "404":
          description: Not found
"#;

    const JSON_DOC: &str = r#"{
  "openapi": "3.0.3",
  "info": {
    "title": "Example API",
    "version": "1.0",
    "description": "Multi-line\ntext.\n",
    "x-alloy-id": "example"
  },
  "servers": [{"url": "https://api.example.com/v1"}],
  "paths": {
    "/items/{id}": {
      "get": {
        "operationId": "getItem",
        "parameters": [
          {"name": "id", "in": "path", "required": true,
           "schema": {"type": "integer", "minimum": 1}},
          {"name": "mode", "in": "query",
           "schema": {"type": "string", "enum": ["yes", "no", "on", "off"], "default": null}}
        ],
        "responses": {
          "200": {
            "description": "OK",
            "content": {"application/json": {"schema": {
              "type": "object",
              "properties": {"price": {"type": "number", "example": 1.5}, "tags": ["a", "b"]}
            }}}
          },
          "404": {"description": "Not found"}
        }
      }
    }
  }
}"#;

    #[test]
    fn yaml_and_json_twins_parse_alike() {
        let from_yaml = parse_document(YAML_DOC, true).unwrap();
        let from_json = parse_document(JSON_DOC, false).unwrap();
        assert_eq!(from_yaml, from_json);
        // Key order survives too, as the JSON path keeps it.
        let keys: Vec<&String> = from_yaml.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["openapi", "info", "servers", "paths"]);
        // YAML that was not announced as such is still recognised.
        assert_eq!(parse_document(YAML_DOC, false).unwrap(), from_json);
    }

    #[test]
    fn non_string_keys_become_strings() {
        let v = parse_document(
            "responses:\n  200: {a: 1}\n  404: b\n  1.5: c\n  true: d\n",
            true,
        )
        .unwrap();
        let keys: Vec<&String> = v["responses"].as_object().unwrap().keys().collect();
        assert_eq!(keys, ["200", "404", "1.5", "true"]);
        assert_eq!(v["responses"]["200"], json!({"a": 1}));
    }

    #[test]
    fn anchors_and_merge_keys_work() {
        let v = parse_document(
            "base: &base {type: string, maxLength: 5}\nuse:\n  <<: *base\n  minLength: 1\nalso: *base\n",
            true,
        )
        .unwrap();
        assert_eq!(
            v["use"],
            json!({"type": "string", "maxLength": 5, "minLength": 1})
        );
        assert_eq!(v["also"], v["base"]);
    }

    #[test]
    fn alias_bombs_are_refused_quickly() {
        let mut bomb = String::from("a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
        for i in 1..10 {
            let refs = vec![format!("*a{}", i - 1); 10].join(", ");
            bomb.push_str(&format!("a{i}: &a{i} [{refs}]\n"));
        }
        let started = Instant::now();
        let err = parse_document(&bomb, true).unwrap_err();
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{:?}",
            started.elapsed()
        );
        assert!(err.contains("aliases expand too much"), "{err}");
        assert!(!err.contains('\n'), "{err}");
    }

    #[test]
    fn syntax_errors_are_one_line_with_a_position() {
        let err = parse_document("a: 1\nb:\n  - [1, 2\n c: 3\n", true).unwrap_err();
        assert!(err.starts_with("not valid YAML at line 4 column "), "{err}");
        assert!(!err.contains('\n'), "{err}");
        let err = parse_document("{\"a\": 1,\n  \"b\": }", false).unwrap_err();
        assert_eq!(err, "not valid JSON at line 2 column 8: expected value");
        // Not JSON and not a YAML mapping: the JSON error is the useful one.
        let err = parse_document("<html>nope</html>", false).unwrap_err();
        assert!(
            err.starts_with("not valid JSON at line 1 column 1"),
            "{err}"
        );
    }

    fn petstore() -> Value {
        json!({
            "swagger": "2.0",
            "info": {"title": "Petstore", "version": "1.0.0", "x-alloy-id": "petstore"},
            "host": "petstore.example.com",
            "basePath": "/v2/",
            "schemes": ["http", "https"],
            "consumes": ["application/json"],
            "produces": ["application/json"],
            "x-root-extension": {"kept": true},
            "tags": [{"name": "pet", "description": "Pets"}],
            "externalDocs": {"url": "https://docs.example.com"},
            "security": [{"api_key": []}],
            "securityDefinitions": {
                "basic_auth": {"type": "basic", "description": "user and password"},
                "api_key": {"type": "apiKey", "in": "header", "name": "X-API-Key",
                            "x-alloy-prefix": "Token "},
                "code_auth": {"type": "oauth2", "flow": "accessCode",
                              "authorizationUrl": "https://auth.example.com/authorize",
                              "tokenUrl": "https://auth.example.com/token",
                              "scopes": {"read:pets": "read", "write:pets": "write"}},
                "implicit_auth": {"type": "oauth2", "flow": "implicit",
                                  "authorizationUrl": "https://auth.example.com/authorize",
                                  "scopes": {"read:pets": "read"}},
                "password_auth": {"type": "oauth2", "flow": "password",
                                  "tokenUrl": "https://auth.example.com/token", "scopes": {}},
                "app_auth": {"type": "oauth2", "flow": "application",
                             "tokenUrl": "https://auth.example.com/token", "scopes": {}}
            },
            "parameters": {
                "limitParam": {"name": "limit", "in": "query", "type": "integer",
                               "format": "int32", "minimum": 1, "maximum": 100, "default": 20},
                "petBody": {"name": "body", "in": "body", "required": true,
                            "schema": {"$ref": "#/definitions/Pet"}},
                "nameField": {"name": "name", "in": "formData", "type": "string"}
            },
            "responses": {
                "NotFound": {"description": "not found", "schema": {"$ref": "#/definitions/Error"}}
            },
            "definitions": {
                "Category": {"type": "object", "properties": {
                    "id": {"type": "integer", "format": "int64"}, "name": {"type": "string"}}},
                "Pet": {
                    "type": "object",
                    "required": ["name"],
                    "discriminator": "petType",
                    "properties": {
                        "name": {"type": "string"},
                        "petType": {"type": "string"},
                        "category": {"$ref": "#/definitions/Category"},
                        "tags": {"type": "array", "items": {"$ref": "#/definitions/a~1b"}},
                        "nickname": {"type": "string", "x-nullable": true},
                        "type": {"type": "string", "description": "a property named type"}
                    }
                },
                "a/b": {"type": "string"},
                "Error": {"type": "object", "properties": {"message": {"type": "string"}}}
            },
            "paths": {
                "/pets": {
                    "get": {
                        "operationId": "listPets",
                        "x-alloy-pagination": {"style": "cursor"},
                        "parameters": [
                            {"$ref": "#/parameters/limitParam"},
                            {"name": "tags", "in": "query", "type": "array",
                             "items": {"type": "string"}, "collectionFormat": "csv"},
                            {"name": "status", "in": "query", "type": "array",
                             "items": {"type": "string", "enum": ["available", "sold"]},
                             "collectionFormat": "multi", "x-example": ["sold"]}
                        ],
                        "responses": {
                            "200": {
                                "description": "pets",
                                "schema": {"type": "array",
                                           "items": {"$ref": "#/definitions/Pet"}},
                                "headers": {"X-Rate-Limit": {"type": "integer",
                                                             "description": "calls left"}},
                                "examples": {"application/json": [{"name": "Rex"}]}
                            },
                            "default": {"$ref": "#/responses/NotFound"}
                        }
                    },
                    "post": {
                        "operationId": "addPet",
                        "parameters": [{"$ref": "#/parameters/petBody"}],
                        "responses": {"201": {"description": "created"}}
                    },
                    "put": {
                        "operationId": "updatePet",
                        "consumes": ["application/json", "application/xml"],
                        "parameters": [{"name": "body", "in": "body", "required": true,
                                        "description": "the pet",
                                        "schema": {"$ref": "#/definitions/Pet"}}],
                        "responses": {"200": {"description": "updated"}}
                    }
                },
                "/pets/{petId}": {
                    "parameters": [{"name": "petId", "in": "path", "required": true,
                                    "type": "integer", "format": "int64"}],
                    "get": {"responses": {"404": {"$ref": "#/responses/NotFound"}}},
                    "post": {
                        "operationId": "updatePetWithForm",
                        "consumes": ["application/x-www-form-urlencoded"],
                        "parameters": [
                            {"$ref": "#/parameters/nameField"},
                            {"name": "status", "in": "formData", "type": "string",
                             "required": true, "enum": ["available", "sold"],
                             "description": "new status", "x-example": "sold"}
                        ],
                        "responses": {"200": {"description": "ok"}}
                    }
                },
                "/pets/{petId}/uploadImage": {
                    "parameters": [
                        {"name": "petId", "in": "path", "required": true, "type": "integer"},
                        {"name": "additionalMetadata", "in": "formData", "type": "string"}
                    ],
                    "post": {
                        "operationId": "uploadFile",
                        "x-custom": 1,
                        "parameters": [{"name": "file", "in": "formData", "type": "file",
                                        "required": true}],
                        "responses": {"200": {"description": "ok",
                                              "schema": {"type": "file"}}}
                    }
                }
            }
        })
    }

    #[test]
    fn petstore_converts() {
        let (doc, warnings) = swagger2_to_openapi3(petstore()).unwrap();
        assert!(warnings.is_empty(), "{warnings:?}");
        assert_eq!(doc["openapi"], "3.0.3");
        assert!(doc.get("swagger").is_none());
        assert_eq!(
            doc["info"],
            json!({"title": "Petstore", "version": "1.0.0", "x-alloy-id": "petstore"})
        );
        assert_eq!(
            doc["servers"],
            json!([{"url": "https://petstore.example.com/v2"},
                   {"url": "http://petstore.example.com/v2"}])
        );
        assert_eq!(doc["x-root-extension"], json!({"kept": true}));
        assert_eq!(doc["tags"][0]["name"], "pet");
        assert_eq!(doc["externalDocs"]["url"], "https://docs.example.com");
        assert_eq!(doc["security"], json!([{"api_key": []}]));
        for gone in [
            "host",
            "basePath",
            "schemes",
            "consumes",
            "produces",
            "definitions",
        ] {
            assert!(doc.get(gone).is_none(), "{gone}");
        }

        let schemes = &doc["components"]["securitySchemes"];
        assert_eq!(
            schemes["basic_auth"],
            json!({"type": "http", "scheme": "basic", "description": "user and password"})
        );
        assert_eq!(
            schemes["api_key"],
            json!({"type": "apiKey", "in": "header", "name": "X-API-Key",
                   "x-alloy-prefix": "Token "})
        );
        assert_eq!(
            schemes["code_auth"],
            json!({"type": "oauth2", "flows": {"authorizationCode": {
                "authorizationUrl": "https://auth.example.com/authorize",
                "tokenUrl": "https://auth.example.com/token",
                "scopes": {"read:pets": "read", "write:pets": "write"}}}})
        );
        assert_eq!(
            schemes["implicit_auth"]["flows"],
            json!({"implicit": {"authorizationUrl": "https://auth.example.com/authorize",
                                "scopes": {"read:pets": "read"}}})
        );
        assert_eq!(
            schemes["password_auth"]["flows"],
            json!({"password": {"tokenUrl": "https://auth.example.com/token", "scopes": {}}})
        );
        assert_eq!(
            schemes["app_auth"]["flows"],
            json!({"clientCredentials": {"tokenUrl": "https://auth.example.com/token",
                                         "scopes": {}}})
        );

        let schemas = &doc["components"]["schemas"];
        let pet = &schemas["Pet"];
        assert_eq!(pet["discriminator"], json!({"propertyName": "petType"}));
        assert_eq!(
            pet["properties"]["category"]["$ref"],
            "#/components/schemas/Category"
        );
        assert_eq!(
            pet["properties"]["tags"]["items"]["$ref"],
            "#/components/schemas/a~1b"
        );
        assert_eq!(
            pet["properties"]["nickname"],
            json!({"type": "string", "nullable": true})
        );
        assert_eq!(pet["properties"]["type"]["type"], "string");
        assert_eq!(schemas["a/b"], json!({"type": "string"}));

        let components = &doc["components"];
        assert_eq!(
            components["parameters"]["limitParam"],
            json!({"name": "limit", "in": "query", "schema": {
                "type": "integer", "format": "int32", "default": 20,
                "maximum": 100, "minimum": 1}})
        );
        assert_eq!(
            components["requestBodies"]["petBody"],
            json!({"content": {"application/json": {
                "schema": {"$ref": "#/components/schemas/Pet"}}}, "required": true})
        );
        assert_eq!(
            components["responses"]["NotFound"],
            json!({"description": "not found", "content": {"application/json": {
                "schema": {"$ref": "#/components/schemas/Error"}}}})
        );

        let pets = &doc["paths"]["/pets"];
        let list = &pets["get"];
        assert_eq!(list["x-alloy-pagination"], json!({"style": "cursor"}));
        assert_eq!(
            list["parameters"],
            json!([
                {"$ref": "#/components/parameters/limitParam"},
                {"name": "tags", "in": "query",
                 "schema": {"type": "array", "items": {"type": "string"}},
                 "style": "form", "explode": false},
                {"name": "status", "in": "query", "example": ["sold"], "x-example": ["sold"],
                 "schema": {"type": "array",
                            "items": {"type": "string", "enum": ["available", "sold"]}},
                 "style": "form", "explode": true}
            ])
        );
        assert_eq!(
            list["responses"]["200"],
            json!({
                "description": "pets",
                "headers": {"X-Rate-Limit": {"description": "calls left",
                                             "schema": {"type": "integer"}}},
                "content": {"application/json": {
                    "schema": {"type": "array",
                               "items": {"$ref": "#/components/schemas/Pet"}},
                    "example": [{"name": "Rex"}]}}
            })
        );
        assert_eq!(
            list["responses"]["default"]["$ref"],
            "#/components/responses/NotFound"
        );
        assert_eq!(
            pets["post"]["requestBody"],
            json!({"$ref": "#/components/requestBodies/petBody"})
        );
        assert!(pets["post"].get("parameters").is_none());
        let pet_schema = json!({"schema": {"$ref": "#/components/schemas/Pet"}});
        assert_eq!(
            pets["put"]["requestBody"],
            json!({"description": "the pet",
                   "content": {"application/json": pet_schema,
                               "application/xml": pet_schema},
                   "required": true})
        );
        assert!(pets["put"].get("consumes").is_none());

        let pet = &doc["paths"]["/pets/{petId}"];
        assert_eq!(
            pet["parameters"],
            json!([{"name": "petId", "in": "path", "required": true,
                    "schema": {"type": "integer", "format": "int64"}}])
        );
        assert!(pet["get"].get("operationId").is_none());
        assert!(pet["get"].get("requestBody").is_none());
        assert_eq!(
            pet["post"]["requestBody"],
            json!({"content": {"application/x-www-form-urlencoded": {"schema": {
                "type": "object",
                "properties": {
                    "name": {"type": "string"},
                    "status": {"type": "string", "enum": ["available", "sold"],
                               "description": "new status", "x-example": "sold",
                               "example": "sold"}
                },
                "required": ["status"]}}},
                "required": true})
        );

        let upload = &doc["paths"]["/pets/{petId}/uploadImage"];
        assert_eq!(upload["parameters"].as_array().unwrap().len(), 1);
        assert_eq!(upload["parameters"][0]["name"], "petId");
        assert_eq!(upload["post"]["x-custom"], 1);
        assert_eq!(
            upload["post"]["requestBody"],
            json!({"content": {"multipart/form-data": {"schema": {
                "type": "object",
                "properties": {
                    "additionalMetadata": {"type": "string"},
                    "file": {"type": "string", "format": "binary"}
                },
                "required": ["file"]}}},
                "required": true})
        );
        assert_eq!(
            upload["post"]["responses"]["200"]["content"]["application/json"]["schema"],
            json!({"type": "string", "format": "binary"})
        );
        // Global form fields are reachable as request bodies too.
        assert_eq!(
            components["requestBodies"]["nameField"]["content"][FORM_URLENCODED]["schema"]["properties"]
                ["name"],
            json!({"type": "string"})
        );
    }

    #[test]
    fn missing_host_gives_a_relative_server_and_a_warning() {
        let (doc, warnings) = swagger2_to_openapi3(json!({
            "swagger": "2.0", "info": {"title": "t", "version": "1"},
            "basePath": "/api", "paths": {}
        }))
        .unwrap();
        assert_eq!(doc["servers"], json!([{"url": "/api"}]));
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(
            warnings[0].starts_with("servers: no `host`"),
            "{warnings:?}"
        );

        let (doc, _) =
            swagger2_to_openapi3(json!({"swagger": "2.0", "host": "h.example"})).unwrap();
        assert_eq!(doc["servers"], json!([{"url": "https://h.example"}]));
    }

    #[test]
    fn guesses_and_drops_are_reported() {
        let (doc, warnings) = swagger2_to_openapi3(json!({
            "swagger": "2.0", "host": "h.example",
            "paths": {"/up": {"post": {
                "consumes": ["application/x-www-form-urlencoded"],
                "parameters": [
                    {"name": "f", "in": "formData", "type": "file"},
                    {"name": "ids", "in": "formData", "type": "array",
                     "items": {"type": "integer"}, "collectionFormat": "pipes"},
                    {"name": "q", "in": "query", "type": "array", "items": {"type": "string"},
                     "collectionFormat": "tsv"},
                    {"name": "c", "in": "cookie", "type": "string"}
                ],
                "responses": {"200": {"description": "ok"}}
            }}}
        }))
        .unwrap();
        let op = &doc["paths"]["/up"]["post"];
        assert!(op["requestBody"]["content"]["multipart/form-data"].is_object());
        assert_eq!(op["parameters"].as_array().unwrap().len(), 1);
        assert_eq!(warnings.len(), 4, "{warnings:?}");
        assert!(
            warnings.iter().all(|w| w.starts_with("paths./up.post")),
            "{warnings:?}"
        );
        assert!(warnings.iter().any(|w| w.contains("tsv")), "{warnings:?}");
        assert!(
            warnings.iter().any(|w| w.contains("`cookie`")),
            "{warnings:?}"
        );
        assert!(
            warnings.iter().any(|w| w.contains("repeated parts")),
            "{warnings:?}"
        );
    }

    #[test]
    fn url_encoded_arrays_get_an_encoding() {
        let (doc, _) = swagger2_to_openapi3(json!({
            "swagger": "2.0", "host": "h.example",
            "paths": {"/f": {"post": {
                "parameters": [{"name": "ids", "in": "formData", "type": "array",
                                "items": {"type": "integer"}}],
                "responses": {"200": {"description": "ok"}}
            }}}
        }))
        .unwrap();
        assert_eq!(
            doc["paths"]["/f"]["post"]["requestBody"]["content"][FORM_URLENCODED]["encoding"],
            json!({"ids": {"style": "form", "explode": false}})
        );
    }

    #[test]
    fn an_operation_form_displaces_a_path_body() {
        let (doc, warnings) = swagger2_to_openapi3(json!({
            "swagger": "2.0", "host": "h.example",
            "paths": {"/x": {
                "parameters": [{"name": "b", "in": "body", "schema": {"type": "object"}}],
                "put": {"responses": {}},
                "post": {"parameters": [{"name": "f", "in": "formData", "type": "string"}],
                         "responses": {}}
            }}
        }))
        .unwrap();
        let item = &doc["paths"]["/x"];
        assert!(item.get("parameters").is_none());
        assert_eq!(
            item["put"]["requestBody"],
            json!({"content": {"application/json": {"schema": {"type": "object"}}}})
        );
        assert!(item["post"]["requestBody"]["content"][FORM_URLENCODED].is_object());
        assert_eq!(
            warnings,
            ["paths./x.post: path-level body parameter dropped for the formData ones"]
        );
    }

    #[test]
    fn response_examples_keep_their_media_type() {
        let (doc, warnings) = swagger2_to_openapi3(json!({
            "swagger": "2.0", "host": "h.example", "produces": ["application/json"],
            "paths": {"/x": {"get": {"responses": {
                "200": {"examples": {"text/plain": "hi"}},
                "201": {"description": "made", "schema": {"type": "string"},
                        "examples": {"application/json": "a", "text/plain": "b"}}
            }}}}
        }))
        .unwrap();
        assert!(warnings.is_empty(), "{warnings:?}");
        let responses = &doc["paths"]["/x"]["get"]["responses"];
        assert_eq!(
            responses["200"],
            json!({"description": "", "content": {"text/plain": {"example": "hi"}}})
        );
        assert_eq!(
            responses["201"]["content"],
            json!({
                "application/json": {"schema": {"type": "string"}, "example": "a"},
                "text/plain": {"schema": {"type": "string"}, "example": "b"}
            })
        );
    }

    #[test]
    fn unquoted_yaml_version_is_accepted() {
        let doc = parse_document("swagger: 2.0\nhost: h.example\npaths: {}\n", true).unwrap();
        assert!(swagger2_to_openapi3(doc).is_ok());
    }

    #[test]
    fn non_swagger_documents_are_refused() {
        let openapi = json!({"openapi": "3.0.3", "info": {}, "paths": {}});
        let err = swagger2_to_openapi3(openapi).unwrap_err();
        assert!(err.starts_with("not a Swagger 2.0 document"), "{err}");
        assert!(swagger2_to_openapi3(json!({"swagger": "1.2"})).is_err());
        assert!(swagger2_to_openapi3(json!(["swagger", "2.0"])).is_err());
    }

    #[test]
    fn pointer_tokens_are_decoded_only_for_lookup() {
        assert_eq!(unescape_pointer_token("a~1b~0c%20d"), "a/b~c d");
        assert_eq!(percent_decode("100%+1%zz%4"), "100%+1%zz%4");
        let body_like = HashSet::from(["x/y".to_owned()]);
        assert_eq!(
            rewrite_ref("#/parameters/x~1y", &body_like).unwrap(),
            "#/components/requestBodies/x~1y"
        );
        assert_eq!(
            rewrite_ref("#/parameters/x~0y", &body_like).unwrap(),
            "#/components/parameters/x~0y"
        );
        assert_eq!(rewrite_ref("other.yaml#/definitions/X", &body_like), None);
    }
}
