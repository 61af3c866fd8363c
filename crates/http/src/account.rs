//! The caller's account: its API keys (`/api/keys…`) and its users (`/api/users`).

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
            (Route::Users, _) => {
                respond::json(StatusCode::OK, &state.gateway.account_users(caller).await?)
            }
            (route, _) => respond::method_not_allowed(route.allowed()),
        })
    })
    .await
}
