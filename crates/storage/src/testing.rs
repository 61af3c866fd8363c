//! Fresh databases for tests: an SQLite file in a temporary directory, or a PostgreSQL schema of
//! its own on the server named by `ALLOY_TEST_POSTGRES_URL`
//! (default `postgres://postgres@127.0.0.1:5432/test`).

use rand::Rng;
use sea_orm::ConnectionTrait;

use crate::{Database, SecretBox};

/// Default PostgreSQL server for tests.
pub const DEFAULT_POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

/// A migrated database that lives as long as this value.
pub struct TestDatabase {
    /// The database.
    pub db: Database,
    /// URL it was opened with (for a second connection or a restart).
    pub url: String,
    /// PostgreSQL schema, if any.
    pub schema: Option<String>,
    /// The encryption key.
    pub key: [u8; crate::KEY_LEN],
    /// Keeps the SQLite directory alive.
    pub dir: Option<tempfile::TempDir>,
}

impl TestDatabase {
    /// An SQLite database in a new temporary directory.
    pub async fn sqlite() -> Self {
        let dir = tempfile::tempdir().expect("temporary directory");
        let url = format!(
            "sqlite://{}?mode=rwc",
            dir.path().join("alloy.db").display()
        );
        let key = SecretBox::generate_key();
        let db = Database::connect(&url, SecretBox::new(&key, &[]).expect("key"))
            .await
            .expect("open SQLite test database");
        TestDatabase {
            db,
            url,
            schema: None,
            key,
            dir: Some(dir),
        }
    }

    /// A new schema on the test PostgreSQL server. Panics with a clear message if the server
    /// cannot be reached: a test that needs PostgreSQL must not pass without it.
    pub async fn postgres() -> Self {
        let url = postgres_url();
        let schema = format!("t_{:016x}", rand::rng().random::<u64>());
        let admin = sea_orm::Database::connect(url.as_str())
            .await
            .unwrap_or_else(|e| {
                panic!(
                    "PostgreSQL test server at {url} is not reachable ({e}); start it (see .ci/run)"
                )
            });
        admin
            .execute_unprepared(&format!("CREATE SCHEMA {schema}"))
            .await
            .expect("create test schema");
        let _ = admin.close().await;
        let key = SecretBox::generate_key();
        let db = Database::connect_in_schema(
            &url,
            Some(&schema),
            SecretBox::new(&key, &[]).expect("key"),
        )
        .await
        .expect("open PostgreSQL test database");
        TestDatabase {
            db,
            url,
            schema: Some(schema),
            key,
            dir: None,
        }
    }

    /// Opens the same database again through a new pool (a restart, or a second replica).
    pub async fn reopen(&self) -> Database {
        Database::connect_in_schema(
            &self.url,
            self.schema.as_deref(),
            SecretBox::new(&self.key, &[]).expect("key"),
        )
        .await
        .expect("reopen test database")
    }
}

/// Not a cleanup: having a `Drop` impl makes closures and `async move` blocks capture a
/// `TestDatabase` whole. Without it, Rust 2021+ disjoint capture takes only `t.db` into a test
/// body and drops `t.dir` at once, deleting the SQLite directory under the open pool: the next
/// connection the pool opens then fails with "unable to open database file".
impl Drop for TestDatabase {
    fn drop(&mut self) {}
}

/// The PostgreSQL URL tests use.
pub fn postgres_url() -> String {
    std::env::var("ALLOY_TEST_POSTGRES_URL").unwrap_or_else(|_| DEFAULT_POSTGRES_URL.to_owned())
}
