//! OAuth Client ID Metadata Documents: a client whose ID is an HTTPS URL is described by the
//! JSON document at that URL, which the gateway fetches — so MCP clients need no registration.
//!
//! The fetch is bounded (16 KiB, 5 seconds, no redirects) and goes through the upstream address
//! guard: a client ID naming a private, loopback or metadata address is refused unless the
//! operator allowed that network (`ALLOY_UPSTREAM_ALLOW`). Plain `http` client IDs are refused
//! unless `ALLOY_OAUTH_CLIENT_METADATA_HTTP` allows them (tests, local development).
//! Documents are kept for five minutes.

use std::sync::Arc;
use std::time::{Duration, Instant};

use alloy_connectors::AddressPolicy;
use alloy_storage::OAuthClientRecord;
use chrono::Utc;
use dashmap::DashMap;
use serde_json::Value;

/// Largest document read.
const MAX_BYTES: usize = 16 * 1024;
/// Longest wait for it.
const TIMEOUT: Duration = Duration::from_secs(5);
/// How long a fetched document is used.
const KEPT_FOR: Duration = Duration::from_secs(300);

/// Fetches and checks client metadata documents.
#[derive(Clone)]
pub(crate) struct ClientMetadata {
    /// Made on the first document fetched (a TLS client costs start-up time and memory);
    /// `None` inside when it could not be made.
    client: Arc<std::sync::OnceLock<Option<reqwest::Client>>>,
    enabled: bool,
    roots: alloy_connectors::ExtraRoots,
    /// The guard (its resolver checks names; IP literals are checked here, as the resolver
    /// never sees them).
    addresses: Arc<AddressPolicy>,
    allow_http: bool,
    kept: Arc<DashMap<String, (OAuthClientRecord, Instant)>>,
}

/// Whether a client ID is a URL (a metadata document) rather than an ID this gateway issued.
pub(crate) fn is_url(client_id: &str) -> bool {
    client_id.starts_with("https://") || client_id.starts_with("http://")
}

impl ClientMetadata {
    pub(crate) fn new(
        addresses: Arc<AddressPolicy>,
        roots: &alloy_connectors::ExtraRoots,
        enabled: bool,
        allow_http: bool,
    ) -> Self {
        ClientMetadata {
            client: Arc::new(std::sync::OnceLock::new()),
            enabled,
            roots: roots.clone(),
            addresses,
            allow_http,
            kept: Arc::new(DashMap::new()),
        }
    }

    /// Whether documents are fetched at all.
    pub(crate) fn enabled(&self) -> bool {
        self.enabled
    }

    fn http(&self) -> Option<&reqwest::Client> {
        self.client
            .get_or_init(|| {
                self.roots
                    .apply(reqwest::Client::builder())
                    .dns_resolver(self.addresses.resolver())
                    .redirect(reqwest::redirect::Policy::none())
                    .timeout(TIMEOUT)
                    .connect_timeout(TIMEOUT)
                    .user_agent(concat!("alloy-mcp-server/", env!("CARGO_PKG_VERSION")))
                    .build()
                    .map_err(|e| tracing::error!(error = %e, "client metadata HTTP client"))
                    .ok()
            })
            .as_ref()
    }

    /// The client a metadata document URL describes, or why it cannot be used.
    pub(crate) async fn client(&self, client_id: &str) -> Result<OAuthClientRecord, String> {
        if !self.enabled {
            return Err("client ID metadata documents are turned off on this gateway".into());
        }
        let Some(http) = self.http() else {
            return Err("the HTTP client for client metadata documents could not be made".into());
        };
        if let Some(kept) = self.kept.get(client_id)
            && kept.1.elapsed() < KEPT_FOR
        {
            return Ok(kept.0.clone());
        }
        let url =
            url::Url::parse(client_id).map_err(|_| "the client ID is not a URL".to_owned())?;
        let scheme_ok = url.scheme() == "https" || (self.allow_http && url.scheme() == "http");
        if !scheme_ok
            || url.fragment().is_some()
            || !url.username().is_empty()
            || url.password().is_some()
            || url.path() == "/"
        {
            return Err(
                "a client ID URL must be https, with a path, and without fragment or credentials"
                    .into(),
            );
        }
        if self.addresses.refused_literal(&url).is_some() {
            return Err("the client ID names an address the gateway may not reach".into());
        }
        let mut resp = http
            .get(url)
            .header("accept", "application/json")
            .send()
            .await
            .map_err(|e| {
                if alloy_connectors::RefusedAddress::find(&e).is_some() {
                    "the client ID names an address the gateway may not reach".to_owned()
                } else if e.is_timeout() {
                    "the client's metadata document did not arrive in time".to_owned()
                } else {
                    "the client's metadata document could not be fetched".to_owned()
                }
            })?;
        if !resp.status().is_success() {
            return Err(format!(
                "the client's metadata document answered HTTP {}",
                resp.status().as_u16()
            ));
        }
        let mut body = Vec::new();
        while let Some(chunk) = resp
            .chunk()
            .await
            .map_err(|_| "the client's metadata document could not be read".to_owned())?
        {
            body.extend_from_slice(&chunk);
            if body.len() > MAX_BYTES {
                return Err("the client's metadata document is larger than 16 KiB".into());
            }
        }
        let doc: Value = serde_json::from_slice(&body)
            .map_err(|_| "the client's metadata document is not JSON".to_owned())?;
        let record = record_of(client_id, &doc)?;
        self.kept
            .insert(client_id.to_owned(), (record.clone(), Instant::now()));
        Ok(record)
    }
}

/// The client a document describes: it must name itself (`client_id` equal to its URL), list
/// redirect URIs, and be a public client.
fn record_of(client_id: &str, doc: &Value) -> Result<OAuthClientRecord, String> {
    if doc.get("client_id").and_then(Value::as_str) != Some(client_id) {
        return Err("the metadata document's client_id is not its own URL".into());
    }
    let redirect_uris: Vec<String> = doc
        .get("redirect_uris")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|u| u.as_str().map(str::to_owned))
                .collect()
        })
        .filter(|u: &Vec<String>| !u.is_empty() && u.len() <= 10)
        .ok_or_else(|| "the metadata document lists no redirect_uris".to_owned())?;
    match doc
        .get("token_endpoint_auth_method")
        .and_then(Value::as_str)
    {
        None | Some("none") => {}
        Some(_) => return Err("only public clients (token_endpoint_auth_method none)".into()),
    }
    Ok(OAuthClientRecord {
        client_id: client_id.to_owned(),
        client_name: doc
            .get("client_name")
            .and_then(Value::as_str)
            .map(|n| n.chars().take(200).collect()),
        redirect_uris,
        application_type: "native".to_owned(),
        created_at: Utc::now(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn documents_must_name_themselves_and_their_redirects() {
        let id = "https://app.example.com/oauth/client.json";
        let ok = record_of(id, &json!({"client_id": id, "client_name": "App", "redirect_uris": ["http://127.0.0.1/cb"]})).unwrap();
        assert_eq!(ok.client_name.as_deref(), Some("App"));
        assert!(
            record_of(
                id,
                &json!({"client_id": "https://other.example/x", "redirect_uris": ["x"]})
            )
            .is_err()
        );
        assert!(record_of(id, &json!({"client_id": id})).is_err());
        assert!(record_of(id, &json!({"client_id": id, "redirect_uris": ["x"], "token_endpoint_auth_method": "client_secret_basic"})).is_err());
    }
}
