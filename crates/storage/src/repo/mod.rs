//! Repositories: the only way the rest of the program reads or writes tables.

pub mod accounts;
pub mod api_keys;
pub mod credentials;
pub mod mcp_sessions;
pub mod oauth;
pub mod servers;

use chrono::{DateTime, SubsecRound, Utc};

/// Now, truncated to milliseconds so SQLite and PostgreSQL round-trip the same value.
pub(crate) fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(3)
}

/// Whether a database error is a unique-constraint violation.
pub(crate) fn is_unique_violation(err: &sea_orm::DbErr) -> bool {
    matches!(
        err.sql_err(),
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
    )
}
