//! The credential service against a real database, with stand-in platforms (recording HTTP
//! servers on 127.0.0.1) for the verification action and the OAuth token endpoint.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use alloy_connectors::testing::{RecordedRequest, RecordingServer, Reply};
use alloy_connectors::{Executor, ExecutorConfig, Registry};
use alloy_domain::ErrorCode;
use alloy_storage::testing::TestDatabase;
use serde_json::{Value, json};

use super::*;
use crate::identity::Principal;
use crate::{Gateway, GatewayConfig};

struct Fixture {
    gateway: Gateway,
    platform: RecordingServer,
    _db: TestDatabase,
    _dir: tempfile::TempDir,
}

fn document(platform: &str) -> Value {
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Widget", "version": "1", "description": "Test platform",
            "x-alloy-id": "widget", "x-alloy-category": "productivity",
            "x-alloy-verify": "whoami"
        },
        "servers": [{"url": "https://api.widget.test/v1"}],
        "security": [{"oauth": []}, {"key": []}, {"basicAuth": []}],
        "paths": {
            "/me": {"get": {"operationId": "whoami", "tags": ["users"], "summary": "Who am I"}},
            "/items": {"get": {"operationId": "items_list", "tags": ["items"], "summary": "List items"}}
        },
        "components": {"securitySchemes": {
            "oauth": {"type": "oauth2", "flows": {"authorizationCode": {
                "authorizationUrl": format!("{platform}/authorize"),
                "tokenUrl": format!("{platform}/token"),
                "scopes": {"items:read": "Read items", "items:write": "Write items"}
            }}},
            "key": {"type": "apiKey", "in": "header", "name": "X-Widget-Key"},
            "basicAuth": {"type": "http", "scheme": "basic"}
        }}
    })
}

fn gadget() -> Value {
    json!({
        "openapi": "3.1.0",
        "info": {"title": "Gadget", "version": "1", "x-alloy-id": "gadget"},
        "servers": [{"url": "https://api.gadget.test"}],
        "security": [{"key": []}],
        "paths": {"/things": {"get": {"operationId": "things_list", "summary": "Things"}}},
        "components": {"securitySchemes": {"key": {"type": "apiKey", "in": "query", "name": "key"}}}
    })
}

async fn fixture() -> Fixture {
    let platform = RecordingServer::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let widget = dir.path().join("widget.json");
    std::fs::write(&widget, document(&platform.url()).to_string()).unwrap();
    let gadget_path = dir.path().join("gadget.json");
    std::fs::write(&gadget_path, gadget().to_string()).unwrap();
    let (registry, errors) = Registry::load(false, &[widget, gadget_path]);
    assert!(errors.is_empty(), "{errors:?}");
    let executor = Executor::new(ExecutorConfig {
        base_url_overrides: HashMap::from([
            ("widget".to_owned(), platform.url()),
            ("gadget".to_owned(), platform.url()),
        ]),
        max_retries: 0,
        upstream_allow: vec!["127.0.0.0/8".parse().unwrap()],
        ..ExecutorConfig::default()
    })
    .unwrap();
    let db = TestDatabase::sqlite().await;
    for account in ["acct-a", "acct-b"] {
        db.db.accounts().create(account, account).await.unwrap();
    }
    let gateway = Gateway::new(
        db.db.clone(),
        GatewayConfig::new("http://gateway.test", vec![7u8; 32]),
        registry,
        executor,
    );
    Fixture {
        gateway,
        platform,
        _db: db,
        _dir: dir,
    }
}

fn caller(account: &str, user: &str) -> Caller {
    Caller {
        account_id: account.to_owned(),
        user_id: user.to_owned(),
        principal: Principal::ApiKey {
            key_id: format!("key-{account}"),
        },
    }
}

fn request(auth_type: &str, fields: Value) -> NewCredentialRequest {
    NewCredentialRequest {
        connector_id: "widget".to_owned(),
        authentication_type: auth_type.to_owned(),
        fields: fields.as_object().cloned().unwrap_or_default(),
        redirect_uri: None,
    }
}

fn api_error(result: Result<impl std::fmt::Debug, Error>) -> ApiError {
    match result {
        Err(Error::Api(e)) => e,
        other => panic!("expected an API error, got {other:?}"),
    }
}

/// The platform accepts only `good-key` on `/me`.
fn key_checking_platform(platform: &RecordingServer) {
    platform.set_handler(|r: &RecordedRequest| {
        if r.header("x-widget-key") == Some("good-key") {
            Reply::json(200, &json!({"id": "u1"}))
        } else {
            Reply::json(401, &json!({"message": "bad key"}))
        }
    });
}

#[tokio::test]
async fn metadata_lists_types_and_fields() {
    let f = fixture().await;
    let svc = f.gateway.credentials();
    let m = svc.metadata("widget").unwrap();
    let types: Vec<&str> = m["authenticationTypes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["type"].as_str().unwrap())
        .collect();
    assert_eq!(types, ["oauth2", "apiKey", "basic"]);
    let api_key = &m["authenticationTypes"][1];
    assert_eq!(api_key["fields"][0]["name"], "apiKey");
    assert_eq!(api_key["fields"][0]["required"], true);
    assert_eq!(api_key["fields"][0]["secret"], true);
    assert!(
        api_key["instructions"]
            .as_str()
            .unwrap()
            .contains("create_credential_alloy")
    );
    assert_eq!(
        m["authenticationTypes"][0]["oauth"]["authorizationUrl"],
        json!(format!("{}/authorize", f.platform.url()))
    );
    assert_eq!(m["verifiedWith"], "whoami");
    assert_eq!(
        api_error(svc.metadata("nope")).code,
        ErrorCode::ConnectorNotFound
    );
}

#[tokio::test]
async fn key_credentials_are_checked_stored_and_never_shown() {
    let f = fixture().await;
    key_checking_platform(&f.platform);
    let svc = f.gateway.credentials();
    let alice = caller("acct-a", "alice");

    let e = api_error(
        svc.create(&alice, request("apiKey", json!({"apiKey": "wrong-key"})))
            .await,
    );
    assert_eq!(e.code, ErrorCode::CredentialInvalid);
    assert!(e.message.contains("rejected"), "{}", e.message);
    assert!(e.message.contains("401"), "{}", e.message);
    assert!(!e.to_json().to_string().contains("wrong-key"));
    let sent = f.platform.requests();
    assert_eq!(sent.len(), 1, "verified exactly once");
    assert_eq!(sent[0].method, "GET");
    assert_eq!(sent[0].path, "/me");
    assert_eq!(sent[0].header("x-widget-key"), Some("wrong-key"));
    assert_eq!(
        svc.list(&alice, None).await.unwrap()["total"],
        0,
        "nothing stored"
    );

    let created = svc
        .create(&alice, request("apiKey", json!({"apiKey": "  good-key  "})))
        .await
        .unwrap();
    let id = created["credentialId"].as_str().unwrap().to_owned();
    assert!(alloy_domain::ids::is_credential_id(&id) && id.len() == 24);
    assert_eq!(created["verified"], true);
    assert_eq!(created["type"], "apiKey");
    assert_eq!(created["status"], "active");
    assert!(!created.to_string().contains("good-key"));
    assert_eq!(
        f.platform.requests()[1].header("x-widget-key"),
        Some("good-key"),
        "trimmed"
    );

    let listed = svc.list(&alice, Some("widget")).await.unwrap();
    assert_eq!(listed["count"], 1);
    assert_eq!(listed["credentials"][0]["credentialId"], json!(id));
    assert!(!listed.to_string().contains("good-key"));
    assert_eq!(
        svc.get(&alice, &id.to_uppercase()).await.unwrap()["credentialId"],
        json!(id)
    );

    // An outage does not lose the credential; it is stored unverified.
    f.platform.set_handler(|_| Reply::json(503, &json!({})));
    let unchecked = svc
        .create(
            &alice,
            request("basic", json!({"username": "u", "password": "p"})),
        )
        .await
        .unwrap();
    assert_eq!(unchecked["verified"], false);
    assert!(
        unchecked["message"]
            .as_str()
            .unwrap()
            .contains("UPSTREAM_ERROR")
    );
}

#[tokio::test]
async fn fields_and_types_are_validated() {
    let f = fixture().await;
    let svc = f.gateway.credentials();
    let alice = caller("acct-a", "alice");
    let e = api_error(svc.create(&alice, request("apiKey", json!({}))).await);
    assert_eq!(e.code, ErrorCode::MissingRequiredField);
    assert_eq!(e.details.as_ref().unwrap()["field"], "fields.apiKey");
    let e = api_error(
        svc.create(&alice, request("basic", json!({"username": "u"})))
            .await,
    );
    assert_eq!(e.details.as_ref().unwrap()["field"], "fields.password");
    let e = api_error(
        svc.create(
            &alice,
            request("apiKey", json!({"apiKey": "k", "api_key": "k"})),
        )
        .await,
    );
    assert_eq!(e.code, ErrorCode::ValidationError);
    assert_eq!(e.message, "Validation failed");
    let said = e.details.as_ref().unwrap()["message"].as_str().unwrap();
    assert!(said.contains("expected fields: apiKey"), "{said}");
    let e = api_error(
        svc.create(&alice, request("bearer", json!({"token": "t"})))
            .await,
    );
    assert_eq!(e.code, ErrorCode::InvalidEnumValue);
    assert_eq!(
        e.details.as_ref().unwrap()["value"],
        json!(["oauth2", "apiKey", "basic"])
    );
    let e = api_error(svc.create(&alice, request("password", json!({}))).await);
    assert_eq!(e.code, ErrorCode::InvalidEnumValue);
    let e = api_error(
        svc.create(&alice, request("apiKey", json!({"apiKey": ["k"]})))
            .await,
    );
    assert_eq!(e.code, ErrorCode::InvalidFormat);
    let e = api_error(
        svc.create(&alice, request("apiKey", json!({"apiKey": "a\nb"})))
            .await,
    );
    assert_eq!(e.code, ErrorCode::InvalidFormat);
    let mut other = request("apiKey", json!({"apiKey": "k"}));
    other.connector_id = "missing".into();
    assert_eq!(
        api_error(svc.create(&alice, other).await).code,
        ErrorCode::ConnectorNotFound
    );
    assert!(
        f.platform.requests().is_empty(),
        "nothing was sent for invalid input"
    );
}

#[tokio::test]
async fn choice_rules_and_isolation() {
    let f = fixture().await;
    key_checking_platform(&f.platform);
    let svc = f.gateway.credentials();
    let alice = caller("acct-a", "alice");
    let first = svc
        .create(&alice, request("apiKey", json!({"apiKey": "good-key"})))
        .await
        .unwrap()["credentialId"]
        .as_str()
        .unwrap()
        .to_owned();
    tokio::time::sleep(Duration::from_millis(5)).await;
    let second = svc
        .create(
            &alice,
            request("basic", json!({"username": "u", "password": "p"})),
        )
        .await
        .map(|v| v["credentialId"].as_str().unwrap().to_owned());
    // /me refuses basic credentials in this stand-in, so the basic one is refused at creation.
    assert!(second.is_err());
    let second = svc
        .create(&alice, request("apiKey", json!({"apiKey": "good-key"})))
        .await
        .unwrap()["credentialId"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut g = request("apiKey", json!({"apiKey": "gadget-key"}));
    g.connector_id = "gadget".into();
    let gadget_id = svc.create(&alice, g).await.unwrap()["credentialId"]
        .as_str()
        .unwrap()
        .to_owned();

    // Newest by default, the named one when named.
    let r = svc.resolve(&alice, "widget", None).await.unwrap();
    assert_eq!(r.credential_id, second);
    assert_eq!(r.material.field("apiKey"), Some("good-key"));
    assert_eq!(
        svc.resolve(&alice, "widget", Some(&first))
            .await
            .unwrap()
            .credential_id,
        first
    );
    let e = api_error(svc.resolve(&alice, "widget", Some(&gadget_id)).await);
    assert_eq!(e.code, ErrorCode::ValidationError);
    assert_eq!(e.details.as_ref().unwrap()["field"], "credentialId");
    assert!(
        e.details.as_ref().unwrap()["message"]
            .as_str()
            .unwrap()
            .contains("belongs to connector 'gadget'")
    );
    let e = api_error(svc.resolve(&alice, "widget", Some("cred_abc123")).await);
    assert_eq!(e.code, ErrorCode::InvalidFormat);

    // Another user of the account, and the same user ID in another account, see nothing.
    for stranger in [caller("acct-a", "bob"), caller("acct-b", "alice")] {
        let e = api_error(svc.resolve(&stranger, "widget", Some(&first)).await);
        assert_eq!(e.code, ErrorCode::CredentialNotFound);
        assert_eq!(e.http_status(), 400);
        let e = api_error(svc.resolve(&stranger, "widget", None).await);
        assert_eq!(e.code, ErrorCode::CredentialNotFound);
        assert!(
            e.message.contains("create_credential_alloy"),
            "{}",
            e.message
        );
        assert_eq!(svc.list(&stranger, None).await.unwrap()["total"], 0);
        assert_eq!(
            api_error(svc.get(&stranger, &first).await).code,
            ErrorCode::CredentialNotFound
        );
        assert_eq!(
            api_error(svc.delete(&stranger, &first).await).code,
            ErrorCode::CredentialNotFound
        );
        assert_eq!(
            api_error(svc.refresh_after_unauthorized(&stranger, &first).await).code,
            ErrorCode::CredentialNotFound
        );
    }

    // A 401 on a key-like credential asks for a new one, without refreshing anything.
    let e = api_error(svc.refresh_after_unauthorized(&alice, &second).await);
    assert_eq!(e.code, ErrorCode::CredentialInvalid);
    assert!(e.message.contains("create_credential_alloy"));

    assert_eq!(
        svc.delete(&alice, &second).await.unwrap()["credentialId"],
        json!(second)
    );
    assert_eq!(
        svc.resolve(&alice, "widget", None)
            .await
            .unwrap()
            .credential_id,
        first
    );
    let removed = svc.delete_user_data(&alice, "alice").await.unwrap();
    assert_eq!(removed["credentialsDeleted"], 2);
    assert_eq!(
        api_error(svc.resolve(&alice, "widget", None).await).code,
        ErrorCode::CredentialNotFound
    );
    let token_caller = Caller {
        principal: Principal::UserToken {
            key_id: "k".into(),
            token_id: "t".into(),
        },
        ..caller("acct-a", "carol")
    };
    assert_eq!(
        api_error(svc.delete_user_data(&token_caller, "alice").await).code,
        ErrorCode::Forbidden
    );
    assert_eq!(
        api_error(
            f.gateway
                .credentials()
                .oauth_apps()
                .list(&token_caller)
                .await
        )
        .code,
        ErrorCode::Forbidden
    );
}

fn query_of(url: &str) -> HashMap<String, String> {
    url::Url::parse(url)
        .unwrap()
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

fn form_of(r: &RecordedRequest) -> HashMap<String, String> {
    r.form_pairs().into_iter().collect()
}

async fn register_app(gateway: &Gateway, account: &str) {
    gateway
        .credentials()
        .oauth_apps()
        .put(
            &caller(account, "admin"),
            "widget",
            &json!({"clientId": "widget-client", "clientSecret": "widget-secret"}),
        )
        .await
        .unwrap();
}

/// A token endpoint that grants `at-1`/`rt-1` (expiring in 30 s, inside the refresh margin)
/// for the code `good-code`, then rotates `rt-N` into `at-(N+1)`/`rt-(N+1)` unless revoked.
fn token_endpoint(
    platform: &RecordingServer,
    refreshes: Arc<AtomicUsize>,
    revoked: Arc<AtomicUsize>,
) {
    platform.set_handler(move |r: &RecordedRequest| {
        let form: HashMap<String, String> = r.form_pairs().into_iter().collect();
        match form.get("grant_type").map(String::as_str) {
            Some("authorization_code") if form.get("code").map(String::as_str) == Some("good-code") => {
                Reply::json(200, &json!({"access_token": "at-1", "refresh_token": "rt-1", "expires_in": 30, "token_type": "Bearer", "scope": "items:read"}))
            }
            Some("refresh_token") if revoked.load(Ordering::SeqCst) == 0 => {
                let n = refreshes.fetch_add(1, Ordering::SeqCst) + 1;
                if form.get("refresh_token") != Some(&format!("rt-{n}")) {
                    return Reply::json(400, &json!({"error": "invalid_grant"}));
                }
                Reply::json(200, &json!({"access_token": format!("at-{}", n + 1), "refresh_token": format!("rt-{}", n + 1), "expires_in": 3600}))
                    .delayed(Duration::from_millis(150))
            }
            _ => Reply::json(400, &json!({"error": "invalid_grant", "error_description": "grant request is invalid"})),
        }
    });
}

#[tokio::test]
async fn oauth_flow_exchange_refresh_and_reauthorization() {
    let f = fixture().await;
    let svc = f.gateway.credentials();
    let alice = caller("acct-a", "alice");
    let mut req = request("oauth2", json!({}));
    req.redirect_uri = Some("https://app.example/done?tab=1".into());

    // Without an OAuth app the agent is told what the operator must do.
    let e = api_error(svc.create(&alice, req.clone()).await);
    assert_eq!(e.code, ErrorCode::InvalidRequest);
    assert!(
        e.message.contains("/api/oauth-apps/widget"),
        "{}",
        e.message
    );
    register_app(&f.gateway, "acct-a").await;

    let started = svc.create(&alice, req.clone()).await.unwrap();
    assert_eq!(started["status"], "pending_authorization");
    let url = started["authorizationUrl"].as_str().unwrap();
    assert!(url.starts_with(&format!("{}/authorize?", f.platform.url())));
    let q = query_of(url);
    assert_eq!(q["response_type"], "code");
    assert_eq!(q["client_id"], "widget-client");
    assert_eq!(q["redirect_uri"], "http://gateway.test/oauth/callback");
    assert_eq!(q["scope"], "items:read items:write");
    assert_eq!(q["code_challenge_method"], "S256");
    assert_eq!(q["state"], started["state"].as_str().unwrap());
    assert!(!url.contains("widget-secret"));
    let state = q["state"].clone();

    let refreshes = Arc::new(AtomicUsize::new(0));
    let revoked = Arc::new(AtomicUsize::new(0));
    token_endpoint(&f.platform, refreshes.clone(), revoked.clone());

    let outcome = svc
        .oauth_callback(&[
            ("code".into(), "good-code".into()),
            ("state".into(), state.clone()),
        ])
        .await;
    let CallbackOutcome::Redirect { location } = outcome else {
        panic!("expected a redirect, got {outcome:?}");
    };
    let back = query_of(&location);
    assert!(
        location.starts_with("https://app.example/done?tab=1&"),
        "{location}"
    );
    let id = back["credentialId"].clone();
    assert_eq!(back["connectorId"], "widget");
    let exchange = &f.platform.requests()[0];
    assert_eq!(exchange.method, "POST");
    assert_eq!(exchange.path, "/token");
    let form = form_of(exchange);
    assert_eq!(form["grant_type"], "authorization_code");
    assert_eq!(form["code"], "good-code");
    assert_eq!(form["redirect_uri"], "http://gateway.test/oauth/callback");
    assert_eq!(form["client_id"], "widget-client");
    assert_eq!(form["client_secret"], "widget-secret");
    assert_eq!(
        oauth::pkce_challenge(&form["code_verifier"]),
        q["code_challenge"],
        "PKCE"
    );

    // The state is single use.
    let again = svc
        .oauth_callback(&[("code".into(), "good-code".into()), ("state".into(), state)])
        .await;
    assert!(
        matches!(again, CallbackOutcome::Page { status: 400, ref message } if message.contains("already been used"))
    );

    // The token expires within the margin: the first use refreshes it.
    let listed = svc.list(&alice, Some("widget")).await.unwrap();
    assert_eq!(listed["credentials"][0]["credentialId"], json!(id));
    assert!(listed["credentials"][0]["expiresAt"].is_string());
    assert!(!listed.to_string().contains("at-1") && !listed.to_string().contains("rt-1"));
    let r = svc.resolve(&alice, "widget", None).await.unwrap();
    assert_eq!(r.material.field("accessToken"), Some("at-2"));
    assert_eq!(
        r.material.field("refreshToken"),
        None,
        "refresh token stays inside"
    );
    let refresh = &f.platform.requests()[1];
    let form = form_of(refresh);
    assert_eq!(form["grant_type"], "refresh_token");
    assert_eq!(form["refresh_token"], "rt-1");
    assert_eq!(form["client_secret"], "widget-secret");
    // Fresh now: no further refresh.
    let r = svc.resolve(&alice, "widget", Some(&id)).await.unwrap();
    assert_eq!(r.material.field("accessToken"), Some("at-2"));
    assert_eq!(refreshes.load(Ordering::SeqCst), 1);

    // A 401 right after a refresh reuses it; an older refresh is repeated once.
    let m = svc.refresh_after_unauthorized(&alice, &id).await.unwrap();
    assert_eq!(m.field("accessToken"), Some("at-2"));
    assert_eq!(refreshes.load(Ordering::SeqCst), 1);

    // A refused refresh marks the credential, and the agent is told to re-authorize.
    revoked.store(1, Ordering::SeqCst);
    f.gateway
        .db()
        .credentials()
        .replace_secret(
            &id,
            f.gateway
                .db()
                .credentials()
                .get("acct-a", "alice", &id)
                .await
                .unwrap()
                .unwrap()
                .version,
            alloy_storage::RefreshedSecret {
                secret: SecretFields(
                    [("accessToken", "at-2"), ("refreshToken", "rt-2")]
                        .into_iter()
                        .map(|(k, v)| (k.to_owned(), v.to_owned()))
                        .collect(),
                ),
                refreshable: true,
                expires_at: Some(Utc::now() + chrono::Duration::hours(1)),
            },
        )
        .await
        .unwrap();
    // The stored refresh just happened, so make it look older than the reuse window.
    tokio::time::sleep(RECENT_REFRESH + Duration::from_millis(100)).await;
    let e = api_error(svc.refresh_after_unauthorized(&alice, &id).await);
    assert_eq!(e.code, ErrorCode::CredentialInvalid);
    assert!(e.message.contains("re-authorization"), "{}", e.message);
    assert!(e.message.contains("create_credential_alloy"));
    assert!(e.message.contains("invalid_grant"));
    assert_eq!(
        svc.list(&alice, None).await.unwrap()["credentials"][0]["status"],
        "needs_reauthorization"
    );
    let e = api_error(svc.resolve(&alice, "widget", Some(&id)).await);
    assert_eq!(e.code, ErrorCode::CredentialInvalid);
    let e = api_error(svc.resolve(&alice, "widget", None).await);
    assert_eq!(
        e.code,
        ErrorCode::CredentialNotFound,
        "not offered as the default"
    );
}

#[tokio::test]
async fn concurrent_uses_refresh_once() {
    let f = fixture().await;
    register_app(&f.gateway, "acct-a").await;
    let svc = f.gateway.credentials().clone();
    let alice = caller("acct-a", "alice");
    let started = svc
        .create(&alice, request("oauth2", json!({})))
        .await
        .unwrap();
    let refreshes = Arc::new(AtomicUsize::new(0));
    token_endpoint(
        &f.platform,
        refreshes.clone(),
        Arc::new(AtomicUsize::new(0)),
    );
    let outcome = svc
        .oauth_callback(&[
            (
                "state".into(),
                started["state"].as_str().unwrap().to_owned(),
            ),
            ("code".into(), "good-code".into()),
        ])
        .await;
    let CallbackOutcome::Page {
        status: 200,
        message,
    } = outcome
    else {
        panic!("expected the plain success page, got {outcome:?}");
    };
    assert!(message.contains("Authorization complete"));
    let mut tasks = Vec::new();
    for _ in 0..6 {
        let svc = svc.clone();
        let alice = alice.clone();
        tasks.push(tokio::spawn(async move {
            svc.resolve(&alice, "widget", None).await.unwrap().material
        }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap().field("accessToken"), Some("at-2"));
    }
    assert_eq!(
        refreshes.load(Ordering::SeqCst),
        1,
        "one refresh for six uses"
    );
}

#[tokio::test]
async fn callback_failures() {
    let f = fixture().await;
    register_app(&f.gateway, "acct-a").await;
    let svc = f.gateway.credentials();
    let alice = caller("acct-a", "alice");
    token_endpoint(
        &f.platform,
        Arc::new(AtomicUsize::new(0)),
        Arc::new(AtomicUsize::new(0)),
    );

    // No state, an unknown state.
    assert!(matches!(
        svc.oauth_callback(&[]).await,
        CallbackOutcome::Page { status: 400, .. }
    ));
    assert!(matches!(
        svc.oauth_callback(&[
            ("state".into(), "forged".into()),
            ("code".into(), "good-code".into())
        ])
        .await,
        CallbackOutcome::Page { status: 400, .. }
    ));

    // The user refused: back to the redirect URI with the error.
    let mut req = request("oauth2", json!({}));
    req.redirect_uri = Some("https://app.example/done".into());
    let started = svc.create(&alice, req.clone()).await.unwrap();
    let state = started["state"].as_str().unwrap().to_owned();
    let CallbackOutcome::Redirect { location } = svc
        .oauth_callback(&[
            ("state".into(), state),
            ("error".into(), "access_denied".into()),
        ])
        .await
    else {
        panic!("expected a redirect");
    };
    assert_eq!(query_of(&location)["error"], "access_denied");

    // A bad code: the token endpoint refuses, nothing is stored.
    let started = svc.create(&alice, req.clone()).await.unwrap();
    let CallbackOutcome::Redirect { location } = svc
        .oauth_callback(&[
            (
                "state".into(),
                started["state"].as_str().unwrap().to_owned(),
            ),
            ("code".into(), "stolen-code".into()),
        ])
        .await
    else {
        panic!("expected a redirect");
    };
    let q = query_of(&location);
    assert_eq!(q["error"], "token_exchange_failed");
    assert!(q["error_description"].contains("invalid_grant"));
    assert_eq!(svc.list(&alice, None).await.unwrap()["total"], 0);

    // An expired state.
    f.gateway
        .db()
        .oauth_states()
        .insert(alloy_storage::NewOAuthState {
            state: "old-state".into(),
            account_id: "acct-a".into(),
            user_id: "alice".into(),
            connector_id: "widget".into(),
            redirect_uri: None,
            payload: json!({"codeVerifier": "v", "fields": {}}),
            expires_at: Utc::now() - chrono::Duration::seconds(1),
        })
        .await
        .unwrap();
    let outcome = svc
        .oauth_callback(&[
            ("state".into(), "old-state".into()),
            ("code".into(), "good-code".into()),
        ])
        .await;
    assert!(
        matches!(&outcome, CallbackOutcome::Page { status: 400, message } if message.contains("expired")),
        "{outcome:?}"
    );

    // Bad redirect URIs are refused up front.
    for bad in [
        "javascript:alert(1)",
        "/relative",
        "https://app.example/#frag",
    ] {
        let mut req = request("oauth2", json!({}));
        req.redirect_uri = Some(bad.into());
        assert_eq!(
            api_error(svc.create(&alice, req).await).code,
            ErrorCode::InvalidFormat
        );
    }
}

#[tokio::test]
async fn oauth_apps_are_managed_with_an_api_key() {
    let f = fixture().await;
    let apps = f.gateway.credentials().oauth_apps();
    let admin = caller("acct-a", "admin");
    let e = api_error(
        apps.put(&admin, "widget", &json!({"clientSecret": "s"}))
            .await,
    );
    assert_eq!(e.code, ErrorCode::MissingRequiredField);
    // `null` is a value of the wrong type for every field, never "absent".
    for field in [
        "clientId",
        "clientSecret",
        "scopes",
        "scopeSeparator",
        "tokenAuthMethod",
        "authorizationParams",
    ] {
        let mut body = json!({"clientId": "c", "clientSecret": "s"});
        body[field] = Value::Null;
        let e = api_error(apps.put(&admin, "widget", &body).await);
        assert_eq!(e.code, ErrorCode::InvalidFormat, "{field}: {e:?}");
        let details = e.details.as_ref().expect("details");
        assert_eq!(details["field"], field);
        assert_eq!(details["constraint"], "type");
    }
    let e = api_error(
        apps.put(
            &admin,
            "gadget",
            &json!({"clientId": "c", "clientSecret": "s"}),
        )
        .await,
    );
    assert_eq!(e.code, ErrorCode::InvalidRequest, "gadget has no OAuth 2.0");
    let e = api_error(
        apps.put(
            &admin,
            "widget",
            &json!({"clientId": "c", "clientSecret": "s", "authorizationParams": {"state": "x"}}),
        )
        .await,
    );
    assert_eq!(e.code, ErrorCode::ValidationError);
    let v = apps
        .put(
            &admin,
            "widget",
            &json!({"clientId": "c", "clientSecret": "very-secret", "scopes": ["items:read"], "tokenAuthMethod": "client_secret_basic", "authorizationParams": {"prompt": "consent"}}),
        )
        .await
        .unwrap();
    assert_eq!(v["hasClientSecret"], true);
    assert_eq!(v["callbackUrl"], "http://gateway.test/oauth/callback");
    assert!(!v.to_string().contains("very-secret"));
    let listed = apps.list(&admin).await.unwrap();
    assert_eq!(listed["count"], 1);
    assert!(!listed.to_string().contains("very-secret"));
    assert_eq!(
        api_error(apps.get(&caller("acct-b", "admin"), "widget").await).code,
        ErrorCode::NotFound
    );

    // The app's settings shape the flow: its scopes, its extra parameters, basic client auth.
    let svc = f.gateway.credentials();
    let started = svc
        .create(&caller("acct-a", "alice"), request("oauth2", json!({})))
        .await
        .unwrap();
    let q = query_of(started["authorizationUrl"].as_str().unwrap());
    assert_eq!(q["scope"], "items:read");
    assert_eq!(q["prompt"], "consent");
    token_endpoint(
        &f.platform,
        Arc::new(AtomicUsize::new(0)),
        Arc::new(AtomicUsize::new(0)),
    );
    svc.oauth_callback(&[
        ("state".into(), q["state"].clone()),
        ("code".into(), "good-code".into()),
    ])
    .await;
    let exchange = &f.platform.requests()[0];
    let form = form_of(exchange);
    assert!(!form.contains_key("client_secret"));
    use base64::Engine;
    let expected = base64::engine::general_purpose::STANDARD.encode("c:very-secret");
    assert_eq!(
        exchange.header("authorization"),
        Some(format!("Basic {expected}").as_str())
    );

    assert_eq!(
        apps.delete(&admin, "widget").await.unwrap()["connectorId"],
        "widget"
    );
    assert_eq!(
        api_error(apps.delete(&admin, "widget").await).code,
        ErrorCode::NotFound
    );
}
