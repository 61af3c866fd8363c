//! Credential material the executor injects, and the metadata that tells users what to supply.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::model::{Action, AuthScheme, AuthSchemeKind, AuthType, Connector, OAuthScope};

/// The secret material of one end-user credential: `{"type": "...", "fields": {...}}`.
///
/// `Debug` shows the type and field names only: values never reach logs. There is deliberately
/// no `Serialize`, so the material cannot be echoed in a response by accident.
#[derive(Clone, PartialEq, Eq, Deserialize)]
pub struct CredentialMaterial {
    /// Which kind of material this is.
    #[serde(rename = "type")]
    pub auth_type: AuthType,
    /// `accessToken`, `apiKey`, `token`, `username`/`password`, plus server template variables
    /// (e.g. `site`) and values for path parameters (e.g. `AccountSid`).
    #[serde(default)]
    pub fields: BTreeMap<String, String>,
}

impl CredentialMaterial {
    /// Material of `auth_type` with these fields.
    pub fn new<K, V>(auth_type: AuthType, fields: impl IntoIterator<Item = (K, V)>) -> Self
    where
        K: Into<String>,
        V: Into<String>,
    {
        CredentialMaterial {
            auth_type,
            fields: fields
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        }
    }

    /// A field's value.
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields.get(name).map(String::as_str)
    }

    /// A field that must be present and non-empty; the error names the field, not its value.
    pub(crate) fn required_field(&self, name: &str) -> Result<&str, Error> {
        match self.field(name) {
            Some(v) if !v.is_empty() => Ok(v),
            _ => Err(Error::Credential {
                message: format!(
                    "a {} credential needs the field `{name}`",
                    self.auth_type.as_str()
                ),
                field: Some(name.to_owned()),
            }),
        }
    }
}

impl fmt::Debug for CredentialMaterial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CredentialMaterial")
            .field("auth_type", &self.auth_type)
            .field("fields", &self.fields.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

/// One authentication type a connector accepts and what a credential of that type needs.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthTypeMetadata {
    /// `oauth2`, `apiKey`, `bearer` or `basic`.
    #[serde(rename = "type")]
    pub auth_type: AuthType,
    /// The security scheme of the document that this type uses.
    pub scheme: String,
    /// The scheme's description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Fields the user supplies (none from the user for oauth2 besides server variables).
    pub fields: Vec<CredentialField>,
    /// Authorization/token URLs and scopes, for oauth2.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub oauth: Option<OAuthMetadata>,
}

/// One field of a credential.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CredentialField {
    /// Field name in `fields`.
    pub name: String,
    /// Whether a credential without it is refused.
    pub required: bool,
    /// Whether the value is a secret (never shown again once stored).
    pub secret: bool,
    /// What to enter.
    pub description: String,
}

/// The OAuth 2.0 endpoints and scopes of a connector.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OAuthMetadata {
    /// Where the user consents.
    pub authorization_url: Option<String>,
    /// Where codes are exchanged.
    pub token_url: Option<String>,
    /// Where tokens are refreshed (the token URL when absent).
    pub refresh_url: Option<String>,
    /// Scopes the document lists.
    pub scopes: Vec<OAuthScope>,
}

impl Connector {
    /// Every authentication type this connector accepts (one entry per type, from its first
    /// scheme of that type) with the fields a credential of that type needs.
    pub fn credential_metadata(&self) -> Vec<AuthTypeMetadata> {
        let shared = self.shared_credential_fields();
        let mut out: Vec<AuthTypeMetadata> = Vec::new();
        for scheme in &self.auth_schemes {
            let auth_type = scheme.auth_type();
            if out.iter().any(|m| m.auth_type == auth_type) {
                continue;
            }
            let (mut fields, oauth) = match &scheme.kind {
                AuthSchemeKind::OAuth2 {
                    authorization_url,
                    token_url,
                    refresh_url,
                    scopes,
                    ..
                } => (
                    Vec::new(),
                    Some(OAuthMetadata {
                        authorization_url: authorization_url.clone(),
                        token_url: token_url.clone(),
                        refresh_url: refresh_url.clone(),
                        scopes: scopes.clone(),
                    }),
                ),
                AuthSchemeKind::ApiKey {
                    location,
                    param_name,
                    ..
                } => (
                    vec![secret_field(
                        "apiKey",
                        format!(
                            "API key (sent in the {} `{param_name}`)",
                            match location {
                                crate::model::ApiKeyLocation::Header => "header",
                                crate::model::ApiKeyLocation::Query => "query parameter",
                                crate::model::ApiKeyLocation::Cookie => "cookie",
                            }
                        ),
                    )],
                    None,
                ),
                AuthSchemeKind::Bearer { .. } => {
                    (vec![secret_field("token", "Bearer token".into())], None)
                }
                AuthSchemeKind::Basic => (
                    vec![
                        CredentialField {
                            name: "username".into(),
                            required: true,
                            secret: false,
                            description: "User name for HTTP basic authentication".into(),
                        },
                        secret_field(
                            "password",
                            "Password (or API token) for HTTP basic authentication".into(),
                        ),
                    ],
                    None,
                ),
            };
            fields.extend(shared.iter().cloned());
            out.push(AuthTypeMetadata {
                auth_type,
                scheme: scheme.name.clone(),
                description: scheme.description.clone(),
                fields,
                oauth,
            });
        }
        out
    }

    /// Fields every credential type needs: server template variables and the document's
    /// `info.x-alloy-credential-fields`.
    fn shared_credential_fields(&self) -> Vec<CredentialField> {
        let mut fields: Vec<CredentialField> =
            self.server_variables
                .iter()
                .map(|v| CredentialField {
                    name: v.name.clone(),
                    required: v.default.is_none(),
                    secret: false,
                    description: v.description.clone().unwrap_or_else(|| {
                        format!("Value of `{{{}}}` in {}", v.name, self.server_url)
                    }),
                })
                .collect();
        for extra in &self.extra_credential_fields {
            if !fields.iter().any(|f| f.name == extra.name) {
                fields.push(extra.clone());
            }
        }
        fields
    }

    /// The scheme a credential of this type uses for `action`; `None` when the action (or the
    /// whole connector) needs no authentication.
    pub(crate) fn scheme_for(
        &self,
        action: &Action,
        credential: &CredentialMaterial,
    ) -> Result<Option<&AuthScheme>, Error> {
        if self.auth_schemes.is_empty() {
            return Ok(None);
        }
        let allowed = |s: &&AuthScheme| match &action.security {
            Some(names) => names.contains(&s.name),
            None => true,
        };
        if action.security.as_ref().is_some_and(Vec::is_empty) {
            return Ok(None);
        }
        if let Some(s) = self
            .auth_schemes
            .iter()
            .filter(allowed)
            .find(|s| s.auth_type() == credential.auth_type)
        {
            return Ok(Some(s));
        }
        let accepted: Vec<&str> = self
            .auth_schemes
            .iter()
            .filter(allowed)
            .map(|s| s.auth_type().as_str())
            .collect();
        Err(Error::Credential {
            message: format!(
                "action `{}` of connector `{}` does not accept {} credentials (accepts: {})",
                action.id,
                self.id,
                credential.auth_type,
                accepted.join(", ")
            ),
            field: None,
        })
    }
}

fn secret_field(name: &str, description: String) -> CredentialField {
    CredentialField {
        name: name.into(),
        required: true,
        secret: true,
        description,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_values() {
        let c = CredentialMaterial::new(
            AuthType::Basic,
            [("username", "alice"), ("password", "hunter2-secret")],
        );
        let shown = format!("{c:?}");
        assert!(!shown.contains("hunter2-secret"), "{shown}");
        assert!(!shown.contains("alice"), "{shown}");
        assert!(shown.contains("password"), "{shown}");
    }

    #[test]
    fn deserializes_the_spec_shape() {
        let c: CredentialMaterial =
            serde_json::from_str(r#"{"type":"apiKey","fields":{"apiKey":"k"}}"#).unwrap();
        assert_eq!(c.auth_type, AuthType::ApiKey);
        assert_eq!(c.field("apiKey"), Some("k"));
        assert!(c.required_field("other").is_err());
    }
}
