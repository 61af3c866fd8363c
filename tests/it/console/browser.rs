//! The admin console in a real headless Chromium: `tests/node/console_browser.mjs` (playwright-core,
//! installed in tests/node by .ci/test) signs in, creates a server, sets an allow list through the
//! pickers, copies the access URL, connects the official TypeScript MCP SDK to it, finds the calls
//! in Activity, rotates the token, signs out, signs in again with a user token — and saves a
//! screenshot of every page under `target/console-screenshots`.

use std::path::Path;

use super::{node_dir, target_dir};
use crate::support::{BOOTSTRAP_KEY, TestServer};

/// Every page the script visits, as saved screenshots.
const SCREENSHOTS: &[&str] = &[
    "01-sign-in",
    "02-servers-empty",
    "03-server-new",
    "04-server-detail",
    "05-servers-list",
    "06-restrictions-editor",
    "07-activity",
    "08-rotate-confirm",
    "09-server-rotated",
    "10-connectors",
    "11-connector-detail",
    "12-action-detail",
    "13-discover",
    "14-users",
    "15-user-credentials",
    "16-keys",
    "17-oauth-apps",
    "18-phone-servers",
    "19-phone-menu",
    "20-phone-activity",
    "21-signed-out",
    "22-user-token-session",
];

#[tokio::test]
async fn console_in_a_real_browser() {
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".to_owned());
    assert!(
        Path::new(&chromium).is_file(),
        "Chromium is not installed at {chromium}: run `apt-get install chromium` (Debian's \
         package; .ci/run installs it), or set CHROMIUM to its executable"
    );
    for package in ["playwright-core", "@modelcontextprotocol/sdk"] {
        assert!(
            node_dir().join("node_modules").join(package).is_dir(),
            "{package} is not installed: run `npm ci` in tests/node (.ci/test does)"
        );
    }
    let screenshots = target_dir().join("console-screenshots");
    // Only this test's pictures: the Firefox test saves its own (firefox-*.png) beside them.
    for name in SCREENSHOTS {
        let _ = std::fs::remove_file(screenshots.join(format!("{name}.png")));
    }
    // The console sends a request per page and per search: a generous budget keeps the rate
    // limit out of this test (tests/it/rate_limits.rs covers it).
    let server = TestServer::start_with(&["--rate-limit-per-minute", "100000"]).await;
    let base = server.base.clone();
    let dir = screenshots.clone();
    // The server runs on this test's runtime: wait for the browser off it.
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new("node")
            .arg(node_dir().join("console_browser.mjs"))
            .current_dir(node_dir())
            .env("ALLOY_URL", &base)
            .env("ALLOY_API_KEY", BOOTSTRAP_KEY)
            .env("SCREENSHOT_DIR", &dir)
            .env("CHROMIUM", &chromium)
            .output()
    })
    .await
    .expect("join")
    .expect("node runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "the console browser test failed ({}):\n{stdout}\n{stderr}",
        out.status
    );
    assert!(
        stdout.contains("ok: every step passed"),
        "the script stopped early:\n{stdout}\n{stderr}"
    );
    // The steps, for `--no-capture` and CI logs.
    println!("{stdout}");
    for name in SCREENSHOTS {
        let file = screenshots.join(format!("{name}.png"));
        let bytes = std::fs::read(&file)
            .unwrap_or_else(|e| panic!("screenshot {} missing ({e}):\n{stdout}", file.display()));
        assert!(
            bytes.starts_with(b"\x89PNG\r\n\x1a\n") && bytes.len() > 2000,
            "{} is not a PNG of a page",
            file.display()
        );
    }
}
