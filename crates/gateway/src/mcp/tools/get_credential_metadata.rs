//! `get_credential_metadata_alloy`: how to authenticate with a connector.

use alloy_mcp_protocol::{CallToolResult, Tool, ToolAnnotations, ToolDefinition};
use async_trait::async_trait;
use serde_json::{Map, Value, json};

use super::arguments::{Arguments, MAX_ID_CHARS};
use super::{connector_id_schema, output_schema, respond};
use crate::actions::connector;
use crate::error::Error;
use crate::mcp::McpContext;

/// Shows the authentication types a connector accepts and the fields each needs.
pub struct GetCredentialMetadata;

#[async_trait]
impl Tool<McpContext> for GetCredentialMetadata {
    fn definition(&self) -> ToolDefinition {
        ToolDefinition::new(
            "get_credential_metadata_alloy",
            json!({
                "type": "object",
                "properties": {"connectorId": connector_id_schema()},
                "required": ["connectorId"],
                "additionalProperties": false
            }),
        )
        .with_title("Get credential metadata")
        .with_description(
            "Shows how a user can connect their account on a platform: each authentication \
             type the connector accepts (oauth2, apiKey, bearer, basic) with the fields a \
             credential of that type needs (name, whether required, whether secret, what to \
             enter) and, for OAuth 2.0, the scopes. Read it before create_credential_alloy.",
        )
        .with_output_schema(output_schema(json!({
            "type": "object",
            "properties": {
                "connectorId": {"type": "string"},
                "connectorName": {"type": "string"},
                "authenticationTypes": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "type": {"type": "string"},
                            "fields": {"type": "array", "items": {"type": "object"}},
                            "instructions": {"type": "string"}
                        },
                        "required": ["type", "fields"]
                    }
                }
            },
            "required": ["connectorId", "authenticationTypes"]
        })))
        .with_annotations(ToolAnnotations::read_only(false))
    }

    async fn call(&self, ctx: &McpContext, arguments: Map<String, Value>) -> CallToolResult {
        respond(metadata(ctx, arguments))
    }
}

fn metadata(ctx: &McpContext, arguments: Map<String, Value>) -> Result<Value, Error> {
    let args = Arguments::new(arguments, &["connectorId"])?;
    let connector_id = args.required_string("connectorId", MAX_ID_CHARS)?;
    connector(
        &ctx.gateway.registry(),
        &ctx.server.restrictions,
        &connector_id,
    )?;
    ctx.gateway.credentials().metadata(&connector_id)
}
