//! The operator's commands: `audit export`, `backup` and `healthcheck`, and the request log
//! line an operator reads.

use serde_json::{Value, json};

use crate::binary::{Spawned, command, run, text};

const KEY: &str = "alloy_ops_cli_key_0123456789";

/// Creates a server and calls one tool through it; answers the server ID and the token.
async fn workload(server: &Spawned) -> (String, String) {
    let http = reqwest::Client::new();
    let created: Value = http
        .post(server.url("/api/servers"))
        .bearer_auth(KEY)
        .json(&json!({"name": "Exported"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = created["serverId"].as_str().unwrap().to_owned();
    let token = created["accessToken"].as_str().unwrap().to_owned();
    let resp = http
        .post(server.url(&format!("/mcp/{id}/{token}")))
        .header("accept", "application/json, text/event-stream")
        .header("mcp-protocol-version", "2026-07-28")
        .header("mcp-method", "tools/call")
        .header("mcp-name", "list_connectors_alloy")
        .json(&json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {
            "name": "list_connectors_alloy", "arguments": {"limit": 1}, "_meta": crate::mcp::meta_2026()}}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let resp = http
        .post(server.url(&format!("/mcp/{id}/mcp_token_not_the_right_one")))
        .header("accept", "application/json, text/event-stream")
        .json(&json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
    (id, token)
}

#[tokio::test]
async fn export_backup_healthcheck_and_the_log_line() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let mut server = Spawned::start(
        data,
        &[
            ("ALLOY_BOOTSTRAP_API_KEY", KEY),
            ("ALLOY_LOG_FORMAT", "json"),
        ],
    );
    let (server_id, token) = workload(&server).await;

    // healthcheck: 0 against the running server, non-zero against nothing.
    let ok = run(command().args(["healthcheck", "--url", &server.url("/readyz")]));
    assert!(ok.status.success(), "{}", text(&ok.stderr));
    let closed = run(command().args(["healthcheck", "--url", "http://127.0.0.1:9/readyz"]));
    assert!(!closed.status.success());
    assert!(
        text(&closed.stderr).contains("did not answer"),
        "{}",
        text(&closed.stderr)
    );

    // backup: a consistent copy while the server runs; never over an existing file.
    let copy = data.join("copy.db");
    let out = run(command()
        .env("ALLOY_DATA_DIR", data)
        .args(["backup", copy.to_str().unwrap()]));
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(std::fs::metadata(&copy).unwrap().len() > 0);
    let again = run(command()
        .env("ALLOY_DATA_DIR", data)
        .args(["backup", copy.to_str().unwrap()]));
    assert!(!again.status.success());
    assert!(
        text(&again.stderr).contains("already exists"),
        "{}",
        text(&again.stderr)
    );

    // The request log line: MCP method, tool, outcome, user, integer latency; the refusal's
    // reason; never the token.
    let status = server.signal_and_wait("TERM");
    assert!(status.success());
    let log = server.stderr();
    assert!(
        !log.contains(&token) && !log.contains(KEY),
        "no secret in the log"
    );
    let lines: Vec<Value> = log
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let call = lines
        .iter()
        .find(|l| l["tool"] == "list_connectors_alloy")
        .unwrap_or_else(|| panic!("a tools/call line in {log}"));
    assert_eq!(call["mcp_method"], "tools/call");
    assert_eq!(call["outcome"], "ok");
    assert_eq!(call["user"], "default");
    assert_eq!(call["protocol_version"], "2026-07-28");
    assert!(call["latency_us"].is_u64(), "{call}");
    assert_eq!(call["path"], format!("/mcp/{server_id}/[token]"));
    let refused = lines
        .iter()
        .find(|l| l["status"] == 401 && l["path"].as_str().is_some_and(|p| p.starts_with("/mcp/")))
        .unwrap_or_else(|| panic!("a refusal line in {log}"));
    assert_eq!(refused["outcome"], "refused");
    assert!(
        refused["reason"].as_str().unwrap().contains("access token"),
        "{refused}"
    );
    let setup = lines
        .iter()
        .find(|l| l["message"] == "configuration")
        .unwrap_or_else(|| panic!("a configuration line in {log}"));
    assert!(
        setup["database"]
            .as_str()
            .unwrap()
            .starts_with("SQLite file "),
        "{setup}"
    );
    assert!(
        setup["metrics"].as_str().unwrap().ends_with("/metrics"),
        "{setup}"
    );

    // audit export: every event, oldest first, as JSON lines and as CSV.
    let jsonl = run(command()
        .env("ALLOY_DATA_DIR", data)
        .args(["audit", "export"]));
    assert!(jsonl.status.success(), "{}", text(&jsonl.stderr));
    let events: Vec<Value> = text(&jsonl.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let kinds: Vec<&str> = events
        .iter()
        .map(|e| e["event"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "key.created",
            "server.created",
            "tools/call",
            "access.refused"
        ],
        "{events:#?}"
    );
    assert!(text(&jsonl.stderr).contains("exported 4 audit event(s)"));
    let csv = run(command()
        .env("ALLOY_DATA_DIR", data)
        .args(["audit", "export", "--format", "csv"]));
    assert!(csv.status.success());
    let csv = text(&csv.stdout);
    let mut rows = csv.lines();
    assert!(
        rows.next()
            .unwrap()
            .starts_with("id,time,event,outcome,accountId,userId,principalKind")
    );
    assert_eq!(csv.lines().count(), 5);
    // Python's csv module reads it back: every row whole, the details JSON (quotes and commas)
    // intact.
    let parsed = std::process::Command::new("python3")
        .args([
            "-c",
            "import csv,json,sys; rows=list(csv.reader(sys.stdin)); assert all(len(r)==len(rows[0]) for r in rows), rows; print(json.loads(rows[2][-1])['name'])",
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child.stdin.take().unwrap().write_all(csv.as_bytes())?;
            child.wait_with_output()
        })
        .unwrap();
    assert!(parsed.status.success(), "{}", text(&parsed.stderr));
    assert_eq!(text(&parsed.stdout).trim(), "Exported");
    let before_server = run(command().env("ALLOY_DATA_DIR", data).args([
        "audit",
        "export",
        "--to",
        events[1]["time"].as_str().unwrap(),
    ]));
    let out = text(&before_server.stdout);
    assert_eq!(
        out.lines().count(),
        1,
        "--to is exclusive: only the key's event: {out}"
    );
    assert!(out.contains("key.created"));
    let bad =
        run(command()
            .env("ALLOY_DATA_DIR", data)
            .args(["audit", "export", "--from", "yesterday"]));
    assert!(!bad.status.success());
    assert!(
        text(&bad.stderr).contains("RFC 3339"),
        "{}",
        text(&bad.stderr)
    );
}

/// An unreachable PostgreSQL is named (host and port, never the password) with its cause
/// within 5 seconds, and the server says it retries.
#[test]
fn an_unreachable_database_is_named_with_its_cause_and_retried() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("stderr.log");
    let mut child = command()
        .env("ALLOY_DATA_DIR", dir.path())
        .env("ALLOY_BIND", "127.0.0.1:0")
        .env(
            "DATABASE_URL",
            "postgres://alloy:hunter2-password@127.0.0.1:1/alloy",
        )
        .stdout(std::process::Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    let mut logged = String::new();
    while started.elapsed() < std::time::Duration::from_secs(5) {
        logged = std::fs::read_to_string(&log).unwrap_or_default();
        if logged.contains("retrying") {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        logged.contains("connecting to PostgreSQL at 127.0.0.1:1/alloy"),
        "{logged}"
    );
    assert!(
        logged.contains("database unreachable; retrying"),
        "{logged}"
    );
    assert!(
        logged.contains("PostgreSQL at 127.0.0.1:1/alloy"),
        "{logged}"
    );
    assert!(logged.contains("connection refused"), "{logged}");
    assert!(!logged.contains("hunter2"), "no password in the log");

    // A one-off command does not wait: it fails at once saying the same.
    let out = run(command()
        .env("ALLOY_DATA_DIR", dir.path())
        .env(
            "DATABASE_URL",
            "postgres://alloy:hunter2-password@127.0.0.1:1/alloy",
        )
        .args(["keys", "list"]));
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(
        err.contains("PostgreSQL at 127.0.0.1:1/alloy: connection refused"),
        "{err}"
    );
    assert!(!err.contains("hunter2"));
}
