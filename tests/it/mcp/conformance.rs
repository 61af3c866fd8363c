//! The official MCP conformance suite (`@modelcontextprotocol/conformance`, pinned in
//! `tests/conformance/package.json`) run against a live server through its token URL.
//!
//! Only the scenarios that apply to a server offering tools and nothing else run here; the others
//! need the suite's own test tools, prompts or resources (docs/mcp.md lists them and says why).
//! Every check of a scenario must be `SUCCESS`; `INFO` is accepted only where listed below, each
//! with its reason.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::support::TestServer;

/// A check the suite must report, and the status it must have.
struct Expected {
    id: &'static str,
    status: &'static str,
}

const fn success(id: &'static str) -> Expected {
    Expected {
        id,
        status: "SUCCESS",
    }
}

/// The scenarios that apply to a tools-only server, with every check each one reports.
const SCENARIOS: &[(&str, &[Expected])] = &[
    ("server-initialize", &[success("server-initialize")]),
    ("ping", &[success("ping")]),
    ("tools-list", &[success("tools-list")]),
    ("logging-set-level", &[success("logging-set-level")]),
    (
        "server-sse-multiple-streams",
        &[
            success("server-accepts-multiple-post-streams"),
            // The suite reports INFO when every concurrent POST is answered with JSON: a server
            // may answer a request with one JSON body instead of an SSE stream, and this one
            // does whenever the client accepts JSON (it never has anything to stream).
            Expected {
                id: "server-sse-streams-functional",
                status: "INFO",
            },
        ],
    ),
    (
        "dns-rebinding-protection",
        &[
            success("localhost-host-rebinding-rejected"),
            success("localhost-host-valid-accepted"),
        ],
    ),
];

/// Longest a scenario may run before the test gives up on it.
const SCENARIO_TIMEOUT: Duration = Duration::from_secs(120);

fn conformance_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("conformance")
}

/// `node` and the suite's entry point, or a failure telling how to install them.
fn suite_binaries() -> (PathBuf, PathBuf) {
    let bin = conformance_dir().join("node_modules").join(".bin");
    let node = bin.join("node");
    let suite = bin.join("conformance");
    assert!(
        node.exists() && suite.exists(),
        "the MCP conformance suite is not installed: run `npm ci` in tests/conformance \
         (.ci/test does); expected {} and {}",
        node.display(),
        suite.display()
    );
    (node, suite)
}

/// Runs one scenario against `url`; returns the process's exit status, its output, and the
/// checks the suite saved.
fn run_scenario(url: &str, scenario: &str) -> (bool, String, Vec<Value>) {
    let (node, suite) = suite_binaries();
    let out = tempfile::tempdir().expect("output dir");
    let mut child = Command::new(&node)
        .arg(&suite)
        .args(["server", "--url", url, "--scenario", scenario, "-o"])
        .arg(out.path())
        .current_dir(conformance_dir())
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", node.display()));
    // Pipes are drained on their own threads so a chatty scenario cannot block on a full pipe.
    let stdout = drain(child.stdout.take());
    let stderr = drain(child.stderr.take());
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for the suite") {
            break status;
        }
        if started.elapsed() > SCENARIO_TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            panic!("scenario {scenario} did not finish within {SCENARIO_TIMEOUT:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let output = format!(
        "{}{}",
        stdout.join().unwrap_or_default(),
        stderr.join().unwrap_or_default()
    );
    let checks = saved_checks(out.path(), scenario)
        .unwrap_or_else(|| panic!("scenario {scenario} saved no checks.json; output:\n{output}"));
    (status.success(), output, checks)
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

/// The suite writes `<out>/server-<scenario>-<timestamp>/checks.json`.
fn saved_checks(out: &Path, scenario: &str) -> Option<Vec<Value>> {
    let prefix = format!("server-{scenario}-");
    let dir = std::fs::read_dir(out)
        .ok()?
        .filter_map(Result::ok)
        .find(|e| e.file_name().to_string_lossy().starts_with(&prefix))?;
    let text = std::fs::read_to_string(dir.path().join("checks.json")).ok()?;
    match serde_json::from_str(&text).ok()? {
        Value::Array(checks) => Some(checks),
        _ => None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn official_conformance_suite() {
    suite_binaries();
    let server = TestServer::start().await;
    let created = server
        .create_server(json!({"name": "Conformance", "description": "MCP conformance suite"}))
        .await;
    let url = created["accessUrl"].as_str().expect("accessUrl").to_owned();
    assert!(
        url.starts_with("http://127.0.0.1:"),
        "the suite's DNS-rebinding scenario needs a loopback URL: {url}"
    );

    let mut failures = Vec::new();
    for (scenario, expected) in SCENARIOS {
        let url = url.clone();
        let (passed, output, checks) =
            tokio::task::spawn_blocking(move || run_scenario(&url, scenario))
                .await
                .expect("scenario thread");
        let got: Vec<(String, String)> = checks
            .iter()
            .map(|c| {
                (
                    c["id"].as_str().unwrap_or("").to_owned(),
                    c["status"].as_str().unwrap_or("").to_owned(),
                )
            })
            .collect();
        let want: Vec<(String, String)> = expected
            .iter()
            .map(|e| (e.id.to_owned(), e.status.to_owned()))
            .collect();
        if !passed || got != want {
            let failed: Vec<&Value> = checks.iter().filter(|c| c["status"] != "SUCCESS").collect();
            failures.push(format!(
                "{scenario}: exit {}, checks {got:?}, expected {want:?}\nnot SUCCESS: {}\n{output}",
                if passed { "0" } else { "non-zero" },
                serde_json::to_string_pretty(&failed).unwrap_or_default()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "conformance failures:\n{}",
        failures.join("\n")
    );
}
