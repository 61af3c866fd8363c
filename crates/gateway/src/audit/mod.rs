//! The audit trail: who (which principal, for which user) did what, through which server, with
//! which credential, and whether it worked.
//!
//! Events are built where things happen ([`AuditEvent`]), handed to the [`AuditWriter`], which
//! stores them in batches off the request path, and read back by [`AuditLog`] (`GET
//! /api/audit`) within the caller's account. What a request knows about itself (its ID and the
//! client's address) travels in a [`RequestScope`], so that services deep down need no extra
//! parameters to fill them in.

mod config;
mod event;
mod event_id;
mod query;
mod redact;
mod retention;
mod scope;
mod tool_calls;
mod writer;

pub use config::{ArgumentsPolicy, AuditConfig};
pub use event::{AuditEvent, Outcome};
pub use query::{AuditLog, AuditQuery, event_view};
pub use redact::redact_arguments;
pub use retention::{sweep_once, sweep_periodically};
pub use scope::{RequestNotes, RequestScope};
pub(crate) use tool_calls::{Audited, note_credential, note_upstream};
pub use writer::AuditWriter;
