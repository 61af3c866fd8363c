//! The gateway's OAuth 2.1 authorization server over HTTP: metadata documents, client
//! registration, the token and revocation endpoints, and (in [`sign_in`]) the sign-in page.
//!
//! These endpoints speak OAuth's own error format (`{"error", "error_description"}`), not the
//! management API's, because OAuth clients read that one. Machine endpoints allow any origin
//! (browser-based MCP clients call them; no cookie or ambient credential is involved).

mod pages;
pub mod sign_in;
mod single_sign_on;

use alloy_gateway::authorization::OAuthError;
use hyper::header::{self, HeaderValue};
use hyper::{Method, Request, StatusCode};
use serde_json::Value;

use crate::request::read_body;
use crate::request_body::RequestBody;
use crate::respond::{self, HttpResponse};
use crate::router::Route;
use crate::server::{AppState, RequestContext};

/// Serves the authorization server's routes.
pub async fn handle(
    state: &AppState,
    ctx: &RequestContext,
    route: Route,
    req: Request<RequestBody>,
) -> HttpResponse {
    let oauth = state.gateway.authorization();
    let preflight = req.method() == Method::OPTIONS;
    let mut resp = match route {
        // CORS preflight of a browser-based MCP client: these endpoints take no cookie or
        // ambient credential, so any origin may call them.
        _ if preflight => {
            let mut resp = respond::empty(StatusCode::NO_CONTENT);
            let h = resp.headers_mut();
            if let Ok(v) = HeaderValue::from_str(route.allowed()) {
                h.insert(header::ACCESS_CONTROL_ALLOW_METHODS, v);
            }
            h.insert(
                header::ACCESS_CONTROL_ALLOW_HEADERS,
                HeaderValue::from_static("authorization, content-type, mcp-protocol-version"),
            );
            h.insert(
                header::ACCESS_CONTROL_MAX_AGE,
                HeaderValue::from_static("86400"),
            );
            resp
        }
        Route::ProtectedResource(server_id) => {
            respond::json(StatusCode::OK, &oauth.protected_resource(&server_id))
        }
        Route::AuthorizationServerMetadata { .. } => {
            respond::json(StatusCode::OK, &oauth.metadata())
        }
        Route::OAuthAuthorize => return sign_in::handle(state, ctx, req).await,
        Route::OAuthSignInLink(secret) => return sign_in::open_link(state, &secret).await,
        Route::OAuthSingleSignOnCallback => return single_sign_on::callback(state, req).await,
        Route::OAuthRegister => match json_body(state, req).await {
            Ok(body) => match oauth.register(&body).await {
                Ok(client) => respond::json(StatusCode::CREATED, &client),
                Err(e) => oauth_error(&e),
            },
            Err(e) => oauth_error(&e),
        },
        Route::OAuthToken => match form(state, req).await {
            Ok(pairs) => match oauth.token(&pairs).await {
                Ok(tokens) => respond::json(StatusCode::OK, &tokens),
                Err(e) => oauth_error(&e),
            },
            Err(e) => oauth_error(&e),
        },
        Route::OAuthRevoke => match form(state, req).await {
            Ok(pairs) => match oauth.revoke(&pairs).await {
                Ok(()) => respond::empty(StatusCode::OK),
                Err(e) => oauth_error(&e),
            },
            Err(e) => oauth_error(&e),
        },
        other => respond::method_not_allowed(other.allowed()),
    };
    let headers = resp.headers_mut();
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    // Tokens and registrations must never be kept by a cache in between (RFC 6749 5.1).
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

/// An OAuth error answer.
pub fn oauth_error(e: &OAuthError) -> HttpResponse {
    let status = StatusCode::from_u16(e.status).unwrap_or(StatusCode::BAD_REQUEST);
    respond::json(status, &e.to_json())
}

async fn body(
    state: &AppState,
    req: Request<RequestBody>,
) -> Result<(hyper::http::request::Parts, bytes::Bytes), OAuthError> {
    // Only POST reaches here: the router answers other methods (OPTIONS is the preflight).
    let (parts, body) = req.into_parts();
    let bytes = read_body(
        &parts.headers,
        body,
        64 * 1024,
        state.config.body_read_timeout,
    )
    .await
    .map_err(|e| OAuthError::new_public(e.http_status(), "invalid_request", e.message))?;
    Ok((parts, bytes))
}

/// An `application/x-www-form-urlencoded` body (the token and revocation endpoints').
pub async fn form(
    state: &AppState,
    req: Request<RequestBody>,
) -> Result<Vec<(String, String)>, OAuthError> {
    let (parts, bytes) = body(state, req).await?;
    let ct = crate::request::header_str(&parts.headers, "content-type").unwrap_or("");
    if !ct
        .to_ascii_lowercase()
        .starts_with("application/x-www-form-urlencoded")
    {
        return Err(OAuthError::new_public(
            400,
            "invalid_request",
            "Content-Type must be application/x-www-form-urlencoded",
        ));
    }
    Ok(url::form_urlencoded::parse(&bytes).into_owned().collect())
}

async fn json_body(state: &AppState, req: Request<RequestBody>) -> Result<Value, OAuthError> {
    let (parts, bytes) = body(state, req).await?;
    crate::request::parse_json(&parts.headers, &bytes).map_err(|_| {
        OAuthError::new_public(
            400,
            "invalid_client_metadata",
            "The body must be a JSON object",
        )
    })
}
