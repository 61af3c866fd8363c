//! The official Python MCP SDK (PyPI `mcp` 2.x, `tests/python/requirements.txt`) as the client:
//! `tests/python/sdk_client.py` connects over Streamable HTTP, lists the tools and calls
//! `list_connectors_alloy`, `get_action_details_alloy` and `execute_action_alloy` on GitHub's
//! `issues/create`, whose base URL points at a recording stand-in for api.github.com.
//!
//! Three ways in: the SDK's default (`server/discover` succeeds, so 2026-07-28 without a
//! session), the forced `initialize` handshake (a 2025-11-25 session), and a pinned 2026-07-28
//! connection through API authentication with `x-credential-id`.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use alloy_connectors::testing::{RecordedRequest, RecordingServer, Reply};
use reqwest::Method;
use serde_json::{Value, json};

use crate::support::{BOOTSTRAP_KEY, TestServer, status_json};

/// The personal access token stored as the user's GitHub credential.
const TOKEN: &str = "ghp_sdk0test0token0000000000000000000000";
/// A second, newer credential's token: the one used when a call names no credential.
const NEWER_TOKEN: &str = "ghp_sdk0newer0token000000000000000000000";

/// Longest one script run may take.
const SCRIPT_TIMEOUT: Duration = Duration::from_secs(120);

/// The issue the stand-in platform answers with.
fn created_issue() -> Value {
    json!({"id": 1001, "number": 8, "title": "Add dark mode", "state": "open"})
}

/// What `execute_action_alloy` is asked to do.
fn issue_parameters() -> Value {
    json!({"owner": "octocat", "repo": "hello-world", "title": "Add dark mode", "labels": ["ui"]})
}

fn python_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("python")
}

/// The virtual environment's interpreter, or a failure telling how to create it.
fn python() -> PathBuf {
    let python = python_dir().join(".venv").join("bin").join("python");
    assert!(
        python.exists(),
        "the Python MCP SDK is not installed: create tests/python/.venv and install \
         tests/python/requirements.txt (.ci/test does: `python3 -m venv tests/python/.venv && \
         tests/python/.venv/bin/pip install -r tests/python/requirements.txt`); expected {}",
        python.display()
    );
    python
}

/// A server with a GitHub credential for the bootstrap user, GitHub answered by a stand-in.
struct Fixture {
    server: TestServer,
    platform: RecordingServer,
    server_id: String,
    access_url: String,
    url: String,
    credential_id: String,
}

impl Fixture {
    async fn start() -> Self {
        let platform = RecordingServer::start().await.expect("stand-in platform");
        platform.set_handler(|r: &RecordedRequest| {
            let authorized = [TOKEN, NEWER_TOKEN]
                .iter()
                .any(|t| r.header("authorization") == Some(&format!("Bearer {t}")));
            match (r.method.as_str(), r.path.as_str()) {
                _ if !authorized => Reply::json(401, &json!({"message": "Bad credentials"})),
                ("GET", "/user") => Reply::json(200, &json!({"login": "octocat", "id": 1})),
                ("POST", "/repos/octocat/hello-world/issues") => Reply::json(201, &created_issue()),
                _ => Reply::json(404, &json!({"message": "Not Found"})),
            }
        });
        let base = format!("github={}", platform.url());
        let server = TestServer::start_with(&["--connector-base-urls", &base]).await;
        let created = server
            .create_server(json!({"name": "Python SDK", "description": "SDK e2e"}))
            .await;
        let text = |k: &str| created[k].as_str().expect(k).to_owned();

        let credential_id = add_credential(&server, &platform, TOKEN).await;
        Fixture {
            server_id: text("serverId"),
            access_url: text("accessUrl"),
            url: text("url"),
            credential_id,
            server,
            platform,
        }
    }

    /// Runs the script with `extra` arguments after the common ones; returns its JSON output.
    async fn run(&self, url: &str, extra: &[String]) -> Value {
        let mut args = vec![
            python_dir().join("sdk_client.py").display().to_string(),
            url.to_owned(),
            "--connector".into(),
            "github".into(),
            "--action".into(),
            "issues/create".into(),
            "--parameters".into(),
            issue_parameters().to_string(),
        ];
        args.extend(extra.iter().cloned());
        let (ok, stdout, stderr) = tokio::task::spawn_blocking(move || run_python(&args))
            .await
            .expect("script thread");
        assert!(
            ok,
            "sdk_client.py failed\nstdout:\n{stdout}\nstderr:\n{stderr}"
        );
        serde_json::from_str(&stdout)
            .unwrap_or_else(|e| panic!("output is not JSON ({e}):\n{stdout}\nstderr:\n{stderr}"))
    }

    /// The one request the platform must have received: the issue, with `token`.
    #[track_caller]
    fn assert_issue_created(&self, token: &str) {
        let requests = self.platform.requests();
        assert_eq!(requests.len(), 1, "{requests:?}");
        let r = &requests[0];
        assert_eq!(r.method, "POST");
        assert_eq!(r.path_and_query(), "/repos/octocat/hello-world/issues");
        assert_eq!(
            r.header("authorization"),
            Some(format!("Bearer {token}").as_str())
        );
        assert_eq!(r.header("x-github-api-version"), Some("2022-11-28"));
        assert_eq!(
            r.header("content-type")
                .map(|c| c.starts_with("application/json")),
            Some(true)
        );
        assert_eq!(
            r.body_json(),
            Some(json!({"title": "Add dark mode", "labels": ["ui"]}))
        );
    }
}

/// Stores a GitHub bearer credential for the bootstrap user through the REST API, which checks
/// it once at the platform; answers its ID.
async fn add_credential(server: &TestServer, platform: &RecordingServer, token: &str) -> String {
    let (status, credential) = status_json(
        server
            .request(Method::POST, "/api/credentials")
            .json(&json!({
                "connectorId": "github",
                "authenticationType": "bearer",
                "fields": {"token": token}
            }))
            .send()
            .await
            .expect("create credential"),
    )
    .await;
    assert_eq!(status, 201, "{credential}");
    let checked = platform.requests();
    assert_eq!(checked.len(), 1, "one verification call: {checked:?}");
    assert_eq!(
        (checked[0].method.as_str(), checked[0].path.as_str()),
        ("GET", "/user")
    );
    assert_eq!(
        checked[0].header("authorization"),
        Some(format!("Bearer {token}").as_str())
    );
    platform.reset();
    credential["credentialId"]
        .as_str()
        .expect("credentialId")
        .to_owned()
}

fn run_python(args: &[String]) -> (bool, String, String) {
    let mut child = Command::new(python())
        .args(args)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the Python interpreter");
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
            panic!("sdk_client.py did not finish within {SCRIPT_TIMEOUT:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    (
        status.success(),
        stdout.join().unwrap_or_default(),
        stderr.join().unwrap_or_default(),
    )
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

/// What every connection must have seen, whichever revision it negotiated.
#[track_caller]
fn assert_tool_results(out: &Value) {
    assert_eq!(
        out["tools"],
        json!([
            "list_connectors_alloy",
            "get_connector_resources_alloy",
            "get_action_details_alloy",
            "execute_action_alloy",
            "create_credential_alloy",
            "get_credentials_alloy",
            "get_credential_metadata_alloy",
            "discover_action_path_alloy"
        ]),
        "{out}"
    );

    let listed = &out["listConnectors"];
    assert_eq!(listed["isError"], false, "{listed}");
    assert_eq!(
        listed["text"], listed["structuredContent"],
        "the text block and structuredContent carry the same JSON"
    );
    let connectors = listed["structuredContent"]["connectors"]
        .as_array()
        .expect("connectors");
    assert_eq!(
        listed["structuredContent"]["count"],
        json!(connectors.len())
    );
    let github = connectors
        .iter()
        .find(|c| c["id"] == "github")
        .expect("github is listed");
    assert_eq!(github["name"], "GitHub");
    assert_eq!(github["category"], "developer-tools");
    assert_eq!(github["authTypes"], json!(["oauth2", "bearer"]));

    let details = &out["actionDetails"];
    assert_eq!(details["isError"], false, "{details}");
    let d = &details["structuredContent"];
    assert_eq!(
        (&d["connectorId"], &d["actionId"], &d["method"]),
        (&json!("github"), &json!("issues/create"), &json!("POST"))
    );
    let names: Vec<&str> = d["parameters"]
        .as_array()
        .expect("parameters")
        .iter()
        .filter_map(|p| p["name"].as_str())
        .collect();
    for name in ["owner", "repo", "title"] {
        assert!(names.contains(&name), "{name} in {names:?}");
    }

    let executed = &out["execute"];
    assert_eq!(executed["isError"], false, "{executed}");
    assert_eq!(executed["structuredContent"], created_issue(), "{executed}");
    assert_eq!(executed["text"], created_issue());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sdk_default_mode_discovers_2026_07_28() {
    python();
    let f = Fixture::start().await;
    // No credentialId: the user's newest working GitHub credential is used.
    let out = f
        .run(
            &f.access_url,
            &[
                "--mode".into(),
                "auto".into(),
                "--expect-protocol-version".into(),
                "2026-07-28".into(),
            ],
        )
        .await;
    assert_eq!(out["protocolVersion"], "2026-07-28", "{out}");
    assert_eq!(out["serverInfo"]["name"], "alloy-mcp-server", "{out}");
    assert_tool_results(&out);
    f.assert_issue_created(TOKEN);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sdk_initialize_handshake_opens_a_session() {
    python();
    let f = Fixture::start().await;
    // The older credential, named in the call, wins over the newer one.
    add_credential(&f.server, &f.platform, NEWER_TOKEN).await;
    let out = f
        .run(
            &f.access_url,
            &[
                "--mode".into(),
                "legacy".into(),
                "--expect-protocol-version".into(),
                "2025-11-25".into(),
                "--credential-id".into(),
                f.credential_id.clone(),
            ],
        )
        .await;
    assert_eq!(out["protocolVersion"], "2025-11-25", "{out}");
    assert_eq!(out["serverInfo"]["name"], "alloy-mcp-server", "{out}");
    assert_tool_results(&out);
    f.assert_issue_created(TOKEN);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sdk_pinned_2026_07_28_with_api_authentication() {
    python();
    let f = Fixture::start().await;
    assert_eq!(f.url, format!("{}/mcp/{}", f.server.base, f.server_id));
    // The older credential, named by x-credential-id, wins over the newer one.
    add_credential(&f.server, &f.platform, NEWER_TOKEN).await;
    let out = f
        .run(
            &f.url,
            &[
                "--mode".into(),
                "2026-07-28".into(),
                "--header".into(),
                format!("Authorization=Bearer {BOOTSTRAP_KEY}"),
                "--header".into(),
                format!("x-credential-id={}", f.credential_id),
            ],
        )
        .await;
    assert_eq!(out["protocolVersion"], "2026-07-28", "{out}");
    assert_tool_results(&out);
    f.assert_issue_created(TOKEN);
}
