//! Credentials over HTTP: metadata, creation of every key-like type (checked once against a
//! stand-in platform), listing without secrets, isolation between users and accounts, user
//! data deletion, secrets sealed in the database file, tampering, and key rotation.

use std::path::{Path, PathBuf};

use alloy_connectors::testing::{RecordedRequest, RecordingServer, Reply};
use alloy_gateway::{Caller, Gateway, GatewayConfig, Principal};
use alloy_mcp_server::keys::{BOOTSTRAP_ACCOUNT, BOOTSTRAP_USER};
use alloy_mcp_server::startup;
use base64::Engine;
use reqwest::Method;
use serde_json::{Value, json};

use crate::support::*;

/// An operator document for a stand-in platform accepting every credential type; its OAuth
/// endpoints are at `oauth_base`.
pub fn widget_document(oauth_base: &str) -> Value {
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Widget", "version": "1", "description": "Stand-in platform",
            "x-alloy-id": "widget", "x-alloy-category": "productivity",
            "x-alloy-verify": "whoami"
        },
        "servers": [{"url": "https://api.widget.test/v1"}],
        "security": [{"oauth": []}, {"key": []}, {"token": []}, {"basicAuth": []}],
        "paths": {
            "/me": {"get": {"operationId": "whoami", "tags": ["users"], "summary": "Who am I"}}
        },
        "components": {"securitySchemes": {
            "oauth": {"type": "oauth2", "flows": {"authorizationCode": {
                "authorizationUrl": format!("{oauth_base}/authorize"),
                "tokenUrl": format!("{oauth_base}/token"),
                "scopes": {"read": "Read"}
            }}},
            "key": {"type": "apiKey", "in": "header", "name": "X-Widget-Key"},
            "token": {"type": "http", "scheme": "bearer"},
            "basicAuth": {"type": "http", "scheme": "basic"}
        }}
    })
}

/// Writes `doc` as `<dir>/<name>.json` and answers its path.
pub fn write_document(dir: &Path, name: &str, doc: &Value) -> PathBuf {
    let path = dir.join(format!("{name}.json"));
    std::fs::write(&path, doc.to_string()).expect("write connector document");
    path
}

/// A gateway over the data directory of a test server (same database and key): what the MCP
/// tools would use to choose and refresh credentials, and a way to create API keys in other
/// accounts.
pub async fn side_gateway(data_dir: &Path, args: &[&str]) -> Gateway {
    let (store, serve) = settings(data_dir, args);
    let db = startup::open_database(&store).await.expect("open database");
    let (registry, executor) = startup::connectors(&serve, &db).await.expect("connectors");
    Gateway::new(
        db,
        GatewayConfig::new("http://side.test", vec![9u8; 32]),
        registry,
        executor,
    )
}

/// The bootstrap key's caller (account `default`, user `default`), or another user of it.
pub fn bootstrap_caller(user: &str) -> Caller {
    Caller {
        account_id: BOOTSTRAP_ACCOUNT.to_owned(),
        user_id: user.to_owned(),
        principal: Principal::ApiKey {
            key_id: "side".to_owned(),
        },
    }
}

/// Every file of the SQLite database (main file, WAL, shared memory) as bytes.
pub fn database_bytes(data_dir: &Path) -> Vec<u8> {
    let mut all = Vec::new();
    for entry in std::fs::read_dir(data_dir).expect("data dir") {
        let path = entry.expect("entry").path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if name.starts_with("alloy.db") {
            all.extend(std::fs::read(&path).expect("read database file"));
        }
    }
    assert!(
        !all.is_empty(),
        "no database file in {}",
        data_dir.display()
    );
    all
}

/// Asserts that none of `secrets` occurs in the database files, in plain or base64 form.
#[track_caller]
pub fn assert_sealed(data_dir: &Path, secrets: &[&str]) {
    let bytes = database_bytes(data_dir);
    let contains = |needle: &[u8]| bytes.windows(needle.len()).any(|w| w == needle);
    for secret in secrets {
        assert!(
            !contains(secret.as_bytes()),
            "`{secret}` is in the database file"
        );
        let b64 = base64::engine::general_purpose::STANDARD_NO_PAD.encode(secret);
        assert!(
            !contains(b64.as_bytes()),
            "base64 of `{secret}` is in the database file"
        );
    }
}

/// Sends a request and answers its status and JSON body.
pub async fn send(req: reqwest::RequestBuilder) -> (u16, Value) {
    status_json(req.send().await.expect("request sent")).await
}

/// Asserts an error answer: status, code and a message.
#[track_caller]
pub fn assert_error((status, body): &(u16, Value), expected: u16, code: &str) {
    assert_eq!(*status, expected, "status of {body}");
    assert_eq!(body["error"]["code"], code, "code of {body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty())
    );
}

struct Widget {
    server: TestServer,
    platform: RecordingServer,
    args: Vec<String>,
    _docs: tempfile::TempDir,
}

impl Widget {
    async fn start(extra: &[&str]) -> Self {
        let platform = RecordingServer::start().await.unwrap();
        platform.set_handler(|r: &RecordedRequest| {
            let key_ok = r
                .header("x-widget-key")
                .is_some_and(|k| k.starts_with("wk_good"));
            let bearer_ok = r
                .header("authorization")
                .is_some_and(|a| a.starts_with("Bearer wt_good") || a.starts_with("Basic "));
            if key_ok || bearer_ok {
                Reply::json(200, &json!({"id": "u1"}))
            } else {
                Reply::json(401, &json!({"message": "invalid credentials"}))
            }
        });
        let docs = tempfile::tempdir().unwrap();
        let path = write_document(docs.path(), "widget", &widget_document(&platform.url()));
        let mut args: Vec<String> = vec![
            "--connectors-path".into(),
            path.display().to_string(),
            "--connector-base-urls".into(),
            format!("widget={}", platform.url()),
        ];
        args.extend(extra.iter().map(|s| (*s).to_owned()));
        let argv: Vec<&str> = args.iter().map(String::as_str).collect();
        let server = TestServer::start_with(&argv).await;
        Widget {
            server,
            platform,
            args,
            _docs: docs,
        }
    }

    fn argv(&self) -> Vec<&str> {
        self.args.iter().map(String::as_str).collect()
    }

    async fn create(&self, auth_type: &str, fields: Value) -> (u16, Value) {
        send(self.server.request(Method::POST, "/api/credentials").json(
            &json!({"connectorId": "widget", "authenticationType": auth_type, "fields": fields}),
        ))
        .await
    }
}

#[tokio::test]
async fn rest_api_isolation_and_user_deletion() {
    let w = Widget::start(&[]).await;
    let s = &w.server;

    let (status, meta) =
        send(s.request(Method::GET, "/api/connectors/widget/credential-metadata")).await;
    assert_eq!(status, 200, "{meta}");
    let types: Vec<&str> = meta["authenticationTypes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["type"].as_str().unwrap())
        .collect();
    assert_eq!(types, ["oauth2", "apiKey", "bearer", "basic"]);
    let (status, body) =
        send(s.request(Method::GET, "/api/connectors/nope/credential-metadata")).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (404, Some("CONNECTOR_NOT_FOUND"))
    );

    // A wrong key is refused with a clear message, after one check at the platform.
    let (status, body) = w.create("apiKey", json!({"apiKey": "wk_bad_1"})).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["code"], "CREDENTIAL_INVALID");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("rejected")
    );
    assert!(!body.to_string().contains("wk_bad_1"));
    let checks = w.platform.requests();
    assert_eq!(checks.len(), 1);
    assert_eq!(
        (checks[0].method.as_str(), checks[0].path.as_str()),
        ("GET", "/me")
    );
    assert_eq!(checks[0].header("x-widget-key"), Some("wk_bad_1"));

    let (status, key) = w.create("apiKey", json!({"apiKey": "wk_good_2"})).await;
    assert_eq!(status, 201, "{key}");
    assert_eq!(key["verified"], true);
    let key_id = key["credentialId"].as_str().unwrap().to_owned();
    assert_eq!(key_id.len(), 24);
    let (status, bearer) = w.create("bearer", json!({"token": "wt_good_3"})).await;
    assert_eq!(status, 201, "{bearer}");
    let (status, basic) = w
        .create("basic", json!({"username": "ada", "password": "pw_4"}))
        .await;
    assert_eq!(status, 201, "{basic}");
    let r = send(s.request(Method::POST, "/api/credentials").json(&json!({"connectorId": "widget", "authenticationType": "basic", "fields": {"username": "ada"}}))).await;
    assert_eq!(r.0, 400);
    assert_eq!(r.1["error"]["code"], "MISSING_REQUIRED_FIELD");
    assert_eq!(r.1["error"]["details"]["field"], "fields.password");
    let r = send(
        s.request(Method::POST, "/api/credentials")
            .json(&json!({"authenticationType": "basic"})),
    )
    .await;
    assert_eq!(r.1["error"]["code"], "MISSING_REQUIRED_FIELD");

    let (status, list) = send(s.request(Method::GET, "/api/credentials")).await;
    assert_eq!(status, 200);
    assert_eq!(list["total"], 3);
    let text = list.to_string();
    for secret in ["wk_good_2", "wt_good_3", "pw_4"] {
        assert!(!text.contains(secret), "listing shows {secret}");
    }
    let first = &list["credentials"][0];
    assert_eq!(first["credentialId"], basic["credentialId"], "newest first");
    assert!(chrono::DateTime::parse_from_rfc3339(first["createdAt"].as_str().unwrap()).is_ok());
    let keys: Vec<&String> = first.as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        [
            "credentialId",
            "connectorId",
            "type",
            "status",
            "createdAt",
            "updatedAt",
            "expiresAt"
        ]
    );
    let (_, page) = send(s.request(
        Method::GET,
        "/api/credentials?connectorId=widget&limit=1&offset=1",
    ))
    .await;
    assert_eq!(
        (page["count"].as_u64(), page["hasMore"].as_bool()),
        (Some(1), Some(true))
    );
    assert_eq!(
        page["credentials"][0]["credentialId"],
        bearer["credentialId"]
    );
    let (status, one) = send(s.request(Method::GET, &format!("/api/credentials/{key_id}"))).await;
    assert_eq!((status, one["type"].as_str()), (200, Some("apiKey")));

    // Another user of the account and another account see and touch nothing.
    let side = side_gateway(&s.data_dir, &w.argv()).await;
    let other_account =
        alloy_mcp_server::keys::create(&side, "acct-2", BOOTSTRAP_USER, "test", None)
            .await
            .unwrap()
            .key;
    let as_bob = |m: Method, p: &str| s.request(m, p).header("x-alloy-userid", "bob");
    let as_other = |m: Method, p: &str| s.http.request(m, s.url(p)).bearer_auth(&other_account);
    for req in [
        &as_bob as &dyn Fn(Method, &str) -> reqwest::RequestBuilder,
        &as_other,
    ] {
        let (_, list) = send(req(Method::GET, "/api/credentials")).await;
        assert_eq!(list["total"], 0, "{list}");
        let r = send(req(Method::GET, &format!("/api/credentials/{key_id}"))).await;
        assert_error(&r, 404, "NOT_FOUND");
        assert_eq!(r.1["error"]["details"]["credentialId"], json!(key_id));
        let r = send(req(Method::DELETE, &format!("/api/credentials/{key_id}"))).await;
        assert_error(&r, 404, "NOT_FOUND");
    }
    for stranger in [
        bootstrap_caller("bob"),
        Caller {
            account_id: "acct-2".into(),
            ..bootstrap_caller(BOOTSTRAP_USER)
        },
    ] {
        let e = side
            .credentials()
            .resolve(&stranger, "widget", Some(&key_id))
            .await
            .unwrap_err();
        assert_eq!(e.to_api_error().code.as_str(), "CREDENTIAL_NOT_FOUND");
        let e = side
            .credentials()
            .resolve(&stranger, "widget", None)
            .await
            .unwrap_err();
        assert!(e.to_api_error().message.contains("create_credential_alloy"));
    }
    let owner = side
        .credentials()
        .resolve(&bootstrap_caller(BOOTSTRAP_USER), "widget", Some(&key_id))
        .await
        .unwrap();
    assert_eq!(owner.material.field("apiKey"), Some("wk_good_2"));

    let (status, body) =
        send(s.request(Method::DELETE, &format!("/api/credentials/{key_id}"))).await;
    assert_eq!(
        (status, body["message"].as_str()),
        (200, Some("Credential deleted"))
    );
    let r = send(s.request(Method::GET, &format!("/api/credentials/{key_id}"))).await;
    assert_error(&r, 404, "NOT_FOUND");
    let r = send(s.request(Method::GET, "/api/credentials/not-an-id")).await;
    assert_eq!(r.1["error"]["code"], "INVALID_FORMAT");

    // Deleting the user's data removes their credentials (and servers), nobody else's.
    s.create_server(json!({"name": "Mine"})).await;
    w.create("apiKey", json!({"apiKey": "wk_good_bob"})).await;
    let (status, body) =
        send(s.request(Method::DELETE, &format!("/api/users/{BOOTSTRAP_USER}"))).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["credentialsDeleted"], 3);
    assert_eq!(body["serversDeleted"], 1);
    let (_, list) = send(s.request(Method::GET, "/api/credentials")).await;
    assert_eq!(list["total"], 0);
}

#[tokio::test]
async fn no_secret_in_the_database_file_and_tampering_is_refused() {
    let mut w = Widget::start(&[]).await;
    let (_, created) = w
        .create("apiKey", json!({"apiKey": "wk_good_7f3a9c1e"}))
        .await;
    w.create("bearer", json!({"token": "wt_good_b81d44e2"}))
        .await;
    w.create(
        "basic",
        json!({"username": "ada", "password": "pw_5e0c7d2a91"}),
    )
    .await;
    let (status, app) = send(
        w.server
            .request(Method::PUT, "/api/oauth-apps/widget")
            .json(&json!({"clientId": "widget-client", "clientSecret": "cs_9a8b7c6d5e"})),
    )
    .await;
    assert_eq!(status, 200, "{app}");
    assert!(!app.to_string().contains("cs_9a8b7c6d5e"));
    let (status, pending) = send(
        w.server
            .request(Method::POST, "/api/credentials")
            .header("x-redirect-uri", "https://app.example/done")
            .json(&json!({"connectorId": "widget", "authenticationType": "oauth2"})),
    )
    .await;
    assert_eq!(status, 200, "{pending}");
    assert_eq!(
        pending["redirectUri"], "https://app.example/done",
        "x-redirect-uri is used"
    );
    let state = pending["state"].as_str().unwrap().to_owned();
    w.server.stop().await;
    assert_sealed(
        &w.server.data_dir,
        &[
            "wk_good_7f3a9c1e",
            "wt_good_b81d44e2",
            "pw_5e0c7d2a91",
            "cs_9a8b7c6d5e",
            &state,
            BOOTSTRAP_KEY,
        ],
    );

    // Flip one character inside every sealed value of the file: nothing opens any more.
    let key_file = std::fs::read_to_string(w.server.data_dir.join("encryption.key")).unwrap();
    let key = base64::engine::general_purpose::STANDARD
        .decode(key_file.trim())
        .unwrap();
    use sha2::Digest;
    let marker = format!("v1.{}.", hex::encode(&sha2::Sha256::digest(&key)[..4]));
    let db_path = w.server.data_dir.join("alloy.db");
    let mut bytes = std::fs::read(&db_path).unwrap();
    let mut flipped = 0;
    let mut i = 0;
    while let Some(pos) = bytes[i..]
        .windows(marker.len())
        .position(|w| w == marker.as_bytes())
    {
        let at = i + pos + marker.len() + 20;
        bytes[at] = if bytes[at] == b'A' { b'B' } else { b'A' };
        flipped += 1;
        i = at;
    }
    assert!(flipped >= 5, "found {flipped} sealed values");
    std::fs::write(&db_path, bytes).unwrap();
    let side = side_gateway(&w.server.data_dir, &w.argv()).await;
    let id = created["credentialId"].as_str().unwrap();
    let e = side
        .credentials()
        .resolve(&bootstrap_caller(BOOTSTRAP_USER), "widget", Some(id))
        .await
        .unwrap_err();
    assert!(
        matches!(
            e,
            alloy_gateway::Error::Storage(alloy_storage::Error::Corrupt(_))
        ),
        "{e}"
    );
    assert_eq!(
        e.to_api_error().code.as_str(),
        "INTERNAL_ERROR",
        "the cause is not revealed"
    );
}

#[tokio::test]
async fn key_rotation_keeps_every_credential_usable() {
    let b64 = |k: [u8; 32]| base64::engine::general_purpose::STANDARD.encode(k);
    let old = b64(alloy_storage::SecretBox::generate_key());
    let new = b64(alloy_storage::SecretBox::generate_key());
    let mut w = Widget::start(&["--encryption-key", &old]).await;
    let mut ids = Vec::new();
    for (t, f) in [
        ("apiKey", json!({"apiKey": "wk_good_rot"})),
        ("bearer", json!({"token": "wt_good_rot"})),
        ("basic", json!({"username": "u", "password": "pw_rot"})),
    ] {
        let (status, c) = w.create(t, f).await;
        assert_eq!(status, 201, "{c}");
        ids.push(c["credentialId"].as_str().unwrap().to_owned());
    }
    let server = w.server.create_server(json!({"name": "Rotating"})).await;
    send(
        w.server
            .request(Method::PUT, "/api/oauth-apps/widget")
            .json(&json!({"clientId": "c", "clientSecret": "cs_rot"})),
    )
    .await;
    w.server.stop().await;
    let data_dir = w.server.data_dir.clone();

    // The server runs with the new key first and the old one as previous during the rotation.
    let base: Vec<String> = w
        .args
        .iter()
        .filter(|a| **a != old && *a != "--encryption-key")
        .cloned()
        .collect();
    let ring_args: Vec<String> = base
        .iter()
        .cloned()
        .chain([
            "--encryption-key".into(),
            new.clone(),
            "--previous-encryption-keys".into(),
            old.clone(),
        ])
        .collect();
    let ring_argv: Vec<&str> = ring_args.iter().map(String::as_str).collect();
    let mut running = TestServer::start_in(&data_dir, &ring_argv).await;
    let (store, _) = settings(&data_dir, &ring_argv);
    let rotation = tokio::spawn(async move { alloy_mcp_server::rotation::rotate(&store).await });
    // Served throughout.
    for _ in 0..5 {
        let (status, list) = send(running.request(Method::GET, "/api/credentials")).await;
        assert_eq!((status, list["total"].as_u64()), (200, Some(3)));
    }
    let report = rotation.await.unwrap().unwrap();
    assert_eq!(report.credentials, 3);
    assert_eq!(report.server_tokens, 1);
    assert_eq!(report.oauth_apps, 1);
    running.stop().await;

    // The new key alone opens everything.
    let new_args: Vec<String> = base
        .iter()
        .cloned()
        .chain(["--encryption-key".into(), new.clone()])
        .collect();
    let new_argv: Vec<&str> = new_args.iter().map(String::as_str).collect();
    let s = TestServer::start_in(&data_dir, &new_argv).await;
    let side = side_gateway(&data_dir, &new_argv).await;
    let owner = bootstrap_caller(BOOTSTRAP_USER);
    let expect = [
        ("apiKey", "wk_good_rot"),
        ("token", "wt_good_rot"),
        ("password", "pw_rot"),
    ];
    for (id, (field, value)) in ids.iter().zip(expect) {
        let r = side
            .credentials()
            .resolve(&owner, "widget", Some(id))
            .await
            .unwrap();
        assert_eq!(r.material.field(field), Some(value));
    }
    let (status, got) = send(s.request(
        Method::GET,
        &format!("/api/servers/{}", server["serverId"].as_str().unwrap()),
    ))
    .await;
    assert_eq!(status, 200);
    let token_part = |v: &Value| {
        let url = v["accessUrl"].as_str().unwrap().to_owned();
        url[url.find("/mcp/").unwrap()..].to_owned()
    };
    assert_eq!(
        token_part(&got),
        token_part(&server),
        "the access token opens"
    );
    let app = side
        .db()
        .oauth_apps()
        .get(BOOTSTRAP_ACCOUNT, "widget")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(app.client_secret.as_deref(), Some("cs_rot"));

    // And the old key alone opens nothing.
    let old_args: Vec<String> = base
        .iter()
        .cloned()
        .chain(["--encryption-key".into(), old.clone()])
        .collect();
    let old_argv: Vec<&str> = old_args.iter().map(String::as_str).collect();
    let stale = side_gateway(&data_dir, &old_argv).await;
    assert!(
        stale
            .credentials()
            .resolve(&owner, "widget", Some(&ids[0]))
            .await
            .is_err()
    );

    // Without a previous key the command refuses to run.
    let (store, _) = settings(&data_dir, &new_argv);
    assert!(alloy_mcp_server::rotation::rotate(&store).await.is_err());
}

/// Credential and OAuth-app validation errors have the one shape of every validation error
/// (`Validation failed`, the sentence in `details.message`), and `null` is a type error as it is
/// for servers, not an absent field.
#[tokio::test]
async fn credential_validation_errors_have_the_one_shape() {
    let server = TestServer::start().await;
    let create = |body: Value| {
        let req = server.request(Method::POST, "/api/credentials").json(&body);
        async move { send(req).await }
    };
    assert_validation(
        &create(json!({"connectorId": null, "authenticationType": "bearer"})).await,
        "INVALID_FORMAT",
        "connectorId",
        "type",
        json!("string"),
    );
    assert_validation(
        &create(json!({"connectorId": "github", "authenticationType": "bearer", "fields": null}))
            .await,
        "INVALID_FORMAT",
        "fields",
        "type",
        json!("object"),
    );
    assert_validation(
        &create(
            json!({"connectorId": "github", "authenticationType": "bearer",
                       "fields": {"token": null}}),
        )
        .await,
        "INVALID_FORMAT",
        "fields.token",
        "type",
        json!("string"),
    );
    let resp =
        create(json!({"connectorId": "github", "authenticationType": "nope", "fields": {}})).await;
    assert_eq!(resp.0, 400, "{}", resp.1);
    assert_eq!(
        resp.1["error"]["message"], "Validation failed",
        "{}",
        resp.1
    );
    assert_eq!(resp.1["error"]["details"]["field"], "authenticationType");
    assert!(
        resp.1["error"]["details"]["message"]
            .as_str()
            .unwrap()
            .contains("accepts"),
        "{}",
        resp.1
    );
    let r = send(server.request(Method::GET, "/api/credentials/not-an-id")).await;
    assert_validation(
        &r,
        "INVALID_FORMAT",
        "credentialId",
        "pattern",
        json!("^[0-9a-f]{24}$"),
    );
    let r = send(
        server
            .request(Method::PUT, "/api/oauth-apps/github")
            .json(&json!({"clientId": 5, "clientSecret": "s"})),
    )
    .await;
    assert_validation(&r, "INVALID_FORMAT", "clientId", "type", json!("string"));
}
