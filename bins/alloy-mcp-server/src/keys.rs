//! `alloy-mcp-server keys create|list|revoke`: API-key administration from the command line.

use alloy_gateway::Gateway;
use alloy_gateway::identity::CreatedApiKey;

/// Account and user of the first API key on an empty database.
pub const BOOTSTRAP_ACCOUNT: &str = "default";
/// The first key's default user.
pub const BOOTSTRAP_USER: &str = "default";

/// Creates a key for `user_id` in `account_id`, creating the account if it is new.
pub async fn create(
    gateway: &Gateway,
    account_id: &str,
    user_id: &str,
    name: &str,
    key: Option<String>,
) -> anyhow::Result<CreatedApiKey> {
    let accounts = gateway.db().accounts();
    if accounts.get(account_id).await?.is_none() {
        accounts.create(account_id, account_id).await?;
    }
    Ok(gateway
        .api_keys()
        .create(account_id, user_id, name, key, None)
        .await?)
}

/// On an empty database, creates the first account and API key. Returns the key to print once.
pub async fn bootstrap(
    gateway: &Gateway,
    configured: Option<String>,
) -> anyhow::Result<Option<CreatedApiKey>> {
    if gateway.db().accounts().count().await? > 0 {
        return Ok(None);
    }
    let created = create(
        gateway,
        BOOTSTRAP_ACCOUNT,
        BOOTSTRAP_USER,
        "bootstrap",
        configured,
    )
    .await?;
    Ok(Some(created))
}

/// One line per key: ID, account, user, prefix, state, creation time.
pub fn describe(record: &alloy_storage::ApiKeyRecord) -> String {
    let state = if record.revoked_at.is_some() {
        "revoked"
    } else if record.expires_at.is_some_and(|e| e <= chrono::Utc::now()) {
        "expired"
    } else {
        "active"
    };
    format!(
        "{}\taccount={}\tuser={}\tprefix={}…\t{}\tcreated={}\tname={}",
        record.id,
        record.account_id,
        record.user_id,
        record.prefix,
        state,
        record.created_at.to_rfc3339(),
        record.name
    )
}
