//! The MCP side of the gateway: the context every tool call runs in, the eight tools, and the
//! dispatcher the HTTP transport hands parsed messages to.

pub mod access;
pub mod sessions;
pub mod tools;

use alloy_mcp_protocol::{Dispatcher, Implementation};
use std::sync::Arc;

use alloy_storage::ServerRecord;

use crate::app::Gateway;
use crate::identity::Caller;

/// Everything a tool call may use: the services, who is calling, through which server, and
/// the optional headers the reference lets a client send.
#[derive(Clone)]
pub struct McpContext {
    /// The application services.
    pub gateway: Gateway,
    /// The acting user (the server's owner, or on a public server the user chosen by
    /// `x-alloy-userid` / `x-alloy-user-token`).
    pub caller: Caller,
    /// The server the client connected to (its restrictions apply to every tool), shared
    /// with the access cache rather than copied per request.
    pub server: Arc<ServerRecord>,
    /// `x-credential-id`: the credential to use when a call names none.
    pub credential_id: Option<String>,
    /// `x-redirect-uri`: where the OAuth flow sends the browser back to.
    pub redirect_uri: Option<String>,
}

/// Name and version the server announces to MCP clients.
pub fn server_identity() -> Implementation {
    Implementation::new("alloy-mcp-server", env!("CARGO_PKG_VERSION"))
        .with_title("Alloy MCP Server")
}

/// The dispatcher of every MCP server: the eight tools in their fixed order.
pub fn dispatcher() -> Dispatcher<McpContext> {
    Dispatcher::new(server_identity(), tools::tool_set()).with_instructions(
        "Alloy connects you to SaaS platforms. Start with list_connectors_alloy, read a \
         connector's actions with get_connector_resources_alloy and get_action_details_alloy, \
         make sure the user has a credential (get_credentials_alloy / create_credential_alloy), \
         then call execute_action_alloy.",
    )
}
