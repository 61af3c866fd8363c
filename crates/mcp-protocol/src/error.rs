//! The crate's own error type, for mistakes made by the code that *uses* this crate.
//!
//! Mistakes made by a remote client never become an [`Error`]: they are answered on the wire
//! with a JSON-RPC [`ErrorObject`](crate::ErrorObject).

/// Something the embedding application asked for that this crate cannot do.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum Error {
    /// A protocol revision string that this crate does not implement.
    #[error("unsupported MCP protocol version {0:?}")]
    UnsupportedProtocolVersion(String),
    /// A logging level outside the eight RFC 5424 names MCP uses.
    #[error("unknown logging level {0:?}")]
    UnknownLoggingLevel(String),
    /// Two tools registered under the same name.
    #[error("a tool named {0:?} is already registered")]
    DuplicateTool(String),
    /// A tool definition that MCP clients would reject.
    #[error("invalid definition for tool {name:?}: {reason}")]
    InvalidToolDefinition {
        /// The tool's name as given.
        name: String,
        /// Why it was refused.
        reason: &'static str,
    },
}
