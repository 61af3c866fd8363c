// The admin console in a real headless Chromium (playwright-core), driven end to end; run by tests/it/console/browser.rs.
//
// Usage: ALLOY_URL=http://127.0.0.1:PORT ALLOY_API_KEY=… SCREENSHOT_DIR=… [CHROMIUM=/usr/bin/chromium] node console_browser.mjs
// Prints one line per step; exits 1 with the failing step's message on any failure.

import { mkdirSync, existsSync } from "node:fs";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";

const BASE = (process.env.ALLOY_URL || "").replace(/\/+$/, "");
const API_KEY = process.env.ALLOY_API_KEY || "";
const SHOTS = process.env.SCREENSHOT_DIR || "";
const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
const XSS = `<img src=x onerror="window.__xss=1">`;
const SERVER_NAME = "Console E2E";
const ALLOWED = ["github", "slack"];
const KEY_NAME = `console e2e ${Date.now().toString(36)}`;

if (!BASE || !API_KEY || !SHOTS) {
  console.error("set ALLOY_URL, ALLOY_API_KEY and SCREENSHOT_DIR");
  process.exit(2);
}
if (!existsSync(CHROMIUM)) {
  console.error(`Chromium not found at ${CHROMIUM}: run \`apt-get install chromium\` (or set CHROMIUM)`);
  process.exit(2);
}
mkdirSync(SHOTS, { recursive: true });

let current = "start";
const problems = [];
function step(name) {
  current = name;
  console.log(`step: ${name}`);
}
function assert(condition, message) {
  if (!condition) throw new Error(message);
}

const browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"], headless: true });
let exitCode = 0;
try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, colorScheme: "light", locale: "en-US" });
  await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: BASE });
  const page = await context.newPage();
  page.setDefaultTimeout(15000);
  // Any script error or CSP violation fails the run: the console must work under its own strict policy.
  page.on("pageerror", (error) => problems.push(`page error during "${current}": ${error.message}`));
  page.on("console", (message) => {
    const text = message.text();
    if (/Content.Security.Policy|Refused to (apply|execute|load)/i.test(text)) problems.push(`CSP violation during "${current}": ${text}`);
    else if (message.type() === "error" && !/status of 40[134]|Failed to load resource/.test(text)) problems.push(`console error during "${current}": ${text}`);
  });
  // A screenshot of the window (1280×800: the size the docs use), and with `full` also of the
  // whole page (`<name>-full.png`); `at` scrolls an element to the top first.
  const shot = async (name, { full = false, at = null } = {}) => {
    if (at) await page.locator(at).first().evaluate((el) => el.scrollIntoView({ block: "start" }));
    await page.screenshot({ path: join(SHOTS, `${name}.png`) });
    if (full) await page.screenshot({ path: join(SHOTS, `${name}-full.png`), fullPage: true });
    console.log(`  screenshot ${name}.png${full ? ` and ${name}-full.png` : ""}`);
    if (at) await page.evaluate(() => window.scrollTo(0, 0));
  };
  const visit = async (hash, heading) => {
    await page.evaluate((h) => { location.hash = h; }, hash);
    if (heading) await page.locator("main h1", { hasText: heading }).first().waitFor();
  };
  const checkProblems = () => assert(problems.length === 0, problems.join("\n"));

  step("/ redirects to /admin and shows the sign-in view");
  const response = await page.goto(`${BASE}/`);
  assert(response && response.ok(), `GET / answered ${response && response.status()}`);
  assert(new URL(page.url()).pathname.replace(/\/$/, "") === "/admin", `landed on ${page.url()}`);
  await page.locator("#sign-in-form").waitFor();
  const csp = (await response.allHeaders())["content-security-policy"] || "";
  assert(csp.includes("script-src 'self'"), `the page's CSP is "${csp}"`);
  await shot("01-sign-in");

  step("a wrong API key is refused with a visible message");
  await page.fill("#sign-in-form input[type=password]", "alloy_not_a_real_key_0000000000");
  await page.click("#sign-in-form button[type=submit]");
  await page.locator("#alerts .alert.error").waitFor();
  assert((await page.locator("#sign-in-form").count()) === 1, "still on the sign-in form");

  step("sign in with the API key");
  await page.fill("#sign-in-form input[type=password]", API_KEY);
  await page.click("#sign-in-form button[type=submit]");
  await page.locator("main h1", { hasText: "Servers" }).waitFor();
  const who = await page.locator("#who").innerText();
  assert(/default/.test(who) && /API key/.test(who), `the top bar says "${who}"`);
  const cookies = await context.cookies(BASE);
  const session = cookies.find((c) => c.name === "alloy_console");
  assert(session && session.httpOnly && session.sameSite === "Strict", `session cookie: ${JSON.stringify(session)}`);
  assert(await page.evaluate(() => document.cookie.indexOf("alloy_console") === -1), "the session cookie is readable by scripts");
  await shot("02-servers-empty");

  step("create a server whose description is an XSS attempt");
  await page.click("#new-server");
  await page.locator("#server-form").waitFor();
  await shot("03-server-new");
  await page.fill("#server-form [name=name]", SERVER_NAME);
  await page.fill("#server-form [name=description]", `${XSS} support bot`);
  await page.fill("#server-form [name=tokenExpiresInDays]", "30");
  await page.click("#server-form button[type=submit]");
  await page.locator("main h1", { hasText: SERVER_NAME }).waitFor();
  const serverId = await page.evaluate(() => decodeURIComponent(location.hash.split("/")[2]));
  assert(/^console-e2e-[0-9a-f]{8}$/.test(serverId), `server ID ${serverId}`);
  const description = await page.locator("#server-description").textContent();
  assert(description.includes(XSS), `the description shows "${description}"`);
  assert((await page.locator("main img").count()) === 0, "an <img> element was created from the description");
  assert((await page.evaluate(() => window.__xss)) === undefined, "the XSS payload ran");
  const firstAccessUrl = await page.inputValue("#access-url");
  assert(firstAccessUrl.includes(`/mcp/${serverId}/mcp_token_`), `access URL ${firstAccessUrl}`);
  await shot("04-server-detail", { full: true });

  step("the servers list shows it, the description as literal text");
  await visit("#/servers", "Servers");
  await page.locator(`tr[data-server-id="${serverId}"]`).waitFor();
  assert((await page.locator("tr .server-description").first().textContent()).includes(XSS), "list description");
  assert((await page.locator("main img").count()) === 0 && (await page.evaluate(() => window.__xss)) === undefined, "XSS in the list");
  await page.fill("#server-search", "e2e");
  await page.locator(".results p[role=status]", { hasText: "match" }).waitFor();
  await page.locator(`tr[data-server-id="${serverId}"]`).waitFor();
  await shot("05-servers-list");

  step("allow only slack and github through the restrictions pickers");
  await visit(`#/servers/${serverId}`, SERVER_NAME);
  await page.click("#edit-restrictions");
  await page.locator("main h1", { hasText: "Restrictions" }).waitFor();
  await page.check("#restrict-connectors input[value=allowlist]");
  for (const id of ALLOWED) {
    await page.fill("#connector-search", id);
    const box = page.locator(`#restrict-connectors input[type=checkbox][data-connector-id="${id}"]`);
    await box.waitFor();
    await box.check();
  }
  await page.locator("#restriction-effect", { hasText: /will see 2 of \d+ connectors/ }).waitFor();
  await page.check("#restrict-actions input[value=blocklist]");
  await page.fill("#action-connector", "slack");
  await page.click("#restrict-actions button:has-text('Show actions')");
  await page.locator("#restrict-actions input[type=checkbox][data-action-id]").first().waitFor();
  const blockedAction = await page.locator("#restrict-actions input[type=checkbox][data-action-id]").first().getAttribute("data-action-id");
  await page.locator("#restrict-actions input[type=checkbox][data-action-id]").first().check();
  await page.locator("#restriction-effect", { hasText: /it will see (\d+) of (\d+)/ }).waitFor();
  await shot("06-restrictions-editor", { full: true, at: "main .breadcrumbs" });
  await page.click("#save-restrictions");
  await page.locator("#restriction-effect[data-verified]").waitFor();
  const effect = await page.locator("#restriction-effect").innerText();
  assert(/now sees 2 of \d+ connectors/.test(effect), `after saving: "${effect}"`);
  console.log(`  ${effect.split("\n")[0]} (blocked slack.${blockedAction})`);

  step("copy the access URL with one click and read it back from the clipboard");
  await visit(`#/servers/${serverId}`, SERVER_NAME);
  await page.locator("#server-effect", { hasText: /sees 2 of/ }).waitFor();
  await page.click("button[data-copies=accessUrl]");
  await page.locator("button[data-copies=accessUrl]", { hasText: "Copied" }).waitFor();
  const copied = await page.evaluate(() => navigator.clipboard.readText());
  assert(copied === firstAccessUrl, `the clipboard holds "${copied}"`);
  const snippet = await page.locator("pre[data-client=claude-code]").textContent();
  assert(snippet.includes(firstAccessUrl) && snippet.startsWith("claude mcp add --transport http"), `Claude Code snippet: ${snippet}`);

  step("an MCP client (official TypeScript SDK) on the copied URL sees exactly the allowed connectors");
  const client = new Client({ name: "alloy-console-e2e", version: "1.0.0" });
  const transport = new StreamableHTTPClientTransport(new URL(copied));
  await client.connect(transport);
  const listed = await client.callTool({ name: "list_connectors_alloy", arguments: {} });
  const ids = (listed.structuredContent.connectors || []).map((c) => c.id).sort();
  assert(JSON.stringify(ids) === JSON.stringify(ALLOWED), `list_connectors_alloy gave ${JSON.stringify(ids)}`);
  await client.callTool({ name: "get_connector_resources_alloy", arguments: { connectorId: "slack" } });
  const refused = await client.callTool({ name: "get_connector_resources_alloy", arguments: { connectorId: "hubspot" } });
  assert(refused.isError, "a blocked connector was served");
  await transport.terminateSession().catch(() => {});
  await client.close();
  console.log(`  list_connectors_alloy → ${ids.join(", ")}; hubspot refused`);

  step("Activity lists those tool calls, with charts");
  await visit(`#/activity?serverId=${encodeURIComponent(serverId)}`, "Activity");
  const calls = page.locator("tr.event[data-tool=list_connectors_alloy]");
  const restricted = page.locator("tr.event[data-outcome=restricted]");
  // Audit events are written off the request path, in batches: refresh until they are there.
  for (let i = 0; i < 20 && ((await calls.count()) === 0 || (await restricted.count()) === 0); i += 1) {
    await page.waitForTimeout(500);
    await page.click("#refresh-activity");
    await page.locator("#events table, #events .empty").first().waitFor();
  }
  assert((await calls.count()) >= 1, "no list_connectors_alloy call in Activity");
  assert((await restricted.count()) >= 1, "the refused call is not in Activity");
  // The charts come from their own request of the same refresh; on a loaded machine the last
  // refresh may have computed them before the batch landed: refresh until they are drawn.
  for (let i = 0; i < 20 && (await page.locator("#usage svg.chart-svg").count()) < 3; i += 1) {
    await page.waitForTimeout(500);
    await page.click("#refresh-activity");
    await page.locator("#usage svg.chart-svg, #usage .empty, #usage p.muted").first().waitFor();
  }
  await page.locator("#usage svg.chart-svg").nth(2).waitFor();
  assert((await page.locator("#usage svg.chart-svg").count()) === 3, "three charts");
  await page.locator("tr.event[data-tool=list_connectors_alloy] button[aria-expanded]").first().click();
  await page.locator("tr.details-row:not([hidden]) dl").first().waitFor();
  await shot("07-activity", { full: true, at: "#usage-title" });

  step("rotate the access token in the UI: the old URL is refused, the new one works");
  await visit(`#/servers/${serverId}`, SERVER_NAME);
  await page.click("#rotate-token");
  await page.locator("dialog.confirm").waitFor();
  await shot("08-rotate-confirm");
  await page.click("dialog.confirm button[value=yes]");
  await page.locator("#rotated-notice").waitFor();
  const newAccessUrl = await page.inputValue("#access-url");
  assert(newAccessUrl !== firstAccessUrl && newAccessUrl.includes(`/mcp/${serverId}/mcp_token_`), `new access URL ${newAccessUrl}`);
  const initialize = (url) =>
    fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json, text/event-stream" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "e2e", version: "1" } } }),
    });
  const old = await initialize(firstAccessUrl);
  assert(old.status === 401 || old.status === 404, `the old access URL answered ${old.status}`);
  const fresh = new Client({ name: "alloy-console-e2e", version: "1.0.0" });
  const freshTransport = new StreamableHTTPClientTransport(new URL(newAccessUrl));
  await fresh.connect(freshTransport);
  const again = await fresh.callTool({ name: "list_connectors_alloy", arguments: {} });
  assert((again.structuredContent.connectors || []).length === 2, "the new URL does not serve the restricted listing");
  await freshTransport.terminateSession().catch(() => {});
  await fresh.close();
  console.log(`  old URL → ${old.status}; new URL → 2 connectors`);
  await shot("09-server-rotated", { full: true, at: "#urls-title" });

  step("connectors: the catalog, a connector, an action, discover");
  await visit("#/connectors", "Connectors");
  await page.locator(".connector-card").first().waitFor();
  await shot("10-connectors");
  await page.fill("#catalog-search", "payments");
  await page.locator("#catalog-summary", { hasText: "payments" }).waitFor();
  await visit("#/connectors/slack", "Slack");
  await page.locator("table.actions tr[data-action-id]").first().waitFor();
  await shot("11-connector-detail");
  await page.locator("table.actions tr[data-action-id=chat_postMessage] a").click();
  await page.locator("table.parameters tr[data-parameter=channel]").waitFor();
  await shot("12-action-detail", { full: true });
  await visit("#/connectors", "Connectors");
  await page.fill("#discover-form input[name=goal]", "send a message to a slack channel");
  await page.click("#discover-form button[type=submit]");
  await page.locator("#discover-result .recommended").waitFor();
  await shot("13-discover", { at: "#discover-form" });

  step("users and their credentials");
  await visit("#/users", "Users");
  await page.locator("tr[data-user-id=default]").waitFor();
  await shot("14-users");
  await page.click("tr[data-user-id=default] a");
  await page.locator("main h1", { hasText: "User default" }).waitFor();
  await page.locator("#credential-list .empty, #credential-list table").first().waitFor();
  await page.fill("#credential-connector", "stripe");
  await page.click("#credential-connector ~ button");
  await page.locator("#credential-type").waitFor();
  await shot("15-user-credentials", { full: true });

  step("API keys: create one (shown once), revoke it");
  await visit("#/keys", "API keys");
  await page.locator("tr[data-key-id]").first().waitFor();
  await page.fill("form[aria-labelledby=create-key-title] [name=name]", KEY_NAME);
  await page.click("form[aria-labelledby=create-key-title] button[type=submit]");
  await page.locator("#new-key input[data-secret]").waitFor();
  const newKey = await page.inputValue("#new-key input[data-secret]");
  assert(/^alloy_[A-Za-z0-9]{20,}/.test(newKey), `the new key is "${newKey}"`);
  await page.locator("tr[data-key-id]", { hasText: KEY_NAME }).waitFor();
  await shot("16-keys", { full: true, at: "body" });
  await page.locator("tr[data-key-id]", { hasText: KEY_NAME }).locator("button", { hasText: "Revoke" }).click();
  await page.click("dialog.confirm button[value=yes]");
  await page.locator("tr[data-key-id]", { hasText: KEY_NAME }).locator(".badge", { hasText: "revoked" }).waitFor();
  const revokedCheck = await fetch(`${BASE}/api/servers`, { headers: { Authorization: `Bearer ${newKey}` } });
  assert(revokedCheck.status === 401, `the revoked key answered ${revokedCheck.status}`);

  step("OAuth apps: the secret is write-only");
  await visit("#/oauth-apps", "OAuth apps");
  await page.locator("#oauth-app-form").waitFor();
  await page.fill("#oauth-connector", "slack");
  await page.fill("#oauth-client-id", "console-client-id");
  await page.fill("#oauth-client-secret", "console-secret-never-shown");
  await page.click("#oauth-app-form button[type=submit]");
  await page.locator("tr[data-connector-id=slack]", { hasText: "console-client-id" }).waitFor();
  assert((await page.inputValue("#oauth-client-secret")) === "", "the secret field kept its value");
  assert(!(await page.content()).includes("console-secret-never-shown"), "the secret appears in the page");
  await shot("17-oauth-apps", { full: true, at: "body" });

  step("phone width (375×800): servers list and the menu");
  await page.setViewportSize({ width: 375, height: 800 });
  await visit("#/servers", "Servers");
  await page.locator(`tr[data-server-id="${serverId}"]`).waitFor();
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert(overflow <= 1, `the page scrolls sideways by ${overflow}px at 375px`);
  await shot("18-phone-servers");
  await page.click(".menu-toggle");
  await page.locator("#main-nav.open").waitFor();
  await shot("19-phone-menu");
  await page.click("#main-nav a[data-section=activity]");
  await page.locator("main h1", { hasText: "Activity" }).waitFor();
  await page.locator("#usage svg.chart-svg, #usage .empty").first().waitFor();
  await shot("20-phone-activity");
  await page.setViewportSize({ width: 1280, height: 800 });

  step("keyboard: Tab reaches the skip link and the navigation, with a visible focus ring");
  await page.goto(`${BASE}/admin#/servers`);
  await page.reload();
  await page.locator("main h1", { hasText: "Servers" }).waitFor();
  await page.keyboard.press("Tab");
  assert((await page.evaluate(() => document.activeElement.id)) === "skip-link", "the first Tab does not reach the skip link");
  let reachedNav = false;
  for (let i = 0; i < 6 && !reachedNav; i += 1) {
    await page.keyboard.press("Tab");
    reachedNav = await page.evaluate(() => Boolean(document.activeElement.closest("#main-nav")));
  }
  assert(reachedNav, "Tab does not reach the navigation");
  const ring = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
  assert(ring !== "none", "the focused link shows no outline");
  await page.keyboard.press("Tab");
  assert((await page.evaluate(() => document.activeElement.dataset.section)) === "connectors", "Tab order in the navigation");
  await page.keyboard.press("Enter");
  await page.locator("main h1", { hasText: "Connectors" }).waitFor();
  assert(await page.evaluate(() => document.activeElement === document.querySelector("main h1")), "after navigating, focus is not on the new page's heading");

  step("delete a server with the confirmation step");
  await visit(`#/servers/${serverId}`, SERVER_NAME);
  await page.click("#delete-server");
  await page.click("dialog.confirm button[value=no]");
  assert((await page.locator("main h1", { hasText: SERVER_NAME }).count()) === 1, "cancel deleted the server");
  await page.click("#delete-server");
  await page.click("dialog.confirm button[value=yes]");
  await page.locator("main h1", { hasText: "Servers" }).waitFor();
  await page.locator("main .empty").waitFor();

  step("sign out: the sign-in view, and the API refuses the page");
  await page.click("#sign-out");
  await page.locator("#sign-in-form").waitFor();
  const after = await page.evaluate(async () => (await fetch("/api/servers", { credentials: "same-origin" })).status);
  assert(after === 401, `GET /api/servers after sign-out answered ${after}`);
  await shot("21-signed-out");

  step("a user token signs in as that one user only");
  const issued = await fetch(`${BASE}/api/users/alice/token`, {
    method: "POST",
    headers: { Authorization: `Bearer ${API_KEY}`, "Content-Type": "application/json" },
    body: JSON.stringify({ expiresInSeconds: 600 }),
  });
  assert(issued.status === 200 || issued.status === 201, `issuing a user token answered ${issued.status}`);
  const { token } = await issued.json();
  await page.check("#sign-in-form input[value=userToken]");
  await page.fill("#sign-in-form input[type=password]", token);
  await page.click("#sign-in-form button[type=submit]");
  await page.locator("main h1", { hasText: "Servers" }).waitFor();
  const whoAlice = await page.locator("#who").innerText();
  assert(/alice/.test(whoAlice) && /user token/.test(whoAlice), `the top bar says "${whoAlice}"`);
  await page.locator("main .empty").waitFor();
  assert((await page.locator(".acting-as").count()) === 0, "a user-token session can act as other users");
  await visit("#/keys", "API keys");
  await page.locator("main .notice").waitFor();
  await shot("22-user-token-session");
  await page.click("#sign-out");
  await page.locator("#sign-in-form").waitFor();

  checkProblems();
  console.log("ok: every step passed");
} catch (error) {
  exitCode = 1;
  console.error(`FAILED at step "${current}": ${error.message}`);
  if (problems.length) console.error(problems.join("\n"));
} finally {
  await browser.close();
}
process.exit(exitCode);
