//! What the single sign-on provider publishes: its discovery document and its signing keys, read
//! over HTTPS and kept for an hour (the keys read again, at most every 30 seconds, when a token
//! names a key the kept set lacks — the provider rotated them).

use std::sync::Arc;
use std::time::{Duration, Instant};

use jsonwebtoken::DecodingKey;
use jsonwebtoken::jwk::JwkSet;
use serde::Deserialize;
use serde_json::Value;
use tokio::sync::Mutex;

use super::{SingleSignOnError, provider_url_allowed};

/// How long the provider may take to answer one request.
const TIMEOUT: Duration = Duration::from_secs(10);
/// How long the provider's discovery document and keys are used before they are read again.
const KEPT_FOR: Duration = Duration::from_secs(3600);
/// A key ID the kept key set lacks triggers a new read, at most this often.
const REREAD_KEYS_AFTER: Duration = Duration::from_secs(30);

/// The provider's discovery document, as far as it is used. Every endpoint in it is one
/// [`provider_url_allowed`] accepts (checked when it is read).
#[derive(Debug, Deserialize)]
pub(super) struct Discovery {
    pub(super) issuer: String,
    pub(super) authorization_endpoint: String,
    pub(super) token_endpoint: String,
    jwks_uri: String,
    #[serde(default)]
    pub(super) token_endpoint_auth_methods_supported: Option<Vec<String>>,
}

/// A document read from the provider, and when: shared by every request of this replica.
type Kept<T> = Arc<Mutex<Option<(Instant, Arc<T>)>>>;

/// The provider's published documents, and the HTTP client that reads them (and that the
/// sign-in's code exchange uses).
#[derive(Clone)]
pub(super) struct Provider {
    pub(super) http: reqwest::Client,
    issuer: String,
    discovery: Kept<Discovery>,
    keys: Kept<JwkSet>,
}

impl Provider {
    pub(super) fn new(issuer: &str, roots: &alloy_connectors::ExtraRoots) -> Self {
        let http = roots
            .apply(reqwest::Client::builder())
            .redirect(reqwest::redirect::Policy::none())
            .timeout(TIMEOUT)
            .connect_timeout(TIMEOUT)
            .user_agent(concat!("alloy-mcp-server/", env!("CARGO_PKG_VERSION")))
            .build()
            .unwrap_or_default();
        Provider {
            http,
            issuer: issuer.to_owned(),
            discovery: Arc::new(Mutex::new(None)),
            keys: Arc::new(Mutex::new(None)),
        }
    }

    async fn get_json(&self, url: &str, what: &str) -> Result<Value, SingleSignOnError> {
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

    /// The discovery document: it must name the configured issuer, and its endpoints must be
    /// `https` (or loopback `http`).
    pub(super) async fn discovery(&self) -> Result<Arc<Discovery>, SingleSignOnError> {
        let mut kept = self.discovery.lock().await;
        if let Some((at, d)) = kept.as_ref()
            && at.elapsed() < KEPT_FOR
        {
            return Ok(Arc::clone(d));
        }
        let what = "its discovery document";
        let url = format!(
            "{}/.well-known/openid-configuration",
            self.issuer.trim_end_matches('/')
        );
        let doc: Discovery = serde_json::from_value(self.get_json(&url, what).await?)
            .map_err(|e| SingleSignOnError::unreachable(what, e))?;
        if doc.issuer.trim_end_matches('/') != self.issuer.trim_end_matches('/') {
            return Err(SingleSignOnError::unreachable(
                what,
                format!("it names the issuer {}, not {}", doc.issuer, self.issuer),
            ));
        }
        for endpoint in [
            &doc.authorization_endpoint,
            &doc.token_endpoint,
            &doc.jwks_uri,
        ] {
            if !provider_url_allowed(endpoint) {
                return Err(SingleSignOnError::unreachable(
                    what,
                    format!("{endpoint} is not an https URL"),
                ));
            }
        }
        let doc = Arc::new(doc);
        *kept = Some((Instant::now(), Arc::clone(&doc)));
        Ok(doc)
    }

    /// The provider's key for `kid`, reading the key set again when it lacks it.
    pub(super) async fn key(
        &self,
        discovery: &Discovery,
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
                let set: JwkSet =
                    serde_json::from_value(self.get_json(&discovery.jwks_uri, what).await?)
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
}
