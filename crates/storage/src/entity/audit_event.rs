//! `audit_events`: the audit trail before m0011 (a row per event); read only by that
//! migration, which moves its rows into `audit_chunks`.

use sea_orm::entity::prelude::*;

/// One audit event.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_events")]
pub struct Model {
    /// Event ID (UUID).
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// When it happened.
    pub occurred_at: DateTimeUtc,
    /// The account it belongs to.
    pub account_id: String,
    /// The acting user.
    #[sea_orm(column_type = "Text", nullable)]
    pub user_id: Option<String>,
    /// SHA-256 of the acting user's ID (filtered on instead of the long ID).
    pub user_key: Option<String>,
    /// How the caller authenticated.
    pub principal_kind: String,
    /// Key ID, token subject or server ID of the principal.
    #[sea_orm(column_type = "Text", nullable)]
    pub principal_id: Option<String>,
    /// The MCP server involved.
    pub server_id: Option<String>,
    /// What happened (`tools/call`, `server.created`, …).
    pub event: String,
    /// The MCP tool.
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
    pub upstream_status: Option<i32>,
    /// Time the request took, in microseconds.
    pub latency_us: Option<i64>,
    /// Time the platform took, in microseconds.
    pub upstream_latency_us: Option<i64>,
    /// The credential used.
    pub credential_id: Option<String>,
    /// The client's address.
    pub client_ip: Option<String>,
    /// The request's ID.
    pub request_id: Option<String>,
    /// `clientInfo.name`.
    #[sea_orm(column_type = "Text", nullable)]
    pub client_name: Option<String>,
    /// `clientInfo.version`.
    #[sea_orm(column_type = "Text", nullable)]
    pub client_version: Option<String>,
    /// Anything else (restriction diff, refusal reason, arguments), as JSON.
    pub details: Option<Json>,
}

/// No relations are navigated through the ORM.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
