//! The official SDKs' own OAuth clients sign in by URL alone (docs/oauth.md): given only
//! `<public URL>/mcp/<serverId>`, the TypeScript SDK (npm `@modelcontextprotocol/sdk`,
//! tests/node/ts_sdk_oauth.mjs) and the Python SDK (PyPI `mcp`, tests/python/py_sdk_oauth.py)
//! discover the gateway from the 401's challenge, name themselves (TypeScript: by a Client ID
//! Metadata Document the test serves over HTTPS on loopback; Python: by registering, RFC 7591),
//! sign in through the form
//! (driven headlessly by the scripts, as the form's contract says), exchange the code with
//! PKCE, call the tools, refresh through their own refresh path, and react to a revoked grant.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::McpServer;
use crate::support::{BOOTSTRAP_KEY, TestServer};

/// Longest one script run may take.
const SCRIPT_TIMEOUT: Duration = Duration::from_secs(120);

/// The tools every connectivity server lists, in order.
const TOOLS: [&str; 8] = [
    "list_connectors_alloy",
    "get_connector_resources_alloy",
    "get_action_details_alloy",
    "execute_action_alloy",
    "create_credential_alloy",
    "get_credentials_alloy",
    "get_credential_metadata_alloy",
    "discover_action_path_alloy",
];

fn tests_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// `node`, with the SDK installed next to the script, or a failure telling how to install them.
fn node() -> PathBuf {
    let version = Command::new("node").arg("--version").output();
    assert!(
        version.as_ref().is_ok_and(|o| o.status.success()),
        "Node.js is not installed (`node` must be on PATH, version 20 or later): install it, \
         then run `npm ci` in tests/node (.ci/test does): {version:?}"
    );
    let sdk = tests_dir().join("node/node_modules/@modelcontextprotocol/sdk");
    assert!(
        sdk.is_dir(),
        "the TypeScript MCP SDK is not installed: run `npm ci` in tests/node (.ci/test does); \
         expected {}",
        sdk.display()
    );
    PathBuf::from("node")
}

/// The virtual environment's interpreter, or a failure telling how to create it.
fn python() -> PathBuf {
    let python = tests_dir().join("python/.venv/bin/python");
    assert!(
        python.exists(),
        "the Python MCP SDK is not installed: create tests/python/.venv and install \
         tests/python/requirements.txt (.ci/test does: `python3 -m venv tests/python/.venv && \
         tests/python/.venv/bin/pip install -r tests/python/requirements.txt`); expected {}",
        python.display()
    );
    python
}

/// A server and one MCP server on it: its bare URL, the only thing the SDKs are given.
async fn fixture(name: &str) -> (TestServer, String) {
    fixture_with(name, &[]).await
}

/// As [`fixture`], with the server started with `args`.
async fn fixture_with(name: &str, args: &[&str]) -> (TestServer, String) {
    let server = TestServer::start_with(args).await;
    let mcp = McpServer::create(&server, json!({"name": name})).await;
    let url = server.url(&format!("/mcp/{}", mcp.server_id));
    (server, url)
}

/// Runs `program args` with the server's URL and the API key in the environment; answers the
/// JSON document the script prints (its last line, or all of its output).
async fn run_script(
    program: PathBuf,
    args: Vec<String>,
    url: &str,
    env: Vec<(&'static str, String)>,
) -> Value {
    let url = url.to_owned();
    let what = format!("{} {}", program.display(), args.join(" "));
    let (ok, stdout, stderr) = tokio::task::spawn_blocking(move || {
        let mut child = Command::new(&program)
            .args(&args)
            .current_dir(tests_dir())
            .env("ALLOY_MCP_URL", &url)
            .env("ALLOY_API_KEY", BOOTSTRAP_KEY)
            .env("PYTHONDONTWRITEBYTECODE", "1")
            .envs(env)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("start {}: {e}", program.display()));
        let stdout = drain(child.stdout.take());
        let stderr = drain(child.stderr.take());
        let started = Instant::now();
        let status = loop {
            if let Some(status) = child.try_wait().expect("wait for the script") {
                break status;
            }
            if started.elapsed() > SCRIPT_TIMEOUT {
                let _ = child.kill();
                let _ = child.wait();
                panic!("the script did not finish within {SCRIPT_TIMEOUT:?}");
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        (
            status.success(),
            stdout.join().unwrap_or_default(),
            stderr.join().unwrap_or_default(),
        )
    })
    .await
    .expect("script thread");
    assert!(ok, "{what} failed\nstdout:\n{stdout}\nstderr:\n{stderr}");
    serde_json::from_str(&stdout)
        .or_else(|_| serde_json::from_str(stdout.lines().last().unwrap_or("")))
        .unwrap_or_else(|e| {
            panic!("{what}: output is not JSON ({e}):\n{stdout}\nstderr:\n{stderr}")
        })
}

fn drain<R: std::io::Read + Send + 'static>(pipe: Option<R>) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut text = String::new();
        if let Some(mut p) = pipe {
            let _ = p.read_to_string(&mut text);
        }
        text
    })
}

/// The token requests the SDK made, in order: `(grant_type, status)`; each named the server's
/// URL as its `resource` (RFC 8707).
#[track_caller]
fn token_requests(out: &Value, url: &str) -> Vec<(String, u64)> {
    let requests = out["requests"].as_array().expect("requests");
    requests
        .iter()
        .filter(|r| r["path"] == "/oauth/token")
        .map(|r| {
            assert_eq!(r["resource"], json!(url), "{r}");
            (
                r["grantType"].as_str().expect("grant_type").to_owned(),
                r["status"].as_u64().expect("status"),
            )
        })
        .collect()
}

/// How an SDK named itself to the gateway.
enum Naming<'a> {
    /// RFC 7591 registration: a `mcpc_…` client ID.
    Registered,
    /// The URL of its Client ID Metadata Document, without any registration.
    MetadataDocument(&'a str),
}

/// What both SDKs must have done to sign in from the bare URL.
#[track_caller]
fn assert_signed_in(out: &Value, url: &str, naming: Naming<'_>) {
    let requests = out["requests"].as_array().expect("requests");
    // Discovery started from the bare URL's 401, through the server's resource metadata.
    assert_eq!(
        (&requests[0]["method"], &requests[0]["status"]),
        (&json!("POST"), &json!(401)),
        "{out}"
    );
    let server_id = url.rsplit('/').next().unwrap();
    assert_eq!(
        requests[1]["path"],
        json!(format!(
            "/.well-known/oauth-protected-resource/mcp/{server_id}"
        )),
        "{out}"
    );
    let registrations: Vec<&Value> = requests
        .iter()
        .filter(|r| r["path"] == "/oauth/register")
        .collect();
    let client_id = out["clientId"].as_str().expect("clientId");
    match naming {
        Naming::Registered => {
            assert_eq!(registrations.len(), 1, "registered once: {out}");
            assert_eq!(registrations[0]["status"], 201);
            assert!(client_id.starts_with("mcpc_"), "{client_id}");
        }
        Naming::MetadataDocument(document) => {
            assert!(registrations.is_empty(), "no registration: {out}");
            assert_eq!(client_id, document);
        }
    }
    let authorization = &out["authorizationRequest"];
    assert_eq!(authorization["client_id"], json!(client_id));
    assert_eq!(authorization["response_type"], "code");
    assert_eq!(authorization["code_challenge_method"], "S256");
    assert_eq!(authorization["resource"], json!(url), "{authorization}");
    assert_eq!(authorization["scope"], "mcp", "the challenge's scope");
    assert!(
        authorization["redirect_uri"]
            .as_str()
            .is_some_and(|r| r.starts_with("http://127.0.0.1:")),
        "{authorization}"
    );
    assert_eq!(
        (&out["tokenType"], &out["expiresIn"]),
        (&json!("Bearer"), &json!(600))
    );
    assert_eq!(out["tools"], json!(TOOLS), "{out}");
}

/// A `list_connectors_alloy` result in short, as the scripts print it.
#[track_caller]
fn assert_connectors(list: &Value) {
    assert_eq!(list["isError"], false, "{list}");
    let ids: Vec<&str> = list["connectorIds"]
        .as_array()
        .expect("connectorIds")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    for id in ["github", "slack", "stripe"] {
        assert!(ids.contains(&id), "{id} in {ids:?}");
    }
    assert_eq!(list["count"], json!(ids.len()), "{list}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn typescript_sdk_signs_in_by_url_refreshes_and_is_revoked() {
    let node = node();
    // The client's metadata document, over HTTPS on loopback with the test's own authority,
    // which the gateway is told to trust (and allowed to reach on loopback).
    let document = crate::tls::serve_json("/clients/typescript.json", |url| {
        serde_json::to_vec(&json!({
            "client_id": url,
            "client_name": "alloy-e2e-typescript-oauth (metadata document)",
            "redirect_uris": ["http://127.0.0.1:33418/callback"],
            "grant_types": ["authorization_code", "refresh_token"],
            "response_types": ["code"],
            "token_endpoint_auth_method": "none"
        }))
        .unwrap()
    })
    .await;
    let ca = document.ca_file.display().to_string();
    let args = ["--extra-ca-certs", &ca, "--upstream-allow", "127.0.0.0/8"];
    let (server, url) = fixture_with("TypeScript OAuth", &args).await;
    let script = tests_dir().join("node/ts_sdk_oauth.mjs");
    let env = vec![("ALLOY_CLIENT_METADATA_URL", document.url.clone())];
    let out = run_script(node, vec![script.display().to_string()], &url, env).await;

    assert_signed_in(&out, &url, Naming::MetadataDocument(&document.url));
    let (_, grants) =
        crate::support::send(server.request(reqwest::Method::GET, "/api/oauth/grants")).await;
    assert_eq!(
        grants["grants"][0]["clientName"], "alloy-e2e-typescript-oauth (metadata document)",
        "the name is the document's: {grants}"
    );
    assert_eq!(out["protocolVersion"], "2025-11-25", "{out}");
    assert!(
        out["sessionId"].as_str().is_some_and(|s| !s.is_empty()),
        "{out}"
    );
    assert_eq!(out["server"]["name"], "alloy-mcp-server");
    assert_eq!(out["iss"], json!(server.base), "RFC 9207");
    assert_connectors(&out["list"]);

    // The bad access token's 401 made the SDK refresh (rotating the refresh token) and retry.
    assert_eq!(
        out["refresh"],
        json!({"toolsAfter": 8, "accessTokenChanged": true, "refreshTokenRotated": true}),
        "{out}"
    );
    // After revocation: the access token is refused, the SDK's refresh is refused
    // (invalid_grant), it drops the tokens and starts a new sign-in.
    let revoke = &out["revoke"];
    assert_eq!(revoke["status"], 200, "{revoke}");
    assert_eq!(revoke["directStatus"], 401, "{revoke}");
    let challenge = revoke["directChallenge"].as_str().unwrap_or_default();
    assert!(
        challenge.contains("error=\"invalid_token\"") && challenge.contains("resource_metadata="),
        "{challenge}"
    );
    assert_eq!(
        revoke["afterRevoke"],
        json!({"error": "UnauthorizedError", "message": "Unauthorized",
               "signInStarted": true, "tokensDropped": true}),
        "{revoke}"
    );
    assert_eq!(out["invalidated"], json!(["tokens"]), "{out}");
    // Signing in again works with the same registration.
    assert_eq!(
        out["again"],
        json!({"tools": 8, "sameClient": true}),
        "{out}"
    );

    assert_eq!(
        token_requests(&out, &url),
        [
            ("authorization_code".to_owned(), 200),
            ("refresh_token".to_owned(), 200),
            ("refresh_token".to_owned(), 400),
            ("authorization_code".to_owned(), 200),
        ],
        "{out}"
    );
}

/// The Python SDK in `mode`: its default (`auto`, 2026-07-28 without a session) and the
/// `initialize` handshake (`legacy`, a 2025-11-25 session).
async fn python_sdk_in(mode: &str, protocol_version: &str) {
    let python = python();
    let (_server, url) = fixture(&format!("Python OAuth {mode}")).await;
    let script = tests_dir().join("python/py_sdk_oauth.py");
    let out = run_script(
        python,
        vec![script.display().to_string(), "--mode".into(), mode.into()],
        &url,
        vec![],
    )
    .await;

    assert_signed_in(&out, &url, Naming::Registered);
    assert_eq!(out["protocolVersion"], protocol_version, "{out}");
    assert_eq!(out["serverInfo"]["name"], "alloy-mcp-server", "{out}");
    assert_connectors(&out["listConnectors"]);
    assert_eq!(out["listConnectors"]["textMatchesStructured"], true);

    // Past the access token's expiry the SDK refreshed before the call (rotating the refresh
    // token).
    assert_eq!(
        out["refresh"],
        json!({"toolsAfter": 8, "accessTokenChanged": true, "refreshTokenRotated": true}),
        "{out}"
    );
    // After revocation: the access token is refused; the SDK, answered 401, signed in again by
    // itself (same registration, a new grant) and the call went through.
    let revoke = &out["revoke"];
    assert_eq!(revoke["status"], 200, "{revoke}");
    assert_eq!(revoke["directStatus"], 401, "{revoke}");
    assert_eq!(
        (&revoke["signInsBefore"], &revoke["signInsAfter"]),
        (&json!(1), &json!(2)),
        "{revoke}"
    );
    assert_eq!(
        (&revoke["newGrant"], &revoke["sameClient"]),
        (&json!(true), &json!(true))
    );
    let after = &revoke["afterRevoke"];
    assert_eq!(
        (&after["isError"], &after["connectorIds"]),
        (&json!(false), &json!(["stripe"])),
        "{after}"
    );

    assert_eq!(
        token_requests(&out, &url),
        [
            ("authorization_code".to_owned(), 200),
            ("refresh_token".to_owned(), 200),
            ("authorization_code".to_owned(), 200),
        ],
        "{out}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_sdk_signs_in_by_url_refreshes_and_signs_in_again() {
    python_sdk_in("auto", "2026-07-28").await;
    python_sdk_in("legacy", "2025-11-25").await;
}
