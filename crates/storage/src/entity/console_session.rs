//! `console_sessions`: signed-in admin-console browsers, shared by every replica.

use sea_orm::entity::prelude::*;

/// One console session.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "console_sessions")]
pub struct Model {
    /// SHA-256 hex of the cookie's secret (the secret itself is never stored).
    #[sea_orm(primary_key, auto_increment = false)]
    pub id_digest: String,
    /// The account the session acts in.
    pub account_id: String,
    /// The signed-in user.
    pub user_id: String,
    /// The API key that signed in, or that issued the user token that did.
    pub key_id: String,
    /// The user token's ID when a user token signed in.
    pub token_id: Option<String>,
    /// Sign-in time.
    pub created_at: DateTimeUtc,
    /// End of the session's life.
    pub expires_at: DateTimeUtc,
}

/// No relations are navigated through the ORM.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
