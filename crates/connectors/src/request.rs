//! Building the upstream HTTP request of one call: base URL, safely encoded path, query, headers,
//! body and the credential, with no way for a parameter value to change the host or climb the path.

use base64::Engine as _;
use bytes::Bytes;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use reqwest::Method;
use reqwest::header::{
    ACCEPT, AUTHORIZATION, CONTENT_TYPE, COOKIE, HeaderMap, HeaderName, HeaderValue,
};
use serde_json::{Map, Value};
use url::Url;

use crate::credential::CredentialMaterial;
use crate::error::Error;
use crate::model::{
    Action, ApiKeyLocation, AuthScheme, AuthSchemeKind, BodyEncoding, Connector, ParameterLocation,
};
use crate::validation::PreparedParameters;

/// Everything but RFC 3986's unreserved characters is encoded in a path value, so `/`, `?`, `#`,
/// `@`, `%`, `:` and `\` all lose their meaning.
const PATH_VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Cookie values: anything that could end the pair or the header is encoded.
const COOKIE_VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'!')
    .remove(b'*')
    .remove(b'+')
    .remove(b'/')
    .remove(b':')
    .remove(b'=');

/// A request ready to send (and to send again on retry).
#[derive(Debug, Clone)]
pub(crate) struct OutgoingRequest {
    pub(crate) method: Method,
    pub(crate) url: Url,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Option<Bytes>,
    /// The query parameter carrying an API key, kept out of pagination results.
    pub(crate) auth_query_param: Option<String>,
}

/// The connector's server URL for this credential: the override when one is configured (it
/// replaces the whole URL), else `servers[0].url` with its `{variables}` filled from the
/// credential's fields (or their defaults). No trailing slash.
pub(crate) fn base_url(
    connector: &Connector,
    credential: &CredentialMaterial,
    override_url: Option<&str>,
) -> Result<Url, Error> {
    let text = match override_url {
        Some(u) => u.to_owned(),
        None => {
            let mut url = connector.server_url.clone();
            for var in &connector.server_variables {
                let value = match credential.field(&var.name).filter(|v| !v.is_empty()) {
                    Some(v) => v,
                    None => var.default.as_deref().ok_or_else(|| Error::Credential {
                        message: format!(
                            "connector `{}` needs the credential field `{}` (part of its server URL)",
                            connector.id, var.name
                        ),
                        field: Some(var.name.clone()),
                    })?,
                };
                check_server_variable(connector, &var.name, &var.allowed_values, value)?;
                url = url.replace(&format!("{{{}}}", var.name), value);
            }
            url
        }
    };
    let url = Url::parse(text.trim_end_matches('/')).map_err(|e| {
        Error::Config(format!(
            "server URL of connector `{}` is invalid: {e}",
            connector.id
        ))
    })?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err(Error::Config(format!(
            "server URL of connector `{}` is not an http(s) URL",
            connector.id
        )));
    }
    Ok(url)
}

/// A server variable may only be a host label or path word: letters, digits, `-`, `_` and
/// inner dots. Anything else could point the request at another host.
fn check_server_variable(
    connector: &Connector,
    name: &str,
    allowed: &[String],
    value: &str,
) -> Result<(), Error> {
    let bad = |why: &str| Error::Credential {
        message: format!(
            "credential field `{name}` of connector `{}` {why}",
            connector.id
        ),
        field: Some(name.to_owned()),
    };
    if !allowed.is_empty() && !allowed.iter().any(|a| a == value) {
        return Err(bad(&format!("must be one of {}", allowed.join(", "))));
    }
    let plain = value
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    if !plain || value.starts_with('.') || value.ends_with('.') || value.contains("..") {
        return Err(bad(
            "may contain only letters, digits, `-`, `_` and inner dots",
        ));
    }
    Ok(())
}

/// Builds the request. `base` comes from [`base_url`].
pub(crate) fn build(
    action: &Action,
    prepared: &PreparedParameters,
    scheme: Option<&AuthScheme>,
    credential: &CredentialMaterial,
    base: &Url,
) -> Result<OutgoingRequest, Error> {
    let path = render_path(&action.path, &prepared.path)?;
    let joined = format!("{}{}", base.as_str().trim_end_matches('/'), path);
    let mut url = Url::parse(&joined)
        .map_err(|e| Error::validation("path", "path", Value::Null, format!("bad URL: {e}")))?;
    // Defence in depth: whatever the values were, the request stays on the server and under
    // its path.
    if url.host() != base.host()
        || url.port_or_known_default() != base.port_or_known_default()
        || url.scheme() != base.scheme()
        || !url.path().starts_with(base.path().trim_end_matches('/'))
    {
        return Err(Error::validation(
            "path",
            "path",
            Value::Null,
            "path parameters must not change the request's host or leave its base path",
        ));
    }

    let mut query: Vec<(String, String)> = Vec::new();
    let mut headers = HeaderMap::new();
    headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
    let mut cookies: Vec<String> = Vec::new();
    for param in &action.parameters {
        let Some(value) = (match param.location {
            ParameterLocation::Query => prepared.query.get(&param.name),
            ParameterLocation::Header => prepared.header.get(&param.name),
            ParameterLocation::Cookie => prepared.cookie.get(&param.name),
            ParameterLocation::Path | ParameterLocation::Body => None,
        }) else {
            continue;
        };
        match param.location {
            ParameterLocation::Query => query_pairs(&param.name, value, &mut query),
            ParameterLocation::Header => {
                let name = HeaderName::from_bytes(param.name.as_bytes()).map_err(|_| {
                    Error::validation(&param.name, "header", Value::Null, "bad header name")
                })?;
                let text = scalar_text(value);
                let v = HeaderValue::from_str(&text).map_err(|_| {
                    Error::validation(
                        &param.name,
                        "pattern",
                        Value::Null,
                        format!(
                            "Parameter `{}` contains characters a header cannot carry",
                            param.name
                        ),
                    )
                })?;
                headers.insert(name, v);
            }
            ParameterLocation::Cookie => cookies.push(format!(
                "{}={}",
                param.name,
                utf8_percent_encode(&scalar_text(value), COOKIE_VALUE)
            )),
            ParameterLocation::Path | ParameterLocation::Body => {}
        }
    }

    let mut auth_query_param = None;
    if let Some(scheme) = scheme {
        match &scheme.kind {
            AuthSchemeKind::OAuth2 {
                prefix,
                token_header,
                ..
            } => {
                let token = credential.required_field("accessToken")?;
                let name = match token_header {
                    Some(h) => HeaderName::from_bytes(h.as_bytes())
                        .map_err(|_| Error::Config(format!("bad header name {h}")))?,
                    None => AUTHORIZATION,
                };
                headers.insert(name, secret_header(prefix, token, "accessToken")?);
            }
            AuthSchemeKind::Bearer { prefix } => {
                let token = credential.required_field("token")?;
                headers.insert(AUTHORIZATION, secret_header(prefix, token, "token")?);
            }
            AuthSchemeKind::Basic => {
                let user = credential.required_field("username")?;
                let password = credential.field("password").unwrap_or_default();
                let encoded =
                    base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
                headers.insert(
                    AUTHORIZATION,
                    secret_header("Basic ", &encoded, "password")?,
                );
            }
            AuthSchemeKind::ApiKey {
                location,
                param_name,
                prefix,
            } => {
                let key = credential.required_field("apiKey")?;
                let value = format!("{prefix}{key}");
                match location {
                    ApiKeyLocation::Header => {
                        let name = HeaderName::from_bytes(param_name.as_bytes())
                            .map_err(|_| Error::Config(format!("bad header name {param_name}")))?;
                        headers.insert(name, secret_header("", &value, "apiKey")?);
                    }
                    ApiKeyLocation::Query => {
                        query.retain(|(k, _)| k != param_name);
                        query.push((param_name.clone(), value));
                        auth_query_param = Some(param_name.clone());
                    }
                    ApiKeyLocation::Cookie => cookies.push(format!(
                        "{param_name}={}",
                        utf8_percent_encode(&value, COOKIE_VALUE)
                    )),
                }
            }
        }
    }
    if !cookies.is_empty() {
        let mut v = HeaderValue::from_str(&cookies.join("; "))
            .map_err(|_| Error::validation("cookie", "pattern", Value::Null, "bad cookie value"))?;
        v.set_sensitive(true);
        headers.insert(COOKIE, v);
    }
    if !query.is_empty() {
        url.query_pairs_mut().extend_pairs(query.iter());
    }

    let body = match (&action.request_body, &prepared.body) {
        (Some(spec), Some(value)) => {
            let (bytes, content_type) = match spec.encoding {
                BodyEncoding::Json => (
                    serde_json::to_vec(value).map_err(|e| Error::Config(e.to_string()))?,
                    spec.content_type.clone(),
                ),
                BodyEncoding::Form => (
                    form_body(value, &spec.deep_object_fields).into_bytes(),
                    spec.content_type.clone(),
                ),
                BodyEncoding::Raw => match value {
                    Value::String(s) => (s.clone().into_bytes(), spec.content_type.clone()),
                    other => (
                        serde_json::to_vec(other).map_err(|e| Error::Config(e.to_string()))?,
                        spec.content_type.clone(),
                    ),
                },
            };
            let ct = HeaderValue::from_str(&content_type)
                .map_err(|_| Error::Config(format!("bad content type {content_type}")))?;
            headers.insert(CONTENT_TYPE, ct);
            Some(Bytes::from(bytes))
        }
        _ => None,
    };

    Ok(OutgoingRequest {
        method: action.method.clone(),
        url,
        headers,
        body,
        auth_query_param,
    })
}

fn secret_header(prefix: &str, secret: &str, field: &str) -> Result<HeaderValue, Error> {
    let mut v =
        HeaderValue::from_str(&format!("{prefix}{secret}")).map_err(|_| Error::Credential {
            message: format!(
                "credential field `{field}` contains characters a header cannot carry"
            ),
            field: Some(field.to_owned()),
        })?;
    // Keeps the value out of `Debug` output of the header map (and HTTP/2 header compression).
    v.set_sensitive(true);
    Ok(v)
}

/// `template` with each `{name}` replaced by its percent-encoded value.
fn render_path(template: &str, values: &Map<String, Value>) -> Result<String, Error> {
    let mut out = String::with_capacity(template.len() + 16);
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        let Some(end) = after.find('}') else {
            out.push_str(&rest[start..]);
            rest = "";
            break;
        };
        let name = &after[..end];
        let value = values.get(name).ok_or_else(|| {
            Error::validation(
                name,
                "required",
                true,
                format!("Parameter `{name}` is required"),
            )
        })?;
        out.extend(utf8_percent_encode(&scalar_text(value), PATH_VALUE));
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    if out
        .split('/')
        .any(|segment| segment == "." || segment == "..")
    {
        return Err(Error::validation(
            "path",
            "path",
            Value::Null,
            "path parameters must not form `.` or `..` segments",
        ));
    }
    Ok(out)
}

/// The text of a scalar as sent in a path, header or query: strings unquoted.
fn scalar_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// Query pairs: arrays as repeated keys, objects as JSON text.
fn query_pairs(name: &str, value: &Value, out: &mut Vec<(String, String)>) {
    match value {
        Value::Array(items) => {
            for item in items {
                out.push((name.to_owned(), scalar_text(item)));
            }
        }
        other => out.push((name.to_owned(), scalar_text(other))),
    }
}

/// An `application/x-www-form-urlencoded` body: flat fields as `k=v`, objects as `k[sub]=v`,
/// arrays as repeated keys (or `k[0]=v` for deepObject fields and inside objects).
fn form_body(body: &Value, deep_object_fields: &[String]) -> String {
    let mut pairs = Vec::new();
    match body {
        Value::Object(fields) => {
            for (k, v) in fields {
                let deep = deep_object_fields.iter().any(|d| d == k);
                form_pairs(k, v, deep, &mut pairs);
            }
        }
        Value::String(s) => return s.clone(),
        other => form_pairs("body", other, false, &mut pairs),
    }
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs.iter())
        .finish()
}

fn form_pairs(key: &str, value: &Value, deep: bool, out: &mut Vec<(String, String)>) {
    match value {
        Value::Null => {}
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                if deep || item.is_array() || item.is_object() {
                    form_pairs(&format!("{key}[{i}]"), item, true, out);
                } else {
                    out.push((key.to_owned(), scalar_text(item)));
                }
            }
        }
        Value::Object(fields) => {
            for (k, v) in fields {
                form_pairs(&format!("{key}[{k}]"), v, true, out);
            }
        }
        scalar => out.push((key.to_owned(), scalar_text(scalar))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn path_values_cannot_escape() {
        let values = json!({"id": "../a/b?c#d@e%f:g\\h", "n": 5})
            .as_object()
            .unwrap()
            .clone();
        let p = render_path("/x/{id}/{n}", &values).unwrap();
        assert_eq!(p, "/x/..%2Fa%2Fb%3Fc%23d%40e%25f%3Ag%5Ch/5");
        let dots = json!({"a": ".", "b": "."}).as_object().unwrap().clone();
        assert!(render_path("/x/{a}{b}", &dots).is_err());
    }

    #[test]
    fn form_encoding_styles() {
        let body = json!({"name": "a b", "metadata": {"k": "v", "n": 1}, "labels": ["x", "y"],
                          "expand": ["c"], "skip": null, "ok": true});
        assert_eq!(
            form_body(&body, &["expand".to_owned()]),
            "name=a+b&metadata%5Bk%5D=v&metadata%5Bn%5D=1&labels=x&labels=y&expand%5B0%5D=c&ok=true"
        );
    }
}
