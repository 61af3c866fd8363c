//! Starting servers and talking to them.

use std::path::{Path, PathBuf};

use alloy_mcp_server::settings::{ServeSettings, StoreSettings};
use alloy_mcp_server::startup::{self, Running};
use clap::Parser;
use serde_json::Value;

/// The API key every test server is bootstrapped with.
pub const BOOTSTRAP_KEY: &str = "alloy_test_bootstrap_key_0123456789";

/// A server under test with its data directory.
pub struct TestServer {
    pub running: Option<Running>,
    pub base: String,
    pub data_dir: PathBuf,
    pub http: reqwest::Client,
    _dir: Option<tempfile::TempDir>,
}

/// Settings as the binary would parse them from `args` (without the program name).
pub fn settings(data_dir: &Path, args: &[&str]) -> (StoreSettings, ServeSettings) {
    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        store: StoreSettings,
        #[command(flatten)]
        serve: ServeSettings,
    }
    let mut argv = vec![
        "alloy-mcp-server".to_owned(),
        "--data-dir".to_owned(),
        data_dir.display().to_string(),
        "--bind".to_owned(),
        "127.0.0.1:0".to_owned(),
        "--bootstrap-api-key".to_owned(),
        BOOTSTRAP_KEY.to_owned(),
        "--shutdown-grace-secs".to_owned(),
        "5".to_owned(),
    ];
    // Tests stand platforms in on loopback; a test of the address guard sets its own.
    if !args.contains(&"--upstream-allow") {
        argv.extend(["--upstream-allow".to_owned(), "127.0.0.0/8,::1".to_owned()]);
    }
    argv.extend(args.iter().map(|s| (*s).to_owned()));
    let cli = Cli::try_parse_from(argv).expect("settings parse");
    (cli.store, cli.serve)
}

impl TestServer {
    /// A server on a fresh SQLite data directory.
    pub async fn start() -> Self {
        Self::start_with(&[]).await
    }

    /// A server on a fresh SQLite data directory with extra command-line settings.
    pub async fn start_with(args: &[&str]) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut s = Self::start_in(dir.path(), args).await;
        s._dir = Some(dir);
        s
    }

    /// A server on an existing data directory (restarts).
    pub async fn start_in(data_dir: &Path, args: &[&str]) -> Self {
        let (store, serve) = settings(data_dir, args);
        let running = startup::start(store, serve).await.expect("server starts");
        let base = format!("http://{}", running.addr);
        TestServer {
            running: Some(running),
            base,
            data_dir: data_dir.to_owned(),
            http: reqwest::Client::new(),
            _dir: None,
        }
    }

    /// Stops the server gracefully (the data directory stays).
    pub async fn stop(&mut self) {
        if let Some(r) = self.running.take() {
            r.stop().await.expect("clean stop");
        }
    }

    /// A full URL for `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A request with the bootstrap key.
    pub fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.http
            .request(method, self.url(path))
            .bearer_auth(BOOTSTRAP_KEY)
    }

    /// Creates a server with the bootstrap key and returns its JSON.
    pub async fn create_server(&self, body: Value) -> Value {
        let resp = self
            .request(reqwest::Method::POST, "/api/servers")
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 201, "create server");
        resp.json().await.unwrap()
    }
}

/// Status and JSON body of a response.
pub async fn status_json(resp: reqwest::Response) -> (u16, Value) {
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap();
    (status, json_or_text(text))
}

/// A body as JSON, or as a string when it is not JSON.
fn json_or_text(text: String) -> Value {
    serde_json::from_str(&text).unwrap_or(Value::String(text))
}

impl TestServer {
    /// The application services of the running server (to create keys in other accounts,
    /// revoke keys, read counters).
    pub fn gateway(&self) -> &alloy_gateway::Gateway {
        self.running.as_ref().expect("server is running").gateway()
    }

    /// A request without any credentials.
    pub fn anonymous(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.http.request(method, self.url(path))
    }

    /// A request with `key` (an API key or a user token) as `Authorization: Bearer`.
    pub fn request_with(
        &self,
        key: &str,
        method: reqwest::Method,
        path: &str,
    ) -> reqwest::RequestBuilder {
        self.anonymous(method, path).bearer_auth(key)
    }

    /// Creates an API key for `user` in `account` (creating the account if new), the way
    /// `alloy-mcp-server keys create` does, and returns the key.
    pub async fn create_key(&self, account: &str, user: &str) -> String {
        alloy_mcp_server::keys::create(self.gateway(), account, user, "test", None)
            .await
            .expect("key created")
            .key
    }
}

/// Sends a request and returns status and JSON body, after checking the answer against the
/// OpenAPI document (see [`crate::contract`]).
pub async fn send(req: reqwest::RequestBuilder) -> (u16, Value) {
    let (client, req) = req.build_split();
    let req = req.expect("request builds");
    let method = req.method().as_str().to_owned();
    let path = req.url().path().to_owned();
    let resp = client.execute(req).await.expect("request sent");
    let status = resp.status().as_u16();
    let content_type = resp
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let text = resp.text().await.unwrap();
    crate::contract::check(&method, &path, status, content_type.as_deref(), &text);
    (status, json_or_text(text))
}

/// Asserts a reference validation error: status 400, the specific code in `error.code`,
/// `Validation failed`, and `details` naming the field, the rule and the rule's value.
#[track_caller]
pub fn assert_validation(
    (status, body): &(u16, Value),
    code: &str,
    field: &str,
    constraint: &str,
    value: Value,
) {
    assert_eq!(*status, 400, "status of {body}");
    let err = &body["error"];
    assert_eq!(err["code"], code, "code of {body}");
    assert_eq!(err["message"], "Validation failed", "message of {body}");
    let d = &err["details"];
    assert_eq!(d["field"], field, "field of {body}");
    assert_eq!(d["constraint"], constraint, "constraint of {body}");
    assert_eq!(d["value"], value, "value of {body}");
    assert!(
        d["message"].as_str().is_some_and(|m| !m.is_empty()),
        "details.message of {body}"
    );
    let keys: Vec<&String> = d.as_object().expect("details object").keys().collect();
    assert_eq!(
        keys,
        ["field", "constraint", "value", "message"],
        "details has exactly the reference's fields"
    );
}

/// Asserts a non-validation error: status, code, and a non-empty message.
#[track_caller]
pub fn assert_error((status, body): &(u16, Value), expected_status: u16, code: &str) {
    assert_eq!(*status, expected_status, "status of {body}");
    assert_eq!(body["error"]["code"], code, "code of {body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "message of {body}"
    );
}

/// Timestamps: RFC 3339, UTC, milliseconds (`2024-01-01T00:00:00.000Z`).
#[track_caller]
pub fn assert_timestamp(s: &str) {
    let b = s.as_bytes();
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    assert!(
        b.len() == 24
            && digits(0..4)
            && b[4] == b'-'
            && digits(5..7)
            && b[7] == b'-'
            && digits(8..10)
            && b[10] == b'T'
            && digits(11..13)
            && b[13] == b':'
            && digits(14..16)
            && b[16] == b':'
            && digits(17..19)
            && b[19] == b'.'
            && digits(20..23)
            && b[23] == b'Z',
        "not RFC 3339 UTC with milliseconds: {s}"
    );
    assert!(chrono::DateTime::parse_from_rfc3339(s).is_ok());
}

/// What the tests need of an answer.
#[derive(Debug)]
pub struct Answer {
    /// Status line and headers, as sent.
    pub head: String,
    pub status: u16,
    pub close: bool,
    pub body: String,
}

/// Reads one response from `r` (bytes past it stay in `buf`). Our answers carry
/// `Content-Length`.
pub async fn read_answer(r: &mut (impl tokio::io::AsyncRead + Unpin), buf: &mut Vec<u8>) -> Answer {
    let end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let mut chunk = [0u8; 16 * 1024];
        let n = tokio::io::AsyncReadExt::read(r, &mut chunk)
            .await
            .expect("response readable");
        assert!(n > 0, "connection closed before a whole response head");
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..end]).to_string();
    let status: u16 = head[9..12].parse().expect("status code");
    let header = |name: &str| {
        head.lines()
            .filter_map(|l| l.split_once(':'))
            .find(|(k, _)| k.trim().eq_ignore_ascii_case(name))
            .map(|(_, v)| v.trim().to_ascii_lowercase())
    };
    let length: usize = header("content-length")
        .expect("Content-Length on every answer")
        .parse()
        .expect("numeric Content-Length");
    let close = header("connection").is_some_and(|v| v.contains("close"));
    while buf.len() < end + length {
        let mut chunk = [0u8; 16 * 1024];
        let n = tokio::io::AsyncReadExt::read(r, &mut chunk)
            .await
            .expect("response body readable");
        assert!(n > 0, "connection closed inside a response body");
        buf.extend_from_slice(&chunk[..n]);
    }
    let body = String::from_utf8_lossy(&buf[end..end + length]).to_string();
    buf.drain(..end + length);
    Answer {
        head,
        status,
        close,
        body,
    }
}
