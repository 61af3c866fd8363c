//! Fresh databases for tests: an SQLite file in a temporary directory, or a PostgreSQL schema of
//! its own on the server named by `ALLOY_TEST_POSTGRES_URL`
//! (default `postgres://postgres@127.0.0.1:5432/test`).
//!
//! Schemas are named `t_<run>_<random>`, where `<run>` is `ALLOY_TEST_RUN` (set by `.ci/test`:
//! the run's start in Unix seconds and a random tag) or, without it, the time the schema was
//! made. So a run can drop exactly its own schemas at its end, and leftovers of a crashed run
//! can be told by their age: two runs on one PostgreSQL never drop each other's schemas.

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
        let schema = schema_name(
            std::env::var("ALLOY_TEST_RUN").ok().as_deref(),
            std::time::SystemTime::now(),
        );
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

/// A test schema's name: `t_<run>_<12 hex>`; `run` must be `<unix seconds>_<tag>` of
/// lower-case letters and digits (anything else is replaced by the time `now`).
pub fn schema_name(run: Option<&str>, now: std::time::SystemTime) -> String {
    let valid = |r: &&str| {
        r.len() <= 32
            && r.split_once('_').is_some_and(|(secs, tag)| {
                !secs.is_empty()
                    && secs.bytes().all(|b| b.is_ascii_digit())
                    && tag
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
            })
    };
    let run = match run.filter(valid) {
        Some(run) => run.to_owned(),
        None => {
            let secs = now
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0);
            format!("{secs}_dev")
        }
    };
    format!("t_{run}_{:012x}", rand::rng().random::<u64>() >> 16)
}

/// The PostgreSQL URL tests use.
pub fn postgres_url() -> String {
    std::env::var("ALLOY_TEST_POSTGRES_URL").unwrap_or_else(|_| DEFAULT_POSTGRES_URL.to_owned())
}
