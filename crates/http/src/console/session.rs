//! `/api/console/session` (sign in, who am I, sign out) and the session cookie that then
//! authenticates the console's API requests.
//!
//! The cookie is `HttpOnly` (scripts cannot read it), `SameSite=Strict` (other sites' pages do
//! not send it), `Secure` when the public URL is HTTPS, and holds only a random secret. A
//! request authenticated by it that changes anything must also carry `x-csrf-token`: the token
//! the session answered at sign-in, which a page of another origin cannot learn.

use alloy_domain::{ApiError, ErrorCode, FieldError, coerce};
use alloy_gateway::audit::RequestScope;
use alloy_gateway::identity::{ConsoleCredential, ConsoleSession, ConsoleSessions};
use alloy_gateway::{Caller, Principal};
use hyper::header::{self, HeaderMap, HeaderValue};
use hyper::http::request::Parts;
use hyper::{Method, Request, StatusCode};
use serde_json::{Value, json};

use crate::request_body::RequestBody;
use crate::respond::{self, HttpResponse};
use crate::server::{AppState, RequestContext};
use crate::{api_request, rate_limit};

/// The session cookie's name.
pub const COOKIE: &str = "alloy_console";
/// The header state-changing requests of a session carry.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// The session secret of a request's cookie, if it sends one.
pub fn cookie_secret(headers: &HeaderMap) -> Option<&str> {
    crate::request::cookie(headers, COOKIE)
}

/// Whether a method changes something (and so needs the CSRF token).
fn changes_state(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// The caller of a request authenticated by the session cookie `secret`: the session's, with
/// `x-alloy-userid` applied under the same rules as for the key or token that signed in. A
/// request that changes state without the session's CSRF token is `403`.
pub async fn caller(
    state: &AppState,
    parts: &Parts,
    secret: &str,
    user_id: Option<&str>,
) -> Result<Caller, alloy_gateway::Error> {
    let session = resolve(state, parts, secret).await?;
    ConsoleSessions::caller_for(&session, user_id)
}

/// The session `secret` names, checking the CSRF token when the request changes state.
async fn resolve(
    state: &AppState,
    parts: &Parts,
    secret: &str,
) -> Result<ConsoleSession, alloy_gateway::Error> {
    let session = state.gateway.console_sessions().resolve(secret).await?;
    if changes_state(&parts.method)
        && !ConsoleSessions::csrf_matches(
            secret,
            crate::request::header_str(&parts.headers, CSRF_HEADER),
        )
    {
        return Err(ApiError::forbidden(format!(
            "Missing or invalid {CSRF_HEADER}: a request signed in by the console's cookie must \
             carry the session's CSRF token"
        ))
        .into());
    }
    Ok(session)
}

/// Serves `/api/console/session`.
pub async fn handle(
    state: &AppState,
    ctx: &RequestContext,
    req: Request<RequestBody>,
) -> HttpResponse {
    let (parts, body) = req.into_parts();
    match parts.method {
        Method::POST => sign_in(state, ctx, &parts, body).await,
        Method::GET => {
            with_session(state, ctx, &parts, async |_, session| {
                Ok(respond::json(StatusCode::OK, &view(session)))
            })
            .await
        }
        Method::DELETE => {
            with_session(state, ctx, &parts, async |secret, session| {
                state
                    .gateway
                    .console_sessions()
                    .sign_out(secret, &session.caller)
                    .await?;
                let mut resp = respond::json(StatusCode::OK, &json!({ "message": "Signed out" }));
                set_cookie(&mut resp, &clearing_cookie(state));
                Ok(resp)
            })
            .await
        }
        _ => respond::method_not_allowed(crate::router::Route::ConsoleSession.allowed()),
    }
}

/// The session's own request (who am I, sign out): its cookie resolves, its bucket is spent,
/// and sign-out carries the CSRF token like any other change.
async fn with_session(
    state: &AppState,
    ctx: &RequestContext,
    parts: &Parts,
    serve: impl AsyncFnOnce(&str, &ConsoleSession) -> Result<HttpResponse, alloy_gateway::Error>,
) -> HttpResponse {
    let resolved = match cookie_secret(&parts.headers) {
        None => Err(ApiError::unauthorized("Not signed in to the console").into()),
        Some(secret) => resolve(state, parts, secret)
            .await
            .map(|session| (secret, session)),
    };
    let (secret, session) = match resolved {
        Ok(found) => found,
        Err(e) => return refused(state, ctx, &e).await,
    };
    let decision = state.limiter.check(&session.caller.rate_limit_key()).await;
    if !decision.allowed {
        return rate_limit::management_refusal(&decision);
    }
    let mut resp = match serve(secret, &session).await {
        Ok(r) => r,
        Err(e) => respond::gateway_error(&e),
    };
    rate_limit::write_headers(resp.headers_mut(), &decision);
    resp
}

/// A refused session request spends the client address's budget, as failed authentication does.
async fn refused(state: &AppState, ctx: &RequestContext, e: &alloy_gateway::Error) -> HttpResponse {
    RequestScope::note_refusal(&e.to_api_error());
    let decision = state.limiter.check(&ctx.address_bucket()).await;
    if !decision.allowed {
        return rate_limit::management_refusal(&decision);
    }
    let mut resp = respond::gateway_error(e);
    rate_limit::write_headers(resp.headers_mut(), &decision);
    resp
}

/// `POST`: `{"apiKey": …}` or `{"userToken": …}` → a session and its cookie.
async fn sign_in(
    state: &AppState,
    ctx: &RequestContext,
    parts: &Parts,
    body: RequestBody,
) -> HttpResponse {
    let body = match api_request::json_body(state, parts, body).await {
        Ok(b) => b,
        Err(e) => return respond::error(&e),
    };
    let credential = match credential_of(&body) {
        Ok(c) => c,
        Err(e) => return respond::error(&e),
    };
    let credential = match &credential {
        SignIn::ApiKey(key) => ConsoleCredential::ApiKey(key),
        SignIn::UserToken(token) => ConsoleCredential::UserToken(token),
    };
    let (secret, session) = match state.gateway.console_sessions().sign_in(credential).await {
        Ok(signed_in) => signed_in,
        Err(e) => return refused(state, ctx, &e).await,
    };
    let decision = state.limiter.check(&session.caller.rate_limit_key()).await;
    if !decision.allowed {
        return rate_limit::management_refusal(&decision);
    }
    let mut resp = respond::json(StatusCode::CREATED, &view(&session));
    let max_age = session.seconds_left();
    set_cookie(
        &mut resp,
        &format!(
            "{COOKIE}={secret}; Path=/; Max-Age={max_age}; HttpOnly; SameSite=Strict{}",
            secure_attribute(state)
        ),
    );
    rate_limit::write_headers(resp.headers_mut(), &decision);
    resp
}

/// What a sign-in body carries.
#[derive(Debug)]
enum SignIn {
    ApiKey(String),
    UserToken(String),
}

/// The credential of a sign-in body: exactly one of `apiKey` and `userToken`, each a string.
fn credential_of(body: &Value) -> Result<SignIn, ApiError> {
    let obj = coerce::body_object(body).map_err(ApiError::validation)?;
    let key = coerce::string(obj, "apiKey").map_err(ApiError::validation)?;
    let token = coerce::string(obj, "userToken").map_err(ApiError::validation)?;
    match (key, token) {
        (Some(key), None) => Ok(SignIn::ApiKey(key)),
        (None, Some(token)) => Ok(SignIn::UserToken(token)),
        (None, None) => Err(ApiError::validation(FieldError::new(
            ErrorCode::MissingRequiredField,
            "apiKey",
            "required",
            true,
            "Send apiKey (an API key) or userToken (a user token)",
        ))),
        (Some(_), Some(_)) => Err(ApiError::validation(FieldError::new(
            ErrorCode::InvalidFormat,
            "userToken",
            "oneOf",
            json!(["apiKey", "userToken"]),
            "Send apiKey or userToken, not both",
        ))),
    }
}

/// What the console learns about its session (never the secret: that stays in the cookie).
fn view(session: &ConsoleSession) -> Value {
    let (principal, key_id) = match &session.caller.principal {
        Principal::ApiKey { key_id } => ("apiKey", key_id.as_str()),
        Principal::UserToken { key_id, .. } => ("userToken", key_id.as_str()),
        Principal::AccessToken { .. }
        | Principal::OAuthGrant { .. }
        | Principal::SingleSignOn { .. } => ("other", ""),
    };
    json!({
        "accountId": session.caller.account_id,
        "userId": session.caller.user_id,
        "principal": principal,
        "keyId": key_id,
        "csrfToken": session.csrf_token,
        "expiresAt": alloy_gateway::servers::timestamp(session.expires_at),
    })
}

fn secure_attribute(state: &AppState) -> &'static str {
    if state.gateway.config().public_url.starts_with("https://") {
        "; Secure"
    } else {
        ""
    }
}

fn clearing_cookie(state: &AppState) -> String {
    format!(
        "{COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict{}",
        secure_attribute(state)
    )
}

fn set_cookie(resp: &mut HttpResponse, cookie: &str) {
    if let Ok(v) = HeaderValue::from_str(cookie) {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
    // A response that sets a session must never be stored by a cache in between.
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cookie_is_found_among_others() {
        let mut h = HeaderMap::new();
        h.append(
            header::COOKIE,
            HeaderValue::from_static("a=1; alloy_console=acs_x ; b=2"),
        );
        assert_eq!(cookie_secret(&h), Some("acs_x"));
        let mut h = HeaderMap::new();
        h.append(header::COOKIE, HeaderValue::from_static("a=1"));
        h.append(
            header::COOKIE,
            HeaderValue::from_static("alloy_console=acs_y"),
        );
        assert_eq!(cookie_secret(&h), Some("acs_y"));
        let mut h = HeaderMap::new();
        h.append(
            header::COOKIE,
            HeaderValue::from_static("alloy_console=; x_alloy_console=z"),
        );
        assert_eq!(cookie_secret(&h), None);
    }

    #[test]
    fn sign_in_takes_one_credential() {
        assert!(
            matches!(credential_of(&json!({"apiKey": "k"})), Ok(SignIn::ApiKey(k)) if k == "k")
        );
        assert!(matches!(
            credential_of(&json!({"userToken": "t"})),
            Ok(SignIn::UserToken(_))
        ));
        let e = credential_of(&json!({})).unwrap_err();
        assert_eq!(e.code, ErrorCode::MissingRequiredField);
        let e = credential_of(&json!({"apiKey": "k", "userToken": "t"})).unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidFormat);
        let e = credential_of(&json!({"apiKey": null})).unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidFormat);
    }
}
