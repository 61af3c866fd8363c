//! Body size limit, routes (404, 405, probes), listing pages, response shapes, rate limits.

use reqwest::Method;
use serde_json::{Value, json};

use crate::support::*;

const TEN_MB: usize = 10 * 1024 * 1024;

/// A create body of exactly `len` bytes whose description pads it out.
fn body_of_len(name: &str, len: usize) -> String {
    let head = format!(r#"{{"name":"{name}","description":""#);
    let tail = r#""}"#;
    let pad = len - head.len() - tail.len();
    format!("{head}{}{tail}", "x".repeat(pad))
}

#[tokio::test]
async fn bodies_up_to_10_mb_are_read_and_larger_ones_are_413() {
    let server = TestServer::start().await;
    // Exactly at the limit: accepted and stored whole.
    let body = body_of_len("At Limit", TEN_MB);
    assert_eq!(body.len(), TEN_MB);
    let (status, created) = send(
        server
            .request(Method::POST, "/api/servers")
            .header("content-type", "application/json")
            .body(body),
    )
    .await;
    assert_eq!(status, 201);
    let id = created["serverId"].as_str().unwrap();
    let (_, got) = send(server.request(Method::GET, &format!("/api/servers/{id}"))).await;
    assert_eq!(got["description"].as_str().unwrap().len(), TEN_MB - 36);

    // One byte over, with Content-Length: refused before reading.
    let resp = send(
        server
            .request(Method::POST, "/api/servers")
            .header("content-type", "application/json")
            .body(body_of_len("Over", TEN_MB + 1)),
    )
    .await;
    assert_error(&resp, 413, "PAYLOAD_TOO_LARGE");
    // Over the limit on update, too.
    let resp = send(
        server
            .request(Method::PUT, &format!("/api/servers/{id}"))
            .header("content-type", "application/json")
            .body(body_of_len("Over", TEN_MB + 1)),
    )
    .await;
    assert_error(&resp, 413, "PAYLOAD_TOO_LARGE");
    // Chunked, without Content-Length: refused when the limit is crossed.
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> = body_of_len("Chunked", TEN_MB + 1024)
        .into_bytes()
        .chunks(64 * 1024)
        .map(|c| Ok(c.to_vec()))
        .collect();
    let stream = futures_util::stream::iter(chunks);
    let resp = send(
        server
            .request(Method::POST, "/api/servers")
            .header("content-type", "application/json")
            .body(reqwest::Body::wrap_stream(stream)),
    )
    .await;
    assert_error(&resp, 413, "PAYLOAD_TOO_LARGE");
    // Nothing over the limit was stored.
    let (_, list) = send(server.request(Method::GET, "/api/servers")).await;
    assert_eq!(list["total"], 1);
}

#[tokio::test]
async fn unknown_routes_are_404_and_wrong_methods_405() {
    let server = TestServer::start().await;
    // `/` is the console's redirect (tests/it/console_api.rs).
    for path in [
        "/admin/nope",
        "/admin/assets",
        "/api",
        "/api/server",
        "/api/servers/a/b",
        "/api/users/alice/tokens",
        "/nope",
        "/healthz/x",
    ] {
        for method in [Method::GET, Method::POST] {
            let resp = send(server.request(method.clone(), path)).await;
            assert_error(&resp, 404, "NOT_FOUND");
            // No credentials needed to learn that a route does not exist.
            let resp = send(server.anonymous(method, path)).await;
            assert_error(&resp, 404, "NOT_FOUND");
        }
    }
    for (method, path, allow) in [
        (Method::DELETE, "/api/servers", "GET, POST"),
        (Method::PUT, "/api/servers", "GET, POST"),
        (Method::PATCH, "/api/servers/x-12345678", "GET, PUT, DELETE"),
        (Method::POST, "/api/servers/x-12345678", "GET, PUT, DELETE"),
        (Method::GET, "/api/users/alice/token", "POST"),
        (Method::DELETE, "/api/users/alice/token", "POST"),
        (Method::POST, "/healthz", "GET, HEAD"),
        (Method::DELETE, "/readyz", "GET, HEAD"),
    ] {
        for req in [
            server.request(method.clone(), path),
            server.anonymous(method.clone(), path),
        ] {
            let resp = req.send().await.unwrap();
            assert_eq!(resp.status(), 405, "{method} {path}");
            assert_eq!(
                resp.headers().get("allow").unwrap().to_str().unwrap(),
                allow,
                "{method} {path}"
            );
            let (status, body) = status_json(resp).await;
            assert_error(&(status, body), 405, "METHOD_NOT_ALLOWED");
        }
    }
    // A trailing slash names the same route.
    let (status, _) = send(server.request(Method::GET, "/api/servers/")).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn health_and_readiness_probes() {
    let server = TestServer::start().await;
    let (status, body) = send(server.anonymous(Method::GET, "/healthz")).await;
    assert_eq!((status, body), (200, json!({"status": "ok"})));
    let (status, body) = send(server.anonymous(Method::GET, "/readyz")).await;
    assert_eq!(
        (status, body),
        (200, json!({"status": "ready", "database": "ok"}))
    );
    for path in ["/healthz", "/readyz"] {
        let resp = server.anonymous(Method::HEAD, path).send().await.unwrap();
        assert_eq!(resp.status(), 200);
        assert!(resp.bytes().await.unwrap().is_empty());
    }
}

/// While the connector catalog loads, the server answers (with the built-in catalog) but
/// `/readyz` says "loading"; once the whole catalog is swapped in, it is ready.
#[tokio::test]
async fn readiness_waits_for_the_catalog() {
    use std::sync::Arc;

    use alloy_connectors::{Executor, ExecutorConfig, Registry};
    use alloy_gateway::{CatalogSlot, Gateway, GatewayConfig};
    use alloy_http::{AppState, HttpConfig};
    use alloy_ratelimit::{MemoryRateLimiter, Quota};

    let dir = tempfile::tempdir().unwrap();
    let (store, _) = crate::support::settings(dir.path(), &[]);
    let db = alloy_mcp_server::startup::open_database(&store)
        .await
        .unwrap();
    let slot = Arc::new(CatalogSlot::new(Registry::builtin().unwrap(), false));
    let gateway = Gateway::with_catalog(
        db,
        GatewayConfig::new("http://127.0.0.1", vec![7u8; 32]),
        Arc::clone(&slot),
        Executor::new(ExecutorConfig::default()).unwrap(),
    );
    let limiter = Arc::new(MemoryRateLimiter::new(Quota::new(1000)));
    let state = AppState::new(gateway, limiter, HttpConfig::default());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(alloy_http::run(listener, state, async {
        let _ = rx.await;
    }));
    let client = reqwest::Client::new();
    let (status, body) = send(client.get(format!("{url}/readyz"))).await;
    assert_eq!(
        (status, body),
        (503, json!({"status": "loading", "catalog": "loading"}))
    );
    let (status, _) = send(client.get(format!("{url}/healthz"))).await;
    assert_eq!(status, 200, "alive while loading");
    slot.replace(Registry::builtin().unwrap());
    let (status, body) = send(client.get(format!("{url}/readyz"))).await;
    assert_eq!(
        (status, body),
        (200, json!({"status": "ready", "database": "ok"}))
    );
    let _ = tx.send(());
    server.await.unwrap().unwrap();
}

#[tokio::test]
async fn listing_pages() {
    let server = TestServer::start().await;
    let mut ids = Vec::new();
    for i in 0..7 {
        let created = server
            .create_server(json!({ "name": format!("Server {i}") }))
            .await;
        ids.push(created["serverId"].as_str().unwrap().to_owned());
    }
    let page = |query: &'static str| {
        let req = server.request(Method::GET, &format!("/api/servers{query}"));
        async move {
            let (status, body) = send(req).await;
            assert_eq!(status, 200, "{query}: {body}");
            body
        }
    };
    let ids_of = |body: &Value| -> Vec<String> {
        body["servers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["serverId"].as_str().unwrap().to_owned())
            .collect()
    };
    let all = page("").await;
    let keys: Vec<&String> = all.as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        ["servers", "count", "total", "limit", "offset", "hasMore"]
    );
    assert_eq!(
        (
            &all["count"],
            &all["total"],
            &all["limit"],
            &all["offset"],
            &all["hasMore"]
        ),
        (&json!(7), &json!(7), &json!(50), &json!(0), &json!(false))
    );
    assert_eq!(ids_of(&all), ids, "oldest first");

    let first = page("?limit=3").await;
    assert_eq!(
        (
            &first["count"],
            &first["total"],
            &first["limit"],
            &first["hasMore"]
        ),
        (&json!(3), &json!(7), &json!(3), &json!(true))
    );
    let second = page("?limit=3&offset=3").await;
    assert_eq!(
        (&second["count"], &second["hasMore"]),
        (&json!(3), &json!(true))
    );
    let third = page("?offset=6&limit=3").await;
    assert_eq!(
        (&third["count"], &third["offset"], &third["hasMore"]),
        (&json!(1), &json!(6), &json!(false))
    );
    let mut paged = ids_of(&first);
    paged.extend(ids_of(&second));
    paged.extend(ids_of(&third));
    assert_eq!(paged, ids, "pages are disjoint and cover the list in order");
    let past = page("?offset=100").await;
    assert_eq!(
        (
            &past["count"],
            &past["total"],
            &past["hasMore"],
            &past["servers"]
        ),
        (&json!(0), &json!(7), &json!(false), &json!([]))
    );
    let exact = page("?limit=7").await;
    assert_eq!(
        (&exact["count"], &exact["hasMore"]),
        (&json!(7), &json!(false))
    );
    let far = page("?offset=9223372036854775807").await;
    assert_eq!((&far["count"], &far["hasMore"]), (&json!(0), &json!(false)));
    let max = page("?limit=1000&unknown=1").await;
    assert_eq!((&max["count"], &max["limit"]), (&json!(7), &json!(1000)));

    for (query, code, field, constraint, value) in [
        ("?limit=0", "VALIDATION_ERROR", "limit", "min", json!(1)),
        (
            "?offset=9223372036854775808",
            "VALIDATION_ERROR",
            "offset",
            "max",
            json!(9_223_372_036_854_775_807_u64),
        ),
        (
            "?offset=18446744073709551616",
            "INVALID_FORMAT",
            "offset",
            "type",
            json!("non-negative integer"),
        ),
        (
            "?limit=1001",
            "VALIDATION_ERROR",
            "limit",
            "max",
            json!(1000),
        ),
        (
            "?limit=ten",
            "INVALID_FORMAT",
            "limit",
            "type",
            json!("non-negative integer"),
        ),
        (
            "?limit=-1",
            "INVALID_FORMAT",
            "limit",
            "type",
            json!("non-negative integer"),
        ),
        (
            "?offset=-1",
            "INVALID_FORMAT",
            "offset",
            "type",
            json!("non-negative integer"),
        ),
        (
            "?offset=1.5",
            "INVALID_FORMAT",
            "offset",
            "type",
            json!("non-negative integer"),
        ),
    ] {
        assert_validation(
            &send(server.request(Method::GET, &format!("/api/servers{query}"))).await,
            code,
            field,
            constraint,
            value,
        );
    }
}

/// The fields of each view, with the reference's names, and timestamps in RFC 3339 UTC with
/// milliseconds. The access token appears only in `accessToken` on create and in `accessUrl`.
#[tokio::test]
async fn response_shapes() {
    let server = TestServer::start().await;
    let created = server
        .create_server(json!({
            "name": "Shapes",
            "description": "all fields",
            "isPublic": true,
            "tokenExpiresInDays": 7,
            "restrictions": {"connectors": {"mode": "blocklist", "blockedIds": ["github"]}}
        }))
        .await;
    let full_view = [
        "serverId",
        "name",
        "description",
        "mode",
        "isPublic",
        "requireUserToken",
        "accessUrl",
        "url",
        "hasRestrictions",
        "tokenExpiresAt",
        "createdAt",
        "updatedAt",
        "restrictions",
    ];
    let mut create_view = full_view.to_vec();
    create_view.push("accessToken");
    let keys = |v: &Value| -> Vec<String> {
        let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
        k.sort();
        k
    };
    let sorted = |v: &[&str]| -> Vec<String> {
        let mut k: Vec<String> = v.iter().map(|s| (*s).to_owned()).collect();
        k.sort();
        k
    };
    assert_eq!(keys(&created), sorted(&create_view));
    let id = created["serverId"].as_str().unwrap();
    let token = created["accessToken"].as_str().unwrap();
    assert!(token.starts_with("mcp_token_") && token.len() >= "mcp_token_".len() + 32);
    assert!(
        token["mcp_token_".len()..]
            .bytes()
            .all(|b| b.is_ascii_alphanumeric())
    );
    assert_eq!(created["url"], json!(server.url(&format!("/mcp/{id}"))));
    assert_eq!(
        created["accessUrl"],
        json!(server.url(&format!("/mcp/{id}/{token}")))
    );
    assert_eq!(created["mode"], "connectivity");
    for field in ["createdAt", "updatedAt", "tokenExpiresAt"] {
        assert_timestamp(created[field].as_str().unwrap());
    }

    let (_, got) = send(server.request(Method::GET, &format!("/api/servers/{id}"))).await;
    assert_eq!(keys(&got), sorted(&full_view));
    for field in full_view {
        assert_eq!(got[field], created[field], "{field}");
    }
    let (_, updated) = send(
        server
            .request(Method::PUT, &format!("/api/servers/{id}"))
            .json(&json!({"description": "changed"})),
    )
    .await;
    assert_eq!(keys(&updated), sorted(&full_view));
    assert_timestamp(updated["updatedAt"].as_str().unwrap());

    let (_, list) = send(server.request(Method::GET, "/api/servers")).await;
    let item = &list["servers"][0];
    let list_view: Vec<&str> = full_view
        .iter()
        .copied()
        .filter(|f| *f != "restrictions")
        .collect();
    assert_eq!(keys(item), sorted(&list_view));
    assert_eq!(item["accessUrl"], created["accessUrl"]);
    assert_eq!(item["hasRestrictions"], true);

    // Deleting answers the reference's body and the server is gone from every view.
    let (status, deleted) =
        send(server.request(Method::DELETE, &format!("/api/servers/{id}"))).await;
    assert_eq!(status, 200);
    assert_eq!(
        deleted,
        json!({"message": "Server deleted", "serverId": id})
    );
    let resp = send(server.request(Method::DELETE, &format!("/api/servers/{id}"))).await;
    assert_error(&resp, 404, "NOT_FOUND");
    let resp = send(
        server
            .request(Method::PUT, &format!("/api/servers/{id}"))
            .json(&json!({})),
    )
    .await;
    assert_error(&resp, 404, "NOT_FOUND");
    let (_, list) = send(server.request(Method::GET, "/api/servers")).await;
    assert_eq!(list["total"], 0);
}

/// `RATE_LIMIT_PER_MINUTE` requests per credential, then 429 RATE_LIMITED with Retry-After;
/// other credentials have their own budget.
#[tokio::test]
async fn management_requests_are_rate_limited_per_credential() {
    let server = TestServer::start_with(&["--rate-limit-per-minute", "3"]).await;
    let other = server.create_key("default", "other").await;
    for _ in 0..3 {
        let resp = server
            .request(Method::GET, "/api/servers")
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
        assert_eq!(resp.headers()["ratelimit-limit"], "3");
    }
    let resp = server
        .request(Method::GET, "/api/servers")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 429);
    let retry: u64 = resp.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry), "Retry-After {retry}");
    let (status, body) = status_json(resp).await;
    assert_error(&(status, body.clone()), 429, "RATE_LIMITED");
    assert_eq!(
        body["error"]["message"],
        "Rate limit exceeded. Please try again later."
    );
    let (status, _) = send(server.request_with(&other, Method::GET, "/api/servers")).await;
    assert_eq!(status, 200, "another key has its own bucket");
    // Failed authentication spends the client address's budget.
    for _ in 0..3 {
        let resp = send(server.anonymous(Method::GET, "/api/servers")).await;
        assert_error(&resp, 401, "UNAUTHORIZED");
    }
    let resp = send(server.anonymous(Method::GET, "/api/servers")).await;
    assert_error(&resp, 429, "RATE_LIMITED");
}

/// A body that does not arrive within `ALLOY_BODY_READ_TIMEOUT_MS` is refused with 408.
#[tokio::test]
async fn a_body_that_never_arrives_is_408() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let server = TestServer::start_with(&["--body-read-timeout-ms", "200"]).await;
    let addr = server.base.trim_start_matches("http://").to_owned();
    let mut conn = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let head = format!(
        "POST /api/servers HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {BOOTSTRAP_KEY}\r\n\
         Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"name\": "
    );
    conn.write_all(head.as_bytes()).await.unwrap();
    // The rest of the body is never sent; the server answers and closes.
    let mut response = Vec::new();
    conn.read_to_end(&mut response).await.unwrap();
    let response = String::from_utf8_lossy(&response);
    assert!(response.starts_with("HTTP/1.1 408"), "{response}");
    assert!(response.contains("REQUEST_TIMEOUT"), "{response}");
    let (_, list) = send(server.request(Method::GET, "/api/servers")).await;
    assert_eq!(list["total"], 0);
}
