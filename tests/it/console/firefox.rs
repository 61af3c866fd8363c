//! The admin console in a real headless Firefox: `tests/node/console_firefox.mjs` drives Debian's
//! `firefox-esr` through WebDriver BiDi with puppeteer-core (installed in tests/node by .ci/test).
//! It signs in (and is refused with a wrong key), creates a server whose description is an XSS
//! attempt, allows only `slack` through the picker, opens Connectors and a connector, finds an MCP
//! client's calls and the charts in Activity, rotates the token and copies the new URL, signs out
//! — failing on any script error or CSP violation — and saves `firefox-*.png` screenshots under
//! `target/console-screenshots`.

use std::path::Path;

use super::{node_dir, target_dir};
use crate::support::{BOOTSTRAP_KEY, TestServer};

/// Every page the script visits, saved as `firefox-<name>.png`.
const SCREENSHOTS: &[&str] = &[
    "01-sign-in",
    "02-wrong-key",
    "03-servers-empty",
    "04-server-detail",
    "05-restrictions-editor",
    "06-connectors",
    "07-connector-detail",
    "08-activity",
    "09-rotate-confirm",
    "10-server-rotated",
    "11-signed-out",
];

/// Copies the script's `firefox-*.png` files from `from` into `to`.
fn publish_screenshots(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("screenshot folder");
    let Ok(entries) = std::fs::read_dir(from) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        if name.to_string_lossy().starts_with("firefox-") {
            std::fs::copy(entry.path(), to.join(&name)).expect("copy a screenshot");
        }
    }
}

#[tokio::test]
async fn console_in_firefox() {
    let firefox = std::env::var("FIREFOX").unwrap_or_else(|_| "/usr/bin/firefox-esr".to_owned());
    assert!(
        Path::new(&firefox).is_file(),
        "Firefox is not installed at {firefox}: run `apt-get install firefox-esr` (Debian's \
         package; .ci/test installs it), or set FIREFOX to its executable"
    );
    for package in ["puppeteer-core", "@modelcontextprotocol/sdk"] {
        assert!(
            node_dir().join("node_modules").join(package).is_dir(),
            "{package} is not installed: run `npm ci` in tests/node (.ci/test does)"
        );
    }
    let screenshots = target_dir().join("console-screenshots");
    // Only this test's pictures: the Chromium test (console::browser) shares the folder, and
    // empties it when it starts, so the script writes to a folder of its own and the pictures
    // are copied over at the end.
    if let Ok(entries) = std::fs::read_dir(&screenshots) {
        for entry in entries.flatten() {
            if entry.file_name().to_string_lossy().starts_with("firefox-") {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }
    let staging = tempfile::tempdir().expect("tempdir");
    // The console sends a request per page and per search: a generous budget keeps the rate
    // limit out of this test (tests/it/rate_limits.rs covers it).
    let server = TestServer::start_with(&["--rate-limit-per-minute", "100000"]).await;
    let base = server.base.clone();
    let dir = staging.path().to_owned();
    let started = std::time::Instant::now();
    // The server runs on this test's runtime: wait for the browser off it.
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new("node")
            .arg(node_dir().join("console_firefox.mjs"))
            .current_dir(node_dir())
            .env("ALLOY_URL", &base)
            .env("ALLOY_API_KEY", BOOTSTRAP_KEY)
            .env("SCREENSHOT_DIR", &dir)
            .env("FIREFOX", &firefox)
            .output()
    })
    .await
    .expect("join")
    .expect("node runs");
    let elapsed = started.elapsed();
    // Also after a failure: `firefox-failure.png` shows the page where it stopped.
    publish_screenshots(staging.path(), &screenshots);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "the console Firefox test failed ({}; screenshots in {}):\n{stdout}\n{stderr}",
        out.status,
        screenshots.display()
    );
    assert!(
        stdout.contains("ok: every step passed"),
        "the script stopped early:\n{stdout}\n{stderr}"
    );
    // The steps, for `--no-capture` and CI logs.
    println!("{stdout}");
    println!("Firefox test: {:.1} s", elapsed.as_secs_f64());
    for name in SCREENSHOTS {
        let file = screenshots.join(format!("firefox-{name}.png"));
        let bytes = std::fs::read(&file)
            .unwrap_or_else(|e| panic!("screenshot {} missing ({e}):\n{stdout}", file.display()));
        assert!(
            bytes.starts_with(b"\x89PNG\r\n\x1a\n") && bytes.len() > 2000,
            "{} is not a PNG of a page",
            file.display()
        );
    }
}
