//! The imported connector catalog, shared by every replica.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{blob, integer, string, timestamp_with_time_zone};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("catalog_connectors")
                .if_not_exists()
                .col(string("id").primary_key())
                .col(string("source"))
                .col(string("category"))
                .col(integer("action_count"))
                .col(blob("summary"))
                .col(blob("details"))
                .col(timestamp_with_time_zone("imported_at"))
                .to_owned(),
        )
        .await
    }
}
