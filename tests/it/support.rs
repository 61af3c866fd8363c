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
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, body)
}
