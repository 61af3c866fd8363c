//! End users' platform credentials: what each connector needs, creating key-like credentials
//! (checked once against the platform) and OAuth 2.0 ones (authorization-code flow with PKCE),
//! listing them without secrets, choosing one for an action, and keeping OAuth tokens fresh.
//!
//! Every read and write is confined to the caller's (account, user). Secrets are sealed by the
//! storage layer under the credential ID and leave this module only as
//! [`CredentialMaterial`] for the executor; they never appear in a result, an error or a log.

mod apps;
mod fields;
mod oauth;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use alloy_connectors::{
    AuthSchemeKind, AuthType, Connector, CredentialMaterial, ExecuteOptions, Executor, Registry,
};
use alloy_domain::ids::{generate_credential_id, is_credential_id, validate_user_id};
use alloy_domain::page::{MAX_LIMIT, Page};
use alloy_domain::{ApiError, ErrorCode, FieldError};
use alloy_storage::{
    ConsumedState, CredentialRecord, CredentialStatus, Database, NewCredential, NewOAuthState,
    OAuthStateRecord, RefreshedSecret, SecretFields,
};
use chrono::{DateTime, Utc};
use dashmap::DashMap;
use serde_json::{Map, Value, json};
use tokio::sync::Mutex;

use apps::OAuthApp;
pub use apps::{AppSettings, OAuthApps, TokenAuthMethod};
use oauth::{ClientAuth, TokenEndpoint, TokenError, TokenSet};

use crate::error::Error;
use crate::identity::Caller;
use crate::servers::timestamp;

/// How long an authorization link stays valid.
pub const STATE_TTL: Duration = Duration::from_secs(10 * 60);
/// An OAuth access token this close to its expiry is refreshed before use.
pub const REFRESH_MARGIN: Duration = Duration::from_secs(60);
/// A refresh this recent answers a 401 without refreshing again (another request of the same
/// moment already did).
const RECENT_REFRESH: Duration = Duration::from_secs(10);
/// Time the verification call of a new credential may take.
const VERIFY_TIMEOUT_MS: u64 = 15_000;
/// Attempts at a fresh random credential ID.
const ID_ATTEMPTS: usize = 4;
/// Longest `redirectUri` accepted.
const MAX_REDIRECT_URI_CHARS: usize = 2048;
/// Stored fields that are not material for the executor.
const STORED_ONLY: &[&str] = &["refreshToken", "scope"];

/// A `create_credential_alloy` request.
#[derive(Debug, Clone)]
pub struct NewCredentialRequest {
    /// The connector the credential is for.
    pub connector_id: String,
    /// `oauth2`, `apiKey`, `bearer` or `basic`.
    pub authentication_type: String,
    /// The credential's fields (see [`CredentialService::metadata`]).
    pub fields: Map<String, Value>,
    /// Where the browser goes after an OAuth authorization (`redirectUri` or `x-redirect-uri`).
    pub redirect_uri: Option<String>,
}

/// The credential chosen for an action, ready for the executor.
#[derive(Debug, Clone)]
pub struct ResolvedCredential {
    /// Its ID (for a retry after a 401 and for the result).
    pub credential_id: String,
    /// The material the executor injects.
    pub material: CredentialMaterial,
}

/// How the OAuth callback answers the browser.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallbackOutcome {
    /// `302` to the caller's redirect URI (with `credentialId`, or `error`).
    Redirect {
        /// The full target URL.
        location: String,
    },
    /// A plain-text page, when no redirect URI was given (or the state is unknown).
    Page {
        /// HTTP status.
        status: u16,
        /// The text.
        message: String,
    },
}

/// End users' credentials and the OAuth 2.0 flow. Cheap to clone.
#[derive(Clone)]
pub struct CredentialService {
    inner: Arc<Inner>,
}

struct Inner {
    db: Database,
    registry: Arc<Registry>,
    executor: Executor,
    tokens: Result<TokenEndpoint, String>,
    apps: OAuthApps,
    callback_url: String,
    /// One refresh at a time per credential on this replica (replicas race through the
    /// version check in storage).
    refresh_locks: DashMap<String, Arc<Mutex<()>>>,
}

/// The API error for a failure of the connector engine.
pub(crate) fn connector_error(e: alloy_connectors::Error) -> Error {
    let code = e.code();
    if code == ErrorCode::InternalError {
        return Error::Internal(e.to_string());
    }
    let message = match &e {
        alloy_connectors::Error::ConnectorNotFound(id) => format!(
            "Connector '{id}' does not exist; list_connectors_alloy lists the available ones"
        ),
        other => other.to_string(),
    };
    let details = e.details();
    let mut error = ApiError::new(code, message);
    if !details.is_null() {
        error = error.with_details(details);
    }
    Error::Api(error)
}

/// A validation error with a specific code whose message says what is wrong.
pub(crate) fn field_error(
    code: ErrorCode,
    field: &str,
    constraint: &str,
    value: Value,
    message: impl Into<String>,
) -> Error {
    let message = message.into();
    let details = FieldError::new(code, field, constraint, value, message.clone());
    Error::Api(
        ApiError::new(code, message)
            .with_details(serde_json::to_value(&details).unwrap_or(Value::Null)),
    )
}

fn not_found(credential_id: Option<&str>, connector_id: Option<&str>) -> Error {
    let message = match (credential_id, connector_id) {
        (Some(id), _) => format!(
            "Credential '{id}' was not found for this user. Call get_credentials_alloy to list \
             the user's credentials, or create_credential_alloy to create one."
        ),
        (None, Some(c)) => format!(
            "No usable credential for connector '{c}'. Call create_credential_alloy with \
             connectorId '{c}' to create one (get_credential_metadata_alloy lists the \
             authentication types and fields it needs)."
        ),
        (None, None) => "Credential not found".to_owned(),
    };
    let mut details = Map::new();
    if let Some(id) = credential_id {
        details.insert("credentialId".into(), json!(id));
    }
    if let Some(c) = connector_id {
        details.insert("connectorId".into(), json!(c));
    }
    ApiError::new(ErrorCode::CredentialNotFound, message)
        .with_details(Value::Object(details))
        .into()
}

fn needs_reauthorization(record: &CredentialRecord, why: &str) -> Error {
    ApiError::new(
        ErrorCode::CredentialInvalid,
        format!(
            "Credential '{}' for '{}' needs re-authorization: {why}. Call \
             create_credential_alloy with connectorId '{}' and authenticationType 'oauth2', and \
             have the user approve access again.",
            record.credential_id, record.connector_id, record.connector_id
        ),
    )
    .with_details(json!({
        "credentialId": record.credential_id,
        "connectorId": record.connector_id,
        "status": CredentialStatus::NeedsReauthorization.as_str(),
    }))
    .into()
}

/// A credential ID in its stored (lower-case) form, or `INVALID_FORMAT`.
fn normalize_id(credential_id: &str) -> Result<String, Error> {
    if is_credential_id(credential_id) {
        Ok(credential_id.to_ascii_lowercase())
    } else {
        Err(field_error(
            ErrorCode::InvalidFormat,
            "credentialId",
            "pattern",
            json!("^[0-9a-f]{24}$"),
            "credentialId must be 24 hexadecimal characters (as returned by \
             create_credential_alloy or get_credentials_alloy)",
        ))
    }
}

/// The authorization, token and refresh URLs and the scopes of a connector's OAuth 2.0
/// scheme.
struct OAuthEndpoints<'a> {
    authorization_url: &'a str,
    token_url: &'a str,
    refresh_url: &'a str,
    scopes: Vec<&'a str>,
}

fn oauth_endpoints(connector: &Connector) -> Result<OAuthEndpoints<'_>, Error> {
    connector
        .auth_schemes
        .iter()
        .find_map(|s| match &s.kind {
            AuthSchemeKind::OAuth2 {
                authorization_url: Some(authorization_url),
                token_url: Some(token_url),
                refresh_url,
                scopes,
                ..
            } => Some(OAuthEndpoints {
                authorization_url,
                token_url,
                refresh_url: refresh_url.as_deref().unwrap_or(token_url),
                scopes: scopes.iter().map(|s| s.name.as_str()).collect(),
            }),
            _ => None,
        })
        .ok_or_else(|| {
            ApiError::new(
                ErrorCode::InvalidRequest,
                format!(
                    "Connector '{}' does not support the OAuth 2.0 authorization-code flow",
                    connector.id
                ),
            )
            .with_details(json!({ "connectorId": connector.id }))
            .into()
        })
}

fn validate_redirect_uri(uri: &str) -> Result<String, Error> {
    let invalid = |message: &str| {
        field_error(
            ErrorCode::InvalidFormat,
            "redirectUri",
            "format",
            json!("absolute http(s) URL"),
            message.to_owned(),
        )
    };
    let uri = uri.trim();
    if uri.chars().count() > MAX_REDIRECT_URI_CHARS {
        return Err(field_error(
            ErrorCode::ValueTooLong,
            "redirectUri",
            "maxLength",
            json!(MAX_REDIRECT_URI_CHARS),
            format!("redirectUri must be at most {MAX_REDIRECT_URI_CHARS} characters long"),
        ));
    }
    match url::Url::parse(uri) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => {
            if u.fragment().is_some() {
                return Err(invalid("redirectUri must not have a fragment"));
            }
            Ok(u.to_string())
        }
        _ => Err(invalid("redirectUri must be an absolute http or https URL")),
    }
}

/// The status shown in listings: stored status, or `expired` for an OAuth token past its
/// expiry that cannot be refreshed.
fn shown_status(r: &CredentialRecord, now: DateTime<Utc>) -> &'static str {
    match r.status {
        CredentialStatus::NeedsReauthorization => "needs_reauthorization",
        CredentialStatus::Active if !r.refreshable && r.expires_at.is_some_and(|t| t <= now) => {
            "expired"
        }
        CredentialStatus::Active => "active",
    }
}

/// The metadata of a credential: never a secret.
fn view(r: &CredentialRecord) -> Value {
    json!({
        "credentialId": r.credential_id,
        "connectorId": r.connector_id,
        "type": r.auth_type,
        "status": shown_status(r, Utc::now()),
        "createdAt": timestamp(r.created_at),
        "updatedAt": timestamp(r.updated_at),
        "expiresAt": r.expires_at.map(timestamp),
    })
}

fn material(record: &CredentialRecord, secret: &SecretFields) -> Result<CredentialMaterial, Error> {
    let auth_type: AuthType = record.auth_type.parse().map_err(|e: String| {
        Error::Internal(format!("credential {}: {e}", record.credential_id))
    })?;
    Ok(CredentialMaterial::new(
        auth_type,
        secret
            .0
            .iter()
            .filter(|(k, _)| !STORED_ONLY.contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone())),
    ))
}

fn expiry(expires_in: Option<i64>) -> Option<DateTime<Utc>> {
    // Providers answer in seconds; a year caps absurd values.
    expires_in.map(|s| Utc::now() + chrono::Duration::seconds(s.clamp(1, 366 * 24 * 3600)))
}

fn margin() -> chrono::Duration {
    chrono::Duration::from_std(REFRESH_MARGIN).unwrap_or_else(|_| chrono::Duration::seconds(60))
}

/// Why a refresh did not produce tokens.
enum RefreshFailure {
    /// The grant is gone: the credential now needs re-authorization (the error says so).
    Reauthorize(Error),
    /// The provider is unavailable for now.
    Unavailable(String),
    /// Anything else (database, configuration).
    Other(Error),
}

impl From<alloy_storage::Error> for RefreshFailure {
    fn from(e: alloy_storage::Error) -> Self {
        RefreshFailure::Other(e.into())
    }
}

impl CredentialService {
    /// The service over a database, the connector registry and the executor (for verifying
    /// new credentials). `public_url` is the base of the OAuth callback URL.
    pub fn new(
        db: Database,
        registry: Arc<Registry>,
        executor: Executor,
        public_url: &str,
    ) -> Self {
        let callback_url = format!("{}/oauth/callback", public_url.trim_end_matches('/'));
        let tokens = TokenEndpoint::new();
        if let Err(e) = &tokens {
            tracing::error!(error = %e, "OAuth token client unavailable");
        }
        CredentialService {
            inner: Arc::new(Inner {
                apps: OAuthApps::new(db.clone(), registry.clone(), callback_url.clone()),
                db,
                registry,
                executor,
                tokens,
                callback_url,
                refresh_locks: DashMap::new(),
            }),
        }
    }

    /// The OAuth apps accounts register per connector.
    pub fn oauth_apps(&self) -> &OAuthApps {
        &self.inner.apps
    }

    /// The OAuth redirect URI of this server (`<public URL>/oauth/callback`).
    pub fn callback_url(&self) -> &str {
        &self.inner.callback_url
    }

    fn tokens(&self) -> Result<&TokenEndpoint, Error> {
        self.inner
            .tokens
            .as_ref()
            .map_err(|e| Error::Internal(e.clone()))
    }

    /// `get_credential_metadata_alloy`: the authentication types a connector accepts and, for
    /// each, the fields a credential needs.
    pub fn metadata(&self, connector_id: &str) -> Result<Value, Error> {
        let connector = self
            .inner
            .registry
            .connector(connector_id)
            .map_err(connector_error)?;
        let types: Vec<Value> = connector
            .credential_metadata()
            .into_iter()
            .map(|m| {
                let instructions = if m.auth_type == AuthType::OAuth2 {
                    format!(
                        "Call create_credential_alloy with connectorId '{}' and \
                         authenticationType 'oauth2'{}; it answers with an authorizationUrl \
                         that the user opens in a browser to approve access. The credential \
                         exists once they have.",
                        connector.id,
                        if m.fields.is_empty() {
                            String::new()
                        } else {
                            " and the fields listed here".to_owned()
                        }
                    )
                } else {
                    format!(
                        "Call create_credential_alloy with connectorId '{}', \
                         authenticationType '{}' and these fields.",
                        connector.id, m.auth_type
                    )
                };
                let mut v = serde_json::to_value(&m).unwrap_or(Value::Null);
                if let Some(obj) = v.as_object_mut() {
                    obj.insert("instructions".into(), json!(instructions));
                }
                v
            })
            .collect();
        Ok(json!({
            "connectorId": connector.id,
            "connectorName": connector.name,
            "authenticationTypes": types,
            "verifiedWith": connector.verify_action,
        }))
    }

    /// `create_credential_alloy`. A key-like credential (`apiKey`, `bearer`, `basic`) is
    /// checked with the connector's verification action when it has one, stored sealed, and
    /// answered with its metadata. An `oauth2` request answers with the provider's
    /// authorization URL; the credential is created by the callback.
    pub async fn create(
        &self,
        caller: &Caller,
        request: NewCredentialRequest,
    ) -> Result<Value, Error> {
        let connector = self
            .inner
            .registry
            .connector(&request.connector_id)
            .map_err(connector_error)?;
        let metas = connector.credential_metadata();
        let accepted: Vec<&str> = metas.iter().map(|m| m.auth_type.as_str()).collect();
        let wrong_type = |message: String| {
            field_error(
                ErrorCode::InvalidEnumValue,
                "authenticationType",
                "enum",
                json!(accepted),
                message,
            )
        };
        let auth_type: AuthType = request.authentication_type.parse().map_err(|_| {
            wrong_type(format!(
                "Unknown authenticationType; connector '{}' accepts: {}",
                connector.id,
                accepted.join(", ")
            ))
        })?;
        let meta = metas
            .iter()
            .find(|m| m.auth_type == auth_type)
            .ok_or_else(|| {
                wrong_type(format!(
                    "Connector '{}' does not accept {auth_type} credentials; it accepts: {}",
                    connector.id,
                    if accepted.is_empty() {
                        "none (its actions need no credential)".to_owned()
                    } else {
                        accepted.join(", ")
                    }
                ))
            })?;
        let fields = fields::validate(connector, meta, &request.fields)?;
        if auth_type == AuthType::OAuth2 {
            return self
                .start_authorization(caller, connector, fields, request.redirect_uri.as_deref())
                .await;
        }
        let material = CredentialMaterial::new(auth_type, fields.clone());
        let verification = self.verify(connector, &material).await?;
        let record = self
            .insert(NewCredential {
                credential_id: String::new(),
                account_id: caller.account_id.clone(),
                user_id: caller.user_id.clone(),
                connector_id: connector.id.clone(),
                auth_type: auth_type.as_str().to_owned(),
                secret: SecretFields(fields),
                refreshable: false,
                expires_at: None,
            })
            .await?;
        tracing::info!(
            account = %caller.account_id, connector = %connector.id,
            credential = %record.credential_id, auth_type = %auth_type, "credential created"
        );
        let mut v = view(&record);
        if let Some(obj) = v.as_object_mut() {
            let (verified, message) = match verification {
                Verification::Verified(action) => (
                    json!(true),
                    format!(
                        "Credential created and verified with '{action}'. Pass credentialId \
                         to execute_action_alloy, or omit it to use the newest credential."
                    ),
                ),
                Verification::NotAvailable => (
                    Value::Null,
                    "Credential created. The connector has no verification action, so the \
                     platform checks it on first use."
                        .to_owned(),
                ),
                Verification::Unchecked(why) => (
                    json!(false),
                    format!(
                        "Credential created, but it could not be verified now ({why}); the \
                         platform checks it on first use."
                    ),
                ),
            };
            obj.insert("verified".into(), verified);
            obj.insert("message".into(), json!(message));
        }
        Ok(v)
    }

    /// Stores a credential under a fresh ID (retrying the rare collision).
    async fn insert(&self, mut new: NewCredential) -> Result<CredentialRecord, Error> {
        for _ in 0..ID_ATTEMPTS {
            new.credential_id = generate_credential_id();
            match self.inner.db.credentials().insert(new.clone()).await {
                Err(alloy_storage::Error::Duplicate("credential id")) => continue,
                other => return Ok(other?),
            }
        }
        Err(Error::Internal(format!(
            "no free credential id after {ID_ATTEMPTS} attempts"
        )))
    }

    /// Runs the connector's verification action once with a new credential.
    async fn verify(
        &self,
        connector: &Connector,
        material: &CredentialMaterial,
    ) -> Result<Verification, Error> {
        let Some(action_id) = connector.verify_action.as_deref() else {
            return Ok(Verification::NotAvailable);
        };
        // Imported connectors hold summaries: the check needs the whole action.
        let Ok(action) = self
            .inner
            .registry
            .action_details(&connector.id, action_id)
            .await
        else {
            return Ok(Verification::NotAvailable);
        };
        let action = action.as_ref();
        let options =
            ExecuteOptions::from_timeout_ms(Some(VERIFY_TIMEOUT_MS)).map_err(connector_error)?;
        match self
            .inner
            .executor
            .execute(connector, action, &json!({}), material, options)
            .await
        {
            Ok(_) => Ok(Verification::Verified(action_id.to_owned())),
            Err(e) if e.code() == ErrorCode::CredentialInvalid => {
                let details = e.details();
                let upstream = match (
                    details.get("upstreamStatus").and_then(Value::as_u64),
                    details.get("upstreamMessage").and_then(Value::as_str),
                ) {
                    (Some(status), Some(msg)) => {
                        format!(" (HTTP {status}: {})", oauth::shorten(msg))
                    }
                    (Some(status), None) => format!(" (HTTP {status})"),
                    _ => format!(" ({e})"),
                };
                Err(ApiError::new(
                    ErrorCode::CredentialInvalid,
                    format!(
                        "{} rejected this credential when it was checked with '{action_id}'{upstream}. \
                         Check the values and call create_credential_alloy again.",
                        connector.name
                    ),
                )
                .with_details(json!({
                    "connectorId": connector.id,
                    "verifyAction": action_id,
                    "upstreamStatus": details.get("upstreamStatus"),
                }))
                .into())
            }
            Err(e) => {
                tracing::info!(connector = %connector.id, code = %e.code(), "credential not verified");
                Ok(Verification::Unchecked(e.code().as_str().to_owned()))
            }
        }
    }

    /// Begins the authorization-code flow: a single-use `state` bound to the caller, the
    /// connector and the redirect URI, a PKCE verifier kept server-side, and the provider's
    /// authorization URL.
    async fn start_authorization(
        &self,
        caller: &Caller,
        connector: &Connector,
        fields: BTreeMap<String, String>,
        redirect_uri: Option<&str>,
    ) -> Result<Value, Error> {
        let endpoints = oauth_endpoints(connector)?;
        let app = self
            .inner
            .db
            .oauth_apps()
            .get(&caller.account_id, &connector.id)
            .await?
            .ok_or_else(|| {
                Error::Api(
                    ApiError::new(
                        ErrorCode::InvalidRequest,
                        format!(
                            "OAuth 2.0 is not set up for connector '{}' in this account: an \
                             operator must first register an OAuth app with PUT \
                             /api/oauth-apps/{} (client ID and secret from the platform's \
                             developer console).",
                            connector.id, connector.id
                        ),
                    )
                    .with_details(
                        json!({ "connectorId": connector.id, "authenticationType": "oauth2" }),
                    ),
                )
            })?;
        let app = OAuthApp::from_record(app)?;
        let redirect_uri = redirect_uri.map(validate_redirect_uri).transpose()?;
        let authorization_url =
            fields::fill_url_template(connector, endpoints.authorization_url, &fields)?;
        fields::fill_url_template(connector, endpoints.token_url, &fields)?;
        let mut url = url::Url::parse(&authorization_url).map_err(|_| {
            Error::Internal(format!(
                "authorization URL of connector {} is not a URL",
                connector.id
            ))
        })?;
        let scopes: Vec<&str> = match &app.settings.scopes {
            Some(s) => s.iter().map(String::as_str).collect(),
            None => endpoints.scopes.clone(),
        };
        let state = oauth::random_token();
        let verifier = oauth::random_token();
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("response_type", "code")
                .append_pair("client_id", &app.client_id)
                .append_pair("redirect_uri", &self.inner.callback_url);
            if !scopes.is_empty() {
                q.append_pair("scope", &scopes.join(&app.settings.scope_separator));
            }
            q.append_pair("state", &state)
                .append_pair("code_challenge", &oauth::pkce_challenge(&verifier))
                .append_pair("code_challenge_method", "S256");
            for (k, v) in &app.settings.authorization_params {
                q.append_pair(k, v);
            }
        }
        let now = Utc::now();
        let expires_at = now
            + chrono::Duration::from_std(STATE_TTL)
                .unwrap_or_else(|_| chrono::Duration::minutes(10));
        let states = self.inner.db.oauth_states();
        // Abandoned authorizations are cleared as new ones start; no background task needed.
        states
            .purge_expired(now - chrono::Duration::hours(1))
            .await?;
        states
            .insert(NewOAuthState {
                state: state.clone(),
                account_id: caller.account_id.clone(),
                user_id: caller.user_id.clone(),
                connector_id: connector.id.clone(),
                redirect_uri: redirect_uri.clone(),
                payload: json!({ "codeVerifier": verifier, "fields": fields }),
                expires_at,
            })
            .await?;
        let then = match &redirect_uri {
            Some(r) => format!(
                "the browser returns to {r} with credentialId in the query, and the credential \
                 is ready"
            ),
            None => "the credential is ready; call get_credentials_alloy to see its \
                     credentialId"
                .to_owned(),
        };
        Ok(json!({
            "connectorId": connector.id,
            "type": "oauth2",
            "status": "pending_authorization",
            "authorizationUrl": url.to_string(),
            "state": state,
            "expiresAt": timestamp(expires_at),
            "redirectUri": redirect_uri,
            "message": format!(
                "Ask the user to open authorizationUrl in a browser within 10 minutes and \
                 approve access to {}. When they have, {then}.",
                connector.name
            ),
        }))
    }

    /// `GET /oauth/callback`: consumes the `state` (once, on any replica), exchanges the code
    /// with the PKCE verifier, stores the tokens, and sends the browser on.
    pub async fn oauth_callback(&self, query: &[(String, String)]) -> CallbackOutcome {
        let get = |name: &str| {
            query
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
                .filter(|v| !v.is_empty())
        };
        let Some(state) = get("state").filter(|s| s.len() <= 512) else {
            return CallbackOutcome::Page {
                status: 400,
                message: "This address completes an OAuth authorization, but the request has \
                          no state. Start again with create_credential_alloy."
                    .to_owned(),
            };
        };
        let record = match self.inner.db.oauth_states().consume(state).await {
            Ok(ConsumedState::Valid(record)) => record,
            Ok(ConsumedState::Expired(record)) => {
                return self.callback_failure(
                    &record,
                    "expired_state",
                    "The authorization was not completed within 10 minutes and has expired. \
                     Start again with create_credential_alloy.",
                );
            }
            Ok(ConsumedState::Unknown) => {
                return CallbackOutcome::Page {
                    status: 400,
                    message: "This authorization link is invalid or has already been used. \
                              Start again with create_credential_alloy."
                        .to_owned(),
                };
            }
            Err(e) => {
                tracing::error!(error = %e, "OAuth state could not be read");
                return CallbackOutcome::Page {
                    status: 500,
                    message: "The authorization could not be completed because of a server \
                              error. Start again with create_credential_alloy."
                        .to_owned(),
                };
            }
        };
        if let Some(error) = get("error") {
            let description = get("error_description")
                .map(oauth::shorten)
                .unwrap_or_else(|| "access was not granted".to_owned());
            return self.callback_failure(
                &record,
                &oauth::shorten(error),
                &format!("The platform did not authorize access: {description}."),
            );
        }
        let Some(code) = get("code") else {
            return self.callback_failure(
                &record,
                "invalid_request",
                "The platform's answer has no authorization code.",
            );
        };
        match self.complete_authorization(&record, code).await {
            Ok(credential_id) => {
                tracing::info!(
                    account = %record.account_id, connector = %record.connector_id,
                    credential = %credential_id, "OAuth credential created"
                );
                match &record.redirect_uri {
                    Some(uri) => CallbackOutcome::Redirect {
                        location: with_query(
                            uri,
                            &[
                                ("credentialId", &credential_id),
                                ("connectorId", &record.connector_id),
                            ],
                        ),
                    },
                    None => CallbackOutcome::Page {
                        status: 200,
                        message: format!(
                            "Authorization complete. Credential {credential_id} for \
                             {} is ready; you can close this window.",
                            record.connector_id
                        ),
                    },
                }
            }
            Err((error, message)) => {
                tracing::warn!(
                    account = %record.account_id, connector = %record.connector_id,
                    %error, "OAuth authorization failed"
                );
                self.callback_failure(&record, &error, &message)
            }
        }
    }

    fn callback_failure(
        &self,
        record: &OAuthStateRecord,
        error: &str,
        message: &str,
    ) -> CallbackOutcome {
        match &record.redirect_uri {
            Some(uri) => CallbackOutcome::Redirect {
                location: with_query(
                    uri,
                    &[
                        ("error", error),
                        ("error_description", message),
                        ("connectorId", &record.connector_id),
                    ],
                ),
            },
            None => CallbackOutcome::Page {
                status: 400,
                message: format!("Authorization failed ({error}): {message}"),
            },
        }
    }

    /// Exchanges the code and stores the credential; `Err((error code, message))`.
    async fn complete_authorization(
        &self,
        record: &OAuthStateRecord,
        code: &str,
    ) -> Result<String, (String, String)> {
        let server_error = |e: &dyn std::fmt::Display| {
            tracing::error!(error = %e, "OAuth callback failed");
            (
                "server_error".to_owned(),
                "The credential could not be stored because of a server error.".to_owned(),
            )
        };
        let connector = self
            .inner
            .registry
            .connector(&record.connector_id)
            .map_err(|_| {
                (
                    "connector_unavailable".to_owned(),
                    format!(
                        "Connector '{}' is no longer available.",
                        record.connector_id
                    ),
                )
            })?;
        let endpoints = oauth_endpoints(connector).map_err(|e| server_error(&e))?;
        let app = match self
            .inner
            .db
            .oauth_apps()
            .get(&record.account_id, &connector.id)
            .await
        {
            Ok(Some(app)) => OAuthApp::from_record(app).map_err(|e| server_error(&e))?,
            Ok(None) => {
                return Err((
                    "oauth_app_removed".to_owned(),
                    format!(
                        "The OAuth app for '{}' was removed meanwhile.",
                        connector.id
                    ),
                ));
            }
            Err(e) => return Err(server_error(&e)),
        };
        let fields: BTreeMap<String, String> =
            serde_json::from_value(record.payload["fields"].clone()).unwrap_or_default();
        let Some(verifier) = record.payload["codeVerifier"].as_str() else {
            return Err(server_error(&"OAuth state without a verifier"));
        };
        let token_url = fields::fill_url_template(connector, endpoints.token_url, &fields)
            .map_err(|e| server_error(&e))?;
        let tokens = self.tokens().map_err(|e| server_error(&e))?;
        let auth = ClientAuth {
            client_id: &app.client_id,
            client_secret: app.client_secret.as_deref(),
            settings: &app.settings,
        };
        let set = tokens
            .exchange_code(&token_url, &auth, code, &self.inner.callback_url, verifier)
            .await
            .map_err(|e| {
                (
                    "token_exchange_failed".to_owned(),
                    format!(
                        "The platform refused to exchange the authorization code ({}).",
                        e.describe()
                    ),
                )
            })?;
        let refreshable = set.refresh_token.is_some();
        let expires_at = expiry(set.expires_in);
        let secret = secret_with_tokens(fields, set);
        let stored = self
            .insert(NewCredential {
                credential_id: String::new(),
                account_id: record.account_id.clone(),
                user_id: record.user_id.clone(),
                connector_id: connector.id.clone(),
                auth_type: AuthType::OAuth2.as_str().to_owned(),
                secret,
                refreshable,
                expires_at,
            })
            .await
            .map_err(|e| server_error(&e))?;
        Ok(stored.credential_id)
    }

    /// `get_credentials_alloy`: the caller's credentials (of one connector, or all), newest
    /// first, metadata only.
    pub async fn list(&self, caller: &Caller, connector_id: Option<&str>) -> Result<Value, Error> {
        self.list_page(
            caller,
            connector_id,
            Page {
                limit: MAX_LIMIT,
                offset: 0,
            },
        )
        .await
    }

    /// One page of [`list`](Self::list), with `total`, `limit`, `offset` and `hasMore`.
    pub async fn list_page(
        &self,
        caller: &Caller,
        connector_id: Option<&str>,
        page: Page,
    ) -> Result<Value, Error> {
        if let Some(c) = connector_id {
            self.inner.registry.connector(c).map_err(connector_error)?;
        }
        let (records, total) = self
            .inner
            .db
            .credentials()
            .list(
                &caller.account_id,
                &caller.user_id,
                connector_id,
                page.limit,
                page.offset,
            )
            .await?;
        let count = records.len() as u64;
        let mut out = json!({
            "credentials": records.iter().map(view).collect::<Vec<_>>(),
            "count": count,
            "total": total,
            "limit": page.limit,
            "offset": page.offset,
            "hasMore": page.offset + count < total,
        });
        if let (Some(c), Some(obj)) = (connector_id, out.as_object_mut()) {
            obj.insert("connectorId".into(), json!(c));
            if total == 0 {
                obj.insert(
                    "message".into(),
                    json!(format!(
                        "No credentials for '{c}'. Call create_credential_alloy to create one."
                    )),
                );
            }
        }
        Ok(out)
    }

    /// One of the caller's credentials (metadata only).
    pub async fn get(&self, caller: &Caller, credential_id: &str) -> Result<Value, Error> {
        Ok(view(&self.owned(caller, credential_id).await?))
    }

    /// The caller's credential with this ID; `CREDENTIAL_NOT_FOUND` for any other (unknown, or
    /// another user's or account's: they do not exist for this caller).
    async fn owned(&self, caller: &Caller, credential_id: &str) -> Result<CredentialRecord, Error> {
        let id = normalize_id(credential_id)?;
        self.inner
            .db
            .credentials()
            .get(&caller.account_id, &caller.user_id, &id)
            .await?
            .ok_or_else(|| not_found(Some(&id), None))
    }

    /// Revokes (deletes) one of the caller's credentials.
    pub async fn delete(&self, caller: &Caller, credential_id: &str) -> Result<Value, Error> {
        let id = normalize_id(credential_id)?;
        if !self
            .inner
            .db
            .credentials()
            .delete(&caller.account_id, &caller.user_id, &id)
            .await?
        {
            return Err(not_found(Some(&id), None));
        }
        tracing::info!(account = %caller.account_id, credential = %id, "credential deleted");
        Ok(json!({ "message": "Credential deleted", "credentialId": id }))
    }

    /// `DELETE /api/users/:userId`: removes a user's credentials, pending authorizations and
    /// servers. An API key may remove any user of its account; a user token only its own user.
    pub async fn delete_user_data(&self, caller: &Caller, user_id: &str) -> Result<Value, Error> {
        validate_user_id("userId", user_id)?;
        if !caller.is_api_key() && caller.user_id != user_id {
            return Err(
                ApiError::forbidden("A user token may delete only its own user's data").into(),
            );
        }
        let db = &self.inner.db;
        let credentials = db
            .credentials()
            .delete_all_of_user(&caller.account_id, user_id)
            .await?;
        db.oauth_states()
            .delete_all_of_user(&caller.account_id, user_id)
            .await?;
        let mut servers = 0u64;
        loop {
            let (page, _) = db
                .servers()
                .list(&caller.account_id, user_id, MAX_LIMIT, 0)
                .await?;
            if page.is_empty() {
                break;
            }
            for s in page {
                if db.servers().delete(&s.server_id).await? {
                    servers += 1;
                }
            }
        }
        tracing::info!(account = %caller.account_id, credentials, servers, "user data deleted");
        Ok(json!({
            "message": "User data deleted",
            "userId": user_id,
            "credentialsDeleted": credentials,
            "serversDeleted": servers,
        }))
    }

    /// Chooses the credential for an action on `connector_id`: `explicit` (the `credentialId`
    /// argument, else `x-credential-id`), else the caller's newest usable credential for the
    /// connector. An OAuth token about to expire is refreshed first.
    pub async fn resolve(
        &self,
        caller: &Caller,
        connector_id: &str,
        explicit: Option<&str>,
    ) -> Result<ResolvedCredential, Error> {
        self.inner
            .registry
            .connector(connector_id)
            .map_err(connector_error)?;
        let repo = self.inner.db.credentials();
        let (record, secret) = match explicit {
            Some(id) => {
                let id = normalize_id(id)?;
                let found = repo
                    .get_with_secret(&caller.account_id, &caller.user_id, &id)
                    .await?
                    .ok_or_else(|| not_found(Some(&id), Some(connector_id)))?;
                if found.0.connector_id != connector_id {
                    return Err(field_error(
                        ErrorCode::ValidationError,
                        "credentialId",
                        "connector",
                        json!(connector_id),
                        format!(
                            "Credential '{id}' belongs to connector '{}', not '{connector_id}'; \
                             pass a credential of '{connector_id}' or omit credentialId",
                            found.0.connector_id
                        ),
                    ));
                }
                found
            }
            None => repo
                .newest_usable(&caller.account_id, &caller.user_id, connector_id)
                .await?
                .ok_or_else(|| not_found(None, Some(connector_id)))?,
        };
        if record.status == CredentialStatus::NeedsReauthorization {
            return Err(needs_reauthorization(
                &record,
                "the platform no longer accepts its tokens",
            ));
        }
        let now = Utc::now();
        let due = record.auth_type == AuthType::OAuth2.as_str()
            && record.expires_at.is_some_and(|t| t - now <= margin());
        if !due {
            return Ok(ResolvedCredential {
                material: material(&record, &secret)?,
                credential_id: record.credential_id,
            });
        }
        let expired = record.expires_at.is_some_and(|t| t <= now);
        if !record.refreshable {
            if !expired {
                return Ok(ResolvedCredential {
                    material: material(&record, &secret)?,
                    credential_id: record.credential_id,
                });
            }
            self.mark_needs_reauthorization(&record).await?;
            return Err(needs_reauthorization(
                &record,
                "its access token expired and the platform issued no refresh token",
            ));
        }
        match self
            .refresh_locked(caller, &record.credential_id, false)
            .await
        {
            Ok((record, secret)) => Ok(ResolvedCredential {
                material: material(&record, &secret)?,
                credential_id: record.credential_id,
            }),
            Err(RefreshFailure::Unavailable(why)) if !expired => {
                // The token still works for a little while; the next use tries again.
                tracing::warn!(credential = %record.credential_id, %why, "early OAuth refresh failed");
                Ok(ResolvedCredential {
                    material: material(&record, &secret)?,
                    credential_id: record.credential_id,
                })
            }
            Err(RefreshFailure::Unavailable(why)) => Err(unavailable(&record, &why)),
            Err(RefreshFailure::Reauthorize(e) | RefreshFailure::Other(e)) => Err(e),
        }
    }

    /// Called once after the platform answered 401 with this credential: an OAuth credential
    /// is refreshed (unless another request just did) and its new material returned. A refresh
    /// the provider refuses marks the credential as needing re-authorization and answers
    /// `CREDENTIAL_INVALID` saying so; a key-like credential answers `CREDENTIAL_INVALID`.
    pub async fn refresh_after_unauthorized(
        &self,
        caller: &Caller,
        credential_id: &str,
    ) -> Result<CredentialMaterial, Error> {
        let record = self.owned(caller, credential_id).await?;
        let id = record.credential_id.clone();
        if record.auth_type != AuthType::OAuth2.as_str() {
            return Err(ApiError::new(
                ErrorCode::CredentialInvalid,
                format!(
                    "The platform rejected credential '{id}' ({} for '{}'). It may have been \
                     revoked or lack permissions: call create_credential_alloy to store a \
                     working one.",
                    record.auth_type, record.connector_id
                ),
            )
            .with_details(json!({ "credentialId": id, "connectorId": record.connector_id }))
            .into());
        }
        if record.status == CredentialStatus::NeedsReauthorization {
            return Err(needs_reauthorization(
                &record,
                "the platform no longer accepts its tokens",
            ));
        }
        if !record.refreshable {
            self.mark_needs_reauthorization(&record).await?;
            return Err(needs_reauthorization(
                &record,
                "the platform rejected its access token and issued no refresh token",
            ));
        }
        match self.refresh_locked(caller, &id, true).await {
            Ok((record, secret)) => material(&record, &secret),
            Err(RefreshFailure::Unavailable(why)) => Err(unavailable(&record, &why)),
            Err(RefreshFailure::Reauthorize(e) | RefreshFailure::Other(e)) => Err(e),
        }
    }

    async fn mark_needs_reauthorization(&self, record: &CredentialRecord) -> Result<(), Error> {
        self.inner
            .db
            .credentials()
            .set_status(
                &record.credential_id,
                record.version,
                CredentialStatus::NeedsReauthorization,
            )
            .await?;
        tracing::warn!(
            credential = %record.credential_id, connector = %record.connector_id,
            "credential needs re-authorization"
        );
        Ok(())
    }

    /// Refreshes under this replica's lock for the credential. With `force` false the refresh
    /// is skipped when the token is no longer due (another request refreshed it meanwhile);
    /// with `force` true (after a 401) it is skipped only when a refresh just happened.
    async fn refresh_locked(
        &self,
        caller: &Caller,
        credential_id: &str,
        force: bool,
    ) -> Result<(CredentialRecord, SecretFields), RefreshFailure> {
        let lock = self
            .inner
            .refresh_locks
            .entry(credential_id.to_owned())
            .or_default()
            .clone();
        let result = {
            let _guard = lock.lock().await;
            self.refresh_if_still_needed(caller, credential_id, force)
                .await
        };
        drop(lock);
        self.inner
            .refresh_locks
            .remove_if(credential_id, |_, l| Arc::strong_count(l) == 1);
        result
    }

    async fn refresh_if_still_needed(
        &self,
        caller: &Caller,
        credential_id: &str,
        force: bool,
    ) -> Result<(CredentialRecord, SecretFields), RefreshFailure> {
        let repo = self.inner.db.credentials();
        let (record, secret) = repo
            .get_with_secret(&caller.account_id, &caller.user_id, credential_id)
            .await?
            .ok_or_else(|| RefreshFailure::Other(not_found(Some(credential_id), None)))?;
        if record.status == CredentialStatus::NeedsReauthorization {
            return Err(RefreshFailure::Reauthorize(needs_reauthorization(
                &record,
                "the platform no longer accepts its tokens",
            )));
        }
        let now = Utc::now();
        let skip = if force {
            record.refreshed_at.is_some_and(|t| {
                now - t < chrono::Duration::from_std(RECENT_REFRESH).unwrap_or_default()
            })
        } else {
            record.expires_at.is_none_or(|t| t - now > margin())
        };
        if skip {
            return Ok((record, secret));
        }
        self.refresh(record, secret).await
    }

    /// One refresh at the token endpoint, stored with a version check.
    async fn refresh(
        &self,
        record: CredentialRecord,
        secret: SecretFields,
    ) -> Result<(CredentialRecord, SecretFields), RefreshFailure> {
        let repo = self.inner.db.credentials();
        let reread = || async {
            repo.get_with_secret(&record.account_id, &record.user_id, &record.credential_id)
                .await?
                .ok_or_else(|| RefreshFailure::Other(not_found(Some(&record.credential_id), None)))
        };
        let Some(refresh_token) = secret.get("refreshToken") else {
            self.mark_needs_reauthorization(&record)
                .await
                .map_err(RefreshFailure::Other)?;
            return Err(RefreshFailure::Reauthorize(needs_reauthorization(
                &record,
                "the platform issued no refresh token",
            )));
        };
        let connector = self
            .inner
            .registry
            .connector(&record.connector_id)
            .map_err(|e| RefreshFailure::Other(connector_error(e)))?;
        let endpoints = oauth_endpoints(connector).map_err(RefreshFailure::Other)?;
        let Some(app) = self
            .inner
            .db
            .oauth_apps()
            .get(&record.account_id, &connector.id)
            .await?
        else {
            self.mark_needs_reauthorization(&record)
                .await
                .map_err(RefreshFailure::Other)?;
            return Err(RefreshFailure::Reauthorize(needs_reauthorization(
                &record,
                "the OAuth app of this connector was removed",
            )));
        };
        let app = OAuthApp::from_record(app).map_err(RefreshFailure::Other)?;
        let token_url = fields::fill_url_template(connector, endpoints.refresh_url, &secret.0)
            .map_err(RefreshFailure::Other)?;
        let tokens = self.tokens().map_err(RefreshFailure::Other)?;
        let auth = ClientAuth {
            client_id: &app.client_id,
            client_secret: app.client_secret.as_deref(),
            settings: &app.settings,
        };
        match tokens.refresh(&token_url, &auth, refresh_token).await {
            Ok(set) => {
                let expires_at = expiry(set.expires_in);
                let new_secret = secret_with_tokens(secret.0.clone(), set);
                let refreshable = new_secret.get("refreshToken").is_some();
                // Losing the race means another replica stored fresher tokens: use those.
                repo.replace_secret(
                    &record.credential_id,
                    record.version,
                    RefreshedSecret {
                        secret: new_secret,
                        refreshable,
                        expires_at,
                    },
                )
                .await?;
                tracing::info!(credential = %record.credential_id, connector = %record.connector_id, "OAuth tokens refreshed");
                reread().await
            }
            Err(TokenError::Unavailable(why)) => Err(RefreshFailure::Unavailable(why)),
            Err(rejected @ TokenError::Rejected { .. }) => {
                // Another replica may have refreshed (rotating the refresh token) meanwhile.
                let (current, current_secret) = reread().await?;
                if current.version != record.version && current.status == CredentialStatus::Active {
                    return Ok((current, current_secret));
                }
                tracing::warn!(
                    credential = %record.credential_id, connector = %record.connector_id,
                    error = %rejected.describe(), "OAuth refresh rejected"
                );
                self.mark_needs_reauthorization(&record)
                    .await
                    .map_err(RefreshFailure::Other)?;
                Err(RefreshFailure::Reauthorize(needs_reauthorization(
                    &record,
                    &format!(
                        "the platform refused to refresh its tokens ({})",
                        rejected.describe()
                    ),
                )))
            }
        }
    }
}

/// The outcome of checking a new credential.
enum Verification {
    /// The verification action succeeded.
    Verified(String),
    /// The connector names no verification action.
    NotAvailable,
    /// The platform could not be asked (timeout, outage); the credential is stored anyway.
    Unchecked(String),
}

fn unavailable(record: &CredentialRecord, why: &str) -> Error {
    ApiError::new(
        ErrorCode::UpstreamError,
        format!(
            "The OAuth token of credential '{}' could not be refreshed now ({why}); try again \
             shortly.",
            record.credential_id
        ),
    )
    .with_details(
        json!({ "credentialId": record.credential_id, "connectorId": record.connector_id }),
    )
    .into()
}

/// Credential fields plus the tokens of a token answer (a missing refresh token keeps the old
/// one, as providers that do not rotate them send none).
fn secret_with_tokens(mut fields: BTreeMap<String, String>, set: TokenSet) -> SecretFields {
    fields.insert("accessToken".into(), set.access_token);
    if let Some(rt) = set.refresh_token {
        fields.insert("refreshToken".into(), rt);
    }
    if let Some(scope) = set.scope {
        fields.insert("scope".into(), scope);
    }
    SecretFields(fields)
}

/// `uri` with `pairs` added to its query.
fn with_query(uri: &str, pairs: &[(&str, &str)]) -> String {
    match url::Url::parse(uri) {
        Ok(mut u) => {
            {
                let mut q = u.query_pairs_mut();
                for (k, v) in pairs {
                    q.append_pair(k, v);
                }
            }
            u.to_string()
        }
        Err(_) => uri.to_owned(),
    }
}
