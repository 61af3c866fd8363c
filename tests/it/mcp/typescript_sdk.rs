//! The official TypeScript MCP SDK (npm `@modelcontextprotocol/sdk`, installed in tests/node by
//! .ci/test) as a client over Streamable HTTP with the token URL.

use std::path::PathBuf;

use serde_json::{Value, json};

use super::*;
use crate::support::TestServer;

fn node_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("node")
}

#[tokio::test]
async fn typescript_sdk_session_tools_and_errors() {
    let sdk = node_dir().join("node_modules/@modelcontextprotocol/sdk");
    assert!(
        sdk.is_dir(),
        "the TypeScript MCP SDK is not installed: run `npm ci` in tests/node (.ci/test does)"
    );
    let server = TestServer::start().await;
    let mcp = McpServer::create(&server, json!({"name": "TypeScript"})).await;
    let url = server.url(&mcp.token_path());
    // The server runs on this test's runtime: wait for the client off it.
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new("node")
            .arg(node_dir().join("ts_sdk_client.mjs"))
            .arg(&url)
            .output()
    })
    .await
    .expect("join")
    .expect("node runs");
    assert!(
        out.status.success(),
        "client failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let seen: Value = serde_json::from_str(stdout.lines().last().unwrap_or(""))
        .unwrap_or_else(|e| panic!("{e}: {stdout}"));

    assert_eq!(seen["protocolVersion"], "2025-11-25", "{seen}");
    assert!(
        seen["sessionId"].as_str().is_some_and(|s| !s.is_empty()),
        "{seen}"
    );
    assert_eq!(seen["server"]["name"], "alloy-mcp-server");
    assert_eq!(seen["tools"].as_array().unwrap().len(), 8, "{seen}");
    assert_eq!(seen["tools"][0], "list_connectors_alloy");
    assert!(seen["list"].to_string().contains("\"stripe\""), "{seen}");
    assert_eq!(seen["details"]["actionId"], "GetCustomers", "{seen}");
    assert_eq!(seen["missingCredential"]["isError"], true);
    assert_eq!(
        seen["missingCredential"]["content"]["error"]["code"],
        "CREDENTIAL_NOT_FOUND"
    );
}
