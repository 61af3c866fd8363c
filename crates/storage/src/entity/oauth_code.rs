//! `oauth_codes`: authorization codes waiting for their single exchange.

use sea_orm::entity::prelude::*;

/// One authorization code.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "oauth_codes")]
pub struct Model {
    /// SHA-256 hex of the code.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id_digest: String,
    /// The grant it activates.
    pub grant_id: String,
    /// The client it was issued to.
    pub client_id: String,
    /// The redirect URI of the authorization request (the exchange must repeat it).
    pub redirect_uri: String,
    /// PKCE S256 challenge.
    pub code_challenge: String,
    /// End of its short life.
    pub expires_at: DateTimeUtc,
    /// When it was exchanged (a second exchange is refused and revokes the grant).
    pub used_at: Option<DateTimeUtc>,
}

/// No relations are navigated through the ORM.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
