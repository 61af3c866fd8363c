//! The server management API (`/api/servers…`, token rotation included) and user tokens
//! (`/api/users/:userId/token`).

use std::time::Duration;

use crate::request_body::RequestBody;
use alloy_domain::page::Page;
use alloy_domain::{ApiError, coerce};
use alloy_gateway::Caller;
use alloy_gateway::audit::{AuditEvent, Outcome};
use hyper::{Method, Request, StatusCode};
use serde_json::{Value, json};

use crate::api_request;
use crate::request::query_pairs;
use crate::respond::{self, HttpResponse};
use crate::router::Route;
use crate::server::{AppState, RequestContext};

/// Longest and shortest user-token lifetime a request may ask for.
const USER_TOKEN_TTL_SECS: std::ops::RangeInclusive<i64> = 60..=30 * 24 * 3600;

/// Serves one management request: authenticate, rate-limit, dispatch.
pub async fn handle(
    state: &AppState,
    ctx: &RequestContext,
    route: Route,
    req: Request<RequestBody>,
) -> HttpResponse {
    api_request::serve_admitted(state, ctx, req, async |caller, parts, body| {
        serve(state, caller, route, parts, body).await
    })
    .await
}

async fn serve(
    state: &AppState,
    caller: &Caller,
    route: Route,
    parts: hyper::http::request::Parts,
    body: RequestBody,
) -> Result<HttpResponse, alloy_gateway::Error> {
    let servers = state.gateway.servers();
    Ok(match (route, &parts.method) {
        (Route::Servers, &Method::POST) => {
            let body = api_request::json_body(state, &parts, body).await?;
            respond::json(StatusCode::CREATED, &servers.create(caller, &body).await?)
        }
        (Route::Servers, &Method::GET) => {
            let pairs = query_pairs(parts.uri.query());
            let page = Page::from_pairs(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())))?;
            respond::json(StatusCode::OK, &servers.list(caller, page).await?)
        }
        (Route::Server(id), &Method::GET) => {
            respond::json(StatusCode::OK, &servers.get(caller, &id).await?)
        }
        (Route::Server(id), &Method::PUT) => {
            let body = api_request::json_body(state, &parts, body).await?;
            respond::json(StatusCode::OK, &servers.update(caller, &id, &body).await?)
        }
        (Route::Server(id), &Method::DELETE) => {
            respond::json(StatusCode::OK, &servers.delete(caller, &id).await?)
        }
        (Route::RotateToken(id), &Method::POST) => {
            let body = api_request::optional_json_body(state, &parts, body).await?;
            respond::json(
                StatusCode::OK,
                &servers.rotate_token(caller, &id, &body).await?,
            )
        }
        (Route::SignInLinks(user_id), &Method::POST) => {
            let body = api_request::optional_json_body(state, &parts, body).await?;
            mint_sign_in_link(state, caller, &user_id, &body).await?
        }
        (Route::UserToken(user_id), &Method::POST) => {
            let body = api_request::optional_json_body(state, &parts, body).await?;
            issue_user_token(state, caller, &user_id, &body)?
        }
        (route, _) => respond::method_not_allowed(route.allowed()),
    })
}

/// Shortest and longest sign-in link lifetime a request may ask for (minutes, not hours: the
/// link is a bearer credential until used).
const SIGN_IN_LINK_TTL_SECS: std::ops::RangeInclusive<i64> = 60..=3600;

/// `POST /api/users/:userId/sign-in-links`: a one-time link that signs the user in to the MCP
/// sign-in page (docs/oauth.md). Only an API key may mint one.
async fn mint_sign_in_link(
    state: &AppState,
    caller: &Caller,
    user_id: &str,
    body: &Value,
) -> Result<HttpResponse, alloy_gateway::Error> {
    let obj = coerce::body_object(body)?;
    let ttl = match coerce::integer(obj, "expiresInSeconds")? {
        None => Duration::from_secs(600),
        Some(s) => {
            if let Some(e) = alloy_domain::validation::out_of_range(
                "expiresInSeconds",
                s,
                &SIGN_IN_LINK_TTL_SECS,
                "expiresInSeconds must be between 60 and 3600",
            ) {
                return Err(e.into());
            }
            Duration::from_secs(s.unsigned_abs())
        }
    };
    let (url, expires_at) = state
        .gateway
        .authorization()
        .mint_link(caller, user_id, ttl)
        .await?;
    Ok(respond::json(
        StatusCode::CREATED,
        &json!({
            "url": url,
            "expiresAt": alloy_gateway::servers::timestamp(expires_at),
            "userId": user_id,
        }),
    ))
}

/// `POST /api/users/:userId/token`: a user token for one user of the caller's account. Only an
/// API key may issue one; a user token cannot mint others.
fn issue_user_token(
    state: &AppState,
    caller: &Caller,
    user_id: &str,
    body: &Value,
) -> Result<HttpResponse, alloy_gateway::Error> {
    let alloy_gateway::Principal::ApiKey { key_id } = &caller.principal else {
        return Err(ApiError::forbidden("Only an API key can issue user tokens").into());
    };
    alloy_domain::ids::validate_user_id("userId", user_id)?;
    let obj = coerce::body_object(body)?;
    let tokens = state.gateway.user_tokens();
    let ttl = match coerce::integer(obj, "expiresInSeconds")? {
        None => tokens.default_ttl(),
        Some(s) => {
            if let Some(e) = alloy_domain::validation::out_of_range(
                "expiresInSeconds",
                s,
                &USER_TOKEN_TTL_SECS,
                "expiresInSeconds must be between 60 and 2592000 (30 days)",
            ) {
                return Err(e.into());
            }
            Duration::from_secs(s.unsigned_abs())
        }
    };
    let issued = tokens.issue(&caller.account_id, user_id, key_id, ttl)?;
    state.gateway.audit().record(
        AuditEvent::new("user_token.issued", Outcome::Ok)
            .by(caller)
            .details(json!({
                "userId": user_id,
                "expiresAt": alloy_gateway::servers::timestamp(issued.expires_at),
            })),
    );
    Ok(respond::json(
        StatusCode::CREATED,
        &json!({
            "token": issued.token,
            "expiresAt": alloy_gateway::servers::timestamp(issued.expires_at),
            "userId": user_id,
        }),
    ))
}
