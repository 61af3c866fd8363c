//! Composition of alloy-mcp-server: settings, secrets, start-up and shutdown.
//!
//! The binary's `main` parses the command line and calls into this library; the end-to-end
//! tests call the same [`startup::start`] so that they run exactly what the binary runs.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod allocator;
pub mod audit_export;
pub mod catalog;
pub mod doctor;
pub mod failure;
pub mod keys;
pub mod observability;
pub mod rotation;
pub mod secrets;
pub mod settings;
pub mod single_sign_on;
pub mod startup;
