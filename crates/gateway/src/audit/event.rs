//! One audit event, built where it happens.

use std::time::Duration;

use alloy_storage::AuditEventRecord;
use chrono::{SubsecRound, Utc};
use serde_json::Value;

use super::scope::RequestScope;
use crate::identity::{Caller, Principal};

/// How an audited operation ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// It worked.
    Ok,
    /// A tool answered with an error of ours (`VALIDATION_ERROR`, `CREDENTIAL_NOT_FOUND`, …).
    ToolError,
    /// The platform answered with an error (`UPSTREAM_ERROR`, with its status).
    UpstreamError,
    /// The server's restrictions refused it (`FORBIDDEN`).
    Restricted,
    /// The rate limit refused it.
    RateLimited,
    /// Access was refused (401/403/404 before anything ran).
    Refused,
    /// Something of ours failed (an internal error, a refresh the provider refused).
    Failed,
}

impl Outcome {
    /// The stored and filterable name.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::ToolError => "tool_error",
            Outcome::UpstreamError => "upstream_error",
            Outcome::Restricted => "restricted",
            Outcome::RateLimited => "rate_limited",
            Outcome::Refused => "refused",
            Outcome::Failed => "failed",
        }
    }

    /// Every outcome, for validating filters and pre-registering metrics.
    pub const ALL: [Outcome; 7] = [
        Outcome::Ok,
        Outcome::ToolError,
        Outcome::UpstreamError,
        Outcome::Restricted,
        Outcome::RateLimited,
        Outcome::Refused,
        Outcome::Failed,
    ];

    /// The outcome of a tool error with this code.
    pub fn of_error_code(code: &str) -> Outcome {
        match code {
            "UPSTREAM_ERROR" => Outcome::UpstreamError,
            "FORBIDDEN" => Outcome::Restricted,
            "RATE_LIMITED" | "RATE_LIMIT_EXCEEDED" => Outcome::RateLimited,
            "INTERNAL_ERROR" => Outcome::Failed,
            _ => Outcome::ToolError,
        }
    }
}

/// An audit event under construction; [`AuditWriter::record`](super::AuditWriter::record)
/// takes it. The request's ID and client address come from the current [`RequestScope`].
#[derive(Debug, Clone)]
pub struct AuditEvent {
    /// Boxed from the start: the builder's methods move the event, and the writer's queue
    /// takes it boxed (a record is half a kilobyte).
    record: Box<AuditEventRecord>,
}

fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX)
}

impl AuditEvent {
    /// An event of kind `event` (`tools/call`, `server.created`, …) that ended with `outcome`.
    pub fn new(event: &str, outcome: Outcome) -> Self {
        let mut record = Box::new(AuditEventRecord {
            // Time-ordered: new rows append to the primary key instead of landing anywhere in it.
            id: uuid::Uuid::now_v7().simple().to_string(),
            occurred_at: Utc::now().trunc_subsecs(3),
            // `none` unless `by` or `in_account` says otherwise (set in `into_record`, so that
            // the usual event allocates no placeholder).
            event: event.to_owned(),
            outcome: outcome.as_str().to_owned(),
            ..AuditEventRecord::default()
        });
        if let Some(scope) = RequestScope::current() {
            record.request_id = Some(scope.request_id().to_owned());
            record.client_ip = scope.client_ip().map(|ip| ip.to_string());
        }
        AuditEvent { record }
    }

    /// Done by `caller`: its account, user and principal.
    pub fn by(mut self, caller: &Caller) -> Self {
        let r = &mut self.record;
        r.account_id = caller.account_id.clone();
        r.user_id = Some(caller.user_id.clone());
        let (kind, id) = match &caller.principal {
            Principal::ApiKey { key_id } => ("api_key", key_id.clone()),
            Principal::UserToken { .. } => ("user_token", caller.user_id.clone()),
            Principal::AccessToken { server_id } => ("access_token", server_id.clone()),
            Principal::OAuthGrant { grant_id, .. } => ("oauth_grant", grant_id.clone()),
            Principal::SingleSignOn { .. } => ("sso", caller.user_id.clone()),
        };
        r.principal_kind = kind.to_owned();
        r.principal_id = Some(id);
        self
    }

    /// In `account_id`, for `user_id`, with no authenticated principal (a refused request, the
    /// OAuth callback) or the operator's command line (`principal` `cli`).
    pub fn in_account(mut self, account_id: &str, user_id: Option<&str>, principal: &str) -> Self {
        self.record.account_id = account_id.to_owned();
        self.record.user_id = user_id.map(str::to_owned);
        self.record.principal_kind = principal.to_owned();
        self
    }

    /// Through this MCP server.
    pub fn server(mut self, server_id: &str) -> Self {
        self.record.server_id = Some(server_id.to_owned());
        self
    }

    /// The MCP tool called.
    pub fn tool(mut self, tool: &str) -> Self {
        self.record.tool = Some(tool.to_owned());
        self
    }

    /// The connector and action involved, when known.
    pub fn target(mut self, connector_id: Option<&str>, action_id: Option<&str>) -> Self {
        self.record.connector_id = connector_id.map(str::to_owned);
        self.record.action_id = action_id.map(str::to_owned);
        self
    }

    /// The error code of a failure.
    pub fn error_code(mut self, code: Option<&str>) -> Self {
        self.record.error_code = code.map(str::to_owned);
        self
    }

    /// The platform's status and how long it took.
    pub fn upstream(mut self, status: Option<u16>, latency: Option<Duration>) -> Self {
        self.record.upstream_status = status;
        self.record.upstream_latency_us = latency.map(micros);
        self
    }

    /// How long the operation took.
    pub fn latency(mut self, latency: Duration) -> Self {
        self.record.latency_us = Some(micros(latency));
        self
    }

    /// The credential used (its ID, never its secret).
    pub fn credential(mut self, credential_id: Option<&str>) -> Self {
        self.record.credential_id = credential_id.map(str::to_owned);
        self
    }

    /// The MCP client's `clientInfo`.
    pub fn client(mut self, name: Option<&str>, version: Option<&str>) -> Self {
        let clip = |s: &str| match s.char_indices().nth(200) {
            Some((end, _)) => s[..end].to_owned(),
            None => s.to_owned(),
        };
        self.record.client_name = name.map(clip);
        self.record.client_version = version.map(clip);
        self
    }

    /// Anything else, as a JSON object (a refusal's reason, a restriction diff, arguments).
    pub fn details(mut self, details: Value) -> Self {
        self.record.details = Some(details);
        self
    }

    /// The event as stored.
    pub fn into_record(self) -> AuditEventRecord {
        *self.into_boxed()
    }

    /// The event as stored, boxed.
    pub fn into_boxed(mut self) -> Box<AuditEventRecord> {
        if self.record.principal_kind.is_empty() {
            "none".clone_into(&mut self.record.principal_kind);
        }
        self.record
    }
}
