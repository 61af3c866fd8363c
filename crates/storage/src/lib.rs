//! Persistence for alloy-mcp-server: SeaORM entities, migrations and repositories.
//!
//! One [`Database`] wraps a connection pool to SQLite (the embedded default, WAL mode) or
//! PostgreSQL, runs the migrations when it connects, and hands out repositories. Secrets that
//! must be shown again later (server access tokens, credential secrets) pass through a
//! [`SecretBox`] on their way in and out, so that a dump of the database never holds them in
//! plaintext.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod crypto;
mod database;
mod entity;
mod error;
mod migration;
pub mod notify;
mod repo;
mod rotation;

pub use crypto::{KEY_LEN, SecretBox};
pub use database::{Backend, Database, PoolStats};
pub use error::Error;
pub use repo::accounts::{AccountRecord, AccountRepository, AccountUser};
pub use repo::api_keys::{ApiKeyRecord, ApiKeyRepository, NewApiKey};
pub use repo::audit::{
    AuditEventRecord, AuditFilter, AuditRepository, CHUNK_SPAN, EVENTS_PER_CHUNK, NewAuditEvent,
};
pub use repo::authorization::{
    AuthorizationRepository, CodeUse, GrantFilter, OAuthClientRecord, OAuthCodeRecord,
    OAuthGrantRecord, RefreshUse, SignInLinkRecord,
};
pub use repo::catalog::{CatalogListing, CatalogRepository, NewCatalogConnector};
pub use repo::console_sessions::{ConsoleSessionRecord, ConsoleSessionRepository};
pub use repo::credentials::{
    CredentialRecord, CredentialRepository, CredentialStatus, NewCredential, RefreshedSecret,
    SecretFields,
};
pub use repo::mcp_sessions::{McpSessionRecord, McpSessionRepository};
pub use repo::oauth::{
    ConsumedState, NewOAuthApp, NewOAuthState, OAuthAppRecord, OAuthAppRepository,
    OAuthStateRecord, OAuthStateRepository,
};
pub use repo::servers::{NewServerRecord, ServerChanges, ServerRecord, ServerRepository};
pub use rotation::ResealReport;

/// Result of a storage operation.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(feature = "test-util")]
pub mod testing;
