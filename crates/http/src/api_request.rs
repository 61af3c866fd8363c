//! What every authenticated management-API request goes through before its handler: reading
//! the credentials, spending one token of the right bucket, and reading a JSON body.

use crate::request_body::RequestBody;
use alloy_domain::ApiError;
use alloy_gateway::Caller;
use alloy_gateway::audit::RequestScope;
use alloy_ratelimit::Decision;
use hyper::Request;
use hyper::http::request::Parts;
use serde_json::Value;

use crate::rate_limit;
use crate::request::{auth_headers, parse_json, read_body};
use crate::respond::{self, HttpResponse};
use crate::server::{AppState, RequestContext};

/// Authenticates the request and spends a token of the caller's bucket. A request that fails
/// authentication spends its client address's token instead, so that guessing credentials is
/// limited too. `Err` is the response to send (401/400/403, or 429).
///
/// The admin console's session cookie authenticates a request that sends no credential header
/// (a header always wins), with the CSRF rule of [`console::session`](crate::console::session).
pub async fn admit(
    state: &AppState,
    ctx: &RequestContext,
    parts: &Parts,
) -> Result<(Caller, Decision), HttpResponse> {
    let authenticated = match auth_headers(&parts.headers) {
        Ok(auth) => match crate::console::session::cookie_secret(&parts.headers) {
            Some(secret) if auth.authorization.is_none() && auth.user_token.is_none() => {
                crate::console::session::caller(state, parts, secret, auth.user_id).await
            }
            _ => state.gateway.authenticator().authenticate(&auth).await,
        },
        Err(e) => Err(e.into()),
    };
    let caller = match authenticated {
        Ok(c) => c,
        Err(e) => {
            RequestScope::note_refusal(&e.to_api_error());
            let decision = state.limiter.check(&ctx.address_bucket()).await;
            if !decision.allowed {
                return Err(rate_limit::management_refusal(&decision));
            }
            let mut resp = respond::gateway_error(&e);
            rate_limit::write_headers(resp.headers_mut(), &decision);
            return Err(resp);
        }
    };
    let decision = state.limiter.check(&caller.rate_limit_key()).await;
    if !decision.allowed {
        return Err(rate_limit::management_refusal(&decision));
    }
    Ok((caller, decision))
}

/// Serves an authenticated request: [`admit`], then `serve` with the caller, then the
/// caller's rate-limit headers on whatever `serve` answered (errors included).
pub async fn serve_admitted(
    state: &AppState,
    ctx: &RequestContext,
    req: Request<RequestBody>,
    serve: impl AsyncFnOnce(&Caller, Parts, RequestBody) -> Result<HttpResponse, alloy_gateway::Error>,
) -> HttpResponse {
    let (parts, body) = req.into_parts();
    let (caller, decision) = match admit(state, ctx, &parts).await {
        Ok(admitted) => admitted,
        Err(resp) => return resp,
    };
    let mut resp = match serve(&caller, parts, body).await {
        Ok(r) => r,
        Err(e) => respond::gateway_error(&e),
    };
    rate_limit::write_headers(resp.headers_mut(), &decision);
    resp
}

/// The request body as JSON, within the size and time limits.
pub async fn json_body(
    state: &AppState,
    parts: &Parts,
    body: RequestBody,
) -> Result<Value, ApiError> {
    let bytes = read_limited(state, parts, body).await?;
    parse_json(&parts.headers, &bytes)
}

/// Like [`json_body`], for endpoints whose body is optional: an empty body (or a blank one
/// without `Content-Type`) is `{}`.
pub async fn optional_json_body(
    state: &AppState,
    parts: &Parts,
    body: RequestBody,
) -> Result<Value, ApiError> {
    let bytes = read_limited(state, parts, body).await?;
    // No body, or blank lines from a client that declared no type, ask for the defaults; a
    // body declared as JSON must be JSON, and whitespace alone is not a JSON text.
    let declared = parts.headers.contains_key(hyper::header::CONTENT_TYPE);
    if bytes.is_empty() || (!declared && bytes.iter().all(u8::is_ascii_whitespace)) {
        return Ok(Value::Object(serde_json::Map::new()));
    }
    parse_json(&parts.headers, &bytes)
}

async fn read_limited(
    state: &AppState,
    parts: &Parts,
    body: RequestBody,
) -> Result<bytes::Bytes, ApiError> {
    read_body(
        &parts.headers,
        body,
        state.config.max_body_bytes,
        state.config.body_read_timeout,
    )
    .await
}
