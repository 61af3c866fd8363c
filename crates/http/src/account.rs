//! The caller's account: its API keys (`/api/keys…`), its users (`/api/users`) and the MCP
//! clients signed in to it (`/api/oauth/grants…`).

use crate::request_body::RequestBody;
use hyper::{Method, Request, StatusCode};

use crate::api_request;
use crate::respond::{self, HttpResponse};
use crate::router::Route;
use crate::server::{AppState, RequestContext};

/// Serves one request: authenticate, rate-limit, dispatch.
pub async fn handle(
    state: &AppState,
    ctx: &RequestContext,
    route: Route,
    req: Request<RequestBody>,
) -> HttpResponse {
    api_request::serve_admitted(state, ctx, req, async |caller, parts, body| {
        let keys = state.gateway.account_keys();
        Ok(match (route, &parts.method) {
            (Route::Keys, &Method::GET) => respond::json(StatusCode::OK, &keys.list(caller).await?),
            (Route::Keys, &Method::POST) => {
                let body = api_request::json_body(state, &parts, body).await?;
                respond::json(StatusCode::CREATED, &keys.create(caller, &body).await?)
            }
            (Route::Key(id), &Method::DELETE) => {
                respond::json(StatusCode::OK, &keys.revoke(caller, &id).await?)
            }
            (Route::OAuthGrants, _) => respond::json(
                StatusCode::OK,
                &state.gateway.authorization().list_grants(caller).await?,
            ),
            (Route::OAuthGrant(id), &Method::DELETE) => respond::json(
                StatusCode::OK,
                &state
                    .gateway
                    .authorization()
                    .revoke_grant_of(caller, &id)
                    .await?,
            ),
            (Route::Users, _) => {
                respond::json(StatusCode::OK, &state.gateway.account_users(caller).await?)
            }
            (route, _) => respond::method_not_allowed(route.allowed()),
        })
    })
    .await
}
