//! What an audit event is: the record read back, the borrowed form stored, and the filter
//! a listing applies.

use chrono::{DateTime, Utc};
use serde_json::Value;

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

/// An audit event to store, borrowed from wherever it was built: the writer stores events
/// without copying each into an [`AuditEventRecord`] first. The fields mean what the record's
/// do.
#[derive(Debug, Clone, Copy, Default)]
#[allow(missing_docs)]
pub struct NewAuditEvent<'a> {
    pub id: &'a str,
    pub occurred_at: DateTime<Utc>,
    pub account_id: &'a str,
    pub user_id: Option<&'a str>,
    pub principal_kind: &'a str,
    pub principal_id: Option<&'a str>,
    pub server_id: Option<&'a str>,
    pub event: &'a str,
    pub tool: Option<&'a str>,
    pub connector_id: Option<&'a str>,
    pub action_id: Option<&'a str>,
    pub outcome: &'a str,
    pub error_code: Option<&'a str>,
    pub upstream_status: Option<u16>,
    pub latency_us: Option<u64>,
    pub upstream_latency_us: Option<u64>,
    pub credential_id: Option<&'a str>,
    pub client_ip: Option<&'a str>,
    pub request_id: Option<&'a str>,
    pub client_name: Option<&'a str>,
    pub client_version: Option<&'a str>,
    pub details: Option<&'a Value>,
}

impl AuditEventRecord {
    /// The record as an event to store.
    pub fn as_new(&self) -> NewAuditEvent<'_> {
        NewAuditEvent {
            id: &self.id,
            occurred_at: self.occurred_at,
            account_id: &self.account_id,
            user_id: self.user_id.as_deref(),
            principal_kind: &self.principal_kind,
            principal_id: self.principal_id.as_deref(),
            server_id: self.server_id.as_deref(),
            event: &self.event,
            tool: self.tool.as_deref(),
            connector_id: self.connector_id.as_deref(),
            action_id: self.action_id.as_deref(),
            outcome: &self.outcome,
            error_code: self.error_code.as_deref(),
            upstream_status: self.upstream_status,
            latency_us: self.latency_us,
            upstream_latency_us: self.upstream_latency_us,
            credential_id: self.credential_id.as_deref(),
            client_ip: self.client_ip.as_deref(),
            request_id: self.request_id.as_deref(),
            client_name: self.client_name.as_deref(),
            client_version: self.client_version.as_deref(),
            details: self.details.as_ref(),
        }
    }
}

impl NewAuditEvent<'_> {
    /// The event as an owned record (what reading it back gives).
    pub fn to_record(&self) -> AuditEventRecord {
        let owned = |s: Option<&str>| s.map(str::to_owned);
        AuditEventRecord {
            id: self.id.to_owned(),
            occurred_at: self.occurred_at,
            account_id: self.account_id.to_owned(),
            user_id: owned(self.user_id),
            principal_kind: self.principal_kind.to_owned(),
            principal_id: owned(self.principal_id),
            server_id: owned(self.server_id),
            event: self.event.to_owned(),
            tool: owned(self.tool),
            connector_id: owned(self.connector_id),
            action_id: owned(self.action_id),
            outcome: self.outcome.to_owned(),
            error_code: owned(self.error_code),
            upstream_status: self.upstream_status,
            latency_us: self.latency_us,
            upstream_latency_us: self.upstream_latency_us,
            credential_id: owned(self.credential_id),
            client_ip: owned(self.client_ip),
            request_id: owned(self.request_id),
            client_name: owned(self.client_name),
            client_version: owned(self.client_version),
            details: self.details.cloned(),
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_borrowed_and_owned_again_is_the_same() {
        let full = AuditEventRecord {
            id: "0190a0b0c0d07000800000000000000a".into(),
            occurred_at: DateTime::from_timestamp_millis(1_765_000_000_123).unwrap(),
            account_id: "acct".into(),
            user_id: Some("user".into()),
            principal_kind: "api_key".into(),
            principal_id: Some("key-1".into()),
            server_id: Some("srv".into()),
            event: "tools/call".into(),
            tool: Some("execute_action_alloy".into()),
            connector_id: Some("github".into()),
            action_id: Some("issues/create".into()),
            outcome: "upstream_error".into(),
            error_code: Some("UPSTREAM_ERROR".into()),
            upstream_status: Some(502),
            latency_us: Some(1_200),
            upstream_latency_us: Some(800),
            credential_id: Some("cred-1".into()),
            client_ip: Some("203.0.113.9".into()),
            request_id: Some("req-7".into()),
            client_name: Some("client".into()),
            client_version: Some("1.0".into()),
            details: Some(serde_json::json!({ "k": "v" })),
        };
        assert_eq!(full.as_new().to_record(), full);
        let bare = AuditEventRecord::default();
        assert_eq!(bare.as_new().to_record(), bare);
    }
}
