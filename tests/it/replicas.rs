//! Two replicas (two server processes) on one PostgreSQL and one Redis: what one changes, the
//! other applies at once (announced with NOTIFY), and within the documented bound when the
//! announcements are cut.

use std::time::{Duration, Instant};

use base64::Engine;
use serde_json::{Value, json};

use alloy_connectors::testing::{RecordedRequest, RecordingServer, Reply};

use crate::binary::{Spawned, command, run, text};

const KEY: &str = "alloy_replica_test_key_0123456789";

struct Pair {
    a: Spawned,
    b: Spawned,
    env: Vec<(String, String)>,
    http: reqwest::Client,
    _dirs: (tempfile::TempDir, tempfile::TempDir),
}

async fn pair(url: &str) -> Pair {
    pair_with(url, &[]).await
}

/// Two replicas with `extra` settings in their environment besides the shared ones.
async fn pair_with(url: &str, extra: &[(&str, &str)]) -> Pair {
    let encryption = base64::engine::general_purpose::STANDARD.encode(rand_bytes());
    let mut env: Vec<(String, String)> = vec![
        ("DATABASE_URL".into(), url.to_owned()),
        ("ALLOY_ENCRYPTION_KEY".into(), encryption),
        (
            "ALLOY_JWT_SECRET".into(),
            "replica-shared-jwt-secret-0123456789abcdef".into(),
        ),
        ("ALLOY_BOOTSTRAP_API_KEY".into(), KEY.into()),
        ("REDIS_URL".into(), "redis://127.0.0.1:6379".into()),
        (
            "ALLOY_REDIS_KEY_PREFIX".into(),
            format!("alloy:replicas:{}:", hex::encode(rand_bytes())),
        ),
    ];
    env.extend(
        extra
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
    );
    let refs: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let (da, db) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    // One after the other: the first creates the schema and the bootstrap key.
    let a = Spawned::start(da.path(), &refs);
    let b = Spawned::start(db.path(), &refs);
    Pair {
        a,
        b,
        env,
        http: reqwest::Client::new(),
        _dirs: (da, db),
    }
}

fn rand_bytes() -> [u8; 32] {
    use sha2::Digest;
    let seed = format!("{:?}{:?}", Instant::now(), std::thread::current().id());
    sha2::Sha256::digest(seed.as_bytes()).into()
}

impl Pair {
    async fn api(
        &self,
        on: &Spawned,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut req = self.http.request(method, on.url(path)).bearer_auth(KEY);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    /// One MCP request; answers status and body.
    async fn mcp(
        &self,
        url: &str,
        auth: Option<&str>,
        headers: &[(&str, &str)],
        body: Value,
    ) -> (u16, Value) {
        let mut req = self
            .http
            .post(url)
            .header("accept", "application/json, text/event-stream")
            .json(&body);
        if let Some(key) = auth {
            req = req.bearer_auth(key);
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    fn cli(&self, args: &[&str]) -> std::process::Output {
        let mut cmd = command();
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        cmd.env("ALLOY_DATA_DIR", self._dirs.0.path());
        run(cmd.args(args))
    }
}

fn list_connectors() -> Value {
    json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {
        "name": "list_connectors_alloy", "arguments": {"limit": 100}, "_meta": crate::mcp::meta_2026()}})
}

fn stateless() -> [(&'static str, &'static str); 3] {
    [
        ("mcp-protocol-version", "2026-07-28"),
        ("mcp-method", "tools/call"),
        ("mcp-name", "list_connectors_alloy"),
    ]
}

/// Polls `check` until it holds or `within` has passed; answers whether it held.
async fn eventually<F, Fut>(within: Duration, mut check: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let start = Instant::now();
    loop {
        if check().await {
            return true;
        }
        if start.elapsed() > within {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

#[tokio::test]
async fn what_one_replica_changes_the_other_applies_at_once() {
    let (_db, url) = crate::postgres::postgres_url().await;
    let p = pair(&url).await;
    // Created on A, served on B (and kept in B's memory from now on).
    let (status, created) = p
        .api(
            &p.a,
            reqwest::Method::POST,
            "/api/servers",
            Some(json!({"name": "Shared"})),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let id = created["serverId"].as_str().unwrap().to_owned();
    let access_b = p.b.url(&format!(
        "/mcp/{id}/{}",
        created["accessToken"].as_str().unwrap()
    ));
    let (status, listed) = p
        .mcp(&access_b, None, &stateless(), list_connectors())
        .await;
    assert_eq!(status, 200, "{listed}");
    assert!(
        listed["result"]["structuredContent"]
            .to_string()
            .contains("\"slack\""),
        "{listed}"
    );

    // Restrictions changed on A are enforced on B within 1 s.
    let (status, _) = p.api(&p.a, reqwest::Method::PUT, &format!("/api/servers/{id}"),
        Some(json!({"restrictions": {"connectors": {"mode": "blocklist", "blockedIds": ["slack"]}}}))).await;
    assert_eq!(status, 200);
    let applied = eventually(Duration::from_secs(1), || async {
        let (_, listed) = p
            .mcp(&access_b, None, &stateless(), list_connectors())
            .await;
        !listed["result"]["structuredContent"]
            .to_string()
            .contains("\"slack\"")
    })
    .await;
    assert!(applied, "B still lists slack a second after A blocked it");

    // A session opened on B and ended on A is gone on B within 1 s.
    let init = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "it", "version": "1"}}});
    let resp = p
        .http
        .post(&access_b)
        .header("accept", "application/json, text/event-stream")
        .json(&init)
        .send()
        .await
        .unwrap();
    let session = resp.headers()["mcp-session-id"]
        .to_str()
        .unwrap()
        .to_owned();
    let ping = json!({"jsonrpc": "2.0", "id": 2, "method": "ping"});
    let in_session = [
        ("mcp-session-id", session.as_str()),
        ("mcp-protocol-version", "2025-11-25"),
    ];
    assert_eq!(
        p.mcp(&access_b, None, &in_session, ping.clone()).await.0,
        200
    );
    let access_a = access_b.replacen(&p.b.url(""), &p.a.url(""), 1);
    let resp = p
        .http
        .delete(&access_a)
        .header("mcp-session-id", &session)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 204);
    let ended = eventually(Duration::from_secs(1), || async {
        p.mcp(&access_b, None, &in_session, ping.clone()).await.0 == 404
    })
    .await;
    assert!(ended, "B still serves a session ended on A");

    // A key revoked elsewhere (the CLI, a third process) is refused on B within 1 s.
    let out = p.cli(&["keys", "create", "--name", "replica"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let key = text(&out.stdout).trim().to_owned();
    let key_id = text(&out.stderr)
        .split("key id ")
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned();
    let url_b = p.b.url(&format!("/mcp/{id}"));
    assert_eq!(
        p.mcp(&url_b, Some(&key), &stateless(), list_connectors())
            .await
            .0,
        200,
        "B knows the key"
    );
    let out = p.cli(&["keys", "revoke", &key_id]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let refused = eventually(Duration::from_secs(1), || async {
        p.mcp(&url_b, Some(&key), &stateless(), list_connectors())
            .await
            .0
            == 401
    })
    .await;
    assert!(refused, "B still accepts a key revoked a second ago");

    // A server deleted on A: its token URL answers 401 on B within 1 s.
    let (status, _) = p
        .api(
            &p.a,
            reqwest::Method::DELETE,
            &format!("/api/servers/{id}"),
            None,
        )
        .await;
    assert_eq!(status, 200);
    let gone = eventually(Duration::from_secs(1), || async {
        p.mcp(&access_b, None, &stateless(), list_connectors())
            .await
            .0
            == 401
    })
    .await;
    assert!(gone, "B still serves a server deleted on A");
}

#[tokio::test]
async fn with_the_announcements_cut_the_freshness_bound_holds() {
    let (db, url) = crate::postgres::postgres_url().await;
    let p = pair(&url).await;
    let (_, created) = p
        .api(
            &p.a,
            reqwest::Method::POST,
            "/api/servers",
            Some(json!({"name": "Cut"})),
        )
        .await;
    let id = created["serverId"].as_str().unwrap().to_owned();
    let access_b = p.b.url(&format!(
        "/mcp/{id}/{}",
        created["accessToken"].as_str().unwrap()
    ));
    assert_eq!(
        p.mcp(&access_b, None, &stateless(), list_connectors())
            .await
            .0,
        200
    );

    // Cut B's (and A's) LISTEN connections, then change the server on A at once: the
    // announcement may be lost, and B must still notice within ALLOY_CACHE_FRESH_MS (5 s).
    let admin = sea_orm::Database::connect(db.url.as_str()).await.unwrap();
    sea_orm::ConnectionTrait::execute_unprepared(
        &admin,
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE 'LISTEN%alloy_changes%' AND pid <> pg_backend_pid()",
    )
    .await
    .unwrap();
    let (status, _) = p.api(&p.a, reqwest::Method::PUT, &format!("/api/servers/{id}"),
        Some(json!({"restrictions": {"connectors": {"mode": "blocklist", "blockedIds": ["slack"]}}}))).await;
    assert_eq!(status, 200);
    let applied = eventually(Duration::from_secs(6), || async {
        let (_, listed) = p
            .mcp(&access_b, None, &stateless(), list_connectors())
            .await;
        !listed["result"]["structuredContent"]
            .to_string()
            .contains("\"slack\"")
    })
    .await;
    assert!(applied, "B did not notice within the 5 s bound");
    // The listeners came back: the next change is applied at once again.
    let (status, _) = p
        .api(
            &p.a,
            reqwest::Method::PUT,
            &format!("/api/servers/{id}"),
            Some(json!({"restrictions": {}})),
        )
        .await;
    assert_eq!(status, 200);
    let back = eventually(Duration::from_secs(6), || async {
        let (_, listed) = p
            .mcp(&access_b, None, &stateless(), list_connectors())
            .await;
        listed["result"]["structuredContent"]
            .to_string()
            .contains("\"slack\"")
    })
    .await;
    assert!(back);
}

#[tokio::test]
async fn console_sessions_and_token_rotation_hold_on_every_replica() {
    let (_db, url) = crate::postgres::postgres_url().await;
    let p = pair(&url).await;
    // Signed in on A, the session works on B (it lives in the shared database).
    let resp = p
        .http
        .post(p.a.url("/api/console/session"))
        .json(&json!({"apiKey": KEY}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
    let cookie = resp.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let csrf = resp.json::<Value>().await.unwrap()["csrfToken"]
        .as_str()
        .unwrap()
        .to_owned();
    let on_b = |method: reqwest::Method, path: &str| {
        p.http
            .request(method, p.b.url(path))
            .header("cookie", &cookie)
            .header("x-csrf-token", &csrf)
    };
    let created: Value = on_b(reqwest::Method::POST, "/api/servers")
        .json(&json!({"name": "Console made"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = created["serverId"].as_str().unwrap().to_owned();
    let old_on_a = p.a.url(&format!(
        "/mcp/{id}/{}",
        created["accessToken"].as_str().unwrap()
    ));
    let (status, _) = p
        .mcp(&old_on_a, None, &stateless(), list_connectors())
        .await;
    assert_eq!(status, 200, "A serves (and keeps) the token URL");

    // Rotated through B: A refuses the old URL within the announcement's reach.
    let rotated: Value = on_b(
        reqwest::Method::POST,
        &format!("/api/servers/{id}/rotate-token"),
    )
    .send()
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let new_on_a = p.a.url(&format!(
        "/mcp/{id}/{}",
        rotated["accessToken"].as_str().unwrap()
    ));
    let refused = eventually(Duration::from_secs(1), || async {
        let (status, _) = p
            .mcp(&old_on_a, None, &stateless(), list_connectors())
            .await;
        status == 401 || status == 404
    })
    .await;
    assert!(
        refused,
        "the old token URL still works on A a second after rotation on B"
    );
    let (status, _) = p
        .mcp(&new_on_a, None, &stateless(), list_connectors())
        .await;
    assert_eq!(status, 200);

    // Signed out on B: refused on A at once.
    let resp = on_b(reqwest::Method::DELETE, "/api/console/session")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let resp = p
        .http
        .get(p.a.url("/api/servers"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
}

#[tokio::test]
async fn credentials_changed_on_one_replica_are_used_on_the_other_at_once() {
    // A stand-in platform that accepts every token and records which one it was sent.
    let platform = RecordingServer::start().await.unwrap();
    platform.set_handler(|_: &RecordedRequest| Reply::json(200, &json!({"id": "u1"})));
    let docs = tempfile::tempdir().unwrap();
    let doc = crate::credentials::write_document(
        docs.path(),
        "widget",
        &crate::credentials::widget_document(&platform.url()),
    );
    let (_db, url) = crate::postgres::postgres_url().await;
    let doc = doc.display().to_string();
    let base_urls = format!("widget={}", platform.url());
    let p = pair_with(
        &url,
        &[
            ("ALLOY_CONNECTORS_PATH", doc.as_str()),
            ("ALLOY_CONNECTOR_BASE_URLS", base_urls.as_str()),
            ("ALLOY_UPSTREAM_ALLOW", "127.0.0.0/8"),
        ],
    )
    .await;
    let (_, created) = p
        .api(
            &p.a,
            reqwest::Method::POST,
            "/api/servers",
            Some(json!({"name": "Creds"})),
        )
        .await;
    let id = created["serverId"].as_str().unwrap().to_owned();
    let access_b = p.b.url(&format!(
        "/mcp/{id}/{}",
        created["accessToken"].as_str().unwrap()
    ));
    let create = |token: &'static str| {
        let p = &p;
        async move {
            let (status, body) = p
                .api(
                    &p.a,
                    reqwest::Method::POST,
                    "/api/credentials",
                    Some(json!({
                    "connectorId": "widget", "authenticationType": "bearer",
                    "fields": {"token": token}})),
                )
                .await;
            assert_eq!(status, 201, "{body}");
            body["credentialId"].as_str().unwrap().to_owned()
        }
    };
    let execute = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {
        "name": "execute_action_alloy", "_meta": crate::mcp::meta_2026(),
        "arguments": {"connectorId": "widget", "actionId": "whoami"}}});
    let headers = [
        ("mcp-protocol-version", "2026-07-28"),
        ("mcp-method", "tools/call"),
        ("mcp-name", "execute_action_alloy"),
    ];
    // The token B sends to the platform for one call, or the call's error code.
    let call_on_b = || async {
        let before = platform.requests().len();
        let (status, body) = p.mcp(&access_b, None, &headers, execute.clone()).await;
        assert_eq!(status, 200, "{body}");
        let result = &body["result"];
        if result["isError"] == true {
            return Err(result["structuredContent"]["error"]["code"]
                .as_str()
                .unwrap_or_default()
                .to_owned());
        }
        let sent = platform.requests();
        assert_eq!(sent.len(), before + 1, "one platform call: {body}");
        Ok(sent[before]
            .header("authorization")
            .unwrap_or_default()
            .to_owned())
    };

    let first = create("wt_first").await;
    assert_eq!(call_on_b().await, Ok("Bearer wt_first".to_owned()));
    assert_eq!(
        call_on_b().await,
        Ok("Bearer wt_first".to_owned()),
        "kept on B"
    );

    // A newer credential made on A is the one B uses within 1 s.
    let second = create("wt_second").await;
    let newer = eventually(Duration::from_secs(1), || async {
        call_on_b().await == Ok("Bearer wt_second".to_owned())
    })
    .await;
    assert!(
        newer,
        "B still uses the older credential a second after A made a newer one"
    );

    // Deleted on A: B no longer sends it within 1 s, and without any: CREDENTIAL_NOT_FOUND.
    for (gone, then) in [
        (second, Ok("Bearer wt_first".to_owned())),
        (first, Err("CREDENTIAL_NOT_FOUND".to_owned())),
    ] {
        let (status, body) = p
            .api(
                &p.a,
                reqwest::Method::DELETE,
                &format!("/api/credentials/{gone}"),
                None,
            )
            .await;
        assert_eq!(status, 200, "{body}");
        let applied = eventually(Duration::from_secs(1), || async {
            call_on_b().await == then
        })
        .await;
        assert!(
            applied,
            "B still uses credential {gone} a second after A deleted it"
        );
    }
}
