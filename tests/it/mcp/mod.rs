//! The MCP endpoint over HTTP: transport rules of every revision, access, and the tools.

mod access;
mod conformance;
mod python_sdk;
mod sdk_oauth;
pub(crate) mod tools;
mod transport;
mod typescript_sdk;

use reqwest::header::HeaderMap;
use serde_json::{Value, json};

use crate::support::TestServer;

/// `Accept` every conforming client sends.
pub const ACCEPT_BOTH: &str = "application/json, text/event-stream";

/// A created server's ID and token URL path.
pub struct McpServer {
    pub server_id: String,
    pub token: String,
}

impl McpServer {
    pub async fn create(server: &TestServer, body: Value) -> Self {
        let created = server.create_server(body).await;
        McpServer {
            server_id: created["serverId"].as_str().unwrap().to_owned(),
            token: created["accessToken"].as_str().unwrap().to_owned(),
        }
    }

    /// `/mcp/:serverId/:accessToken`.
    pub fn token_path(&self) -> String {
        format!("/mcp/{}/{}", self.server_id, self.token)
    }
}

/// A POST to the MCP endpoint with JSON and both media types accepted.
pub fn post(server: &TestServer, path: &str, body: &Value) -> reqwest::RequestBuilder {
    server
        .http
        .post(server.url(path))
        .header("accept", ACCEPT_BOTH)
        .header("content-type", "application/json")
        .body(body.to_string())
}

/// Status, headers and JSON body.
pub async fn send(req: reqwest::RequestBuilder) -> (u16, HeaderMap, Value) {
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let text = resp.text().await.unwrap();
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or(Value::String(text))
    };
    (status, headers, body)
}

/// Opens a 2025-11-25 session; returns its ID.
pub async fn initialize(server: &TestServer, path: &str, version: &str) -> String {
    let (status, headers, body) = send(post(
        server,
        path,
        &json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": version, "capabilities": {}, "clientInfo": {"name": "it", "version": "1"}}}),
    ))
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["result"]["protocolVersion"], version);
    let session = headers
        .get("mcp-session-id")
        .expect("session id")
        .to_str()
        .unwrap()
        .to_owned();
    let (status, _, _) = send(
        post(
            server,
            path,
            &json!({"jsonrpc": "2.0", "method": "notifications/initialized"}),
        )
        .header("mcp-session-id", &session)
        .header("mcp-protocol-version", version),
    )
    .await;
    assert_eq!(status, 202);
    session
}

/// A request within a session.
pub async fn call(
    server: &TestServer,
    path: &str,
    session: &str,
    id: i64,
    method: &str,
    params: Value,
) -> (u16, Value) {
    let (status, _, body) = send(
        post(
            server,
            path,
            &json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}),
        )
        .header("mcp-session-id", session)
        .header("mcp-protocol-version", "2025-11-25"),
    )
    .await;
    (status, body)
}

/// The `_meta` of a 2026-07-28 request.
pub fn meta_2026() -> Value {
    json!({
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientCapabilities": {},
        "io.modelcontextprotocol/clientInfo": {"name": "it", "version": "1"}
    })
}

/// A stateless 2026-07-28 request with correct mirrored headers.
pub fn post_2026(
    server: &TestServer,
    path: &str,
    id: i64,
    method: &str,
    mut params: Value,
) -> reqwest::RequestBuilder {
    params["_meta"] = meta_2026();
    let name = params
        .get("name")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let mut req = post(
        server,
        path,
        &json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}),
    )
    .header("mcp-protocol-version", "2026-07-28")
    .header("mcp-method", method);
    if let Some(name) = name {
        req = req.header("mcp-name", name);
    }
    req
}

/// Runs one SQL statement on a server's SQLite file from another process, as an operator's
/// tool would (and as time passing would, for timestamps), while the server may be running.
pub fn sqlite_execute(db: &std::path::Path, sql: &str) {
    let out = std::process::Command::new("python3")
        .args([
            "-c",
            // BEGIN IMMEDIATE takes the write lock first (waiting for it under the timeout):
            // a deferred transaction that reads, then writes after the server's audit writer
            // committed, fails at once with "database is locked" (SQLITE_BUSY_SNAPSHOT).
            "import sqlite3,sys; c=sqlite3.connect(sys.argv[1], timeout=10, isolation_level=None); \
             c.execute('BEGIN IMMEDIATE'); c.execute(sys.argv[2]); c.execute('COMMIT')",
            db.to_str().expect("UTF-8 path"),
            sql,
        ])
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
