//! The consent screen of the MCP sign-in: after a sign-in (`decision=continue`) it shows the
//! client, the server and its restrictions, who signed in and how; its approval carries a
//! signed ticket of that sign-in, which holds only for its own request and only while what it
//! rests on (the API key) stands. The one-step form (`credential` with `decision=approve`)
//! keeps working for scripts.

use reqwest::Method;
use serde_json::json;

use crate::mcp::McpServer;
use crate::mcp_sign_in::{authorize_query, param, register};
use crate::oauth::Browser;
use crate::support::*;

/// The value of a hidden field of a page.
pub(crate) fn field(html: &str, name: &str) -> String {
    html.split(&format!("name=\"{name}\" value=\""))
        .nth(1)
        .and_then(|r| r.split('"').next())
        .unwrap_or_else(|| panic!("no {name} field in {html}"))
        .to_owned()
}

/// Opens the sign-in page and posts it with `fields`: the answer to the post.
async fn post_sign_in(
    server: &TestServer,
    browser: &mut Browser,
    query: &[(String, String)],
    fields: &[(&str, &str)],
) -> (u16, Option<String>, String) {
    let url = reqwest::Url::parse_with_params(&server.url("/oauth/authorize"), query).unwrap();
    let (status, _, html) = browser.get(url.as_str()).await;
    assert_eq!(status, 200, "{html}");
    let mut form = query.to_vec();
    form.push(("csrf_token".into(), field(&html, "csrf_token")));
    form.extend(
        fields
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
    );
    browser
        .post_form(&server.url("/oauth/authorize"), &form)
        .await
}

/// Approves with a consent screen's ticket, under the CSRF token of the page this browser
/// showed last (each page sets its own: the cookie holds the latest).
async fn approve(
    server: &TestServer,
    browser: &mut Browser,
    query: &[(String, String)],
    consent: &str,
) -> (u16, Option<String>, String) {
    let mut form = query.to_vec();
    form.push((
        "csrf_token".into(),
        browser.cookies["alloy_oauth_csrf"].clone(),
    ));
    form.push(("ticket".into(), field(consent, "ticket")));
    form.push(("decision".into(), "approve".into()));
    browser
        .post_form(&server.url("/oauth/authorize"), &form)
        .await
}

#[tokio::test]
async fn the_consent_screen_shows_the_restrictions_and_its_ticket_holds_for_its_request_only() {
    let server = TestServer::start().await;
    let mcp = McpServer::create(
        &server,
        json!({"name": "Read only", "restrictions": {
            "connectors": {"mode": "blocklist", "blockedIds": ["stripe"]},
            "actions": {"mode": "allowlist", "allowedActions": ["github.list_issues"]}}}),
    )
    .await;
    let client_id = register(&server).await;
    let query = authorize_query(&server, &client_id, &mcp.server_id);

    // The page asks to continue; a key signs in and the consent screen follows — no code yet.
    let mut browser = Browser::new();
    let (status, location, consent) = post_sign_in(
        &server,
        &mut browser,
        &query,
        &[("credential", BOOTSTRAP_KEY), ("decision", "continue")],
    )
    .await;
    assert_eq!((status, location), (200, None), "{consent}");
    for shown in [
        "Allow It &lt;b&gt;client&lt;/b&gt; to use Read only?",
        "signed in with API key",
        "Connectors: every one except stripe.",
        "Actions: only github.list_issues.",
        "Users: private to default.",
    ] {
        assert!(consent.contains(shown), "{shown:?} missing from {consent}");
    }
    assert!(
        !consent.contains(BOOTSTRAP_KEY),
        "the key is not carried on"
    );

    // Denying from the consent screen: the client hears access_denied.
    let mut deny = query.clone();
    deny.push(("csrf_token".into(), field(&consent, "csrf_token")));
    deny.push(("ticket".into(), field(&consent, "ticket")));
    deny.push(("decision".into(), "deny".into()));
    let (status, location, _) = browser
        .post_form(&server.url("/oauth/authorize"), &deny)
        .await;
    assert_eq!(status, 303);
    assert_eq!(
        param(&location.unwrap(), "error").as_deref(),
        Some("access_denied")
    );

    // The ticket in another request (another client) is refused; in its own, approved.
    let other_client = register(&server).await;
    let other = authorize_query(&server, &other_client, &mcp.server_id);
    let (status, location, html) = approve(&server, &mut browser, &other, &consent).await;
    assert_eq!((status, location), (401, None), "{html}");
    assert!(html.contains("does not belong to this request"), "{html}");
    let (status, location, html) = approve(&server, &mut browser, &query, &consent).await;
    assert_eq!(status, 303, "{html}");
    assert!(param(&location.unwrap(), "code").is_some());

    // A forged ticket is refused.
    let forged = consent.replace(&field(&consent, "ticket"), "eyJhbGciOiJIUzI1NiJ9.e30.x");
    let (status, _, html) = approve(&server, &mut browser, &query, &forged).await;
    assert_eq!(status, 401, "{html}");
}

#[tokio::test]
async fn a_ticket_ends_with_the_key_that_signed_in() {
    let server = TestServer::start().await;
    let (status, created) = send(
        server
            .request(Method::POST, "/api/keys")
            .json(&json!({"name": "laptop", "userId": "default"})),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let key = created["key"].as_str().unwrap().to_owned();
    let key_id = created["keyId"].as_str().unwrap().to_owned();
    let mcp = McpServer::create(&server, json!({"name": "Mine"})).await;
    let client_id = register(&server).await;
    let query = authorize_query(&server, &client_id, &mcp.server_id);
    let mut browser = Browser::new();
    let (status, _, consent) = post_sign_in(
        &server,
        &mut browser,
        &query,
        &[("credential", &key), ("decision", "continue")],
    )
    .await;
    assert_eq!(status, 200, "{consent}");

    // The key is revoked while the consent screen is open: approving is refused.
    let (status, _) = send(server.request(Method::DELETE, &format!("/api/keys/{key_id}"))).await;
    assert_eq!(status, 200);
    let (status, location, html) = approve(&server, &mut browser, &query, &consent).await;
    assert_eq!((status, location), (401, None), "{html}");
}

#[tokio::test]
async fn a_sign_in_link_continues_to_the_consent_screen_once() {
    let server = TestServer::start().await;
    let public = McpServer::create(&server, json!({"name": "Shared", "isPublic": true})).await;
    let client_id = register(&server).await;
    let query = authorize_query(&server, &client_id, &public.server_id);
    let (status, link) = send(
        server
            .request(Method::POST, "/api/users/alice/sign-in-links")
            .json(&json!({})),
    )
    .await;
    assert_eq!(status, 201, "{link}");

    // Opened in the browser, the link signs in without a key; continuing spends it.
    let mut browser = Browser::new();
    let (status, _, _) = browser.get(link["url"].as_str().unwrap()).await;
    assert_eq!(status, 200);
    let (status, _, consent) = post_sign_in(
        &server,
        &mut browser,
        &query,
        &[("credential", ""), ("decision", "continue")],
    )
    .await;
    assert_eq!(status, 200, "{consent}");
    assert!(consent.contains("<strong>alice</strong>"), "{consent}");
    assert!(consent.contains("signed in with sign-in link"), "{consent}");
    let (status, _, html) = post_sign_in(
        &server,
        &mut browser,
        &query,
        &[("credential", ""), ("decision", "continue")],
    )
    .await;
    assert_eq!(status, 401, "{html}");
    assert!(html.contains("already used"), "{html}");

    // The ticket it left still approves, as alice.
    let (status, location, html) = approve(&server, &mut browser, &query, &consent).await;
    assert_eq!(status, 303, "{html}");
    assert!(param(&location.unwrap(), "code").is_some());
    let (_, grants) = send(server.request(Method::GET, "/api/oauth/grants")).await;
    assert_eq!(grants["grants"][0]["userId"], "alice");
}
