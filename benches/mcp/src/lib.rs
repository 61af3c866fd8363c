//! What the benchmark binaries share: their error type, the fixed answer of the bare server and
//! the load generator.
#![forbid(unsafe_code)]

pub mod load;

/// A benchmark tool's failure.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A command-line value that cannot be used.
    #[error("bad argument: {0}")]
    Argument(String),
    /// Binding, accepting or writing failed.
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// The HTTP client could not complete a request.
    #[error("request failed: {0}")]
    Client(#[from] hyper_util::client::legacy::Error),
    /// A request could not be built from the arguments.
    #[error("bad request: {0}")]
    Request(#[from] hyper::http::Error),
    /// A response body could not be read.
    #[error("reading a response failed: {0}")]
    Body(#[from] hyper::Error),
    /// The MCP session handshake (initialize, notifications/initialized) failed.
    #[error("session handshake failed: {0}")]
    Session(String),
    /// A JSON file given on the command line could not be read as expected.
    #[error("bad JSON: {0}")]
    Json(#[from] serde_json::Error),
}

/// The bare server's answer to every request, the same JSON the stand-in platform of the
/// execute benchmark sends back for a created issue.
pub const FIXED_BODY: &str = r#"{"id":1001,"number":8,"title":"Add dark mode","state":"open"}"#;
