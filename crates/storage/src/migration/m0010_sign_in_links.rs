//! One-time sign-in links: an operator's backend signs one of its end users in to the
//! gateway's OAuth sign-in page without sharing a key (stored as digests only).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{
    string, text, timestamp_with_time_zone, timestamp_with_time_zone_null,
};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("oauth_sign_in_links")
                .if_not_exists()
                .col(string("id_digest").primary_key())
                .col(string("account_id"))
                .col(text("user_id"))
                .col(string("key_id"))
                .col(timestamp_with_time_zone("expires_at"))
                .col(timestamp_with_time_zone_null("used_at"))
                .to_owned(),
        )
        .await
    }
}
