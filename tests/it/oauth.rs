//! The OAuth 2.0 authorization-code flow end to end against a real authorization server:
//! oidc-provider (`tests/node/oauth-server.mjs`), which checks PKCE, single-use codes, client
//! authentication and refresh-token rotation, and whose userinfo endpoint (`/me`) serves as the
//! platform API the credential is used on. The browser is plain HTTP requests with a cookie
//! jar; consent is granted automatically by the test server.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use alloy_connectors::ExecuteOptions;
use alloy_gateway::Gateway;
use alloy_gateway::credentials::{CredentialService, ResolvedCredential};
use alloy_mcp_server::keys::BOOTSTRAP_USER;
use reqwest::Method;
use serde_json::{Value, json};

use crate::credentials::{
    assert_error, assert_sealed, bootstrap_caller, send, side_gateway, write_document,
};
use crate::support::*;

/// The Node.js authorization server, stopped when dropped.
pub(crate) struct AuthServer {
    child: Child,
    pub(crate) issuer: String,
}

impl AuthServer {
    /// Starts it with access tokens living `access_token_ttl` seconds.
    pub(crate) fn start(access_token_ttl: u64) -> Self {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("node");
        assert!(
            dir.join("node_modules/oidc-provider").is_dir(),
            "oidc-provider is not installed: run `npm ci` in tests/node (.ci/test does)"
        );
        let mut child = Command::new("node")
            .arg("oauth-server.mjs")
            .current_dir(&dir)
            .env("ACCESS_TOKEN_TTL", access_token_ttl.to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("node (Node.js) is on PATH");
        let mut line = String::new();
        let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
        stdout
            .read_line(&mut line)
            .expect("authorization server announces itself");
        // The provider prints notices later; a closed pipe would make those writes kill it.
        std::thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));
        let ready: Value = serde_json::from_str(&line)
            .unwrap_or_else(|_| panic!("unexpected first line from the server: {line:?}"));
        AuthServer {
            child,
            issuer: ready["issuer"].as_str().expect("issuer").to_owned(),
        }
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.issuer)
    }
}

impl Drop for AuthServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A browser: follows nothing by itself, keeps cookies.
pub(crate) struct Browser {
    http: reqwest::Client,
    pub(crate) cookies: BTreeMap<String, String>,
}

impl Browser {
    pub(crate) fn new() -> Self {
        Browser {
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            cookies: BTreeMap::new(),
        }
    }

    /// GET with the cookies; answers status, `Location` (absolute) and body.
    pub(crate) async fn get(&mut self, url: &str) -> (u16, Option<String>, String) {
        let req = self.http.get(url);
        self.send(req, url).await
    }

    /// POST of a form with the cookies, answered as [`Browser::get`] does.
    pub(crate) async fn post_form(
        &mut self,
        url: &str,
        form: &[(String, String)],
    ) -> (u16, Option<String>, String) {
        let req = self.http.post(url).form(form);
        self.send(req, url).await
    }

    async fn send(
        &mut self,
        mut req: reqwest::RequestBuilder,
        url: &str,
    ) -> (u16, Option<String>, String) {
        let cookie = self
            .cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ");
        if !cookie.is_empty() {
            req = req.header("cookie", cookie);
        }
        let resp = req.send().await.expect("browser request");
        for value in resp.headers().get_all("set-cookie") {
            let pair = value.to_str().unwrap().split(';').next().unwrap();
            if let Some((k, v)) = pair.split_once('=') {
                self.cookies
                    .insert(k.trim().to_owned(), v.trim().to_owned());
            }
        }
        let location = resp.headers().get("location").map(|l| {
            reqwest::Url::parse(url)
                .unwrap()
                .join(l.to_str().unwrap())
                .unwrap()
                .to_string()
        });
        (resp.status().as_u16(), location, resp.text().await.unwrap())
    }

    /// Follows redirects from `url` until one points under `stop`; answers that address.
    pub(crate) async fn follow_until(&mut self, url: &str, stop: &str) -> String {
        let mut next = url.to_owned();
        for _ in 0..10 {
            let (status, location, body) = self.get(&next).await;
            let Some(location) = location else {
                panic!("{next} answered {status} without a redirect: {body}");
            };
            if location.starts_with(stop) {
                return location;
            }
            next = location;
        }
        panic!("too many redirects from {url}");
    }
}

fn query(url: &str) -> BTreeMap<String, String> {
    reqwest::Url::parse(url)
        .unwrap()
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// Our server with the `idp` connector (the authorization server's userinfo API), and the
/// client registered at the authorization server and in our server.
struct Setup {
    auth: AuthServer,
    server: TestServer,
    side: Gateway,
    client_id: String,
    client_secret: String,
    _docs: tempfile::TempDir,
}

async fn setup(access_token_ttl: u64) -> Setup {
    let auth = AuthServer::start(access_token_ttl);
    let docs = tempfile::tempdir().unwrap();
    let doc = json!({
        "openapi": "3.1.0",
        "info": {"title": "Test Identity Provider", "version": "1",
                 "x-alloy-id": "idp", "x-alloy-category": "productivity"},
        "servers": [{"url": auth.issuer}],
        "security": [{"oauth": []}],
        "paths": {"/me": {"get": {"operationId": "userinfo", "summary": "The signed-in user"}}},
        "components": {"securitySchemes": {"oauth": {"type": "oauth2", "flows": {"authorizationCode": {
            "authorizationUrl": auth.url("/auth"),
            "tokenUrl": auth.url("/token"),
            "scopes": {"openid": "Sign in", "offline_access": "Refresh tokens", "read": "Read"}
        }}}}}
    });
    let path = write_document(docs.path(), "idp", &doc);
    let path = path.display().to_string();
    let args = ["--connectors-path", path.as_str()];
    let server = TestServer::start_with(&args).await;
    let side = side_gateway(&server.data_dir, &args).await;

    // RFC 7591 registration with our callback as the redirect URI.
    let registered: Value = reqwest::Client::new()
        .post(auth.url("/reg"))
        .json(&json!({
            "redirect_uris": [server.url("/oauth/callback")],
            "grant_types": ["authorization_code", "refresh_token"],
            "response_types": ["code"],
            "token_endpoint_auth_method": "client_secret_basic"
        }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let client_id = registered["client_id"]
        .as_str()
        .expect("client_id")
        .to_owned();
    let client_secret = registered["client_secret"].as_str().unwrap().to_owned();
    let (status, app) = send(
        server
            .request(Method::PUT, "/api/oauth-apps/idp")
            .json(&json!({
                "clientId": client_id,
                "clientSecret": client_secret,
                "tokenAuthMethod": "client_secret_basic",
                "scopes": ["openid", "offline_access", "read"],
                "authorizationParams": {"prompt": "consent"}
            })),
    )
    .await;
    assert_eq!(status, 200, "{app}");
    assert_eq!(app["callbackUrl"], json!(server.url("/oauth/callback")));
    Setup {
        auth,
        server,
        side,
        client_id,
        client_secret,
        _docs: docs,
    }
}

impl Setup {
    /// `create_credential_alloy` over HTTP for `user`; answers the authorization URL and state.
    async fn start_flow(&self, user: &str, redirect: Option<&str>) -> (String, String) {
        let mut body = json!({"connectorId": "idp", "authenticationType": "oauth2"});
        if let Some(r) = redirect {
            body["redirectUri"] = json!(r);
        }
        let (status, started) = send(
            self.server
                .request(Method::POST, "/api/credentials")
                .header("x-alloy-userid", user)
                .json(&body),
        )
        .await;
        assert_eq!(status, 200, "{started}");
        (
            started["authorizationUrl"].as_str().unwrap().to_owned(),
            started["state"].as_str().unwrap().to_owned(),
        )
    }

    /// The user approves at the authorization server; answers our callback address with the
    /// code, without calling it.
    async fn approve(&self, browser: &mut Browser, authorization_url: &str) -> String {
        browser
            .follow_until(authorization_url, &self.server.url("/oauth/callback"))
            .await
    }

    /// The whole dance for `user` with a redirect URI; answers the new credential ID.
    async fn authorize(&self, user: &str) -> String {
        let (url, _) = self
            .start_flow(user, Some("https://app.example/done"))
            .await;
        let mut browser = Browser::new();
        let callback = self.approve(&mut browser, &url).await;
        let (status, location, body) = browser.get(&callback).await;
        assert_eq!(status, 302, "{body}");
        let location = location.unwrap();
        assert!(
            location.starts_with("https://app.example/done?"),
            "{location}"
        );
        let q = query(&location);
        assert_eq!(q["connectorId"], "idp");
        q["credentialId"].clone()
    }

    fn credentials(&self) -> &CredentialService {
        self.side.credentials()
    }

    /// Calls the platform's userinfo API with a credential.
    async fn userinfo(
        &self,
        credential: &ResolvedCredential,
    ) -> Result<Value, alloy_connectors::Error> {
        let registry = self.side.registry();
        let connector = registry.connector("idp").unwrap();
        let action = registry.action_details("idp", "userinfo").await.unwrap();
        self.side
            .executor()
            .execute(
                connector,
                &action,
                &json!({}),
                &credential.material,
                ExecuteOptions::default(),
            )
            .await
            .map(|r| r.body)
    }

    /// Revokes a token at the authorization server (RFC 7009).
    async fn revoke(&self, token: &str, hint: &str) {
        let status = reqwest::Client::new()
            .post(self.auth.url("/token/revocation"))
            .basic_auth(&self.client_id, Some(&self.client_secret))
            .form(&[("token", token), ("token_type_hint", hint)])
            .send()
            .await
            .unwrap()
            .status();
        assert_eq!(status, 200, "revocation");
    }

    /// Destroys one access token at the authorization server, leaving its grant valid.
    async fn expire_access_token(&self, token: &str) {
        let status = reqwest::Client::new()
            .post(self.auth.url("/test/expire-access-token"))
            .form(&[("token", token)])
            .send()
            .await
            .unwrap()
            .status();
        assert_eq!(status, 204, "access token destroyed");
    }

    /// The stored secret fields of a credential (read behind the API, for the test only).
    async fn stored(&self, credential_id: &str) -> alloy_storage::SecretFields {
        self.side
            .db()
            .credentials()
            .get_with_secret("default", BOOTSTRAP_USER, credential_id)
            .await
            .unwrap()
            .unwrap()
            .1
    }
}

#[tokio::test]
async fn authorize_exchange_use_and_refresh_after_401() {
    let mut s = setup(3600).await;
    let owner = bootstrap_caller(BOOTSTRAP_USER);

    let (url, state) = s
        .start_flow(BOOTSTRAP_USER, Some("https://app.example/done"))
        .await;
    let q = query(&url);
    assert!(url.starts_with(&s.auth.url("/auth?")));
    assert_eq!(q["client_id"], s.client_id);
    assert_eq!(q["redirect_uri"], s.server.url("/oauth/callback"));
    assert_eq!(q["code_challenge_method"], "S256");
    assert_eq!(q["scope"], "openid offline_access read");
    assert_eq!(q["state"], state);

    let mut browser = Browser::new();
    let callback = s.approve(&mut browser, &url).await;
    assert_eq!(query(&callback)["state"], state);
    let (status, location, body) = browser.get(&callback).await;
    assert_eq!(status, 302, "{body}");
    let location = location.unwrap();
    let id = query(&location)["credentialId"].clone();
    assert_eq!(id.len(), 24);

    // Replaying the callback (same state, same code) is refused.
    let (status, _, body) = browser.get(&callback).await;
    assert_eq!(status, 400);
    assert!(body.contains("already been used"), "{body}");

    let (status, list) = send(
        s.server
            .request(Method::GET, "/api/credentials?connectorId=idp"),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(list["total"], 1);
    let listed = &list["credentials"][0];
    assert_eq!(
        (listed["type"].as_str(), listed["status"].as_str()),
        (Some("oauth2"), Some("active"))
    );
    assert!(listed["expiresAt"].is_string());

    // The token works on the platform's API.
    let used = s.credentials().resolve(&owner, "idp", None).await.unwrap();
    assert_eq!(used.credential_id, id);
    assert_eq!(s.userinfo(&used).await.unwrap()["sub"], "end-user-1");

    // Another user of the account sees nothing and cannot use it.
    let (_, bobs) = send(
        s.server
            .request(Method::GET, "/api/credentials")
            .header("x-alloy-userid", "bob"),
    )
    .await;
    assert_eq!(bobs["total"], 0);
    let r = send(
        s.server
            .request(Method::GET, &format!("/api/credentials/{id}"))
            .header("x-alloy-userid", "bob"),
    )
    .await;
    assert_error(&r, 404, "NOT_FOUND");
    let e = s
        .credentials()
        .resolve(&bootstrap_caller("bob"), "idp", Some(&id))
        .await
        .unwrap_err();
    assert_eq!(e.to_api_error().code.as_str(), "CREDENTIAL_NOT_FOUND");

    // The platform invalidates the access token: the call gets a 401, one refresh, and works
    // again.
    let old_token = used.material.field("accessToken").unwrap().to_owned();
    s.expire_access_token(&old_token).await;
    let e = s.userinfo(&used).await.unwrap_err();
    assert!(e.is_upstream_unauthorized(), "{e}");
    let material = s
        .credentials()
        .refresh_after_unauthorized(&owner, &id)
        .await
        .unwrap();
    assert_ne!(material.field("accessToken"), Some(old_token.as_str()));
    let refreshed = ResolvedCredential {
        credential_id: id.clone(),
        material,
    };
    assert_eq!(s.userinfo(&refreshed).await.unwrap()["sub"], "end-user-1");
    let again = s
        .credentials()
        .resolve(&owner, "idp", Some(&id))
        .await
        .unwrap();
    assert_eq!(
        again.material, refreshed.material,
        "the refreshed token is stored"
    );

    // Nothing secret in the database file.
    let stored = s.stored(&id).await;
    let refresh_token = stored.get("refreshToken").unwrap().to_owned();
    let access_token = stored.get("accessToken").unwrap().to_owned();
    s.server.stop().await;
    assert_sealed(
        &s.server.data_dir,
        &[
            &access_token,
            &refresh_token,
            &old_token,
            &s.client_secret,
            &state,
        ],
    );
}

#[tokio::test]
async fn tokens_refresh_before_expiry_and_a_refused_refresh_needs_reauthorization() {
    // Access tokens live 30 s, inside the 60 s refresh margin: every use refreshes first.
    let s = setup(30).await;
    let owner = bootstrap_caller(BOOTSTRAP_USER);
    let id = s.authorize(BOOTSTRAP_USER).await;
    let first = s.stored(&id).await;

    let used = s.credentials().resolve(&owner, "idp", None).await.unwrap();
    let at2 = used.material.field("accessToken").unwrap().to_owned();
    assert_ne!(
        Some(at2.as_str()),
        first.get("accessToken"),
        "refreshed before use"
    );
    assert_eq!(s.userinfo(&used).await.unwrap()["sub"], "end-user-1");
    let second = s.stored(&id).await;
    assert_ne!(
        second.get("refreshToken"),
        first.get("refreshToken"),
        "rotated"
    );

    // The user revokes access at the platform: the next refresh is refused.
    s.revoke(second.get("refreshToken").unwrap(), "refresh_token")
        .await;
    let e = s
        .credentials()
        .resolve(&owner, "idp", Some(&id))
        .await
        .unwrap_err();
    let e = e.to_api_error();
    assert_eq!(e.code.as_str(), "CREDENTIAL_INVALID");
    assert!(e.message.contains("re-authorization"), "{}", e.message);
    assert!(
        e.message.contains("create_credential_alloy"),
        "{}",
        e.message
    );
    let (_, one) = send(
        s.server
            .request(Method::GET, &format!("/api/credentials/{id}")),
    )
    .await;
    assert_eq!(one["status"], "needs_reauthorization");
    let e = s
        .credentials()
        .resolve(&owner, "idp", None)
        .await
        .unwrap_err();
    assert_eq!(
        e.to_api_error().code.as_str(),
        "CREDENTIAL_NOT_FOUND",
        "not chosen by default"
    );

    // Authorizing again gives a new, working credential that is chosen by default.
    let renewed = s.authorize(BOOTSTRAP_USER).await;
    let used = s.credentials().resolve(&owner, "idp", None).await.unwrap();
    assert_eq!(used.credential_id, renewed);
    assert_eq!(s.userinfo(&used).await.unwrap()["sub"], "end-user-1");

    // The audit trail has each refresh with its result, and both OAuth credentials created by
    // the callback; never a token. The refreshes were recorded by the side gateway (the one
    // this test resolves credentials through), the callback's by the server's.
    s.side.audit().flush().await;
    s.server.gateway().audit().flush().await;
    let (status, trail) = send(s.server.request(Method::GET, "/api/audit?limit=100")).await;
    assert_eq!(status, 200);
    let events = trail["events"].as_array().unwrap();
    let refreshes: Vec<(&str, &str)> = events
        .iter()
        .filter(|e| e["event"] == "credential.refreshed")
        .map(|e| {
            assert_eq!(e["principal"]["kind"], "gateway");
            assert_eq!(e["connectorId"], "idp");
            (
                e["credentialId"].as_str().unwrap(),
                e["details"]["result"].as_str().unwrap(),
            )
        })
        .collect();
    assert!(refreshes.contains(&(id.as_str(), "ok")), "{refreshes:?}");
    assert!(
        refreshes.contains(&(id.as_str(), "rejected")),
        "{refreshes:?}"
    );
    let created = events
        .iter()
        .filter(|e| {
            e["event"] == "credential.created" && e["principal"]["kind"] == "oauth_callback"
        })
        .count();
    assert_eq!(created, 2);
    let text = trail.to_string();
    for secret in [
        first.get("refreshToken"),
        second.get("refreshToken"),
        Some(at2.as_str()),
    ] {
        assert!(
            !text.contains(secret.unwrap()),
            "no token in the audit trail"
        );
    }
}

#[tokio::test]
async fn state_is_single_use_bound_to_its_user_and_expires_and_pkce_binds_the_code() {
    let s = setup(3600).await;

    // A code intercepted from one flow, injected into another flow's callback: the verifier
    // of the second flow does not match the first code's challenge, and the server refuses.
    let (url_a, _) = s
        .start_flow(BOOTSTRAP_USER, Some("https://app.example/a"))
        .await;
    let (_, state_b) = s
        .start_flow(BOOTSTRAP_USER, Some("https://app.example/b"))
        .await;
    let mut victim = Browser::new();
    let callback_a = s.approve(&mut victim, &url_a).await;
    let code_a = query(&callback_a)["code"].clone();
    let mut attacker = Browser::new();
    let injected = format!(
        "{}?code={code_a}&state={state_b}",
        s.server.url("/oauth/callback")
    );
    let (status, location, _) = attacker.get(&injected).await;
    assert_eq!(status, 302);
    let q = query(&location.unwrap());
    assert_eq!(q["error"], "token_exchange_failed");
    assert!(q["error_description"].contains("invalid_grant"), "{q:?}");
    let (_, list) = send(s.server.request(Method::GET, "/api/credentials")).await;
    assert_eq!(list["total"], 0, "no credential from an injected code");

    // A flow started for bob ends with bob's credential, whoever's browser completes it.
    let (url_bob, _) = s.start_flow("bob", None).await;
    let mut browser = Browser::new();
    let callback = s.approve(&mut browser, &url_bob).await;
    let (status, location, body) = browser.get(&callback).await;
    assert_eq!(
        (status, location),
        (200, None),
        "a plain page without a redirect URI"
    );
    assert!(body.contains("Authorization complete"), "{body}");
    let (_, bobs) = send(
        s.server
            .request(Method::GET, "/api/credentials")
            .header("x-alloy-userid", "bob"),
    )
    .await;
    assert_eq!(bobs["total"], 1);
    let (_, mine) = send(s.server.request(Method::GET, "/api/credentials")).await;
    assert_eq!(mine["total"], 0);

    // Unknown and expired states.
    let (status, _, body) = browser
        .get(&s.server.url("/oauth/callback?state=forged&code=x"))
        .await;
    assert_eq!(status, 400);
    assert!(body.contains("invalid or has already been used"), "{body}");
    let (status, _, _) = browser.get(&s.server.url("/oauth/callback?code=x")).await;
    assert_eq!(status, 400);
    let (_, started) = send(
        s.server
            .request(Method::POST, "/api/credentials")
            .json(&json!({"connectorId": "idp", "authenticationType": "oauth2"})),
    )
    .await;
    let expires =
        chrono::DateTime::parse_from_rfc3339(started["expiresAt"].as_str().unwrap()).unwrap();
    let ttl = expires
        .signed_duration_since(chrono::Utc::now())
        .num_seconds();
    assert!(
        (590..=600).contains(&ttl),
        "states live 10 minutes, got {ttl} s"
    );
    s.side
        .db()
        .oauth_states()
        .insert(alloy_storage::NewOAuthState {
            state: "expired-state-value".into(),
            account_id: "default".into(),
            user_id: BOOTSTRAP_USER.into(),
            connector_id: "idp".into(),
            redirect_uri: Some("https://app.example/late".into()),
            payload: json!({"codeVerifier": "v".repeat(43), "fields": {}}),
            expires_at: chrono::Utc::now() - chrono::Duration::seconds(1),
        })
        .await
        .unwrap();
    let (status, location, _) = browser
        .get(
            &s.server
                .url("/oauth/callback?state=expired-state-value&code=x"),
        )
        .await;
    assert_eq!(status, 302);
    let q = query(&location.unwrap());
    assert_eq!(q["error"], "expired_state");
    // The user declined at the platform.
    let (url, state) = s.start_flow(BOOTSTRAP_USER, None).await;
    let _ = url;
    let (status, _, body) = browser
        .get(&s.server.url(&format!(
            "/oauth/callback?state={state}&error=access_denied&error_description=User+said+no"
        )))
        .await;
    assert_eq!(status, 400);
    assert!(body.contains("User said no"), "{body}");
}
