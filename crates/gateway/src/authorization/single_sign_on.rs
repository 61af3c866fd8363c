//! Single sign-on on the MCP sign-in page: an external OpenID Connect provider, configured by
//! the operator, vouches for the user (authorization code flow with PKCE, a confidential
//! client), and its ID token's claims name the gateway's account and user.
//!
//! Nothing is stored between the two legs: the authorization request, the OIDC `state`, the
//! `nonce` and the PKCE verifier travel in a signed, HttpOnly cookie of the browser that
//! started the sign-in, so the callback may land on any replica and a callback this browser did
//! not start (login CSRF) is refused. The ID token is checked against the provider's published
//! keys (asymmetric algorithms only), issuer, audience, expiry and nonce.

use std::sync::Arc;
use std::time::{Duration, Instant};

use alloy_domain::ApiError;
use base64::Engine;
use jsonwebtoken::{Algorithm, DecodingKey, Validation, jwk::JwkSet};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use tokio::sync::Mutex;

use super::signed::Signed;
use super::{AuthorizationServer, random_secret};
use crate::error::Error;
use crate::identity::{Caller, Principal};

/// How long the provider may take to answer one request.
const TIMEOUT: Duration = Duration::from_secs(10);
/// How long the provider's discovery document and keys are used before they are read again.
const KEPT_FOR: Duration = Duration::from_secs(3600);
/// A key ID the cached key set lacks triggers a new read, at most this often.
const REREAD_KEYS_AFTER: Duration = Duration::from_secs(30);
/// How long the user may stay at the provider.
const STATE_TTL_SECS: i64 = 600;
/// Tolerated clock skew with the provider.
const LEEWAY_SECS: u64 = 60;
/// The ID token algorithms accepted: the provider's published keys only, never a shared secret.
const ALGORITHMS: [Algorithm; 9] = [
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::PS256,
    Algorithm::PS384,
    Algorithm::PS512,
    Algorithm::ES256,
    Algorithm::ES384,
    Algorithm::EdDSA,
];

/// Which account a signed-in user belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccountMapping {
    /// Every user of the provider belongs to this account.
    Fixed(String),
    /// The ID token claim whose value is the account ID.
    Claim(String),
}

/// The external OpenID Connect provider (settings `ALLOY_OIDC_*`).
#[derive(Clone, PartialEq, Eq)]
pub struct SingleSignOnSettings {
    /// The provider's issuer URL (its discovery document is at
    /// `<issuer>/.well-known/openid-configuration`).
    pub issuer: String,
    /// The gateway's client ID at the provider.
    pub client_id: String,
    /// The gateway's client secret at the provider.
    pub client_secret: String,
    /// The provider's name on the sign-in button.
    pub display_name: String,
    /// The scopes asked for (`openid` is always among them).
    pub scopes: String,
    /// The account of a signed-in user.
    pub account: AccountMapping,
    /// The ID token claim whose value is the gateway's user ID (`email` needs
    /// `email_verified: true`).
    pub user_claim: String,
}

impl std::fmt::Debug for SingleSignOnSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SingleSignOnSettings")
            .field("issuer", &self.issuer)
            .field("client_id", &self.client_id)
            .field("client_secret", &"<redacted>")
            .field("display_name", &self.display_name)
            .field("scopes", &self.scopes)
            .field("account", &self.account)
            .field("user_claim", &self.user_claim)
            .finish()
    }
}

/// Whether a provider URL may be used: `https`, or plain `http` on a loopback host (a provider
/// run beside the gateway, and tests).
pub fn provider_url_allowed(url: &str) -> bool {
    match url::Url::parse(url) {
        Ok(u) if u.scheme() == "https" => u.host().is_some(),
        Ok(u) if u.scheme() == "http" => match u.host() {
            Some(url::Host::Domain(d)) => d == "localhost",
            Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
            Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
            None => false,
        },
        _ => false,
    }
}

/// A user the provider vouched for. Only a finished single sign-on makes one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SingleSignOnIdentity {
    account_id: String,
    user_id: String,
    subject: String,
}

impl SingleSignOnIdentity {
    /// The gateway user the provider's claims name.
    pub fn user_id(&self) -> &str {
        &self.user_id
    }
}

/// Why a single sign-on failed: the status and sentence for the sign-in page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SingleSignOnError {
    /// HTTP status.
    pub status: u16,
    /// What the user reads.
    pub message: String,
}

impl SingleSignOnError {
    fn new(status: u16, message: impl Into<String>) -> Self {
        SingleSignOnError {
            status,
            message: message.into(),
        }
    }

    fn unreachable(what: &str, detail: impl std::fmt::Display) -> Self {
        tracing::warn!(%detail, "single sign-on: {what}");
        SingleSignOnError::new(
            502,
            format!(
                "The sign-in provider could not be used ({what}). Try again, or sign in with a key."
            ),
        )
    }
}

/// The provider's discovery document, as far as it is used.
#[derive(Debug, Deserialize)]
struct Discovery {
    issuer: String,
    authorization_endpoint: String,
    token_endpoint: String,
    jwks_uri: String,
    #[serde(default)]
    token_endpoint_auth_methods_supported: Option<Vec<String>>,
}

/// What the state cookie carries from the start of a sign-in to its callback.
#[derive(Serialize, Deserialize)]
struct PendingSignIn {
    /// The MCP client's authorization request.
    request: Vec<(String, String)>,
    state: String,
    nonce: String,
    verifier: String,
}

/// A document read from the provider, and when: shared by every request of this replica.
type Kept<T> = Arc<Mutex<Option<(Instant, Arc<T>)>>>;

/// The client of the external provider.
#[derive(Clone)]
pub(crate) struct SingleSignOn {
    settings: SingleSignOnSettings,
    callback_url: String,
    http: reqwest::Client,
    pending: Signed,
    discovery: Kept<Discovery>,
    keys: Kept<JwkSet>,
}

fn pkce_challenge(verifier: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(verifier))
}

impl SingleSignOn {
    pub(crate) fn new(
        settings: SingleSignOnSettings,
        gateway_url: &str,
        jwt_secret: &[u8],
        roots: &alloy_connectors::ExtraRoots,
    ) -> Self {
        let http = roots
            .apply(reqwest::Client::builder())
            .redirect(reqwest::redirect::Policy::none())
            .timeout(TIMEOUT)
            .connect_timeout(TIMEOUT)
            .user_agent(concat!("alloy-mcp-server/", env!("CARGO_PKG_VERSION")))
            .build()
            .unwrap_or_default();
        SingleSignOn {
            settings,
            callback_url: format!("{gateway_url}/oauth/sso/callback"),
            http,
            pending: Signed::new(jwt_secret, "sso-state+jwt"),
            discovery: Arc::new(Mutex::new(None)),
            keys: Arc::new(Mutex::new(None)),
        }
    }

    async fn get_json(&self, url: &str, what: &str) -> Result<Value, SingleSignOnError> {
        if !provider_url_allowed(url) {
            return Err(SingleSignOnError::unreachable(
                what,
                format!("{url} is not https"),
            ));
        }
        let resp = self
            .http
            .get(url)
            .header("accept", "application/json")
            .send()
            .await
            .map_err(|e| SingleSignOnError::unreachable(what, e))?;
        if !resp.status().is_success() {
            return Err(SingleSignOnError::unreachable(
                what,
                format!("{url} answered {}", resp.status()),
            ));
        }
        resp.json()
            .await
            .map_err(|e| SingleSignOnError::unreachable(what, e))
    }

    async fn discovery(&self) -> Result<Arc<Discovery>, SingleSignOnError> {
        let mut kept = self.discovery.lock().await;
        if let Some((at, d)) = kept.as_ref()
            && at.elapsed() < KEPT_FOR
        {
            return Ok(Arc::clone(d));
        }
        let what = "its discovery document";
        let url = format!(
            "{}/.well-known/openid-configuration",
            self.settings.issuer.trim_end_matches('/')
        );
        let doc: Discovery = serde_json::from_value(self.get_json(&url, what).await?)
            .map_err(|e| SingleSignOnError::unreachable(what, e))?;
        if doc.issuer.trim_end_matches('/') != self.settings.issuer.trim_end_matches('/') {
            return Err(SingleSignOnError::unreachable(
                what,
                format!(
                    "it names the issuer {}, not {}",
                    doc.issuer, self.settings.issuer
                ),
            ));
        }
        let doc = Arc::new(doc);
        *kept = Some((Instant::now(), Arc::clone(&doc)));
        Ok(doc)
    }

    /// The provider's key for `kid`, reading the key set again when it lacks it.
    async fn key(
        &self,
        jwks_uri: &str,
        kid: Option<&str>,
    ) -> Result<DecodingKey, SingleSignOnError> {
        let mut kept = self.keys.lock().await;
        for attempt in 0..2 {
            let fresh = kept.as_ref().is_some_and(|(at, _)| {
                at.elapsed()
                    < if attempt == 0 {
                        KEPT_FOR
                    } else {
                        REREAD_KEYS_AFTER
                    }
            });
            if !fresh {
                let what = "its signing keys";
                let set: JwkSet = serde_json::from_value(self.get_json(jwks_uri, what).await?)
                    .map_err(|e| SingleSignOnError::unreachable(what, e))?;
                *kept = Some((Instant::now(), Arc::new(set)));
            }
            if let Some((_, set)) = kept.as_ref() {
                let jwk = match kid {
                    Some(kid) => set.find(kid),
                    None if set.keys.len() == 1 => set.keys.first(),
                    None => None,
                };
                if let Some(jwk) = jwk {
                    return DecodingKey::from_jwk(jwk)
                        .map_err(|e| SingleSignOnError::unreachable("its signing keys", e));
                }
            }
        }
        Err(SingleSignOnError::new(
            401,
            "The sign-in provider's answer could not be verified (unknown signing key).",
        ))
    }

    /// The start: where to send the browser, and the state cookie's value.
    pub(crate) async fn begin(
        &self,
        request: Vec<(String, String)>,
    ) -> Result<(String, String), SingleSignOnError> {
        let discovery = self.discovery().await?;
        let pending = PendingSignIn {
            request,
            state: random_secret(""),
            nonce: random_secret(""),
            verifier: random_secret(""),
        };
        let mut scopes: Vec<&str> = self.settings.scopes.split_whitespace().collect();
        if !scopes.contains(&"openid") {
            scopes.insert(0, "openid");
        }
        let mut url = url::Url::parse(&discovery.authorization_endpoint)
            .ok()
            .filter(|_| provider_url_allowed(&discovery.authorization_endpoint))
            .ok_or_else(|| {
                SingleSignOnError::unreachable("its authorization endpoint", "not an https URL")
            })?;
        url.query_pairs_mut()
            .append_pair("response_type", "code")
            .append_pair("client_id", &self.settings.client_id)
            .append_pair("redirect_uri", &self.callback_url)
            .append_pair("scope", &scopes.join(" "))
            .append_pair("state", &pending.state)
            .append_pair("nonce", &pending.nonce)
            .append_pair("code_challenge", &pkce_challenge(&pending.verifier))
            .append_pair("code_challenge_method", "S256");
        let cookie = self
            .pending
            .sign(&pending, STATE_TTL_SECS)
            .map_err(|e| SingleSignOnError::unreachable("signing the state", e))?;
        Ok((url.into(), cookie))
    }

    /// The callback: the state checked against this browser's cookie, the code exchanged, the ID
    /// token verified and mapped. Answers the MCP client's authorization request and the user.
    pub(crate) async fn finish(
        &self,
        query: &[(String, String)],
        cookie: Option<&str>,
    ) -> Result<(Vec<(String, String)>, SingleSignOnIdentity), SingleSignOnError> {
        let param = |name: &str| {
            query
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
        };
        let restart = || {
            SingleSignOnError::new(
                400,
                "This sign-in was not started in this browser, or took longer than 10 minutes. \
                 Start again from your MCP client.",
            )
        };
        let pending: PendingSignIn = cookie
            .and_then(|c| self.pending.verify(c))
            .ok_or_else(restart)?;
        let state_ok = param("state")
            .is_some_and(|s| bool::from(s.as_bytes().ct_eq(pending.state.as_bytes())));
        if !state_ok {
            return Err(restart());
        }
        if let Some(error) = param("error") {
            let said = param("error_description").unwrap_or(error);
            return Err(SingleSignOnError::new(
                403,
                format!("The sign-in provider did not sign you in: {said}"),
            ));
        }
        let code = param("code").ok_or_else(restart)?;
        let discovery = self.discovery().await?;
        let id_token = self.exchange(&discovery, code, &pending.verifier).await?;
        let claims = self.verify(&discovery, &id_token, &pending.nonce).await?;
        let identity = self.identity(&claims)?;
        Ok((pending.request, identity))
    }

    /// The code for the ID token, at the token endpoint, as a confidential client.
    async fn exchange(
        &self,
        discovery: &Discovery,
        code: &str,
        verifier: &str,
    ) -> Result<String, SingleSignOnError> {
        let what = "its token endpoint";
        if !provider_url_allowed(&discovery.token_endpoint) {
            return Err(SingleSignOnError::unreachable(what, "not an https URL"));
        }
        let mut form = vec![
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", self.callback_url.as_str()),
            ("code_verifier", verifier),
        ];
        // client_secret_basic unless the provider supports only client_secret_post.
        let methods = discovery.token_endpoint_auth_methods_supported.as_deref();
        let post_only = methods.is_some_and(|m| {
            !m.iter().any(|x| x == "client_secret_basic")
                && m.iter().any(|x| x == "client_secret_post")
        });
        let mut req = self.http.post(&discovery.token_endpoint);
        if post_only {
            form.push(("client_id", &self.settings.client_id));
            form.push(("client_secret", &self.settings.client_secret));
        } else {
            // RFC 6749 section 2.3.1: both form-encoded before Basic.
            let enc =
                |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
            let basic = base64::engine::general_purpose::STANDARD.encode(format!(
                "{}:{}",
                enc(&self.settings.client_id),
                enc(&self.settings.client_secret)
            ));
            req = req.header("authorization", format!("Basic {basic}"));
        }
        let resp = req
            .header("accept", "application/json")
            .form(&form)
            .send()
            .await
            .map_err(|e| SingleSignOnError::unreachable(what, e))?;
        let status = resp.status();
        let body: Value = resp
            .json()
            .await
            .map_err(|e| SingleSignOnError::unreachable(what, e))?;
        if !status.is_success() {
            let error = body
                .get("error")
                .and_then(Value::as_str)
                .unwrap_or("no error code");
            return Err(SingleSignOnError::unreachable(
                what,
                format!("{status}: {error}"),
            ));
        }
        body.get("id_token")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| SingleSignOnError::unreachable(what, "no id_token in its answer"))
    }

    /// The ID token's claims, once its signature, issuer, audience, expiry and nonce hold.
    async fn verify(
        &self,
        discovery: &Discovery,
        id_token: &str,
        nonce: &str,
    ) -> Result<Map<String, Value>, SingleSignOnError> {
        let refused = |why: &str| {
            tracing::warn!(why, "single sign-on: ID token refused");
            SingleSignOnError::new(
                401,
                format!("The sign-in provider's answer could not be verified ({why})."),
            )
        };
        let header = jsonwebtoken::decode_header(id_token).map_err(|_| refused("not a JWT"))?;
        if !ALGORITHMS.contains(&header.alg) {
            return Err(refused(
                "its algorithm is not one of the provider's key algorithms",
            ));
        }
        let key = self.key(&discovery.jwks_uri, header.kid.as_deref()).await?;
        let mut validation = Validation::new(header.alg);
        validation.set_issuer(&[&discovery.issuer]);
        validation.set_audience(&[&self.settings.client_id]);
        validation.set_required_spec_claims(&["exp", "iat", "iss", "aud", "sub"]);
        validation.leeway = LEEWAY_SECS;
        let claims = jsonwebtoken::decode::<Map<String, Value>>(id_token, &key, &validation)
            .map_err(|e| {
                tracing::warn!(error = %e, "single sign-on: ID token refused");
                refused("signature, issuer, audience or expiry")
            })?
            .claims;
        let nonce_ok = claims
            .get("nonce")
            .and_then(Value::as_str)
            .is_some_and(|n| bool::from(n.as_bytes().ct_eq(nonce.as_bytes())));
        if !nonce_ok {
            return Err(refused("nonce"));
        }
        // Several audiences: the authorized party must be this gateway (OIDC Core 3.1.3.7).
        if claims
            .get("aud")
            .and_then(Value::as_array)
            .is_some_and(|a| a.len() > 1)
            && claims.get("azp").and_then(Value::as_str) != Some(self.settings.client_id.as_str())
        {
            return Err(refused("authorized party"));
        }
        Ok(claims)
    }

    /// The account and user the claims name.
    fn identity(
        &self,
        claims: &Map<String, Value>,
    ) -> Result<SingleSignOnIdentity, SingleSignOnError> {
        let claim = |name: &str| {
            claims
                .get(name)
                .and_then(Value::as_str)
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
                .ok_or_else(|| {
                    SingleSignOnError::new(
                        403,
                        format!(
                            "The sign-in provider did not say who you are (no '{name}' claim)."
                        ),
                    )
                })
        };
        let user_claim = self.settings.user_claim.as_str();
        let user_id = claim(user_claim)?;
        if user_claim == "email" {
            let verified = match claims.get("email_verified") {
                Some(Value::Bool(b)) => *b,
                Some(Value::String(s)) => s == "true",
                _ => false,
            };
            if !verified {
                return Err(SingleSignOnError::new(
                    403,
                    "The sign-in provider has not verified your email address.",
                ));
            }
        }
        if let Err(e) = alloy_domain::ids::validate_user_id(user_claim, &user_id) {
            return Err(SingleSignOnError::new(
                403,
                format!(
                    "The user the sign-in provider names cannot be a user of this gateway: {}",
                    e.message
                ),
            ));
        }
        let account_id = match &self.settings.account {
            AccountMapping::Fixed(id) => id.clone(),
            AccountMapping::Claim(name) => claim(name)?,
        };
        Ok(SingleSignOnIdentity {
            account_id,
            user_id,
            subject: claim("sub")?,
        })
    }
}

impl AuthorizationServer {
    /// The provider's name for the sign-in button and the origin the browser will be sent to
    /// (its authorization endpoint's, or its issuer's while that is unknown), when single
    /// sign-on is configured.
    pub async fn single_sign_on_button(&self) -> Option<(String, String)> {
        let sso = self.single_sign_on.as_ref()?;
        let target = match sso.discovery().await {
            Ok(d) => d.authorization_endpoint.clone(),
            Err(_) => sso.settings.issuer.clone(),
        };
        let origin = url::Url::parse(&target)
            .map(|u| u.origin().ascii_serialization())
            .unwrap_or_default();
        Some((sso.settings.display_name.clone(), origin))
    }

    /// Starts a single sign-on for an MCP client's authorization request: the provider's URL to
    /// send the browser to, and the state cookie's value.
    pub async fn begin_single_sign_on(
        &self,
        request: Vec<(String, String)>,
    ) -> Result<(String, String), SingleSignOnError> {
        match &self.single_sign_on {
            Some(sso) => sso.begin(request).await,
            None => Err(SingleSignOnError::new(
                404,
                "Single sign-on is not configured on this gateway.",
            )),
        }
    }

    /// Finishes one at the callback: the MCP client's authorization request (as started) and
    /// the user the provider vouched for.
    pub async fn finish_single_sign_on(
        &self,
        query: &[(String, String)],
        cookie: Option<&str>,
    ) -> Result<(Vec<(String, String)>, SingleSignOnIdentity), SingleSignOnError> {
        match &self.single_sign_on {
            Some(sso) => sso.finish(query, cookie).await,
            None => Err(SingleSignOnError::new(
                404,
                "Single sign-on is not configured on this gateway.",
            )),
        }
    }

    /// The caller a single sign-on identity stands for, in an account that exists.
    pub(crate) async fn single_sign_on_caller(
        &self,
        identity: SingleSignOnIdentity,
    ) -> Result<Caller, Error> {
        if self.single_sign_on.is_none() {
            return Err(
                ApiError::forbidden("Single sign-on is not configured on this gateway").into(),
            );
        }
        if self
            .db
            .accounts()
            .get(&identity.account_id)
            .await?
            .is_none()
        {
            return Err(ApiError::forbidden(format!(
                "Your sign-in names the account '{}', which this gateway does not have",
                identity.account_id
            ))
            .into());
        }
        Ok(Caller {
            account_id: identity.account_id,
            user_id: identity.user_id,
            principal: Principal::SingleSignOn {
                subject: identity.subject,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sso(user_claim: &str, account: AccountMapping) -> SingleSignOn {
        SingleSignOn::new(
            SingleSignOnSettings {
                issuer: "https://idp.example".into(),
                client_id: "gw".into(),
                client_secret: "s3cret".into(),
                display_name: "Example".into(),
                scopes: "openid email".into(),
                account,
                user_claim: user_claim.into(),
            },
            "https://gw.example",
            b"secret",
            &Default::default(),
        )
    }

    fn claims(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap()
    }

    #[test]
    fn claims_name_the_account_and_user() {
        let fixed = sso("email", AccountMapping::Fixed("acme".into()));
        let ok = fixed
            .identity(&claims(
                serde_json::json!({"sub": "s1", "email": "a@acme.test", "email_verified": true}),
            ))
            .unwrap();
        assert_eq!(
            (ok.account_id.as_str(), ok.user_id(), ok.subject.as_str()),
            ("acme", "a@acme.test", "s1")
        );
        let unverified = fixed
            .identity(&claims(
                serde_json::json!({"sub": "s1", "email": "a@acme.test"}),
            ))
            .unwrap_err();
        assert_eq!(unverified.status, 403);
        assert!(unverified.message.contains("verified"));
        let missing = fixed
            .identity(&claims(serde_json::json!({"sub": "s1"})))
            .unwrap_err();
        assert!(missing.message.contains("'email'"), "{}", missing.message);

        let by_claim = sso("preferred_username", AccountMapping::Claim("tenant".into()));
        let ok = by_claim
            .identity(&claims(
                serde_json::json!({"sub": "s2", "preferred_username": "bob", "tenant": "t1"}),
            ))
            .unwrap();
        assert_eq!((ok.account_id.as_str(), ok.user_id()), ("t1", "bob"));
        let no_tenant = by_claim
            .identity(&claims(
                serde_json::json!({"sub": "s2", "preferred_username": "bob"}),
            ))
            .unwrap_err();
        assert!(no_tenant.message.contains("'tenant'"));
    }

    #[test]
    fn provider_urls_are_https_or_loopback() {
        assert!(provider_url_allowed("https://login.example.com"));
        assert!(provider_url_allowed("http://127.0.0.1:8080/realms/x"));
        assert!(provider_url_allowed("http://localhost:8080"));
        assert!(!provider_url_allowed("http://login.example.com"));
        assert!(!provider_url_allowed("http://10.0.0.1"));
        assert!(!provider_url_allowed("ftp://login.example.com"));
        assert!(!provider_url_allowed("not a url"));
    }

    #[test]
    fn the_secret_is_never_printed() {
        let s = sso("email", AccountMapping::Fixed("acme".into()));
        assert!(!format!("{:?}", s.settings).contains("s3cret"));
    }
}
