//! `mcp_sessions`: sessions of the session-based MCP revisions, shared by every replica.

use sea_orm::entity::prelude::*;

/// One MCP session.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "mcp_sessions")]
pub struct Model {
    /// SHA-256 hex of the `Mcp-Session-Id` value.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id_digest: String,
    /// The server the session was opened on.
    pub server_id: String,
    /// SHA-256 of the acting user's ID (the session is bound to that user).
    pub user_key: String,
    /// Negotiated protocol revision.
    pub protocol_version: String,
    /// Opening time.
    pub created_at: DateTimeUtc,
    /// When the client ended it, if it did.
    pub ended_at: Option<DateTimeUtc>,
}

/// No relations are navigated through the ORM.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
