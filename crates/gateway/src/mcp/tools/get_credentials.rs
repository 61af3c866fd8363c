//! `get_credentials_alloy`: the user's credentials for a connector, without secrets.

use alloy_mcp_protocol::{CallToolResult, Tool, ToolAnnotations, ToolDefinition};
use async_trait::async_trait;
use serde_json::{Map, Value, json};

use super::arguments::{Arguments, MAX_ID_CHARS};
use super::{connector_id_schema, output_schema, respond};
use crate::actions::connector;
use crate::error::Error;
use crate::mcp::McpContext;

/// Lists the calling user's credentials for one connector.
pub struct GetCredentials;

#[async_trait]
impl Tool<McpContext> for GetCredentials {
    fn definition(&self) -> ToolDefinition {
        ToolDefinition::new(
            "get_credentials_alloy",
            json!({
                "type": "object",
                "properties": {"connectorId": connector_id_schema()},
                "required": ["connectorId"],
                "additionalProperties": false
            }),
        )
        .with_title("Get credentials")
        .with_description(
            "Lists the user's existing credentials for a connector, newest first: each one's \
             credentialId, authentication type, status (active, expired, \
             needs_reauthorization, …) and dates. Secrets are never shown. Pass a credentialId \
             to execute_action_alloy to choose one; without it the newest working one is used. \
             An empty list means the user must first create one with create_credential_alloy.",
        )
        .with_output_schema(output_schema(json!({
            "type": "object",
            "properties": {
                "connectorId": {"type": "string"},
                "credentials": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "credentialId": {"type": "string"},
                            "connectorId": {"type": "string"},
                            "type": {"type": "string"},
                            "status": {"type": "string"}
                        },
                        "required": ["credentialId", "connectorId", "type"]
                    }
                },
                "count": {"type": "integer"},
                "total": {"type": "integer"},
                "message": {"type": "string"}
            },
            "required": ["credentials"]
        })))
        .with_annotations(ToolAnnotations::read_only(false))
    }

    async fn call(&self, ctx: &McpContext, arguments: Map<String, Value>) -> CallToolResult {
        respond(list(ctx, arguments).await)
    }
}

async fn list(ctx: &McpContext, arguments: Map<String, Value>) -> Result<Value, Error> {
    let args = Arguments::new(arguments, &["connectorId"])?;
    let connector_id = args.required_string("connectorId", MAX_ID_CHARS)?;
    connector(
        &ctx.gateway.registry(),
        &ctx.server.restrictions,
        &connector_id,
    )?;
    ctx.gateway
        .credentials()
        .list(&ctx.caller, Some(&connector_id))
        .await
}
