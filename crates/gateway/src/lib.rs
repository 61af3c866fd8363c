//! Application services of alloy-mcp-server.
//!
//! The HTTP layer turns requests into calls on a [`Gateway`]; the gateway composes storage,
//! identity, the connector registry and the MCP tools, and answers with values or [`Error`]s
//! that the HTTP layer maps to responses in one place.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod actions;
mod app;
pub mod audit;
pub mod authorization;
pub mod cache;
mod catalog;
pub mod catalog_browser;
mod config;
pub mod credentials;
mod error;
pub mod identity;
pub mod mcp;
mod periodic;
pub mod servers;
pub mod shaping;
mod users;

pub use app::Gateway;
pub use catalog::CatalogSlot;
pub use config::GatewayConfig;
pub use error::Error;
pub use identity::{AuthHeaders, Caller, Principal};

/// Result of a gateway operation.
pub type Result<T, E = Error> = std::result::Result<T, E>;
