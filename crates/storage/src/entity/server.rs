//! `servers`: MCP server definitions with their sealed access tokens.

use sea_orm::entity::prelude::*;

/// One MCP server.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "servers")]
pub struct Model {
    /// `serverId`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// Owning account.
    pub account_id: String,
    /// Owning user.
    pub user_id: String,
    /// SHA-256 of `user_id`: user IDs may be 10,000 characters, too long for an index entry.
    pub user_key: String,
    /// Display name, unique per (account, user).
    pub name: String,
    /// Free text.
    pub description: String,
    /// `connectivity`.
    pub mode: String,
    /// Whether other users of the account may connect.
    pub is_public: bool,
    /// Whether the token URL accepts another user only through a user token.
    pub require_user_token: bool,
    /// Restrictions in their wire form (JSON text).
    pub restrictions: String,
    /// SHA-256 hex of the access token, for lookup.
    pub token_digest: String,
    /// The access token sealed by the secret box (shown again in `accessUrl`).
    pub token_sealed: String,
    /// Token expiry, if any.
    pub token_expires_at: Option<DateTimeUtc>,
    /// Creation time.
    pub created_at: DateTimeUtc,
    /// Last update time.
    pub updated_at: DateTimeUtc,
}

/// No relations are navigated through the ORM.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
