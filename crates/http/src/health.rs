//! Liveness (`/healthz`) and readiness (`/readyz`) probes.

use hyper::StatusCode;
use serde_json::json;

use crate::respond::{self, HttpResponse};
use crate::server::AppState;

/// The process is up.
pub fn healthz() -> HttpResponse {
    respond::json(StatusCode::OK, &json!({ "status": "ok" }))
}

/// The whole connector catalog is loaded and the database answers.
pub async fn readyz(state: &AppState) -> HttpResponse {
    if !state.gateway.catalog().is_ready() {
        return respond::json(
            StatusCode::SERVICE_UNAVAILABLE,
            &json!({ "status": "loading", "catalog": "loading" }),
        );
    }
    match state.gateway.db().ping().await {
        Ok(()) => respond::json(
            StatusCode::OK,
            &json!({ "status": "ready", "database": "ok" }),
        ),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            respond::json(
                StatusCode::SERVICE_UNAVAILABLE,
                &json!({ "status": "unavailable", "database": "unreachable" }),
            )
        }
    }
}
