//! The MCP endpoint: Streamable HTTP transport over `/mcp/:serverId[/:accessToken]`.

use alloy_domain::ApiError;
use hyper::Request;
use hyper::body::Incoming;

use crate::respond::{self, HttpResponse};
use crate::router::Route;
use crate::server::{AppState, RequestContext};

/// Serves one MCP request.
pub async fn handle(
    _state: &AppState,
    _ctx: &RequestContext,
    _route: Route,
    _req: Request<Incoming>,
) -> HttpResponse {
    respond::error(&ApiError::not_found(
        "The MCP endpoint is not available yet",
    ))
}
