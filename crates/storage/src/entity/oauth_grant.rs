//! `oauth_grants`: an MCP client signed in as one user of one account, for one server.

use sea_orm::entity::prelude::*;

/// One grant.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "oauth_grants")]
pub struct Model {
    /// Grant ID.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// The account.
    pub account_id: String,
    /// The user the client acts as.
    pub user_id: String,
    /// SHA-256 of `user_id` (indexed form).
    pub user_key: String,
    /// The API key that signed in, or that issued the user token that did.
    pub key_id: String,
    /// The client.
    pub client_id: String,
    /// The client's name as it registered.
    pub client_name: Option<String>,
    /// The one server the grant's tokens are for.
    pub server_id: String,
    /// Granted scope.
    pub scope: String,
    /// Approval time.
    pub created_at: DateTimeUtc,
    /// Last token issued or refreshed.
    pub last_used_at: Option<DateTimeUtc>,
    /// Revocation time.
    pub revoked_at: Option<DateTimeUtc>,
}

/// No relations are navigated through the ORM.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
