//! `credentials`: end users' platform credentials, their secret fields sealed.

use sea_orm::entity::prelude::*;

/// One credential of one user for one connector.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "credentials")]
pub struct Model {
    /// `credentialId` (24 hex characters); also the associated data of the sealed secret.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// Owning account.
    pub account_id: String,
    /// Owning user.
    pub user_id: String,
    /// SHA-256 of `user_id`, for the index.
    pub user_key: String,
    /// The connector the credential is for.
    pub connector_id: String,
    /// `oauth2`, `apiKey`, `bearer` or `basic`.
    pub auth_type: String,
    /// `active` or `needs_reauthorization`.
    pub status: String,
    /// The secret fields (JSON object) sealed by the secret box.
    pub secret_sealed: String,
    /// Whether a refresh token is held.
    pub refreshable: bool,
    /// When the access token expires (OAuth 2.0).
    pub expires_at: Option<DateTimeUtc>,
    /// When the tokens were last refreshed.
    pub refreshed_at: Option<DateTimeUtc>,
    /// Bumped on every change of the secret, so concurrent refreshes do not overwrite each other.
    pub version: i64,
    /// Creation time.
    pub created_at: DateTimeUtc,
    /// Last update time.
    pub updated_at: DateTimeUtc,
}

/// No relations are navigated through the ORM.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
