// The admin console in a real headless Firefox (Debian's firefox-esr, driven through WebDriver BiDi by puppeteer-core); run by tests/it/console/firefox.rs.
//
// Usage: ALLOY_URL=http://127.0.0.1:PORT ALLOY_API_KEY=… SCREENSHOT_DIR=… [FIREFOX=/usr/bin/firefox-esr] node console_firefox.mjs
// Prints one line per step; exits 1 with the failing step's message on any failure. Shorter than
// console_browser.mjs (Chromium): the same pages, in the other engine.

import { mkdirSync, existsSync } from "node:fs";
import { join } from "node:path";
import puppeteer from "puppeteer-core";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";

const BASE = (process.env.ALLOY_URL || "").replace(/\/+$/, "");
const API_KEY = process.env.ALLOY_API_KEY || "";
const SHOTS = process.env.SCREENSHOT_DIR || "";
const FIREFOX = process.env.FIREFOX || "/usr/bin/firefox-esr";
const XSS = `<img src=x onerror="window.__xss=1">`;
const SERVER_NAME = "Firefox E2E";
const TIMEOUT = 20000;

if (!BASE || !API_KEY || !SHOTS) {
  console.error("set ALLOY_URL, ALLOY_API_KEY and SCREENSHOT_DIR");
  process.exit(2);
}
if (!existsSync(FIREFOX)) {
  console.error(`Firefox not found at ${FIREFOX}: run \`apt-get install firefox-esr\` (or set FIREFOX)`);
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
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

const started = Date.now();
const browser = await puppeteer.launch({
  browser: "firefox",
  executablePath: FIREFOX,
  headless: true,
  // Puppeteer gives Firefox a fresh temporary profile; these keep it quiet and offline.
  // The last pref lets the page read the clipboard back without Firefox's paste prompt.
  extraPrefsFirefox: { "intl.accept_languages": "en-US", "intl.locale.requested": "en-US", "ui.systemUsesDarkTheme": 0, "dom.events.testing.asyncClipboard": true },
});
console.log(`browser: ${await browser.version()} (puppeteer-core over WebDriver BiDi)`);
let exitCode = 0;
let page = null;
try {
  page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 800 });
  page.setDefaultTimeout(TIMEOUT);
  // Every CSP violation is reported to the page as a `securitypolicyviolation` event: log it
  // where the console listener below sees it (Firefox's own CSP warnings do not reach BiDi).
  await page.evaluateOnNewDocument(() => {
    document.addEventListener("securitypolicyviolation", (e) => {
      console.error(`CSP violation: ${e.violatedDirective} blocked ${e.blockedURI || "inline"} (${e.sourceFile || "?"}:${e.lineNumber || 0})`);
    });
  });
  // Any script error or CSP violation fails the run: the console must work under its own strict policy.
  page.on("pageerror", (error) => problems.push(`page error during "${current}": ${error.message || error}`));
  page.on("console", (message) => {
    const text = message.text();
    if (/CSP violation|Content.Security.Policy/i.test(text)) problems.push(`CSP violation during "${current}": ${text}`);
    else if (message.type() === "error") problems.push(`console error during "${current}": ${text}`);
  });
  const checkProblems = () => assert(problems.length === 0, problems.join("\n"));

  // Waits, polling from here, until `fn` (run in the page) returns something truthy; returns it.
  const until = async (what, fn, ...args) => {
    const end = Date.now() + TIMEOUT;
    for (;;) {
      const value = await page.evaluate(fn, ...args).catch((e) => {
        // A navigation between two polls destroys the context: poll again.
        if (/context|destroyed|navigat/i.test(String(e && e.message))) return null;
        throw e;
      });
      if (value) return value;
      if (Date.now() > end) throw new Error(`timed out after ${TIMEOUT} ms waiting for ${what}`);
      await sleep(100);
    }
  };
  const present = (selector) => until(selector, (s) => Boolean(document.querySelector(s)), selector);
  // The first element of `selector` whose text matches `pattern`; resolves to its text.
  const withText = (selector, pattern) =>
    until(
      `${selector} with text ${pattern}`,
      (s, source, flags) => {
        const re = new RegExp(source, flags);
        const el = [...document.querySelectorAll(s)].find((e) => re.test(e.textContent));
        return el ? el.textContent : null;
      },
      selector,
      pattern.source,
      pattern.flags,
    );
  const heading = (text) => withText("main h1", new RegExp(text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")));
  // Real typing (key events through BiDi input actions) into an emptied field.
  const fill = async (selector, value) => {
    await present(selector);
    await page.$eval(selector, (el) => {
      el.value = "";
      el.focus();
    });
    await page.type(selector, value);
    const got = await page.$eval(selector, (el) => el.value);
    assert(got === value, `typing into ${selector} gave "${got}"`);
  };
  const click = async (selector) => {
    await present(selector);
    await page.click(selector);
  };
  const visit = async (hash, title) => {
    await page.evaluate((h) => {
      location.hash = h;
    }, hash);
    if (title) await heading(title);
  };
  const shot = async (name, { full = false } = {}) => {
    await page.screenshot({ path: join(SHOTS, `firefox-${name}.png`), fullPage: full });
    console.log(`  screenshot firefox-${name}.png`);
  };

  step("/admin shows the sign-in view under its strict CSP");
  const response = await page.goto(`${BASE}/admin`, { waitUntil: "load" });
  assert(response && response.ok(), `GET /admin answered ${response && response.status()}`);
  const csp = response.headers()["content-security-policy"] || "";
  assert(csp.includes("script-src 'self'"), `the page's CSP is "${csp}"`);
  await present("#sign-in-form");
  // The detectors themselves: an inline script the policy must refuse, reported as a violation…
  await page.evaluate(() => {
    const s = document.createElement("script");
    s.textContent = "window.__inline = 1";
    document.body.append(s);
    s.remove();
  });
  for (let i = 0; i < 50 && !problems.some((p) => p.startsWith("CSP violation")); i += 1) await sleep(100);
  assert(problems.some((p) => /CSP violation.*script-src/.test(p)), `a refused inline script was not reported: ${JSON.stringify(problems)}`);
  assert((await page.evaluate(() => window.__inline)) === undefined, "an inline script ran despite the CSP");
  // And an uncaught error of the page's own code.
  await page.evaluate(() => {
    setTimeout(() => {
      throw new Error("detector self-check");
    }, 0);
  });
  for (let i = 0; i < 50 && !problems.some((p) => p.includes("detector self-check")); i += 1) await sleep(100);
  assert(problems.some((p) => p.startsWith("page error") && p.includes("detector self-check")), `an uncaught page error was not reported: ${JSON.stringify(problems)}`);
  problems.length = 0;
  await shot("01-sign-in");

  step("a wrong API key is refused with a visible message");
  await fill("#sign-in-form input[type=password]", "alloy_not_a_real_key_0000000000");
  await click("#sign-in-form button[type=submit]");
  const refusal = await withText("#alerts .alert.error", /./);
  assert(await page.$("#sign-in-form"), "left the sign-in form");
  console.log(`  alert: ${refusal.trim().split("\n")[0]}`);
  await shot("02-wrong-key");

  step("sign in with the API key");
  await fill("#sign-in-form input[type=password]", API_KEY);
  await click("#sign-in-form button[type=submit]");
  await heading("Servers");
  const who = await page.$eval("#who", (el) => el.innerText);
  assert(/default/.test(who) && /API key/.test(who), `the top bar says "${who}"`);
  const session = (await page.cookies(BASE)).find((c) => c.name === "alloy_console");
  assert(session && session.httpOnly && session.sameSite === "Strict", `session cookie: ${JSON.stringify(session)}`);
  assert(await page.evaluate(() => document.cookie.indexOf("alloy_console") === -1), "the session cookie is readable by scripts");
  await shot("03-servers-empty");

  step("create a server whose description is an XSS attempt: literal text, never run");
  await click("#new-server");
  await present("#server-form");
  await fill("#server-form [name=name]", SERVER_NAME);
  await fill("#server-form [name=description]", XSS);
  await click("#server-form button[type=submit]");
  await heading(SERVER_NAME);
  const serverId = await page.evaluate(() => decodeURIComponent(location.hash.split("/")[2]));
  assert(/^firefox-e2e-[0-9a-f]{8}$/.test(serverId), `server ID ${serverId}`);
  const description = await page.$eval("#server-description", (el) => el.textContent);
  assert(description === XSS, `the description shows "${description}"`);
  assert((await page.$$("main img")).length === 0, "an <img> element was created from the description");
  await sleep(300); // an error event of a broken image would have fired by now
  assert((await page.evaluate(() => window.__xss)) === undefined, "the XSS payload ran");
  const firstAccessUrl = await page.$eval("#access-url", (el) => el.value);
  assert(firstAccessUrl.includes(`/mcp/${serverId}/mcp_token_`), `access URL ${firstAccessUrl}`);
  await shot("04-server-detail", { full: true });
  await visit("#/servers", "Servers");
  await present(`tr[data-server-id="${serverId}"]`);
  const listed = await page.$eval(`tr[data-server-id="${serverId}"] .server-description`, (el) => el.textContent);
  assert(listed.includes(XSS), `the list shows "${listed}"`);
  assert((await page.$$("main img")).length === 0 && (await page.evaluate(() => window.__xss)) === undefined, "XSS in the list");

  step("restrictions: allow only slack through the picker, save, see the effect");
  await visit(`#/servers/${serverId}`, SERVER_NAME);
  await click("#edit-restrictions");
  await heading("Restrictions");
  await click("#restrict-connectors input[value=allowlist]");
  await fill("#connector-search", "slack");
  const box = `#restrict-connectors input[type=checkbox][data-connector-id="slack"]`;
  // The search runs 250 ms after the last key: wait for its results, not the unfiltered page.
  await until("the picker to list only slack", () => {
    const boxes = document.querySelectorAll("#restrict-connectors input[type=checkbox][data-connector-id]");
    return boxes.length === 1 && boxes[0].dataset.connectorId === "slack";
  });
  await click(box);
  assert(await page.$eval(box, (el) => el.checked), "the slack checkbox is not checked");
  await present(`#restrict-connectors .chip[data-value="slack"]`);
  const estimate = await withText("#restriction-effect", /will see 1 of \d+ connectors/);
  const total = Number(/will see 1 of (\d+) connectors/.exec(estimate)[1]);
  assert(total > 1, `the catalog has ${total} connectors`);
  await shot("05-restrictions-editor", { full: true });
  await click("#save-restrictions");
  await present("#restriction-effect[data-verified]");
  const effect = await page.$eval("#restriction-effect", (el) => el.innerText);
  assert(new RegExp(`now sees 1 of ${total} connectors`).test(effect), `after saving: "${effect}"`);
  console.log(`  ${effect.split("\n")[0]}`);
  await visit(`#/servers/${serverId}`, SERVER_NAME);
  await withText("#server-effect", /sees 1 of/);

  step("connectors: the catalog and a connector page");
  await visit("#/connectors", "Connectors");
  await present(".connector-card");
  const cards = (await page.$$(".connector-card")).length;
  assert(cards >= 1, "no connector card");
  await shot("06-connectors");
  await visit("#/connectors/slack", "Slack");
  await present("table.actions tr[data-action-id]");
  await shot("07-connector-detail");

  step("Activity: the calls of an MCP client on the access URL, with the charts' SVG");
  const client = new Client({ name: "alloy-console-firefox", version: "1.0.0" });
  const transport = new StreamableHTTPClientTransport(new URL(firstAccessUrl));
  await client.connect(transport);
  const seen = await client.callTool({ name: "list_connectors_alloy", arguments: {} });
  const ids = (seen.structuredContent.connectors || []).map((c) => c.id);
  assert(JSON.stringify(ids) === JSON.stringify(["slack"]), `list_connectors_alloy gave ${JSON.stringify(ids)}`);
  await client.callTool({ name: "get_connector_resources_alloy", arguments: { connectorId: "slack" } });
  await transport.terminateSession().catch(() => {});
  await client.close();
  await visit(`#/activity?serverId=${encodeURIComponent(serverId)}`, "Activity");
  // Audit events are written off the request path, in batches: refresh until they are there.
  for (let i = 0; i < 20 && !(await page.$("tr.event[data-tool=list_connectors_alloy]")); i += 1) {
    await sleep(500);
    await click("#refresh-activity");
    await present("#events table, #events .empty");
  }
  await present("tr.event[data-tool=list_connectors_alloy]");
  // The charts come from their own request of the same refresh; on a loaded machine the last
  // refresh may have computed them before the batch landed: refresh until they are drawn.
  const charts = () => page.$$eval("#usage svg.chart-svg", (svgs) => svgs.length);
  for (let i = 0; i < 20 && (await charts()) < 3; i += 1) {
    await sleep(500);
    await click("#refresh-activity");
    await present("#usage svg.chart-svg, #usage .empty, #usage p.muted");
  }
  await until("three charts", () => document.querySelectorAll("#usage svg.chart-svg").length === 3);
  const drawn = await page.$$eval("#usage svg.chart-svg", (svgs) => svgs.map((svg) => svg.getBoundingClientRect().width));
  assert(drawn.every((w) => w > 100), `chart widths ${JSON.stringify(drawn)}`);
  await page.$eval("#usage-title", (el) => el.scrollIntoView({ block: "start" }));
  await shot("08-activity");
  await page.evaluate(() => window.scrollTo(0, 0));

  step("rotate the access token: a new URL is shown, and copied with one click");
  await visit(`#/servers/${serverId}`, SERVER_NAME);
  await click("#rotate-token");
  await present("dialog.confirm[open]");
  await shot("09-rotate-confirm");
  await click("dialog.confirm button[value=yes]");
  await present("#rotated-notice");
  const newAccessUrl = await page.$eval("#access-url", (el) => el.value);
  assert(newAccessUrl !== firstAccessUrl && newAccessUrl.includes(`/mcp/${serverId}/mcp_token_`), `new access URL ${newAccessUrl}`);
  await click("button[data-copies=accessUrl]");
  await withText("button[data-copies=accessUrl]", /Copied/);
  const copied = await page.evaluate(() => navigator.clipboard.readText());
  assert(copied === newAccessUrl, `the clipboard holds "${copied}"`);
  await page.$eval("#urls-title", (el) => el.scrollIntoView({ block: "start" }));
  await shot("10-server-rotated");

  step("sign out: the sign-in view, and the API refuses the page");
  await click("#sign-out");
  await present("#sign-in-form");
  const after = await page.evaluate(async () => (await fetch("/api/servers", { credentials: "same-origin" })).status);
  assert(after === 401, `GET /api/servers after sign-out answered ${after}`);
  await shot("11-signed-out");

  checkProblems();
  console.log(`ok: every step passed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
} catch (error) {
  exitCode = 1;
  console.error(`FAILED at step "${current}": ${error.message}`);
  if (problems.length) console.error(problems.join("\n"));
  // What the page showed: its alerts, heading and a screenshot.
  if (page) {
    const seen = await page.evaluate(() => `url ${location.href}; h1 "${document.querySelector("main h1")?.textContent || ""}"; alerts "${document.querySelector("#alerts")?.innerText || ""}"`).catch((e) => `(page unreadable: ${e.message})`);
    console.error(`  at failure: ${seen}`);
    await page.screenshot({ path: join(SHOTS, "firefox-failure.png") }).then(() => console.error("  screenshot firefox-failure.png"), () => {});
  }
} finally {
  await browser.close();
}
process.exit(exitCode);
