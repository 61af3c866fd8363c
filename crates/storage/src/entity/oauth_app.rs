//! `oauth_apps`: the OAuth 2.0 client an account registered for a connector.

use sea_orm::entity::prelude::*;

/// One OAuth app (client ID and sealed secret) per (account, connector).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "oauth_apps")]
pub struct Model {
    /// Owning account.
    #[sea_orm(primary_key, auto_increment = false)]
    pub account_id: String,
    /// The connector the app signs in to.
    #[sea_orm(primary_key, auto_increment = false)]
    pub connector_id: String,
    /// OAuth client ID.
    pub client_id: String,
    /// OAuth client secret sealed by the secret box (absent for public clients).
    pub client_secret_sealed: Option<String>,
    /// Further settings (scopes, token authentication method, …) as JSON text.
    pub settings: String,
    /// Creation time.
    pub created_at: DateTimeUtc,
    /// Last update time.
    pub updated_at: DateTimeUtc,
}

/// No relations are navigated through the ORM.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
