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
