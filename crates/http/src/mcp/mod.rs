//! The MCP endpoint: Streamable HTTP over `/mcp/:serverId[/:accessToken]`.
//!
//! Every request is checked in the same order: `Origin`/`Host` (DNS rebinding), credentials
//! and server visibility, the rate limit, then the method. POST carries JSON-RPC; under the
//! session revisions (2025-03-26, 2025-06-18, 2025-11-25) `initialize` opens a session stored
//! in the shared database and later requests must name it; under 2026-07-28 each request
//! stands alone. GET answers 405 (the server never pushes messages), DELETE ends a session.

pub(crate) mod origin;
mod post;
mod reply;

use crate::request_body::RequestBody;
use alloy_domain::{ApiError, ErrorCode};
use alloy_gateway::audit::{AuditEvent, Outcome, RequestScope};
use alloy_gateway::mcp::McpContext;
use alloy_gateway::mcp::access::McpAuth;
use alloy_gateway::mcp::sessions::session_error;
use hyper::header::HeaderValue;
use hyper::{Method, Request, StatusCode};

use crate::rate_limit;
use crate::request::header_str;
use crate::respond::HttpResponse;
use crate::router::Route;
use crate::server::{AppState, RequestContext};

/// The session header.
pub const SESSION_HEADER: &str = "mcp-session-id";

/// Serves one request to the MCP endpoint.
pub async fn handle(
    state: &AppState,
    ctx: &RequestContext,
    route: Route,
    req: Request<RequestBody>,
) -> HttpResponse {
    let Route::Mcp {
        server_id,
        access_token,
    } = route
    else {
        return crate::respond::route_not_found();
    };
    if let Err(refusal) = state.origins.check(req.headers()) {
        let message = match refusal {
            origin::Refusal::Origin => "Origin not allowed",
            origin::Refusal::Host => "Host not allowed",
        };
        let error = ApiError::forbidden(message);
        state
            .gateway
            .record_mcp_refusal(&server_id, &error.clone().into())
            .await;
        return reply::failure(&error);
    }
    let headers = req.headers();
    let server_id = match (server_id.is_empty(), header_str(headers, "x-mcp-server-id")) {
        (true, Some(h)) => h.to_owned(),
        (false, Some(h)) if h != server_id => {
            return reply::failure(&ApiError::new(
                ErrorCode::InvalidRequest,
                "x-mcp-server-id does not match the server in the URL",
            ));
        }
        (true, None) => {
            return reply::failure(&ApiError::not_found("No server named: use /mcp/:serverId"));
        }
        _ => server_id,
    };
    let auth_headers = match crate::request::auth_headers(headers) {
        Ok(h) => h,
        Err(e) => return reply::failure(&e),
    };
    let auth = McpAuth {
        server_id: &server_id,
        access_token: access_token.as_deref(),
        headers: auth_headers,
    };
    let (server, caller) = match state.gateway.mcp_access(&auth).await {
        Ok(pair) => pair,
        Err(e) => {
            state.gateway.record_mcp_refusal(&server_id, &e).await;
            let decision = state.limiter.check(&ctx.address_bucket()).await;
            if !decision.allowed {
                return rate_limit::mcp_refusal(&decision);
            }
            if e.is_internal() {
                tracing::error!(error = %e, "MCP access check failed");
            }
            let mut resp = unauthorized_or(state, &server_id, access_token.as_deref(), headers, &e);
            rate_limit::write_headers(resp.headers_mut(), &decision);
            return resp;
        }
    };
    RequestScope::note(|n| n.user = Some(caller.user_id.chars().take(128).collect()));
    let decision = state.limiter.check(&caller.rate_limit_key()).await;
    if !decision.allowed {
        RequestScope::note(|n| n.outcome = Some(Outcome::RateLimited.as_str()));
        state.gateway.audit().record(
            AuditEvent::new("mcp.request", Outcome::RateLimited)
                .by(&caller)
                .server(&server.server_id)
                .error_code(Some("RATE_LIMITED")),
        );
        return rate_limit::mcp_refusal(&decision);
    }
    let mcp = McpContext {
        gateway: state.gateway.clone(),
        caller,
        server,
        credential_id: header_str(headers, "x-credential-id").map(str::to_owned),
        redirect_uri: header_str(headers, "x-redirect-uri").map(str::to_owned),
    };
    let mut resp = match *req.method() {
        Method::POST => post::handle(state, mcp, req).await,
        Method::GET => get(state, &mcp, &req).await,
        Method::DELETE => delete(state, &mcp, &req).await,
        _ => method_not_allowed("This endpoint answers POST and DELETE"),
    };
    rate_limit::write_headers(resp.headers_mut(), &decision);
    resp
}

/// A refused access check as an answer. A 401 says plainly what was wrong: on a token URL, the
/// token (and no OAuth challenge, which would send the client into a sign-in it cannot use
/// there); on `/mcp/:serverId`, the API key — next to the challenge that lets an MCP client
/// sign in through the gateway instead (RFC 9728).
fn unauthorized_or(
    state: &AppState,
    server_id: &str,
    access_token: Option<&str>,
    headers: &hyper::HeaderMap,
    e: &alloy_gateway::Error,
) -> HttpResponse {
    let mut api = e.to_api_error();
    if api.code != ErrorCode::Unauthorized {
        return reply::failure(&api);
    }
    if access_token.is_some() {
        let mut resp = reply::failure(&api);
        resp.headers_mut().insert(
            hyper::header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"alloy-mcp\""),
        );
        return resp;
    }
    let presented = header_str(headers, "authorization").is_some()
        || header_str(headers, "x-alloy-user-token").is_some();
    let bearer =
        header_str(headers, "authorization").and_then(alloy_gateway::identity::bearer_value);
    let is_jwt = bearer.is_some_and(alloy_domain::ids::looks_like_jwt);
    if !presented {
        api.message = format!(
            "Sign-in required for server '{server_id}': send an API key (Authorization: Bearer), \
             use the server's token URL, or sign in through the gateway (OAuth)"
        );
    } else if bearer.is_some() && !is_jwt && api.message == "Invalid or missing authentication" {
        api.message = format!("Invalid API key for server '{server_id}'");
    }
    let mut resp = reply::failure(&api);
    let challenge = state
        .gateway
        .authorization()
        .challenge(server_id, presented);
    if let Ok(v) = HeaderValue::from_str(&challenge) {
        resp.headers_mut()
            .insert(hyper::header::WWW_AUTHENTICATE, v);
    }
    resp
}

/// GET would open a stream for server-initiated messages; this server sends none, so the
/// answer is 405 as the transport allows.
async fn get(_state: &AppState, _mcp: &McpContext, req: &Request<RequestBody>) -> HttpResponse {
    let accepts_sse = header_str(req.headers(), "accept")
        .is_some_and(|a| a.to_ascii_lowercase().contains("text/event-stream"));
    if !accepts_sse {
        return reply::failure(&ApiError::new(
            ErrorCode::NotAcceptable,
            "GET requires Accept: text/event-stream",
        ));
    }
    method_not_allowed("This server does not push messages: no GET stream. Use POST.")
}

/// 405 in JSON-RPC form, naming the methods that are served.
fn method_not_allowed(message: &str) -> HttpResponse {
    let mut resp = reply::failure(&ApiError::new(ErrorCode::MethodNotAllowed, message));
    resp.headers_mut().insert(
        hyper::header::ALLOW,
        HeaderValue::from_static("POST, DELETE"),
    );
    resp
}

/// DELETE ends the session named by `Mcp-Session-Id`.
async fn delete(state: &AppState, mcp: &McpContext, req: &Request<RequestBody>) -> HttpResponse {
    let Some(session_id) = header_str(req.headers(), SESSION_HEADER) else {
        return reply::failure(&ApiError::new(
            ErrorCode::InvalidRequest,
            "Mcp-Session-Id header is required",
        ));
    };
    match state
        .gateway
        .end_mcp_session(session_id, &mcp.server, &mcp.caller)
        .await
    {
        Ok(true) => crate::respond::empty(StatusCode::NO_CONTENT),
        Ok(false) => reply::failure(&session_error()),
        Err(e) => crate::respond::gateway_error(&e),
    }
}
