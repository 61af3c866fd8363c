//! JSON-RPC 2.0 and Model Context Protocol messages for a tools-only MCP server, with no I/O.
//!
//! The crate turns a POST body into an answer and leaves HTTP (headers, status codes,
//! sessions, SSE) to the transport that embeds it:
//!
//! 1. [`parse`] reads the bytes into a [`Message`] (a request, notification, response or
//!    batch), or gives the `-32700` / `-32600` error [`Response`] to send back.
//! 2. The transport picks the [`ProtocolVersion`]: from the `MCP-Protocol-Version` header
//!    ([`ProtocolVersion::from_header`]) or the session an `initialize` opened
//!    ([`negotiated_revision`]). For 2026-07-28 it first checks the mirrored headers
//!    ([`check_mirrored_headers`]) and the request's `_meta` ([`RequestMeta::from_request`],
//!    [`RequestMeta::revision`]), which answer with HTTP 400 when they fail.
//! 3. A [`Dispatcher`] answers the message from a [`ToolSet`], handing each [`Tool`] the
//!    caller context `C` the transport built for this request.
//!
//! ```
//! use alloy_mcp_protocol::{
//!     CallToolResult, Dispatcher, Implementation, ProtocolVersion, Reply, Tool, ToolDefinition, ToolSet, parse,
//! };
//! use async_trait::async_trait;
//! use serde_json::{Map, Value, json};
//!
//! struct Hello;
//!
//! #[async_trait]
//! impl Tool<String> for Hello {
//!     fn definition(&self) -> ToolDefinition {
//!         ToolDefinition::new("hello", json!({"type": "object"})).with_description("Greets the caller.")
//!     }
//!     async fn call(&self, caller: &String, _arguments: Map<String, Value>) -> CallToolResult {
//!         CallToolResult::json(json!({"greeting": format!("hello, {caller}")}))
//!     }
//! }
//!
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! let tools = ToolSet::new().with(Hello).unwrap();
//! let dispatcher = Dispatcher::new(Implementation::new("example", "1.0.0"), tools);
//!
//! let body = br#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"hello"}}"#;
//! let message = parse(body).unwrap();
//! let reply = dispatcher.dispatch(message, ProtocolVersion::V2025_11_25, &"alice".to_owned()).await;
//! let Some(Reply::Single(response)) = reply else { unreachable!() };
//! assert_eq!(response.result_value().unwrap()["structuredContent"]["greeting"], "hello, alice");
//! # });
//! ```
//!
//! Supported revisions: 2025-03-26, 2025-06-18 and 2025-11-25 (sessions opened by
//! `initialize`) and 2026-07-28 (stateless: `server/discover`, per-request `_meta`). Each
//! result is shaped for the revision it answers.
#![forbid(unsafe_code)]
#![warn(missing_docs)]
// A refused message is answered with a ready `Response`; boxing that cold-path error would
// only make every caller unbox it.
#![allow(clippy::result_large_err)]

mod cache_policy;
mod call_result;
mod dispatch;
mod error;
mod headers;
mod implementation;
mod jsonrpc;
mod logging;
pub mod meta;
mod parse;
mod prebuilt;
mod tool;
mod tool_set;
mod version;

pub use cache_policy::{CachePolicy, CacheScope};
pub use call_result::{CallToolResult, Content};
pub use dispatch::{Dispatcher, Reply, negotiated_revision};
pub use error::Error;
pub use headers::{
    ExpectedHeaders, METHOD_HEADER, MirroredHeaders, NAME_HEADER, PROTOCOL_VERSION_HEADER,
    check_mirrored_headers, decode_header_value, expected_headers,
};
pub use implementation::Implementation;
pub use jsonrpc::{
    BatchEntry, ErrorObject, Id, JSONRPC_VERSION, Message, Notification, Payload, Request, Response,
};
pub use logging::LoggingLevel;
pub use meta::RequestMeta;
pub use parse::{MAX_BATCH_ENTRIES, parse, parse_value};
pub use tool::{Tool, ToolAnnotations, ToolDefinition};
pub use tool_set::ToolSet;
pub use version::ProtocolVersion;
