//! The audit trail: one row per recorded event, scoped by account.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{
    big_integer_null, integer_null, json_null, string, string_null, text_null,
    timestamp_with_time_zone,
};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(table("audit_events", true)).await?;
        for index in indexes() {
            m.create_index(index).await?;
        }
        Ok(())
    }
}

/// The audit table as this migration creates it, under `name`; `id` its primary key or not
/// (see m0006).
pub(super) fn table(name: &str, id_is_primary_key: bool) -> TableCreateStatement {
    let mut id = string("id");
    if id_is_primary_key {
        id.primary_key();
    }
    Table::create()
        .table(Alias::new(name))
        .if_not_exists()
        .col(id)
        .col(timestamp_with_time_zone("occurred_at"))
        .col(string("account_id"))
        // User IDs may be 10,000 characters: text, and filtered by `user_key`.
        .col(text_null("user_id"))
        .col(string_null("user_key"))
        .col(string("principal_kind"))
        .col(text_null("principal_id"))
        .col(string_null("server_id"))
        .col(string("event"))
        .col(string_null("tool"))
        .col(string_null("connector_id"))
        .col(string_null("action_id"))
        .col(string("outcome"))
        .col(string_null("error_code"))
        .col(integer_null("upstream_status"))
        .col(big_integer_null("latency_us"))
        .col(big_integer_null("upstream_latency_us"))
        .col(string_null("credential_id"))
        .col(string_null("client_ip"))
        .col(string_null("request_id"))
        .col(text_null("client_name"))
        .col(text_null("client_version"))
        .col(json_null("details"))
        .to_owned()
}

/// The table's indexes.
pub(super) fn indexes() -> [IndexCreateStatement; 2] {
    // Listing is always within one account, newest first; retention deletes by time.
    [
        Index::create()
            .name("audit_events_account_time")
            .table("audit_events")
            .col("account_id")
            .col("occurred_at")
            .to_owned(),
        Index::create()
            .name("audit_events_time")
            .table("audit_events")
            .col("occurred_at")
            .to_owned(),
    ]
}
