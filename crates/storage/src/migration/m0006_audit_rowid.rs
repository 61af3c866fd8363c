//! SQLite: the audit table without a primary key on `id`, so that each insert maintains two
//! indexes instead of three.
//!
//! Event IDs are UUIDv7s the gateway makes (unique by construction) and nothing looks an event
//! up by ID, so on SQLite the unique index on `id` was pure cost: a third B-tree, keyed by 32
//! characters of text, written on every event (about 15 % of the writer's work, measured with
//! `cargo bench -p alloy-gateway --bench audit_writer`). The table becomes a plain rowid table;
//! its rows and indexes are carried over. PostgreSQL keeps its primary key: there the database
//! server does this work, not the gateway's process.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

use super::m0005_audit::{indexes, table};
use sea_orm_migration::sea_query::SqliteQueryBuilder;

#[derive(DeriveMigrationName)]
pub struct Migration;

const COLUMNS: &str = "id, occurred_at, account_id, user_id, user_key, principal_kind, \
    principal_id, server_id, event, tool, connector_id, action_id, outcome, error_code, \
    upstream_status, latency_us, upstream_latency_us, credential_id, client_ip, request_id, \
    client_name, client_version, details";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        if m.get_database_backend() != DbBackend::Sqlite {
            return Ok(());
        }
        // One string, so that every statement runs on one connection of the pool, inside one
        // savepoint: a failure half-way leaves the old table as it was.
        let mut sql = String::from("SAVEPOINT m0006_audit_rowid;\n");
        sql.push_str(&table("audit_events_rowid", false).to_string(SqliteQueryBuilder));
        sql.push_str(&format!(
            ";\nINSERT INTO audit_events_rowid ({COLUMNS}) SELECT {COLUMNS} FROM audit_events \
             ORDER BY occurred_at, id;\n"
        ));
        // Dropping the table drops its indexes; they are made again on the new one.
        sql.push_str("DROP TABLE audit_events;\n");
        sql.push_str("ALTER TABLE audit_events_rowid RENAME TO audit_events;\n");
        for index in indexes() {
            sql.push_str(&index.to_string(SqliteQueryBuilder));
            sql.push_str(";\n");
        }
        sql.push_str("RELEASE m0006_audit_rowid;");
        m.get_connection().execute_unprepared(&sql).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use sea_orm_migration::MigratorTrait;
    use sea_orm_migration::sea_orm::{ConnectOptions, ConnectionTrait, Database, Statement};

    use crate::migration::Migrator;

    #[tokio::test]
    async fn sqlite_rows_and_indexes_are_carried_over_and_the_id_index_is_gone() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("a.db").display());
        // A pool of several connections, as the server opens.
        let mut options = ConnectOptions::new(url);
        options.max_connections(4).min_connections(2);
        let db = Database::connect(options).await.unwrap();
        Migrator::up(&db, Some(5)).await.unwrap();
        for (id, at) in [
            ("b", "2026-01-02"),
            ("a", "2026-01-01"),
            ("c", "2026-01-03"),
        ] {
            db.execute_unprepared(&format!(
                "INSERT INTO audit_events (id, occurred_at, account_id, principal_kind, event, \
                 outcome, details) VALUES ('{id}', '{at}T00:00:00+00:00', 'acct', 'none', \
                 'tools/call', 'ok', '{{\"n\":1}}')"
            ))
            .await
            .unwrap();
        }
        // m0006 alone (m0011 moves the rows on).
        Migrator::up(&db, Some(1)).await.unwrap();

        let rows = db
            .query_all_raw(Statement::from_string(
                db.get_database_backend(),
                "SELECT id, details FROM audit_events ORDER BY rowid",
            ))
            .await
            .unwrap();
        let ids: Vec<String> = rows.iter().map(|r| r.try_get("", "id").unwrap()).collect();
        assert_eq!(ids, ["a", "b", "c"], "every row kept, oldest first");
        let details: String = rows[0].try_get("", "details").unwrap();
        assert_eq!(details, "{\"n\":1}");

        let indexes = db
            .query_all_raw(Statement::from_string(
                db.get_database_backend(),
                "SELECT name FROM sqlite_master WHERE type = 'index' \
                 AND tbl_name = 'audit_events' ORDER BY name",
            ))
            .await
            .unwrap();
        let names: Vec<String> = indexes
            .iter()
            .map(|r| r.try_get("", "name").unwrap())
            .collect();
        assert_eq!(names, ["audit_events_account_time", "audit_events_time"]);
    }
}
