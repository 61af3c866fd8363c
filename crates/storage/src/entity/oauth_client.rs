//! `oauth_clients`: MCP clients registered with the gateway's authorization server (RFC 7591).

use sea_orm::entity::prelude::*;

/// One registered client.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "oauth_clients")]
pub struct Model {
    /// The client ID the gateway issued.
    #[sea_orm(primary_key, auto_increment = false)]
    pub client_id: String,
    /// The name it gave.
    pub client_name: Option<String>,
    /// Its exact redirect URIs, a JSON array.
    pub redirect_uris: String,
    /// `native` or `web`.
    pub application_type: String,
    /// Registration time.
    pub created_at: DateTimeUtc,
}

/// No relations are navigated through the ORM.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
