// "How to connect": ready-to-paste client configurations with this server's own access URL filled in.

import { h, uid } from "../dom.js";
import { copyButton } from "../ui.js";

/** A client-friendly name for the server: lower-case letters, digits and hyphens. */
export function clientName(server) {
  const slug = server.name.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "");
  return slug || "alloy";
}

/** Quotes a value for a POSIX shell when needed. */
function shellQuote(value) {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(value) ? value : `'${value.replace(/'/g, "'\\''")}'`;
}

/** The snippets, by client: [id, title, where it goes, text]. */
export function snippets(server) {
  const name = clientName(server);
  const url = server.accessUrl;
  return [
    ["claude-code", "Claude Code", "Run in a terminal:", `claude mcp add --transport http ${shellQuote(name)} ${shellQuote(url)}`],
    ["cursor", "Cursor", "Put in .cursor/mcp.json (the project) or ~/.cursor/mcp.json (every project):", JSON.stringify({ mcpServers: { [name]: { url } } }, null, 2)],
    [
      "claude-desktop",
      "Claude Desktop",
      "Put in claude_desktop_config.json (Settings → Developer → Edit Config); mcp-remote bridges stdio to Streamable HTTP:",
      JSON.stringify({ mcpServers: { [name]: { command: "npx", args: ["-y", "mcp-remote", url] } } }, null, 2),
    ],
    ["inspector", "MCP Inspector", "Run, then choose the transport “Streamable HTTP” and paste the URL:", `npx @modelcontextprotocol/inspector\n# Transport Type: Streamable HTTP\n# URL: ${url}`],
  ];
}

/** The "how to connect" section: a tab per client (arrow keys move between tabs). */
export function connectSection(server) {
  const list = snippets(server);
  const tablist = h("div", { class: "tabs", role: "tablist", "aria-label": "MCP clients" });
  const panels = [];
  const tabs = list.map(([id, title, where, text], i) => {
    const tabId = uid(`tab-${id}`);
    const panelId = `${tabId}-panel`;
    const pre = h("pre", { class: "snippet", dataset: { client: id } }, h("code", null, text));
    const panel = h(
      "div",
      { role: "tabpanel", id: panelId, "aria-labelledby": tabId, tabindex: "0", hidden: i !== 0, class: "tab-panel" },
      h("p", null, where),
      pre,
      copyButton(text, `Copy the ${title} configuration`, { dataset: { copies: id } }),
    );
    panels.push(panel);
    return h("button", { type: "button", role: "tab", id: tabId, "aria-controls": panelId, "aria-selected": String(i === 0), tabindex: i === 0 ? "0" : "-1" }, title);
  });
  const select = (index) => {
    tabs.forEach((tab, i) => {
      tab.setAttribute("aria-selected", String(i === index));
      tab.tabIndex = i === index ? 0 : -1;
      panels[i].hidden = i !== index;
    });
    tabs[index].focus();
  };
  tabs.forEach((tab, i) => {
    tab.addEventListener("click", () => select(i));
    tab.addEventListener("keydown", (event) => {
      const moves = { ArrowRight: 1, ArrowLeft: -1, Home: -i, End: tabs.length - 1 - i };
      if (event.key in moves) {
        event.preventDefault();
        select((i + moves[event.key] + tabs.length) % tabs.length);
      }
    });
  });
  tablist.append(...tabs);
  return h(
    "section",
    { class: "card", "aria-labelledby": "connect-title" },
    h("h2", { id: "connect-title" }, "How to connect"),
    h("p", { class: "muted" }, "Each snippet uses this server's access URL, which carries its token: treat it like a password."),
    tablist,
    panels,
  );
}
