//! The audit trail: written in batches by the gateway's audit writer, listed per account,
//! exported by the operator, swept after the retention period.

use std::sync::{Arc, OnceLock};

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Condition, ExprTrait};
use sea_orm::{
    ColumnTrait, DatabaseConnection, DbBackend, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use serde_json::Value;

use crate::entity::audit_event;
use crate::error::Error;

/// One audit event as stored. Never holds a secret: the writer is given none.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct AuditEventRecord {
    /// Event ID (a UUID).
    pub id: String,
    /// When it happened.
    pub occurred_at: DateTime<Utc>,
    /// The account it belongs to.
    pub account_id: String,
    /// The acting user, when one is known.
    pub user_id: Option<String>,
    /// How the caller authenticated: `api_key`, `user_token`, `access_token`, `cli`, `none`.
    pub principal_kind: String,
    /// The key ID, the user token's subject, or the server ID of an access token.
    pub principal_id: Option<String>,
    /// The MCP server involved.
    pub server_id: Option<String>,
    /// What happened (`tools/call`, `initialize`, `access.refused`, `server.created`, …).
    pub event: String,
    /// The MCP tool called.
    pub tool: Option<String>,
    /// The connector.
    pub connector_id: Option<String>,
    /// The action.
    pub action_id: Option<String>,
    /// `ok`, `tool_error`, `upstream_error`, `restricted`, `rate_limited`, `refused`, `failed`.
    pub outcome: String,
    /// The error code of a failure.
    pub error_code: Option<String>,
    /// The platform's HTTP status.
    pub upstream_status: Option<u16>,
    /// Time the request took, in microseconds.
    pub latency_us: Option<u64>,
    /// Time the platform took, in microseconds.
    pub upstream_latency_us: Option<u64>,
    /// The credential used.
    pub credential_id: Option<String>,
    /// The client's address.
    pub client_ip: Option<String>,
    /// The request's ID.
    pub request_id: Option<String>,
    /// `clientInfo.name` of the MCP client.
    pub client_name: Option<String>,
    /// `clientInfo.version` of the MCP client.
    pub client_version: Option<String>,
    /// Anything else: the refusal reason, a restriction diff, the (redacted) arguments.
    pub details: Option<Value>,
}

/// Which events to list. `account_id` is always applied: nothing crosses accounts.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    /// The account (required).
    pub account_id: String,
    /// Only this user's events.
    pub user_id: Option<String>,
    /// Only events of this server.
    pub server_id: Option<String>,
    /// Only events of this connector.
    pub connector_id: Option<String>,
    /// Only events of this action.
    pub action_id: Option<String>,
    /// Only calls of this tool.
    pub tool: Option<String>,
    /// Only events with this outcome.
    pub outcome: Option<String>,
    /// Only events at or after this time.
    pub from: Option<DateTime<Utc>>,
    /// Only events before this time.
    pub to: Option<DateTime<Utc>>,
}

impl From<audit_event::Model> for AuditEventRecord {
    fn from(m: audit_event::Model) -> Self {
        AuditEventRecord {
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
            upstream_status: m.upstream_status.and_then(|s| u16::try_from(s).ok()),
            latency_us: m.latency_us.and_then(|v| u64::try_from(v).ok()),
            upstream_latency_us: m.upstream_latency_us.and_then(|v| u64::try_from(v).ok()),
            credential_id: m.credential_id,
            client_ip: m.client_ip,
            request_id: m.request_id,
            client_name: m.client_name,
            client_version: m.client_version,
            details: m.details,
        }
    }
}

/// Rows of the largest insert statement (23 parameters each).
///
/// A batch is written in statements whose row counts are powers of two up to this one (a batch
/// of 500 rows: 256 + 128 + 64 + 32 + 16 + 4), so that there are only nine statement texts.
/// The driver keeps every statement it prepared, per connection: when each batch size had a
/// statement of its own, a server writing batches of varying sizes kept up to a hundred
/// prepared statements of thousands of parameters per connection (hundreds of MiB), and parsed
/// a new one for nearly every batch. 5,888 parameters fit both SQLite (32,766) and PostgreSQL
/// (65,535).
pub const ROWS_PER_STATEMENT: usize = 256;

/// The row counts of the statements that write `rows` rows: as many full statements as fit,
/// then the powers of two of the remainder, largest first.
fn statement_sizes(rows: usize) -> impl Iterator<Item = usize> {
    let full = rows / ROWS_PER_STATEMENT;
    let rest = rows % ROWS_PER_STATEMENT;
    std::iter::repeat_n(ROWS_PER_STATEMENT, full).chain(
        (0..ROWS_PER_STATEMENT.trailing_zeros())
            .rev()
            .map(|bit| 1usize << bit)
            .filter(move |size| rest & size != 0),
    )
}

/// The stored columns, in the order [`row_values`] gives them.
const COLUMNS: [&str; 23] = [
    "id",
    "occurred_at",
    "account_id",
    "user_id",
    "user_key",
    "principal_kind",
    "principal_id",
    "server_id",
    "event",
    "tool",
    "connector_id",
    "action_id",
    "outcome",
    "error_code",
    "upstream_status",
    "latency_us",
    "upstream_latency_us",
    "credential_id",
    "client_ip",
    "request_id",
    "client_name",
    "client_version",
    "details",
];

fn insert_sql(backend: DbBackend, rows: usize) -> String {
    let mut sql = format!("INSERT INTO audit_events ({}) VALUES ", COLUMNS.join(", "));
    let mut n = 0;
    for row in 0..rows {
        if row > 0 {
            sql.push_str(", ");
        }
        sql.push('(');
        for col in 0..COLUMNS.len() {
            if col > 0 {
                sql.push_str(", ");
            }
            n += 1;
            match backend {
                DbBackend::Postgres => {
                    sql.push('$');
                    sql.push_str(&n.to_string());
                }
                _ => sql.push('?'),
            }
        }
        sql.push(')');
    }
    sql
}

/// The SQL of a statement of `rows` rows (a power of two up to [`ROWS_PER_STATEMENT`]), built
/// once per backend and size.
fn insert_sql_of(backend: DbBackend, rows: usize) -> &'static str {
    const SIZES: usize = ROWS_PER_STATEMENT.trailing_zeros() as usize + 1;
    static SQLITE: [OnceLock<String>; SIZES] = [const { OnceLock::new() }; SIZES];
    static POSTGRES: [OnceLock<String>; SIZES] = [const { OnceLock::new() }; SIZES];
    let cells = match backend {
        DbBackend::Postgres => &POSTGRES,
        _ => &SQLITE,
    };
    let index = (rows.trailing_zeros() as usize).min(SIZES - 1);
    cells[index].get_or_init(|| insert_sql(backend, 1 << index))
}

/// Binds one event's columns, in [`COLUMNS`] order, to an insert of either backend.
///
/// The values go to the driver by move. (SeaORM's statement path clones every value of a
/// statement before binding it; on the audit trail's hot path, that was a tenth of the
/// writer's work.)
macro_rules! bind_event {
    ($query:expr, $e:expr) => {{
        let e: AuditEventRecord = $e;
        let micros = |v: Option<u64>| v.map(|v| i64::try_from(v).unwrap_or(i64::MAX));
        let user_key = e.user_id.as_deref().map(super::user_key);
        $query
            .bind(e.id)
            .bind(e.occurred_at)
            .bind(e.account_id)
            .bind(e.user_id)
            .bind(user_key)
            .bind(e.principal_kind)
            .bind(e.principal_id)
            .bind(e.server_id)
            .bind(e.event)
            .bind(e.tool)
            .bind(e.connector_id)
            .bind(e.action_id)
            .bind(e.outcome)
            .bind(e.error_code)
            .bind(e.upstream_status.map(i32::from))
            .bind(micros(e.latency_us))
            .bind(micros(e.upstream_latency_us))
            .bind(e.credential_id)
            .bind(e.client_ip)
            .bind(e.request_id)
            .bind(e.client_name)
            .bind(e.client_version)
            .bind(e.details)
    }};
}

/// Inserts `events` in one transaction of `pool`, in statements of the sizes
/// [`statement_sizes`] gives (the same for SQLite and PostgreSQL, hence a macro).
macro_rules! insert_batch {
    ($pool:expr, $backend:expr, $events:expr) => {{
        let mut tx = $pool.begin().await.map_err(sqlx_error)?;
        let events: Vec<AuditEventRecord> = $events;
        let mut events = events.into_iter();
        for rows in statement_sizes(events.len()) {
            let mut query = sqlx::query(insert_sql_of($backend, rows));
            for e in events.by_ref().take(rows) {
                query = bind_event!(query, e);
            }
            query.execute(&mut *tx).await.map_err(sqlx_error)?;
        }
        tx.commit().await.map_err(sqlx_error)?;
    }};
}

fn sqlx_error(e: sqlx::Error) -> Error {
    Error::Database(sea_orm::DbErr::Exec(sea_orm::RuntimeErr::SqlxError(
        Arc::new(e),
    )))
}

/// Reads and writes the audit trail.
#[derive(Debug, Clone)]
pub struct AuditRepository {
    conn: DatabaseConnection,
}

impl AuditRepository {
    pub(crate) fn new(conn: DatabaseConnection) -> Self {
        AuditRepository { conn }
    }

    /// Stores a batch of events, in statements of up to [`ROWS_PER_STATEMENT`] rows whose SQL
    /// repeats from batch to batch (nine shapes), so that the database prepares each shape once
    /// per connection instead of parsing, and keeping, a new statement of thousands of
    /// parameters for each batch size.
    pub async fn insert(&self, events: Vec<AuditEventRecord>) -> Result<(), Error> {
        if events.is_empty() {
            return Ok(());
        }
        // One transaction per batch: one commit, however many statements.
        match self.conn.get_database_backend() {
            DbBackend::Postgres => {
                insert_batch!(
                    self.conn.get_postgres_connection_pool(),
                    DbBackend::Postgres,
                    events
                )
            }
            _ => insert_batch!(
                self.conn.get_sqlite_connection_pool(),
                DbBackend::Sqlite,
                events
            ),
        }
        Ok(())
    }

    /// A page of events matching `filter`, newest first, and how many match in all.
    pub async fn list(
        &self,
        filter: &AuditFilter,
        limit: u64,
        offset: u64,
    ) -> Result<(Vec<AuditEventRecord>, u64), Error> {
        use audit_event::Column as C;
        let mut cond = Condition::all().add(C::AccountId.eq(filter.account_id.as_str()));
        if let Some(user) = &filter.user_id {
            cond = cond.add(C::UserKey.eq(super::user_key(user)));
        }
        for (column, value) in [
            (C::ServerId, &filter.server_id),
            (C::ConnectorId, &filter.connector_id),
            (C::ActionId, &filter.action_id),
            (C::Tool, &filter.tool),
            (C::Outcome, &filter.outcome),
        ] {
            if let Some(v) = value {
                cond = cond.add(column.eq(v.as_str()));
            }
        }
        if let Some(from) = filter.from {
            cond = cond.add(C::OccurredAt.gte(from));
        }
        if let Some(to) = filter.to {
            cond = cond.add(C::OccurredAt.lt(to));
        }
        let q = audit_event::Entity::find().filter(cond);
        let total = q.clone().count(&self.conn).await?;
        let rows = q
            .order_by_desc(C::OccurredAt)
            .order_by_desc(C::Id)
            .limit(limit)
            .offset(offset)
            .all(&self.conn)
            .await?;
        Ok((rows.into_iter().map(Into::into).collect(), total))
    }

    /// Events of every account in `[from, to)`, oldest first, at most `limit` of them, after
    /// the event `after` (time and ID of the last one of the previous page): the operator's
    /// export, read page by page so that a long period never sits in memory.
    pub async fn export_page(
        &self,
        from: Option<DateTime<Utc>>,
        to: Option<DateTime<Utc>>,
        after: Option<(DateTime<Utc>, String)>,
        limit: u64,
    ) -> Result<Vec<AuditEventRecord>, Error> {
        use audit_event::Column as C;
        let mut cond = Condition::all();
        if let Some(from) = from {
            cond = cond.add(C::OccurredAt.gte(from));
        }
        if let Some(to) = to {
            cond = cond.add(C::OccurredAt.lt(to));
        }
        if let Some((at, id)) = after {
            cond = cond.add(
                Condition::any()
                    .add(C::OccurredAt.gt(at))
                    .add(C::OccurredAt.eq(at).and(C::Id.gt(id))),
            );
        }
        let rows = audit_event::Entity::find()
            .filter(cond)
            .order_by_asc(C::OccurredAt)
            .order_by_asc(C::Id)
            .limit(limit)
            .all(&self.conn)
            .await?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    /// Deletes events that happened before `cutoff`; returns how many.
    pub async fn delete_before(&self, cutoff: DateTime<Utc>) -> Result<u64, Error> {
        let res = audit_event::Entity::delete_many()
            .filter(audit_event::Column::OccurredAt.lt(cutoff))
            .exec(&self.conn)
            .await?;
        Ok(res.rows_affected)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_are_written_in_a_few_statement_shapes() {
        let mut shapes = std::collections::BTreeSet::new();
        for rows in 0..=1_100 {
            let sizes: Vec<usize> = statement_sizes(rows).collect();
            assert_eq!(sizes.iter().sum::<usize>(), rows, "{rows}: {sizes:?}");
            assert!(sizes.windows(2).all(|w| w[0] >= w[1]), "{rows}: {sizes:?}");
            for &size in &sizes {
                assert!(size.is_power_of_two() && size <= ROWS_PER_STATEMENT);
                shapes.insert(size);
            }
        }
        assert_eq!(shapes.len(), 9);
        assert_eq!(
            statement_sizes(500).collect::<Vec<_>>(),
            [256, 128, 64, 32, 16, 4]
        );
        assert_eq!(statement_sizes(513).collect::<Vec<_>>(), [256, 256, 1]);
        for size in shapes {
            let sql = insert_sql_of(DbBackend::Sqlite, size);
            assert_eq!(sql.matches('?').count(), size * COLUMNS.len());
            let sql = insert_sql_of(DbBackend::Postgres, size);
            assert!(sql.ends_with(&format!("${})", size * COLUMNS.len())));
        }
    }
}
