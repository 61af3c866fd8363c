//! `/oauth/authorize`: the sign-in page an MCP client sends the user's browser to, the consent
//! screen that follows it, and the form they post back; `/oauth/sign-in/:link` (a one-time
//! sign-in link) and `/oauth/sso/callback` (single sign-on's return).
//!
//! The form's contract (documented in docs/oauth.md, so scripts and tests can drive it without
//! a browser): `GET` with the authorization request answers the page with a hidden
//! `csrf_token` field and a `Set-Cookie: alloy_oauth_csrf=…` of the same value; `POST`
//! (`application/x-www-form-urlencoded`) repeats the authorization request's parameters and
//! `csrf_token`, sending the cookie back, with `decision`:
//! - `continue` with `credential` (an API key, a user token or a sign-in link's secret) and
//!   optionally `user_id`: the consent screen, whose form carries a signed `ticket`;
//! - `approve` with that `ticket` (the consent screen's button), or in one step with
//!   `credential`: `303` to the client's redirect URI with `code`, `state` and `iss`;
//! - `sso`: `303` to the single sign-on provider, back at the consent screen;
//! - anything else (`deny`): `303` to the client with `access_denied`.

use alloy_gateway::AuthHeaders;
use alloy_gateway::authorization::{
    AuthorizeError, AuthorizeParameters, AuthorizeRequest, LINK_PREFIX, SignIn, redirect_with,
};
use hyper::header::{self, HeaderValue};
use hyper::{Method, Request, StatusCode};
use subtle::ConstantTimeEq;

use super::pages::{self, CSRF_COOKIE, SignInPage};
use crate::request::{cookie, query_pairs};
use crate::request_body::RequestBody;
use crate::respond::{self, HttpResponse};
use crate::server::{AppState, RequestContext};

/// The cookie an opened sign-in link leaves, so that the sign-in page (opened next by the MCP
/// client) can sign in as its user without a key. `SameSite=Lax`: the browser arrives at the
/// sign-in page by a top-level navigation from the client.
const LINK_COOKIE: &str = "alloy_oauth_link";

/// Serves `GET` (the page) and `POST` (the form) of `/oauth/authorize`.
pub async fn handle(
    state: &AppState,
    ctx: &RequestContext,
    req: Request<RequestBody>,
) -> HttpResponse {
    if req.method() == Method::POST {
        return post(state, ctx, req).await;
    }
    let pairs = query_pairs(req.uri().query());
    let params =
        AuthorizeParameters::from_pairs(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    let linked = linked_user(state, req.headers()).await;
    match state.gateway.authorization().check_request(&params).await {
        Ok(request) => {
            sign_in_page(
                state,
                &params,
                &request,
                StatusCode::OK,
                None,
                None,
                linked.as_deref(),
            )
            .await
        }
        Err(e) => refusal(state, e),
    }
}

/// The sign-in page, with the single sign-on button when it is configured.
async fn sign_in_page(
    state: &AppState,
    params: &AuthorizeParameters,
    request: &AuthorizeRequest,
    status: StatusCode,
    error: Option<&str>,
    user_id: Option<&str>,
    linked: Option<&str>,
) -> HttpResponse {
    let sso = state.gateway.authorization().single_sign_on_button().await;
    let shown = SignInPage {
        error,
        user_id,
        linked,
        single_sign_on: sso.as_ref().map(|(n, o)| (n.as_str(), o.as_str())),
    };
    pages::sign_in_page(params, request, status, shown)
}

/// The user a sign-in link cookie of this browser would sign in, if it is still good.
async fn linked_user(state: &AppState, headers: &hyper::HeaderMap) -> Option<String> {
    let secret = cookie(headers, LINK_COOKIE)?;
    match state.gateway.authorization().peek_link(secret).await {
        Ok(Ok(user)) => Some(user),
        _ => None,
    }
}

/// `GET /oauth/sign-in/:link`: checks the link (without spending it) and leaves it in a cookie
/// for the sign-in page; signing in with it spends it.
pub async fn open_link(state: &AppState, secret: &str) -> HttpResponse {
    match state.gateway.authorization().peek_link(secret).await {
        Ok(Ok(user)) => {
            let message = format!(
                "Signed in as {user}. Go back to your MCP client and connect: the gateway's \
                 sign-in page will let you continue without a key. This link works once."
            );
            let mut resp = pages::message(StatusCode::OK, "You are signed in", &message);
            if let Ok(v) = HeaderValue::from_str(&format!(
                "{LINK_COOKIE}={secret}; Path=/oauth; Max-Age=900; HttpOnly; SameSite=Lax{}",
                secure_attribute(state)
            )) {
                resp.headers_mut().insert(header::SET_COOKIE, v);
            }
            resp
        }
        Ok(Err(refused)) => pages::message(
            StatusCode::BAD_REQUEST,
            "Sign-in link refused",
            refused.message(),
        ),
        Err(e) => {
            tracing::error!(error = %e, "reading a sign-in link failed");
            pages::message(
                StatusCode::SERVICE_UNAVAILABLE,
                "Sign-in unavailable",
                "Try again in a moment.",
            )
        }
    }
}

/// `; Secure` when the gateway is reached over HTTPS.
pub(super) fn secure_attribute(state: &AppState) -> &'static str {
    if state.gateway.config().public_url.starts_with("https://") {
        "; Secure"
    } else {
        ""
    }
}

async fn post(state: &AppState, ctx: &RequestContext, req: Request<RequestBody>) -> HttpResponse {
    let csrf_cookie = cookie(req.headers(), CSRF_COOKIE).map(str::to_owned);
    let link_cookie = cookie(req.headers(), LINK_COOKIE).map(str::to_owned);
    let pairs = match super::form(state, req).await {
        Ok(p) => p,
        Err(e) => return pages::message(StatusCode::BAD_REQUEST, "Sign-in failed", &e.description),
    };
    let field = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let csrf_ok = match (csrf_cookie.as_deref(), field("csrf_token")) {
        (Some(c), Some(f)) => !c.is_empty() && bool::from(c.as_bytes().ct_eq(f.as_bytes())),
        _ => false,
    };
    if !csrf_ok {
        return pages::message(
            StatusCode::FORBIDDEN,
            "Sign-in failed",
            "The form expired or did not come from this page (CSRF check). Start the sign-in again from your MCP client.",
        );
    }
    let params =
        AuthorizeParameters::from_pairs(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    let request = match state.gateway.authorization().check_request(&params).await {
        Ok(r) => r,
        Err(e) => return refusal(state, e),
    };
    let consent_step = match field("decision") {
        Some("approve") => false,
        Some("continue") => true,
        Some("sso") => return super::single_sign_on::start(state, &params).await,
        _ => return denied(state, &request),
    };
    let credential = field("credential").map(str::trim).unwrap_or("");
    let user_id = field("user_id").map(str::trim).filter(|u| !u.is_empty());
    let ticket = field("ticket").filter(|t| !t.is_empty());
    let bearer = format!("Bearer {credential}");
    let sign_in = if credential.starts_with(LINK_PREFIX) {
        SignIn::Link(credential)
    } else if !credential.is_empty() {
        SignIn::Credential(AuthHeaders {
            authorization: Some(&bearer),
            user_id,
            user_token: None,
        })
    } else if let Some(ticket) = ticket {
        SignIn::Ticket(ticket)
    } else if let Some(link) = link_cookie.as_deref() {
        SignIn::Link(link)
    } else {
        return sign_in_page(
            state,
            &params,
            &request,
            StatusCode::UNAUTHORIZED,
            Some("Paste an API key or a user token."),
            None,
            None,
        )
        .await;
    };
    let gateway = &state.gateway;
    let failed = if consent_step {
        match gateway.sign_in_for_consent(&request, sign_in).await {
            Ok(consent) => return pages::consent_page(&params, &request, &consent),
            Err(e) => e,
        }
    } else {
        match gateway.approve_authorization(&request, sign_in).await {
            Ok(url) => return see_other(&url),
            Err(e) => e,
        }
    };
    let api = failed.to_api_error();
    // A failed sign-in spends the address's budget, as failed API authentication does.
    let decision = state.limiter.check(&ctx.address_bucket()).await;
    if !decision.allowed {
        return crate::rate_limit::management_refusal(&decision);
    }
    let status = StatusCode::from_u16(api.http_status()).unwrap_or(StatusCode::UNAUTHORIZED);
    sign_in_page(
        state,
        &params,
        &request,
        status,
        Some(&api.message),
        user_id,
        None,
    )
    .await
}

/// The user said no: the client hears `access_denied`.
fn denied(state: &AppState, request: &AuthorizeRequest) -> HttpResponse {
    let issuer = state.gateway.authorization().issuer().to_owned();
    see_other(&redirect_with(
        &request.redirect_uri,
        &[
            ("error", Some("access_denied")),
            ("error_description", Some("The user denied the request")),
            ("state", request.state.as_deref()),
            ("iss", Some(&issuer)),
        ],
    ))
}

/// An authorization request that cannot be served: a page, or the error sent to the client.
pub(super) fn refusal(state: &AppState, e: AuthorizeError) -> HttpResponse {
    match e {
        AuthorizeError::Page(message) => pages::message(
            StatusCode::BAD_REQUEST,
            "This sign-in request cannot be used",
            &message,
        ),
        AuthorizeError::Redirect {
            redirect_uri,
            error,
            description,
            state: client_state,
        } => {
            let issuer = state.gateway.authorization().issuer().to_owned();
            see_other(&redirect_with(
                &redirect_uri,
                &[
                    ("error", Some(error)),
                    ("error_description", Some(&description)),
                    ("state", client_state.as_deref()),
                    ("iss", Some(&issuer)),
                ],
            ))
        }
    }
}

/// `303 See Other` to `location`, never cached.
pub(super) fn see_other(location: &str) -> HttpResponse {
    let mut resp = respond::empty(StatusCode::SEE_OTHER);
    if let Ok(v) = HeaderValue::from_str(location) {
        resp.headers_mut().insert(header::LOCATION, v);
    }
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}
