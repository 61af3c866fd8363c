//! The eight tools over HTTP: restrictions, errors, and the three response tiers of
//! `execute_action_alloy` against a stand-in Stripe.

use alloy_connectors::testing::{RecordingServer, Reply};
use serde_json::{Value, json};

use super::*;
use crate::support::TestServer;

/// Calls a tool statelessly; returns `(isError, structuredContent)` and checks that the text
/// content carries the same JSON.
pub(crate) async fn tool(
    server: &TestServer,
    path: &str,
    name: &str,
    arguments: Value,
) -> (bool, Value) {
    let (status, _, body) = send(post_2026(
        server,
        path,
        7,
        "tools/call",
        json!({"name": name, "arguments": arguments}),
    ))
    .await;
    assert_eq!(status, 200, "{body}");
    let result = &body["result"];
    let structured = result["structuredContent"].clone();
    let text = result["content"][0]["text"].as_str().expect("text content");
    assert_eq!(
        serde_json::from_str::<Value>(text).unwrap(),
        structured,
        "text and structured agree"
    );
    (result["isError"].as_bool().unwrap_or(false), structured)
}

fn customers(n: usize) -> Value {
    let data: Vec<Value> = (0..n).map(|i| json!({"id": format!("cus_{i:04}"), "object": "customer", "email": format!("c{i}@example.com")})).collect();
    json!({"object": "list", "url": "/v1/customers", "has_more": false, "data": data})
}

/// A stand-in Stripe answering the balance (credential check) and `n` customers.
fn stripe_with(upstream: &RecordingServer, n: usize) {
    upstream.set_handler(move |req| match req.path.as_str() {
        "/v1/balance" => Reply::json(200, &json!({"object": "balance", "available": []})),
        "/v1/customers" => Reply::json(200, &customers(n)),
        _ => Reply::json(404, &json!({"error": {"message": "No such route"}})),
    });
}

async fn stripe_server() -> (RecordingServer, TestServer) {
    let upstream = RecordingServer::start().await.unwrap();
    stripe_with(&upstream, 10);
    let arg = format!("stripe={}", upstream.url());
    let server = TestServer::start_with(&["--connector-base-urls", &arg]).await;
    (upstream, server)
}

async fn store_stripe_key(server: &TestServer, path: &str) -> String {
    let (is_error, created) = tool(
        server,
        path,
        "create_credential_alloy",
        json!({"connectorId": "stripe", "authenticationType": "bearer", "fields": {"token": "sk_test_e2e_secret"}}),
    )
    .await;
    assert!(!is_error, "{created}");
    let id = created["credentialId"]
        .as_str()
        .expect("credentialId")
        .to_owned();
    assert!(
        id.len() == 24 && id.bytes().all(|b| b.is_ascii_hexdigit()),
        "{id}"
    );
    id
}

#[tokio::test]
async fn response_tiers_of_execute_action() {
    let (upstream, server) = stripe_server().await;
    let mcp = McpServer::create(&server, json!({"name": "Tiers"})).await;
    let path = mcp.token_path();
    store_stripe_key(&server, &path).await;
    upstream.reset();

    // Fewer than 25 items: unchanged.
    let (is_error, small) = tool(
        &server,
        &path,
        "execute_action_alloy",
        json!({"connectorId": "stripe", "actionId": "GetCustomers", "parameters": {"limit": 10}}),
    )
    .await;
    assert!(!is_error, "{small}");
    let text = small.to_string();
    assert_eq!(
        small
            .pointer("/data/0/id")
            .or_else(|| small.pointer("/body/data/0/id"))
            .or_else(|| small.pointer("/result/data/0/id"))
            .map(|v| v.as_str().unwrap()),
        Some("cus_0000"),
        "{text}"
    );
    assert!(!text.contains("needsRefinement") && !text.contains("originalCount"));
    let req = &upstream.requests()[0];
    assert_eq!(req.method, "GET");
    assert_eq!(req.path, "/v1/customers");
    assert_eq!(
        req.header("authorization"),
        Some("Bearer sk_test_e2e_secret")
    );
    assert_eq!(
        req.query_pairs(),
        vec![("limit".to_owned(), "10".to_owned())]
    );

    // 25 to 50: the first 25 and metadata.
    stripe_with(&upstream, 30);
    let (_, medium) = tool(
        &server,
        &path,
        "execute_action_alloy",
        json!({"connectorId": "stripe", "actionId": "GetCustomers", "parameters": {}}),
    )
    .await;
    let metadata = find_key(&medium, "metadata").unwrap_or_else(|| panic!("metadata in {medium}"));
    assert_eq!(metadata["originalCount"], 30);
    assert_eq!(metadata["displayedCount"], 25);
    assert_eq!(metadata["truncated"], true);
    assert_eq!(metadata["paginationHint"], "Showing first 25 of 30 items.");

    // More than 50: refinement advice with the real count, the action's real parameters and samples.
    stripe_with(&upstream, 300);
    let (_, large) = tool(
        &server,
        &path,
        "execute_action_alloy",
        json!({"connectorId": "stripe", "actionId": "GetCustomers", "parameters": {}}),
    )
    .await;
    let advice = if large.get("needsRefinement").is_some() {
        large.clone()
    } else {
        find_parent_of(&large, "needsRefinement")
            .unwrap_or_else(|| panic!("needsRefinement in {large}"))
    };
    assert_eq!(advice["needsRefinement"], true);
    assert!(
        advice["message"].as_str().unwrap().contains("300"),
        "{advice}"
    );
    assert!(
        advice["searchInstructions"]
            .as_str()
            .unwrap()
            .contains("limit"),
        "{advice}"
    );
    let samples = advice["samples"].as_array().unwrap();
    assert!((2..=3).contains(&samples.len()));
    assert!(
        large.to_string().len() < 20_000,
        "300 customers never reach the agent"
    );
}

#[tokio::test]
async fn restrictions_hide_and_forbid() {
    let (upstream, server) = stripe_server().await;
    let blocked = McpServer::create(
        &server,
        json!({"name": "No Stripe", "restrictions": {
        "connectors": {"mode": "blocklist", "blockedIds": ["stripe"]}}}),
    )
    .await;
    let path = blocked.token_path();
    let (_, list) = tool(&server, &path, "list_connectors_alloy", json!({})).await;
    let text = list.to_string();
    assert!(
        text.contains("slack") && !text.contains("\"stripe\""),
        "{text}"
    );
    for (name, args) in [
        (
            "get_connector_resources_alloy",
            json!({"connectorId": "stripe"}),
        ),
        (
            "get_action_details_alloy",
            json!({"connectorId": "stripe", "actionId": "GetCustomers"}),
        ),
        (
            "execute_action_alloy",
            json!({"connectorId": "stripe", "actionId": "GetCustomers", "parameters": {}}),
        ),
        (
            "discover_action_path_alloy",
            json!({"connectorId": "stripe", "goal": "list customers"}),
        ),
    ] {
        let (is_error, err) = tool(&server, &path, name, args).await;
        assert!(is_error, "{name}: {err}");
        assert_eq!(err["error"]["code"], "FORBIDDEN", "{name}: {err}");
    }

    let no_list = McpServer::create(
        &server,
        json!({"name": "No Customer List", "restrictions": {
        "actions": {"mode": "blocklist", "blockedActions": ["stripe.GetCustomers"]}}}),
    )
    .await;
    let path = no_list.token_path();
    let (_, resources) = tool(
        &server,
        &path,
        "get_connector_resources_alloy",
        json!({"connectorId": "stripe"}),
    )
    .await;
    let text = resources.to_string();
    assert!(
        text.contains("PostCustomers") && !text.contains("\"GetCustomers\""),
        "{text}"
    );
    let (_, path_advice) = tool(
        &server,
        &path,
        "discover_action_path_alloy",
        json!({"connectorId": "stripe", "goal": "list customers"}),
    )
    .await;
    assert!(
        !path_advice.to_string().contains("\"GetCustomers\""),
        "{path_advice}"
    );
    let (is_error, err) = tool(
        &server,
        &path,
        "get_action_details_alloy",
        json!({"connectorId": "stripe", "actionId": "GetCustomers"}),
    )
    .await;
    assert!(is_error && err["error"]["code"] == "FORBIDDEN", "{err}");
    assert!(
        upstream.requests().is_empty(),
        "nothing blocked reached the platform"
    );
}

#[tokio::test]
async fn tool_errors_use_the_reference_error_object() {
    let (upstream, server) = stripe_server().await;
    let mcp = McpServer::create(&server, json!({"name": "Errors"})).await;
    let path = mcp.token_path();
    let cases = [
        (
            json!({"connectorId": "nope", "actionId": "x", "parameters": {}}),
            "CONNECTOR_NOT_FOUND",
        ),
        (
            json!({"connectorId": "stripe", "actionId": "Nope", "parameters": {}}),
            "ACTION_NOT_FOUND",
        ),
        (
            json!({"connectorId": "stripe", "actionId": "GetCustomers", "parameters": {}}),
            "CREDENTIAL_NOT_FOUND",
        ),
    ];
    for (args, code) in cases {
        let (is_error, err) = tool(&server, &path, "execute_action_alloy", args).await;
        assert!(is_error, "{err}");
        assert_eq!(err["error"]["code"], code, "{err}");
        assert!(err["error"]["message"].is_string());
    }
    let (_, err) = tool(
        &server,
        &path,
        "execute_action_alloy",
        json!({"connectorId": "stripe", "actionId": "GetCustomers", "parameters": {}}),
    )
    .await;
    assert!(
        err["error"]["message"]
            .as_str()
            .unwrap()
            .contains("create_credential_alloy"),
        "{err}"
    );
    store_stripe_key(&server, &path).await;
    let (is_error, err) = tool(&server, &path, "execute_action_alloy", json!({"connectorId": "stripe", "actionId": "GetCustomers", "parameters": {"limit": "many"}})).await;
    assert!(
        is_error && err["error"]["code"] == "VALIDATION_ERROR",
        "{err}"
    );
    let (is_error, err) = tool(&server, &path, "execute_action_alloy", json!({"connectorId": "stripe", "actionId": "GetCustomers", "parameters": {}, "timeout": 10})).await;
    assert!(
        is_error && err["error"]["code"] == "VALIDATION_ERROR",
        "{err}"
    );
    // Upstream failures carry the upstream status.
    upstream.set_handler(|_| Reply::json(500, &json!({"error": {"message": "boom"}})));
    let (is_error, err) = tool(&server, &path, "execute_action_alloy", json!({"connectorId": "stripe", "actionId": "PostCustomers", "parameters": {"email": "a@example.com"}})).await;
    assert!(is_error, "{err}");
    assert_eq!(err["error"]["code"], "UPSTREAM_ERROR", "{err}");
    // Unknown tools are a protocol error, not a tool result.
    let (status, _, body) = send(post_2026(
        &server,
        &path,
        9,
        "tools/call",
        json!({"name": "no_such_tool", "arguments": {}}),
    ))
    .await;
    assert_eq!(status, 200);
    assert_eq!(body["error"]["code"], -32602);
}

/// The first object value under `key`, searching depth-first.
fn find_key(value: &Value, key: &str) -> Option<Value> {
    match value {
        Value::Object(m) => m
            .get(key)
            .cloned()
            .or_else(|| m.values().find_map(|v| find_key(v, key))),
        Value::Array(a) => a.iter().find_map(|v| find_key(v, key)),
        _ => None,
    }
}

/// The first object that has `key`, searching depth-first.
fn find_parent_of(value: &Value, key: &str) -> Option<Value> {
    match value {
        Value::Object(m) if m.contains_key(key) => Some(value.clone()),
        Value::Object(m) => m.values().find_map(|v| find_parent_of(v, key)),
        Value::Array(a) => a.iter().find_map(|v| find_parent_of(v, key)),
        _ => None,
    }
}

#[tokio::test]
async fn credential_choice_honours_x_credential_id() {
    let (upstream, server) = stripe_server().await;
    let mcp = McpServer::create(&server, json!({"name": "Choice"})).await;
    let path = mcp.token_path();
    let first = store_stripe_key(&server, &path).await;
    let (is_error, second) = tool(
        &server,
        &path,
        "create_credential_alloy",
        json!({"connectorId": "stripe", "authenticationType": "bearer", "fields": {"token": "sk_test_newer"}}),
    )
    .await;
    assert!(!is_error, "{second}");
    let args = json!({"connectorId": "stripe", "actionId": "GetCustomers", "parameters": {}});
    let auth_of_last = || {
        upstream
            .requests()
            .last()
            .and_then(|r| r.header("authorization").map(str::to_owned))
    };

    // No choice made: the newest credential.
    upstream.reset();
    tool(&server, &path, "execute_action_alloy", args.clone()).await;
    assert_eq!(auth_of_last().as_deref(), Some("Bearer sk_test_newer"));
    // x-credential-id picks the older one.
    upstream.reset();
    let (status, _, body) = send(
        post_2026(
            &server,
            &path,
            3,
            "tools/call",
            json!({"name": "execute_action_alloy", "arguments": args.clone()}),
        )
        .header("x-credential-id", &first),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["result"]["isError"], false, "{body}");
    assert_eq!(auth_of_last().as_deref(), Some("Bearer sk_test_e2e_secret"));
    // A credentialId argument wins over the header.
    upstream.reset();
    let mut with_id = args.clone();
    with_id["credentialId"] = second["credentialId"].clone();
    send(
        post_2026(
            &server,
            &path,
            4,
            "tools/call",
            json!({"name": "execute_action_alloy", "arguments": with_id}),
        )
        .header("x-credential-id", &first),
    )
    .await;
    assert_eq!(auth_of_last().as_deref(), Some("Bearer sk_test_newer"));
    // The listing shows metadata, never the secret.
    let (_, listed) = tool(
        &server,
        &path,
        "get_credentials_alloy",
        json!({"connectorId": "stripe"}),
    )
    .await;
    let text = listed.to_string();
    assert!(
        text.contains(&first) && !text.contains("sk_test_"),
        "{text}"
    );
}

#[tokio::test]
async fn the_next_page_is_offered_when_the_whole_page_was_shown() {
    let (upstream, server) = stripe_server().await;
    let mcp = McpServer::create(&server, json!({"name": "Paging"})).await;
    let path = mcp.token_path();
    store_stripe_key(&server, &path).await;
    let call = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "execute_action_alloy",
        "arguments": {"connectorId": "stripe", "actionId": "GetCustomers", "parameters": {"limit": 10}}}});
    let next_page_text = |body: &Value| {
        body["result"]["content"]
            .get(1)
            .and_then(|c| c["text"].as_str())
            .map(str::to_owned)
    };

    // Ten items and Stripe says there are more: the cursor after the last one is offered.
    upstream.set_handler(|req| {
        let mut page = customers(10);
        page["has_more"] = json!(true);
        match req.path.as_str() {
            "/v1/customers" => Reply::json(200, &page),
            _ => Reply::json(200, &json!({"object": "balance"})),
        }
    });
    let mut params = call["params"].clone();
    params["_meta"] = meta_2026();
    let request = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": params});
    let post_call = || {
        post(&server, &path, &request)
            .header("mcp-protocol-version", "2026-07-28")
            .header("mcp-method", "tools/call")
            .header("mcp-name", "execute_action_alloy")
    };
    let (_, _, body) = send(post_call()).await;
    let hint = next_page_text(&body).unwrap_or_else(|| panic!("a next-page hint in {body}"));
    assert!(hint.contains("\"starting_after\":\"cus_0009\""), "{hint}");
    assert_eq!(
        body["result"]["structuredContent"]["data"]
            .as_array()
            .unwrap()
            .len(),
        10,
        "structured content unchanged"
    );

    // The platform says that was all: no hint.
    stripe_with(&upstream, 10);
    let (_, _, body) = send(post_call()).await;
    assert_eq!(next_page_text(&body), None, "{body}");

    // Thirty items were cut to 25: paging on would skip five, so no hint.
    upstream.set_handler(|_| {
        let mut page = customers(30);
        page["has_more"] = json!(true);
        Reply::json(200, &page)
    });
    let (_, _, body) = send(post_call()).await;
    assert_eq!(next_page_text(&body), None, "{body}");
}
