//! `create_credential_alloy`: stores a user's API key or token, or starts an OAuth 2.0
//! authorization.

use alloy_mcp_protocol::{CallToolResult, Tool, ToolAnnotations, ToolDefinition};
use async_trait::async_trait;
use serde_json::{Map, Value, json};

use super::arguments::{Arguments, MAX_ID_CHARS};
use super::{connector_id_schema, respond};
use crate::actions::connector;
use crate::credentials::NewCredentialRequest;
use crate::error::Error;
use crate::mcp::McpContext;

/// Longest `redirectUri` accepted here (the credential service checks it further).
const MAX_REDIRECT_URI_CHARS: usize = 2048;

/// Creates a credential.
pub struct CreateCredential;

#[async_trait]
impl Tool<McpContext> for CreateCredential {
    fn definition(&self) -> ToolDefinition {
        ToolDefinition::new(
            "create_credential_alloy",
            json!({
                "type": "object",
                "properties": {
                    "connectorId": connector_id_schema(),
                    "authenticationType": {
                        "type": "string",
                        "enum": ["oauth2", "apiKey", "bearer", "basic"],
                        "description": "One of the types get_credential_metadata_alloy lists for the connector."
                    },
                    "fields": {
                        "type": "object",
                        "additionalProperties": {"type": ["string", "number", "boolean", "null"]},
                        "description": "The credential's fields by name, as get_credential_metadata_alloy lists them, e.g. {\"apiKey\": \"...\"}; {} for oauth2 unless the connector asks for a field such as a site name."
                    },
                    "redirectUri": {
                        "type": "string",
                        "maxLength": MAX_REDIRECT_URI_CHARS,
                        "description": "oauth2 only: where the user's browser goes after approving access. Defaults to the x-redirect-uri header."
                    }
                },
                "required": ["connectorId", "authenticationType"],
                "additionalProperties": false
            }),
        )
        .with_title("Create credential")
        .with_description(
            "Connects the user's account on a platform. For apiKey, bearer or basic, pass the \
             fields get_credential_metadata_alloy lists: the credential is checked with the \
             platform, stored encrypted and its credentialId returned (secrets are never shown \
             again). For oauth2, the answer is an authorizationUrl: ask the user to open it and \
             approve access; the credential exists once they have (get_credentials_alloy shows \
             it). Never invent credential values: ask the user for them.",
        )
        .with_annotations(ToolAnnotations {
            read_only_hint: Some(false),
            destructive_hint: Some(false),
            idempotent_hint: Some(false),
            open_world_hint: Some(true),
        })
    }

    async fn call(&self, ctx: &McpContext, arguments: Map<String, Value>) -> CallToolResult {
        respond(create(ctx, arguments).await)
    }
}

async fn create(ctx: &McpContext, arguments: Map<String, Value>) -> Result<Value, Error> {
    let args = Arguments::new(
        arguments,
        &["connectorId", "authenticationType", "fields", "redirectUri"],
    )?;
    let connector_id = args.required_string("connectorId", MAX_ID_CHARS)?;
    let authentication_type = args.required_string("authenticationType", 32)?;
    let fields = args.optional_object("fields")?.unwrap_or_default();
    let redirect_uri = match args.optional_string("redirectUri", MAX_REDIRECT_URI_CHARS)? {
        Some(uri) => Some(uri),
        None => ctx.redirect_uri.clone(),
    };
    connector(
        &ctx.gateway.registry(),
        &ctx.server.restrictions,
        &connector_id,
    )?;
    ctx.gateway
        .credentials()
        .create(
            &ctx.caller,
            NewCredentialRequest {
                connector_id,
                authentication_type,
                fields,
                redirect_uri,
            },
        )
        .await
}
