//! Credential, OAuth-app and user-data endpoints (`/api/credentials…`, `/api/oauth-apps…`,
//! `/api/users/:userId`, `/oauth/callback`).

use alloy_domain::{ApiError, ErrorCode};
use hyper::Request;
use hyper::body::Incoming;

use crate::respond::{self, HttpResponse};
use crate::router::Route;
use crate::server::{AppState, RequestContext};

/// Serves one credential-related request.
pub async fn handle(
    _state: &AppState,
    _ctx: &RequestContext,
    _route: Route,
    _req: Request<Incoming>,
) -> HttpResponse {
    respond::error(&ApiError::new(
        ErrorCode::NotFound,
        "Credential endpoints are not available yet",
    ))
}
