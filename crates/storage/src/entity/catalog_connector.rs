//! `catalog_connectors`: connectors imported by `connectors import`.

use sea_orm::entity::prelude::*;

/// One imported connector.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "catalog_connectors")]
pub struct Model {
    /// Connector ID.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// The document it came from (a path on the importing machine).
    pub source: String,
    /// The connector's category.
    pub category: String,
    /// How many actions it has.
    pub action_count: i32,
    /// Compressed summary (what listings and search need).
    #[sea_orm(column_type = "Blob")]
    pub summary: Vec<u8>,
    /// Compressed details (each action's definition, read on demand).
    #[sea_orm(column_type = "Blob")]
    pub details: Vec<u8>,
    /// When it was imported.
    pub imported_at: DateTimeUtc,
}

/// No relations are navigated through the ORM.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
