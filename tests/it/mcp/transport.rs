//! Streamable HTTP rules: media types, sessions, revisions, statuses.

use serde_json::{Value, json};

use super::*;
use crate::support::TestServer;

const TOOL_NAMES: [&str; 8] = [
    "list_connectors_alloy",
    "get_connector_resources_alloy",
    "get_action_details_alloy",
    "execute_action_alloy",
    "create_credential_alloy",
    "get_credentials_alloy",
    "get_credential_metadata_alloy",
    "discover_action_path_alloy",
];

#[tokio::test]
async fn session_lifecycle_2025_11_25() {
    let server = TestServer::start().await;
    let mcp = McpServer::create(&server, json!({"name": "Session Server"})).await;
    let path = mcp.token_path();
    let session = initialize(&server, &path, "2025-11-25").await;

    let (status, body) = call(&server, &path, &session, 2, "ping", json!({})).await;
    assert_eq!((status, body["result"].clone()), (200, json!({})));

    let (status, body) = call(&server, &path, &session, 3, "tools/list", json!({})).await;
    assert_eq!(status, 200);
    let names: Vec<&str> = body["result"]["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, TOOL_NAMES, "all eight tools, in a fixed order");
    // Same order every time.
    let (_, again) = call(&server, &path, &session, 4, "tools/list", json!({})).await;
    assert_eq!(again["result"], body["result"]);

    let (status, body) = call(
        &server,
        &path,
        &session,
        5,
        "logging/setLevel",
        json!({"level": "warning"}),
    )
    .await;
    assert_eq!((status, body["result"].clone()), (200, json!({})));
    let (_, body) = call(
        &server,
        &path,
        &session,
        6,
        "logging/setLevel",
        json!({"level": "loud"}),
    )
    .await;
    assert_eq!(body["error"]["code"], -32602);
    let (_, body) = call(&server, &path, &session, 7, "no/such/method", json!({})).await;
    assert_eq!(body["error"]["code"], -32601);

    // Another server's token cannot use this session.
    let other = McpServer::create(&server, json!({"name": "Other Server"})).await;
    let (status, _) = call(&server, &other.token_path(), &session, 8, "ping", json!({})).await;
    assert_eq!(status, 404);

    // DELETE ends it on every replica (the database holds it).
    let resp = server
        .http
        .delete(server.url(&path))
        .header("mcp-session-id", &session)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 204);
    let (status, body) = call(&server, &path, &session, 9, "ping", json!({})).await;
    assert_eq!(status, 404, "{body}");
    let resp = server
        .http
        .delete(server.url(&path))
        .header("mcp-session-id", &session)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 404);
}

#[tokio::test]
async fn sessions_survive_a_restart_and_are_shared() {
    let mut server = TestServer::start().await;
    let mcp = McpServer::create(&server, json!({"name": "Shared"})).await;
    let path = mcp.token_path();
    let session = initialize(&server, &path, "2025-06-18").await;
    // A second replica on the same database honours the session.
    let dir = server.data_dir.clone();
    let replica = TestServer::start_in(&dir, &[]).await;
    let (status, body) = call(&replica, &path, &session, 2, "tools/list", json!({})).await;
    assert_eq!(status, 200, "{body}");
    assert!(body["result"]["tools"].is_array());
    server.stop().await;
}

#[tokio::test]
async fn media_types_and_statuses() {
    let server = TestServer::start().await;
    let mcp = McpServer::create(&server, json!({"name": "Media"})).await;
    let path = mcp.token_path();
    let init = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "it", "version": "1"}}});

    // Without text/event-stream in Accept: 406.
    let resp = server
        .http
        .post(server.url(&path))
        .header("accept", "application/json")
        .header("content-type", "application/json")
        .body(init.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 406);
    // Only text/event-stream accepted: the answer is an SSE event.
    let resp = server
        .http
        .post(server.url(&path))
        .header("accept", "text/event-stream")
        .header("content-type", "application/json")
        .body(init.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "text/event-stream");
    let text = resp.text().await.unwrap();
    let data = text
        .lines()
        .find_map(|l| l.strip_prefix("data: "))
        .expect("data line");
    let body: Value = serde_json::from_str(data).unwrap();
    assert_eq!(body["result"]["protocolVersion"], "2025-11-25");

    // Malformed JSON: 400 with -32700; invalid JSON-RPC: 400 with -32600.
    let (status, _, body) = send(post(&server, &path, &json!(null)).body("{not json")).await;
    assert_eq!(
        (status, body["error"]["code"].clone()),
        (400, json!(-32700))
    );
    let (status, _, body) = send(post(
        &server,
        &path,
        &json!({"jsonrpc": "1.0", "id": 1, "method": "ping"}),
    ))
    .await;
    assert_eq!(
        (status, body["error"]["code"].clone()),
        (400, json!(-32600))
    );

    // No session id on a non-initialize request: 400; an unknown one: 404.
    let (status, _, _) = send(post(
        &server,
        &path,
        &json!({"jsonrpc": "2.0", "id": 2, "method": "ping"}),
    ))
    .await;
    assert_eq!(status, 400);
    let (status, _) = call(&server, &path, "not-a-session", 3, "ping", json!({})).await;
    assert_eq!(status, 404);

    // An unsupported MCP-Protocol-Version header: 400.
    let session = initialize(&server, &path, "2025-11-25").await;
    let (status, _, body) = send(
        post(
            &server,
            &path,
            &json!({"jsonrpc": "2.0", "id": 4, "method": "ping"}),
        )
        .header("mcp-session-id", &session)
        .header("mcp-protocol-version", "1999-01-01"),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["code"], -32022);

    // Batches are refused after 2025-03-26.
    let (status, _, body) = send(
        post(
            &server,
            &path,
            &json!([{"jsonrpc": "2.0", "id": 5, "method": "ping"}]),
        )
        .header("mcp-session-id", &session),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(body["error"]["code"], -32600);

    // GET: no server-initiated stream, 405; without the SSE media type, 406.
    let resp = server
        .http
        .get(server.url(&path))
        .header("accept", "text/event-stream")
        .header("mcp-session-id", &session)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 405);
    let resp = server.http.get(server.url(&path)).send().await.unwrap();
    assert_eq!(resp.status(), 406);
}

#[tokio::test]
async fn batches_in_2025_03_26() {
    let server = TestServer::start().await;
    let mcp = McpServer::create(&server, json!({"name": "Batch"})).await;
    let path = mcp.token_path();
    let session = initialize(&server, &path, "2025-03-26").await;
    let (status, _, body) = send(
        post(
            &server,
            &path,
            &json!([
                {"jsonrpc": "2.0", "id": 1, "method": "ping"},
                {"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": 9}},
                {"jsonrpc": "2.0", "id": 2, "method": "tools/list"}
            ]),
        )
        .header("mcp-session-id", &session),
    )
    .await;
    assert_eq!(status, 200);
    let replies = body.as_array().expect("batch reply");
    assert_eq!(replies.len(), 2);
    assert_eq!(replies[0]["id"], 1);
    assert_eq!(replies[1]["result"]["tools"].as_array().unwrap().len(), 8);
}

#[tokio::test]
async fn stateless_2026_07_28() {
    let server = TestServer::start().await;
    let mcp = McpServer::create(&server, json!({"name": "Stateless"})).await;
    let path = mcp.token_path();

    let (status, headers, body) =
        send(post_2026(&server, &path, 1, "server/discover", json!({}))).await;
    assert_eq!(status, 200, "{body}");
    assert!(
        headers.get("mcp-session-id").is_none(),
        "no sessions in 2026-07-28"
    );
    let result = &body["result"];
    assert_eq!(result["resultType"], "complete");
    assert_eq!(
        result["supportedVersions"],
        json!(["2026-07-28", "2025-11-25", "2025-06-18", "2025-03-26"])
    );
    assert_eq!(
        result["_meta"]["io.modelcontextprotocol/serverInfo"]["name"],
        "alloy-mcp-server"
    );

    let (status, _, body) = send(post_2026(&server, &path, 2, "tools/list", json!({}))).await;
    assert_eq!(status, 200);
    assert_eq!(body["result"]["tools"].as_array().unwrap().len(), 8);
    assert!(body["result"]["ttlMs"].is_u64());
    assert!(body["result"]["cacheScope"].is_string());

    // Mcp-Method disagreeing with the body: 400, -32020.
    let (status, _, body) =
        send(post_2026(&server, &path, 3, "tools/list", json!({})).header("mcp-method", "ping"))
            .await;
    assert_eq!(
        (status, body["error"]["code"].clone()),
        (400, json!(-32020))
    );
    // Mcp-Name disagreeing with the tool called: 400, -32020.
    let (status, _, body) = send(
        post_2026(
            &server,
            &path,
            4,
            "tools/call",
            json!({"name": "list_connectors_alloy", "arguments": {}}),
        )
        .header("mcp-name", "get_credentials_alloy"),
    )
    .await;
    assert_eq!(
        (status, body["error"]["code"].clone()),
        (400, json!(-32020))
    );
    // An unsupported version in _meta: 400, -32022 with the supported list.
    let mut params = json!({});
    params["_meta"] = meta_2026();
    params["_meta"]["io.modelcontextprotocol/protocolVersion"] = json!("2031-01-01");
    let (status, _, body) = send(
        post(
            &server,
            &path,
            &json!({"jsonrpc": "2.0", "id": 5, "method": "tools/list", "params": params}),
        )
        .header("mcp-protocol-version", "2031-01-01")
        .header("mcp-method", "tools/list"),
    )
    .await;
    assert_eq!(
        (status, body["error"]["code"].clone()),
        (400, json!(-32022)),
        "{body}"
    );
    assert_eq!(
        body["error"]["data"]["supported"],
        json!(["2026-07-28", "2025-11-25", "2025-06-18", "2025-03-26"])
    );
    // The header says 2026-07-28 but the body another version: the headers disagree, -32020.
    let (status, _, body) = send(
        post(
            &server,
            &path,
            &json!({"jsonrpc": "2.0", "id": 5, "method": "tools/list", "params": params}),
        )
        .header("mcp-protocol-version", "2026-07-28")
        .header("mcp-method", "tools/list"),
    )
    .await;
    assert_eq!(
        (status, body["error"]["code"].clone()),
        (400, json!(-32020)),
        "{body}"
    );
    // A header sent twice is refused rather than read one way here and another elsewhere.
    let (status, _, body) = send(
        post_2026(&server, &path, 8, "tools/list", json!({})).header("mcp-method", "tools/list"),
    )
    .await;
    assert_eq!(
        (status, body["error"]["code"].clone()),
        (400, json!(-32020)),
        "{body}"
    );
    // Methods the revision removed: 404 with -32601.
    let (status, _, body) = send(post_2026(&server, &path, 6, "ping", json!({}))).await;
    assert_eq!(
        (status, body["error"]["code"].clone()),
        (404, json!(-32601))
    );
    // Notifications: 202, no body.
    let (status, _, body) = send(
        post(&server, &path, &json!({"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": 1}}))
            .header("mcp-protocol-version", "2026-07-28"),
    )
    .await;
    assert_eq!((status, body), (202, Value::Null));
    // No GET stream in 2026-07-28 either.
    let resp = server
        .http
        .get(server.url(&path))
        .header("accept", "text/event-stream")
        .header("mcp-protocol-version", "2026-07-28")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 405);
}

#[tokio::test]
async fn other_methods_answer_like_the_rest_of_the_endpoint() {
    let server = TestServer::start().await;
    let mcp = McpServer::create(&server, json!({"name": "Methods"})).await;
    for method in [reqwest::Method::PUT, reqwest::Method::PATCH] {
        let resp = server
            .http
            .request(method.clone(), server.url(&mcp.token_path()))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 405);
        let allow = resp
            .headers()
            .get("allow")
            .map(|v| v.to_str().unwrap().to_owned());
        let body: Value = resp.json().await.unwrap();
        assert_eq!(allow.as_deref(), Some("POST, DELETE"), "{method}");
        assert_eq!(body["jsonrpc"], "2.0", "{method}: {body}");
        assert_eq!(body["id"], Value::Null);
        assert_eq!(body["error"]["data"]["code"], "METHOD_NOT_ALLOWED");
    }
    // A batch under 2026-07-28 is malformed for that revision: 400 like its other refusals.
    let (status, _, body) = send(
        post(
            &server,
            &mcp.token_path(),
            &json!([{"jsonrpc": "2.0", "id": 1, "method": "tools/list"}]),
        )
        .header("mcp-protocol-version", "2026-07-28"),
    )
    .await;
    assert_eq!(
        (status, body["error"]["code"].clone()),
        (400, json!(-32600)),
        "{body}"
    );
}

#[tokio::test]
async fn sessions_expire_after_their_lifetime() {
    // Time is simulated by editing the database behind the server's back, which the server
    // notices only when it reads the row: no cache.
    let server = TestServer::start_with(&["--cache-fresh-ms", "0"]).await;
    let mcp = McpServer::create(&server, json!({"name": "Lifetime"})).await;
    let path = mcp.token_path();
    let session = initialize(&server, &path, "2025-11-25").await;
    assert_eq!(
        call(&server, &path, &session, 2, "ping", json!({})).await.0,
        200
    );
    // Age the session past the default lifetime (24 hours), as time would.
    let db = server.data_dir.join("alloy.db");
    sqlite_execute(
        &db,
        "UPDATE mcp_sessions SET created_at='2000-01-01T00:00:00+00:00'",
    );
    let (status, body) = call(&server, &path, &session, 3, "ping", json!({})).await;
    assert_eq!(status, 404, "{body}");
    // A new initialize works.
    let fresh = initialize(&server, &path, "2025-11-25").await;
    assert_eq!(
        call(&server, &path, &fresh, 4, "ping", json!({})).await.0,
        200
    );
}
