//! End-user credentials, operators' OAuth apps and pending OAuth authorizations.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{
    big_integer, boolean, string, text, text_null, timestamp_with_time_zone,
    timestamp_with_time_zone_null,
};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("credentials")
                .if_not_exists()
                .col(string("id").primary_key())
                .col(string("account_id"))
                .col(text("user_id"))
                .col(string("user_key"))
                .col(string("connector_id"))
                .col(string("auth_type"))
                .col(string("status"))
                .col(text("secret_sealed"))
                .col(boolean("refreshable"))
                .col(timestamp_with_time_zone_null("expires_at"))
                .col(timestamp_with_time_zone_null("refreshed_at"))
                .col(big_integer("version"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("updated_at"))
                .foreign_key(
                    ForeignKey::create()
                        .from("credentials", "account_id")
                        .to("accounts", "id")
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("credentials_owner_connector")
                .table("credentials")
                .col("account_id")
                .col("user_key")
                .col("connector_id")
                .col("created_at")
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("oauth_apps")
                .if_not_exists()
                .col(string("account_id"))
                .col(string("connector_id"))
                .col(text("client_id"))
                .col(text_null("client_secret_sealed"))
                .col(text("settings"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("updated_at"))
                .primary_key(Index::create().col("account_id").col("connector_id"))
                .foreign_key(
                    ForeignKey::create()
                        .from("oauth_apps", "account_id")
                        .to("accounts", "id")
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("oauth_states")
                .if_not_exists()
                .col(string("state_digest").primary_key())
                .col(string("account_id"))
                .col(text("user_id"))
                .col(string("user_key"))
                .col(string("connector_id"))
                .col(text_null("redirect_uri"))
                .col(text("payload_sealed"))
                .col(timestamp_with_time_zone("expires_at"))
                .col(timestamp_with_time_zone("created_at"))
                .foreign_key(
                    ForeignKey::create()
                        .from("oauth_states", "account_id")
                        .to("accounts", "id")
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("oauth_states_expires")
                .table("oauth_states")
                .col("expires_at")
                .to_owned(),
        )
        .await?;
        Ok(())
    }
}
