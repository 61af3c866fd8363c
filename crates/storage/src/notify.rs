//! Change notifications between replicas sharing a PostgreSQL database (`NOTIFY`/`LISTEN`):
//! what one replica changes, the others hear about at once, so that what they keep in memory
//! never outlives the change by more than the notification's trip.

use sqlx::postgres::PgListener;

use crate::database::{Backend, Database};
use crate::error::Error;

/// The channel every replica listens on.
pub const CHANNEL: &str = "alloy_changes";

/// What a listener hears.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Heard {
    /// A payload another replica (or this one) sent.
    Change(String),
    /// The connection was lost and is being re-established: anything sent meanwhile was
    /// missed, so whatever was kept in memory must be read again.
    Gap,
}

/// A `LISTEN` connection on [`CHANNEL`].
pub struct Listener {
    inner: PgListener,
}

impl std::fmt::Debug for Listener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Listener")
    }
}

impl Listener {
    /// The next change, or a gap; reconnects by itself after a gap. `Err` only when the pool
    /// is closed (the server is stopping).
    pub async fn next(&mut self) -> Result<Heard, Error> {
        match self.inner.try_recv().await {
            Ok(Some(n)) => Ok(Heard::Change(n.payload().to_owned())),
            Ok(None) => Ok(Heard::Gap),
            Err(sqlx::Error::PoolClosed) => Err(Error::Config("the pool is closed".to_owned())),
            Err(e) => {
                tracing::warn!(error = %e, "change notifications interrupted; reconnecting");
                // Do not spin while the server is away.
                tokio::time::sleep(std::time::Duration::from_millis(500)).await;
                Ok(Heard::Gap)
            }
        }
    }
}

impl Database {
    /// Tells every replica listening (this one included) about a change. Nothing to do on
    /// SQLite: one process serves it (other processes, such as the CLI, are covered by the
    /// readers' periodic re-reads).
    pub async fn notify(&self, payload: &str) -> Result<(), Error> {
        if self.backend() != Backend::Postgres {
            return Ok(());
        }
        let statement = sea_orm::Statement::from_sql_and_values(
            sea_orm::DbBackend::Postgres,
            "SELECT pg_notify($1, $2)",
            [CHANNEL.into(), payload.into()],
        );
        sea_orm::ConnectionTrait::execute_raw(self.connection(), statement).await?;
        Ok(())
    }

    /// A listener on [`CHANNEL`] (PostgreSQL only; `None` on SQLite).
    pub async fn listen(&self) -> Result<Option<Listener>, Error> {
        if self.backend() != Backend::Postgres {
            return Ok(None);
        }
        let pool = self.connection().get_postgres_connection_pool();
        let mut inner = PgListener::connect_with(pool)
            .await
            .map_err(|e| Error::Unreachable(e.to_string()))?;
        inner
            .listen(CHANNEL)
            .await
            .map_err(|e| Error::Unreachable(e.to_string()))?;
        Ok(Some(Listener { inner }))
    }
}
