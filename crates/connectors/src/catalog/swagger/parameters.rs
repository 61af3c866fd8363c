//! Swagger 2.0 parameters, bodies, form fields, responses and headers in their OpenAPI 3 form.

use serde_json::{Map, Value, json};

use super::schemas::{convert_schema, unescape_pointer_token};
use super::{Body, Converter, FORM_URLENCODED, MULTIPART, Params, SCHEMA_KEYWORDS};

impl Converter {
    pub(super) fn split_parameters(&mut self, list: &Value, at: &str) -> Params {
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

    pub(super) fn add_body(&mut self, params: &mut Params, body: Body, at: &str) {
        if params.body.is_some() {
            self.warn(at, "a second body parameter; dropped");
        } else {
            params.body = Some(body);
        }
    }

    pub(super) fn add_form_field(&mut self, params: &mut Params, p: &Map<String, Value>, at: &str) {
        let Some(name) = p.get("name").and_then(Value::as_str) else {
            self.warn(at, "formData parameter without `name`; dropped");
            return;
        };
        params.form.retain(|(n, _)| n != name);
        params.form.push((name.to_owned(), p.clone()));
    }

    /// A path, query or header parameter in OpenAPI 3 form.
    pub(super) fn parameter(&mut self, p: &Map<String, Value>, at: &str) -> Value {
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
    pub(super) fn simple_schema(&mut self, p: &Map<String, Value>, at: &str) -> Value {
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

    pub(super) fn request_body(
        &mut self,
        p: &Map<String, Value>,
        consumes: &[String],
        at: &str,
    ) -> Value {
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

    pub(super) fn form_body(
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

    pub(super) fn response(&mut self, response: &Value, produces: &[String], at: &str) -> Value {
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

    pub(super) fn header(&mut self, header: &Value, at: &str) -> Value {
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
}

/// Whether `media_type` is `expected`, ignoring case and parameters such as `; charset=`.
pub(super) fn is_media_type(media_type: &str, expected: &str) -> bool {
    media_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .eq_ignore_ascii_case(expected)
}

pub(super) fn location(p: &Value) -> Option<&str> {
    p.get("in").and_then(Value::as_str)
}

pub(super) fn is_array(p: &Map<String, Value>) -> bool {
    p.get("type").and_then(Value::as_str) == Some("array")
}

/// Swagger's default is `csv`.
pub(super) fn collection_format(p: &Map<String, Value>) -> &str {
    p.get("collectionFormat")
        .and_then(Value::as_str)
        .unwrap_or("csv")
}
