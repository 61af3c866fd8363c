//! Admin-console sessions: the server side of the console's sign-in cookie.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{string, string_null, timestamp_with_time_zone};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("console_sessions")
                .if_not_exists()
                .col(string("id_digest").primary_key())
                .col(string("account_id"))
                .col(string("user_id"))
                .col(string("key_id"))
                .col(string_null("token_id"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("expires_at"))
                .to_owned(),
        )
        .await?;
        // Revoking a key ends its sessions; the sweep drops expired ones.
        m.create_index(
            Index::create()
                .name("console_sessions_key")
                .table("console_sessions")
                .col("key_id")
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("console_sessions_expiry")
                .table("console_sessions")
                .col("expires_at")
                .to_owned(),
        )
        .await
    }
}
