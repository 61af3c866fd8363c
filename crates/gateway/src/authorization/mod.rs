//! The gateway as an OAuth 2.1 authorization server for MCP clients (the MCP authorization
//! specification): metadata (RFC 8414, RFC 9728), dynamic client registration (RFC 7591), the
//! authorization code flow with PKCE S256 only, tokens bound to one MCP server (RFC 8707),
//! rotated refresh tokens whose reuse revokes the grant, and revocation (RFC 7009).
//!
//! Who signs in is decided by the sign-in form (an API key or user token, checked by the same
//! rules as the MCP endpoint's; a one-time sign-in link; or an external OpenID Connect provider),
//! so a grant stands for exactly what that sign-in could do on that server; revoking the key,
//! the grant, or turning single sign-on off ends it. The `approval` module holds the consent step.

mod access_tokens;
mod approval;
mod client_metadata;
mod grants;
mod request;
mod sign_in_links;
mod signed;
mod single_sign_on;
mod token_endpoint;

use std::sync::Arc;
use std::time::{Duration, Instant};

use alloy_storage::{Database, OAuthClientRecord};
use chrono::Utc;
use dashmap::DashMap;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::{Value, json};

pub use access_tokens::AccessClaims;
pub use approval::{Consent, SignIn, describe_restrictions};
pub use request::{AuthorizeError, AuthorizeParameters, AuthorizeRequest, SCOPE, redirect_matches};
pub use sign_in_links::{LINK_PREFIX, LinkRefusal};
pub use single_sign_on::{
    AccountMapping, SingleSignOnError, SingleSignOnIdentity, SingleSignOnSettings,
    provider_url_allowed,
};

use crate::audit::AuditWriter;
use crate::error::Error;
use crate::identity::{ApiKeyService, Caller, Principal};
use access_tokens::AccessTokens;

/// Settings of the authorization server.
#[derive(Debug, Clone)]
pub struct OAuthSettings {
    /// Access-token lifetime.
    pub access_token_ttl: Duration,
    /// Refresh-token lifetime.
    pub refresh_token_ttl: Duration,
    /// Whether clients may register themselves (RFC 7591).
    pub dynamic_registration: bool,
    /// Whether client IDs may be HTTPS URLs of client metadata documents.
    pub client_metadata_documents: bool,
    /// Whether such URLs may be plain `http` (tests, local development).
    pub client_metadata_http: bool,
    /// An external OpenID Connect provider users may sign in with, if any.
    pub single_sign_on: Option<SingleSignOnSettings>,
}

impl Default for OAuthSettings {
    fn default() -> Self {
        OAuthSettings {
            access_token_ttl: Duration::from_secs(600),
            refresh_token_ttl: Duration::from_secs(30 * 86_400),
            dynamic_registration: true,
            client_metadata_documents: true,
            client_metadata_http: false,
            single_sign_on: None,
        }
    }
}

/// What a server ID keeps as is in a URL path (and a quoted header value): RFC 3986's
/// unreserved characters; everything else is percent-encoded.
const PATH_SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// The `key_id` of grants made by single sign-on, which no API key stands behind: they last
/// while single sign-on stays configured.
pub(crate) const SSO_KEY_ID: &str = "sso";

/// The user-token ID of a caller signed in by a sign-in link.
pub(crate) const LINK_TOKEN_ID: &str = "sign-in-link";

/// Authorization codes live this long.
const CODE_TTL: chrono::Duration = chrono::Duration::seconds(60);

/// An OAuth error answer (RFC 6749 section 5.2): status, code and sentence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthError {
    /// HTTP status.
    pub status: u16,
    /// `error`.
    pub error: &'static str,
    /// `error_description`.
    pub description: String,
}

impl OAuthError {
    pub(crate) fn new(status: u16, error: &'static str, description: impl Into<String>) -> Self {
        OAuthError {
            status,
            error,
            description: description.into(),
        }
    }

    /// The answer's body.
    pub fn to_json(&self) -> Value {
        json!({ "error": self.error, "error_description": self.description })
    }
}

impl OAuthError {
    /// An error of the HTTP layer (a body too large, the wrong content type).
    pub fn new_public(status: u16, error: &'static str, description: impl Into<String>) -> Self {
        OAuthError::new(status, error, description)
    }
}

impl From<Error> for OAuthError {
    fn from(e: Error) -> Self {
        if e.is_internal() {
            tracing::error!(error = %e, "authorization server failed");
        }
        OAuthError::new(500, "server_error", "The request could not be completed")
    }
}

/// The authorization server.
#[derive(Clone)]
pub struct AuthorizationServer {
    db: Database,
    issuer: String,
    tokens: AccessTokens,
    keys: ApiKeyService,
    audit: AuditWriter,
    settings: OAuthSettings,
    client_metadata: client_metadata::ClientMetadata,
    recheck: Duration,
    /// The consent screen's sign-in tickets.
    tickets: signed::Signed,
    /// The external OpenID Connect provider, when configured.
    single_sign_on: Option<single_sign_on::SingleSignOn>,
    /// Grants known to be live, with when that was read (revocation elsewhere is seen within
    /// `recheck`, at once here).
    live: Arc<DashMap<String, Instant>>,
}

/// `prefix` and 32 random bytes in base64url (codes, refresh tokens, client IDs, links).
fn random_secret(prefix: &str) -> String {
    format!("{prefix}{}", crate::credentials::random_token())
}

impl AuthorizationServer {
    /// The issuer is the public URL; grants are rechecked as often as API keys are.
    pub(crate) fn new(
        db: Database,
        config: &crate::GatewayConfig,
        keys: ApiKeyService,
        audit: AuditWriter,
        addresses: Arc<alloy_connectors::AddressPolicy>,
        roots: &alloy_connectors::ExtraRoots,
    ) -> Self {
        let settings = config.oauth.clone();
        let issuer = config.public_url.as_str();
        let recheck = config.key_recheck_interval;
        let jwt_secret = config.jwt_secret.as_slice();
        let client_metadata = client_metadata::ClientMetadata::new(
            addresses,
            roots,
            settings.client_metadata_documents,
            settings.client_metadata_http,
        );
        let single_sign_on = settings
            .single_sign_on
            .clone()
            .map(|s| single_sign_on::SingleSignOn::new(s, issuer, jwt_secret, roots));
        AuthorizationServer {
            client_metadata,
            tickets: signed::Signed::new(jwt_secret, "sign-in-ticket+jwt"),
            single_sign_on,
            db,
            issuer: issuer.to_owned(),
            tokens: AccessTokens::new(jwt_secret, issuer, settings.access_token_ttl),
            keys,
            audit,
            settings,
            recheck,
            live: Arc::new(DashMap::new()),
        }
    }

    /// The issuer: the gateway's public URL.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The resource (RFC 8707) of an MCP server: its URL (the ID percent-encoded where a URL
    /// path needs it).
    pub fn resource_of(&self, server_id: &str) -> String {
        format!(
            "{}/mcp/{}",
            self.issuer,
            utf8_percent_encode(server_id, PATH_SEGMENT)
        )
    }

    /// The server an MCP server URL of this gateway names.
    pub fn server_of_resource(&self, resource: &str) -> Option<String> {
        let id = resource
            .trim_end_matches('/')
            .strip_prefix(&self.issuer)?
            .strip_prefix("/mcp/")?;
        if id.is_empty() || id.contains(['/', '?', '#']) {
            return None;
        }
        percent_encoding::percent_decode_str(id)
            .decode_utf8()
            .ok()
            .map(|d| d.into_owned())
    }

    /// Authorization Server Metadata (RFC 8414; also served as OpenID discovery).
    pub fn metadata(&self) -> Value {
        let at = |path: &str| format!("{}{path}", self.issuer);
        let mut m = json!({
            "issuer": self.issuer,
            "authorization_endpoint": at("/oauth/authorize"),
            "token_endpoint": at("/oauth/token"),
            "revocation_endpoint": at("/oauth/revoke"),
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "grant_types_supported": ["authorization_code", "refresh_token"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["none"],
            "revocation_endpoint_auth_methods_supported": ["none"],
            "scopes_supported": [SCOPE],
            "authorization_response_iss_parameter_supported": true,
            "client_id_metadata_document_supported": self.client_metadata.enabled(),
        });
        if self.settings.dynamic_registration {
            m["registration_endpoint"] = json!(at("/oauth/register"));
        }
        m
    }

    /// Protected Resource Metadata (RFC 9728) of one MCP server's URL. It is the same for a
    /// server that does not exist, so that it tells nothing about which servers do.
    pub fn protected_resource(&self, server_id: &str) -> Value {
        json!({
            "resource": self.resource_of(server_id),
            "authorization_servers": [self.issuer],
            "scopes_supported": [SCOPE],
            "bearer_methods_supported": ["header"],
            "resource_name": "Alloy MCP Server",
        })
    }

    /// The `WWW-Authenticate` challenge of a 401 on an MCP server's URL (RFC 9728 section 5.1);
    /// `invalid` when a credential was presented and refused.
    pub fn challenge(&self, server_id: &str, invalid: bool) -> String {
        let error = if invalid {
            "error=\"invalid_token\", "
        } else {
            ""
        };
        let id = utf8_percent_encode(server_id, PATH_SEGMENT);
        format!(
            "Bearer {error}resource_metadata=\"{}/.well-known/oauth-protected-resource/mcp/{id}\", scope=\"{SCOPE}\"",
            self.issuer
        )
    }

    /// Dynamic client registration (RFC 7591): public clients (no secret), exact redirect URIs.
    pub async fn register(&self, body: &Value) -> Result<Value, OAuthError> {
        if !self.settings.dynamic_registration {
            return Err(OAuthError::new(
                403,
                "access_denied",
                "Dynamic client registration is turned off on this gateway",
            ));
        }
        let bad = |m: &str| OAuthError::new(400, "invalid_client_metadata", m);
        // A field of the wrong type is refused, not taken as absent.
        for field in [
            "client_name",
            "application_type",
            "token_endpoint_auth_method",
        ] {
            if body.get(field).is_some_and(|v| !v.is_string()) {
                return Err(bad(&format!("{field} must be a string")));
            }
        }
        if !body.is_object() {
            return Err(bad("The body must be a JSON object"));
        }
        let uris: Vec<String> = body
            .get("redirect_uris")
            .and_then(Value::as_array)
            .ok_or_else(|| bad("redirect_uris is required: an array of URIs"))?
            .iter()
            .map(|u| u.as_str().map(str::to_owned))
            .collect::<Option<_>>()
            .ok_or_else(|| bad("redirect_uris must be strings"))?;
        if uris.is_empty() || uris.len() > 10 {
            return Err(OAuthError::new(
                400,
                "invalid_redirect_uri",
                "Between 1 and 10 redirect URIs",
            ));
        }
        for u in &uris {
            let parsed = url::Url::parse(u)
                .map_err(|_| OAuthError::new(400, "invalid_redirect_uri", "Not a URI"))?;
            let loopback = parsed.scheme() == "http"
                && matches!(parsed.host_str(), Some("127.0.0.1" | "[::1]" | "localhost"));
            let custom = !matches!(parsed.scheme(), "http" | "https");
            if parsed.fragment().is_some() || !(parsed.scheme() == "https" || loopback || custom) {
                return Err(OAuthError::new(
                    400,
                    "invalid_redirect_uri",
                    "Redirect URIs are https, loopback http, or an app's own scheme, without a fragment",
                ));
            }
        }
        let auth_method = body
            .get("token_endpoint_auth_method")
            .and_then(Value::as_str)
            .unwrap_or("none");
        if auth_method != "none" {
            return Err(bad(
                "Only public clients (token_endpoint_auth_method none, with PKCE) may register",
            ));
        }
        let name = body
            .get("client_name")
            .and_then(Value::as_str)
            .map(|n| n.chars().take(200).collect::<String>());
        let application_type = match body.get("application_type").and_then(Value::as_str) {
            None | Some("native") => "native",
            Some("web") => "web",
            Some(_) => return Err(bad("application_type is native or web")),
        };
        let client = OAuthClientRecord {
            client_id: random_secret("mcpc_"),
            client_name: name,
            redirect_uris: uris,
            application_type: application_type.to_owned(),
            created_at: Utc::now(),
        };
        self.db
            .authorization()
            .insert_client(&client)
            .await
            .map_err(Error::from)?;
        Ok(json!({
            "client_id": client.client_id,
            "client_id_issued_at": client.created_at.timestamp(),
            "client_name": client.client_name,
            "redirect_uris": client.redirect_uris,
            "application_type": client.application_type,
            "grant_types": ["authorization_code", "refresh_token"],
            "response_types": ["code"],
            "token_endpoint_auth_method": "none",
        }))
    }

    /// Checks an authorization request against its client and this gateway's servers.
    pub async fn check_request(
        &self,
        params: &AuthorizeParameters,
    ) -> Result<AuthorizeRequest, AuthorizeError> {
        let client = match params.client_id.as_deref() {
            Some(id) if client_metadata::is_url(id) => {
                match self.client_metadata.client(id).await {
                    Ok(c) => Some(c),
                    Err(why) => {
                        return Err(AuthorizeError::Page(format!(
                            "This client cannot be used: {why}."
                        )));
                    }
                }
            }
            Some(id) => self
                .db
                .authorization()
                .client(id)
                .await
                .unwrap_or_else(|e| {
                    tracing::error!(error = %e, "reading an OAuth client failed");
                    None
                }),
            None => None,
        };
        request::check(params, client.as_ref(), |r| self.server_of_resource(r))
    }

    /// Whether a grant is live (cached for the recheck interval).
    async fn grant_is_live(&self, grant_id: &str) -> Result<bool, Error> {
        if let Some(at) = self.live.get(grant_id)
            && at.elapsed() < self.recheck
        {
            return Ok(true);
        }
        let live = self
            .db
            .authorization()
            .grant(grant_id)
            .await?
            .is_some_and(|g| g.revoked_at.is_none());
        if live {
            self.live.insert(grant_id.to_owned(), Instant::now());
        } else {
            self.live.remove(grant_id);
        }
        Ok(live)
    }

    /// Revokes a grant here at once (elsewhere within the recheck interval).
    pub async fn revoke_grant(&self, grant_id: &str) -> Result<bool, Error> {
        self.live.remove(grant_id);
        Ok(self.db.authorization().revoke_grant(grant_id).await?)
    }

    /// The caller an access token stands for on `server_id`, or `None` when it is not a valid,
    /// live token for that server.
    pub async fn caller_of(&self, token: &str, server_id: &str) -> Result<Option<Caller>, Error> {
        let Some(claims) = self.tokens.verify(token, &self.resource_of(server_id)) else {
            return Ok(None);
        };
        if !self.grant_is_live(&claims.gid).await? || !self.backing_is_active(&claims.kid).await? {
            return Ok(None);
        }
        Ok(Some(Caller {
            account_id: claims.acct,
            user_id: claims.sub,
            principal: Principal::OAuthGrant {
                grant_id: claims.gid,
                key_id: claims.kid,
            },
        }))
    }

    /// Whether what a grant or sign-in rests on still holds: its API key is active, or (for
    /// single sign-on) single sign-on is still configured.
    pub(crate) async fn backing_is_active(&self, key_id: &str) -> Result<bool, Error> {
        if key_id == SSO_KEY_ID {
            return Ok(self.single_sign_on.is_some());
        }
        self.keys.is_active(key_id).await
    }

    /// Whether a bearer value is one of this server's access tokens (not an API key or user token).
    pub fn is_access_token(token: &str) -> bool {
        AccessTokens::is_access_token(token)
    }
}

/// `uri` with query parameters added (those `None` left out).
pub fn redirect_with(uri: &str, params: &[(&str, Option<&str>)]) -> String {
    match url::Url::parse(uri) {
        Ok(mut u) => {
            {
                let mut q = u.query_pairs_mut();
                for (k, v) in params {
                    if let Some(v) = v {
                        q.append_pair(k, v);
                    }
                }
            }
            u.into()
        }
        Err(_) => uri.to_owned(),
    }
}
