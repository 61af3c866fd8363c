//! The real `alloy-mcp-server` binary, spawned: `--help`, `keys create|list|revoke`, the first
//! key, request logs without secrets, and graceful stops on SIGTERM and Ctrl-C.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};

use clap::{Args, Command as ClapCommand};
use serde_json::json;

use alloy_mcp_server::settings::{LogSettings, ServeSettings, StoreSettings};

use crate::support::*;

/// The binary next to this test executable (`target/<profile>/alloy-mcp-server`).
pub(crate) fn binary() -> PathBuf {
    let exe = std::env::current_exe().expect("current_exe");
    let path = exe
        .parent()
        .and_then(Path::parent)
        .expect("test executable lives in target/<profile>/deps")
        .join(format!("alloy-mcp-server{}", std::env::consts::EXE_SUFFIX));
    assert!(
        path.is_file(),
        "{} is missing: build it first with `cargo build -p alloy-mcp-server` \
         (`cargo nextest run --workspace` and `bash .ci/test` build it)",
        path.display()
    );
    path
}

/// The binary with a clean environment (no ALLOY_* or DATABASE_URL of the developer's shell).
pub(crate) fn command() -> Command {
    let mut cmd = Command::new(binary());
    cmd.env_clear();
    if let Some(path) = std::env::var_os("PATH") {
        cmd.env("PATH", path);
    }
    cmd
}

pub(crate) fn run(cmd: &mut Command) -> Output {
    cmd.stdin(Stdio::null()).output().expect("binary runs")
}

pub(crate) fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A spawned server; killed if the test fails before stopping it.
pub(crate) struct Spawned {
    child: Child,
    base: String,
    /// Every stdout line (the listening line and anything before it).
    stdout: Vec<String>,
    stderr_path: PathBuf,
}

impl Spawned {
    /// Starts `serve` on `data_dir` at an ephemeral port and waits for its listening line.
    pub(crate) fn start(data_dir: &Path, envs: &[(&str, &str)]) -> Spawned {
        let stderr_path = data_dir.join(format!(
            "stderr-{}.log",
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos()
        ));
        let mut cmd = command();
        cmd.env("ALLOY_DATA_DIR", data_dir)
            .env("ALLOY_BIND", "127.0.0.1:0")
            .env("ALLOY_SHUTDOWN_GRACE_SECS", "5")
            // Platforms are stood in on loopback.
            .env("ALLOY_UPSTREAM_ALLOW", "127.0.0.0/8,::1")
            .envs(envs.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(File::create(&stderr_path).unwrap());
        let mut child = cmd.spawn().expect("binary spawns");
        let mut reader = BufReader::new(child.stdout.take().unwrap());
        let mut stdout = Vec::new();
        let base = loop {
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap() == 0 {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "the server exited before listening; stdout {stdout:?}; stderr:\n{}",
                    std::fs::read_to_string(&stderr_path).unwrap_or_default()
                );
            }
            let line = line.trim_end().to_owned();
            stdout.push(line.clone());
            if let Some(rest) = line.strip_prefix("alloy-mcp-server listening on ") {
                break rest.split_whitespace().next().unwrap().to_owned();
            }
        };
        // Keep draining stdout so that the server never blocks on a full pipe.
        std::thread::spawn(move || {
            let mut sink = String::new();
            while reader.read_line(&mut sink).unwrap_or(0) > 0 {
                sink.clear();
            }
        });
        Spawned {
            child,
            base,
            stdout,
            stderr_path,
        }
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Sends `signal` (e.g. `TERM`, `INT`) and waits for the process to exit.
    pub(crate) fn signal_and_wait(&mut self, signal: &str) -> ExitStatus {
        let status = Command::new("kill")
            .arg(format!("-{signal}"))
            .arg(self.child.id().to_string())
            .status()
            .expect("kill runs");
        assert!(status.success(), "kill -{signal}");
        self.child.wait().expect("wait for the server")
    }

    pub(crate) fn stderr(&self) -> String {
        std::fs::read_to_string(&self.stderr_path).unwrap()
    }
}

impl Drop for Spawned {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Every environment variable the settings declare.
fn declared_env_vars() -> Vec<String> {
    let cmd = ClapCommand::new("settings");
    let cmd = StoreSettings::augment_args(cmd);
    let cmd = ServeSettings::augment_args(cmd);
    let cmd = LogSettings::augment_args(cmd);
    cmd.get_arguments()
        .filter_map(|a| a.get_env())
        .map(|e| e.to_string_lossy().into_owned())
        .collect()
}

#[test]
fn help_lists_every_setting_with_its_environment_variable() {
    let declared = declared_env_vars();
    // The names DESIGN.md fixes, so that none is renamed or dropped unnoticed.
    for name in [
        "ALLOY_BIND",
        "ALLOY_DATA_DIR",
        "DATABASE_URL",
        "ALLOY_PUBLIC_URL",
        "ALLOY_BOOTSTRAP_API_KEY",
        "ALLOY_JWT_SECRET",
        "ALLOY_ENCRYPTION_KEY",
        "RATE_LIMIT_PER_MINUTE",
        "REDIS_URL",
        "ALLOY_ALLOWED_ORIGINS",
        "ALLOY_CONNECTORS_PATH",
        "ALLOY_LOG",
        "ALLOY_LOG_FORMAT",
        "ALLOY_KEY_RECHECK_SECS",
    ] {
        assert!(declared.iter().any(|d| d == name), "{name} is a setting");
    }
    for args in [&["--help"][..], &["serve", "--help"]] {
        let out = run(command().args(args));
        assert!(out.status.success(), "{args:?}");
        let help = text(&out.stdout);
        for var in &declared {
            assert!(
                help.contains(&format!("[env: {var}")),
                "`alloy-mcp-server {}` lists {var}:\n{help}",
                args.join(" ")
            );
        }
    }
    // docs/configuration.md documents every setting, flag and variable.
    let doc_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/configuration.md");
    let doc = std::fs::read_to_string(&doc_path).expect("docs/configuration.md");
    for var in &declared {
        assert!(
            doc.contains(&format!("`{var}`")),
            "docs/configuration.md lists {var}"
        );
    }
    let cmd = LogSettings::augment_args(ServeSettings::augment_args(StoreSettings::augment_args(
        ClapCommand::new("settings"),
    )));
    for long in cmd.get_arguments().filter_map(|a| a.get_long()) {
        assert!(
            doc.contains(&format!("`--{long}`")),
            "docs/configuration.md lists --{long}"
        );
    }
    let out = run(command().args(["keys", "--help"]));
    let help = text(&out.stdout);
    for word in ["create", "list", "revoke"] {
        assert!(help.contains(word), "{help}");
    }
    // Secret settings never show their values, even when set.
    let out = run(command()
        .args(["--help"])
        .env("ALLOY_JWT_SECRET", "visible-secret-value-0123456789abcdef")
        .env("ALLOY_BOOTSTRAP_API_KEY", "visible_bootstrap_key_0123")
        .env("DATABASE_URL", "postgres://user:visible-password@host/db"));
    let help = text(&out.stdout);
    for secret in [
        "visible-secret-value",
        "visible_bootstrap_key",
        "visible-password",
    ] {
        assert!(!help.contains(secret), "--help shows {secret}");
    }
}

#[tokio::test]
async fn keys_cli_creates_lists_and_revokes() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    let out = run(command().args([
        "--data-dir",
        data,
        "keys",
        "create",
        "--account",
        "acme",
        "--user",
        "bob",
        "--name",
        "ci",
    ]));
    assert!(out.status.success(), "{}", text(&out.stderr));
    let key = text(&out.stdout).trim().to_owned();
    assert!(key.starts_with("alloy_") && key.len() >= 16, "{key}");
    assert!(
        key.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    );
    let note = text(&out.stderr);
    let key_id = note
        .split("key id ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("key id in {note:?}"))
        .to_owned();
    assert!(!note.contains(&key), "the key goes to stdout only");
    // A second key in another account; data directory from the environment this time.
    let out = run(command().env("ALLOY_DATA_DIR", data).args([
        "keys",
        "create",
        "--account",
        "zeta",
        "--user",
        "zed",
    ]));
    assert!(out.status.success());
    let zeta_key = text(&out.stdout).trim().to_owned();

    let out = run(command().args(["--data-dir", data, "keys", "list"]));
    assert!(out.status.success());
    let listing = text(&out.stdout);
    assert_eq!(listing.lines().count(), 2, "{listing}");
    let line = listing
        .lines()
        .find(|l| l.starts_with(&key_id))
        .unwrap_or_else(|| panic!("{key_id} in {listing}"));
    for part in ["account=acme", "user=bob", "active", "name=ci"] {
        assert!(line.contains(part), "{part} in {line}");
    }
    assert!(!listing.contains(&key) && !listing.contains(&zeta_key[12..]));
    let out = run(command().args(["--data-dir", data, "keys", "list", "--account", "zeta"]));
    assert_eq!(text(&out.stdout).lines().count(), 1);
    assert!(text(&out.stdout).contains("account=zeta"));

    // The server on this directory takes the CLI's keys (and makes no bootstrap key: the
    // database is not empty). It reads a key's row on every request (recheck 0), so a
    // revocation by the CLI, another process, is seen on the next request.
    let mut server = Spawned::start(dir.path(), &[("ALLOY_KEY_RECHECK_SECS", "0")]);
    assert_eq!(
        server.stdout.len(),
        1,
        "no key printed: {:?}",
        server.stdout
    );
    let http = reqwest::Client::new();
    let created = send(
        http.post(server.url("/api/servers"))
            .bearer_auth(&key)
            .json(&json!({"name": "From CLI Key"})),
    )
    .await;
    assert_eq!(created.0, 201, "{}", created.1);
    let (status, _) = send(http.get(server.url("/api/servers")).bearer_auth(&zeta_key)).await;
    assert_eq!(status, 200);

    let out = run(command().args(["--data-dir", data, "keys", "revoke", &key_id]));
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains(&format!("revoked {key_id}")));
    let resp = send(http.get(server.url("/api/servers")).bearer_auth(&key)).await;
    assert_error(&resp, 401, "UNAUTHORIZED");
    let (status, _) = send(http.get(server.url("/api/servers")).bearer_auth(&zeta_key)).await;
    assert_eq!(status, 200, "the other key is unaffected");

    let out = run(command().args(["--data-dir", data, "keys", "list"]));
    let listing = text(&out.stdout);
    let line = listing.lines().find(|l| l.starts_with(&key_id)).unwrap();
    assert!(line.contains("revoked"), "{line}");
    let out = run(command().args(["--data-dir", data, "keys", "revoke", "no-such-key"]));
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("no API key with id no-such-key"));

    assert!(server.signal_and_wait("TERM").success());
}

/// The running server has the allocator's settings in its environment (the binary executed
/// itself again with them, keeping its process ID, so that whoever started it still holds it),
/// and a value the operator set is kept as it is.
#[tokio::test]
async fn the_server_runs_with_the_allocator_settings_and_keeps_the_operators() {
    let environ = |server: &Spawned| -> Vec<String> {
        let raw = std::fs::read(format!("/proc/{}/environ", server.child.id())).unwrap();
        raw.split(|b| *b == 0)
            .map(|v| String::from_utf8_lossy(v).into_owned())
            .collect()
    };
    let dir = tempfile::tempdir().unwrap();
    let mut server = Spawned::start(dir.path(), &[]);
    let env = environ(&server);
    assert!(
        env.contains(&"MIMALLOC_PURGE_DELAY=0".to_owned()),
        "{env:?}"
    );
    assert!(
        env.contains(&"MIMALLOC_ARENA_EAGER_COMMIT=0".to_owned()),
        "{env:?}"
    );
    let (status, _) = send(reqwest::Client::new().get(server.url("/healthz"))).await;
    assert_eq!(status, 200);
    assert!(server.signal_and_wait("TERM").success());

    let mut server = Spawned::start(dir.path(), &[("MIMALLOC_PURGE_DELAY", "25")]);
    let env = environ(&server);
    assert!(
        env.contains(&"MIMALLOC_PURGE_DELAY=25".to_owned()),
        "{env:?}"
    );
    assert!(
        !env.contains(&"MIMALLOC_PURGE_DELAY=0".to_owned()),
        "{env:?}"
    );
    assert!(
        env.contains(&"MIMALLOC_ARENA_EAGER_COMMIT=0".to_owned()),
        "{env:?}"
    );
    assert!(server.signal_and_wait("TERM").success());
}

/// On an empty database the binary generates the first key and prints it once on stdout,
/// never in the logs; the next start prints none.
#[tokio::test]
async fn the_first_key_is_generated_and_printed_once() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Spawned::start(dir.path(), &[]);
    let key_line = server
        .stdout
        .iter()
        .position(|l| l.starts_with("Created the first API key"))
        .expect("announced");
    let key = server.stdout[key_line + 1].clone();
    assert!(key.starts_with("alloy_") && key.len() >= 40, "{key}");
    let (status, _) = send(
        reqwest::Client::new()
            .get(server.url("/api/servers"))
            .bearer_auth(&key),
    )
    .await;
    assert_eq!(status, 200);
    assert!(server.signal_and_wait("TERM").success());
    assert!(!server.stderr().contains(&key), "the key is not logged");

    let mut again = Spawned::start(dir.path(), &[]);
    assert_eq!(again.stdout.len(), 1, "{:?}", again.stdout);
    let (status, _) = send(
        reqwest::Client::new()
            .get(again.url("/api/servers"))
            .bearer_auth(&key),
    )
    .await;
    assert_eq!(status, 200);
    assert!(again.signal_and_wait("INT").success());
}

/// Requests carrying an API key, user tokens and a token URL leave access-log lines, and no
/// log line (text at info, JSON at trace) nor stdout contains any of those secrets. SIGTERM
/// stops the server cleanly.
#[tokio::test]
async fn logs_never_contain_keys_or_tokens() {
    for (level, format) in [("info", "text"), ("trace", "json")] {
        let dir = tempfile::tempdir().unwrap();
        let key = "alloy_logcheck_key_Zq8Xv3Nw7Lp2Rt5Ym9";
        let wrong_key = "alloy_wrong_key_Hs6Jd4Kf1Qa8Wz3Xc";
        let mut server = Spawned::start(
            dir.path(),
            &[
                ("ALLOY_BOOTSTRAP_API_KEY", key),
                ("ALLOY_LOG", level),
                ("ALLOY_LOG_FORMAT", format),
            ],
        );
        let http = reqwest::Client::new();
        let (status, created) = send(
            http.post(server.url("/api/servers"))
                .bearer_auth(key)
                .json(&json!({"name": "Logged"})),
        )
        .await;
        assert_eq!(status, 201, "{created}");
        let id = created["serverId"].as_str().unwrap().to_owned();
        let access_token = created["accessToken"].as_str().unwrap().to_owned();
        let (status, issued) = send(
            http.post(server.url("/api/users/lena/token"))
                .bearer_auth(key),
        )
        .await;
        assert_eq!(status, 201);
        let user_token = issued["token"].as_str().unwrap().to_owned();
        let (status, _) = send(
            http.get(server.url("/api/servers"))
                .header("x-alloy-user-token", &user_token),
        )
        .await;
        assert_eq!(status, 200);
        let (status, _) = send(
            http.get(server.url("/api/servers"))
                .bearer_auth(&user_token),
        )
        .await;
        assert_eq!(status, 200);
        let (status, _) = send(http.get(server.url("/api/servers")).bearer_auth(wrong_key)).await;
        assert_eq!(status, 401);
        let (status, _) = send(
            http.get(server.url(&format!("/api/servers?access_token={access_token}")))
                .bearer_auth(key),
        )
        .await;
        assert_eq!(status, 200);
        // The token URL, whatever the MCP endpoint answers.
        let token_url = server.url(&format!("/mcp/{id}/{access_token}"));
        http.post(&token_url)
            .header("content-type", "application/json")
            .header("accept", "application/json, text/event-stream")
            .body(r#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#)
            .send()
            .await
            .unwrap();
        http.get(&token_url).send().await.unwrap();
        http.get(format!("{token_url}/extra")).send().await.unwrap();
        // Tokens where they do not belong: still never logged.
        for path in [
            format!("/MCP/{id}/{access_token}"),
            format!("/mcp/{id}//{access_token}"),
            format!("/prefix/mcp/{id}/{access_token}"),
            format!("/api/servers/{access_token}"),
            format!("/nope/{access_token}"),
            format!("/nope/{key}"),
            format!("/nope/{user_token}"),
        ] {
            http.get(server.url(&path)).send().await.unwrap();
        }

        let status = server.signal_and_wait("TERM");
        assert!(status.success(), "{level}: SIGTERM exit status {status}");
        let logs = server.stderr();
        let stdout = server.stdout.join("\n");
        for (what, secret) in [
            ("API key", key),
            ("API key body", &key[6..]),
            ("wrong API key", wrong_key),
            ("access token", access_token.as_str()),
            ("access token body", &access_token[10..]),
            ("user token", user_token.as_str()),
            (
                "user token signature",
                user_token.rsplit('.').next().unwrap(),
            ),
        ] {
            assert!(!logs.contains(secret), "{level}: {what} in the logs");
            assert!(!stdout.contains(secret), "{level}: {what} on stdout");
        }
        // The requests were logged (so the absence above means something), tokens masked.
        assert!(
            logs.contains(&format!("/mcp/{id}/[token]")),
            "{level}: token URL logged masked:\n{logs}"
        );
        assert!(logs.contains("/api/servers") && logs.contains("/api/users/lena/token"));
        assert!(logs.contains("shutdown requested") && logs.contains("stopped"));
        if format == "json" {
            for line in logs.lines() {
                assert!(
                    serde_json::from_str::<serde_json::Value>(line).is_ok(),
                    "JSON log line: {line}"
                );
            }
        }
    }
}

/// A request in flight when SIGTERM arrives is answered before the process exits.
#[tokio::test]
async fn sigterm_lets_in_flight_requests_finish() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let dir = tempfile::tempdir().unwrap();
    let key = "alloy_inflight_key_0123456789abcdef";
    let mut server = Spawned::start(dir.path(), &[("ALLOY_BOOTSTRAP_API_KEY", key)]);
    let addr = server.base.trim_start_matches("http://").to_owned();
    let body = r#"{"name": "In Flight"}"#;
    // `Expect: 100-continue`: the server answers `100 Continue` when the handler starts
    // reading the body, which tells the test the request is in flight.
    let mut conn = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let head = format!(
        "POST /api/servers HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {key}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nExpect: 100-continue\r\n\r\n",
        body.len()
    );
    conn.write_all(head.as_bytes()).await.unwrap();
    let mut interim = Vec::new();
    while !interim.ends_with(b"\r\n\r\n") {
        let mut byte = [0u8; 1];
        assert_eq!(conn.read(&mut byte).await.unwrap(), 1, "connection open");
        interim.push(byte[0]);
    }
    assert!(
        text(&interim).starts_with("HTTP/1.1 100 Continue"),
        "{}",
        text(&interim)
    );

    let status = Command::new("kill")
        .arg("-TERM")
        .arg(server.child.id().to_string())
        .status()
        .unwrap();
    assert!(status.success());
    // Wait until the server has stopped accepting (it says so), with a generous bound so that
    // a broken build fails instead of hanging.
    let mut waited = 0;
    while !server.stderr().contains("no longer accepting connections") {
        assert!(
            waited < 3000,
            "the server never began to stop:\n{}",
            server.stderr()
        );
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        waited += 1;
    }
    // New connections are refused now; the open request still completes.
    assert!(tokio::net::TcpStream::connect(&addr).await.is_err());
    conn.write_all(body.as_bytes()).await.unwrap();
    let mut response = Vec::new();
    conn.read_to_end(&mut response).await.unwrap();
    let response = text(&response);
    assert!(response.starts_with("HTTP/1.1 201"), "{response}");
    assert!(response.contains("in-flight-"), "{response}");
    let exit = server.child.wait().unwrap();
    assert!(exit.success(), "{exit}");
    assert!(server.stderr().contains("stopped"));
}

/// `ALLOY_CONNECTORS_PATH` is a path list like `PATH` (`:`-separated on Unix), as
/// docs/connectors.md says, and the flag may be repeated.
#[tokio::test]
async fn connectors_path_is_a_path_list() {
    use crate::credentials::{widget_document, write_document};

    let docs = tempfile::tempdir().unwrap();
    let mut ids = Vec::new();
    let mut paths = Vec::new();
    for id in ["widget", "gadget", "gizmo"] {
        let mut doc = widget_document("http://127.0.0.1:9");
        doc["info"]["x-alloy-id"] = json!(id);
        paths.push(write_document(docs.path(), id, &doc).display().to_string());
        ids.push(id);
    }
    let list = std::env::join_paths(&paths[..2]).unwrap();
    let data = tempfile::tempdir().unwrap();
    let (store, serve) = settings(
        data.path(),
        &[
            "--connectors-path",
            list.to_str().unwrap(),
            "--connectors-path",
            &paths[2],
        ],
    );
    let db = alloy_mcp_server::startup::open_database(&store)
        .await
        .unwrap();
    let (registry, _) = alloy_mcp_server::startup::connectors(&serve, &db)
        .await
        .unwrap();
    for id in ids {
        assert!(registry.connector(id).is_ok(), "{id} loaded");
    }
}

/// `connectors import` reads folders recursively (JSON, YAML, Swagger 2.0), prints a summary
/// with each refusal, and stores what loaded; `connectors list` and `remove` manage it; a
/// server on that database serves the imported connectors.
#[tokio::test]
async fn connectors_cli_imports_lists_and_removes() {
    let docs = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(docs.path().join("nested")).unwrap();
    std::fs::write(
        docs.path().join("nested/acme.yaml"),
        "openapi: 3.0.3\ninfo:\n  title: Acme\n  x-providerName: acme.example\n  x-apisguru-categories: [messaging]\nservers:\n  - url: https://api.acme.example\npaths:\n  /notes:\n    post:\n      operationId: createNote\n      summary: Create a note\n",
    )
    .unwrap();
    std::fs::write(
        docs.path().join("petstore.json"),
        json!({"swagger": "2.0", "info": {"title": "Pets", "version": "1"},
            "host": "pets.example", "basePath": "/v1",
            "paths": {"/pets": {"get": {"operationId": "listPets"}}}})
        .to_string(),
    )
    .unwrap();
    std::fs::write(docs.path().join("broken.json"), "{\"openapi\": ").unwrap();
    let data = tempfile::tempdir().unwrap();
    let data = data.path().to_str().unwrap();
    let folder = docs.path().to_str().unwrap();
    let out = run(command().args(["--data-dir", data, "connectors", "import", folder]));
    assert!(out.status.success(), "{}", text(&out.stderr));
    let summary = text(&out.stdout);
    assert!(
        summary.starts_with("imported 2 connector(s) with 2 action(s)"),
        "{summary}"
    );
    assert!(
        summary.contains("refused  ") && summary.contains("broken.json"),
        "{summary}"
    );
    let out = run(command().args(["--data-dir", data, "connectors", "list"]));
    let listed = text(&out.stdout);
    assert!(
        listed.contains("acme-example\tcommunication\t1 actions"),
        "{listed}"
    );
    assert!(listed.contains("petstore\tother\t1 actions"), "{listed}");

    let (store, serve) = settings(std::path::Path::new(data), &[]);
    let db = alloy_mcp_server::startup::open_database(&store)
        .await
        .unwrap();
    let (registry, _) = alloy_mcp_server::startup::connectors(&serve, &db)
        .await
        .unwrap();
    assert!(registry.is_summary("acme-example"));
    let action = registry
        .action_details("petstore", "listPets")
        .await
        .unwrap();
    assert_eq!(action.path, "/pets");
    assert_eq!(
        registry.connector("petstore").unwrap().server_url,
        "https://pets.example/v1"
    );
    db.close().await.unwrap();

    let out = run(command().args(["--data-dir", data, "connectors", "remove", "petstore"]));
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = run(command().args(["--data-dir", data, "connectors", "remove", "petstore"]));
    assert!(!out.status.success());
    let out = run(command().args(["--data-dir", data, "connectors", "list"]));
    assert!(!text(&out.stdout).contains("petstore"));
}
