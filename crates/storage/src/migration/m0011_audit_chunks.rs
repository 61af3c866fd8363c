//! The audit trail as chunks: a row per account per written batch instead of a row per event
//! (see `repo::audit`). Existing events are moved into chunks and `audit_events` is dropped.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{big_integer, big_pk_auto, blob, integer, string};
use sea_orm_migration::sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};

use crate::entity::audit_event;
use crate::repo::audit::AuditRepository;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Old rows moved per read.
const ROWS_PER_READ: u64 = 4096;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("audit_chunks")
                .if_not_exists()
                .col(big_pk_auto("id"))
                .col(string("account_id"))
                .col(big_integer("first_at"))
                .col(big_integer("last_at"))
                .col(integer("events"))
                .col(blob("data"))
                .to_owned(),
        )
        .await?;
        // Listing: one account, newest first. Export: by first event. Retention: by last.
        for (name, columns) in [
            ("audit_chunks_account_last", &["account_id", "last_at"][..]),
            ("audit_chunks_first", &["first_at"][..]),
            ("audit_chunks_last", &["last_at"][..]),
        ] {
            let mut index = Index::create();
            index.name(name).table("audit_chunks").if_not_exists();
            for column in columns {
                index.col(Alias::new(*column));
            }
            m.create_index(index).await?;
        }

        // Move the events over, in time order, a page at a time. Where the migration runs in a
        // transaction (PostgreSQL) a failure keeps the old table as it was; elsewhere a run cut
        // short leaves both tables, and the next run starts the move again from an empty
        // `audit_chunks`, so that no event is stored twice.
        let conn = m.get_connection();
        conn.execute_unprepared("DELETE FROM audit_chunks").await?;
        let mut after: Option<(chrono::DateTime<chrono::Utc>, String)> = None;
        loop {
            use audit_event::Column as C;
            let mut q = audit_event::Entity::find();
            if let Some((at, id)) = &after {
                q = q.filter(
                    Condition::any()
                        .add(C::OccurredAt.gt(*at))
                        .add(C::OccurredAt.eq(*at).and(C::Id.gt(id.as_str()))),
                );
            }
            let rows = q
                .order_by_asc(C::OccurredAt)
                .order_by_asc(C::Id)
                .limit(ROWS_PER_READ)
                .all(conn)
                .await?;
            let Some(last) = rows.last() else { break };
            after = Some((last.occurred_at, last.id.clone()));
            let records: Vec<crate::AuditEventRecord> =
                rows.into_iter().map(legacy_record).collect();
            let new: Vec<crate::NewAuditEvent<'_>> = records
                .iter()
                .map(crate::AuditEventRecord::as_new)
                .collect();
            AuditRepository::insert_on(conn, &new)
                .await
                .map_err(|e| DbErr::Migration(format!("moving audit events: {e}")))?;
        }
        m.drop_table(Table::drop().table("audit_events").to_owned())
            .await
    }
}

fn legacy_record(m: audit_event::Model) -> crate::AuditEventRecord {
    crate::AuditEventRecord {
        id: m.id,
        occurred_at: m.occurred_at,
        account_id: m.account_id,
        user_id: m.user_id,
        principal_kind: m.principal_kind,
        principal_id: m.principal_id,
        server_id: m.server_id,
        event: m.event,
        tool: m.tool,
        connector_id: m.connector_id,
        action_id: m.action_id,
        outcome: m.outcome,
        error_code: m.error_code,
        upstream_status: m.upstream_status.and_then(|s| s.try_into().ok()),
        latency_us: m.latency_us.and_then(|v| v.try_into().ok()),
        upstream_latency_us: m.upstream_latency_us.and_then(|v| v.try_into().ok()),
        credential_id: m.credential_id,
        client_ip: m.client_ip,
        request_id: m.request_id,
        client_name: m.client_name,
        client_version: m.client_version,
        details: m.details,
    }
}

#[cfg(test)]
mod tests {
    use sea_orm_migration::MigratorTrait;
    use sea_orm_migration::sea_orm::{ConnectOptions, ConnectionTrait, Database, Statement};

    use crate::AuditFilter;
    use crate::migration::Migrator;
    use crate::repo::audit::AuditRepository;

    #[tokio::test]
    async fn sqlite_events_move_into_chunks_once_and_the_old_table_goes() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("a.db").display());
        let mut options = ConnectOptions::new(url);
        options.max_connections(4).min_connections(2);
        let db = Database::connect(options).await.unwrap();
        Migrator::up(&db, Some(10)).await.unwrap();
        // More than one read's worth, two accounts, times out of order.
        let mut values = Vec::new();
        for n in 0..(super::ROWS_PER_READ + 10) {
            let account = if n % 5 == 0 { "acct-b" } else { "acct-a" };
            let minute = (n * 7) % 600;
            values.push(format!(
                "('ev-{n:05}', '2026-01-01T{:02}:{:02}:00+00:00', '{account}', 'u{}', 'api_key', \
                 'tools/call', 'ok', 250, 1200, '{{\"n\":{n}}}')",
                minute / 60,
                minute % 60,
                n % 3,
            ));
        }
        db.execute_unprepared(&format!(
            "INSERT INTO audit_events (id, occurred_at, account_id, user_id, principal_kind, \
             event, outcome, upstream_status, latency_us, details) VALUES {}",
            values.join(", ")
        ))
        .await
        .unwrap();
        // What a run cut short would leave: the new table with some events already moved.
        db.execute_unprepared(
            "CREATE TABLE audit_chunks (id INTEGER PRIMARY KEY AUTOINCREMENT, account_id TEXT \
             NOT NULL, first_at BIGINT NOT NULL, last_at BIGINT NOT NULL, events INTEGER NOT \
             NULL, data BLOB NOT NULL); INSERT INTO audit_chunks (account_id, first_at, \
             last_at, events, data) VALUES ('acct-a', 0, 0, 5, x'01')",
        )
        .await
        .unwrap();
        Migrator::up(&db, None).await.unwrap();

        let repo = AuditRepository::new(db.clone());
        let filter = |account: &str| AuditFilter {
            account_id: account.into(),
            ..AuditFilter::default()
        };
        let (page, total) = repo.list(&filter("acct-a"), 3, 0).await.unwrap();
        let expected_a = (0..super::ROWS_PER_READ + 10)
            .filter(|n| n % 5 != 0)
            .count();
        assert_eq!(total, expected_a as u64);
        let (_, total_b) = repo.list(&filter("acct-b"), 0, 0).await.unwrap();
        assert_eq!(total + total_b, super::ROWS_PER_READ + 10);
        // The newest: minute 599 is n = 457 (+ multiples of 600), all of account A.
        assert_eq!(
            page[0].occurred_at.to_rfc3339(),
            "2026-01-01T09:59:00+00:00"
        );
        let n: u64 = page[0].id[3..].parse().unwrap();
        assert_eq!(page[0].details, Some(serde_json::json!({ "n": n })));
        assert_eq!(page[0].upstream_status, Some(250));
        assert_eq!(page[0].latency_us, Some(1200));
        assert_eq!(
            page[0].user_id.as_deref(),
            Some(format!("u{}", n % 3).as_str())
        );

        let tables = db
            .query_all_raw(Statement::from_string(
                db.get_database_backend(),
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'audit%' \
                 ORDER BY name",
            ))
            .await
            .unwrap();
        let names: Vec<String> = tables
            .iter()
            .map(|r| r.try_get("", "name").unwrap())
            .collect();
        assert_eq!(names, ["audit_chunks"]);
    }
}
