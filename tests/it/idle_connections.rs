//! Idle connections are closed: HTTP/2 after `--idle-timeout-ms` with no request in flight
//! (hyper has no such limit of its own), measured from the last request, not from the start.

use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::TcpStream;
use tokio::time::{sleep, timeout};

use crate::support::TestServer;

/// An HTTP/2 connection (prior knowledge, as `h2c` clients speak) whose driver task reports
/// when the server ended it.
async fn http2(
    server: &TestServer,
) -> (
    hyper::client::conn::http2::SendRequest<Empty<Bytes>>,
    tokio::task::JoinHandle<()>,
) {
    let addr = server.base.trim_start_matches("http://").to_owned();
    let stream = TcpStream::connect(&addr).await.unwrap();
    let (sender, conn) =
        hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(stream))
            .await
            .expect("HTTP/2 handshake");
    let ended = tokio::spawn(async move {
        let _ = conn.await;
    });
    (sender, ended)
}

async fn healthz(
    server: &TestServer,
    sender: &mut hyper::client::conn::http2::SendRequest<Empty<Bytes>>,
) {
    let req = hyper::Request::get(server.url("/healthz"))
        .body(Empty::new())
        .unwrap();
    let resp = sender.send_request(req).await.expect("answered");
    assert_eq!(resp.status(), 200);
    resp.into_body().collect().await.unwrap();
}

#[tokio::test]
async fn an_idle_http2_connection_is_closed_after_the_idle_timeout() {
    let server = TestServer::start_with(&["--idle-timeout-ms", "400"]).await;
    let (mut sender, ended) = http2(&server).await;
    // In use: a request every 150 ms keeps it open well past the timeout.
    for _ in 0..8 {
        healthz(&server, &mut sender).await;
        sleep(Duration::from_millis(150)).await;
    }
    assert!(!ended.is_finished(), "closed while in use");
    // Left alone: closed (GOAWAY, then the server ends the connection).
    timeout(Duration::from_secs(5), ended)
        .await
        .expect("an idle HTTP/2 connection is closed")
        .unwrap();
}

#[tokio::test]
async fn an_http2_connection_stays_open_within_the_idle_timeout() {
    // The default (60 s) against a connection left alone for 1.5 s.
    let server = TestServer::start().await;
    let (mut sender, ended) = http2(&server).await;
    healthz(&server, &mut sender).await;
    sleep(Duration::from_millis(1500)).await;
    assert!(!ended.is_finished(), "closed before the idle timeout");
    healthz(&server, &mut sender).await;
}
