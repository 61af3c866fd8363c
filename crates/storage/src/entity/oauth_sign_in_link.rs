//! `oauth_sign_in_links`: one-time links that sign one user in to the OAuth sign-in page.

use sea_orm::entity::prelude::*;

/// One link.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "oauth_sign_in_links")]
pub struct Model {
    /// SHA-256 hex of the link's secret.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id_digest: String,
    /// The account.
    pub account_id: String,
    /// The user it signs in.
    pub user_id: String,
    /// The API key that minted it.
    pub key_id: String,
    /// End of its life (minutes).
    pub expires_at: DateTimeUtc,
    /// When it was used (once only).
    pub used_at: Option<DateTimeUtc>,
}

/// No relations are navigated through the ORM.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
