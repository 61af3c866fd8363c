//! Accounts, API keys and servers.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{
    boolean, string, text, timestamp_with_time_zone, timestamp_with_time_zone_null,
};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("accounts")
                .if_not_exists()
                .col(string("id").primary_key())
                .col(text("name"))
                .col(timestamp_with_time_zone("created_at"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("api_keys")
                .if_not_exists()
                .col(string("id").primary_key())
                .col(string("account_id"))
                .col(text("user_id"))
                .col(text("name"))
                .col(string("prefix"))
                .col(string("lookup"))
                .col(text("hash"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone_null("expires_at"))
                .col(timestamp_with_time_zone_null("revoked_at"))
                .foreign_key(
                    ForeignKey::create()
                        .from("api_keys", "account_id")
                        .to("accounts", "id")
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("api_keys_lookup")
                .table("api_keys")
                .col("lookup")
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("servers")
                .if_not_exists()
                .col(string("id").primary_key())
                .col(string("account_id"))
                .col(text("user_id"))
                .col(string("user_key"))
                .col(text("name"))
                .col(text("description"))
                .col(string("mode"))
                .col(boolean("is_public"))
                .col(text("restrictions"))
                .col(string("token_digest"))
                .col(text("token_sealed"))
                .col(timestamp_with_time_zone_null("token_expires_at"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("updated_at"))
                .foreign_key(
                    ForeignKey::create()
                        .from("servers", "account_id")
                        .to("accounts", "id")
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("servers_owner_name")
                .table("servers")
                .col("account_id")
                .col("user_key")
                .col("name")
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("servers_token_digest")
                .table("servers")
                .col("token_digest")
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("servers_owner_created")
                .table("servers")
                .col("account_id")
                .col("user_key")
                .col("created_at")
                .to_owned(),
        )
        .await?;
        Ok(())
    }
}
