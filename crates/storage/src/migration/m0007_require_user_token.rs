//! Servers: `require_user_token`, false for every existing server (the reference's behaviour).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::boolean;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table("servers")
                .add_column(boolean("require_user_token").default(false))
                .to_owned(),
        )
        .await
    }
}
