//! MCP clients signing in through the gateway's OAuth 2.1 authorization server, driven over
//! HTTP exactly as docs/oauth.md describes the flow and the sign-in form's contract: discovery
//! from a bare server URL, registration, the form, the code exchange with PKCE, tokens bound to
//! one server, refresh rotation with reuse detection, revocation; and the clear 401s.

use base64::Engine;
use reqwest::Method;
use serde_json::{Value, json};
use sha2::Digest;

use crate::mcp::{McpServer, post_2026};
use crate::support::*;

pub(crate) const REDIRECT: &str = "http://127.0.0.1:9/callback";
pub(crate) const VERIFIER: &str =
    "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk-and-some-more-entropy";

pub(crate) fn challenge(verifier: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(verifier))
}

pub(crate) fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// A query parameter of a URL.
pub(crate) fn param(url: &str, name: &str) -> Option<String> {
    reqwest::Url::parse(url)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

pub(crate) async fn register(server: &TestServer) -> String {
    let resp = server
        .anonymous(Method::POST, "/oauth/register")
        .json(&json!({"redirect_uris": [REDIRECT], "client_name": "It <b>client</b>", "application_type": "native"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
    assert_eq!(resp.headers()["access-control-allow-origin"], "*");
    let client: Value = resp.json().await.unwrap();
    assert_eq!(client["token_endpoint_auth_method"], "none");
    client["client_id"].as_str().unwrap().to_owned()
}

pub(crate) fn authorize_query(
    server: &TestServer,
    client_id: &str,
    server_id: &str,
) -> Vec<(String, String)> {
    authorize_query_at(&server.base, client_id, server_id)
}

/// The authorization request for `server_id` of a gateway whose public URL is `public_url`.
pub(crate) fn authorize_query_at(
    public_url: &str,
    client_id: &str,
    server_id: &str,
) -> Vec<(String, String)> {
    vec![
        ("response_type".into(), "code".into()),
        ("client_id".into(), client_id.into()),
        ("redirect_uri".into(), REDIRECT.into()),
        ("state".into(), "st-1".into()),
        ("code_challenge".into(), challenge(VERIFIER)),
        ("code_challenge_method".into(), "S256".into()),
        ("resource".into(), format!("{public_url}/mcp/{server_id}")),
        ("scope".into(), "mcp".into()),
    ]
}

/// The form's contract: GET the page (hidden csrf_token + cookie), POST it back with the
/// credential and the decision. Answers the POST's status and `Location`.
pub(crate) async fn sign_in(
    server: &TestServer,
    query: &[(String, String)],
    credential: &str,
    decision: &str,
) -> (u16, Option<String>, String) {
    let http = no_redirects();
    let page = http
        .get(server.url("/oauth/authorize"))
        .query(query)
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    assert_eq!(page.headers()["x-frame-options"], "DENY");
    let cookie = page.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let html = page.text().await.unwrap();
    assert!(
        !html.contains("<b>client</b>"),
        "the client's name is escaped"
    );
    let csrf = html
        .split("name=\"csrf_token\" value=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .unwrap()
        .to_owned();
    let mut form = query.to_vec();
    form.extend([
        ("csrf_token".into(), csrf),
        ("credential".into(), credential.into()),
        ("decision".into(), decision.into()),
    ]);
    let resp = http
        .post(server.url("/oauth/authorize"))
        .header("cookie", cookie)
        .form(&form)
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    let location = resp
        .headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_owned());
    (status, location, resp.text().await.unwrap())
}

/// The tokens of an approved code (the exchange must succeed).
pub(crate) async fn exchanged(server: &TestServer, client_id: &str, code: &str) -> Value {
    let (status, tokens) = token(
        server,
        &[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("client_id", client_id),
            ("redirect_uri", REDIRECT),
            ("code_verifier", VERIFIER),
        ],
    )
    .await;
    assert_eq!(status, 200, "{tokens}");
    tokens
}

/// Signs in with the bootstrap key and approves: the code the client gets back.
async fn approved_code(server: &TestServer, query: &[(String, String)]) -> String {
    let (status, location, _) = sign_in(server, query, BOOTSTRAP_KEY, "approve").await;
    assert_eq!(status, 303);
    param(&location.unwrap(), "code").unwrap()
}

/// A fresh grant's tokens: sign in, approve, exchange the code.
async fn approved_tokens(
    server: &TestServer,
    query: &[(String, String)],
    client_id: &str,
) -> Value {
    let code = approved_code(server, query).await;
    exchanged(server, client_id, &code).await
}

pub(crate) async fn token(server: &TestServer, form: &[(&str, &str)]) -> (u16, Value) {
    let resp = server
        .anonymous(Method::POST, "/oauth/token")
        .form(form)
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    assert_eq!(resp.headers()["cache-control"], "no-store");
    (status, resp.json().await.unwrap())
}

pub(crate) async fn tools_list(server: &TestServer, server_id: &str, access: &str) -> u16 {
    let (status, _, _) = crate::mcp::send(
        post_2026(
            server,
            &format!("/mcp/{server_id}"),
            1,
            "tools/list",
            json!({}),
        )
        .bearer_auth(access),
    )
    .await;
    status
}

#[tokio::test]
async fn a_client_signs_in_by_url_alone() {
    let server = TestServer::start().await;
    let a = McpServer::create(&server, json!({"name": "Signed in"})).await;
    let b = McpServer::create(&server, json!({"name": "Other"})).await;

    // 1. Discovery from the bare URL: the 401's challenge names the resource metadata.
    let (status, headers, body) = crate::mcp::send(post_2026(
        &server,
        &format!("/mcp/{}", a.server_id),
        1,
        "tools/list",
        json!({}),
    ))
    .await;
    assert_eq!(status, 401);
    let challenge_header = headers["www-authenticate"].to_str().unwrap();
    let metadata_url = server.url(&format!(
        "/.well-known/oauth-protected-resource/mcp/{}",
        a.server_id
    ));
    assert!(
        challenge_header.contains(&format!("resource_metadata=\"{metadata_url}\"")),
        "{challenge_header}"
    );
    assert!(challenge_header.contains("scope=\"mcp\""));
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("Sign-in required"),
        "{body}"
    );
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        !message.contains("  "),
        "one space between words: {message}"
    );
    let prm: Value = server
        .anonymous(
            Method::GET,
            &format!("/.well-known/oauth-protected-resource/mcp/{}", a.server_id),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        prm["resource"],
        json!(server.url(&format!("/mcp/{}", a.server_id)))
    );
    assert_eq!(prm["authorization_servers"], json!([server.base]));
    for path in [
        "/.well-known/oauth-authorization-server",
        "/.well-known/openid-configuration",
    ] {
        let meta: Value = server
            .anonymous(Method::GET, path)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(meta["issuer"], json!(server.base));
        assert_eq!(meta["code_challenge_methods_supported"], json!(["S256"]));
        assert_eq!(meta["authorization_response_iss_parameter_supported"], true);
        assert_eq!(meta["token_endpoint"], json!(server.url("/oauth/token")));
    }

    // 2. Registration, sign-in through the form, the code.
    let client_id = register(&server).await;
    let query = authorize_query(&server, &client_id, &a.server_id);
    let page = no_redirects()
        .get(server.url("/oauth/authorize"))
        .query(&query)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("It &lt;b&gt;client&lt;/b&gt;"),
        "the client's name, escaped: {page}"
    );
    let (status, location, _) = sign_in(&server, &query, BOOTSTRAP_KEY, "approve").await;
    assert_eq!(status, 303);
    let location = location.unwrap();
    assert!(location.starts_with(REDIRECT), "{location}");
    assert_eq!(param(&location, "state").as_deref(), Some("st-1"));
    assert_eq!(
        param(&location, "iss"),
        Some(server.base.clone()),
        "RFC 9207"
    );
    let code = param(&location, "code").unwrap();

    // 3. The exchange, with PKCE; the token works on this server only.
    let exchange = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("client_id", client_id.as_str()),
        ("redirect_uri", REDIRECT),
        ("code_verifier", VERIFIER),
    ];
    let (status, tokens) = token(&server, &exchange).await;
    assert_eq!(status, 200, "{tokens}");
    assert_eq!(
        (tokens["token_type"].as_str(), tokens["expires_in"].as_u64()),
        (Some("Bearer"), Some(600))
    );
    let access = tokens["access_token"].as_str().unwrap().to_owned();
    let refresh = tokens["refresh_token"].as_str().unwrap().to_owned();
    assert_eq!(tools_list(&server, &a.server_id, &access).await, 200);
    assert_eq!(
        tools_list(&server, &b.server_id, &access).await,
        401,
        "a token for A is refused on B"
    );
    let (status, again) = token(&server, &exchange).await;
    assert_eq!(
        (status, again["error"].as_str()),
        (400, Some("invalid_grant")),
        "a code is single use"
    );
    assert_eq!(
        tools_list(&server, &a.server_id, &access).await,
        401,
        "a replayed code revokes its grant"
    );

    // 4. Refresh rotation and reuse detection, on a new grant.
    let tokens = approved_tokens(&server, &query, &client_id).await;
    let first_refresh = tokens["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(first_refresh, refresh);
    let (status, rotated) = token(
        &server,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", &first_refresh),
            ("client_id", &client_id),
        ],
    )
    .await;
    assert_eq!(status, 200, "{rotated}");
    let access = rotated["access_token"].as_str().unwrap().to_owned();
    assert_ne!(rotated["refresh_token"], json!(first_refresh), "rotated");
    assert_eq!(tools_list(&server, &a.server_id, &access).await, 200);
    let (status, reused) = token(
        &server,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", &first_refresh),
            ("client_id", &client_id),
        ],
    )
    .await;
    assert_eq!(
        (status, reused["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    assert_eq!(
        tools_list(&server, &a.server_id, &access).await,
        401,
        "reuse ends the whole family"
    );
    let (status, _) = token(
        &server,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", rotated["refresh_token"].as_str().unwrap()),
            ("client_id", &client_id),
        ],
    )
    .await;
    assert_eq!(status, 400, "the newest refresh token died with its grant");

    // 5. Revocation (RFC 7009) of a fresh grant's refresh token ends its access token.
    let tokens = approved_tokens(&server, &query, &client_id).await;
    let access = tokens["access_token"].as_str().unwrap();
    assert_eq!(tools_list(&server, &a.server_id, access).await, 200);
    let resp = server
        .anonymous(Method::POST, "/oauth/revoke")
        .form(&[("token", tokens["refresh_token"].as_str().unwrap())])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(tools_list(&server, &a.server_id, access).await, 401);
}

#[tokio::test]
async fn the_flow_refuses_what_it_must() {
    let server = TestServer::start().await;
    let a = McpServer::create(&server, json!({"name": "Guarded"})).await;
    let client_id = register(&server).await;
    let query = authorize_query(&server, &client_id, &a.server_id);
    let http = no_redirects();
    let authorize = |q: Vec<(String, String)>| {
        let http = http.clone();
        let url = server.url("/oauth/authorize");
        async move { http.get(url).query(&q).send().await.unwrap() }
    };
    let with = |name: &str, value: &str| {
        let mut q = query.clone();
        q.retain(|(k, _)| k != name);
        if !value.is_empty() {
            q.push((name.to_owned(), value.to_owned()));
        }
        q
    };
    // Not the client's redirect URI, or an unknown client: an error page, never a redirect.
    let resp = authorize(with("redirect_uri", "http://evil.example/cb")).await;
    assert_eq!(resp.status(), 400);
    let resp = authorize(with("client_id", "mcpc_unknown")).await;
    assert_eq!(resp.status(), 400);
    // A loopback redirect may change its port (RFC 8252).
    let resp = authorize(with("redirect_uri", "http://127.0.0.1:55555/callback")).await;
    assert_eq!(resp.status(), 200);
    // PKCE missing or plain, another server's resource: sent back to the client.
    for (name, value, error) in [
        ("code_challenge", "", "invalid_request"),
        ("code_challenge_method", "plain", "invalid_request"),
        (
            "resource",
            "http://elsewhere.example/mcp/x",
            "invalid_target",
        ),
        ("scope", "admin", "invalid_scope"),
    ] {
        let resp = authorize(with(name, value)).await;
        assert_eq!(resp.status(), 303, "{name}={value}");
        let location = resp.headers()["location"].to_str().unwrap().to_owned();
        assert_eq!(
            param(&location, "error").as_deref(),
            Some(error),
            "{name}={value}"
        );
        assert_eq!(param(&location, "state").as_deref(), Some("st-1"));
    }
    // The form: wrong credential shown on the page; deny goes back with access_denied.
    let (status, _, html) = sign_in(
        &server,
        &query,
        "alloy_wrong_key_0000000000000000",
        "approve",
    )
    .await;
    assert_eq!(status, 401);
    assert!(html.contains("role=\"alert\""));
    let (status, location, _) = sign_in(&server, &query, BOOTSTRAP_KEY, "deny").await;
    assert_eq!(status, 303);
    assert_eq!(
        param(&location.unwrap(), "error").as_deref(),
        Some("access_denied")
    );
    // Another user's private server cannot be granted.
    let stranger = server.create_key("default", "mallory").await;
    let (status, location, _) = sign_in(&server, &query, &stranger, "approve").await;
    assert!(status == 403 || status == 404, "{status}");
    assert!(location.is_none());
    // CSRF: a post without the page's cookie and token is refused.
    let mut form = query.clone();
    form.extend([
        ("credential".to_owned(), BOOTSTRAP_KEY.to_owned()),
        ("decision".to_owned(), "approve".to_owned()),
        ("csrf_token".to_owned(), "guess".to_owned()),
    ]);
    let resp = http
        .post(server.url("/oauth/authorize"))
        .header("cookie", "alloy_oauth_csrf=other")
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 403);
    // The exchange checks the verifier and the redirect URI.
    let code = approved_code(&server, &query).await;
    let (status, body) = token(
        &server,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("client_id", &client_id),
            ("redirect_uri", REDIRECT),
            ("code_verifier", "x".repeat(43).as_str()),
        ],
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    let code = approved_code(&server, &query).await;
    let (status, _) = token(
        &server,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("client_id", &client_id),
            ("redirect_uri", "http://127.0.0.1:9/other"),
            ("code_verifier", VERIFIER),
        ],
    )
    .await;
    assert_eq!(status, 400);
    let (status, body) = token(&server, &[("grant_type", "password")]).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("unsupported_grant_type"))
    );
    // Registration refuses what a public client may not have.
    let resp = server
        .anonymous(Method::POST, "/oauth/register")
        .json(&json!({"redirect_uris": ["http://evil.example/cb"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
}

#[tokio::test]
async fn four_oh_ones_say_what_was_wrong() {
    let server = TestServer::start().await;
    let a = McpServer::create(&server, json!({"name": "Clear errors"})).await;
    // A wrong token URL: the token, named, and no challenge that starts a sign-in.
    let wrong = format!("/mcp/{}/mcp_token_wrongwrongwrongwrong", a.server_id);
    let (status, headers, body) =
        crate::mcp::send(post_2026(&server, &wrong, 1, "tools/list", json!({}))).await;
    assert_eq!(status, 401);
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("Invalid or expired access token for server")
            && message.contains(&a.server_id),
        "{message}"
    );
    let www = headers["www-authenticate"].to_str().unwrap();
    assert!(
        !www.contains("resource_metadata") && !www.contains("error="),
        "{www}"
    );
    // A wrong API key: said so, next to the challenge.
    let (status, headers, body) = crate::mcp::send(
        post_2026(
            &server,
            &format!("/mcp/{}", a.server_id),
            1,
            "tools/list",
            json!({}),
        )
        .bearer_auth("alloy_wrong_key_0000000000000000"),
    )
    .await;
    assert_eq!(status, 401);
    assert_eq!(
        body["error"]["message"],
        json!(format!("Invalid API key for server '{}'", a.server_id))
    );
    let www = headers["www-authenticate"].to_str().unwrap();
    assert!(
        www.contains("error=\"invalid_token\"") && www.contains("resource_metadata="),
        "{www}"
    );
    // No protected-resource document at the root (a token URL's client must not find one).
    let resp = server
        .anonymous(Method::GET, "/.well-known/oauth-protected-resource")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 404);
}

#[tokio::test]
async fn grants_are_listed_revoked_and_end_with_their_server_key_or_user() {
    let server = TestServer::start().await;
    let client_id = register(&server).await;
    let a = McpServer::create(&server, json!({"name": "Granted", "isPublic": true})).await;
    let query = authorize_query(&server, &client_id, &a.server_id);
    let tokens = approved_tokens(&server, &query, &client_id).await;
    let access = tokens["access_token"].as_str().unwrap().to_owned();

    // Listed for the account's key, with the client's name and no token.
    let (status, list) = send(server.request(Method::GET, "/api/oauth/grants")).await;
    assert_eq!((status, list["count"].clone()), (200, json!(1)));
    let grant = &list["grants"][0];
    assert_eq!(
        (grant["serverId"].as_str(), grant["userId"].as_str()),
        (Some(a.server_id.as_str()), Some("default"))
    );
    assert_eq!(grant["clientName"], "It <b>client</b>");
    assert!(!list.to_string().contains(&access));
    let grant_id = grant["grantId"].as_str().unwrap().to_owned();
    // Another account does not see it, and cannot revoke it.
    let stranger = server.create_key("other-account", "eve").await;
    let (_, theirs) = send(server.request_with(&stranger, Method::GET, "/api/oauth/grants")).await;
    assert_eq!(theirs["count"], 0);
    let steal = server.request_with(
        &stranger,
        Method::DELETE,
        &format!("/api/oauth/grants/{grant_id}"),
    );
    assert_error(&send(steal).await, 404, "NOT_FOUND");
    // Revoked: the client is signed out at once.
    let (status, _) =
        send(server.request(Method::DELETE, &format!("/api/oauth/grants/{grant_id}"))).await;
    assert_eq!(status, 200);
    assert_eq!(tools_list(&server, &a.server_id, &access).await, 401);
    let (_, list) = send(server.request(Method::GET, "/api/oauth/grants")).await;
    assert_eq!(list["count"], 0);

    // A grant through a key ends when the key is revoked.
    let (_, created) = send(
        server
            .request(Method::POST, "/api/keys")
            .json(&json!({"name": "for-a-client"})),
    )
    .await;
    let key = created["key"].as_str().unwrap();
    let (status, location, _) = sign_in(&server, &query, key, "approve").await;
    assert_eq!(status, 303);
    let code = param(&location.unwrap(), "code").unwrap();
    let (_, tokens) = token(
        &server,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("client_id", &client_id),
            ("redirect_uri", REDIRECT),
            ("code_verifier", VERIFIER),
        ],
    )
    .await;
    let access = tokens["access_token"].as_str().unwrap().to_owned();
    assert_eq!(tools_list(&server, &a.server_id, &access).await, 200);
    let (status, _) = send(server.request(
        Method::DELETE,
        &format!("/api/keys/{}", created["keyId"].as_str().unwrap()),
    ))
    .await;
    assert_eq!(status, 200);
    assert_eq!(tools_list(&server, &a.server_id, &access).await, 401);
    let (status, _) = token(
        &server,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", tokens["refresh_token"].as_str().unwrap()),
            ("client_id", &client_id),
        ],
    )
    .await;
    assert_eq!(status, 400, "no refresh after the key is gone");

    // A user's grant ends with the user's data; a server's grants end with the server.
    let (_, list) = send(server.request(Method::GET, "/api/oauth/grants")).await;
    assert_eq!(list["count"], 0);
    let _ = approved_tokens(&server, &query, &client_id).await;
    let (_, list) = send(server.request(Method::GET, "/api/oauth/grants")).await;
    assert_eq!(list["count"], 1);
    let (status, _) =
        send(server.request(Method::DELETE, &format!("/api/servers/{}", a.server_id))).await;
    assert_eq!(status, 200);
    let (_, list) = send(server.request(Method::GET, "/api/oauth/grants")).await;
    assert_eq!(list["count"], 0, "the deleted server's grants are gone");
    let b = McpServer::create(&server, json!({"name": "Public one", "isPublic": true})).await;
    let alice = server.create_key("default", "alice").await;
    let query_b = authorize_query(&server, &client_id, &b.server_id);
    let (status, location, _) = sign_in(&server, &query_b, &alice, "approve").await;
    assert_eq!(status, 303, "a user of the account may use a public server");
    assert!(location.is_some());
    let (_, list) = send(server.request(Method::GET, "/api/oauth/grants")).await;
    assert_eq!(list["grants"][0]["userId"], "alice");
    let (status, _) = send(server.request(Method::DELETE, "/api/users/alice")).await;
    assert_eq!(status, 200);
    let (_, list) = send(server.request(Method::GET, "/api/oauth/grants")).await;
    assert_eq!(list["count"], 0, "the deleted user's grants are gone");
}

#[tokio::test]
async fn sign_in_links_sign_one_user_in_once() {
    let server = TestServer::start().await;
    let client_id = register(&server).await;
    let public = McpServer::create(&server, json!({"name": "Shared", "isPublic": true})).await;
    let query = authorize_query(&server, &client_id, &public.server_id);
    let mint = |user: &str, body: Value| {
        send(
            server
                .request(Method::POST, &format!("/api/users/{user}/sign-in-links"))
                .json(&body),
        )
    };

    // Minted by the operator's key for its end user; a URL, minutes long.
    let (status, link) = mint("alice", json!({"expiresInSeconds": 300})).await;
    assert_eq!(status, 201, "{link}");
    let url = link["url"].as_str().unwrap().to_owned();
    assert!(url.starts_with(&server.url("/oauth/sign-in/asl_")), "{url}");
    assert_timestamp(link["expiresAt"].as_str().unwrap());
    let secret = url.rsplit('/').next().unwrap().to_owned();
    let (status, _) = mint("alice", json!({"expiresInSeconds": 30})).await;
    assert_eq!(status, 400);
    let (_, issued) = send(
        server
            .request(Method::POST, "/api/users/alice/token")
            .json(&json!({})),
    )
    .await;
    let by_token = server
        .request_with(
            issued["token"].as_str().unwrap(),
            Method::POST,
            "/api/users/alice/sign-in-links",
        )
        .json(&json!({}));
    assert_error(&send(by_token).await, 403, "FORBIDDEN");

    // Headless: the link's secret is the form's credential; it signs in as alice, once.
    let (status, location, _) = sign_in(&server, &query, &secret, "approve").await;
    assert_eq!(status, 303);
    assert!(param(&location.unwrap(), "code").is_some());
    let (_, grants) = send(server.request(Method::GET, "/api/oauth/grants")).await;
    assert_eq!(grants["grants"][0]["userId"], "alice");
    let (status, location, html) = sign_in(&server, &query, &secret, "approve").await;
    assert_eq!(status, 401, "a replayed link");
    assert!(location.is_none());
    assert!(html.contains("already used"), "{html}");

    // In a browser: opening the link leaves a cookie the sign-in page recognises.
    let (_, link) = mint("bob", json!({})).await;
    let http = no_redirects();
    let opened = http
        .get(link["url"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(opened.status(), 200);
    let link_cookie = opened.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(
        link_cookie.contains("HttpOnly") && link_cookie.contains("SameSite=Lax"),
        "{link_cookie}"
    );
    let link_cookie = link_cookie.split(';').next().unwrap().to_owned();
    let page = http
        .get(server.url("/oauth/authorize"))
        .query(&query)
        .header("cookie", &link_cookie)
        .send()
        .await
        .unwrap();
    let csrf_cookie = page.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let html = page.text().await.unwrap();
    assert!(html.contains("Signed in as <strong>bob</strong>"), "{html}");
    let csrf = html
        .split("name=\"csrf_token\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    let mut form = query.clone();
    form.extend([
        ("csrf_token".to_owned(), csrf),
        ("credential".to_owned(), String::new()),
        ("decision".to_owned(), "approve".to_owned()),
    ]);
    let approved = http
        .post(server.url("/oauth/authorize"))
        .header("cookie", format!("{csrf_cookie}; {link_cookie}"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(approved.status(), 303);
    let (_, grants) = send(server.request(Method::GET, "/api/oauth/grants")).await;
    assert_eq!(grants["grants"][0]["userId"], "bob");
    let again = http
        .get(link["url"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(
        again.status(),
        400,
        "spent links are refused when opened again"
    );

    // Expired links are refused, and unknown ones.
    let (_, link) = mint("carol", json!({"expiresInSeconds": 60})).await;
    let secret = link["url"]
        .as_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_owned();
    crate::mcp::sqlite_execute(
        &server.data_dir.join("alloy.db"),
        "UPDATE oauth_sign_in_links SET expires_at='2000-01-01T00:00:00+00:00' WHERE used_at IS NULL",
    );
    let (status, _, html) = sign_in(&server, &query, &secret, "approve").await;
    assert_eq!(status, 401);
    assert!(html.contains("expired"), "{html}");
    let unknown = http
        .get(server.url("/oauth/sign-in/asl_unknownunknownunknownunknown"))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 400);
}

/// A loopback HTTP server answering every request with the body `body` makes of the server's
/// base URL (after `delay`): a client's metadata document as the test wants it, which may name
/// its own URL. Answers the base URL.
async fn document_server(
    body: impl FnOnce(&str) -> Vec<u8>,
    content_type: &'static str,
    delay: std::time::Duration,
) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let body = body(&base);
    tokio::spawn(async move {
        loop {
            let Ok((mut stream, _)) = listener.accept().await else {
                return;
            };
            let body = body.clone();
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let _ = stream.read(&mut buf).await;
                tokio::time::sleep(delay).await;
                let head = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                    body.len()
                );
                let _ = stream.write_all(head.as_bytes()).await;
                let _ = stream.write_all(&body).await;
            });
        }
    });
    base
}

#[tokio::test]
async fn clients_may_be_named_by_their_metadata_document() {
    let server = TestServer::start_with(&["--oauth-client-metadata-http", "true"]).await;
    let a = McpServer::create(&server, json!({"name": "Documented"})).await;
    let meta: Value = server
        .anonymous(Method::GET, "/.well-known/oauth-authorization-server")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(meta["client_id_metadata_document_supported"], true);

    // A document that names itself: the client signs in with no registration.
    let base = document_server(
        |base| {
            json!({"client_id": format!("{base}/client.json"), "client_name": "Doc Client", "redirect_uris": [REDIRECT]})
                .to_string()
                .into_bytes()
        },
        "application/json",
        std::time::Duration::ZERO,
    )
    .await;
    let client_id = format!("{base}/client.json");
    let query = authorize_query(&server, &client_id, &a.server_id);
    let (status, location, _) = sign_in(&server, &query, BOOTSTRAP_KEY, "approve").await;
    assert_eq!(status, 303);
    let code = param(&location.unwrap(), "code").unwrap();
    let tokens = exchanged(&server, &client_id, &code).await;
    assert_eq!(
        tools_list(
            &server,
            &a.server_id,
            tokens["access_token"].as_str().unwrap()
        )
        .await,
        200
    );
    let (_, grants) = send(server.request(Method::GET, "/api/oauth/grants")).await;
    assert_eq!(grants["grants"][0]["clientName"], "Doc Client");

    // Documents that cannot be used: an error page, never a redirect.
    let refused = |client_id: String| {
        let q = authorize_query(&server, &client_id, &a.server_id);
        let url = server.url("/oauth/authorize");
        async move {
            let resp = no_redirects().get(url).query(&q).send().await.unwrap();
            (resp.status().as_u16(), resp.text().await.unwrap())
        }
    };
    let big = document_server(
        |_| vec![b' '; 20 * 1024],
        "application/json",
        std::time::Duration::ZERO,
    )
    .await;
    let (status, html) = refused(format!("{big}/client.json")).await;
    assert_eq!(status, 400);
    assert!(html.contains("larger than 16 KiB"), "{html}");
    let not_json = document_server(
        |_| b"<html>hi</html>".to_vec(),
        "text/html",
        std::time::Duration::ZERO,
    )
    .await;
    let (status, html) = refused(format!("{not_json}/client.json")).await;
    assert_eq!(status, 400);
    assert!(html.contains("not JSON"), "{html}");
    let slow = document_server(
        |_| b"{}".to_vec(),
        "application/json",
        std::time::Duration::from_secs(8),
    )
    .await;
    let (status, html) = refused(format!("{slow}/client.json")).await;
    assert_eq!(status, 400);
    assert!(html.contains("in time"), "{html}");
    let other = document_server(
        |_| {
            json!({"client_id": "https://elsewhere.example/c.json", "redirect_uris": [REDIRECT]})
                .to_string()
                .into_bytes()
        },
        "application/json",
        std::time::Duration::ZERO,
    )
    .await;
    let (status, html) = refused(format!("{other}/client.json")).await;
    assert_eq!(status, 400);
    assert!(html.contains("not its own URL"), "{html}");
}

#[tokio::test]
async fn metadata_documents_on_private_addresses_are_refused() {
    // The default guard: loopback is not allowed for outbound calls, so a client ID naming it
    // is refused before anything is read.
    let server = TestServer::start_with(&[
        "--oauth-client-metadata-http",
        "true",
        "--upstream-allow",
        "203.0.113.0/24",
    ])
    .await;
    let a = McpServer::create(&server, json!({"name": "Guarded docs"})).await;
    let doc = document_server(
        |_| b"{}".to_vec(),
        "application/json",
        std::time::Duration::ZERO,
    )
    .await;
    let q = authorize_query(&server, &format!("{doc}/client.json"), &a.server_id);
    let resp = no_redirects()
        .get(server.url("/oauth/authorize"))
        .query(&q)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    let html = resp.text().await.unwrap();
    assert!(html.contains("may not reach"), "{html}");
    // And plain http is refused unless allowed.
    let plain = TestServer::start().await;
    let b = McpServer::create(&plain, json!({"name": "Https only"})).await;
    let q = authorize_query(&plain, &format!("{doc}/client.json"), &b.server_id);
    let resp = no_redirects()
        .get(plain.url("/oauth/authorize"))
        .query(&q)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    assert!(resp.text().await.unwrap().contains("must be https"));
}

#[tokio::test]
async fn browser_clients_may_call_the_sign_in_endpoints_from_any_origin() {
    let server = TestServer::start().await;
    for (path, methods) in [
        (
            "/.well-known/oauth-authorization-server",
            "GET, HEAD, OPTIONS",
        ),
        (
            "/.well-known/oauth-protected-resource/mcp/any-server",
            "GET, HEAD, OPTIONS",
        ),
        ("/oauth/register", "POST, OPTIONS"),
        ("/oauth/token", "POST, OPTIONS"),
        ("/oauth/revoke", "POST, OPTIONS"),
    ] {
        let resp = server
            .anonymous(Method::OPTIONS, path)
            .header("origin", "https://inspector.example")
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "content-type")
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 204, "{path}");
        let h = resp.headers();
        assert_eq!(h["access-control-allow-origin"], "*", "{path}");
        assert_eq!(h["access-control-allow-methods"], methods, "{path}");
        assert!(
            h["access-control-allow-headers"]
                .to_str()
                .unwrap()
                .contains("content-type")
        );
    }
    // The sign-in page is not for scripts of other origins: no preflight there.
    let resp = server
        .anonymous(Method::OPTIONS, "/oauth/authorize")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 405);
}

#[tokio::test]
async fn signed_in_clients_keep_to_the_servers_rules_and_are_audited() {
    let server = TestServer::start().await;
    let client_id = register(&server).await;
    let shared = McpServer::create(
        &server,
        json!({"name": "Shared rules", "isPublic": true,
               "restrictions": {"users": {"mode": "blocklist", "blockedIds": ["mallory"]}}}),
    )
    .await;
    let query = authorize_query(&server, &client_id, &shared.server_id);
    // A user the server's `users` restriction blocks cannot sign a client in to it.
    let mallory = server.create_key("default", "mallory").await;
    let (status, location, html) = sign_in(&server, &query, &mallory, "approve").await;
    assert_eq!(status, 403, "{html}");
    assert!(location.is_none());
    // Another user of the account may (the server is public); the client's calls are recorded
    // under its grant.
    let bob = server.create_key("default", "bob").await;
    let (status, location, _) = sign_in(&server, &query, &bob, "approve").await;
    assert_eq!(status, 303);
    let code = param(&location.unwrap(), "code").unwrap();
    let (_, tokens) = token(
        &server,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("client_id", &client_id),
            ("redirect_uri", REDIRECT),
            ("code_verifier", VERIFIER),
        ],
    )
    .await;
    let access = tokens["access_token"].as_str().unwrap();
    let (status, _, body) = crate::mcp::send(
        post_2026(
            &server,
            &format!("/mcp/{}", shared.server_id),
            1,
            "tools/call",
            json!({"name": "list_connectors_alloy", "arguments": {}}),
        )
        .bearer_auth(access),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    server.gateway().audit().flush().await;
    let (_, events) =
        send(server.request(Method::GET, "/api/audit?tool=list_connectors_alloy")).await;
    let event = &events["events"][0];
    assert_eq!(event["userId"], "bob");
    assert_eq!(event["principal"]["kind"], "oauth_grant", "{event}");
    assert!(!events.to_string().contains(access), "never the token");
}

#[tokio::test]
async fn https_metadata_documents_need_a_trusted_authority() {
    let document = crate::tls::serve_json("/client.json", |url| {
        serde_json::to_vec(&json!({"client_id": url, "client_name": "Internal",
                                   "redirect_uris": [REDIRECT]}))
        .unwrap()
    })
    .await;
    let query_for = |server: &TestServer, server_id: &str| {
        let mut q = authorize_query(server, &document.url, server_id);
        q.retain(|(k, _)| k != "client_id");
        q.push(("client_id".into(), document.url.clone()));
        q
    };

    // The document's certificate is signed by the test's own authority: not trusted by default.
    let untrusted = TestServer::start_with(&["--upstream-allow", "127.0.0.0/8"]).await;
    let a = McpServer::create(&untrusted, json!({"name": "Untrusted"})).await;
    let resp = no_redirects()
        .get(untrusted.url("/oauth/authorize"))
        .query(&query_for(&untrusted, &a.server_id))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    let html = resp.text().await.unwrap();
    assert!(html.contains("This client cannot be used"), "{html}");

    // With ALLOY_EXTRA_CA_CERTS naming that authority, the same document names the client.
    let ca = document.ca_file.display().to_string();
    let trusted =
        TestServer::start_with(&["--upstream-allow", "127.0.0.0/8", "--extra-ca-certs", &ca]).await;
    let b = McpServer::create(&trusted, json!({"name": "Trusted"})).await;
    let resp = no_redirects()
        .get(trusted.url("/oauth/authorize"))
        .query(&query_for(&trusted, &b.server_id))
        .send()
        .await
        .unwrap();
    let status = resp.status();
    let html = resp.text().await.unwrap();
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("Internal"), "{html}");

    // A file without a certificate stops start-up, naming the setting.
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.pem");
    std::fs::write(&empty, "not a certificate\n").unwrap();
    let (store, serve) = settings(
        dir.path(),
        &["--extra-ca-certs", &empty.display().to_string()],
    );
    let err = alloy_mcp_server::startup::start(store, serve)
        .await
        .err()
        .expect("start-up refused");
    assert!(
        format!("{err:#}").contains("ALLOY_EXTRA_CA_CERTS"),
        "{err:#}"
    );
}
