//! What the admin console relies on, through the public API: console sessions (cookie, CSRF,
//! sign-out, revocation), API keys, token rotation, the catalog views and the users listing.

use reqwest::Method;
use serde_json::{Value, json};

use crate::mcp::{McpServer, post_2026};
use crate::support::*;

/// A signed-in console: its cookie and CSRF token.
struct Console {
    cookie: String,
    csrf: String,
    set_cookie: String,
}

async fn sign_in(server: &TestServer, body: Value) -> Console {
    let resp = server
        .anonymous(Method::POST, "/api/console/session")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
    let set_cookie = resp.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert_eq!(resp.headers()["cache-control"], "no-store");
    let session: Value = resp.json().await.unwrap();
    let cookie = set_cookie.split(';').next().unwrap().to_owned();
    Console {
        cookie,
        csrf: session["csrfToken"].as_str().unwrap().to_owned(),
        set_cookie,
    }
}

impl Console {
    /// A request carrying the session cookie only.
    fn get(&self, server: &TestServer, path: &str) -> reqwest::RequestBuilder {
        server
            .anonymous(Method::GET, path)
            .header("cookie", &self.cookie)
    }

    /// A state-changing request with the cookie and the CSRF token.
    fn change(&self, server: &TestServer, method: Method, path: &str) -> reqwest::RequestBuilder {
        server
            .anonymous(method, path)
            .header("cookie", &self.cookie)
            .header("x-csrf-token", &self.csrf)
    }
}

#[tokio::test]
async fn a_console_session_is_a_cookie_with_csrf_and_ends_at_sign_out() {
    let server = TestServer::start().await;
    let console = sign_in(&server, json!({"apiKey": BOOTSTRAP_KEY})).await;
    // HttpOnly, SameSite=Strict, the whole origin, a lifetime; not Secure on plain HTTP.
    let attributes: Vec<&str> = console.set_cookie.split("; ").collect();
    assert!(
        console.cookie.starts_with("alloy_console=acs_"),
        "{}",
        console.set_cookie
    );
    for expected in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(
            attributes.contains(&expected),
            "{expected} in {}",
            console.set_cookie
        );
    }
    let max_age: i64 = attributes
        .iter()
        .find_map(|a| a.strip_prefix("Max-Age="))
        .unwrap()
        .parse()
        .unwrap();
    assert!((28_700..=28_800).contains(&max_age), "8 hours: {max_age}");
    assert!(!attributes.contains(&"Secure"));

    let (status, me) = send(console.get(&server, "/api/console/session")).await;
    assert_eq!(status, 200);
    assert_eq!(
        (me["accountId"].as_str(), me["principal"].as_str()),
        (Some("default"), Some("apiKey"))
    );
    assert_eq!(me["csrfToken"], json!(console.csrf));
    assert!(
        !me.to_string().contains("acs_"),
        "the secret stays in the cookie"
    );

    // Reading needs the cookie only; changing needs the CSRF token too.
    let (status, _) = send(console.get(&server, "/api/servers")).await;
    assert_eq!(status, 200);
    let without = server
        .anonymous(Method::POST, "/api/servers")
        .header("cookie", &console.cookie)
        .json(&json!({"name": "no-csrf"}));
    assert_error(&send(without).await, 403, "FORBIDDEN");
    let wrong = server
        .anonymous(Method::POST, "/api/servers")
        .header("cookie", &console.cookie)
        .header("x-csrf-token", "not-the-token")
        .json(&json!({"name": "wrong-csrf"}));
    assert_error(&send(wrong).await, 403, "FORBIDDEN");
    let (status, _) = send(
        console
            .change(&server, Method::POST, "/api/servers")
            .json(&json!({"name": "with-csrf"})),
    )
    .await;
    assert_eq!(status, 201);
    let (_, list) = send(server.request(Method::GET, "/api/servers")).await;
    assert_eq!(list["total"], 1, "the refused requests stored nothing");

    // A credential header wins over the cookie: a wrong key is refused even with a session.
    let header_wins = console
        .get(&server, "/api/servers")
        .bearer_auth("alloy_not_a_real_key_0000000000");
    assert_error(&send(header_wins).await, 401, "UNAUTHORIZED");

    // Sign-out needs the token, clears the cookie, and ends the session everywhere.
    let no_token = server
        .anonymous(Method::DELETE, "/api/console/session")
        .header("cookie", &console.cookie);
    assert_error(&send(no_token).await, 403, "FORBIDDEN");
    let resp = console
        .change(&server, Method::DELETE, "/api/console/session")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let cleared = resp.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(
        cleared.starts_with("alloy_console=;") && cleared.contains("Max-Age=0"),
        "{cleared}"
    );
    assert_error(
        &send(console.get(&server, "/api/servers")).await,
        401,
        "UNAUTHORIZED",
    );
    assert_error(
        &send(console.get(&server, "/api/console/session")).await,
        401,
        "UNAUTHORIZED",
    );
}

#[tokio::test]
async fn sign_in_refuses_bad_credentials_and_bodies() {
    let server = TestServer::start().await;
    let bad = server
        .anonymous(Method::POST, "/api/console/session")
        .json(&json!({"apiKey": "alloy_wrong_key_000000000000000"}));
    let refused = send(bad).await;
    assert_error(&refused, 401, "UNAUTHORIZED");
    assert!(
        !refused.1.to_string().contains("alloy_wrong_key"),
        "never repeated"
    );
    let empty = server
        .anonymous(Method::POST, "/api/console/session")
        .json(&json!({}));
    assert_validation(
        &send(empty).await,
        "MISSING_REQUIRED_FIELD",
        "apiKey",
        "required",
        json!(true),
    );
    let both = server
        .anonymous(Method::POST, "/api/console/session")
        .json(&json!({"apiKey": BOOTSTRAP_KEY, "userToken": "x"}));
    assert_validation(
        &send(both).await,
        "INVALID_FORMAT",
        "userToken",
        "oneOf",
        json!(["apiKey", "userToken"]),
    );
    let forged = server
        .anonymous(Method::GET, "/api/servers")
        .header("cookie", "alloy_console=acs_forged");
    assert_error(&send(forged).await, 401, "UNAUTHORIZED");
}

#[tokio::test]
async fn the_cookie_is_secure_behind_an_https_public_url() {
    let server = TestServer::start_with(&["--public-url", "https://gw.example.com"]).await;
    let console = sign_in(&server, json!({"apiKey": BOOTSTRAP_KEY})).await;
    assert!(
        console.set_cookie.split("; ").any(|a| a == "Secure"),
        "{}",
        console.set_cookie
    );
}

#[tokio::test]
async fn a_user_token_session_sees_only_its_user() {
    let server = TestServer::start().await;
    server.create_server(json!({"name": "owners"})).await;
    let (_, issued) = send(
        server
            .request(Method::POST, "/api/users/alice/token")
            .json(&json!({})),
    )
    .await;
    let console = sign_in(&server, json!({"userToken": issued["token"]})).await;
    let (_, me) = send(console.get(&server, "/api/console/session")).await;
    assert_eq!(
        (me["userId"].as_str(), me["principal"].as_str()),
        (Some("alice"), Some("userToken"))
    );
    let (status, list) = send(console.get(&server, "/api/servers")).await;
    assert_eq!(
        (status, list["total"].clone()),
        (200, json!(0)),
        "not the owner's servers"
    );
    let other = console
        .get(&server, "/api/servers")
        .header("x-alloy-userid", "default");
    assert_error(&send(other).await, 403, "FORBIDDEN");
    assert_error(
        &send(console.get(&server, "/api/keys")).await,
        403,
        "FORBIDDEN",
    );
    let (_, users) = send(console.get(&server, "/api/users")).await;
    assert_eq!(
        users["users"].as_array().unwrap().len(),
        0,
        "alice holds nothing yet"
    );
    let (_, users) = send(server.request(Method::GET, "/api/users")).await;
    assert_eq!(users["users"][0]["userId"], "default");
    assert_eq!(users["users"][0]["servers"], 1);
}

#[tokio::test]
async fn keys_are_created_listed_and_revoked_through_the_api() {
    let server = TestServer::start().await;
    let (status, created) = send(
        server
            .request(Method::POST, "/api/keys")
            .json(&json!({"name": "ci", "userId": "robot", "expiresInDays": 30})),
    )
    .await;
    assert_eq!(status, 201);
    let key = created["key"].as_str().unwrap().to_owned();
    let key_id = created["keyId"].as_str().unwrap().to_owned();
    assert!(key.starts_with(created["prefix"].as_str().unwrap()));
    assert_eq!(
        (created["userId"].as_str(), created["active"].as_bool()),
        (Some("robot"), Some(true))
    );
    assert_timestamp(created["expiresAt"].as_str().unwrap());

    // The new key works, acts as its user, and is never listed.
    let (status, _) = send(server.request_with(&key, Method::GET, "/api/servers")).await;
    assert_eq!(status, 200);
    let (_, list) = send(server.request(Method::GET, "/api/keys")).await;
    assert_eq!(list["count"], 2);
    assert!(!list.to_string().contains(&key), "keys are shown once");
    assert!(
        list["keys"]
            .as_array()
            .unwrap()
            .iter()
            .all(|k| k.get("hash").is_none())
    );

    // Validation, and other accounts' keys do not exist for the caller.
    let bad = server
        .request(Method::POST, "/api/keys")
        .json(&json!({"name": "x", "expiresInDays": 0}));
    assert_validation(
        &send(bad).await,
        "VALIDATION_ERROR",
        "expiresInDays",
        "min",
        json!(1),
    );
    let unnamed = server.request(Method::POST, "/api/keys").json(&json!({}));
    assert_validation(
        &send(unnamed).await,
        "MISSING_REQUIRED_FIELD",
        "name",
        "required",
        json!(true),
    );
    let stranger = server.create_key("other-account", "eve").await;
    let (_, theirs) = send(server.request_with(&stranger, Method::GET, "/api/keys")).await;
    assert_eq!(theirs["count"], 1);
    let steal = server.request_with(&stranger, Method::DELETE, &format!("/api/keys/{key_id}"));
    assert_error(&send(steal).await, 404, "NOT_FOUND");

    // Revoked: refused at once, listed as inactive, and its console sessions end.
    let console = sign_in(&server, json!({"apiKey": key})).await;
    let (status, revoked) =
        send(server.request(Method::DELETE, &format!("/api/keys/{key_id}"))).await;
    assert_eq!(
        (status, revoked["keyId"].as_str()),
        (200, Some(key_id.as_str()))
    );
    assert_error(
        &send(server.request_with(&key, Method::GET, "/api/servers")).await,
        401,
        "UNAUTHORIZED",
    );
    assert_error(
        &send(console.get(&server, "/api/servers")).await,
        401,
        "UNAUTHORIZED",
    );
    let (_, list) = send(server.request(Method::GET, "/api/keys")).await;
    let listed = list["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["keyId"] == json!(key_id))
        .unwrap();
    assert_eq!(listed["active"], false);
    assert_timestamp(listed["revokedAt"].as_str().unwrap());
    let again = server.request(Method::DELETE, "/api/keys/no-such-key");
    assert_error(&send(again).await, 404, "NOT_FOUND");
}

#[tokio::test]
async fn rotating_a_token_refuses_the_old_url_at_once() {
    let server = TestServer::start().await;
    let mcp = McpServer::create(&server, json!({"name": "rotating"})).await;
    let old_path = mcp.token_path();
    let (status, _, _) =
        crate::mcp::send(post_2026(&server, &old_path, 1, "tools/list", json!({}))).await;
    assert_eq!(status, 200);

    let (status, rotated) = send(
        server
            .request(
                Method::POST,
                &format!("/api/servers/{}/rotate-token", mcp.server_id),
            )
            .json(&json!({"tokenExpiresInDays": 7})),
    )
    .await;
    assert_eq!(status, 200);
    let new_token = rotated["accessToken"].as_str().unwrap();
    assert_ne!(new_token, mcp.token);
    assert_eq!(
        rotated["accessUrl"],
        json!(server.url(&format!("/mcp/{}/{new_token}", mcp.server_id)))
    );
    assert_timestamp(rotated["tokenExpiresAt"].as_str().unwrap());

    let (status, _, _) =
        crate::mcp::send(post_2026(&server, &old_path, 2, "tools/list", json!({}))).await;
    assert!(
        status == 401 || status == 404,
        "old token URL refused: {status}"
    );
    let new_path = format!("/mcp/{}/{new_token}", mcp.server_id);
    let (status, _, _) =
        crate::mcp::send(post_2026(&server, &new_path, 3, "tools/list", json!({}))).await;
    assert_eq!(status, 200);

    // An empty body asks for a token that never expires; only the owner may rotate.
    let (_, again) = send(server.request(
        Method::POST,
        &format!("/api/servers/{}/rotate-token", mcp.server_id),
    ))
    .await;
    assert_eq!(again["tokenExpiresAt"], Value::Null);
    let colleague = server
        .request(
            Method::POST,
            &format!("/api/servers/{}/rotate-token", mcp.server_id),
        )
        .header("x-alloy-userid", "colleague");
    assert_error(&send(colleague).await, 403, "FORBIDDEN");
    let bad = server
        .request(
            Method::POST,
            &format!("/api/servers/{}/rotate-token", mcp.server_id),
        )
        .json(&json!({"tokenExpiresInDays": 400}));
    assert_validation(
        &send(bad).await,
        "VALIDATION_ERROR",
        "tokenExpiresInDays",
        "max",
        json!(365),
    );
    let missing = server.request(Method::POST, "/api/servers/nope-12345678/rotate-token");
    assert_error(&send(missing).await, 404, "NOT_FOUND");
    server.gateway().audit().flush().await;
    let (_, events) = send(server.request(Method::GET, "/api/audit?limit=100")).await;
    let rotations = events["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e.to_string().contains("server.token_rotated"))
        .count();
    assert_eq!(rotations, 2, "{events}");
    assert!(
        !events.to_string().contains(new_token),
        "tokens never in the audit trail"
    );
}

#[tokio::test]
async fn the_catalog_views_answer_what_the_tools_show_agents() {
    let server = TestServer::start().await;
    let (status, all) = send(server.request(Method::GET, "/api/connectors?limit=100")).await;
    assert_eq!(status, 200);
    assert_eq!(all["total"], 17);
    assert!(all["categories"].as_array().unwrap().len() > 3);
    let limited = server
        .create_server(json!({"name": "limited", "restrictions": {"connectors": {"mode": "allowlist", "allowedIds": ["slack", "github"]}}}))
        .await;
    let id = limited["serverId"].as_str().unwrap();
    let (_, seen) =
        send(server.request(Method::GET, &format!("/api/connectors?serverId={id}"))).await;
    let ids: Vec<&str> = seen["connectors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!((seen["total"].clone(), ids.len()), (json!(2), 2));
    assert!(ids.contains(&"slack") && ids.contains(&"github"), "{ids:?}");
    let (_, found) =
        send(server.request(Method::GET, "/api/connectors?query=payments&limit=3")).await;
    assert_eq!(found["connectors"][0]["id"], "stripe");

    let (status, slack) = send(server.request(Method::GET, "/api/connectors/slack")).await;
    assert_eq!(
        (status, slack["connectorId"].as_str()),
        (200, Some("slack"))
    );
    assert!(slack["actionCount"].as_u64().unwrap() > 10);
    let (status, details) = send(server.request(
        Method::GET,
        "/api/connectors/slack/actions/chat_postMessage",
    ))
    .await;
    assert_eq!(status, 200, "{details}");
    assert!(details.to_string().contains("channel"), "{details}");
    let (status, path) = send(server.request(
        Method::GET,
        "/api/discover?goal=send%20a%20message%20to%20a%20channel&connectorId=slack",
    ))
    .await;
    assert_eq!(
        (status, path["recommendedAction"].as_str()),
        (200, Some("chat_postMessage")),
        "{path}"
    );

    assert_error(
        &send(server.request(Method::GET, "/api/connectors/nope")).await,
        404,
        "CONNECTOR_NOT_FOUND",
    );
    let blocked = format!("/api/connectors/stripe?serverId={id}");
    let (status, _) = send(server.request(Method::GET, &blocked)).await;
    assert!(
        status == 403 || status == 404,
        "a restricted connector is not shown: {status}"
    );
    let (status, body) = send(server.request(Method::GET, "/api/connectors?limit=1000")).await;
    assert_eq!(status, 400, "{body}");
    let (status, _) = send(server.request(Method::GET, "/api/connectors?color=red")).await;
    assert_eq!(status, 400);
    let (status, _) = send(server.request(Method::GET, "/api/discover")).await;
    assert_eq!(status, 400, "goal is required");
    let stranger = server.create_key("other-account", "eve").await;
    let theirs = server.request_with(
        &stranger,
        Method::GET,
        &format!("/api/connectors?serverId={id}"),
    );
    assert_error(&send(theirs).await, 404, "NOT_FOUND");
}

#[tokio::test]
async fn the_console_page_is_served_with_a_strict_policy() {
    let server = TestServer::start().await;
    let resp = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(server.url("/"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        (
            resp.status().as_u16(),
            resp.headers()["location"].to_str().unwrap()
        ),
        (302, "/admin")
    );
    let resp = server
        .anonymous(Method::GET, "/admin")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let headers = resp.headers().clone();
    assert!(
        headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let csp = headers["content-security-policy"].to_str().unwrap();
    for directive in [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
    ] {
        assert!(csp.contains(directive), "{directive} in {csp}");
    }
    assert!(!csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"));
    assert_eq!(headers["x-frame-options"], "DENY");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    let page = resp.text().await.unwrap();
    let script = page
        .split('"')
        .find(|s| s.starts_with("/admin/assets/") && s.ends_with(".js"))
        .expect("the page loads a script")
        .to_owned();
    let resp = server.anonymous(Method::GET, &script).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/javascript")
    );
    let etag = resp.headers()["etag"].clone();
    let again = server
        .anonymous(Method::GET, &script)
        .header("if-none-match", etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);
    assert_error(
        &send(server.anonymous(Method::GET, "/admin/assets/nope.js")).await,
        404,
        "NOT_FOUND",
    );
}

#[tokio::test]
async fn a_session_ends_no_later_than_the_key_that_opened_it() {
    // Sessions may last 7 days here, the key only 1: the session ends with the key.
    let server = TestServer::start_with(&["--console-session-ttl-secs", "604800"]).await;
    let (_, created) = send(
        server
            .request(Method::POST, "/api/keys")
            .json(&json!({"name": "short-lived", "expiresInDays": 1})),
    )
    .await;
    let resp = server
        .anonymous(Method::POST, "/api/console/session")
        .json(&json!({"apiKey": created["key"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
    let session: Value = resp.json().await.unwrap();
    let parse = |v: &Value| chrono::DateTime::parse_from_rfc3339(v.as_str().unwrap()).unwrap();
    let (session_end, key_end) = (parse(&session["expiresAt"]), parse(&created["expiresAt"]));
    assert!(
        (session_end - key_end).num_seconds().abs() <= 1,
        "session {session_end} vs key {key_end}"
    );
    // And the bootstrap key (no expiry) gets the whole 7 days.
    let long = sign_in(&server, json!({"apiKey": BOOTSTRAP_KEY})).await;
    assert!(
        long.set_cookie.contains("Max-Age=6047"),
        "{}",
        long.set_cookie
    );
}
