//! Schema migrations, run in order at start-up.

use sea_orm_migration::{MigrationTrait, MigratorTrait};

mod m0001_initial;
mod m0002_credentials;
mod m0003_mcp_sessions;
mod m0004_catalog;
mod m0005_audit;
mod m0006_audit_rowid;
mod m0007_require_user_token;
mod m0008_console_sessions;
mod m0009_oauth_server;
mod m0010_sign_in_links;
mod m0011_audit_chunks;

/// All migrations of the project.
pub struct Migrator;

#[sea_orm_migration::async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m0001_initial::Migration),
            Box::new(m0002_credentials::Migration),
            Box::new(m0003_mcp_sessions::Migration),
            Box::new(m0004_catalog::Migration),
            Box::new(m0005_audit::Migration),
            Box::new(m0006_audit_rowid::Migration),
            Box::new(m0007_require_user_token::Migration),
            Box::new(m0008_console_sessions::Migration),
            Box::new(m0009_oauth_server::Migration),
            Box::new(m0010_sign_in_links::Migration),
            Box::new(m0011_audit_chunks::Migration),
        ]
    }
}
