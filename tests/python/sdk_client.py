"""An MCP client built on the official Python SDK (PyPI `mcp` 2.x) that drives alloy-mcp-server.

It connects over Streamable HTTP, lists the tools, calls list_connectors_alloy,
get_action_details_alloy and execute_action_alloy, and prints one JSON document with what it saw.
The Rust end-to-end test `tests/it/mcp/python_sdk.rs` runs it and checks that document and the
request the stand-in platform received.

    sdk_client.py URL --mode auto|legacy|2026-07-28 --connector ID --action ID
                  --parameters JSON [--credential-id ID] [--header NAME=VALUE ...]
                  [--expect-protocol-version V]

`--mode auto` is the SDK's default (probe `server/discover`, fall back to `initialize`);
`legacy` forces the `initialize` handshake and a session; a version pins that stateless revision.
Exit status: 0 on success, 1 when an expectation fails, 2 on bad arguments.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import Any

import httpx2
from mcp import Client
from mcp.client.streamable_http import streamable_http_client


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("url", help="the MCP endpoint: token URL, or /mcp/:serverId with --header")
    p.add_argument("--mode", default="auto", help="auto (default), legacy, or a modern version such as 2026-07-28")
    p.add_argument("--connector", required=True, help="connector for get_action_details/execute_action")
    p.add_argument("--action", required=True, help="action for get_action_details/execute_action")
    p.add_argument("--parameters", required=True, help="execute_action parameters, a JSON object")
    p.add_argument("--credential-id", help="credentialId argument of execute_action")
    p.add_argument("--header", action="append", default=[], metavar="NAME=VALUE", help="extra HTTP header")
    p.add_argument("--expect-protocol-version", help="fail unless this version is negotiated")
    args = p.parse_args(argv)
    try:
        args.parameters = json.loads(args.parameters)
    except json.JSONDecodeError as e:
        p.error(f"--parameters is not JSON: {e}")
    if not isinstance(args.parameters, dict):
        p.error("--parameters must be a JSON object")
    headers: dict[str, str] = {}
    for h in args.header:
        name, sep, value = h.partition("=")
        if not sep or not name:
            p.error(f"--header wants NAME=VALUE, got {h!r}")
        headers[name] = value
    args.headers = headers
    return args


def tool_result(result: Any) -> dict[str, Any]:
    """A tool result as plain JSON: the error flag, the structured content, and the text parsed."""
    texts = [c.text for c in result.content if getattr(c, "type", None) == "text"]
    parsed: Any = None
    if len(texts) == 1:
        try:
            parsed = json.loads(texts[0])
        except json.JSONDecodeError:
            parsed = texts[0]
    return {
        "isError": bool(result.is_error),
        "structuredContent": result.structured_content,
        "text": parsed,
        "contentCount": len(result.content),
    }


async def run(args: argparse.Namespace) -> dict[str, Any]:
    # The SDK sends whatever headers the httpx2 client carries (API authentication, x-credential-id).
    timeout = httpx2.Timeout(30.0, read=60.0)
    async with httpx2.AsyncClient(headers=args.headers, timeout=timeout) as http:
        transport = streamable_http_client(args.url, http_client=http)
        async with Client(transport, mode=args.mode, raise_exceptions=True) as client:
            info = client.server_info
            tools = await client.list_tools()
            listed = await client.call_tool("list_connectors_alloy", {})
            details = await client.call_tool(
                "get_action_details_alloy", {"connectorId": args.connector, "actionId": args.action}
            )
            execute_args: dict[str, Any] = {
                "connectorId": args.connector,
                "actionId": args.action,
                "parameters": args.parameters,
            }
            if args.credential_id:
                execute_args["credentialId"] = args.credential_id
            executed = await client.call_tool("execute_action_alloy", execute_args)
            return {
                "protocolVersion": client.protocol_version,
                "serverInfo": None if info is None else {"name": info.name, "version": info.version},
                "tools": [t.name for t in tools.tools],
                "listConnectors": tool_result(listed),
                "actionDetails": tool_result(details),
                "execute": tool_result(executed),
            }


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    out = asyncio.run(run(args))
    print(json.dumps(out, indent=2, sort_keys=True))
    if args.expect_protocol_version and out["protocolVersion"] != args.expect_protocol_version:
        print(
            f"negotiated {out['protocolVersion']}, expected {args.expect_protocol_version}",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
