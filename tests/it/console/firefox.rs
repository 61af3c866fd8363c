//! The admin console in a real headless Firefox: `tests/node/console_firefox.mjs` drives Debian's
//! `firefox-esr` through WebDriver BiDi with puppeteer-core (installed in tests/node by .ci/test).
//! It signs in (and is refused with a wrong key), creates a server whose description is an XSS
//! attempt, allows only `slack` through the picker, opens Connectors and a connector, finds an MCP
//! client's calls and the charts in Activity, rotates the token and copies the new URL, signs out
//! — failing on any script error or CSP violation — and saves `firefox-*.png` screenshots under
//! `target/console-screenshots`.

use std::path::Path;

use super::run_console_script;

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

#[tokio::test]
async fn console_in_firefox() {
    let firefox = std::env::var("FIREFOX").unwrap_or_else(|_| "/usr/bin/firefox-esr".to_owned());
    assert!(
        Path::new(&firefox).is_file(),
        "Firefox is not installed at {firefox}: run `apt-get install firefox-esr` (Debian's \
         package; .ci/test installs it), or set FIREFOX to its executable"
    );
    run_console_script(
        "console_firefox.mjs",
        ("FIREFOX", firefox),
        &["puppeteer-core", "@modelcontextprotocol/sdk"],
        "firefox-",
        SCREENSHOTS,
    )
    .await;
}
