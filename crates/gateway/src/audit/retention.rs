//! Retention: events older than `ALLOY_AUDIT_RETENTION_DAYS` are deleted in the background.

use std::future::Future;
use std::time::Duration;

use alloy_storage::Database;
use chrono::Utc;

/// Deletes events older than `retention`; answers how many went.
pub async fn sweep_once(db: &Database, retention: Duration) -> Result<u64, alloy_storage::Error> {
    let age = chrono::Duration::from_std(retention).unwrap_or(chrono::Duration::MAX);
    let cutoff = Utc::now()
        .checked_sub_signed(age)
        .unwrap_or(chrono::DateTime::<Utc>::MIN_UTC);
    db.audit().delete_before(cutoff).await
}

/// Sweeps every `interval` (the first time at once) until `shutdown` resolves. Every replica
/// may run it: deleting what another replica already deleted costs one cheap statement.
pub async fn sweep_periodically(
    db: Database,
    retention: Duration,
    interval: Duration,
    shutdown: impl Future<Output = ()>,
) {
    crate::periodic::every(interval, shutdown, || async {
        match sweep_once(&db, retention).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(deleted = n, "audit events past their retention deleted"),
            Err(e) => tracing::warn!(error = %e, "audit retention sweep failed; retrying later"),
        }
    })
    .await;
}
