//! Errors of the storage layer.

/// What can go wrong reading or writing the database.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The database refused or failed the operation.
    #[error("database error: {0}")]
    Database(#[from] sea_orm::DbErr),
    /// A uniqueness rule was broken; the payload names the rule (e.g. `server name`).
    #[error("duplicate {0}")]
    Duplicate(&'static str),
    /// A stored value could not be decrypted or parsed.
    #[error("stored data is unreadable: {0}")]
    Corrupt(String),
    /// The database server could not be reached or refused the connection; the cause, never
    /// the URL (it may hold a password).
    #[error("{0}")]
    Unreachable(String),
    /// The database URL or encryption key is unusable.
    #[error("configuration error: {0}")]
    Config(String),
}
