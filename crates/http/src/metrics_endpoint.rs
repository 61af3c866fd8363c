//! `GET /metrics`: the Prometheus text exposition, on the main listener behind an optional
//! bearer token, or on a listener of its own ([`serve_metrics`]).

use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;

use alloy_domain::ApiError;
use hyper::body::Incoming;
use hyper::header::{self, HeaderValue};
use hyper::service::service_fn;
use hyper::{Method, Request, Response};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;

use crate::respond::{self, HttpResponse};

/// Renders the current metrics in the Prometheus text format.
pub type RenderMetrics = Arc<dyn Fn() -> String + Send + Sync>;

/// What `/metrics` serves, and who may read it.
#[derive(Clone)]
pub struct MetricsEndpoint {
    render: RenderMetrics,
    token: Option<String>,
}

impl std::fmt::Debug for MetricsEndpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MetricsEndpoint")
            .field("guarded", &self.token.is_some())
            .finish_non_exhaustive()
    }
}

impl MetricsEndpoint {
    /// An endpoint rendering with `render`; with a `token`, a scrape must send
    /// `Authorization: Bearer <token>`.
    pub fn new(render: RenderMetrics, token: Option<String>) -> Self {
        MetricsEndpoint {
            render,
            token: token.filter(|t| !t.is_empty()),
        }
    }

    /// Answers one scrape.
    pub fn respond<B>(&self, req: &Request<B>) -> HttpResponse {
        if let Some(token) = &self.token {
            let presented = req
                .headers()
                .get(header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.split_once(' '))
                .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
                .map(|(_, t)| t.trim());
            let matches = presented.is_some_and(|p| {
                use subtle::ConstantTimeEq;
                bool::from(p.as_bytes().ct_eq(token.as_bytes()))
            });
            if !matches {
                return respond::error(&ApiError::unauthorized(
                    "Metrics require Authorization: Bearer <ALLOY_METRICS_TOKEN>",
                ));
            }
        }
        let mut resp = Response::new(respond::full((self.render)()));
        resp.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
        );
        resp
    }
}

/// Serves only `/metrics` on `listener` (HTTP/1.1) until `shutdown` resolves.
pub async fn serve_metrics(
    listener: TcpListener,
    endpoint: MetricsEndpoint,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let endpoint = Arc::new(endpoint);
    tokio::pin!(shutdown);
    loop {
        let (stream, _) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(e) => {
                    tracing::warn!(error = %e, "metrics listener: accept failed");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => return Ok(()),
        };
        let endpoint = Arc::clone(&endpoint);
        let service = service_fn(move |req: Request<Incoming>| {
            let endpoint = Arc::clone(&endpoint);
            async move {
                let resp = match (req.method(), req.uri().path()) {
                    (&Method::GET | &Method::HEAD, "/metrics") => endpoint.respond(&req),
                    (_, "/metrics") => respond::method_not_allowed("GET, HEAD"),
                    _ => respond::route_not_found(),
                };
                Ok::<_, Infallible>(resp)
            }
        });
        tokio::spawn(async move {
            let conn = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(std::time::Duration::from_secs(10))
                .serve_connection(TokioIo::new(stream), service);
            if let Err(e) = conn.await {
                tracing::debug!(error = %e, "metrics connection ended with an error");
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hyper::StatusCode;

    fn scrape(endpoint: &MetricsEndpoint, auth: Option<&str>) -> StatusCode {
        let mut req = Request::builder().uri("/metrics");
        if let Some(a) = auth {
            req = req.header("authorization", a);
        }
        endpoint.respond(&req.body(()).unwrap()).status()
    }

    #[test]
    fn token_guard() {
        let render: RenderMetrics = Arc::new(|| "up 1\n".to_owned());
        let open = MetricsEndpoint::new(Arc::clone(&render), None);
        assert_eq!(scrape(&open, None), StatusCode::OK);
        let guarded = MetricsEndpoint::new(render, Some("s3cret-token".into()));
        assert_eq!(scrape(&guarded, None), StatusCode::UNAUTHORIZED);
        assert_eq!(
            scrape(&guarded, Some("Bearer nope")),
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(
            scrape(&guarded, Some("Basic s3cret-token")),
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(
            scrape(&guarded, Some("Bearer s3cret-token")),
            StatusCode::OK
        );
        assert_eq!(
            scrape(&guarded, Some("bearer s3cret-token")),
            StatusCode::OK
        );
    }
}
