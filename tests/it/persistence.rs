//! What survives a restart on the same data directory, and what the database file never holds.

use std::path::Path;

use reqwest::Method;
use serde_json::json;

use crate::support::*;

#[tokio::test]
async fn servers_keys_and_tokens_survive_a_restart() {
    let mut server = TestServer::start().await;
    assert!(
        server.running.as_ref().unwrap().bootstrap_key.is_none(),
        "a configured bootstrap key is not handed back for printing"
    );
    let extra_key = server.create_key("second", "sam").await;
    let created = server
        .create_server(json!({
            "name": "Durable",
            "description": "kept",
            "isPublic": true,
            "tokenExpiresInDays": 10,
            "restrictions": {"actions": {"mode": "allowlist", "allowedActions": ["slack.chat_postMessage"]}}
        }))
        .await;
    let id = created["serverId"].as_str().unwrap().to_owned();
    let (_, before) = send(server.request(Method::GET, &format!("/api/servers/{id}"))).await;
    let (status, issued) = send(server.request(Method::POST, "/api/users/ursula/token")).await;
    assert_eq!(status, 201);
    let token = issued["token"].as_str().unwrap().to_owned();
    let (status, _) = send(
        server
            .request_with(&token, Method::POST, "/api/servers")
            .json(&json!({"name": "Ursula"})),
    )
    .await;
    assert_eq!(status, 201);

    server.stop().await;
    let dir = server.data_dir.clone();
    // Stopped means stopped: the port no longer answers.
    assert!(
        server
            .http
            .get(server.url("/healthz"))
            .send()
            .await
            .is_err()
    );

    // A second start on the same directory, without the bootstrap setting: the database is
    // not empty, so no new key is made, and the old keys still work.
    let (store, mut serve) = settings(&dir, &[]);
    serve.bootstrap_api_key = None;
    let running = alloy_mcp_server::startup::start(store, serve)
        .await
        .unwrap();
    assert!(running.bootstrap_key.is_none(), "no second bootstrap key");
    let base = format!("http://{}", running.addr);
    let http = reqwest::Client::new();
    let get = |key: &str, path: &str| http.get(format!("{base}{path}")).bearer_auth(key);

    let (status, after) = send(get(BOOTSTRAP_KEY, &format!("/api/servers/{id}"))).await;
    assert_eq!(status, 200);
    // Everything but the host:port of the URLs (a new ephemeral port) is as it was, the
    // decrypted access token included.
    let old_base = server.base.clone();
    for field in [
        "serverId",
        "name",
        "description",
        "mode",
        "isPublic",
        "hasRestrictions",
        "restrictions",
        "tokenExpiresAt",
        "createdAt",
        "updatedAt",
    ] {
        assert_eq!(after[field], before[field], "{field}");
    }
    for field in ["url", "accessUrl"] {
        assert_eq!(
            after[field].as_str().unwrap().replace(&base, ""),
            before[field].as_str().unwrap().replace(&old_base, ""),
        );
    }
    assert!(
        after["accessUrl"]
            .as_str()
            .unwrap()
            .ends_with(created["accessToken"].as_str().unwrap())
    );
    // The user token (signed with the secret kept in the data directory) still works.
    let (status, list) = send(get(&token, "/api/servers")).await;
    assert_eq!(status, 200);
    assert_eq!(list["servers"][0]["name"], "Ursula");
    let (status, _) = send(get(&extra_key, "/api/servers")).await;
    assert_eq!(status, 200);
    // Uniqueness is kept across the restart.
    let resp = send(
        http.post(format!("{base}/api/servers"))
            .bearer_auth(BOOTSTRAP_KEY)
            .json(&json!({"name": "Durable"})),
    )
    .await;
    assert_validation(&resp, "DUPLICATE_VALUE", "name", "unique", json!(true));
    // A deletion is kept too.
    let (status, _) = send(
        http.delete(format!("{base}/api/servers/{id}"))
            .bearer_auth(BOOTSTRAP_KEY),
    )
    .await;
    assert_eq!(status, 200);
    running.stop().await.unwrap();
    let (store, serve) = settings(&dir, &[]);
    let running = alloy_mcp_server::startup::start(store, serve)
        .await
        .unwrap();
    let resp = send(
        reqwest::Client::new()
            .get(format!("http://{}/api/servers/{id}", running.addr))
            .bearer_auth(BOOTSTRAP_KEY),
    )
    .await;
    assert_error(&resp, 404, "NOT_FOUND");
    running.stop().await.unwrap();
}

/// Every file of the data directory's database (main file, WAL, shared memory), as bytes.
fn database_bytes(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name.starts_with("alloy.db") {
            out.push((name, std::fs::read(&path).unwrap()));
        }
    }
    assert!(
        out.iter().any(|(n, _)| n == "alloy.db"),
        "the database file is where the settings say: {out:?}",
        out = out.iter().map(|(n, _)| n).collect::<Vec<_>>()
    );
    out
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

#[track_caller]
fn assert_absent(files: &[(String, Vec<u8>)], secrets: &[(&str, &str)]) {
    for (file, bytes) in files {
        for (what, secret) in secrets {
            assert!(!contains(bytes, secret), "{what} found in {file}");
        }
    }
}

/// A dump of the SQLite files, while the server runs (WAL) and after it stopped, never
/// contains an API key or an access token, nor their secret parts; it does contain the
/// non-secret data written next to them (so the scan reads the right files).
#[tokio::test]
async fn the_database_never_holds_usable_keys_or_tokens() {
    let mut server = TestServer::start().await;
    let cli_key = server.create_key("dump", "dora").await;
    let (status, _) = send(server.request_with(&cli_key, Method::GET, "/api/servers")).await;
    assert_eq!(status, 200);
    let created = server
        .create_server(json!({"name": "Needle Server", "description": "plain-description-marker"}))
        .await;
    let access_token = created["accessToken"].as_str().unwrap().to_owned();
    let (_, issued) = send(server.request(Method::POST, "/api/users/dora/token")).await;
    let user_token = issued["token"].as_str().unwrap().to_owned();
    let (status, _) = send(server.request_with(&user_token, Method::GET, "/api/servers")).await;
    assert_eq!(status, 200);
    let secrets = [
        ("bootstrap API key", BOOTSTRAP_KEY),
        ("bootstrap key body", &BOOTSTRAP_KEY[10..]),
        ("generated API key", cli_key.as_str()),
        ("generated key body", &cli_key[10..]),
        ("access token", access_token.as_str()),
        ("access token body", &access_token["mcp_token_".len()..]),
        ("user token", user_token.as_str()),
    ];
    for stage in ["running", "stopped"] {
        if stage == "stopped" {
            server.stop().await;
        }
        let files = database_bytes(&server.data_dir);
        let all: Vec<u8> = files.iter().flat_map(|(_, b)| b.clone()).collect();
        assert!(
            contains(&all, "plain-description-marker"),
            "{stage}: the scan sees what was written"
        );
        assert!(
            contains(&all, "$argon2"),
            "{stage}: keys are stored as argon2 hashes"
        );
        assert_absent(&files, &secrets);
    }
}
