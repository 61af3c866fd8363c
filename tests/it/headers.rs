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

/// Requests hyper refuses before our service sees them still get the reference error object
/// (and `Connection: close`), on a fresh connection and after a good request on a kept one.
#[tokio::test]
async fn protocol_rejections_carry_the_error_object() {
    let server = TestServer::start().await;
    let addr = server.base.trim_start_matches("http://").to_owned();
    let big_header = "a".repeat(1024 * 1024);
    let long_path = "a".repeat(65 * 1024);
    let many: String = (0..150).map(|i| format!("X-{i}: a\r\n")).collect();
    let cases: Vec<(u16, Vec<u8>)> = vec![
        (
            431,
            format!("GET /healthz HTTP/1.1\r\nHost: {addr}\r\nX-Big: {big_header}\r\n\r\n").into(),
        ),
        (
            431,
            format!("GET /healthz HTTP/1.1\r\nHost: {addr}\r\n{many}\r\n").into(),
        ),
        (
            414,
            format!("GET /{long_path} HTTP/1.1\r\nHost: {addr}\r\n\r\n").into(),
        ),
        (
            400,
            format!(
                "POST /api/servers HTTP/1.1\r\nHost: {addr}\r\nContent-Length: 2\r\n\
                 Content-Length: 3\r\n\r\n{{}}"
            )
            .into(),
        ),
        (
            400,
            format!("GET /healthz HTTP/1.1\r\nHost: {addr}\r\nX-A: a\r\n b\r\n\r\n").into(),
        ),
        (
            400,
            [
                b"GET /\xff\xfe HTTP/1.1\r\nHost: ".as_slice(),
                addr.as_bytes(),
                b"\r\n\r\n",
            ]
            .concat(),
        ),
        (400, b"HELLO\r\n\r\n".to_vec()),
    ];
    for (status, request) in cases {
        for after_a_good_one in [false, true] {
            let mut conn = tokio::net::TcpStream::connect(&addr).await.unwrap();
            let mut buf = Vec::new();
            if after_a_good_one {
                let good = format!("GET /healthz HTTP/1.1\r\nHost: {addr}\r\n\r\n");
                conn.write_all(good.as_bytes()).await.unwrap();
                let answer = read_answer(&mut conn, &mut buf).await;
                assert_eq!(answer.status, 200);
            }
            // The server may answer and close before it has read all of a large request.
            let _ = conn.write_all(&request).await;
            let answer =
                tokio::time::timeout(Duration::from_secs(10), read_answer(&mut conn, &mut buf))
                    .await
                    .expect("answered");
            let shown = String::from_utf8_lossy(&request[..request.len().min(60)]).into_owned();
            assert_eq!(answer.status, status, "{shown}: {}", answer.head);
            assert!(answer.close, "{shown}: {}", answer.head);
            assert!(
                answer
                    .head
                    .to_ascii_lowercase()
                    .contains("content-type: application/json"),
                "{shown}: {}",
                answer.head
            );
            let body: serde_json::Value = serde_json::from_str(&answer.body).expect("JSON body");
            assert_eq!(body["error"]["code"], "INVALID_REQUEST", "{shown}");
            assert!(
                body["error"]["message"]
                    .as_str()
                    .is_some_and(|m| !m.is_empty())
            );
        }
    }
}
