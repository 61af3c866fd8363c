//! The imported connector catalog: written by `connectors import`, read by every replica at
//! start (summaries) and on demand (one connector's details).

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, DatabaseConnection, EntityTrait, QueryOrder, QuerySelect, Set,
    TransactionTrait,
};

use crate::entity::catalog_connector;
use crate::error::Error;

/// One connector to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCatalogConnector {
    /// Connector ID.
    pub id: String,
    /// The document it came from.
    pub source: String,
    /// Category.
    pub category: String,
    /// Number of actions.
    pub action_count: u32,
    /// Compressed summary.
    pub summary: Vec<u8>,
    /// Compressed details.
    pub details: Vec<u8>,
}

/// A stored connector as `connectors list` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogListing {
    /// Connector ID.
    pub id: String,
    /// The document it came from.
    pub source: String,
    /// Category.
    pub category: String,
    /// Number of actions.
    pub action_count: u32,
    /// When it was imported.
    pub imported_at: DateTime<Utc>,
}

/// Reads and writes the imported catalog.
#[derive(Debug, Clone)]
pub struct CatalogRepository {
    conn: DatabaseConnection,
}

impl CatalogRepository {
    pub(crate) fn new(conn: DatabaseConnection) -> Self {
        CatalogRepository { conn }
    }

    /// Stores connectors in one transaction, replacing any with the same ID.
    pub async fn put(&self, connectors: Vec<NewCatalogConnector>) -> Result<(), Error> {
        let txn = self.conn.begin().await?;
        let now = super::now();
        for c in connectors {
            catalog_connector::Entity::delete_by_id(c.id.clone())
                .exec(&txn)
                .await?;
            catalog_connector::ActiveModel {
                id: Set(c.id),
                source: Set(c.source),
                category: Set(c.category),
                action_count: Set(i32::try_from(c.action_count).unwrap_or(i32::MAX)),
                summary: Set(c.summary),
                details: Set(c.details),
                imported_at: Set(now),
            }
            .insert(&txn)
            .await?;
        }
        txn.commit().await?;
        Ok(())
    }

    /// `(source, summary)` of every stored connector, by ID.
    pub async fn summaries(&self) -> Result<Vec<(String, Vec<u8>)>, Error> {
        Ok(catalog_connector::Entity::find()
            .select_only()
            .columns([
                catalog_connector::Column::Source,
                catalog_connector::Column::Summary,
            ])
            .order_by_asc(catalog_connector::Column::Id)
            .into_tuple()
            .all(&self.conn)
            .await?)
    }

    /// The compressed details of one connector.
    pub async fn details(&self, id: &str) -> Result<Option<Vec<u8>>, Error> {
        Ok(catalog_connector::Entity::find_by_id(id.to_owned())
            .select_only()
            .column(catalog_connector::Column::Details)
            .into_tuple()
            .one(&self.conn)
            .await?)
    }

    /// Every stored connector (without its summary or details), by ID.
    pub async fn list(&self) -> Result<Vec<CatalogListing>, Error> {
        let rows: Vec<(String, String, String, i32, DateTime<Utc>)> =
            catalog_connector::Entity::find()
                .select_only()
                .columns([
                    catalog_connector::Column::Id,
                    catalog_connector::Column::Source,
                    catalog_connector::Column::Category,
                    catalog_connector::Column::ActionCount,
                    catalog_connector::Column::ImportedAt,
                ])
                .order_by_asc(catalog_connector::Column::Id)
                .into_tuple()
                .all(&self.conn)
                .await?;
        Ok(rows
            .into_iter()
            .map(
                |(id, source, category, count, imported_at)| CatalogListing {
                    id,
                    source,
                    category,
                    action_count: u32::try_from(count).unwrap_or(0),
                    imported_at,
                },
            )
            .collect())
    }

    /// Removes a connector; `false` when there was none with this ID.
    pub async fn remove(&self, id: &str) -> Result<bool, Error> {
        let res = catalog_connector::Entity::delete_by_id(id.to_owned())
            .exec(&self.conn)
            .await?;
        Ok(res.rows_affected > 0)
    }
}
