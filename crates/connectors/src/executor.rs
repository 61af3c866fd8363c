//! Sending an action's request upstream: one pooled client, an overall timeout, retries of
//! idempotent requests, same-origin redirects only, a cap on the answer's size, and the mapping of
//! the answer (or its absence) to an [`ActionResponse`] or an [`Error`].

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, SystemTime};

use bytes::BytesMut;
use reqwest::header::{CONTENT_LENGTH, CONTENT_TYPE, HeaderMap, LOCATION, RETRY_AFTER, SET_COOKIE};
use reqwest::{Method, StatusCode, redirect};
use serde_json::Value;
use tokio::time::Instant;
use url::Url;

use crate::credential::CredentialMaterial;
use crate::error::Error;
use crate::model::{Action, Connector};
use crate::pagination::{lookup, next_page};
use crate::request::{self, OutgoingRequest};

/// Upstream bodies larger than this (serialized) are left out of error details.
const DETAILS_BODY_LIMIT: usize = 4096;

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
}

/// Status classes as metric labels (`none`: no answer — timeout, refused connection).
const STATUS_CLASSES: [&str; 6] = ["0xx", "1xx", "2xx", "3xx", "4xx", "5xx"];

/// Counts one upstream call (retries included) by connector and status class, and its latency.
fn count_call(connector_id: &str, status: Option<u16>, took: Duration) {
    let class = match status {
        Some(s) => STATUS_CLASSES[usize::from(s / 100).min(5)],
        None => "none",
    };
    metrics::counter!(
        "alloy_upstream_requests_total",
        "connector" => connector_id.to_owned(),
        "status" => class,
    )
    .increment(1);
    metrics::histogram!(
        "alloy_upstream_request_duration_seconds",
        "connector" => connector_id.to_owned(),
    )
    .record(took.as_secs_f64());
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

/// A successful upstream answer.
#[derive(Debug, Clone, PartialEq)]
pub struct ActionResponse {
    /// HTTP status (2xx).
    pub status: u16,
    /// Response headers (lower-case names; repeated headers joined with `, `; no `set-cookie`).
    pub headers: BTreeMap<String, String>,
    /// The body: parsed JSON, or a JSON string for any other content; `null` when empty.
    pub body: Value,
    /// Parameters to merge into the same call to get the next page (`x-alloy-pagination`);
    /// `None` on the last page or for actions that do not page.
    pub next_page: Option<Value>,
    /// The action's `x-alloy-list-path`, for finding the main list in `body`.
    pub list_path: Option<String>,
    /// How many requests were sent (1 + retries).
    pub attempts: u32,
}

impl ActionResponse {
    /// The main list of the answer (at the action's list path), when there is one.
    pub fn list(&self) -> Option<&Vec<Value>> {
        lookup(&self.body, self.list_path.as_deref()?)?.as_array()
    }
}

/// Executes actions. Cheap to clone: clones share one connection pool.
#[derive(Debug, Clone)]
pub struct Executor {
    client: reqwest::Client,
    config: ExecutorConfig,
}

/// One upstream answer, read in full (within the cap).
struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: Vec<u8>,
}

impl Executor {
    /// An executor with its own connection pool. Fails when a base URL override is not an
    /// absolute http(s) URL or the TLS stack cannot start.
    pub fn new(config: ExecutorConfig) -> Result<Self, Error> {
        for (id, url) in &config.base_url_overrides {
            match Url::parse(url) {
                Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => {}
                _ => {
                    return Err(Error::Config(format!(
                        "base URL override for `{id}` is not an absolute http(s) URL"
                    )));
                }
            }
        }
        let max_redirects = config.max_redirects;
        let policy = redirect::Policy::custom(move |attempt| {
            let same_origin = attempt
                .previous()
                .last()
                .is_some_and(|prev| prev.origin() == attempt.url().origin());
            // `previous` holds the original URL plus every redirect already followed.
            if same_origin && attempt.previous().len() <= max_redirects {
                attempt.follow()
            } else {
                attempt.stop()
            }
        });
        let client = reqwest::Client::builder()
            .redirect(policy)
            .connect_timeout(config.connect_timeout)
            .pool_idle_timeout(Duration::from_secs(90))
            .user_agent(config.user_agent.clone())
            .build()
            .map_err(|e| Error::Config(format!("HTTP client: {}", e.without_url())))?;
        Ok(Executor { client, config })
    }

    /// The configuration in use.
    pub fn config(&self) -> &ExecutorConfig {
        &self.config
    }

    /// The server URL requests of `connector` go to with this credential: the configured
    /// override, or `servers[0].url` with its variables filled from the credential.
    pub fn base_url(
        &self,
        connector: &Connector,
        credential: &CredentialMaterial,
    ) -> Result<Url, Error> {
        request::base_url(
            connector,
            credential,
            self.config
                .base_url_overrides
                .get(&connector.id)
                .map(String::as_str),
        )
    }

    /// Validates `params`, sends the action's request with the credential injected, and maps the
    /// answer. Nothing is sent when validation fails.
    pub async fn execute(
        &self,
        connector: &Connector,
        action: &Action,
        params: &Value,
        credential: &CredentialMaterial,
        options: ExecuteOptions,
    ) -> Result<ActionResponse, Error> {
        let timeout_ms = u64::try_from(options.timeout.as_millis()).unwrap_or(u64::MAX);
        ExecuteOptions::from_timeout_ms(Some(timeout_ms))?;
        let prepared = action.prepare(params, Some(credential))?;
        let scheme = connector.scheme_for(action, credential)?;
        let base = self.base_url(connector, credential)?;
        let outgoing = request::build(action, &prepared, scheme, credential, &base)?;

        let started = Instant::now();
        let deadline = started + options.timeout;
        let result = self
            .send_with_retries(&outgoing, deadline, timeout_ms)
            .await;
        let elapsed = started.elapsed();
        let elapsed_ms = elapsed.as_millis();
        count_call(
            &connector.id,
            result.as_ref().ok().map(|(a, _)| a.status.as_u16()),
            elapsed,
        );
        let (answer, attempts) = match result {
            Ok(ok) => ok,
            Err(e) => {
                tracing::info!(
                    connector = %connector.id, action = %action.id, method = %action.method,
                    elapsed_ms, error = %e, "upstream call failed"
                );
                return Err(e);
            }
        };
        tracing::debug!(
            connector = %connector.id, action = %action.id, method = %action.method,
            status = answer.status.as_u16(), attempts, elapsed_ms, "upstream call"
        );

        let body = decode_body(&answer.headers, &answer.body);
        if !answer.status.is_success() {
            return Err(status_error(&answer, body));
        }
        if let Some(conv) = &connector.error_convention
            && lookup(&body, &conv.ok_field) == Some(&Value::Bool(false))
        {
            let message = match lookup(&body, &conv.error_field) {
                Some(Value::String(s)) => s.clone(),
                Some(other) => other.to_string(),
                None => "the platform reported a failure without a message".to_owned(),
            };
            return Err(Error::UpstreamReported {
                status: answer.status.as_u16(),
                unauthorized: conv.auth_errors.iter().any(|a| a == &message),
                message,
                body: small(&body),
            });
        }

        let mut sent = prepared.query.clone();
        if let Some(Value::Object(fields)) = &prepared.body {
            for (k, v) in fields {
                sent.entry(k.clone()).or_insert_with(|| v.clone());
            }
        }
        let next = next_page(
            action,
            &sent,
            &answer.headers,
            &body,
            outgoing.auth_query_param.as_deref(),
        );
        Ok(ActionResponse {
            status: answer.status.as_u16(),
            headers: header_map(&answer.headers),
            body,
            next_page: next,
            list_path: action.list_path.clone(),
            attempts,
        })
    }

    async fn send_with_retries(
        &self,
        outgoing: &OutgoingRequest,
        deadline: Instant,
        timeout_ms: u64,
    ) -> Result<(Answer, u32), Error> {
        let idempotent = matches!(
            outgoing.method,
            Method::GET | Method::HEAD | Method::PUT | Method::DELETE | Method::OPTIONS
        );
        let mut attempts = 0u32;
        loop {
            attempts += 1;
            let remaining = deadline.saturating_duration_since(Instant::now());
            if remaining.is_zero() {
                return Err(Error::UpstreamTimeout { timeout_ms });
            }
            let outcome = tokio::time::timeout(remaining, self.send_once(outgoing)).await;
            let retries_left = idempotent && attempts <= self.config.max_retries;
            let wait = match outcome {
                Err(_elapsed) => return Err(Error::UpstreamTimeout { timeout_ms }),
                Ok(Err(Retryable::Connect(e))) if retries_left => {
                    tracing::debug!(attempt = attempts, error = %e, "connect failed; retrying");
                    self.backoff(attempts)
                }
                Ok(Err(Retryable::Connect(e) | Retryable::Final(e))) => return Err(e),
                Ok(Ok(answer)) => {
                    let retryable_status = matches!(answer.status.as_u16(), 429 | 502 | 503 | 504);
                    if !(retryable_status && retries_left) {
                        return Ok((answer, attempts));
                    }
                    let wait = match retry_after(&answer.headers) {
                        Some(asked) => asked,
                        None => self.backoff(attempts),
                    };
                    if Instant::now() + wait >= deadline {
                        // Waiting past the deadline would only end in a timeout: pass the
                        // answer on now (its Retry-After goes into the error details).
                        return Ok((answer, attempts));
                    }
                    wait
                }
            };
            tokio::time::sleep(wait).await;
        }
    }

    fn backoff(&self, attempt: u32) -> Duration {
        let factor = 2u32.saturating_pow(attempt.saturating_sub(1));
        let delay = self
            .config
            .retry_base_delay
            .saturating_mul(factor)
            .min(self.config.retry_max_delay);
        // Spread retries of many callers over the second half of the delay.
        let nanos = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let fraction = 0.5 + f64::from(nanos % 1000) / 2000.0;
        delay.mul_f64(fraction)
    }

    async fn send_once(&self, outgoing: &OutgoingRequest) -> Result<Answer, Retryable> {
        let mut headers = outgoing.headers.clone();
        if let Some(HeaderDecorator(decorate)) = &self.config.decorate {
            decorate(&mut headers);
        }
        let mut builder = self
            .client
            .request(outgoing.method.clone(), outgoing.url.clone())
            .headers(headers);
        if let Some(body) = &outgoing.body {
            builder = builder.body(body.clone());
        }
        let mut response = builder.send().await.map_err(transport_error)?;
        let status = response.status();
        let headers = response.headers().clone();
        if status.is_redirection() && headers.contains_key(LOCATION) {
            return Err(Retryable::Final(Error::RedirectRefused {
                status: status.as_u16(),
                location: headers
                    .get(LOCATION)
                    .and_then(|l| l.to_str().ok())
                    .map(without_query)
                    .unwrap_or_default(),
            }));
        }
        let limit = self.config.max_response_bytes;
        let declared = headers
            .get(CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if declared.is_some_and(|len| len > limit as u64) {
            return Err(Retryable::Final(Error::ResponseTooLarge { limit }));
        }
        let mut body = BytesMut::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| Retryable::Final(read_error(e)))?
        {
            if body.len() + chunk.len() > limit {
                return Err(Retryable::Final(Error::ResponseTooLarge { limit }));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Answer {
            status,
            headers,
            body: body.to_vec(),
        })
    }
}

/// Why one attempt failed: connection failures may be retried, the rest may not.
enum Retryable {
    Connect(Error),
    Final(Error),
}

fn transport_error(e: reqwest::Error) -> Retryable {
    // The URL may carry a query-string API key: never let it into a message.
    let connect = e.is_connect();
    let err = Error::Transport {
        message: error_chain(&e.without_url()),
    };
    if connect {
        Retryable::Connect(err)
    } else {
        Retryable::Final(err)
    }
}

fn read_error(e: reqwest::Error) -> Error {
    Error::Transport {
        message: format!(
            "reading the answer failed: {}",
            error_chain(&e.without_url())
        ),
    }
}

/// The error and its sources, one after the other ("error sending request: connection refused").
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let part = s.to_string();
        if !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        source = s.source();
    }
    text
}

fn without_query(location: &str) -> String {
    let cut = location.find(['?', '#']).unwrap_or(location.len());
    location[..cut].to_owned()
}

/// `Retry-After` as a delay: delta-seconds or an HTTP date (a past date is no wait).
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let delta = when.signed_duration_since(chrono::Utc::now());
    Some(delta.to_std().unwrap_or(Duration::ZERO))
}

/// A JSON body as JSON; anything else (or JSON that does not parse) as a JSON string.
fn decode_body(headers: &HeaderMap, bytes: &[u8]) -> Value {
    if bytes.is_empty() {
        return Value::Null;
    }
    let content_type = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    let media = content_type.split(';').next().unwrap_or("").trim();
    let looks_json = media.is_empty()
        || media == "application/json"
        || media.ends_with("+json")
        || media == "text/json";
    if looks_json && let Ok(v) = serde_json::from_slice(bytes) {
        return v;
    }
    Value::String(String::from_utf8_lossy(bytes).into_owned())
}

fn header_map(headers: &HeaderMap) -> BTreeMap<String, String> {
    let mut out: BTreeMap<String, String> = BTreeMap::new();
    for (name, value) in headers {
        if name == SET_COOKIE {
            continue;
        }
        let Ok(value) = value.to_str() else {
            continue;
        };
        out.entry(name.as_str().to_owned())
            .and_modify(|v| {
                v.push_str(", ");
                v.push_str(value);
            })
            .or_insert_with(|| value.to_owned());
    }
    out
}

/// The body, unless it is too large to repeat in error details.
fn small(body: &Value) -> Option<Value> {
    if body.is_null() {
        return None;
    }
    let size = serde_json::to_vec(body)
        .map(|b| b.len())
        .unwrap_or(usize::MAX);
    (size <= DETAILS_BODY_LIMIT).then(|| body.clone())
}

fn status_error(answer: &Answer, body: Value) -> Error {
    let message = upstream_message(&body).unwrap_or_else(|| {
        answer
            .status
            .canonical_reason()
            .unwrap_or("upstream error")
            .to_owned()
    });
    Error::UpstreamStatus {
        status: answer.status.as_u16(),
        message,
        body: small(&body),
        retry_after_secs: retry_after(&answer.headers).map(|d| d.as_secs()),
    }
}

/// The human message of an error body, from the fields platforms commonly use.
fn upstream_message(body: &Value) -> Option<String> {
    const MAX: usize = 500;
    let text = match body {
        Value::String(s) => s.trim().to_owned(),
        Value::Object(_) => {
            let candidates = [
                "message",
                "error.message",
                "error_description",
                "error",
                "errors.0.message",
                "errors.0.detail",
                "errors.0.title",
                "errors.0",
                "detail",
                "title",
                "error_message",
                "msg",
                "description",
            ];
            candidates
                .iter()
                .find_map(|path| match lookup(body, path) {
                    Some(Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_owned()),
                    _ => None,
                })?
        }
        _ => return None,
    };
    if text.is_empty() {
        return None;
    }
    Some(match text.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn messages_from_common_error_shapes() {
        assert_eq!(
            upstream_message(&json!({"message": "Bad"})).as_deref(),
            Some("Bad")
        );
        assert_eq!(
            upstream_message(&json!({"error": {"message": "Nested"}})).as_deref(),
            Some("Nested")
        );
        assert_eq!(
            upstream_message(&json!({"error": "flat"})).as_deref(),
            Some("flat")
        );
        assert_eq!(
            upstream_message(&json!({"errors": [{"message": "first"}]})).as_deref(),
            Some("first")
        );
        assert_eq!(
            upstream_message(&json!("plain text")).as_deref(),
            Some("plain text")
        );
        assert_eq!(upstream_message(&json!({"x": 1})), None);
        let long = "é".repeat(600);
        assert_eq!(upstream_message(&json!(long)).unwrap().chars().count(), 501);
    }

    #[test]
    fn retry_after_forms() {
        let mut h = HeaderMap::new();
        h.insert(RETRY_AFTER, "7".parse().unwrap());
        assert_eq!(retry_after(&h), Some(Duration::from_secs(7)));
        h.insert(
            RETRY_AFTER,
            "Wed, 21 Oct 2015 07:28:00 GMT".parse().unwrap(),
        );
        assert_eq!(retry_after(&h), Some(Duration::ZERO));
        let later = (chrono::Utc::now() + chrono::Duration::seconds(120))
            .format("%a, %d %b %Y %H:%M:%S GMT")
            .to_string();
        h.insert(RETRY_AFTER, later.parse().unwrap());
        let d = retry_after(&h).unwrap();
        assert!(
            d > Duration::from_secs(100) && d <= Duration::from_secs(120),
            "{d:?}"
        );
        h.insert(RETRY_AFTER, "soon".parse().unwrap());
        assert_eq!(retry_after(&h), None);
    }

    #[test]
    fn bodies_decode_by_content_type() {
        let mut h = HeaderMap::new();
        assert_eq!(decode_body(&h, b""), Value::Null);
        assert_eq!(decode_body(&h, b"{\"a\":1}"), json!({"a": 1}));
        h.insert(CONTENT_TYPE, "text/plain".parse().unwrap());
        assert_eq!(decode_body(&h, b"123"), json!("123"));
        h.insert(
            CONTENT_TYPE,
            "application/vnd.api+json; charset=utf-8".parse().unwrap(),
        );
        assert_eq!(decode_body(&h, b"[1]"), json!([1]));
        h.insert(CONTENT_TYPE, "application/json".parse().unwrap());
        assert_eq!(decode_body(&h, b"not json"), json!("not json"));
    }

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
