//! `components.securitySchemes` and `security` requirements: how credentials are sent.

use serde_json::{Map, Value};

use super::{Loader, str_field};
use crate::model::{ApiKeyLocation, AuthScheme, AuthSchemeKind, OAuthScope};

impl Loader<'_> {
    /// The schemes the engine can use. One it cannot (OAuth 1.0a, openIdConnect, a malformed
    /// entry) is skipped with a warning: the document's other schemes still work.
    pub(super) fn security_schemes(&mut self, root: &Map<String, Value>) -> Vec<AuthScheme> {
        let Some(raw) = root
            .get("components")
            .and_then(|c| c.get("securitySchemes"))
        else {
            return Vec::new();
        };
        let raw = match self.resolve_at(raw, "components.securitySchemes") {
            Ok(Value::Object(map)) => map,
            Ok(_) => {
                self.warn("components.securitySchemes must be an object; ignored".into());
                return Vec::new();
            }
            Err(e) => {
                self.warn(format!("{e}; security schemes ignored"));
                return Vec::new();
            }
        };
        self.declared_schemes = raw.keys().cloned().collect();
        let mut schemes = Vec::new();
        for (name, s) in &raw {
            let at = format!("components.securitySchemes.{name}");
            match scheme_kind(&at, s) {
                Ok(Some(kind)) => schemes.push(AuthScheme {
                    name: name.clone(),
                    description: s
                        .get("description")
                        .and_then(Value::as_str)
                        .map(str::to_owned),
                    kind,
                }),
                Ok(None) => self.warn(format!(
                    "{at}: type {} cannot be used by the gateway; the scheme is skipped",
                    s.get("type").unwrap_or(&Value::Null)
                )),
                Err(e) => self.warn(format!("{e}; the scheme is skipped")),
            }
        }
        schemes
    }

    /// The scheme names a `security` list mentions; `Some([])` for an explicit "no auth".
    /// A name that `components.securitySchemes` does not declare is left out with a warning;
    /// a list of only such names counts as no list at all (the document's default applies),
    /// so that a typo never turns into "no authentication".
    pub(super) fn security_requirement(
        &mut self,
        raw: Option<&Value>,
        schemes: &[AuthScheme],
    ) -> Result<Option<Vec<String>>, String> {
        let Some(raw) = raw else {
            return Ok(None);
        };
        let list = raw.as_array().ok_or("must be an array")?;
        let mut names = Vec::new();
        let mut undeclared = false;
        for requirement in list {
            let req = requirement
                .as_object()
                .ok_or("requirements must be objects")?;
            for name in req.keys() {
                if !self.declared_schemes.contains(name) {
                    self.warn(format!(
                        "security: `{name}` is not in components.securitySchemes; ignored"
                    ));
                    undeclared = true;
                    continue;
                }
                // Schemes of a type the engine skips (openIdConnect) are not injectable.
                if schemes.iter().any(|s| &s.name == name) && !names.contains(name) {
                    names.push(name.clone());
                }
            }
        }
        if names.is_empty() && undeclared {
            return Ok(None);
        }
        Ok(Some(names))
    }
}

/// What scheme `s` is; `None` for a type the engine cannot inject.
fn scheme_kind(at: &str, s: &Value) -> Result<Option<AuthSchemeKind>, String> {
    let s = s.as_object().ok_or(format!("{at} must be an object"))?;
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
        // openIdConnect, mutualTLS, OAuth 1.0a: the engine cannot inject those.
        _ => return Ok(None),
    };
    Ok(Some(kind))
}
