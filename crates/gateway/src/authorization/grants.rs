//! `GET /api/oauth/grants`, `DELETE /api/oauth/grants/:grantId`: the MCP clients signed in to
//! the caller's account. An API key sees and revokes every user's; a user token only its own.

use alloy_domain::ApiError;
use alloy_storage::OAuthGrantRecord;
use serde_json::{Value, json};

use super::AuthorizationServer;
use crate::error::Error;
use crate::identity::Caller;
use crate::servers::timestamp;

fn view(g: &OAuthGrantRecord) -> Value {
    json!({
        "grantId": g.id,
        "clientId": g.client_id,
        "clientName": g.client_name,
        "serverId": g.server_id,
        "userId": g.user_id,
        "scope": g.scope,
        "createdAt": timestamp(g.created_at),
        "lastUsedAt": g.last_used_at.map(timestamp),
    })
}

fn visible_to(caller: &Caller, g: &OAuthGrantRecord) -> bool {
    g.account_id == caller.account_id && (caller.is_api_key() || g.user_id == caller.user_id)
}

impl AuthorizationServer {
    /// The live grants the caller may see, newest first.
    pub async fn list_grants(&self, caller: &Caller) -> Result<Value, Error> {
        let user = (!caller.is_api_key()).then_some(caller.user_id.as_str());
        let grants: Vec<Value> = self
            .db
            .authorization()
            .grants(&caller.account_id, user)
            .await?
            .iter()
            .filter(|g| g.revoked_at.is_none() && visible_to(caller, g))
            .map(view)
            .collect();
        Ok(json!({ "grants": grants, "count": grants.len() }))
    }

    /// Revokes one of the caller's grants: its tokens stop working at once here, within the
    /// key recheck interval on other replicas. Another account's (or, for a user token,
    /// another user's) grant does not exist for the caller.
    pub async fn revoke_grant_of(&self, caller: &Caller, grant_id: &str) -> Result<Value, Error> {
        let not_found = || -> Error {
            ApiError::not_found(format!("Grant '{grant_id}' not found"))
                .with_details(json!({ "grantId": grant_id }))
                .into()
        };
        let grant = self
            .db
            .authorization()
            .grant(grant_id)
            .await?
            .filter(|g| g.revoked_at.is_none() && visible_to(caller, g))
            .ok_or_else(not_found)?;
        self.revoke_grant(&grant.id).await?;
        self.audit.record(
            crate::audit::AuditEvent::new("oauth.revoked", crate::audit::Outcome::Ok)
                .by(caller)
                .server(&grant.server_id)
                .details(json!({ "grantId": grant.id, "clientId": grant.client_id })),
        );
        Ok(json!({ "message": "Grant revoked", "grantId": grant.id }))
    }
}
