//! Repositories: the only way the rest of the program reads or writes tables.

pub mod accounts;
pub mod api_keys;
pub mod audit;
pub mod authorization;
pub mod catalog;
pub mod console_sessions;
pub mod credentials;
pub mod mcp_sessions;
pub mod oauth;
pub mod servers;

use chrono::{DateTime, SubsecRound, Utc};

/// Now, truncated to milliseconds so SQLite and PostgreSQL round-trip the same value.
pub(crate) fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(3)
}

/// SHA-256 hex of a value: how secrets (tokens, OAuth states, session IDs) are found without
/// being stored.
pub(crate) fn sha256_hex(value: &str) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(value.as_bytes()))
}

/// The indexed form of a user ID: user IDs may be 10,000 characters, too long for an index
/// entry, so tables index their SHA-256 instead.
pub(crate) fn user_key(user_id: &str) -> String {
    sha256_hex(user_id)
}

/// Whether a database error is a unique-constraint violation.
pub(crate) fn is_unique_violation(err: &sea_orm::DbErr) -> bool {
    matches!(
        err.sql_err(),
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
    )
}
