//! What an operator watches: the audit trail (`GET /api/audit`, retention, export), the
//! Prometheus metrics, OpenTelemetry traces, request logs, and the deployment commands
//! (`backup`, `healthcheck`).

mod audit;
mod cli;
mod metrics;
mod traces;

use alloy_connectors::testing::{RecordingServer, Reply};
use serde_json::{Value, json};

pub(crate) use crate::mcp::tools::tool;
use crate::mcp::{McpServer, post_2026, send};
use crate::support::TestServer;

/// A stand-in Stripe: the balance (credential check), customers, and a failing charge list.
pub fn stripe(upstream: &RecordingServer) {
    upstream.set_handler(|req| match req.path.as_str() {
        "/v1/balance" => Reply::json(200, &json!({"object": "balance", "available": []})),
        "/v1/customers" => Reply::json(
            200,
            &json!({"object": "list", "has_more": false, "data": [{"id": "cus_1"}]}),
        ),
        _ => Reply::json(500, &json!({"error": {"message": "boom"}})),
    });
}

/// A server whose Stripe connector calls `upstream`, with extra settings.
pub async fn stripe_server(upstream: &RecordingServer, args: &[&str]) -> TestServer {
    let arg = format!("stripe={}", upstream.url());
    let mut all = vec!["--connector-base-urls", arg.as_str()];
    all.extend_from_slice(args);
    TestServer::start_with(&all).await
}

/// Stores a Stripe key for the server's owner; answers the credential ID.
pub async fn stripe_credential(server: &TestServer, path: &str) -> String {
    let (is_error, created) = tool(
        server,
        path,
        "create_credential_alloy",
        json!({"connectorId": "stripe", "authenticationType": "bearer", "fields": {"token": "sk_test_audit_secret_value"}}),
    )
    .await;
    assert!(!is_error, "{created}");
    created["credentialId"].as_str().unwrap().to_owned()
}

/// Creates an MCP server with the bootstrap key.
pub async fn mcp_server(server: &TestServer, body: Value) -> McpServer {
    McpServer::create(server, body).await
}
