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
use sea_orm::{DatabaseConnection, DbErr, EntityTrait, QueryTrait, Select};

/// The first row `select` finds, like SeaORM's `one`, but with `LIMIT 1` written into the
/// statement rather than bound as a parameter.
///
/// SQLite compiles a statement whose `LIMIT` is a bound parameter anew every time it runs (the
/// value may change its plan), so each `one` query was parsed and planned on every call
/// instead of running the statement the driver had prepared. A literal keeps the statement's
/// text the same from call to call, so it is prepared once per connection.
pub(crate) async fn first<E: EntityTrait>(
    select: Select<E>,
    conn: &DatabaseConnection,
) -> Result<Option<E::Model>, DbErr> {
    let mut statement = select.build(conn.get_database_backend());
    statement.sql.push_str(" LIMIT 1");
    E::find().from_raw_sql(statement).one(conn).await
}

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
