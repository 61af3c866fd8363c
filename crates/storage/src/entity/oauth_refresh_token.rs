//! `oauth_refresh_tokens`: each refresh token of a grant; a used one stays, so that its reuse is
//! recognised.

use sea_orm::entity::prelude::*;

/// One refresh token.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "oauth_refresh_tokens")]
pub struct Model {
    /// SHA-256 hex of the token.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id_digest: String,
    /// Its grant.
    pub grant_id: String,
    /// Issue time.
    pub created_at: DateTimeUtc,
    /// When it was exchanged (then it is spent: presenting it again revokes the grant).
    pub used_at: Option<DateTimeUtc>,
    /// End of its life.
    pub expires_at: DateTimeUtc,
}

/// No relations are navigated through the ORM.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
