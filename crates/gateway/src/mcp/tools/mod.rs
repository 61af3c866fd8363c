//! The eight tools, one file each, registered in the order clients list them.

use alloy_mcp_protocol::ToolSet;

use super::McpContext;

/// The tool set of every MCP server.
pub fn tool_set() -> ToolSet<McpContext> {
    ToolSet::new()
}
