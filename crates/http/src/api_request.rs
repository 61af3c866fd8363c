//! What every authenticated management-API request goes through before its handler: reading
//! the credentials, spending one token of the right bucket, and reading a JSON body.

use alloy_domain::ApiError;
use alloy_gateway::Caller;
use alloy_ratelimit::Decision;
use hyper::HeaderMap;
use hyper::body::Incoming;
use hyper::http::request::Parts;
use serde_json::Value;

use crate::rate_limit;
use crate::request::{auth_headers, parse_json, read_body};
use crate::respond::{self, HttpResponse};
use crate::server::{AppState, RequestContext};

/// Authenticates the request and spends a token of the caller's bucket. A request that fails
/// authentication spends its client address's token instead, so that guessing credentials is
/// limited too. `Err` is the response to send (401/400, or 429).
pub async fn admit(
    state: &AppState,
    ctx: &RequestContext,
    headers: &HeaderMap,
) -> Result<(Caller, Decision), HttpResponse> {
    let authenticated = match auth_headers(headers) {
        Ok(auth) => state.gateway.authenticator().authenticate(&auth).await,
        Err(e) => Err(e.into()),
    };
    let caller = match authenticated {
        Ok(c) => c,
        Err(e) => {
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

/// The request body as JSON, within the size and time limits.
pub async fn json_body(state: &AppState, parts: &Parts, body: Incoming) -> Result<Value, ApiError> {
    let bytes = read_body(
        &parts.headers,
        body,
        state.config.max_body_bytes,
        state.config.body_read_timeout,
    )
    .await?;
    parse_json(&parts.headers, &bytes)
}
