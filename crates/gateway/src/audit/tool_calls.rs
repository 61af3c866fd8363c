//! Every tool call, audited and counted: a wrapper around each of the eight tools.

use std::time::{Duration, Instant};

use alloy_mcp_protocol::{CallToolResult, Tool, ToolDefinition};
use async_trait::async_trait;
use serde_json::{Map, Value, json};

use super::event::{AuditEvent, Outcome};
use super::redact::redact_arguments;
use super::scope::{CallNotes, RequestScope};
use crate::mcp::McpContext;

/// Label value for a connector or action the catalog does not know (so that made-up IDs cannot
/// grow the metrics' label sets).
const UNKNOWN: &str = "unknown";

/// A tool whose calls are recorded in the audit trail, the metrics and the request's log line.
pub(crate) struct Audited<T> {
    tool: T,
    name: String,
}

impl<T: Tool<McpContext>> Audited<T> {
    pub(crate) fn new(tool: T) -> Self {
        let name = tool.definition().name;
        Audited { tool, name }
    }
}

/// Records the platform's answer for the current tool call.
pub(crate) fn note_upstream(status: Option<u16>, latency: Duration) {
    CallNotes::note(|n| {
        n.upstream_status = status;
        n.upstream_latency = Some(latency);
    });
}

/// Records the credential the current tool call acts with.
pub(crate) fn note_credential(credential_id: &str) {
    CallNotes::note(|n| n.credential_id = Some(credential_id.to_owned()));
}

fn id_argument<'a>(arguments: &'a Map<String, Value>, name: &str) -> Option<&'a str> {
    arguments
        .get(name)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty() && s.len() <= 256)
}

#[async_trait]
impl<T: Tool<McpContext>> Tool<McpContext> for Audited<T> {
    fn definition(&self) -> ToolDefinition {
        self.tool.definition()
    }

    async fn call(&self, ctx: &McpContext, arguments: Map<String, Value>) -> CallToolResult {
        let started = Instant::now();
        let audit = ctx.gateway.audit();
        let connector = id_argument(&arguments, "connectorId").map(str::to_owned);
        let action = id_argument(&arguments, "actionId").map(str::to_owned);
        let recorded_arguments = (audit.is_enabled()
            && audit.config().arguments.covers(&ctx.server.server_id))
        .then(|| redact_arguments(&arguments));
        let span = tracing::info_span!(
            "tools/call",
            otel.name = %format!("tools/call {}", self.name),
            gen_ai.tool.name = %self.name,
            gen_ai.operation.name = "execute_tool",
            mcp.method.name = "tools/call",
        );
        let (result, notes) = {
            use tracing::Instrument;
            CallNotes::collect(self.tool.call(ctx, arguments))
                .instrument(span)
                .await
        };
        let latency = started.elapsed();
        let error_code = result
            .is_error()
            .then(|| {
                result
                    .structured_content()
                    .and_then(|v| v.pointer("/error/code"))
                    .and_then(Value::as_str)
                    .map(str::to_owned)
            })
            .flatten();
        let outcome = match (&error_code, result.is_error()) {
            (_, false) => Outcome::Ok,
            (Some(code), true) => Outcome::of_error_code(code),
            (None, true) => Outcome::ToolError,
        };

        let registry = ctx.gateway.registry();
        let known_connector = connector
            .as_deref()
            .and_then(|c| registry.connector(c).ok());
        let connector_label = match (&connector, known_connector) {
            (None, _) => "",
            (Some(_), Some(c)) => c.id.as_str(),
            (Some(_), None) => UNKNOWN,
        };
        let action_label = match (&action, known_connector) {
            (None, _) => "",
            (Some(a), Some(c)) if c.action(a).is_some() => a.as_str(),
            (Some(_), _) => UNKNOWN,
        };
        metrics::counter!(
            "alloy_mcp_tool_calls_total",
            "tool" => self.name.clone(),
            "connector" => connector_label.to_owned(),
            "action" => action_label.to_owned(),
            "outcome" => outcome.as_str(),
        )
        .increment(1);
        metrics::histogram!("alloy_mcp_tool_call_duration_seconds", "tool" => self.name.clone())
            .record(latency.as_secs_f64());

        RequestScope::note(|n| {
            n.tool = Some(self.name.clone());
            n.connector = connector.clone();
            n.action = action.clone();
            n.outcome = Some(outcome.as_str());
            n.error_code = error_code.clone();
        });
        if audit.is_enabled() {
            let mut event = AuditEvent::new("tools/call", outcome)
                .by(&ctx.caller)
                .server(&ctx.server.server_id)
                .tool(&self.name)
                .target(connector.as_deref(), action.as_deref())
                .error_code(error_code.as_deref())
                .upstream(notes.upstream_status, notes.upstream_latency)
                .latency(latency)
                .credential(notes.credential_id.as_deref());
            if let Some(arguments) = recorded_arguments {
                event = event.details(json!({ "arguments": arguments }));
            }
            audit.record(event);
        }
        result
    }
}
