//! Sending an action's request upstream: one pooled client, an overall timeout, retries of
//! idempotent requests, same-origin redirects only, a cap on the answer's size, and the mapping of
//! the answer (or its absence) to an [`ActionResponse`] or an [`Error`].

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use bytes::BytesMut;
use reqwest::header::{CONTENT_LENGTH, HeaderMap, LOCATION};
use reqwest::{Method, StatusCode, redirect};
use serde_json::Value;
use tokio::time::Instant;
use url::Url;

use crate::credential::CredentialMaterial;
use crate::error::Error;
use crate::model::{Action, Connector};
use crate::pagination::{lookup, next_page};
use crate::request::{self, OutgoingRequest};

mod answer;
mod guard;
mod settings;

pub use guard::{AddressPolicy, BLOCKED_NETWORKS, RefusedAddress};
pub use settings::{
    ExecuteOptions, ExecutorConfig, ExtraRoots, HeaderDecorator, parse_base_url_overrides,
};

use answer::{decode_body, header_map, retry_after, small, status_error};

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
    policy: std::sync::Arc<AddressPolicy>,
}

/// One upstream answer, read in full (within the cap).
pub(super) struct Answer {
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
        let addresses = std::sync::Arc::new(AddressPolicy::new(config.upstream_allow.clone()));
        let client = config
            .extra_roots
            .apply(reqwest::Client::builder())
            .dns_resolver(std::sync::Arc::new(guard::GuardedResolver {
                policy: std::sync::Arc::clone(&addresses),
            }))
            .redirect(policy)
            .connect_timeout(config.connect_timeout)
            .pool_idle_timeout(Duration::from_secs(90))
            .user_agent(config.user_agent.clone())
            .build()
            .map_err(|e| Error::Config(format!("HTTP client: {}", e.without_url())))?;
        Ok(Executor {
            client,
            config,
            policy: addresses,
        })
    }

    /// The configuration in use.
    pub fn config(&self) -> &ExecutorConfig {
        &self.config
    }

    /// The addresses this executor may call, for other clients that must keep the same rule.
    pub fn address_policy(&self) -> std::sync::Arc<AddressPolicy> {
        std::sync::Arc::clone(&self.policy)
    }

    /// The certificate authorities trusted besides the system's, for the gateway's other
    /// outgoing HTTPS clients.
    pub fn extra_roots(&self) -> &ExtraRoots {
        &self.config.extra_roots
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
        // Names are checked by the resolver; an address written in the URL never reaches it.
        if let Some(refused) = self.policy.refused_literal(&outgoing.url) {
            return Err(Retryable::Final(Error::AddressRefused {
                host: refused.host,
                address: refused.address.to_string(),
            }));
        }
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
    if let Some(refused) = RefusedAddress::find(&e) {
        return Retryable::Final(Error::AddressRefused {
            host: refused.host.clone(),
            address: refused.address.to_string(),
        });
    }
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
