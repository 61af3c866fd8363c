//! The eight tools, one file each, registered in the order clients list them, and what they
//! share: how a result or a failure becomes a tool result, and the schema of the error object.

mod arguments;
mod create_credential;
mod discover_action_path;
mod execute_action;
mod get_action_details;
mod get_connector_resources;
mod get_credential_metadata;
mod get_credentials;
mod list_connectors;
mod reused;

use alloy_mcp_protocol::{CallToolResult, ToolSet};
use serde_json::{Value, json};

use super::McpContext;
use crate::audit::Audited;
use crate::error::Error;
use crate::shaping::cap_arrays;
use reused::Reused;

pub use create_credential::CreateCredential;
pub use discover_action_path::DiscoverActionPath;
pub use execute_action::ExecuteAction;
pub use get_action_details::GetActionDetails;
pub use get_connector_resources::GetConnectorResources;
pub use get_credential_metadata::GetCredentialMetadata;
pub use get_credentials::GetCredentials;
pub use list_connectors::ListConnectors;

/// The tool set of every MCP server, in the reference's order.
pub fn tool_set() -> ToolSet<McpContext> {
    let mut set = ToolSet::new();
    let results = [
        set.register(Audited::new(Reused::new(ListConnectors))),
        set.register(Audited::new(Reused::new(GetConnectorResources))),
        set.register(Audited::new(GetActionDetails)),
        set.register(Audited::new(ExecuteAction)),
        set.register(Audited::new(CreateCredential)),
        set.register(Audited::new(GetCredentials)),
        set.register(Audited::new(GetCredentialMetadata)),
        set.register(Audited::new(DiscoverActionPath)),
    ];
    for result in results {
        // The definitions are constants that the tests validate; a failure here is a bug in
        // this file, and a server without its tools must not start.
        result.expect("built-in tool definitions are valid and unique");
    }
    set
}

/// A tool's outcome as a tool result: the value (arrays capped) or the reference's error
/// object with `isError`.
pub(crate) fn respond(outcome: Result<Value, Error>) -> CallToolResult {
    match outcome {
        Ok(mut value) => {
            cap_arrays(&mut value);
            CallToolResult::json(value)
        }
        Err(error) => {
            if error.is_internal() {
                tracing::error!(%error, "MCP tool failed");
            }
            CallToolResult::error(error.to_api_error().to_json())
        }
    }
}

/// An output schema that admits the tool's success shape or the reference's error object, so
/// that a client validating `structuredContent` also accepts failures.
pub(crate) fn output_schema(success: Value) -> Value {
    json!({
        "type": "object",
        "anyOf": [success, error_schema()],
    })
}

/// The reference's error object.
fn error_schema() -> Value {
    json!({
        "type": "object",
        "properties": {
            "error": {
                "type": "object",
                "properties": {
                    "code": {"type": "string", "description": "e.g. CONNECTOR_NOT_FOUND, ACTION_NOT_FOUND, CREDENTIAL_NOT_FOUND, VALIDATION_ERROR, FORBIDDEN, UPSTREAM_ERROR"},
                    "message": {"type": "string"},
                    "details": {}
                },
                "required": ["code", "message"]
            }
        },
        "required": ["error"]
    })
}

/// The catalog tools' answers as values (not tool results), for the management API's catalog
/// views (`GET /api/connectors…`), which show a person what the tools show an agent.
pub(crate) mod answers {
    pub(crate) use super::discover_action_path::discover as discover_action_path;
    pub(crate) use super::get_action_details::details as action_details;
    pub(crate) use super::get_connector_resources::resources as connector_resources;
    pub(crate) use super::list_connectors::list_whole as list_connectors;
}

/// The schema of a connector ID argument.
pub(crate) fn connector_id_schema() -> Value {
    json!({
        "type": "string",
        "minLength": 1,
        "maxLength": arguments::MAX_ID_CHARS,
        "description": "Connector ID as list_connectors_alloy shows it, e.g. \"slack\", \"hubspot\", \"github\"."
    })
}

/// The schema of an action ID argument.
pub(crate) fn action_id_schema() -> Value {
    json!({
        "type": "string",
        "minLength": 1,
        "maxLength": arguments::MAX_ID_CHARS,
        "description": "Action ID as get_connector_resources_alloy shows it, e.g. \"chat_postMessage\"."
    })
}

#[cfg(test)]
pub(crate) mod testing;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_directory;
#[cfg(test)]
mod tests_properties;
