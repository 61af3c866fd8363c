//! The catalog views (`GET /api/connectors…`, `GET /api/discover`): what the catalog tools show
//! an agent, for people and scripts.

use crate::request_body::RequestBody;
use alloy_gateway::catalog_browser::CatalogView;
use hyper::{Request, StatusCode};

use crate::api_request;
use crate::request::query_pairs;
use crate::respond::{self, HttpResponse};
use crate::router::Route;
use crate::server::{AppState, RequestContext};

/// Serves one view: authenticate, rate-limit, answer.
pub async fn handle(
    state: &AppState,
    ctx: &RequestContext,
    route: Route,
    req: Request<RequestBody>,
) -> HttpResponse {
    api_request::serve_admitted(state, ctx, req, async |caller, parts, _body| {
        let view = match route {
            Route::Connectors => CatalogView::Connectors,
            Route::Connector(id) => CatalogView::Connector(id),
            Route::ConnectorAction {
                connector_id,
                action_id,
            } => CatalogView::Action {
                connector_id,
                action_id,
            },
            Route::Discover => CatalogView::Discover,
            other => return Ok(respond::method_not_allowed(other.allowed())),
        };
        let query = query_pairs(parts.uri.query());
        let answer = state.gateway.browse_catalog(caller, view, &query).await?;
        Ok(respond::json(StatusCode::OK, &answer))
    })
    .await
}
