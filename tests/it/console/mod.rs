//! The admin console (`/admin`): driven in real browsers.

mod browser;
mod firefox;

use std::path::{Path, PathBuf};

use crate::support::{BOOTSTRAP_KEY, TestServer};

/// tests/node, where the browser scripts and their npm packages are.
pub(super) fn node_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("node")
}

/// `$CARGO_TARGET_DIR`, else the workspace's `target/` (screenshots go under it).
pub(super) fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) if !dir.is_empty() => {
            let dir = PathBuf::from(dir);
            if dir.is_absolute() {
                dir
            } else {
                workspace_dir().join(dir)
            }
        }
        _ => workspace_dir().join("target"),
    }
}

fn workspace_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests package is inside the workspace")
        .to_owned()
}

/// Runs the browser script `script` of tests/node against a fresh server, with `browser` (the
/// variable naming the browser's executable, and its value) in its environment, off the test's
/// runtime (the server runs on it). Fails unless the script passed every step and saved each of
/// `names` as `<prefix><name>.png` under `target/console-screenshots`. Answers its output.
pub(super) async fn run_console_script(
    script: &str,
    browser: (&'static str, String),
    packages: &[&str],
    prefix: &str,
    names: &[&str],
) -> String {
    for package in packages {
        assert!(
            node_dir().join("node_modules").join(package).is_dir(),
            "{package} is not installed: run `npm ci` in tests/node (.ci/test does)"
        );
    }
    let screenshots = target_dir().join("console-screenshots");
    // Only this script's pictures: the other browser's share the folder.
    for name in names {
        let _ = std::fs::remove_file(screenshots.join(format!("{prefix}{name}.png")));
    }
    // The console sends a request per page and per search: a generous budget keeps the rate
    // limit out of these tests (tests/it/rate_limits.rs covers it).
    let server = TestServer::start_with(&["--rate-limit-per-minute", "100000"]).await;
    let base = server.base.clone();
    let dir = screenshots.clone();
    let script_path = node_dir().join(script);
    let started = std::time::Instant::now();
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new("node")
            .arg(script_path)
            .current_dir(node_dir())
            .env("ALLOY_URL", &base)
            .env("ALLOY_API_KEY", BOOTSTRAP_KEY)
            .env("SCREENSHOT_DIR", &dir)
            .env(browser.0, &browser.1)
            .output()
    })
    .await
    .expect("join")
    .expect("node runs");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "{script} failed ({}; screenshots in {}):\n{stdout}\n{stderr}",
        out.status,
        screenshots.display()
    );
    assert!(
        stdout.contains("ok: every step passed"),
        "{script} stopped early:\n{stdout}\n{stderr}"
    );
    // The steps, for `--no-capture` and CI logs.
    println!("{stdout}");
    println!("{script}: {:.1} s", started.elapsed().as_secs_f64());
    for name in names {
        let file = screenshots.join(format!("{prefix}{name}.png"));
        let bytes = std::fs::read(&file)
            .unwrap_or_else(|e| panic!("screenshot {} missing ({e}):\n{stdout}", file.display()));
        assert!(
            bytes.starts_with(b"\x89PNG\r\n\x1a\n") && bytes.len() > 2000,
            "{} is not a PNG of a page",
            file.display()
        );
    }
    stdout
}
