//! `alloy-mcp-server rotate-encryption-key`: re-seals every stored secret under the current
//! encryption key while servers keep running.
//!
//! Servers started with `ALLOY_ENCRYPTION_KEY` = new key and `ALLOY_PREVIOUS_ENCRYPTION_KEYS` =
//! old key(s) seal with the new key and open values under either, so they work throughout;
//! once this command reports no failures the old keys can be dropped from the settings.

use alloy_storage::ResealReport;
use anyhow::{Context, bail};

use crate::settings::StoreSettings;
use crate::startup;

/// Re-seals every sealed value (server access tokens, credential secrets, OAuth client secrets,
/// pending OAuth authorizations) that is not yet under the current key. Fails when no previous
/// key is configured (nothing could be opened) or when some value opens under no key of the
/// ring (the report lists them; nothing else is lost).
pub async fn rotate(store: &StoreSettings) -> anyhow::Result<ResealReport> {
    if store.encryption_key.is_none() {
        bail!(
            "set ALLOY_ENCRYPTION_KEY (or --encryption-key) to the new key and \
             ALLOY_PREVIOUS_ENCRYPTION_KEYS to the old one(s); see docs/credentials.md"
        );
    }
    if store
        .previous_encryption_keys
        .iter()
        .all(|k| k.trim().is_empty())
    {
        bail!(
            "set ALLOY_PREVIOUS_ENCRYPTION_KEYS (or --previous-encryption-keys) to the key(s) \
             the stored values are sealed under now"
        );
    }
    let db = startup::open_database(store).await?;
    let report = db.reseal_all().await.context("re-sealing stored secrets");
    db.close().await.context("closing the database")?;
    let report = report?;
    if !report.failed.is_empty() {
        bail!(
            "{} value(s) open under no configured key and were left as they are: {}",
            report.failed.len(),
            report.failed.join("; ")
        );
    }
    Ok(report)
}
