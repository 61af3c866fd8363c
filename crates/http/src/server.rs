//! The accept loop, per-request dispatch, request logs and graceful shutdown.

use std::convert::Infallible;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Instant;

use alloy_gateway::Gateway;
use alloy_ratelimit::RateLimiter;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Method, Request};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use tokio::net::TcpListener;
use tokio::sync::watch;

use alloy_gateway::audit::RequestScope;
use hyper::header::HeaderValue;
use tracing::Instrument;

use crate::access_log::loggable_path;
use crate::config::HttpConfig;
use crate::connection::{self, Activity, Deadlines};
use crate::metrics_endpoint::MetricsEndpoint;
use crate::rejections::ShapedRejections;
use crate::request_body::{self, RequestBody};
use crate::respond::{self, HttpResponse};
use crate::router::Route;
use crate::{audit, client_ip, credentials, health, management, mcp, observe};

/// Links a request's span to the trace its headers name (W3C `traceparent`). The binary
/// supplies it when trace export is on; this crate knows no tracing backend.
pub type TraceParent = Arc<dyn Fn(&hyper::HeaderMap, &tracing::Span) + Send + Sync>;

/// Everything a request handler needs. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    /// The application services.
    pub gateway: Gateway,
    /// The rate limiter shared by both APIs.
    pub limiter: Arc<dyn RateLimiter>,
    /// Limits and trust settings.
    pub config: Arc<HttpConfig>,
    /// `/metrics` on this listener, if served here.
    pub metrics: Option<MetricsEndpoint>,
    /// How incoming trace context is honoured, if at all.
    pub trace_parent: Option<TraceParent>,
    /// The MCP endpoint's `Origin`/`Host` rules, parsed from `config` once.
    pub(crate) origins: Arc<crate::mcp::origin::OriginRules>,
}

impl AppState {
    /// State over a gateway and a limiter.
    pub fn new(gateway: Gateway, limiter: Arc<dyn RateLimiter>, config: HttpConfig) -> Self {
        AppState {
            gateway,
            limiter,
            origins: Arc::new(crate::mcp::origin::OriginRules::new(&config)),
            config: Arc::new(config),
            metrics: None,
            trace_parent: None,
        }
    }

    /// Serves `/metrics` on this listener.
    pub fn with_metrics(mut self, endpoint: MetricsEndpoint) -> Self {
        self.metrics = Some(endpoint);
        self
    }

    /// Honours incoming trace context with `link`.
    pub fn with_trace_parent(mut self, link: TraceParent) -> Self {
        self.trace_parent = Some(link);
        self
    }
}

/// What is known of a request before it is routed.
#[derive(Debug, Clone)]
pub struct RequestContext {
    /// The client's address (see [`client_ip`](crate::client_ip)).
    pub client_ip: IpAddr,
}

impl RequestContext {
    /// The rate-limit bucket of a request that carries no credential: the client's IPv4
    /// address, or the /64 network of an IPv6 address (one host usually holds a whole /64, so
    /// a per-address bucket would be one bucket per attempt).
    pub fn address_bucket(&self) -> String {
        match self.client_ip {
            IpAddr::V4(v4) => format!("ip:{v4}"),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => format!("ip:{v4}"),
                None => {
                    let s = v6.segments();
                    format!("ip:{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
                }
            },
        }
    }
}

/// Serves `listener` until `shutdown` resolves, then stops accepting and waits (up to the
/// configured grace period) for in-flight requests to finish.
pub async fn run(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(state.config.header_read_timeout)
        .keep_alive(true);
    builder.http2().timer(TokioTimer::new());
    // Every connection task holds a receiver: the sender sees them all gone at the end.
    let (shutdown_tx, shutdown_rx) = watch::channel(false);
    let deadlines = Deadlines {
        first_request: state.config.header_read_timeout,
        idle: state.config.idle_timeout,
    };
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(e) => {
                    // Out of file descriptors and the like: back off instead of spinning.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let state = state.clone();
        let activity = Activity::new();
        let service = {
            let activity = Arc::clone(&activity);
            service_fn(move |req| {
                let state = state.clone();
                let activity = Arc::clone(&activity);
                async move { Ok::<_, Infallible>(activity.track(handle(state, peer, req).await)) }
            })
        };
        let conn = builder
            .serve_connection_with_upgrades(TokioIo::new(ShapedRejections::new(stream)), service)
            .into_owned();
        tokio::spawn(connection::serve(
            conn,
            |c| c.graceful_shutdown(),
            activity,
            deadlines,
            shutdown_rx.clone(),
        ));
    }
    drop(listener);
    drop(shutdown_rx);
    tracing::info!("no longer accepting connections; finishing in-flight requests");
    let _ = shutdown_tx.send(true);
    if tokio::time::timeout(state.config.shutdown_grace, shutdown_tx.closed())
        .await
        .is_err()
    {
        tracing::warn!("shutdown grace period ended with requests still in flight");
    }
    Ok(())
}

async fn handle(state: AppState, peer: SocketAddr, req: Request<Incoming>) -> HttpResponse {
    let started = Instant::now();
    let method = req.method().clone();
    let path = loggable_path(req.uri().path());
    let ctx = RequestContext {
        client_ip: client_ip::client_ip(peer.ip(), req.headers(), &state.config.trusted_proxies),
    };
    let request_id = observe::request_id(req.headers());
    let route = Route::parse(req.uri().path());
    let template = route.as_ref().map_or("unmatched", Route::template);
    let span = tracing::info_span!(
        "request",
        otel.name = %format!("{method} {template}"),
        otel.kind = "server",
        http.request.method = %method,
        http.route = template,
        url.path = %path,
        http.response.status_code = tracing::field::Empty,
        client.address = %ctx.client_ip,
        alloy.request.id = %request_id,
    );
    if let Some(link) = &state.trace_parent {
        link(req.headers(), &span);
    }
    let scope = RequestScope::new(request_id.clone(), Some(ctx.client_ip));
    let (req, leftover) = request_body::track(req);
    let mut resp = Arc::clone(&scope)
        .run(dispatch(&state, &ctx, route, req))
        .instrument(span.clone())
        .await;
    leftover.settle(&mut resp);
    let status = resp.status().as_u16();
    span.record("http.response.status_code", status);
    if let Ok(v) = HeaderValue::from_str(&request_id) {
        resp.headers_mut().insert(observe::REQUEST_ID_HEADER, v);
    }
    let elapsed = started.elapsed();
    observe::count_request(&method, template, status, elapsed);
    let notes = scope.notes();
    tracing::info!(
        target: "alloy::access",
        method = %method,
        path = %path,
        status,
        latency_us = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX),
        client = %ctx.client_ip,
        request_id = %request_id,
        mcp_method = notes.mcp_method.as_deref(),
        protocol_version = notes.protocol_version.as_deref(),
        tool = notes.tool.as_deref(),
        connector = notes.connector.as_deref(),
        action = notes.action.as_deref(),
        user = notes.user.as_deref(),
        outcome = notes.outcome,
        error_code = notes.error_code.as_deref(),
        reason = notes.reason.as_deref(),
        "request"
    );
    resp
}

async fn dispatch(
    state: &AppState,
    ctx: &RequestContext,
    route: Option<Route>,
    req: Request<RequestBody>,
) -> HttpResponse {
    if let Some(err) = crate::request::malformed(req.version(), req.headers()) {
        return refused_by_address(state, ctx, respond::error(&err)).await;
    }
    // Requests no route serves spend the client address's budget, so probing is limited too.
    let Some(route) = route else {
        return refused_by_address(state, ctx, respond::route_not_found()).await;
    };
    // The MCP endpoint answers every method itself, in JSON-RPC form, after its own checks.
    if !matches!(route, Route::Mcp { .. }) && !route.allows(req.method()) {
        return refused_by_address(state, ctx, respond::method_not_allowed(route.allowed())).await;
    }
    let head = req.method() == Method::HEAD;
    let resp = match route {
        Route::Health => health::healthz(),
        Route::OpenApi => crate::openapi::document(),
        Route::Ready => health::readyz(state).await,
        Route::Metrics => match &state.metrics {
            Some(endpoint) => endpoint.respond(&req),
            None => refused_by_address(state, ctx, respond::route_not_found()).await,
        },
        Route::Audit => audit::handle(state, ctx, req).await,
        Route::Mcp { .. } => mcp::handle(state, ctx, route, req).await,
        Route::User(_)
        | Route::Credentials
        | Route::Credential(_)
        | Route::CredentialMetadata(_)
        | Route::OAuthApps
        | Route::OAuthApp(_)
        | Route::OAuthCallback => credentials::handle(state, ctx, route, req).await,
        Route::Servers
        | Route::Server(_)
        | Route::RotateToken(_)
        | Route::UserToken(_)
        | Route::SignInLinks(_) => management::handle(state, ctx, route, req).await,
        Route::Keys | Route::Key(_) | Route::Users | Route::OAuthGrants | Route::OAuthGrant(_) => {
            crate::account::handle(state, ctx, route, req).await
        }
        Route::Connectors
        | Route::Connector(_)
        | Route::ConnectorAction { .. }
        | Route::Discover => crate::catalog::handle(state, ctx, route, req).await,
        Route::ConsoleSession => crate::console::session::handle(state, ctx, req).await,
        Route::ProtectedResource(_)
        | Route::AuthorizationServerMetadata { .. }
        | Route::OAuthRegister
        | Route::OAuthSignInLink(_)
        | Route::OAuthAuthorize
        | Route::OAuthSingleSignOnCallback
        | Route::OAuthToken
        | Route::OAuthRevoke => crate::authorization::handle(state, ctx, route, req).await,
        Route::Root => crate::console::root(),
        Route::Console => crate::console::page(req.headers()),
        Route::ConsoleAsset(path) => crate::console::file(&path, req.headers()),
    };
    if head { strip_body(resp) } else { resp }
}

/// `refusal`, or a 429 once the client address's budget is spent; either way with the
/// address bucket's headers.
async fn refused_by_address(
    state: &AppState,
    ctx: &RequestContext,
    mut refusal: HttpResponse,
) -> HttpResponse {
    let decision = state.limiter.check(&ctx.address_bucket()).await;
    if !decision.allowed {
        return crate::rate_limit::management_refusal(&decision);
    }
    crate::rate_limit::write_headers(refusal.headers_mut(), &decision);
    refusal
}

fn strip_body(resp: HttpResponse) -> HttpResponse {
    let (parts, _) = resp.into_parts();
    hyper::Response::from_parts(parts, respond::full(bytes::Bytes::new()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bucket(ip: &str) -> String {
        RequestContext {
            client_ip: ip.parse().unwrap(),
        }
        .address_bucket()
    }

    #[test]
    fn address_buckets() {
        assert_eq!(bucket("203.0.113.9"), "ip:203.0.113.9");
        assert_eq!(bucket("::ffff:203.0.113.9"), "ip:203.0.113.9");
        assert_eq!(bucket("2001:db8:1:2:3:4:5:6"), "ip:2001:db8:1:2::/64");
        assert_eq!(
            bucket("2001:db8:1:2:ffff::1"),
            bucket("2001:db8:1:2::9"),
            "one /64, one bucket"
        );
        assert_ne!(bucket("2001:db8:1:2::1"), bucket("2001:db8:1:3::1"));
    }
}
