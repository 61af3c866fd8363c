// The official TypeScript MCP SDK as a client of our server, driven by tests/it/mcp/typescript_sdk.rs.
// Usage: node ts_sdk_client.mjs <server URL> — prints one JSON line of what the SDK saw.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";

const [url] = process.argv.slice(2);
const client = new Client({ name: "alloy-e2e-typescript", version: "1.0.0" });
const transport = new StreamableHTTPClientTransport(new URL(url));
await client.connect(transport);
const sessionId = transport.sessionId;
const tools = await client.listTools();
const list = await client.callTool({ name: "list_connectors_alloy", arguments: { category: "payments" } });
const details = await client.callTool({
  name: "get_action_details_alloy",
  arguments: { connectorId: "stripe", actionId: "GetCustomers" },
});
const missing = await client.callTool({
  name: "execute_action_alloy",
  arguments: { connectorId: "stripe", actionId: "GetCustomers", parameters: {} },
});
await client.ping();
await transport.terminateSession();
await client.close();
console.log(
  JSON.stringify({
    protocolVersion: transport.protocolVersion,
    sessionId,
    server: client.getServerVersion(),
    tools: tools.tools.map((t) => t.name),
    list: list.structuredContent,
    details: details.structuredContent,
    missingCredential: { isError: missing.isError, content: missing.structuredContent },
  }),
);
