//! How the executor is set up: its settings (base URL overrides, limits, retries, timeouts,
//! the header decorator) and the options of one call.

use std::collections::HashMap;
use std::time::Duration;

use url::Url;

use crate::error::Error;

/// How the executor behaves; `Default` gives production values.
#[derive(Debug, Clone)]
pub struct ExecutorConfig {
    /// Connector ID → URL that replaces the connector's whole server URL (GitHub Enterprise,
    /// Jira Data Center, tests).
    pub base_url_overrides: HashMap<String, String>,
    /// Largest answer read, in bytes; a larger one is an `UPSTREAM_ERROR`. Default 10 MiB.
    pub max_response_bytes: usize,
    /// Retries of idempotent requests answered 429/502/503/504 or failing to connect. Default 2.
    pub max_retries: u32,
    /// Same-origin redirects followed; redirects to another origin are never followed.
    /// Default 3.
    pub max_redirects: usize,
    /// First retry delay when the upstream gives no `Retry-After`; doubles per retry.
    /// Default 250 ms.
    pub retry_base_delay: Duration,
    /// Longest computed retry delay. Default 10 s.
    pub retry_max_delay: Duration,
    /// Time allowed to establish a connection (within the request timeout). Default 10 s.
    pub connect_timeout: Duration,
    /// `User-Agent` sent upstream.
    pub user_agent: String,
    /// Adds headers to every upstream request, such as the W3C `traceparent` of the current
    /// span (the binary supplies it when trace export is on).
    pub decorate: Option<HeaderDecorator>,
    /// Networks that may be called although private, loopback or link-local
    /// (`ALLOY_UPSTREAM_ALLOW`); see [`BLOCKED_NETWORKS`](super::BLOCKED_NETWORKS). Default: none.
    pub upstream_allow: Vec<alloy_domain::ip_network::IpNetwork>,
    /// Certificate authorities trusted besides the system's (`ALLOY_EXTRA_CA_CERTS`).
    pub extra_roots: ExtraRoots,
}

/// Certificate authorities the gateway's outgoing HTTPS trusts besides the system's: a
/// company's internal CA (an API or identity provider on the intranet), or a test's own.
#[derive(Clone, Default)]
pub struct ExtraRoots(Vec<reqwest::Certificate>);

impl ExtraRoots {
    /// Every certificate of a PEM bundle; a bundle without one is an error.
    pub fn from_pem(pem: &[u8]) -> Result<Self, Error> {
        let certs = reqwest::Certificate::from_pem_bundle(pem)
            .map_err(|e| Error::Config(format!("not a PEM certificate bundle: {e}")))?;
        if certs.is_empty() {
            return Err(Error::Config("no PEM certificate in it".to_owned()));
        }
        Ok(ExtraRoots(certs))
    }

    /// How many certificates.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `builder`, trusting these besides the system's roots.
    pub fn apply(&self, builder: reqwest::ClientBuilder) -> reqwest::ClientBuilder {
        if self.0.is_empty() {
            builder
        } else {
            builder.tls_certs_merge(self.0.iter().cloned())
        }
    }
}

impl std::fmt::Debug for ExtraRoots {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ExtraRoots({} certificates)", self.0.len())
    }
}

/// Adds headers to an outgoing request (see [`ExecutorConfig::decorate`]).
#[derive(Clone)]
pub struct HeaderDecorator(
    pub std::sync::Arc<dyn Fn(&mut reqwest::header::HeaderMap) + Send + Sync>,
);

impl std::fmt::Debug for HeaderDecorator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("HeaderDecorator")
    }
}

impl Default for ExecutorConfig {
    fn default() -> Self {
        ExecutorConfig {
            base_url_overrides: HashMap::new(),
            max_response_bytes: 10 * 1024 * 1024,
            max_retries: 2,
            max_redirects: 3,
            retry_base_delay: Duration::from_millis(250),
            retry_max_delay: Duration::from_secs(10),
            connect_timeout: Duration::from_secs(10),
            user_agent: concat!("alloy-mcp-server/", env!("CARGO_PKG_VERSION")).to_owned(),
            decorate: None,
            upstream_allow: Vec::new(),
            extra_roots: ExtraRoots::default(),
        }
    }
}

/// Parses a base URL override setting, `id=url` pairs separated by commas
/// (`github=https://ghe.example.com/api/v3,jira=https://jira.internal`). Whitespace around
/// items is ignored; an item without `=`, with an invalid connector ID or a URL that is not
/// absolute http(s) is an error naming it.
pub fn parse_base_url_overrides(value: &str) -> Result<HashMap<String, String>, Error> {
    let mut out = HashMap::new();
    for item in value.split(',').map(str::trim).filter(|i| !i.is_empty()) {
        let (id, url) = item
            .split_once('=')
            .ok_or_else(|| Error::Config(format!("`{item}` is not of the form id=url")))?;
        let (id, url) = (id.trim(), url.trim());
        if !crate::openapi::is_valid_connector_id(id) {
            return Err(Error::Config(format!("`{id}` is not a valid connector ID")));
        }
        match Url::parse(url) {
            Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => {}
            _ => {
                return Err(Error::Config(format!(
                    "base URL for `{id}` is not an absolute http(s) URL"
                )));
            }
        }
        out.insert(id.to_owned(), url.to_owned());
    }
    Ok(out)
}

/// Per-call options.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExecuteOptions {
    /// Time for the whole call, retries and their waits included (1,000–300,000 ms).
    pub timeout: Duration,
}

impl ExecuteOptions {
    /// Shortest allowed timeout, in milliseconds.
    pub const MIN_TIMEOUT_MS: u64 = 1_000;
    /// Longest allowed timeout, in milliseconds.
    pub const MAX_TIMEOUT_MS: u64 = 300_000;
    /// Timeout when the caller gives none, in milliseconds.
    pub const DEFAULT_TIMEOUT_MS: u64 = 30_000;

    /// Options from a caller's `timeout` in milliseconds (default when `None`); out of range is
    /// a `VALIDATION_ERROR` naming `timeout`.
    pub fn from_timeout_ms(timeout_ms: Option<u64>) -> Result<Self, Error> {
        let ms = timeout_ms.unwrap_or(Self::DEFAULT_TIMEOUT_MS);
        if !(Self::MIN_TIMEOUT_MS..=Self::MAX_TIMEOUT_MS).contains(&ms) {
            return Err(Error::validation(
                "timeout",
                if ms < Self::MIN_TIMEOUT_MS {
                    "minimum"
                } else {
                    "maximum"
                },
                if ms < Self::MIN_TIMEOUT_MS {
                    Self::MIN_TIMEOUT_MS
                } else {
                    Self::MAX_TIMEOUT_MS
                },
                format!(
                    "`timeout` must be between {} and {} milliseconds",
                    Self::MIN_TIMEOUT_MS,
                    Self::MAX_TIMEOUT_MS
                ),
            ));
        }
        Ok(ExecuteOptions {
            timeout: Duration::from_millis(ms),
        })
    }
}

impl Default for ExecuteOptions {
    fn default() -> Self {
        ExecuteOptions {
            timeout: Duration::from_millis(Self::DEFAULT_TIMEOUT_MS),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn override_settings_parse() {
        let m = parse_base_url_overrides(" github=https://ghe.local/api/v3 , jira=http://j:8080,")
            .unwrap();
        assert_eq!(m["github"], "https://ghe.local/api/v3");
        assert_eq!(m["jira"], "http://j:8080");
        assert!(parse_base_url_overrides("").unwrap().is_empty());
        assert!(parse_base_url_overrides("github").is_err());
        assert!(parse_base_url_overrides("GitHub=https://x").is_err());
        assert!(parse_base_url_overrides("github=ftp://x").is_err());
    }

    #[test]
    fn timeouts_outside_the_range_are_refused() {
        assert!(ExecuteOptions::from_timeout_ms(Some(999)).is_err());
        assert!(ExecuteOptions::from_timeout_ms(Some(300_001)).is_err());
        assert_eq!(
            ExecuteOptions::from_timeout_ms(None).unwrap().timeout,
            Duration::from_secs(30)
        );
        let e = ExecuteOptions::from_timeout_ms(Some(0)).unwrap_err();
        assert_eq!(e.parameter(), Some("timeout"));
    }
}
