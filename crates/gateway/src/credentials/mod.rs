//! End users' platform credentials: what each connector needs, creating key-like credentials
//! (checked once against the platform) and OAuth 2.0 ones (authorization-code flow with PKCE),
//! listing them without secrets, choosing one for an action, and keeping OAuth tokens fresh.
//!
//! Every read and write is confined to the caller's (account, user). Secrets are sealed by the
//! storage layer under the credential ID and leave this module only as
//! [`CredentialMaterial`] for the executor; they never appear in a result, an error or a log.

mod apps;
mod authorization;
mod creation;
mod fields;
mod oauth;
/// PKCE and random values, shared with the gateway's own OAuth clients (single sign-on).
pub(crate) use oauth::{pkce_challenge, random_token};
mod refresh;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use alloy_connectors::{
    AuthSchemeKind, AuthType, Connector, CredentialMaterial, ExecuteOptions, Executor,
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

use crate::audit::{AuditEvent, AuditWriter, Outcome};
use crate::cache::AccessCache;
use crate::cache::changes::{Announcer, Change};
use crate::cache::credentials::{KeptCredential, owner_digest};
use crate::catalog::CatalogSlot;
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
    audit: AuditWriter,
    announcer: Announcer,
    /// The credentials warm calls use (see [`crate::cache::credentials`]).
    cache: Arc<AccessCache>,
    catalog: Arc<CatalogSlot>,
    executor: Executor,
    /// Made on first use: most servers never refresh a token, and a TLS client costs a few
    /// milliseconds of start-up (the system's root certificates) and memory.
    tokens: std::sync::OnceLock<Result<TokenEndpoint, String>>,
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
        // The one validation shape: the sentence is `details.message`.
        alloy_connectors::Error::Validation(_) => "Validation failed".to_owned(),
        other => other.to_string(),
    };
    let details = e.details();
    let mut error = ApiError::new(code, message);
    if !details.is_null() {
        error = error.with_details(details);
    }
    Error::Api(error)
}

/// A validation error with a specific code, in the one shape every validation error has:
/// `message` "Validation failed", and `details` naming the field, the rule, its limit and
/// the sentence that says what is wrong.
pub(crate) fn field_error(
    code: ErrorCode,
    field: &str,
    constraint: &str,
    value: Value,
    message: impl Into<String>,
) -> Error {
    Error::Api(ApiError::validation(FieldError::new(
        code,
        field,
        constraint,
        value,
        message.into(),
    )))
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

impl CredentialService {
    /// The service over a database, the connector catalog and the executor (for verifying
    /// new credentials). `public_url` is the base of the OAuth callback URL; what changes is
    /// recorded in `audit`, and servers deleted with a user announced through `announcer`.
    pub fn new(
        db: Database,
        catalog: Arc<CatalogSlot>,
        executor: Executor,
        public_url: &str,
        audit: AuditWriter,
        announcer: Announcer,
        cache: Arc<AccessCache>,
    ) -> Self {
        let callback_url = format!("{}/oauth/callback", public_url.trim_end_matches('/'));
        CredentialService {
            inner: Arc::new(Inner {
                apps: OAuthApps::new(
                    db.clone(),
                    Arc::clone(&catalog),
                    callback_url.clone(),
                    audit.clone(),
                ),
                audit,
                announcer,
                cache,
                db,
                catalog,
                executor,
                tokens: std::sync::OnceLock::new(),
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
            .get_or_init(|| {
                // Token endpoints come from documents and settings: the executor's address
                // rule holds.
                let executor = &self.inner.executor;
                let tokens = TokenEndpoint::new(executor.address_policy(), executor.extra_roots());
                if let Err(e) = &tokens {
                    tracing::error!(error = %e, "OAuth token client unavailable");
                }
                tokens
            })
            .as_ref()
            .map_err(|e| Error::Internal(e.clone()))
    }

    /// `get_credential_metadata_alloy`: the authentication types a connector accepts and, for
    /// each, the fields a credential needs.
    pub fn metadata(&self, connector_id: &str) -> Result<Value, Error> {
        let registry = self.inner.catalog.current();
        let connector = registry.connector(connector_id).map_err(connector_error)?;
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
            let registry = self.inner.catalog.current();
            registry.connector(c).map_err(connector_error)?;
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

    /// Forgets what this replica kept of an owner's credentials and tells the other replicas:
    /// called after every write of them, so that the next action reads them again.
    pub(super) async fn credentials_changed(&self, account_id: &str, user_id: &str) {
        self.inner
            .announcer
            .announce(Change::Credentials(owner_digest(account_id, user_id)))
            .await;
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
        self.credentials_changed(&caller.account_id, &caller.user_id)
            .await;
        tracing::info!(account = %caller.account_id, credential = %id, "credential deleted");
        self.inner.audit.record(
            AuditEvent::new("credential.deleted", Outcome::Ok)
                .by(caller)
                .credential(Some(&id)),
        );
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
        self.credentials_changed(&caller.account_id, user_id).await;
        db.oauth_states()
            .delete_all_of_user(&caller.account_id, user_id)
            .await?;
        db.authorization()
            .revoke_grants_where(&alloy_storage::GrantFilter {
                user: Some((&caller.account_id, user_id)),
                ..Default::default()
            })
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
                    self.inner
                        .announcer
                        .announce(Change::Server(s.server_id.clone()))
                        .await;
                }
            }
        }
        tracing::info!(account = %caller.account_id, credentials, servers, "user data deleted");
        self.inner.audit.record(
            AuditEvent::new("user.deleted", Outcome::Ok)
                .by(caller)
                .details(json!({
                    "userId": user_id,
                    "credentialsDeleted": credentials,
                    "serversDeleted": servers,
                })),
        );
        Ok(json!({
            "message": "User data deleted",
            "userId": user_id,
            "credentialsDeleted": credentials,
            "serversDeleted": servers,
        }))
    }
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
