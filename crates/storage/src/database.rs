//! Connecting to SQLite or PostgreSQL, running migrations, and handing out repositories.

use std::sync::Arc;
use std::time::Duration;

use sea_orm::{ConnectOptions, ConnectionTrait, DatabaseConnection, DbBackend};
use sea_orm_migration::MigratorTrait;
use sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};

use crate::crypto::SecretBox;
use crate::error::Error;
use crate::migration::Migrator;
use crate::repo::{
    accounts::AccountRepository, api_keys::ApiKeyRepository, credentials::CredentialRepository,
    oauth::OAuthAppRepository, oauth::OAuthStateRepository, servers::ServerRepository,
};

/// Which database engine is behind a [`Database`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// SQLite file (embedded default).
    Sqlite,
    /// PostgreSQL server.
    Postgres,
}

/// Connections of a [`Database`]'s pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolStats {
    /// Open connections.
    pub open: u32,
    /// Open connections not in use.
    pub idle: u32,
}

/// A migrated database and the secret box for values sealed at rest. Cheap to clone.
#[derive(Clone)]
pub struct Database {
    conn: DatabaseConnection,
    secrets: Arc<SecretBox>,
    backend: Backend,
}

impl std::fmt::Debug for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Database")
            .field("backend", &self.backend)
            .finish_non_exhaustive()
    }
}

impl Database {
    /// Opens one connection to the PostgreSQL server `url` names and closes it, within
    /// `timeout`: the cause of a failure (connection refused, unknown host, authentication
    /// failed, no such database) comes back at once, where a pool would wait for its acquire
    /// timeout and report only that. SQLite needs no probe (its errors are immediate).
    pub async fn probe(url: &str, timeout: Duration) -> Result<(), Error> {
        use sqlx::ConnectOptions;
        if !(url.starts_with("postgres:") || url.starts_with("postgresql:")) {
            return Ok(());
        }
        let options: sqlx::postgres::PgConnectOptions = url
            .parse()
            .map_err(|e: sqlx::Error| Error::Config(format!("DATABASE_URL: {e}")))?;
        match tokio::time::timeout(timeout, options.connect()).await {
            Err(_) => Err(Error::Unreachable(format!(
                "no answer within {} s",
                timeout.as_secs()
            ))),
            Ok(Err(e)) => Err(Error::Unreachable(unreachable_cause(&e))),
            Ok(Ok(conn)) => {
                let _ = sqlx::Connection::close(conn).await;
                Ok(())
            }
        }
    }

    /// The migrations `url`'s database has not had yet, by name, without changing anything
    /// (for `doctor`): all of them on a database never migrated. A SQLite URL is opened
    /// read-only; the file must exist.
    pub async fn pending_migrations(url: &str) -> Result<Vec<String>, Error> {
        use sea_orm::{ConnectionTrait, Statement};
        let url = if url.starts_with("sqlite:") {
            url.replace("mode=rwc", "mode=ro")
        } else {
            url.to_owned()
        };
        let mut opts = ConnectOptions::new(url);
        opts.sqlx_logging(false)
            .max_connections(1)
            .connect_timeout(Duration::from_secs(5))
            .acquire_timeout(Duration::from_secs(5));
        let conn = sea_orm::Database::connect(opts).await?;
        let backend = conn.get_database_backend();
        // No table yet: nothing applied.
        let applied: Vec<String> = conn
            .query_all_raw(Statement::from_string(
                backend,
                "SELECT version FROM seaql_migrations",
            ))
            .await
            .map(|rows| {
                rows.iter()
                    .filter_map(|r| r.try_get::<String>("", "version").ok())
                    .collect()
            })
            .unwrap_or_default();
        let _ = conn.close().await;
        Ok(Migrator::migrations()
            .iter()
            .map(|m| m.name().to_owned())
            .filter(|name| !applied.contains(name))
            .collect())
    }

    /// Connects to `url` (`sqlite://path?mode=rwc` or `postgres://…`) and runs pending migrations.
    pub async fn connect(url: &str, secrets: SecretBox) -> Result<Self, Error> {
        Self::connect_in_schema(url, None, secrets).await
    }

    /// Like [`connect`](Self::connect), confining a PostgreSQL connection to `schema` (tests give
    /// every run its own schema).
    pub async fn connect_in_schema(
        url: &str,
        schema: Option<&str>,
        secrets: SecretBox,
    ) -> Result<Self, Error> {
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Backend::Postgres
        } else {
            return Err(Error::Config(
                "DATABASE_URL must start with sqlite:// or postgres://".to_owned(),
            ));
        };
        let mut opts = ConnectOptions::new(url.to_owned());
        opts.sqlx_logging(false)
            .connect_timeout(Duration::from_secs(10))
            .acquire_timeout(Duration::from_secs(10));
        match backend {
            Backend::Sqlite => {
                // WAL lets readers run beside the one writer; busy_timeout makes a second writer
                // wait for the lock instead of failing at once.
                // No ping before each query: a connection is a thread of this process beside a
                // local file, which cannot hang up, and the ping was a second hop to that
                // thread on every query.
                opts.max_connections(4)
                    .min_connections(1)
                    .test_before_acquire(false)
                    .map_sqlx_sqlite_opts(|o| {
                        o.create_if_missing(true)
                            .journal_mode(SqliteJournalMode::Wal)
                            .synchronous(SqliteSynchronous::Normal)
                            .busy_timeout(Duration::from_secs(10))
                            .foreign_keys(true)
                    });
            }
            Backend::Postgres => {
                // A connection used within the last half second is handed out without a ping
                // (a round trip to the server per query otherwise); one idle for longer is
                // pinged first, since the server, a proxy or a firewall may have dropped it.
                opts.max_connections(16)
                    .min_connections(1)
                    .test_before_acquire_if_idle_for(Duration::from_millis(500));
                if let Some(schema) = schema {
                    opts.set_schema_search_path(schema.to_owned());
                }
            }
        }
        let mut conn = sea_orm::Database::connect(opts).await?;
        let backend_label = match backend {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgresql",
        };
        conn.set_metric_callback(move |info| {
            metrics::histogram!(
                "alloy_db_query_duration_seconds",
                "backend" => backend_label,
                "outcome" => if info.failed { "error" } else { "ok" },
            )
            .record(info.elapsed.as_secs_f64());
        });
        // Said only when something changes: a start on an up-to-date database is quiet.
        let pending = Migrator::get_pending_migrations(&conn).await?.len();
        if pending > 0 {
            tracing::info!(pending, "applying database migrations");
        }
        Migrator::up(&conn, None).await?;
        if pending > 0 {
            tracing::info!(applied = pending, "database migrations applied");
        }
        Ok(Database {
            conn,
            secrets: Arc::new(secrets),
            backend,
        })
    }

    /// The engine behind this database.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Connections of the pool: open in all, and idle among them.
    pub fn pool_stats(&self) -> PoolStats {
        // The pool type is the one of `self.backend`, so neither accessor can panic.
        let (size, idle) = match self.backend {
            Backend::Sqlite => {
                let pool = self.conn.get_sqlite_connection_pool();
                (pool.size(), pool.num_idle())
            }
            Backend::Postgres => {
                let pool = self.conn.get_postgres_connection_pool();
                (pool.size(), pool.num_idle())
            }
        };
        PoolStats {
            open: size,
            idle: u32::try_from(idle).unwrap_or(u32::MAX),
        }
    }

    /// The secret box sealing values at rest.
    pub fn secrets(&self) -> &SecretBox {
        &self.secrets
    }

    /// Checks that the database answers (readiness probe).
    pub async fn ping(&self) -> Result<(), Error> {
        let backend = match self.backend {
            Backend::Sqlite => DbBackend::Sqlite,
            Backend::Postgres => DbBackend::Postgres,
        };
        self.conn
            .execute_raw(sea_orm::Statement::from_string(backend, "SELECT 1"))
            .await?;
        Ok(())
    }

    /// Writes a consistent copy of an SQLite database to `path` while it is in use (SQLite's
    /// `VACUUM INTO`: one read transaction, so writers carry on). PostgreSQL has `pg_dump` for
    /// this, and an existing file is never overwritten.
    pub async fn backup_to(&self, path: &std::path::Path) -> Result<(), Error> {
        if self.backend != Backend::Sqlite {
            return Err(Error::Config(
                "backup copies SQLite databases; for PostgreSQL use pg_dump".to_owned(),
            ));
        }
        if path.exists() {
            return Err(Error::Config(format!(
                "{} already exists; backup never overwrites a file",
                path.display()
            )));
        }
        let target = path
            .to_str()
            .ok_or_else(|| Error::Config(format!("{} is not a UTF-8 path", path.display())))?;
        let statement = sea_orm::Statement::from_sql_and_values(
            DbBackend::Sqlite,
            "VACUUM INTO ?",
            [target.into()],
        );
        self.conn.execute_raw(statement).await?;
        Ok(())
    }

    /// Closes the pool, waiting for connections in use to be returned; SQLite checkpoints its WAL.
    pub async fn close(self) -> Result<(), Error> {
        self.conn.close().await?;
        Ok(())
    }

    /// Accounts.
    pub fn accounts(&self) -> AccountRepository {
        AccountRepository::new(self.conn.clone())
    }

    /// API keys.
    pub fn api_keys(&self) -> ApiKeyRepository {
        ApiKeyRepository::new(self.conn.clone())
    }

    /// The audit trail.
    pub fn audit(&self) -> crate::repo::audit::AuditRepository {
        crate::repo::audit::AuditRepository::new(self.conn.clone())
    }

    /// The imported connector catalog.
    pub fn catalog(&self) -> crate::repo::catalog::CatalogRepository {
        crate::repo::catalog::CatalogRepository::new(self.conn.clone())
    }

    /// The gateway's OAuth authorization server (clients, grants, codes, refresh tokens).
    pub fn authorization(&self) -> crate::repo::authorization::AuthorizationRepository {
        crate::repo::authorization::AuthorizationRepository::new(self.conn.clone())
    }

    /// Admin-console sessions.
    pub fn console_sessions(&self) -> crate::repo::console_sessions::ConsoleSessionRepository {
        crate::repo::console_sessions::ConsoleSessionRepository::new(self.conn.clone())
    }

    /// MCP sessions.
    pub fn mcp_sessions(&self) -> crate::repo::mcp_sessions::McpSessionRepository {
        crate::repo::mcp_sessions::McpSessionRepository::new(self.conn.clone())
    }

    /// Servers.
    pub fn servers(&self) -> ServerRepository {
        ServerRepository::new(self.conn.clone(), self.secrets.clone())
    }

    /// End users' platform credentials.
    pub fn credentials(&self) -> CredentialRepository {
        CredentialRepository::new(self.conn.clone(), self.secrets.clone())
    }

    /// Accounts' OAuth apps.
    pub fn oauth_apps(&self) -> OAuthAppRepository {
        OAuthAppRepository::new(self.conn.clone(), self.secrets.clone())
    }

    /// OAuth authorizations in progress.
    pub fn oauth_states(&self) -> OAuthStateRepository {
        OAuthStateRepository::new(self.conn.clone(), self.secrets.clone())
    }

    /// The connection pool (for maintenance such as key rotation).
    pub(crate) fn connection(&self) -> &DatabaseConnection {
        &self.conn
    }
}

/// A connection error in a few words: the server's own message, or the operating system's
/// (\"Connection refused\"), without sqlx's prefixes.
fn unreachable_cause(e: &sqlx::Error) -> String {
    match e {
        sqlx::Error::Io(io) => match io.kind() {
            std::io::ErrorKind::ConnectionRefused => "connection refused".to_owned(),
            _ => io.to_string(),
        },
        sqlx::Error::Database(db) => db.message().to_owned(),
        sqlx::Error::Tls(tls) => format!("TLS: {tls}"),
        other => other.to_string(),
    }
}
