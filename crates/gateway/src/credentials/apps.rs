//! OAuth apps: the OAuth 2.0 client (ID, secret, scopes) an account registers for a connector
//! before its users can authorize that connector. Managed with an API key only; the client
//! secret is stored sealed and never shown again.

use std::collections::BTreeMap;
use std::sync::Arc;

use alloy_connectors::AuthSchemeKind;
use alloy_domain::{ApiError, ErrorCode};
use alloy_storage::{Database, NewOAuthApp, OAuthAppRecord};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::{connector_error, field_error};
use crate::audit::{AuditEvent, AuditWriter, Outcome};
use crate::catalog::CatalogSlot;
use crate::error::Error;
use crate::identity::Caller;
use crate::servers::timestamp;

/// Longest client ID or secret accepted.
const MAX_CLIENT_CHARS: usize = 4096;
/// Authorization parameters the flow sets itself; an app may not replace them.
const RESERVED_PARAMS: &[&str] = &[
    "response_type",
    "client_id",
    "redirect_uri",
    "scope",
    "state",
    "code_challenge",
    "code_challenge_method",
];

/// How the client authenticates at the token endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenAuthMethod {
    /// `client_id` and `client_secret` in the form body (what most platforms expect).
    ClientSecretPost,
    /// HTTP basic authentication with the client ID and secret.
    ClientSecretBasic,
    /// A public client: `client_id` only (PKCE protects the code).
    None,
}

/// Settings of an OAuth app beyond its client ID and secret.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AppSettings {
    /// Scopes to request; the connector document's scopes when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scopes: Option<Vec<String>>,
    /// How scopes are joined in the `scope` parameter (a space by the standard; Slack and some
    /// others use a comma).
    #[serde(default = "default_separator")]
    pub scope_separator: String,
    /// How the client authenticates at the token endpoint.
    pub token_auth_method: TokenAuthMethod,
    /// Extra authorization-URL parameters (e.g. Google's `access_type=offline`).
    #[serde(default)]
    pub authorization_params: BTreeMap<String, String>,
}

fn default_separator() -> String {
    " ".to_owned()
}

impl AppSettings {
    /// Reads stored settings.
    pub(crate) fn from_stored(value: &Value) -> Result<Self, Error> {
        serde_json::from_value(value.clone())
            .map_err(|e| Error::Internal(format!("stored OAuth app settings: {e}")))
    }
}

/// A registered OAuth app, opened.
pub(crate) struct OAuthApp {
    pub client_id: String,
    pub client_secret: Option<String>,
    pub settings: AppSettings,
}

impl OAuthApp {
    pub(crate) fn from_record(record: OAuthAppRecord) -> Result<Self, Error> {
        Ok(OAuthApp {
            settings: AppSettings::from_stored(&record.settings)?,
            client_id: record.client_id,
            client_secret: record.client_secret,
        })
    }
}

/// Registers, shows and removes accounts' OAuth apps.
#[derive(Clone)]
pub struct OAuthApps {
    db: Database,
    audit: AuditWriter,
    catalog: Arc<CatalogSlot>,
    callback_url: String,
}

fn require_api_key(caller: &Caller) -> Result<(), Error> {
    if caller.is_api_key() {
        Ok(())
    } else {
        Err(ApiError::forbidden("Only an API key can manage OAuth apps").into())
    }
}

fn not_registered(connector_id: &str) -> Error {
    ApiError::not_found(format!(
        "No OAuth app is registered for connector '{connector_id}'"
    ))
    .with_details(json!({ "connectorId": connector_id }))
    .into()
}

impl OAuthApps {
    pub(crate) fn new(
        db: Database,
        catalog: Arc<CatalogSlot>,
        callback_url: String,
        audit: AuditWriter,
    ) -> Self {
        OAuthApps {
            db,
            audit,
            catalog,
            callback_url,
        }
    }

    /// The redirect URI to register with every OAuth provider: this server's callback.
    pub fn callback_url(&self) -> &str {
        &self.callback_url
    }

    fn view(&self, r: &OAuthAppRecord) -> Result<Value, Error> {
        let settings = AppSettings::from_stored(&r.settings)?;
        Ok(json!({
            "connectorId": r.connector_id,
            "clientId": r.client_id,
            "hasClientSecret": r.client_secret.is_some(),
            "scopes": settings.scopes,
            "scopeSeparator": settings.scope_separator,
            "tokenAuthMethod": settings.token_auth_method,
            "authorizationParams": settings.authorization_params,
            "callbackUrl": self.callback_url,
            "createdAt": timestamp(r.created_at),
            "updatedAt": timestamp(r.updated_at),
        }))
    }

    /// `PUT /api/oauth-apps/:connectorId`: registers (or replaces) the account's app for a
    /// connector that supports OAuth 2.0.
    pub async fn put(
        &self,
        caller: &Caller,
        connector_id: &str,
        body: &Value,
    ) -> Result<Value, Error> {
        require_api_key(caller)?;
        let registry = self.catalog.current();
        let connector = registry.connector(connector_id).map_err(connector_error)?;
        if !connector
            .auth_schemes
            .iter()
            .any(|s| matches!(s.kind, AuthSchemeKind::OAuth2 { .. }))
        {
            return Err(ApiError::new(
                ErrorCode::InvalidRequest,
                format!("Connector '{connector_id}' does not support OAuth 2.0"),
            )
            .with_details(json!({ "connectorId": connector_id }))
            .into());
        }
        let body = body.as_object().ok_or_else(|| {
            field_error(
                ErrorCode::InvalidFormat,
                "body",
                "type",
                json!("object"),
                "The request body must be a JSON object",
            )
        })?;
        let (client_id, client_secret, settings) = parse_app(body)?;
        let record = self
            .db
            .oauth_apps()
            .put(NewOAuthApp {
                account_id: caller.account_id.clone(),
                connector_id: connector_id.to_owned(),
                client_id,
                client_secret,
                settings: serde_json::to_value(&settings)
                    .map_err(|e| Error::Internal(e.to_string()))?,
            })
            .await?;
        tracing::info!(account = %caller.account_id, connector = %connector_id, "OAuth app registered");
        self.audit.record(
            AuditEvent::new("oauth_app.updated", Outcome::Ok)
                .by(caller)
                .target(Some(connector_id), None)
                .details(json!({ "clientId": record.client_id })),
        );
        self.view(&record)
    }

    /// `GET /api/oauth-apps/:connectorId`.
    pub async fn get(&self, caller: &Caller, connector_id: &str) -> Result<Value, Error> {
        require_api_key(caller)?;
        let record = self
            .db
            .oauth_apps()
            .get(&caller.account_id, connector_id)
            .await?
            .ok_or_else(|| not_registered(connector_id))?;
        self.view(&record)
    }

    /// `GET /api/oauth-apps`: the account's apps (never their secrets).
    pub async fn list(&self, caller: &Caller) -> Result<Value, Error> {
        require_api_key(caller)?;
        let apps = self
            .db
            .oauth_apps()
            .list(&caller.account_id)
            .await?
            .iter()
            .map(|r| self.view(r))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(json!({
            "oauthApps": apps,
            "count": apps.len(),
            "callbackUrl": self.callback_url,
        }))
    }

    /// `DELETE /api/oauth-apps/:connectorId`. Credentials already authorized keep working until
    /// their access token needs a refresh.
    pub async fn delete(&self, caller: &Caller, connector_id: &str) -> Result<Value, Error> {
        require_api_key(caller)?;
        if !self
            .db
            .oauth_apps()
            .delete(&caller.account_id, connector_id)
            .await?
        {
            return Err(not_registered(connector_id));
        }
        self.audit.record(
            AuditEvent::new("oauth_app.deleted", Outcome::Ok)
                .by(caller)
                .target(Some(connector_id), None),
        );
        Ok(json!({ "message": "OAuth app deleted", "connectorId": connector_id }))
    }
}

/// `null` is a value of the wrong type, never an absent field (docs/api.md, Errors).
fn not_null(name: &str, expected: &str) -> Error {
    field_error(
        ErrorCode::InvalidFormat,
        name,
        "type",
        json!(expected),
        format!("'{name}' must be a {expected}, not null"),
    )
}

fn string_field(
    body: &Map<String, Value>,
    name: &str,
    required: bool,
) -> Result<Option<String>, Error> {
    match body.get(name) {
        None if required => Err(field_error(
            ErrorCode::MissingRequiredField,
            name,
            "required",
            json!(true),
            format!("'{name}' is required"),
        )),
        None => Ok(None),
        Some(Value::Null) => Err(not_null(name, "string")),
        Some(Value::String(s)) if s.trim().is_empty() => Err(field_error(
            ErrorCode::ValueTooShort,
            name,
            "minLength",
            json!(1),
            format!("'{name}' must not be empty"),
        )),
        Some(Value::String(s)) if s.chars().count() > MAX_CLIENT_CHARS => Err(field_error(
            ErrorCode::ValueTooLong,
            name,
            "maxLength",
            json!(MAX_CLIENT_CHARS),
            format!("'{name}' must be at most {MAX_CLIENT_CHARS} characters long"),
        )),
        Some(Value::String(s)) if s.chars().any(char::is_control) => Err(field_error(
            ErrorCode::InvalidFormat,
            name,
            "pattern",
            json!("no control characters"),
            format!("'{name}' must not contain control characters"),
        )),
        Some(Value::String(s)) => Ok(Some(s.trim().to_owned())),
        Some(_) => Err(field_error(
            ErrorCode::InvalidFormat,
            name,
            "type",
            json!("string"),
            format!("'{name}' must be a string"),
        )),
    }
}

/// Reads a `PUT /api/oauth-apps/:connectorId` body.
fn parse_app(body: &Map<String, Value>) -> Result<(String, Option<String>, AppSettings), Error> {
    const ACCEPTED: &[&str] = &[
        "clientId",
        "clientSecret",
        "scopes",
        "scopeSeparator",
        "tokenAuthMethod",
        "authorizationParams",
    ];
    if let Some(unknown) = body.keys().find(|k| !ACCEPTED.contains(&k.as_str())) {
        let shown: String = unknown.chars().take(64).collect();
        return Err(field_error(
            ErrorCode::ValidationError,
            &shown,
            "unknown",
            json!(ACCEPTED),
            format!("Unknown field '{shown}'; accepted: {}", ACCEPTED.join(", ")),
        ));
    }
    let client_id = string_field(body, "clientId", true)?.unwrap_or_default();
    let client_secret = string_field(body, "clientSecret", false)?;
    let scopes = match body.get("scopes") {
        None => None,
        Some(Value::Null) => return Err(not_null("scopes", "array")),
        Some(Value::Array(items)) => {
            let mut scopes = Vec::with_capacity(items.len());
            for item in items {
                match item.as_str().map(str::trim) {
                    Some(s)
                        if !s.is_empty()
                            && !s.chars().any(|c| c.is_whitespace() || c.is_control()) =>
                    {
                        scopes.push(s.to_owned())
                    }
                    _ => {
                        return Err(field_error(
                            ErrorCode::InvalidFormat,
                            "scopes",
                            "items",
                            json!("non-empty strings without spaces"),
                            "Each scope must be a non-empty string without spaces",
                        ));
                    }
                }
            }
            Some(scopes)
        }
        Some(_) => {
            return Err(field_error(
                ErrorCode::InvalidFormat,
                "scopes",
                "type",
                json!("array"),
                "'scopes' must be an array of strings",
            ));
        }
    };
    let scope_separator = match string_or_space(body, "scopeSeparator")? {
        None => default_separator(),
        Some(s) if s == " " || s == "," => s,
        Some(_) => {
            return Err(field_error(
                ErrorCode::InvalidEnumValue,
                "scopeSeparator",
                "enum",
                json!([" ", ","]),
                "'scopeSeparator' must be \" \" or \",\"",
            ));
        }
    };
    let token_auth_method = match string_field(body, "tokenAuthMethod", false)?.as_deref() {
        None if client_secret.is_some() => TokenAuthMethod::ClientSecretPost,
        None => TokenAuthMethod::None,
        Some("client_secret_post") => TokenAuthMethod::ClientSecretPost,
        Some("client_secret_basic") => TokenAuthMethod::ClientSecretBasic,
        Some("none") => TokenAuthMethod::None,
        Some(_) => {
            return Err(field_error(
                ErrorCode::InvalidEnumValue,
                "tokenAuthMethod",
                "enum",
                json!(["client_secret_post", "client_secret_basic", "none"]),
                "'tokenAuthMethod' must be client_secret_post, client_secret_basic or none",
            ));
        }
    };
    if token_auth_method != TokenAuthMethod::None && client_secret.is_none() {
        return Err(field_error(
            ErrorCode::MissingRequiredField,
            "clientSecret",
            "required",
            json!(true),
            "'clientSecret' is required unless tokenAuthMethod is none",
        ));
    }
    let mut authorization_params = BTreeMap::new();
    match body.get("authorizationParams") {
        None => {}
        Some(Value::Null) => return Err(not_null("authorizationParams", "object")),
        Some(Value::Object(map)) => {
            for (k, v) in map {
                if RESERVED_PARAMS.contains(&k.as_str()) {
                    return Err(field_error(
                        ErrorCode::ValidationError,
                        &format!("authorizationParams.{k}"),
                        "reserved",
                        json!(RESERVED_PARAMS),
                        format!("'{k}' is set by the authorization flow itself"),
                    ));
                }
                let Some(v) = v.as_str() else {
                    return Err(field_error(
                        ErrorCode::InvalidFormat,
                        &format!("authorizationParams.{k}"),
                        "type",
                        json!("string"),
                        "Authorization parameters must be strings",
                    ));
                };
                authorization_params.insert(k.clone(), v.to_owned());
            }
        }
        Some(_) => {
            return Err(field_error(
                ErrorCode::InvalidFormat,
                "authorizationParams",
                "type",
                json!("object"),
                "'authorizationParams' must be an object of strings",
            ));
        }
    }
    Ok((
        client_id,
        client_secret,
        AppSettings {
            scopes,
            scope_separator,
            token_auth_method,
            authorization_params,
        },
    ))
}

/// A string field whose value may be a single space (which `string_field` would call blank).
fn string_or_space(body: &Map<String, Value>, name: &str) -> Result<Option<String>, Error> {
    match body.get(name) {
        None => Ok(None),
        Some(Value::Null) => Err(not_null(name, "string")),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(field_error(
            ErrorCode::InvalidFormat,
            name,
            "type",
            json!("string"),
            format!("'{name}' must be a string"),
        )),
    }
}
