//! Who may use an MCP server: tokens, API auth, visibility, the users restriction, origins,
//! rate limits.

use serde_json::json;

use super::*;
use crate::support::{BOOTSTRAP_KEY, TestServer};

async fn ping_2026(
    server: &TestServer,
    path: &str,
    extra: &[(&str, &str)],
) -> (u16, reqwest::header::HeaderMap, Value) {
    let mut req = post_2026(server, path, 1, "tools/list", json!({}));
    for (k, v) in extra {
        req = req.header(*k, *v);
    }
    send(req).await
}

#[tokio::test]
async fn tokens_and_api_authentication() {
    let server = TestServer::start().await;
    let mcp = McpServer::create(&server, json!({"name": "Auth"})).await;

    let (status, _, _) = ping_2026(&server, &mcp.token_path(), &[]).await;
    assert_eq!(status, 200);
    // Wrong token: 401 with WWW-Authenticate.
    let wrong = format!("/mcp/{}/mcp_token_{}", mcp.server_id, "x".repeat(40));
    let (status, headers, body) = ping_2026(&server, &wrong, &[]).await;
    assert_eq!(status, 401, "{body}");
    assert!(headers.get("www-authenticate").is_some());
    assert_eq!(body["error"]["data"]["code"], "UNAUTHORIZED");
    // Another server's token in this server's URL: 401.
    let other = McpServer::create(&server, json!({"name": "Auth Other"})).await;
    let crossed = format!("/mcp/{}/{}", mcp.server_id, other.token);
    assert_eq!(ping_2026(&server, &crossed, &[]).await.0, 401);

    // API authentication on /mcp/:serverId.
    let api = format!("/mcp/{}", mcp.server_id);
    let bearer = format!("Bearer {BOOTSTRAP_KEY}");
    assert_eq!(
        ping_2026(&server, &api, &[("authorization", &bearer)])
            .await
            .0,
        200
    );
    assert_eq!(ping_2026(&server, &api, &[]).await.0, 401);
    assert_eq!(
        ping_2026(
            &server,
            &api,
            &[("authorization", "Bearer alloy_wrong_key_0000000000")]
        )
        .await
        .0,
        401
    );
    // x-mcp-server-id names the server too, and must agree with the path.
    assert_eq!(
        ping_2026(
            &server,
            "/mcp",
            &[
                ("authorization", &bearer),
                ("x-mcp-server-id", &mcp.server_id)
            ]
        )
        .await
        .0,
        200
    );
    assert_eq!(
        ping_2026(
            &server,
            &api,
            &[
                ("authorization", &bearer),
                ("x-mcp-server-id", &other.server_id)
            ]
        )
        .await
        .0,
        400
    );
    // A user ID that is not UTF-8 is refused, not dropped (dropping it would act as the owner).
    let (status, _, body) = send(
        post_2026(&server, &mcp.token_path(), 1, "tools/list", json!({})).header(
            "x-alloy-userid",
            reqwest::header::HeaderValue::from_bytes(b"al\xffice").unwrap(),
        ),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    // An unknown server: 404.
    assert_eq!(
        ping_2026(
            &server,
            "/mcp/no-such-server-00000000",
            &[("authorization", &bearer)]
        )
        .await
        .0,
        404
    );
}

#[tokio::test]
async fn expired_tokens_are_refused() {
    let mut server = TestServer::start().await;
    let mcp = McpServer::create(
        &server,
        json!({"name": "Expiring", "tokenExpiresInDays": 1}),
    )
    .await;
    assert_eq!(ping_2026(&server, &mcp.token_path(), &[]).await.0, 200);
    server.stop().await;
    // Move the expiry into the past, as time would.
    let db = server.data_dir.join("alloy.db");
    sqlite_execute(
        &db,
        "UPDATE servers SET token_expires_at='2000-01-01T00:00:00+00:00'",
    );
    let dir = server.data_dir.clone();
    let server = TestServer::start_in(&dir, &[]).await;
    let (status, headers, body) = ping_2026(&server, &mcp.token_path(), &[]).await;
    assert_eq!(status, 401, "{body}");
    assert!(headers.get("www-authenticate").is_some());
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("expired")
    );
}

#[tokio::test]
async fn visibility_and_user_restrictions() {
    let server = TestServer::start().await;
    let private = McpServer::create(&server, json!({"name": "Private"})).await;
    let public = McpServer::create(
        &server,
        json!({"name": "Public", "isPublic": true,
        "restrictions": {"users": {"mode": "blocklist", "blockedIds": ["mallory"]}}}),
    )
    .await;

    // Private: only the owner, even with the token URL.
    assert_eq!(
        ping_2026(
            &server,
            &private.token_path(),
            &[("x-alloy-userid", "alice")]
        )
        .await
        .0,
        403
    );
    assert_eq!(
        ping_2026(
            &server,
            &private.token_path(),
            &[("x-alloy-userid", "default")]
        )
        .await
        .0,
        200
    );
    // Public: any user of the account, except a blocked one.
    assert_eq!(
        ping_2026(
            &server,
            &public.token_path(),
            &[("x-alloy-userid", "alice")]
        )
        .await
        .0,
        200
    );
    let (status, _, body) = ping_2026(
        &server,
        &public.token_path(),
        &[("x-alloy-userid", "mallory")],
    )
    .await;
    assert_eq!(status, 403, "{body}");
    // With API auth, another user of the account reaches the public server, not the private one.
    let bearer = format!("Bearer {BOOTSTRAP_KEY}");
    let as_alice = [
        ("authorization", bearer.as_str()),
        ("x-alloy-userid", "alice"),
    ];
    assert_eq!(
        ping_2026(&server, &format!("/mcp/{}", public.server_id), &as_alice)
            .await
            .0,
        200
    );
    assert_eq!(
        ping_2026(&server, &format!("/mcp/{}", private.server_id), &as_alice)
            .await
            .0,
        404
    );
    // A user token picks the user on a public server's token URL.
    let resp = server
        .request(reqwest::Method::POST, "/api/users/mallory/token")
        .send()
        .await
        .unwrap();
    let token: Value = resp.json().await.unwrap();
    let jwt = token["token"].as_str().unwrap();
    assert_eq!(
        ping_2026(
            &server,
            &public.token_path(),
            &[("x-alloy-user-token", jwt)]
        )
        .await
        .0,
        403
    );
    // Restrictions change on the next request.
    let resp = server
        .request(
            reqwest::Method::PUT,
            &format!("/api/servers/{}", public.server_id),
        )
        .json(&json!({"restrictions": {}}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(
        ping_2026(
            &server,
            &public.token_path(),
            &[("x-alloy-user-token", jwt)]
        )
        .await
        .0,
        200
    );
}

/// `requireUserToken`: a public server's token URL then accepts another user only through a
/// signed user token; by default (the reference's behaviour) a bare `x-alloy-userid` does.
#[tokio::test]
async fn require_user_token_closes_the_bare_user_id_on_public_servers() {
    let server = TestServer::start().await;
    let created = server
        .create_server(json!({"name": "Guarded", "isPublic": true, "requireUserToken": "true"}))
        .await;
    assert_eq!(created["requireUserToken"], true, "{created}");
    let guarded = McpServer {
        server_id: created["serverId"].as_str().unwrap().to_owned(),
        token: created["accessToken"].as_str().unwrap().to_owned(),
    };
    let open = McpServer::create(&server, json!({"name": "Open", "isPublic": true})).await;

    // Default: the token URL acts as whoever x-alloy-userid names.
    let as_alice = [("x-alloy-userid", "alice")];
    assert_eq!(
        ping_2026(&server, &open.token_path(), &as_alice).await.0,
        200
    );
    // Required: a bare user ID for another user is refused...
    let (status, _, body) = ping_2026(&server, &guarded.token_path(), &as_alice).await;
    assert_eq!(status, 403, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("user token"),
        "{body}"
    );
    // ...the owner (by default or by name) still connects...
    assert_eq!(ping_2026(&server, &guarded.token_path(), &[]).await.0, 200);
    let as_owner = [("x-alloy-userid", "default")];
    assert_eq!(
        ping_2026(&server, &guarded.token_path(), &as_owner).await.0,
        200
    );
    // ...and so does alice with a user token (alone, or with her matching user ID).
    let issued: Value = server
        .request(reqwest::Method::POST, "/api/users/alice/token")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let jwt = issued["token"].as_str().unwrap();
    let with_token = [("x-alloy-user-token", jwt)];
    assert_eq!(
        ping_2026(&server, &guarded.token_path(), &with_token)
            .await
            .0,
        200
    );
    let both = [("x-alloy-user-token", jwt), ("x-alloy-userid", "alice")];
    assert_eq!(
        ping_2026(&server, &guarded.token_path(), &both).await.0,
        200
    );

    // Turned off again by an update; a bad value is a type error.
    let path = format!("/api/servers/{}", guarded.server_id);
    let (status, body) = crate::support::send(
        server
            .request(reqwest::Method::PUT, &path)
            .json(&json!({"requireUserToken": "yes"})),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["details"]["field"], "requireUserToken");
    let (status, body) = crate::support::send(
        server
            .request(reqwest::Method::PUT, &path)
            .json(&json!({"requireUserToken": false})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["requireUserToken"], false);
    assert_eq!(
        ping_2026(&server, &guarded.token_path(), &as_alice).await.0,
        200
    );
}

#[tokio::test]
async fn origin_and_host_are_checked() {
    let server = TestServer::start().await;
    let mcp = McpServer::create(&server, json!({"name": "Origins"})).await;
    let path = mcp.token_path();
    let own = server.base.clone();
    assert_eq!(
        ping_2026(&server, &path, &[("origin", own.as_str())])
            .await
            .0,
        200
    );
    assert_eq!(
        ping_2026(&server, &path, &[("origin", "http://evil.example.com")])
            .await
            .0,
        403
    );
    assert_eq!(
        ping_2026(&server, &path, &[("host", "evil.example.com")])
            .await
            .0,
        403
    );
    let allowed = TestServer::start_with(&["--allowed-origins", "https://app.example.com"]).await;
    let mcp = McpServer::create(&allowed, json!({"name": "Origins"})).await;
    assert_eq!(
        ping_2026(
            &allowed,
            &mcp.token_path(),
            &[("origin", "https://app.example.com")]
        )
        .await
        .0,
        200
    );
}

#[tokio::test]
async fn rate_limited_with_the_reference_body() {
    let server = TestServer::start_with(&["--rate-limit-per-minute", "3"]).await;
    let mcp = McpServer::create(&server, json!({"name": "Limited"})).await;
    let path = mcp.token_path();
    for _ in 0..3 {
        let (status, headers, _) = ping_2026(&server, &path, &[]).await;
        assert_eq!(status, 200);
        assert!(headers.get("ratelimit-remaining").is_some());
    }
    let (status, headers, body) = ping_2026(&server, &path, &[]).await;
    assert_eq!(status, 429);
    assert_eq!(
        body,
        json!({"jsonrpc": "2.0", "error": {"code": -32000, "message": "Rate limit exceeded. Please try again later."}, "id": null})
    );
    assert_eq!(headers["retry-after"], "20");
    assert_eq!(headers["ratelimit-limit"], "3");
    assert_eq!(headers["ratelimit-remaining"], "0");
    // Another token has its own bucket.
    let other = McpServer::create(&server, json!({"name": "Limited Other"})).await;
    assert_eq!(ping_2026(&server, &other.token_path(), &[]).await.0, 200);
}
