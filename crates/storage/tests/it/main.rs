//! Repository tests, each run against SQLite and against PostgreSQL.

mod api_keys;
mod audit;
mod console_sessions;
mod credentials;
mod mcp_sessions;
mod servers;
mod test_schemas;

use alloy_storage::testing::TestDatabase;

/// Runs `body` once on a fresh SQLite database and once on a fresh PostgreSQL schema.
macro_rules! on_both {
    ($name:ident, $body:expr) => {
        mod $name {
            use super::*;
            #[tokio::test]
            async fn sqlite() {
                let t = TestDatabase::sqlite().await;
                ($body)(t).await;
            }
            #[tokio::test]
            async fn postgres() {
                let t = TestDatabase::postgres().await;
                ($body)(t).await;
            }
        }
    };
}
pub(crate) use on_both;
