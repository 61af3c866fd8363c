//! The admin console in a real headless Chromium: `tests/node/console_browser.mjs` (playwright-core,
//! installed in tests/node by .ci/test) signs in, creates a server, sets an allow list through the
//! pickers, copies the access URL, connects the official TypeScript MCP SDK to it, finds the calls
//! in Activity, rotates the token, signs out, signs in again with a user token — and saves a
//! screenshot of every page under `target/console-screenshots`.

use std::path::Path;

use super::run_console_script;

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
    run_console_script(
        "console_browser.mjs",
        ("CHROMIUM", chromium),
        &["playwright-core", "@modelcontextprotocol/sdk"],
        "",
        SCREENSHOTS,
    )
    .await;
}
