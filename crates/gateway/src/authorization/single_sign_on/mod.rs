//! Single sign-on on the MCP sign-in page: an external OpenID Connect provider, configured by
//! the operator, vouches for the user (authorization code flow with PKCE, a confidential
//! client), and its ID token's claims name the gateway's account and user.
//!
//! Nothing is stored between the two legs: the authorization request, the OIDC `state`, the
//! `nonce` and the PKCE verifier travel in a signed, HttpOnly cookie of the browser that
//! started the sign-in, so the callback may land on any replica and a callback this browser did
//! not start (login CSRF) is refused. `settings` holds the configuration, `provider` what the
//! provider publishes (discovery, keys), `id_token` the token's checks and claim mapping.

mod id_token;
mod provider;
mod settings;

use alloy_domain::ApiError;
use base64::Engine;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use subtle::ConstantTimeEq;

pub use settings::{AccountMapping, SingleSignOnSettings, provider_url_allowed};

use super::AuthorizationServer;
use super::signed::Signed;
use crate::credentials::{pkce_challenge, random_token};
use crate::error::Error;
use crate::identity::{Caller, Principal};
use provider::{Discovery, Provider};

/// How long the user may stay at the provider.
const STATE_TTL_SECS: i64 = 600;

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

/// What the state cookie carries from the start of a sign-in to its callback.
#[derive(Serialize, Deserialize)]
struct PendingSignIn {
    /// The MCP client's authorization request.
    request: Vec<(String, String)>,
    state: String,
    nonce: String,
    verifier: String,
}

/// The client of the external provider.
#[derive(Clone)]
pub(crate) struct SingleSignOn {
    settings: SingleSignOnSettings,
    callback_url: String,
    provider: Provider,
    pending: Signed,
}

impl SingleSignOn {
    pub(crate) fn new(
        settings: SingleSignOnSettings,
        gateway_url: &str,
        jwt_secret: &[u8],
        roots: &alloy_connectors::ExtraRoots,
    ) -> Self {
        SingleSignOn {
            provider: Provider::new(&settings.issuer, roots),
            settings,
            callback_url: format!("{gateway_url}/oauth/sso/callback"),
            pending: Signed::new(jwt_secret, "sso-state+jwt"),
        }
    }

    /// The start: where to send the browser, and the state cookie's value.
    pub(crate) async fn begin(
        &self,
        request: Vec<(String, String)>,
    ) -> Result<(String, String), SingleSignOnError> {
        let discovery = self.provider.discovery().await?;
        let pending = PendingSignIn {
            request,
            state: random_token(),
            nonce: random_token(),
            verifier: random_token(),
        };
        let mut scopes: Vec<&str> = self.settings.scopes.split_whitespace().collect();
        if !scopes.contains(&"openid") {
            scopes.insert(0, "openid");
        }
        let mut url = url::Url::parse(&discovery.authorization_endpoint)
            .map_err(|e| SingleSignOnError::unreachable("its authorization endpoint", e))?;
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
        let discovery = self.provider.discovery().await?;
        let id_token = self.exchange(&discovery, code, &pending.verifier).await?;
        let claims = id_token::verify(
            &self.provider,
            &discovery,
            &self.settings.client_id,
            &id_token,
            &pending.nonce,
        )
        .await?;
        let identity = id_token::identity(&self.settings, &claims)?;
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
        let mut req = self.provider.http.post(&discovery.token_endpoint);
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
}

impl AuthorizationServer {
    /// The provider's name for the sign-in button and the origin the browser will be sent to
    /// (its authorization endpoint's, or its issuer's while that is unknown), when single
    /// sign-on is configured.
    pub async fn single_sign_on_button(&self) -> Option<(String, String)> {
        let sso = self.single_sign_on.as_ref()?;
        let target = match sso.provider.discovery().await {
            Ok(d) => d.authorization_endpoint.clone(),
            Err(_) => sso.settings.issuer.clone(),
        };
        let origin = url::Url::parse(&target)
            .map(|u| u.origin().ascii_serialization())
            .unwrap_or_default();
        Some((sso.settings.display_name.clone(), origin))
    }

    /// The configured single sign-on, or why there is none.
    fn configured_single_sign_on(&self) -> Result<&SingleSignOn, SingleSignOnError> {
        self.single_sign_on.as_ref().ok_or_else(|| {
            SingleSignOnError::new(404, "Single sign-on is not configured on this gateway.")
        })
    }

    /// Starts a single sign-on for an MCP client's authorization request: the provider's URL to
    /// send the browser to, and the state cookie's value.
    pub async fn begin_single_sign_on(
        &self,
        request: Vec<(String, String)>,
    ) -> Result<(String, String), SingleSignOnError> {
        self.configured_single_sign_on()?.begin(request).await
    }

    /// Finishes one at the callback: the MCP client's authorization request (as started) and
    /// the user the provider vouched for.
    pub async fn finish_single_sign_on(
        &self,
        query: &[(String, String)],
        cookie: Option<&str>,
    ) -> Result<(Vec<(String, String)>, SingleSignOnIdentity), SingleSignOnError> {
        self.configured_single_sign_on()?
            .finish(query, cookie)
            .await
    }

    /// The caller a single sign-on identity stands for, in an account that exists. (Only a
    /// configured single sign-on makes an identity.)
    pub(crate) async fn single_sign_on_caller(
        &self,
        identity: SingleSignOnIdentity,
    ) -> Result<Caller, Error> {
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
