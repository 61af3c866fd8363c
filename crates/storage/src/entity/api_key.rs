//! `api_keys`: argon2 hashes of API keys, found by a short digest prefix.

use sea_orm::entity::prelude::*;

/// One API key.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "api_keys")]
pub struct Model {
    /// Key ID (not secret).
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// Owning account.
    pub account_id: String,
    /// The key's default user.
    pub user_id: String,
    /// Operator's label.
    pub name: String,
    /// First characters of the key, for recognising it in listings.
    pub prefix: String,
    /// First 16 hex characters of the key's SHA-256: narrows the argon2 check to one row.
    pub lookup: String,
    /// argon2id PHC string.
    pub hash: String,
    /// Creation time.
    pub created_at: DateTimeUtc,
    /// Expiry, if any.
    pub expires_at: Option<DateTimeUtc>,
    /// Revocation time, if revoked.
    pub revoked_at: Option<DateTimeUtc>,
}

/// No relations are navigated through the ORM.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
