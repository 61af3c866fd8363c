//! `execute_action_alloy`: runs one action on the platform with the user's credential.

use alloy_connectors::ExecuteOptions;
use alloy_mcp_protocol::{CallToolResult, Tool, ToolAnnotations, ToolDefinition};
use async_trait::async_trait;
use serde_json::{Map, Value, json};

use super::arguments::{Arguments, MAX_ID_CHARS};
use super::{action_id_schema, connector_id_schema, respond};
use crate::actions::{ExecuteOutcome, ExecuteRequest, execute};
use crate::error::Error;
use crate::mcp::McpContext;

/// Executes an action.
pub struct ExecuteAction;

#[async_trait]
impl Tool<McpContext> for ExecuteAction {
    fn definition(&self) -> ToolDefinition {
        ToolDefinition::new(
            "execute_action_alloy",
            json!({
                "type": "object",
                "properties": {
                    "connectorId": connector_id_schema(),
                    "actionId": action_id_schema(),
                    "parameters": {
                        "type": "object",
                        "description": "The action's parameters as one flat object: path, query and header parameters and the request body's fields, each by its name (get_action_details_alloy lists them), e.g. {\"channel\": \"C1234567890\", \"text\": \"Hello\"}.",
                        "additionalProperties": true
                    },
                    "credentialId": {
                        "type": "string",
                        "minLength": 1,
                        "maxLength": MAX_ID_CHARS,
                        "description": "The credential to act with (get_credentials_alloy lists them). Defaults to the x-credential-id header, then to the user's newest working credential for the connector."
                    },
                    "timeout": {
                        "type": "integer",
                        "minimum": ExecuteOptions::MIN_TIMEOUT_MS,
                        "maximum": ExecuteOptions::MAX_TIMEOUT_MS,
                        "default": ExecuteOptions::DEFAULT_TIMEOUT_MS,
                        "description": "Milliseconds the platform may take to answer, retries included (1000 to 300000; default 30000)."
                    }
                },
                "required": ["connectorId", "actionId"],
                "additionalProperties": false
            }),
        )
        .with_title("Execute action")
        .with_description(
            "Runs one action on a platform (send a message, list users, create a ticket, …) \
             with the user's credential and returns the platform's answer. Read the action's \
             parameters with get_action_details_alloy first. Long lists are managed for you: \
             25 to 50 items come back as the first 25 with `metadata`; more than 50 come back as \
             `needsRefinement` advice (the real count, samples, and the search, filter and \
             limit parameters to narrow the call with) — call again with those parameters. \
             Errors: CREDENTIAL_NOT_FOUND means the user needs a credential \
             (create_credential_alloy); VALIDATION_ERROR names the parameter to fix; \
             UPSTREAM_ERROR carries the platform's own status and message.",
        )
        .with_annotations(ToolAnnotations {
            read_only_hint: Some(false),
            destructive_hint: Some(true),
            idempotent_hint: Some(false),
            open_world_hint: Some(true),
        })
    }

    async fn call(&self, ctx: &McpContext, arguments: Map<String, Value>) -> CallToolResult {
        match run(ctx, arguments).await {
            Ok(outcome) => {
                let mut result = respond(Ok(outcome.result));
                if let Some(next) = outcome.next_page {
                    // A second text block, so the model sees it; structuredContent stays the
                    // platform's own answer.
                    result = result.with_text(format!(
                        "More results are available: call execute_action_alloy again with the \
                         same parameters plus {next}"
                    ));
                }
                result
            }
            Err(e) => respond(Err(e)),
        }
    }
}

async fn run(ctx: &McpContext, arguments: Map<String, Value>) -> Result<ExecuteOutcome, Error> {
    let args = Arguments::new(
        arguments,
        &[
            "connectorId",
            "actionId",
            "parameters",
            "credentialId",
            "timeout",
        ],
    )?;
    let connector_id = args.required_string("connectorId", MAX_ID_CHARS)?;
    let action_id = args.required_string("actionId", MAX_ID_CHARS)?;
    let parameters = args.optional_object("parameters")?.unwrap_or_default();
    let credential_id = match args.optional_string("credentialId", MAX_ID_CHARS)? {
        Some(id) => Some(id),
        None => ctx.credential_id.clone(),
    };
    let timeout_ms = args
        .optional_integer(
            "timeout",
            ExecuteOptions::MIN_TIMEOUT_MS as i64,
            ExecuteOptions::MAX_TIMEOUT_MS as i64,
        )?
        .and_then(|ms| u64::try_from(ms).ok());
    let request = ExecuteRequest {
        connector_id,
        action_id,
        parameters: Value::Object(parameters),
        credential_id,
        timeout_ms,
    };
    execute(
        &ctx.gateway,
        &ctx.caller,
        &ctx.server.restrictions,
        &request,
    )
    .await
}
