//! Checking a call's flat `parameters` object against an action and sorting it into path, query,
//! header, cookie and body parts, before anything is sent upstream.

use serde_json::{Map, Value, json};

use crate::credential::CredentialMaterial;
use crate::error::Error;
use crate::model::{Action, Parameter, ParameterLocation, RequestBody};

/// A call's parameters, validated and sorted by where they go.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct PreparedParameters {
    pub(crate) path: Map<String, Value>,
    pub(crate) query: Map<String, Value>,
    pub(crate) header: Map<String, Value>,
    pub(crate) cookie: Map<String, Value>,
    pub(crate) body: Option<Value>,
}

impl PreparedParameters {
    fn part(&mut self, location: ParameterLocation) -> &mut Map<String, Value> {
        match location {
            ParameterLocation::Path => &mut self.path,
            ParameterLocation::Query => &mut self.query,
            ParameterLocation::Header => &mut self.header,
            ParameterLocation::Cookie | ParameterLocation::Body => &mut self.cookie,
        }
    }
}

impl Action {
    /// Checks `params` against the action's parameters and body schema without sending
    /// anything: required parameters present, types, enums, limits, lengths, simple patterns, and
    /// no unknown parameters. The error is a `VALIDATION_ERROR` naming the parameter.
    ///
    /// Path parameters that the executor would fill from the credential (e.g. Twilio's
    /// `AccountSid`) count as missing here; [`crate::Executor::execute`] validates again with the
    /// credential, so callers need not call this first.
    pub fn validate_parameters(&self, params: &Value) -> Result<(), Error> {
        self.prepare(params, None).map(|_| ())
    }

    /// Validates `params` and sorts them into request parts; missing path parameters are taken
    /// from `credential` fields of the same name, missing required headers from their defaults.
    pub(crate) fn prepare(
        &self,
        params: &Value,
        credential: Option<&CredentialMaterial>,
    ) -> Result<PreparedParameters, Error> {
        let empty = Map::new();
        let given = match params {
            Value::Object(map) => map,
            Value::Null => &empty,
            _ => {
                return Err(Error::validation(
                    "parameters",
                    "type",
                    "object",
                    "`parameters` must be an object",
                ));
            }
        };
        let mut prepared = PreparedParameters::default();
        let mut body_fields = Map::new();
        let mut raw_body: Option<&Value> = None;
        let mut unknown: Vec<&str> = Vec::new();

        for (key, value) in given {
            if let Some(param) = self.parameters.iter().find(|p| &p.name == key) {
                if value.is_null() {
                    // Path, query and header values cannot carry null: treat as not given.
                    continue;
                }
                let value = param
                    .compiled()
                    .coerce_scalar(value)
                    .unwrap_or_else(|| value.clone());
                prepared.part(param.location).insert(key.clone(), value);
                continue;
            }
            match &self.request_body {
                Some(body) if key == "body" && !body.compiled.has_property("body") => {
                    raw_body = Some(value);
                }
                Some(body) if accepts_field(body, key) => {
                    let field = body.fields.iter().find(|f| &f.name == key);
                    if let Some(f) = field
                        && value.is_null()
                        && f.compiled().validate(value, key).is_err()
                    {
                        // An optional field given as null means "not given".
                        continue;
                    }
                    let value = field
                        .and_then(|f| f.compiled().coerce_scalar(value))
                        .unwrap_or_else(|| value.clone());
                    body_fields.insert(key.clone(), value);
                }
                _ => unknown.push(key),
            }
        }
        if let Some(first) = unknown.first() {
            let known: Vec<&str> = self.inputs().map(|p| p.name.as_str()).collect();
            let names = unknown
                .iter()
                .map(|n| format!("`{n}`"))
                .collect::<Vec<_>>()
                .join(", ");
            return Err(Error::validation(
                *first,
                "unknown",
                json!(known),
                format!(
                    "Unknown parameter{} {names} for action `{}`",
                    if unknown.len() > 1 { "s" } else { "" },
                    self.id
                ),
            ));
        }

        for param in &self.parameters {
            let part = prepared.part(param.location);
            if part.contains_key(&param.name) {
                continue;
            }
            let filled = match param.location {
                // A path parameter comes from the credential (Twilio's AccountSid), else from
                // its documented default (Gmail's `userId` = `me`).
                ParameterLocation::Path => credential
                    .and_then(|c| c.field(&param.name))
                    .map(|v| Value::String(v.to_owned()))
                    .or_else(|| param.default_value().cloned()),
                ParameterLocation::Header if param.required => param.default_value().cloned(),
                _ => None,
            };
            match filled {
                Some(v) => {
                    part.insert(param.name.clone(), v);
                }
                None if param.required => {
                    return Err(Error::validation(
                        param.name.clone(),
                        "required",
                        true,
                        format!("Parameter `{}` is required", param.name),
                    ));
                }
                None => {}
            }
        }
        for param in &self.parameters {
            let part = prepared.part(param.location);
            if let Some(value) = part.get(&param.name) {
                check_parameter(param, value)?;
            }
        }

        if let Some(body) = &self.request_body {
            prepared.body = assemble_body(body, raw_body, body_fields)?;
            match &prepared.body {
                Some(value) => {
                    let path = if raw_body.is_some() && !value.is_object() {
                        "body"
                    } else {
                        ""
                    };
                    body.compiled.validate(value, path)?;
                }
                None if body.required => {
                    return Err(Error::validation(
                        "body",
                        "required",
                        true,
                        format!("Action `{}` requires a request body", self.id),
                    ));
                }
                None => {}
            }
        }
        Ok(prepared)
    }
}

/// Whether an unknown-to-the-parameters key is a body field: a declared property, or any name
/// when the body schema is a free-form object (no properties, or explicit additionalProperties).
fn accepts_field(body: &RequestBody, key: &str) -> bool {
    if body.compiled.has_property(key) {
        return true;
    }
    let schema = &body.schema;
    let declares_properties = schema.get("properties").is_some() || schema.get("allOf").is_some();
    let explicitly_open = matches!(
        schema.get("additionalProperties"),
        Some(Value::Bool(true)) | Some(Value::Object(_))
    );
    let is_object = schema.get("type").is_none_or(|t| {
        t == "object" || t.as_array().is_some_and(|a| a.contains(&json!("object")))
    });
    is_object && (explicitly_open || !declares_properties)
}

fn assemble_body(
    body: &RequestBody,
    raw: Option<&Value>,
    fields: Map<String, Value>,
) -> Result<Option<Value>, Error> {
    match raw {
        Some(Value::Object(base)) => {
            let mut merged = base.clone();
            merged.extend(fields);
            Ok(Some(Value::Object(merged)))
        }
        Some(other) if fields.is_empty() => Ok(Some(other.clone())),
        Some(_) => Err(Error::validation(
            "body",
            "type",
            "object",
            "`body` must be an object when other body fields are given too",
        )),
        None if !fields.is_empty() => Ok(Some(Value::Object(fields))),
        None if body.required && body.schema.get("type").is_none_or(|t| t == "object") => {
            // Let the schema name the first missing required property.
            Ok(Some(Value::Object(Map::new())))
        }
        None => Ok(None),
    }
}

fn check_parameter(param: &Parameter, value: &Value) -> Result<(), Error> {
    let name = param.name.as_str();
    match param.location {
        ParameterLocation::Path => {
            let text = match value {
                Value::String(s) => s.clone(),
                Value::Number(n) => n.to_string(),
                Value::Bool(b) => b.to_string(),
                _ => {
                    return Err(Error::validation(
                        name,
                        "type",
                        "string",
                        format!("Path parameter `{name}` must be a string, number or boolean"),
                    ));
                }
            };
            if text.is_empty() {
                return Err(Error::validation(
                    name,
                    "minLength",
                    1,
                    format!("Path parameter `{name}` must not be empty"),
                ));
            }
            if text == "." || text == ".." {
                // A dot segment would make the URL parser climb the path.
                return Err(Error::validation(
                    name,
                    "path",
                    Value::Null,
                    format!("Path parameter `{name}` must not be `.` or `..`"),
                ));
            }
        }
        ParameterLocation::Header | ParameterLocation::Cookie => {
            if value.is_array() || value.is_object() {
                return Err(Error::validation(
                    name,
                    "type",
                    "string",
                    format!("Parameter `{name}` must be a single value"),
                ));
            }
        }
        ParameterLocation::Query | ParameterLocation::Body => {}
    }
    param.compiled().validate(value, name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::openapi::load_document;

    fn action(op: Value) -> Action {
        let text = json!({
            "openapi": "3.0.3",
            "info": {"title": "T", "x-alloy-id": "t"},
            "servers": [{"url": "https://api.example.com"}],
            "paths": {"/x/{id}": {"post": op}},
        })
        .to_string();
        load_document("t.json", &text, None)
            .unwrap()
            .actions
            .remove(0)
    }

    #[test]
    fn free_form_bodies_accept_any_field() {
        let a = action(json!({
            "operationId": "x",
            "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}],
            "requestBody": {"content": {"application/json": {"schema": {"type": "object"}}}}
        }));
        let p = a
            .prepare(&json!({"id": "1", "anything": [1]}), None)
            .unwrap();
        assert_eq!(p.body, Some(json!({"anything": [1]})));
        assert_eq!(p.path["id"], "1");
    }

    #[test]
    fn raw_body_and_collisions() {
        let a = action(json!({
            "operationId": "x",
            "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}],
            "requestBody": {"content": {"application/json": {"schema": {"type": "object",
                "properties": {"id": {"type": "integer"}, "name": {"type": "string"}}}}}}
        }));
        let p = a
            .prepare(&json!({"id": "p1", "body": {"id": 7}, "name": "n"}), None)
            .unwrap();
        assert_eq!(p.path["id"], "p1");
        assert_eq!(p.body, Some(json!({"id": 7, "name": "n"})));
        let e = a
            .prepare(&json!({"id": "p1", "body": {"id": "x"}}), None)
            .unwrap_err();
        assert_eq!(e.parameter(), Some("id"));
    }

    #[test]
    fn path_parameters_come_from_the_credential() {
        let a = action(json!({
            "operationId": "x",
            "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}]
        }));
        assert_eq!(
            a.validate_parameters(&json!({})).unwrap_err().parameter(),
            Some("id")
        );
        let cred = CredentialMaterial::new(crate::AuthType::Basic, [("id", "AC1")]);
        let p = a.prepare(&json!({}), Some(&cred)).unwrap();
        assert_eq!(p.path["id"], "AC1");
    }
}
