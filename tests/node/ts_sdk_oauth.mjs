// The official TypeScript MCP SDK's own OAuth client signing in to our server from the bare URL
// `/mcp/<serverId>`, driven by tests/it/mcp/sdk_oauth.rs.
//
// Environment: ALLOY_MCP_URL (the server's URL, `<public URL>/mcp/<serverId>`), ALLOY_API_KEY
// (the credential typed into the sign-in page) and optionally ALLOY_CLIENT_METADATA_URL (the
// HTTPS URL of this client's Client ID Metadata Document: the SDK then names itself by it instead
// of registering). Prints one JSON line of what the SDK saw and did.
//
// The SDK does the OAuth work — discovery from the 401's challenge, a metadata-document client ID
// or dynamic client registration, PKCE, the code exchange, refreshing on a 401 — through an
// `OAuthClientProvider`. The one thing it leaves to the application,
// `redirectToAuthorization(url)`, is done here headlessly as the form's contract in
// docs/oauth.md says: GET the page, take the hidden `csrf_token` and the `alloy_oauth_csrf`
// cookie, POST the form back with the credential and `decision=continue`, then approve the
// consent screen with its ticket, and read the code from the 303's `Location`.
import { randomUUID } from "node:crypto";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { UnauthorizedError } from "@modelcontextprotocol/sdk/client/auth.js";

const url = process.env.ALLOY_MCP_URL;
const apiKey = process.env.ALLOY_API_KEY;
if (!url || !apiKey) {
  console.error("set ALLOY_MCP_URL and ALLOY_API_KEY");
  process.exit(2);
}
const origin = new URL(url).origin;
// A loopback redirect URI: nothing listens there, the script reads the code from the Location.
const REDIRECT_URL = "http://127.0.0.1:33418/callback";

function fail(message) {
  throw new Error(message);
}

/** Every HTTP request the SDK makes (the transport's `fetch` is also its OAuth fetch). */
const requests = [];
async function loggingFetch(input, init) {
  const target = new URL(input instanceof Request ? input.url : String(input));
  const entry = { method: init?.method ?? "GET", path: target.pathname };
  if (target.pathname === "/oauth/token" && init?.body instanceof URLSearchParams) {
    entry.grantType = init.body.get("grant_type");
    entry.resource = init.body.get("resource");
  }
  const response = await fetch(input, init);
  entry.status = response.status;
  requests.push(entry);
  return response;
}

/** The cookie of a page's answer and its hidden csrf_token field (they must agree). */
async function formOf(page, what) {
  const cookie = page.headers
    .getSetCookie()
    .map((c) => c.split(";")[0])
    .find((c) => c.startsWith("alloy_oauth_csrf="));
  if (!cookie) fail(`${what}: no alloy_oauth_csrf cookie`);
  const html = await page.text();
  const csrf = /name="csrf_token" value="([^"]+)"/.exec(html)?.[1];
  if (!csrf) fail(`${what}: no csrf_token field`);
  if (cookie !== `alloy_oauth_csrf=${csrf}`) fail(`${what}: the cookie and the hidden field differ`);
  return { cookie, csrf, html };
}

/** POSTs the sign-in form: every parameter of the authorization request again, then `fields`. */
async function postForm(authorizationUrl, cookie, fields) {
  const form = new URLSearchParams(new URL(authorizationUrl).searchParams);
  for (const [k, v] of Object.entries(fields)) form.set(k, v);
  return fetch(new URL("/oauth/authorize", authorizationUrl), {
    method: "POST",
    redirect: "manual",
    headers: { "content-type": "application/x-www-form-urlencoded", cookie },
    body: form,
  });
}

/**
 * The form's contract, as a browser does it: sign in with the key (`continue`), read the consent
 * screen (the server's restrictions, a signed ticket), approve with the ticket. Answers the
 * redirect's `code`, `state`, `iss`.
 */
async function signInHeadlessly(authorizationUrl) {
  const page = await fetch(authorizationUrl, { redirect: "manual" });
  if (page.status !== 200) fail(`sign-in page: HTTP ${page.status}: ${await page.text()}`);
  const signIn = await formOf(page, "sign-in page");
  const consentPage = await postForm(authorizationUrl, signIn.cookie, {
    csrf_token: signIn.csrf,
    credential: apiKey,
    decision: "continue",
  });
  if (consentPage.status !== 200) {
    fail(`consent screen: HTTP ${consentPage.status}: ${await consentPage.text()}`);
  }
  const consent = await formOf(consentPage, "consent screen");
  if (!consent.html.includes("Connectors: every connector of the catalog.")) {
    fail(`consent screen without the server's restrictions: ${consent.html}`);
  }
  const ticket = /name="ticket" value="([^"]+)"/.exec(consent.html)?.[1];
  if (!ticket) fail("consent screen: no ticket field");
  const posted = await postForm(authorizationUrl, consent.cookie, {
    csrf_token: consent.csrf,
    ticket,
    decision: "approve",
  });
  const location = posted.headers.get("location");
  if (posted.status !== 303 || !location) {
    fail(`consent form: HTTP ${posted.status}: ${await posted.text()}`);
  }
  if (!location.startsWith(`${REDIRECT_URL}?`)) fail(`redirected elsewhere: ${location}`);
  const back = new URL(location).searchParams;
  return { code: back.get("code"), state: back.get("state"), iss: back.get("iss") };
}

/** An `OAuthClientProvider` keeping everything in memory, signing in without a browser. */
class HeadlessProvider {
  constructor() {
    this.authorizationUrls = [];
    this.signInAllowed = true;
    this.invalidated = [];
    this.pending = undefined;
  }
  get redirectUrl() {
    return REDIRECT_URL;
  }
  get clientMetadataUrl() {
    return process.env.ALLOY_CLIENT_METADATA_URL || undefined;
  }
  get clientMetadata() {
    return {
      client_name: "alloy-e2e-typescript-oauth",
      redirect_uris: [REDIRECT_URL],
      grant_types: ["authorization_code", "refresh_token"],
      response_types: ["code"],
      token_endpoint_auth_method: "none",
    };
  }
  state() {
    this._state = randomUUID();
    return this._state;
  }
  clientInformation() {
    return this._client;
  }
  saveClientInformation(info) {
    this._client = info;
  }
  tokens() {
    return this._tokens;
  }
  saveTokens(tokens) {
    this._tokens = tokens;
  }
  saveCodeVerifier(verifier) {
    this._verifier = verifier;
  }
  codeVerifier() {
    if (!this._verifier) fail("no code verifier saved");
    return this._verifier;
  }
  invalidateCredentials(scope) {
    this.invalidated.push(scope);
    if (scope === "all" || scope === "client") this._client = undefined;
    if (scope === "all" || scope === "tokens") this._tokens = undefined;
    if (scope === "all" || scope === "verifier") this._verifier = undefined;
  }
  async redirectToAuthorization(authorizationUrl) {
    this.authorizationUrls.push(authorizationUrl.href);
    if (!this.signInAllowed) return;
    const back = await signInHeadlessly(authorizationUrl.href);
    if (back.state !== this._state) fail(`state ${back.state} is not ${this._state}`);
    this.pending = back;
  }
  /** The code of the sign-in that just happened, once. */
  takeCode() {
    const back = this.pending;
    if (!back?.code) fail("no sign-in happened");
    this.pending = undefined;
    return back;
  }
}

const provider = new HeadlessProvider();
const newTransport = () =>
  new StreamableHTTPClientTransport(new URL(url), { authProvider: provider, fetch: loggingFetch });

/** Connects; the first attempt without tokens must end in the sign-in (UnauthorizedError). */
async function signInAndConnect() {
  const first = new Client({ name: "alloy-e2e-typescript-oauth", version: "1.0.0" });
  const transport = newTransport();
  let refused;
  try {
    await first.connect(transport);
  } catch (e) {
    refused = e;
  }
  if (!(refused instanceof UnauthorizedError)) fail(`expected the sign-in to start, got ${refused}`);
  const back = provider.takeCode();
  await transport.finishAuth(back.code);
  await first.close();
  const client = new Client({ name: "alloy-e2e-typescript-oauth", version: "1.0.0" });
  const connected = newTransport();
  await client.connect(connected);
  return { client, transport: connected, iss: back.iss };
}

// 1. Sign in from the bare URL: 401 → discovery → registration → the form → the code → tokens.
const { client, transport, iss } = await signInAndConnect();
const registeredClientId = provider.clientInformation()?.client_id;
const signedIn = { ...provider.tokens() };
const tools = await client.listTools();
const list = await client.callTool({ name: "list_connectors_alloy", arguments: {} });

// 2. Refresh through the SDK: the stored access token goes bad (as an expired one would), the
//    server answers 401, and the SDK refreshes with the refresh token and retries the call.
provider.saveTokens({ ...provider.tokens(), access_token: `${signedIn.access_token.slice(0, -6)}AAAAAA` });
const afterRefresh = await client.listTools();
const refreshed = { ...provider.tokens() };

// 3. Revocation (RFC 7009) of the current refresh token ends the grant.
const revoke = await fetch(`${origin}/oauth/revoke`, {
  method: "POST",
  headers: { "content-type": "application/x-www-form-urlencoded" },
  body: new URLSearchParams({
    token: refreshed.refresh_token,
    token_type_hint: "refresh_token",
    client_id: registeredClientId,
  }),
});
const revokeStatus = revoke.status;
await revoke.body?.cancel();
// The revoked grant's access token, presented directly, is refused.
const direct = await fetch(url, {
  method: "POST",
  headers: {
    authorization: `Bearer ${refreshed.access_token}`,
    accept: "application/json, text/event-stream",
    "content-type": "application/json",
    "mcp-protocol-version": transport.protocolVersion,
    ...(transport.sessionId ? { "mcp-session-id": transport.sessionId } : {}),
  },
  body: JSON.stringify({ jsonrpc: "2.0", id: 99, method: "tools/list", params: {} }),
});
const directStatus = direct.status;
const directChallenge = direct.headers.get("www-authenticate");
await direct.body?.cancel();
// Through the SDK: 401, the refresh is refused (invalid_grant), the tokens are dropped and a new
// sign-in is started — which this script lets end at the redirect.
provider.signInAllowed = false;
const redirectsBefore = provider.authorizationUrls.length;
let afterRevoke;
try {
  await client.listTools();
  afterRevoke = { error: null };
} catch (e) {
  afterRevoke = { error: e?.constructor?.name ?? String(e), message: String(e?.message ?? e) };
}
afterRevoke.signInStarted = provider.authorizationUrls.length === redirectsBefore + 1;
afterRevoke.tokensDropped = provider.tokens() === undefined;
await client.close();

// 4. Signing in again works, with the same registration.
provider.signInAllowed = true;
const again = await signInAndConnect();
const againTools = await again.client.listTools();
const sameClient = provider.clientInformation()?.client_id === registeredClientId;
await again.client.close();

const authorizationUrl = new URL(provider.authorizationUrls[0]);
console.log(
  JSON.stringify({
    protocolVersion: transport.protocolVersion,
    sessionId: transport.sessionId ?? null,
    server: client.getServerVersion(),
    clientId: registeredClientId,
    authorizationRequest: Object.fromEntries(authorizationUrl.searchParams),
    iss,
    tokenType: signedIn.token_type,
    expiresIn: signedIn.expires_in,
    tools: tools.tools.map((t) => t.name),
    list: {
      isError: list.isError ?? false,
      count: list.structuredContent?.count,
      connectorIds: list.structuredContent?.connectors?.map((c) => c.id),
    },
    refresh: {
      toolsAfter: afterRefresh.tools.length,
      accessTokenChanged: refreshed.access_token !== signedIn.access_token,
      refreshTokenRotated: refreshed.refresh_token !== signedIn.refresh_token,
    },
    revoke: { status: revokeStatus, directStatus, directChallenge, afterRevoke },
    again: { tools: againTools.tools.length, sameClient },
    invalidated: provider.invalidated,
    requests,
  }),
);
