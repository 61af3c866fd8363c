//! `GET /api/audit`: the trail of the caller's account, filtered and paged, newest first.

use alloy_domain::page::Page;
use alloy_domain::{ApiError, ErrorCode, FieldError};
use alloy_storage::{AuditEventRecord, AuditFilter, Database};
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::event::Outcome;
use crate::error::Error;
use crate::identity::Caller;
use crate::servers::timestamp;

/// Longest filter value accepted, in characters.
const MAX_FILTER_CHARS: usize = 10_000;

/// The filters of a listing, as the query string names them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AuditQuery {
    /// `serverId`.
    pub server_id: Option<String>,
    /// `userId`.
    pub user_id: Option<String>,
    /// `connectorId`.
    pub connector_id: Option<String>,
    /// `actionId`.
    pub action_id: Option<String>,
    /// `tool`.
    pub tool: Option<String>,
    /// `outcome`: one of the [`Outcome`] names.
    pub outcome: Option<String>,
    /// `from` (RFC 3339, inclusive).
    pub from: Option<DateTime<Utc>>,
    /// `to` (RFC 3339, exclusive).
    pub to: Option<DateTime<Utc>>,
    /// `limit` / `offset`.
    pub page: Page,
}

fn invalid(field: &str, constraint: &str, value: Value, message: String) -> Error {
    ApiError::validation(FieldError::new(
        ErrorCode::InvalidFormat,
        field,
        constraint,
        value,
        message,
    ))
    .into()
}

fn time(field: &str, value: &str) -> Result<DateTime<Utc>, Error> {
    DateTime::parse_from_rfc3339(value)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| {
            invalid(
                field,
                "format",
                json!("RFC 3339"),
                format!("{field} must be an RFC 3339 time such as 2026-12-01T00:00:00Z"),
            )
        })
}

impl AuditQuery {
    /// Reads the query pairs; unknown names are ignored, as on the other listings.
    pub fn from_pairs<'a>(
        pairs: impl IntoIterator<Item = (&'a str, &'a str)> + Clone,
    ) -> Result<Self, Error> {
        let page = Page::from_pairs(pairs.clone()).map_err(ApiError::validation)?;
        let mut q = AuditQuery {
            page,
            ..AuditQuery::default()
        };
        for (name, value) in pairs {
            let slot = match name {
                "serverId" => &mut q.server_id,
                "userId" => &mut q.user_id,
                "connectorId" => &mut q.connector_id,
                "actionId" => &mut q.action_id,
                "tool" => &mut q.tool,
                "outcome" => {
                    if !Outcome::ALL.iter().any(|o| o.as_str() == value) {
                        let names: Vec<&str> = Outcome::ALL.iter().map(|o| o.as_str()).collect();
                        return Err(ApiError::validation(FieldError::new(
                            ErrorCode::InvalidEnumValue,
                            "outcome",
                            "enum",
                            json!(names),
                            format!("outcome must be one of: {}", names.join(", ")),
                        ))
                        .into());
                    }
                    &mut q.outcome
                }
                "from" => {
                    q.from = Some(time("from", value)?);
                    continue;
                }
                "to" => {
                    q.to = Some(time("to", value)?);
                    continue;
                }
                _ => continue,
            };
            if value.is_empty() || value.chars().count() > MAX_FILTER_CHARS {
                return Err(invalid(
                    name,
                    "length",
                    json!({"min": 1, "max": MAX_FILTER_CHARS}),
                    format!("{name} must be 1 to {MAX_FILTER_CHARS} characters"),
                ));
            }
            *slot = Some(value.to_owned());
        }
        if let (Some(from), Some(to)) = (q.from, q.to)
            && from > to
        {
            return Err(invalid(
                "to",
                "after",
                json!("from"),
                "to must not be before from".to_owned(),
            ));
        }
        Ok(q)
    }
}

/// Reads the audit trail for callers of the management API.
#[derive(Clone)]
pub struct AuditLog {
    db: Database,
}

impl AuditLog {
    pub(crate) fn new(db: Database) -> Self {
        AuditLog { db }
    }

    /// The events `caller` may see that match `query`: always within the caller's account; an
    /// API key sees every user's events (`userId` narrows), a user token only its own user's.
    pub async fn list(&self, caller: &Caller, query: &AuditQuery) -> Result<Value, Error> {
        let user_id = if caller.is_api_key() {
            query.user_id.clone()
        } else {
            if query.user_id.as_ref().is_some_and(|u| *u != caller.user_id) {
                return Err(ApiError::forbidden(
                    "A user token may read only its own user's audit events",
                )
                .into());
            }
            Some(caller.user_id.clone())
        };
        let filter = AuditFilter {
            account_id: caller.account_id.clone(),
            user_id,
            server_id: query.server_id.clone(),
            connector_id: query.connector_id.clone(),
            action_id: query.action_id.clone(),
            tool: query.tool.clone(),
            outcome: query.outcome.clone(),
            from: query.from,
            to: query.to,
        };
        let page = query.page;
        let (events, total) = self
            .db
            .audit()
            .list(&filter, page.limit, page.offset)
            .await?;
        let count = events.len() as u64;
        Ok(json!({
            "events": events.iter().map(event_view).collect::<Vec<_>>(),
            "count": count,
            "total": total,
            "limit": page.limit,
            "offset": page.offset,
            "hasMore": page.offset.saturating_add(count) < total,
        }))
    }
}

/// An event on the wire (camelCase; absent values are `null`, so every event has every field).
pub fn event_view(e: &AuditEventRecord) -> Value {
    json!({
        "id": e.id,
        "time": timestamp(e.occurred_at),
        "event": e.event,
        "outcome": e.outcome,
        "accountId": e.account_id,
        "userId": e.user_id,
        "principal": {"kind": e.principal_kind, "id": e.principal_id},
        "serverId": e.server_id,
        "tool": e.tool,
        "connectorId": e.connector_id,
        "actionId": e.action_id,
        "errorCode": e.error_code,
        "upstreamStatus": e.upstream_status,
        "latencyUs": e.latency_us,
        "upstreamLatencyUs": e.upstream_latency_us,
        "credentialId": e.credential_id,
        "clientIp": e.client_ip,
        "requestId": e.request_id,
        "clientName": e.client_name,
        "clientVersion": e.client_version,
        "details": e.details,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(pairs: &[(&str, &str)]) -> Result<AuditQuery, Error> {
        AuditQuery::from_pairs(pairs.iter().copied())
    }

    #[test]
    fn filters_are_read_and_checked() {
        let ok = q(&[
            ("serverId", "s"),
            ("outcome", "upstream_error"),
            ("from", "2026-12-01T00:00:00Z"),
            ("to", "2026-12-02T00:00:00+01:00"),
            ("limit", "5"),
            ("other", "x"),
        ])
        .unwrap();
        assert_eq!(ok.server_id.as_deref(), Some("s"));
        assert_eq!(ok.page.limit, 5);
        assert_eq!(ok.to.unwrap().to_rfc3339(), "2026-12-01T23:00:00+00:00");
        for bad in [
            &[("outcome", "nope")][..],
            &[("from", "yesterday")],
            &[("to", "1e2")],
            &[("limit", "0")],
            &[("serverId", "")],
            &[
                ("from", "2026-12-02T00:00:00Z"),
                ("to", "2026-12-01T00:00:00Z"),
            ],
        ] {
            let e = q(bad).unwrap_err().to_api_error();
            assert_eq!(e.http_status(), 400, "{bad:?}");
        }
    }
}
