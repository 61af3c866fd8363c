//! The gateway as an OAuth 2.1 authorization server for MCP clients: registered clients,
//! grants (a client signed in as one user for one server), authorization codes and refresh
//! tokens (stored as digests only).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{
    string, text, text_null, timestamp_with_time_zone, timestamp_with_time_zone_null,
};

#[derive(DeriveMigrationName)]
pub struct Migration;

fn index(name: &str, table: &str, column: &str) -> IndexCreateStatement {
    Index::create()
        .name(name)
        .table(Alias::new(table))
        .col(Alias::new(column))
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("oauth_clients")
                .if_not_exists()
                .col(string("client_id").primary_key())
                .col(text_null("client_name"))
                // A JSON array of exact redirect URIs.
                .col(text("redirect_uris"))
                .col(string("application_type"))
                .col(timestamp_with_time_zone("created_at"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("oauth_grants")
                .if_not_exists()
                .col(string("id").primary_key())
                .col(string("account_id"))
                .col(text("user_id"))
                .col(string("user_key"))
                .col(string("key_id"))
                .col(text("client_id"))
                .col(text_null("client_name"))
                .col(string("server_id"))
                .col(string("scope"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone_null("last_used_at"))
                .col(timestamp_with_time_zone_null("revoked_at"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("oauth_codes")
                .if_not_exists()
                .col(string("id_digest").primary_key())
                .col(string("grant_id"))
                .col(text("client_id"))
                .col(text("redirect_uri"))
                .col(string("code_challenge"))
                .col(timestamp_with_time_zone("expires_at"))
                .col(timestamp_with_time_zone_null("used_at"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("oauth_refresh_tokens")
                .if_not_exists()
                .col(string("id_digest").primary_key())
                .col(string("grant_id"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone_null("used_at"))
                .col(timestamp_with_time_zone("expires_at"))
                .to_owned(),
        )
        .await?;
        for i in [
            index("oauth_grants_account", "oauth_grants", "account_id"),
            index("oauth_grants_server", "oauth_grants", "server_id"),
            index("oauth_grants_key", "oauth_grants", "key_id"),
            index("oauth_refresh_grant", "oauth_refresh_tokens", "grant_id"),
            index("oauth_codes_grant", "oauth_codes", "grant_id"),
        ] {
            m.create_index(i).await?;
        }
        Ok(())
    }
}
