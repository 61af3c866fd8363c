//! Types, identifiers, validation rules and error codes shared by every layer of alloy-mcp-server.
//!
//! This crate does no I/O. Everything that decides whether a request is well formed lives here,
//! so that the storage, gateway and HTTP layers agree on one set of rules.
#![forbid(unsafe_code)]
#![warn(missing_docs)]
// Validation errors are built on the cold path of a refused request; boxing them buys nothing.
#![allow(clippy::result_large_err)]

pub mod coerce;
pub mod error;
pub mod ids;
pub mod ip_network;
pub mod page;
pub mod restrictions;
pub mod server;
pub mod validation;

pub use error::{ApiError, ErrorCode, FieldError};
pub use restrictions::{ListMode, ListRule, Restrictions};
