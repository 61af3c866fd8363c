//! The server URL actions are sent to: `servers[0]`, made absolute where the document left it
//! relative, or empty (the operator or the credential then names it).

use serde_json::{Map, Value};

use super::{Loader, str_field};
use crate::credential::CredentialField;
use crate::model::ServerVariable;

/// The credential field that names the base URL of a connector whose document names none.
pub(crate) const BASE_URL_FIELD: &str = "baseUrl";

/// The credential field asked of connectors without a server URL.
pub(crate) fn base_url_field() -> CredentialField {
    CredentialField {
        name: BASE_URL_FIELD.to_owned(),
        description: "Base URL of the API (its document names no server), e.g. \
                      https://api.example.com/v1"
            .to_owned(),
        required: false,
        secret: false,
    }
}

impl Loader<'_> {
    /// `servers[0]`'s URL and variables. A relative (`/v1`) or protocol-relative (`//host/v1`)
    /// URL is resolved against the document's origin (`info.x-origin[].url`), else `https`;
    /// without a usable server the URL is empty and a warning says how to supply one.
    pub(super) fn servers(
        &mut self,
        root: &Map<String, Value>,
        info: &Map<String, Value>,
    ) -> (String, Vec<ServerVariable>) {
        let server = root
            .get("servers")
            .and_then(Value::as_array)
            .and_then(|list| list.iter().find_map(Value::as_object));
        let Some(server) = server else {
            self.warn(
                "no `servers`: calls need a base URL (ALLOY_CONNECTOR_BASE_URLS or the \
                 credential's `baseUrl` field)"
                    .into(),
            );
            return (String::new(), Vec::new());
        };
        let Some(raw) = str_field(server, "url").filter(|u| !u.trim().is_empty()) else {
            self.warn(
                "`servers[0]` has no `url`: calls need a base URL (ALLOY_CONNECTOR_BASE_URLS or \
                 the credential's `baseUrl` field)"
                    .into(),
            );
            return (String::new(), Vec::new());
        };
        let names = match super::template_names(&raw) {
            Ok(names) => names,
            Err(e) => {
                self.warn(format!("servers[0].url: {e}; calls need a base URL"));
                return (String::new(), Vec::new());
            }
        };
        let declared = server.get("variables").and_then(Value::as_object);
        let mut variables: Vec<ServerVariable> = Vec::new();
        for name in names {
            if variables.iter().any(|v| v.name == name) {
                continue;
            }
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
            variables.push(ServerVariable {
                description: var.and_then(|v| str_field(v, "description")),
                name,
                default,
                allowed_values,
            });
        }
        let url = match self.absolute(&raw, info) {
            Some(url) => url,
            None => {
                self.warn(format!(
                    "`servers[0].url` `{raw}` is not an http(s) URL: calls need a base URL \
                     (ALLOY_CONNECTOR_BASE_URLS or the credential's `baseUrl` field)"
                ));
                return (String::new(), Vec::new());
            }
        };
        // A variable's value must not be able to point at another host: only variables of the
        // URL as written are kept (their values are checked when a call is made).
        let probe = variables.iter().fold(url.clone(), |u, v| {
            u.replace(&format!("{{{}}}", v.name), "x")
        });
        match url::Url::parse(&probe) {
            Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => {
                (url, variables)
            }
            _ => {
                self.warn(format!(
                    "`servers[0].url` `{raw}` is not an absolute http(s) URL: calls need a base \
                     URL (ALLOY_CONNECTOR_BASE_URLS or the credential's `baseUrl` field)"
                ));
                (String::new(), Vec::new())
            }
        }
    }

    /// `raw` made absolute: as is when it has a scheme; `https:` before `//host`; a path joined
    /// to the origin of `info.x-origin[].url`.
    fn absolute(&mut self, raw: &str, info: &Map<String, Value>) -> Option<String> {
        let raw = raw.trim();
        if raw.starts_with("http://") || raw.starts_with("https://") {
            return Some(raw.to_owned());
        }
        if let Some(rest) = raw.strip_prefix("//") {
            let url = format!("https://{rest}");
            self.warn(format!(
                "`servers[0].url` `{raw}` has no scheme; using `{url}`"
            ));
            return Some(url);
        }
        if raw.starts_with('/') {
            let origin = origin_of(info)?;
            let url = format!("{origin}{}", raw.trim_end_matches('/'));
            self.warn(format!(
                "`servers[0].url` `{raw}` is relative; using `{url}` (the document's origin)"
            ));
            return Some(url);
        }
        if !raw.contains("://") && raw.contains('.') && !raw.contains(' ') {
            // `api.example.com/v1`: a host without a scheme.
            let url = format!("https://{raw}");
            self.warn(format!(
                "`servers[0].url` `{raw}` has no scheme; using `{url}`"
            ));
            return Some(url);
        }
        None
    }
}

/// `scheme://host[:port]` of the first http(s) `info.x-origin[].url`.
fn origin_of(info: &Map<String, Value>) -> Option<String> {
    let origins = info.get("x-origin")?;
    let list: Vec<&Value> = match origins {
        Value::Array(list) => list.iter().collect(),
        other => vec![other],
    };
    list.into_iter()
        .filter_map(|o| o.get("url").and_then(Value::as_str))
        .filter_map(|u| url::Url::parse(u).ok())
        .find(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
        .map(|u| u.origin().ascii_serialization())
}
