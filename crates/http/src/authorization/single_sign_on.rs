//! Single sign-on on the MCP sign-in page: the form's `sso` button sends the browser to the
//! operator's OpenID Connect provider, whose answer comes back to `/oauth/sso/callback` and
//! continues to the consent screen.
//!
//! The state cookie (`alloy_oauth_sso`) is `SameSite=Lax` because the provider sends the
//! browser back by a top-level navigation from its own site; it holds the signed state of the
//! one sign-in this browser started, and is cleared at the callback.

use alloy_gateway::authorization::{AuthorizeParameters, SingleSignOnError};
use hyper::header::{self, HeaderValue};
use hyper::{Request, StatusCode};

use super::pages;
use super::sign_in::{refusal, secure_attribute, see_other};
use crate::request::{cookie, query_pairs};
use crate::request_body::RequestBody;
use crate::respond::HttpResponse;
use crate::server::AppState;

/// The state of a single sign-on under way.
const STATE_COOKIE: &str = "alloy_oauth_sso";

fn failure(e: &SingleSignOnError) -> HttpResponse {
    let status = StatusCode::from_u16(e.status).unwrap_or(StatusCode::BAD_GATEWAY);
    pages::message(status, "Single sign-on failed", &e.message)
}

fn set_cookie(resp: &mut HttpResponse, value: &str) {
    if let Ok(v) = HeaderValue::from_str(value) {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
}

/// The form's `sso` button (CSRF already checked): off to the provider.
pub async fn start(state: &AppState, params: &AuthorizeParameters) -> HttpResponse {
    let request: Vec<(String, String)> = params
        .pairs()
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    match state
        .gateway
        .authorization()
        .begin_single_sign_on(request)
        .await
    {
        Ok((location, value)) => {
            let mut resp = see_other(&location);
            set_cookie(
                &mut resp,
                &format!(
                    "{STATE_COOKIE}={value}; Path=/oauth/sso; Max-Age=600; HttpOnly; SameSite=Lax{}",
                    secure_attribute(state)
                ),
            );
            resp
        }
        Err(e) => failure(&e),
    }
}

/// `GET /oauth/sso/callback`: the provider's answer, on to the consent screen.
pub async fn callback(state: &AppState, req: Request<RequestBody>) -> HttpResponse {
    let query = query_pairs(req.uri().query());
    let state_cookie = cookie(req.headers(), STATE_COOKIE);
    let oauth = state.gateway.authorization();
    let mut resp = match oauth.finish_single_sign_on(&query, state_cookie).await {
        Err(e) => failure(&e),
        Ok((request_pairs, identity)) => {
            let params = AuthorizeParameters::from_pairs(
                request_pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())),
            );
            match oauth.check_request(&params).await {
                Err(e) => refusal(state, e),
                Ok(request) => {
                    let user = identity.user_id().to_owned();
                    let signed_in = alloy_gateway::authorization::SignIn::SingleSignOn(identity);
                    match state.gateway.sign_in_for_consent(&request, signed_in).await {
                        Ok(consent) => pages::consent_page(&params, &request, &consent),
                        Err(e) => {
                            let api = e.to_api_error();
                            let status = StatusCode::from_u16(api.http_status())
                                .unwrap_or(StatusCode::FORBIDDEN);
                            pages::message(
                                status,
                                "Single sign-on failed",
                                &format!("Signed in as {user}, but: {}", api.message),
                            )
                        }
                    }
                }
            }
        }
    };
    // One sign-in, one callback: the state is spent whatever happened.
    set_cookie(
        &mut resp,
        &format!(
            "{STATE_COOKIE}=; Path=/oauth/sso; Max-Age=0; HttpOnly; SameSite=Lax{}",
            secure_attribute(state)
        ),
    );
    resp
}
