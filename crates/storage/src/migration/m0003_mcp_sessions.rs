//! MCP sessions.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{string, timestamp_with_time_zone, timestamp_with_time_zone_null};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("mcp_sessions")
                .if_not_exists()
                .col(string("id_digest").primary_key())
                .col(string("server_id"))
                .col(string("user_key"))
                .col(string("protocol_version"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone_null("ended_at"))
                .foreign_key(
                    ForeignKey::create()
                        .from("mcp_sessions", "server_id")
                        .to("servers", "id")
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("mcp_sessions_server")
                .table("mcp_sessions")
                .col("server_id")
                .to_owned(),
        )
        .await
    }
}
