//! Ambiguous or missing headers are refused: a second copy of a credential header, an
//! HTTP/1.1 request without (or with two) `Host`.

use std::time::Duration;

use reqwest::Method;
use reqwest::header::{HeaderMap, HeaderValue};
use serde_json::json;
use tokio::io::AsyncWriteExt;

use crate::support::{BOOTSTRAP_KEY, TestServer, assert_error, read_answer, send};

fn twice(name: &'static str, first: &str, second: &str) -> HeaderMap {
    let mut h = HeaderMap::new();
    h.append(name, HeaderValue::from_str(first).unwrap());
    h.append(name, HeaderValue::from_str(second).unwrap());
    h
}

#[tokio::test]
async fn a_credential_header_sent_twice_is_400() {
    let server = TestServer::start().await;
    let bearer = format!("Bearer {BOOTSTRAP_KEY}");
    for (name, first, second) in [
        (
            "authorization",
            bearer.as_str(),
            "Bearer alloy_other_key_0123456789",
        ),
        ("authorization", bearer.as_str(), bearer.as_str()),
    ] {
        let resp = send(
            server
                .anonymous(Method::GET, "/api/servers")
                .headers(twice(name, first, second)),
        )
        .await;
        assert_error(&resp, 400, "INVALID_REQUEST");
        assert!(
            resp.1["error"]["message"]
                .as_str()
                .unwrap()
                .contains("authorization"),
            "{}",
            resp.1
        );
    }
    for name in ["x-alloy-userid", "x-alloy-user-token"] {
        let resp = send(
            server
                .request(Method::GET, "/api/servers")
                .headers(twice(name, "alice", "bob")),
        )
        .await;
        assert_error(&resp, 400, "INVALID_REQUEST");
    }
    // One copy of each still works.
    let (status, _) = send(
        server
            .request(Method::GET, "/api/servers")
            .header("x-alloy-userid", "alice"),
    )
    .await;
    assert_eq!(status, 200);

    // The MCP endpoint refuses them too, in its own error form.
    let created = server.create_server(json!({"name": "Twice"})).await;
    let id = created["serverId"].as_str().unwrap();
    let resp = server
        .anonymous(Method::POST, &format!("/mcp/{id}"))
        .headers(twice(
            "authorization",
            &bearer,
            "Bearer alloy_other_key_0123456789",
        ))
        .header("accept", "application/json, text/event-stream")
        .json(&json!({"jsonrpc": "2.0", "id": 1, "method": "ping"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["error"]["data"]["code"], "INVALID_REQUEST", "{body}");
}

/// Sends raw `request` and returns the answer's head and body as one text.
async fn raw(server: &TestServer, request: &str) -> String {
    let addr = server.base.trim_start_matches("http://");
    let mut conn = tokio::net::TcpStream::connect(addr).await.unwrap();
    conn.write_all(request.as_bytes()).await.unwrap();
    let answer = tokio::time::timeout(
        Duration::from_secs(10),
        read_answer(&mut conn, &mut Vec::new()),
    )
    .await
    .expect("answered");
    format!("{}{}", answer.head, answer.body)
}

#[tokio::test]
async fn http_1_1_needs_exactly_one_host() {
    let server = TestServer::start().await;
    let addr = server.base.trim_start_matches("http://").to_owned();
    let answer = raw(&server, "GET /healthz HTTP/1.1\r\n\r\n").await;
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    assert!(answer.contains("\"INVALID_REQUEST\""), "{answer}");
    assert!(answer.contains("Host header"), "{answer}");
    let answer = raw(
        &server,
        &format!("GET /healthz HTTP/1.1\r\nHost: {addr}\r\nHost: evil.example\r\n\r\n"),
    )
    .await;
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    // HTTP/1.0 may omit it; one Host is fine.
    let answer = raw(&server, "GET /healthz HTTP/1.0\r\n\r\n").await;
    assert!(answer.starts_with("HTTP/1.0 200"), "{answer}");
    let answer = raw(
        &server,
        &format!("GET /healthz HTTP/1.1\r\nHost: {addr}\r\n\r\n"),
    )
    .await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
}
