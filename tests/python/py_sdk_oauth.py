"""The official Python MCP SDK's own OAuth client signing in to alloy-mcp-server from the bare URL.

`mcp.client.auth.OAuthClientProvider` is the httpx2 auth of the client that
`streamable_http_client` uses: on the first 401 it discovers the authorization server from the
challenge, registers the client (RFC 7591), sends the user to the sign-in page and exchanges the
code with PKCE. The redirect and callback handlers here stand in for the browser, following the
form's contract in docs/oauth.md: GET the page, take the hidden `csrf_token` and the
`alloy_oauth_csrf` cookie, POST the form back with the credential and `decision=approve`, and read
`code`, `state` and `iss` from the 303's `Location`.

Then it lists the tools, calls `list_connectors_alloy`, lets the access token expire (the SDK then
refreshes it with `grant_type=refresh_token`), revokes the grant (RFC 7009) and checks that the
SDK, refused with 401, signs in again by itself. It prints one JSON document of what it saw; the
Rust test `tests/it/mcp/sdk_oauth.rs` runs it and checks that document.

Environment: ALLOY_MCP_URL (`<public URL>/mcp/<serverId>`), ALLOY_API_KEY (the credential typed
into the sign-in page). Optional argument: `--mode auto|legacy|<version>` (the SDK's `Client`
mode, default `auto`). Exit status: 0 on success, 1 when the flow fails, 2 on bad arguments.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx2
from mcp import Client
from mcp.client.auth import AuthorizationCodeResult, OAuthClientProvider
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.auth import OAuthClientInformationFull, OAuthClientMetadata, OAuthToken

# A loopback redirect URI: nothing listens there, the handler reads the code from the Location.
REDIRECT_URL = "http://127.0.0.1:33419/callback"


class MemoryStorage:
    """The SDK's `TokenStorage`, in memory."""

    def __init__(self) -> None:
        self.tokens: OAuthToken | None = None
        self.client_info: OAuthClientInformationFull | None = None

    async def get_tokens(self) -> OAuthToken | None:
        return self.tokens

    async def set_tokens(self, tokens: OAuthToken) -> None:
        self.tokens = tokens

    async def get_client_info(self) -> OAuthClientInformationFull | None:
        return self.client_info

    async def set_client_info(self, client_info: OAuthClientInformationFull) -> None:
        self.client_info = client_info


class HeadlessSignIn:
    """The redirect and callback handlers: the browser's part of the flow, done over HTTP."""

    def __init__(self, api_key: str) -> None:
        self.api_key = api_key
        self.authorization_urls: list[str] = []
        self._result: AuthorizationCodeResult | None = None

    async def redirect_handler(self, authorization_url: str) -> None:
        self.authorization_urls.append(authorization_url)
        async with httpx2.AsyncClient(timeout=30.0) as http:
            page = await http.get(authorization_url)
            if page.status_code != 200:
                raise RuntimeError(f"sign-in page: HTTP {page.status_code}: {page.text}")
            cookie = next(
                (
                    c.split(";", 1)[0]
                    for c in page.headers.get_list("set-cookie")
                    if c.startswith("alloy_oauth_csrf=")
                ),
                None,
            )
            if cookie is None:
                raise RuntimeError("sign-in page: no alloy_oauth_csrf cookie")
            marker = 'name="csrf_token" value="'
            start = page.text.find(marker)
            if start < 0:
                raise RuntimeError("sign-in page: no csrf_token field")
            csrf = page.text[start + len(marker) :].split('"', 1)[0]
            if cookie != f"alloy_oauth_csrf={csrf}":
                raise RuntimeError("the cookie and the hidden field differ")
            # Every parameter of the authorization request again, then the page's fields.
            form = [(k, v) for k, vs in parse_qs(urlsplit(authorization_url).query).items() for v in vs]
            form += [("csrf_token", csrf), ("credential", self.api_key), ("decision", "approve")]
            parts = urlsplit(authorization_url)
            posted = await http.post(
                f"{parts.scheme}://{parts.netloc}{parts.path}",
                content=urlencode(form),
                headers={"content-type": "application/x-www-form-urlencoded", "cookie": cookie},
            )
        location = posted.headers.get("location")
        if posted.status_code != 303 or location is None:
            raise RuntimeError(f"sign-in form: HTTP {posted.status_code}: {posted.text}")
        if not location.startswith(REDIRECT_URL + "?"):
            raise RuntimeError(f"redirected elsewhere: {location}")
        back = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
        self._result = AuthorizationCodeResult(code=back["code"], state=back.get("state"), iss=back.get("iss"))

    async def callback_handler(self) -> AuthorizationCodeResult:
        result, self._result = self._result, None
        if result is None:
            raise RuntimeError("no sign-in happened")
        return result


def connectors(result: Any) -> dict[str, Any]:
    """A `list_connectors_alloy` result in short: the error flag, the count, the connector IDs, and
    whether the text block carries the same JSON as structuredContent."""
    texts = [c.text for c in result.content if getattr(c, "type", None) == "text"]
    structured = result.structured_content or {}
    try:
        same = len(texts) == 1 and json.loads(texts[0]) == structured
    except json.JSONDecodeError:
        same = False
    return {
        "isError": bool(result.is_error),
        "count": structured.get("count"),
        "connectorIds": [c.get("id") for c in structured.get("connectors", [])],
        "textMatchesStructured": same,
    }


async def run(url: str, api_key: str, mode: str) -> dict[str, Any]:
    # Every HTTP request the SDK makes, its own OAuth requests included, passes the client's hooks.
    requests: list[dict[str, Any]] = []

    async def log(response: httpx2.Response) -> None:
        request = response.request
        entry: dict[str, Any] = {"method": request.method, "path": request.url.path, "status": response.status_code}
        if request.url.path == "/oauth/token":
            form = parse_qs(request.content.decode())
            entry["grantType"] = form.get("grant_type", [None])[0]
            entry["resource"] = form.get("resource", [None])[0]
        requests.append(entry)

    storage = MemoryStorage()
    browser = HeadlessSignIn(api_key)
    provider = OAuthClientProvider(
        server_url=url,
        client_metadata=OAuthClientMetadata(
            client_name="alloy-e2e-python-oauth",
            redirect_uris=[REDIRECT_URL],
            grant_types=["authorization_code", "refresh_token"],
            response_types=["code"],
            token_endpoint_auth_method="none",
        ),
        storage=storage,
        redirect_handler=browser.redirect_handler,
        callback_handler=browser.callback_handler,
    )
    timeout = httpx2.Timeout(30.0, read=60.0)
    origin = "{0.scheme}://{0.netloc}".format(urlsplit(url))
    async with httpx2.AsyncClient(auth=provider, timeout=timeout, event_hooks={"response": [log]}) as http:
        transport = streamable_http_client(url, http_client=http)
        async with Client(transport, mode=mode, raise_exceptions=True) as client:
            # 1. The first request is refused; the SDK signs in and retries it.
            info = client.server_info
            tools = await client.list_tools()
            listed = await client.call_tool("list_connectors_alloy", {})
            if storage.tokens is None or storage.client_info is None:
                raise RuntimeError("the SDK stored no tokens or no registration")
            signed_in = storage.tokens.model_copy()
            client_id = storage.client_info.client_id

            # 2. Time passes beyond the access token's expiry (the SDK's clock, moved forward
            #    instead of waiting ALLOY_OAUTH_ACCESS_TOKEN_TTL_SECS): the SDK refreshes first.
            provider.context.token_expiry_time = time.time() - 1
            after_refresh = await client.list_tools(cache_mode="bypass")
            refreshed = storage.tokens.model_copy()

            # 3. Revocation (RFC 7009) of the current refresh token ends the grant.
            async with httpx2.AsyncClient(timeout=timeout) as plain:
                revoke = await plain.post(
                    f"{origin}/oauth/revoke",
                    data={
                        "token": refreshed.refresh_token or "",
                        "token_type_hint": "refresh_token",
                        "client_id": client_id,
                    },
                )
                direct = await plain.post(
                    url,
                    headers={
                        "authorization": f"Bearer {refreshed.access_token}",
                        "accept": "application/json, text/event-stream",
                        "content-type": "application/json",
                        "mcp-protocol-version": client.protocol_version,
                    },
                    content=json.dumps({"jsonrpc": "2.0", "id": 99, "method": "ping", "params": {}}),
                )
            # The SDK, refused with 401, signs in again by itself and the call goes through.
            sign_ins_before = len(browser.authorization_urls)
            after_revoke = await client.call_tool("list_connectors_alloy", {"category": "payments"})
            reauthorized = storage.tokens.model_copy()

            authorization = {k: v[0] for k, v in parse_qs(urlsplit(browser.authorization_urls[0]).query).items()}
            return {
                "protocolVersion": client.protocol_version,
                "serverInfo": None if info is None else {"name": info.name, "version": info.version},
                "clientId": client_id,
                "authorizationRequest": authorization,
                "tokenType": signed_in.token_type,
                "expiresIn": signed_in.expires_in,
                "tools": [t.name for t in tools.tools],
                "listConnectors": connectors(listed),
                "refresh": {
                    "toolsAfter": len(after_refresh.tools),
                    "accessTokenChanged": refreshed.access_token != signed_in.access_token,
                    "refreshTokenRotated": refreshed.refresh_token != signed_in.refresh_token,
                },
                "revoke": {
                    "status": revoke.status_code,
                    "directStatus": direct.status_code,
                    "signInsBefore": sign_ins_before,
                    "signInsAfter": len(browser.authorization_urls),
                    "afterRevoke": connectors(after_revoke),
                    "newGrant": reauthorized.refresh_token != refreshed.refresh_token,
                    "sameClient": storage.client_info.client_id == client_id,
                },
                "requests": requests,
            }


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--mode", default="auto", help="the SDK Client's mode: auto (default), legacy, or a version")
    args = p.parse_args(argv)
    url = os.environ.get("ALLOY_MCP_URL")
    api_key = os.environ.get("ALLOY_API_KEY")
    if not url or not api_key:
        p.error("set ALLOY_MCP_URL and ALLOY_API_KEY")
    out = asyncio.run(run(url, api_key, args.mode))
    print(json.dumps(out, indent=2, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
