//! Answers given before the request body was read leave the connection usable for the next
//! request, or say `Connection: close`: raw HTTP/1.1 over one TCP connection per case.

use std::time::Duration;

use serde_json::json;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio::time::timeout;

use crate::support::{BOOTSTRAP_KEY, TestServer, read_answer};

/// Sends `method path` with `headers` and a body of `size` bytes (written while the answer is
/// read, as a client streaming a large upload would), expects `status`, then — unless the
/// answer said `Connection: close` — sends `GET /healthz` on the same connection and expects it
/// answered.
async fn early_answer_keeps_or_closes(
    server: &TestServer,
    method: &str,
    path: &str,
    headers: &str,
    size: usize,
    status: u16,
) {
    let case = format!("{method} {path} with a {size}-byte body");
    let addr = server.base.trim_start_matches("http://").to_owned();
    let stream = TcpStream::connect(&addr).await.unwrap();
    let (mut rd, mut wr) = stream.into_split();
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\n{headers}Content-Type: application/json\r\n\
         Content-Length: {size}\r\n\r\n"
    );
    let writer = tokio::spawn(async move {
        wr.write_all(head.as_bytes()).await?;
        wr.write_all(&vec![b' '; size]).await?;
        Ok::<_, std::io::Error>(wr)
    });
    let mut buf = Vec::new();
    let first = timeout(Duration::from_secs(10), read_answer(&mut rd, &mut buf))
        .await
        .unwrap_or_else(|_| panic!("{case}: no answer"));
    assert_eq!(first.status, status, "{case}: {}", first.body);
    assert!(
        first.body.starts_with('{'),
        "{case}: a JSON body: {}",
        first.body
    );
    if first.close {
        return;
    }
    let mut wr = timeout(Duration::from_secs(10), writer)
        .await
        .unwrap_or_else(|_| panic!("{case}: body not taken"))
        .unwrap()
        .unwrap_or_else(|e| panic!("{case}: body refused without Connection: close ({e})"));
    wr.write_all(format!("GET /healthz HTTP/1.1\r\nHost: {addr}\r\n\r\n").as_bytes())
        .await
        .unwrap_or_else(|e| panic!("{case}: connection dropped without Connection: close ({e})"));
    let second = timeout(Duration::from_secs(10), read_answer(&mut rd, &mut buf))
        .await
        .unwrap_or_else(|_| panic!("{case}: second request not answered"));
    assert_eq!(
        second.status, 200,
        "{case}: second request: {}",
        second.body
    );
}

const SIZES: [usize; 3] = [0, 64 * 1024, 1024 * 1024];

#[tokio::test]
async fn early_answers_keep_the_connection_usable() {
    let server = TestServer::start_with(&["--max-body-bytes", "32768"]).await;
    let created = server.create_server(json!({"name": "Keep alive"})).await;
    let id = created["serverId"].as_str().unwrap().to_owned();
    let access = created["accessUrl"].as_str().unwrap().to_owned();
    let token_path = access.trim_start_matches(&server.base).to_owned();
    let mcp_headers = "Accept: application/json, text/event-stream\r\n";
    let auth = format!("Authorization: Bearer {BOOTSTRAP_KEY}\r\n");
    let cases: Vec<(&str, String, String, u16)> = vec![
        ("POST", "/api/servers".into(), String::new(), 401),
        ("POST", "/nope".into(), String::new(), 404),
        ("POST", "/healthz".into(), String::new(), 405),
        ("POST", format!("/mcp/{id}"), mcp_headers.into(), 401),
        (
            "POST",
            token_path.clone(),
            format!("{mcp_headers}Origin: https://evil.example\r\n"),
            403,
        ),
        ("POST", "/mcp/nope/nope".into(), mcp_headers.into(), 401),
        (
            "POST",
            "/mcp/nope".into(),
            format!("{mcp_headers}{auth}"),
            404,
        ),
        (
            "POST",
            token_path.clone(),
            "Accept: text/html\r\n".into(),
            406,
        ),
    ];
    for (method, path, headers, status) in &cases {
        for size in SIZES {
            early_answer_keeps_or_closes(&server, method, path, headers, size, *status).await;
        }
    }
    // Over the size limit: refused on the declared length, before reading.
    for size in [64 * 1024, 1024 * 1024] {
        early_answer_keeps_or_closes(&server, "POST", "/api/servers", &auth, size, 413).await;
    }
}

#[tokio::test]
async fn a_rate_limited_answer_keeps_the_connection_usable() {
    let server = TestServer::start_with(&["--rate-limit-per-minute", "2"]).await;
    // Failed authentication spends the address's budget; then every answer is a 429.
    for _ in 0..2 {
        let resp = server
            .anonymous(reqwest::Method::GET, "/api/servers")
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 401);
    }
    for size in SIZES {
        early_answer_keeps_or_closes(&server, "POST", "/api/servers", "", size, 429).await;
    }
}

#[tokio::test]
async fn a_body_past_the_drain_limit_is_answered_with_connection_close() {
    let server = TestServer::start_with(&["--max-body-bytes", "32768"]).await;
    let addr = server.base.trim_start_matches("http://").to_owned();
    let mut stream = TcpStream::connect(&addr).await.unwrap();
    let size = 3 * 1024 * 1024;
    let head = format!(
        "POST /api/servers HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {BOOTSTRAP_KEY}\r\n\
         Content-Type: application/json\r\nContent-Length: {size}\r\n\r\n"
    );
    // Only the head: the answer must not wait for the body.
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut buf = Vec::new();
    let answer = timeout(Duration::from_secs(10), read_answer(&mut stream, &mut buf))
        .await
        .expect("answered before the body");
    assert_eq!(answer.status, 413, "{}", answer.body);
    assert!(answer.close, "Connection: close on an undrainable body");
    assert!(answer.body.contains("PAYLOAD_TOO_LARGE"), "{}", answer.body);
}
