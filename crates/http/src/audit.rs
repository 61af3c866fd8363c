//! `GET /api/audit`: the audit trail of the caller's account.

use crate::request_body::RequestBody;
use alloy_gateway::audit::AuditQuery;
use hyper::{Request, StatusCode};

use crate::api_request;
use crate::request::query_pairs;
use crate::respond::{self, HttpResponse};
use crate::server::{AppState, RequestContext};

/// Serves one listing: authenticate, rate-limit, filter, page.
pub async fn handle(
    state: &AppState,
    ctx: &RequestContext,
    req: Request<RequestBody>,
) -> HttpResponse {
    api_request::serve_admitted(state, ctx, req, async |caller, parts, _body| {
        let pairs = query_pairs(parts.uri.query());
        let query = AuditQuery::from_pairs(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())))?;
        let events = state.gateway.audit_log().list(caller, &query).await?;
        Ok(respond::json(StatusCode::OK, &events))
    })
    .await
}
