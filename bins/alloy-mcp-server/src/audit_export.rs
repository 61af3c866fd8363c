//! `audit export`: the audit trail of every account as JSON lines or CSV, read page by page.

use std::io::Write;

use alloy_gateway::audit::event_view;
use alloy_storage::{AuditEventRecord, Database};
use anyhow::Context;
use chrono::{DateTime, Utc};
use serde_json::Value;

/// Events read per query.
const PAGE: u64 = 1000;

/// The CSV columns, in order (the fields of `GET /api/audit`, `principal` split in two).
const COLUMNS: &[&str] = &[
    "id",
    "time",
    "event",
    "outcome",
    "accountId",
    "userId",
    "principalKind",
    "principalId",
    "serverId",
    "tool",
    "connectorId",
    "actionId",
    "errorCode",
    "upstreamStatus",
    "latencyUs",
    "upstreamLatencyUs",
    "credentialId",
    "clientIp",
    "requestId",
    "clientName",
    "clientVersion",
    "details",
];

fn time(name: &str, value: Option<&str>) -> anyhow::Result<Option<DateTime<Utc>>> {
    value
        .map(|v| {
            DateTime::parse_from_rfc3339(v)
                .map(|t| t.with_timezone(&Utc))
                .with_context(|| {
                    format!("--{name} {v:?} is not an RFC 3339 time such as 2026-12-01T00:00:00Z")
                })
        })
        .transpose()
}

/// Writes the events in `[from, to)` to `out`; answers how many.
pub async fn export(
    db: &Database,
    from: Option<&str>,
    to: Option<&str>,
    format: &str,
    out: &mut impl Write,
) -> anyhow::Result<u64> {
    let (from, to) = (time("from", from)?, time("to", to)?);
    let csv = format == "csv";
    if csv {
        writeln!(out, "{}", COLUMNS.join(","))?;
    }
    let mut after = None;
    let mut written = 0u64;
    loop {
        let page = db
            .audit()
            .export_page(from, to, after.take(), PAGE)
            .await
            .context("reading the audit trail")?;
        let Some(last) = page.last() else { break };
        after = Some((last.occurred_at, last.id.clone()));
        for event in &page {
            if csv {
                writeln!(out, "{}", csv_row(event))?;
            } else {
                writeln!(out, "{}", event_view(event))?;
            }
            written += 1;
        }
    }
    out.flush()?;
    Ok(written)
}

fn csv_row(event: &AuditEventRecord) -> String {
    let view = event_view(event);
    COLUMNS
        .iter()
        .map(|column| {
            let value = match *column {
                "principalKind" => view.pointer("/principal/kind"),
                "principalId" => view.pointer("/principal/id"),
                name => view.get(name),
            };
            csv_field(value.unwrap_or(&Value::Null))
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// One RFC 4180 field: strings as they are, other JSON as JSON text, quoted when needed.
fn csv_field(value: &Value) -> String {
    let text = match value {
        Value::Null => return String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn csv_fields_are_quoted() {
        assert_eq!(csv_field(&json!("plain")), "plain");
        assert_eq!(csv_field(&json!("a,b")), "\"a,b\"");
        assert_eq!(csv_field(&json!("say \"hi\"")), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field(&json!(null)), "");
        assert_eq!(csv_field(&json!(200)), "200");
        assert_eq!(csv_field(&json!({"a": 1})), "\"{\"\"a\"\":1}\"");
    }
}
