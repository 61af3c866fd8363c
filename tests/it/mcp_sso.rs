//! Single sign-on on the MCP sign-in page, against a real OpenID Connect provider
//! (oidc-provider, `tests/node/oauth-server.mjs`): the sign-in page's button, the exact
//! authorization request the gateway sends the browser with, the callback, the consent screen
//! with the server's restrictions, the grant, and every refusal (another browser, a tampered
//! state, a replayed callback, an unverified email, an unknown account, the provider's "no").
//!
//! The gateway runs with `ALLOY_PUBLIC_URL=https://gw.example.com` (as behind a TLS proxy), so
//! its redirect URI at the provider is known before it starts; the test's browser carries the
//! provider's redirect to that URL back to the gateway's real address, as the proxy would.

use reqwest::Method;
use serde_json::{Value, json};

use crate::mcp::McpServer;
use crate::mcp_consent::field;
use crate::mcp_sign_in::{
    VERIFIER, authorize_query_at, challenge, exchanged, param, register, tools_list,
};
use crate::oauth::{AuthServer, Browser};
use crate::support::*;

const PUBLIC: &str = "https://gw.example.com";
const CALLBACK: &str = "https://gw.example.com/oauth/sso/callback";

/// The provider with the gateway registered as a confidential client, and the gateway using it.
struct Sso {
    idp: AuthServer,
    client_id: String,
    server: TestServer,
}

async fn start(account: &[&str]) -> Sso {
    let idp = AuthServer::start(3600);
    let registered: Value = reqwest::Client::new()
        .post(idp.url("/reg"))
        .json(&json!({
            "redirect_uris": [CALLBACK],
            "grant_types": ["authorization_code"],
            "response_types": ["code"],
            "token_endpoint_auth_method": "client_secret_basic",
            "client_name": "Alloy gateway"
        }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let client_id = registered["client_id"].as_str().unwrap().to_owned();
    let secret = registered["client_secret"].as_str().unwrap().to_owned();
    // `=`: a secret may begin with `-`.
    let client_arg = format!("--oidc-client-id={client_id}");
    let secret_arg = format!("--oidc-client-secret={secret}");
    let mut args = vec![
        "--public-url",
        PUBLIC,
        "--oidc-issuer",
        &idp.issuer,
        &client_arg,
        &secret_arg,
        "--oidc-name",
        "Example <IdP>",
        "--oidc-scopes",
        "openid email tenant",
    ];
    args.extend_from_slice(account);
    let server = TestServer::start_with(&args).await;
    Sso {
        idp,
        client_id,
        server,
    }
}

/// The authorization request of an MCP client for `server_id`, on the public URL.
fn authorize_query(client_id: &str, server_id: &str) -> Vec<(String, String)> {
    authorize_query_at(PUBLIC, client_id, server_id)
}

/// The gateway's address for a URL on its public one (what the TLS proxy does).
fn on_gateway(server: &TestServer, public: &str) -> String {
    server.url(public.strip_prefix(PUBLIC).expect("a URL of the gateway"))
}

/// Opens the sign-in page and presses "Sign in with …": the provider's URL the gateway sends
/// the browser to.
async fn press_sso(
    server: &TestServer,
    browser: &mut Browser,
    query: &[(String, String)],
) -> String {
    let url = reqwest::Url::parse_with_params(&server.url("/oauth/authorize"), query).unwrap();
    let (status, _, html) = browser.get(url.as_str()).await;
    assert_eq!(status, 200, "{html}");
    let mut form = query.to_vec();
    form.push(("csrf_token".into(), field(&html, "csrf_token")));
    form.push(("decision".into(), "sso".into()));
    let (status, location, body) = browser
        .post_form(&server.url("/oauth/authorize"), &form)
        .await;
    assert_eq!(status, 303, "{body}");
    location.expect("to the provider")
}

/// At the provider as `user` (its automatic login stands for the user signing in there): the
/// callback URL it sends the browser back to, on the gateway's real address.
async fn at_provider(sso: &Sso, browser: &mut Browser, authorization: &str, user: &str) -> String {
    let mut url = reqwest::Url::parse(authorization).unwrap();
    url.query_pairs_mut().append_pair("login_hint", user);
    let back = browser.follow_until(url.as_str(), CALLBACK).await;
    on_gateway(&sso.server, &back)
}

/// A new browser signs in at the provider as `user` and comes back: the callback's answer.
async fn back_from_provider(
    sso: &Sso,
    query: &[(String, String)],
    user: &str,
) -> (Browser, u16, String) {
    let mut browser = Browser::new();
    let authorization = press_sso(&sso.server, &mut browser, query).await;
    let callback = at_provider(sso, &mut browser, &authorization, user).await;
    let (status, _, html) = browser.get(&callback).await;
    (browser, status, html)
}

#[tokio::test]
async fn users_sign_in_with_the_companys_provider_and_approve_what_they_see() {
    let sso = start(&["--oidc-account", "default"]).await;
    let server = &sso.server;
    let mcp = McpServer::create(
        server,
        json!({"name": "Team tools", "description": "For the <support> team", "isPublic": true,
               "restrictions": {"connectors": {"mode": "allowlist", "allowedIds": ["github", "slack"]},
                                "actions": {"mode": "blocklist", "blockedActions": ["slack.delete_message"]}}}),
    )
    .await;
    let client_id = register(server).await;
    let query = authorize_query(&client_id, &mcp.server_id);

    // The sign-in page offers the provider, and its CSP lets the form go there.
    let mut browser = Browser::new();
    let url = reqwest::Url::parse_with_params(&server.url("/oauth/authorize"), &query).unwrap();
    let page = reqwest::get(url.as_str()).await.unwrap();
    let csp = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        csp.contains(&format!(
            "form-action 'self' http://127.0.0.1:9 {}",
            sso.idp.issuer
        )),
        "{csp}"
    );
    let html = page.text().await.unwrap();
    assert!(html.contains("Sign in with Example &lt;IdP&gt;"), "{html}");

    // The exact authorization request the gateway sends the browser with.
    let authorization = press_sso(server, &mut browser, &query).await;
    let sent = reqwest::Url::parse(&authorization).unwrap();
    assert_eq!(
        format!("{}{}", sent.origin().ascii_serialization(), sent.path()),
        sso.idp.url("/auth")
    );
    let params: std::collections::BTreeMap<String, String> =
        sent.query_pairs().into_owned().collect();
    let names: Vec<&str> = params.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        [
            "client_id",
            "code_challenge",
            "code_challenge_method",
            "nonce",
            "redirect_uri",
            "response_type",
            "scope",
            "state"
        ]
    );
    assert_eq!(params["client_id"], sso.client_id);
    assert_eq!(params["redirect_uri"], CALLBACK);
    assert_eq!(params["response_type"], "code");
    assert_eq!(params["scope"], "openid email tenant");
    assert_eq!(params["code_challenge_method"], "S256");
    assert!(params["state"].len() >= 40 && params["nonce"].len() >= 40);
    assert_ne!(params["state"], params["nonce"]);
    assert!(
        !authorization.contains(VERIFIER) && !authorization.contains(&challenge(VERIFIER)),
        "nothing of the MCP client's request travels to the provider"
    );
    let state_cookie = browser
        .cookies
        .get("alloy_oauth_sso")
        .cloned()
        .expect("state cookie");

    // Back from the provider: the consent screen names the client, the server, the user and
    // what the server allows.
    let callback = at_provider(&sso, &mut browser, &authorization, "alice@acme.test").await;
    let (status, _, consent) = browser.get(&callback).await;
    assert_eq!(status, 200, "{consent}");
    assert_eq!(browser.cookies["alloy_oauth_sso"], "", "the state is spent");
    for shown in [
        "Allow It &lt;b&gt;client&lt;/b&gt; to use Team tools?",
        "For the &lt;support&gt; team",
        "<strong>alice@acme.test</strong>",
        "signed in with single sign-on",
        "Connectors: only github, slack.",
        "Actions: every one except slack.delete_message.",
        "Users: any user of the account.",
    ] {
        assert!(consent.contains(shown), "{shown:?} missing from {consent}");
    }

    // Approving with the screen's ticket: the client's code, for alice.
    let mut form = query.clone();
    form.push(("csrf_token".into(), field(&consent, "csrf_token")));
    form.push(("ticket".into(), field(&consent, "ticket")));
    form.push(("decision".into(), "approve".into()));
    let (status, location, body) = browser
        .post_form(&server.url("/oauth/authorize"), &form)
        .await;
    assert_eq!(status, 303, "{body}");
    let location = location.unwrap();
    assert_eq!(param(&location, "iss").as_deref(), Some(PUBLIC));
    assert_eq!(param(&location, "state").as_deref(), Some("st-1"));
    let code = param(&location, "code").unwrap();
    let tokens = exchanged(server, &client_id, &code).await;
    let access = tokens["access_token"].as_str().unwrap();
    assert_eq!(tools_list(server, &mcp.server_id, access).await, 200);

    // The grant is alice's; the approval is audited as single sign-on, without a secret.
    let (_, grants) = send(server.request(Method::GET, "/api/oauth/grants")).await;
    assert_eq!(grants["grants"][0]["userId"], "alice@acme.test");
    server.gateway().audit().flush().await;
    let (_, audit) = send(server.request(Method::GET, "/api/audit?userId=alice%40acme.test")).await;
    let granted = audit["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["event"] == "oauth.granted")
        .unwrap_or_else(|| panic!("no oauth.granted in {audit}"));
    assert_eq!(granted["principal"]["kind"], "sso", "{granted}");
    let text = audit.to_string();
    assert!(!text.contains(&code) && !text.contains(&state_cookie));

    // The same callback again (a replay, or the back button): the state is spent.
    let (status, _, html) = browser.get(&callback).await;
    assert_eq!(status, 400, "{html}");
    assert!(html.contains("not started in this browser"), "{html}");
}

#[tokio::test]
async fn a_callback_this_browser_did_not_start_or_the_provider_refused_goes_nowhere() {
    let sso = start(&["--oidc-account", "default"]).await;
    let server = &sso.server;
    let mcp = McpServer::create(server, json!({"name": "Guarded", "isPublic": true})).await;
    let client_id = register(server).await;
    let query = authorize_query(&client_id, &mcp.server_id);

    // Login CSRF: a callback carried to another browser (no state cookie) is refused.
    let mut victim = Browser::new();
    let mut attacker = Browser::new();
    let authorization = press_sso(server, &mut attacker, &query).await;
    let callback = at_provider(&sso, &mut attacker, &authorization, "mallory@acme.test").await;
    let (status, _, html) = victim.get(&callback).await;
    assert_eq!(status, 400, "{html}");
    assert!(html.contains("not started in this browser"), "{html}");

    // A state that is not this browser's.
    let mut browser = Browser::new();
    let authorization = press_sso(server, &mut browser, &query).await;
    let callback = at_provider(&sso, &mut browser, &authorization, "alice@acme.test").await;
    let mut url = reqwest::Url::parse(&callback).unwrap();
    let pairs: Vec<(String, String)> = url
        .query_pairs()
        .into_owned()
        .map(|(k, v)| {
            if k == "state" {
                (k, format!("{v}x"))
            } else {
                (k, v)
            }
        })
        .collect();
    url.query_pairs_mut().clear().extend_pairs(&pairs);
    let (status, _, html) = browser.get(url.as_str()).await;
    assert_eq!(status, 400, "{html}");

    // The provider said no.
    let mut browser = Browser::new();
    let authorization = press_sso(server, &mut browser, &query).await;
    let state = param(&authorization, "state").unwrap();
    let refused = reqwest::Url::parse_with_params(
        &server.url("/oauth/sso/callback"),
        &[
            ("error", "access_denied"),
            ("error_description", "User <cancelled>"),
            ("state", &state),
        ],
    )
    .unwrap();
    let (status, _, html) = browser.get(refused.as_str()).await;
    assert_eq!(status, 403, "{html}");
    assert!(
        html.contains("did not sign you in: User &lt;cancelled&gt;"),
        "{html}"
    );

    // An email the provider has not verified is not an identity.
    let (_, status, html) = back_from_provider(&sso, &query, "unverified@acme.test").await;
    assert_eq!(status, 403, "{html}");
    assert!(html.contains("has not verified your email"), "{html}");

    // Another user's private server does not exist for the signed-in user.
    let private = McpServer::create(server, json!({"name": "Mine"})).await;
    let mut browser = Browser::new();
    let authorization = press_sso(
        server,
        &mut browser,
        &authorize_query(&client_id, &private.server_id),
    )
    .await;
    let callback = at_provider(&sso, &mut browser, &authorization, "alice@acme.test").await;
    let (status, _, html) = browser.get(&callback).await;
    assert_eq!(status, 404, "{html}");
    assert!(html.contains("Signed in as alice@acme.test"), "{html}");

    // A consent ticket is for its own request only: lifted into another (another PKCE
    // challenge), it is refused.
    let (mut browser, status, consent) = back_from_provider(&sso, &query, "alice@acme.test").await;
    assert_eq!(status, 200, "{consent}");
    let mut form: Vec<(String, String)> = query
        .iter()
        .map(|(k, v)| {
            if k == "code_challenge" {
                (
                    k.clone(),
                    challenge("another-verifier-of-the-attacker-0123456789"),
                )
            } else {
                (k.clone(), v.clone())
            }
        })
        .collect();
    form.push(("csrf_token".into(), field(&consent, "csrf_token")));
    form.push(("ticket".into(), field(&consent, "ticket")));
    form.push(("decision".into(), "approve".into()));
    let (status, location, html) = browser
        .post_form(&server.url("/oauth/authorize"), &form)
        .await;
    assert_eq!((status, location), (401, None), "{html}");
    assert!(html.contains("does not belong to this request"), "{html}");
}

#[tokio::test]
async fn a_claim_may_name_the_account() {
    let sso = start(&["--oidc-account-claim", "tenant"]).await;
    let server = &sso.server;
    // Account "acme" exists (it has a key); "nosuch" does not.
    let acme_key = server.create_key("acme", "admin").await;
    let created: Value = server
        .request_with(&acme_key, Method::POST, "/api/servers")
        .json(&json!({"name": "Acme tools", "isPublic": true}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let server_id = created["serverId"].as_str().unwrap().to_owned();
    let client_id = register(server).await;
    let query = authorize_query(&client_id, &server_id);

    let (_, status, consent) = back_from_provider(&sso, &query, "bob@acme.test").await;
    assert_eq!(status, 200, "{consent}");
    assert!(
        consent.contains("(account acme, signed in with single sign-on)"),
        "{consent}"
    );

    let (_, status, html) = back_from_provider(&sso, &query, "carol@nosuch.test").await;
    assert_eq!(status, 403, "{html}");
    assert!(
        html.contains("names the account &#39;nosuch&#39;, which this gateway does not have"),
        "{html}"
    );
}

#[tokio::test]
async fn without_single_sign_on_there_is_no_button_and_no_callback() {
    let server = TestServer::start().await;
    let mcp = McpServer::create(&server, json!({"name": "Plain"})).await;
    let client_id = register(&server).await;
    let query = crate::mcp_sign_in::authorize_query(&server, &client_id, &mcp.server_id);
    let url = reqwest::Url::parse_with_params(&server.url("/oauth/authorize"), &query).unwrap();
    let html = reqwest::get(url.as_str())
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!html.contains("Sign in with"), "{html}");
    let resp = reqwest::get(server.url("/oauth/sso/callback?code=x&state=y"))
        .await
        .unwrap();
    assert_eq!(resp.status(), 404);
}
