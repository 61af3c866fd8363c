//! The client side of OAuth 2.0: PKCE values, authorization URLs, and the token endpoint
//! (authorization-code exchange and refresh).
//!
//! Token endpoints answer in JSON, or (older providers) in form encoding, sometimes with a 200
//! status that carries an `error`; all of those are read here. Nothing in this module logs or
//! returns a token in an error.

use std::collections::BTreeMap;
use std::time::Duration;

use alloy_connectors::{AddressPolicy, RefusedAddress};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use rand::RngCore;
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::apps::{AppSettings, TokenAuthMethod};

/// Time a token endpoint has to answer.
const TOKEN_TIMEOUT: Duration = Duration::from_secs(15);
/// Largest token-endpoint answer read.
const MAX_ANSWER_BYTES: usize = 256 * 1024;
/// Longest provider error text passed on to a user.
const MAX_ERROR_CHARS: usize = 200;

/// 32 random bytes in base64url: an unguessable `state` or PKCE verifier (43 characters).
pub(crate) fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The S256 PKCE challenge of a verifier (RFC 7636 §4.2).
pub(crate) fn pkce_challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// The OAuth client an account registered, as the token endpoint needs it.
pub(crate) struct ClientAuth<'a> {
    pub client_id: &'a str,
    pub client_secret: Option<&'a str>,
    pub settings: &'a AppSettings,
}

/// Tokens a token endpoint granted. `Debug` shows no token.
pub(crate) struct TokenSet {
    pub access_token: String,
    pub refresh_token: Option<String>,
    pub expires_in: Option<i64>,
    pub scope: Option<String>,
}

impl std::fmt::Debug for TokenSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenSet")
            .field("has_refresh_token", &self.refresh_token.is_some())
            .field("expires_in", &self.expires_in)
            .finish_non_exhaustive()
    }
}

/// Why a token request failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TokenError {
    /// The provider refused the grant (`invalid_grant`, a revoked refresh token, a bad code or
    /// PKCE verifier, a wrong client secret): trying again will not help.
    Rejected {
        /// The OAuth error code (`invalid_grant`, …).
        error: String,
        /// The provider's description, shortened.
        description: Option<String>,
    },
    /// The provider could not be reached or failed (timeout, 5xx, 429, unreadable answer):
    /// a later attempt may succeed.
    Unavailable(String),
}

impl TokenError {
    /// A sentence for users and logs (no secrets: only the provider's error code and text).
    pub(crate) fn describe(&self) -> String {
        match self {
            TokenError::Rejected {
                error,
                description: Some(d),
            } => format!("{error}: {d}"),
            TokenError::Rejected { error, .. } => error.clone(),
            TokenError::Unavailable(why) => why.clone(),
        }
    }
}

/// Talks to token endpoints. Cheap to clone.
#[derive(Clone)]
pub(crate) struct TokenEndpoint {
    client: reqwest::Client,
    addresses: std::sync::Arc<AddressPolicy>,
}

impl TokenEndpoint {
    /// A client that reaches only the addresses `addresses` permits (private ones are refused
    /// unless allowed, as for every upstream call).
    pub(crate) fn new(
        addresses: std::sync::Arc<AddressPolicy>,
        roots: &alloy_connectors::ExtraRoots,
    ) -> Result<Self, String> {
        let client = roots
            .apply(reqwest::Client::builder())
            .dns_resolver(addresses.resolver())
            // A token endpoint that redirects is misconfigured; following it could send the
            // client secret elsewhere.
            .redirect(reqwest::redirect::Policy::none())
            .timeout(TOKEN_TIMEOUT)
            .connect_timeout(Duration::from_secs(10))
            .user_agent(concat!("alloy-mcp-server/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| format!("OAuth HTTP client: {}", e.without_url()))?;
        Ok(TokenEndpoint { client, addresses })
    }

    /// Exchanges an authorization code (with its PKCE verifier) for tokens.
    pub(crate) async fn exchange_code(
        &self,
        token_url: &str,
        auth: &ClientAuth<'_>,
        code: &str,
        redirect_uri: &str,
        code_verifier: &str,
    ) -> Result<TokenSet, TokenError> {
        let form = vec![
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", redirect_uri),
            ("code_verifier", code_verifier),
        ];
        self.post(token_url, auth, form).await
    }

    /// Trades a refresh token for new tokens.
    pub(crate) async fn refresh(
        &self,
        token_url: &str,
        auth: &ClientAuth<'_>,
        refresh_token: &str,
    ) -> Result<TokenSet, TokenError> {
        let form = vec![
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
        ];
        self.post(token_url, auth, form).await
    }

    async fn post(
        &self,
        token_url: &str,
        auth: &ClientAuth<'_>,
        mut form: Vec<(&str, &str)>,
    ) -> Result<TokenSet, TokenError> {
        let refused = |r: &RefusedAddress| {
            TokenError::Unavailable(format!("the token endpoint's address is refused: {r}"))
        };
        if let Some(r) = url::Url::parse(token_url)
            .ok()
            .and_then(|u| self.addresses.refused_literal(&u))
        {
            return Err(refused(&r));
        }
        let mut request = self
            .client
            .post(token_url)
            .header(reqwest::header::ACCEPT, "application/json");
        match (auth.settings.token_auth_method, auth.client_secret) {
            (TokenAuthMethod::ClientSecretBasic, Some(secret)) => {
                // RFC 6749 §2.3.1: both parts form-encoded before base64.
                let user: String =
                    url::form_urlencoded::byte_serialize(auth.client_id.as_bytes()).collect();
                let pass: String =
                    url::form_urlencoded::byte_serialize(secret.as_bytes()).collect();
                let basic = STANDARD.encode(format!("{user}:{pass}"));
                request = request.header(reqwest::header::AUTHORIZATION, format!("Basic {basic}"));
            }
            (TokenAuthMethod::ClientSecretPost, Some(secret)) => {
                form.push(("client_id", auth.client_id));
                form.push(("client_secret", secret));
            }
            _ => form.push(("client_id", auth.client_id)),
        }
        let response = request.form(&form).send().await.map_err(|e| {
            if let Some(r) = RefusedAddress::find(&e) {
                return refused(r);
            }
            TokenError::Unavailable(if e.is_timeout() {
                "the token endpoint did not answer in time".to_owned()
            } else {
                format!(
                    "the token endpoint could not be reached ({})",
                    e.without_url()
                )
            })
        })?;
        let status = response.status();
        let is_json = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ct| ct.contains("json"));
        let body = read_capped(response).await?;
        let fields = parse_answer(&body, is_json);
        if let Some(error) = fields.get("error").and_then(Value::as_str) {
            if status.is_server_error() || status.as_u16() == 429 {
                return Err(TokenError::Unavailable(format!(
                    "the token endpoint answered HTTP {} ({})",
                    status.as_u16(),
                    shorten(error)
                )));
            }
            return Err(TokenError::Rejected {
                error: shorten(error),
                description: fields
                    .get("error_description")
                    .and_then(Value::as_str)
                    .map(shorten),
            });
        }
        if status.is_server_error() || status.as_u16() == 429 {
            return Err(TokenError::Unavailable(format!(
                "the token endpoint answered HTTP {}",
                status.as_u16()
            )));
        }
        if !status.is_success() {
            return Err(TokenError::Rejected {
                error: format!("http_{}", status.as_u16()),
                description: None,
            });
        }
        let Some(access_token) = fields
            .get("access_token")
            .and_then(Value::as_str)
            .filter(|t| !t.is_empty())
        else {
            return Err(TokenError::Unavailable(
                "the token endpoint's answer has no access_token".to_owned(),
            ));
        };
        let expires_in = match fields.get("expires_in") {
            Some(Value::Number(n)) => n.as_i64(),
            Some(Value::String(s)) => s.trim().parse().ok(),
            _ => None,
        };
        Ok(TokenSet {
            access_token: access_token.to_owned(),
            refresh_token: fields
                .get("refresh_token")
                .and_then(Value::as_str)
                .filter(|t| !t.is_empty())
                .map(str::to_owned),
            expires_in: expires_in.filter(|s| *s > 0),
            scope: fields
                .get("scope")
                .and_then(Value::as_str)
                .map(str::to_owned),
        })
    }
}

async fn read_capped(mut response: reqwest::Response) -> Result<Vec<u8>, TokenError> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| {
        TokenError::Unavailable(format!(
            "the token endpoint's answer could not be read ({})",
            e.without_url()
        ))
    })? {
        if body.len() + chunk.len() > MAX_ANSWER_BYTES {
            return Err(TokenError::Unavailable(
                "the token endpoint's answer is too large".to_owned(),
            ));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// The fields of a token answer: a JSON object, or form-encoded pairs.
fn parse_answer(body: &[u8], is_json: bool) -> BTreeMap<String, Value> {
    let trimmed = body.trim_ascii_start();
    if is_json || trimmed.first() == Some(&b'{') {
        if let Ok(Value::Object(map)) = serde_json::from_slice::<Value>(body) {
            return map.into_iter().collect();
        }
        return BTreeMap::new();
    }
    url::form_urlencoded::parse(body)
        .map(|(k, v)| (k.into_owned(), Value::String(v.into_owned())))
        .collect()
}

/// Provider text shortened and stripped of control characters before anyone sees it.
pub(crate) fn shorten(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_control())
        .take(MAX_ERROR_CHARS)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Token endpoints keep the executor's address rule: a private address is refused by
    /// address and by name, before anything (the client secret) is sent.
    #[tokio::test]
    async fn private_token_endpoints_are_refused() {
        let settings: AppSettings = serde_json::from_value(serde_json::json!({
            "tokenAuthMethod": "client_secret_post"
        }))
        .unwrap();
        let auth = ClientAuth {
            client_id: "id",
            client_secret: Some("secret"),
            settings: &settings,
        };
        let guarded = TokenEndpoint::new(
            std::sync::Arc::new(AddressPolicy::default()),
            &Default::default(),
        )
        .unwrap();
        for url in [
            "http://127.0.0.1:9/token",
            "http://localhost:9/token",
            "http://169.254.169.254/token",
        ] {
            match guarded.refresh(url, &auth, "rt").await {
                Err(TokenError::Unavailable(why)) => {
                    assert!(why.contains("ALLOY_UPSTREAM_ALLOW"), "{url}: {why}");
                }
                other => panic!("{url}: {other:?}"),
            }
        }
        // Allowed: the call goes out (and fails to connect: nothing listens on port 9).
        let allowed = TokenEndpoint::new(
            std::sync::Arc::new(AddressPolicy::new(vec!["127.0.0.0/8".parse().unwrap()])),
            &Default::default(),
        )
        .unwrap();
        match allowed
            .refresh("http://127.0.0.1:9/token", &auth, "rt")
            .await
        {
            Err(TokenError::Unavailable(why)) => assert!(!why.contains("ALLOY_UPSTREAM_ALLOW")),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn pkce_matches_rfc_7636_appendix_b() {
        assert_eq!(
            pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
        let t = random_token();
        assert_eq!(t.len(), 43);
        assert_ne!(t, random_token());
    }

    #[test]
    fn answers_in_json_or_form_encoding() {
        let json = parse_answer(br#"{"access_token":"a","expires_in":60}"#, true);
        assert_eq!(json["access_token"], "a");
        let form = parse_answer(b"access_token=b&scope=repo%2Cuser&token_type=bearer", false);
        assert_eq!(form["access_token"], "b");
        assert_eq!(form["scope"], "repo,user");
        assert!(parse_answer(b"{not json", true).is_empty());
    }

    #[test]
    fn token_sets_hide_tokens() {
        let t = TokenSet {
            access_token: "secret-access".into(),
            refresh_token: Some("secret-refresh".into()),
            expires_in: Some(5),
            scope: None,
        };
        let shown = format!("{t:?}");
        assert!(!shown.contains("secret"), "{shown}");
    }
}
