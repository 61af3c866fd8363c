//! `oauth_states`: authorizations in progress, keyed by a digest of their `state`.

use sea_orm::entity::prelude::*;

/// One pending authorization-code flow.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "oauth_states")]
pub struct Model {
    /// SHA-256 hex of the `state` value (the value itself is a bearer secret, never stored).
    #[sea_orm(primary_key, auto_increment = false)]
    pub state_digest: String,
    /// Account that started the flow.
    pub account_id: String,
    /// User that started the flow.
    pub user_id: String,
    /// SHA-256 of `user_id`.
    pub user_key: String,
    /// Connector being authorized.
    pub connector_id: String,
    /// Where the browser goes when the flow ends.
    pub redirect_uri: Option<String>,
    /// PKCE verifier and credential fields, sealed (JSON object).
    pub payload_sealed: String,
    /// After this the state is refused.
    pub expires_at: DateTimeUtc,
    /// Creation time.
    pub created_at: DateTimeUtc,
}

/// No relations are navigated through the ORM.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
