// The servers list: one page at a time, a search over all of the user's servers, and a link to create one.

import * as api from "../api.js";
import { h, replace, time, plural } from "../dom.js";
import { href, setParams } from "../router.js";
import { badge, empty, loading, pageHeader, pager, showError } from "../ui.js";

const PAGE = 25;

/** Every server of the user (for searching), a thousand per request. */
async function allServers() {
  const servers = [];
  for (let offset = 0; ; offset += 1000) {
    const page = await api.get(`/api/servers${api.query({ limit: 1000, offset })}`);
    servers.push(...page.servers);
    if (!page.hasMore || servers.length >= 10000) return servers;
  }
}

function matches(server, words) {
  const text = `${server.name} ${server.description || ""} ${server.serverId}`.toLowerCase();
  return words.every((w) => text.includes(w));
}

function serverRow(server) {
  return h(
    "tr",
    { dataset: { serverId: server.serverId } },
    h("td", { "data-label": "Name" }, h("a", { href: href("servers", server.serverId), class: "server-name" }, server.name), server.description ? h("div", { class: "muted clamp server-description" }, server.description) : null),
    h("td", { "data-label": "Server ID", class: "mono" }, server.serverId),
    h("td", { "data-label": "Access" }, server.isPublic ? badge("public", "info") : badge("private"), server.requireUserToken ? badge("user token required", "info") : null),
    h("td", { "data-label": "Restrictions" }, server.hasRestrictions ? badge("restricted", "warn") : h("span", { class: "muted" }, "none")),
    h("td", { "data-label": "Token expires" }, time(server.tokenExpiresAt)),
    h("td", { "data-label": "Created" }, time(server.createdAt)),
  );
}

function table(servers, caption) {
  return h(
    "div",
    { class: "table-wrap" },
    h(
      "table",
      { class: "list servers" },
      h("caption", { class: "visually-hidden" }, caption),
      h("thead", null, h("tr", null, ["Name", "Server ID", "Access", "Restrictions", "Token expires", "Created"].map((c) => h("th", { scope: "col" }, c)))),
      h("tbody", null, servers.map(serverRow)),
    ),
  );
}

export async function renderServers(main, route, alive) {
  const offset = Math.max(0, Number(route.params.get("offset")) || 0);
  const initial = route.params.get("q") || "";
  const acting = api.getActingUser();
  const search = h("input", { type: "search", id: "server-search", value: initial, placeholder: "Name, description or ID", autocomplete: "off" });
  const results = h("div", { class: "results" });
  replace(
    main,
    pageHeader("Servers", h("a", { class: "button primary", href: "#/servers/new", id: "new-server" }, "New server")),
    acting ? h("p", { class: "notice" }, `These are the servers of user ${acting}.`) : null,
    h("form", { class: "toolbar", role: "search", onSubmit: (e) => e.preventDefault() }, h("label", { for: "server-search" }, "Search servers"), search),
    results,
  );

  let cached = null;
  let timer = null;
  async function showPage(at) {
    replace(results, loading("Loading servers…"));
    try {
      const page = await api.get(`/api/servers${api.query({ limit: PAGE, offset: at })}`);
      if (!alive()) return;
      if (!page.total) {
        replace(results, empty("No servers yet. A server is what an agent connects to: it has an MCP URL and optional restrictions.", h("a", { class: "button primary", href: "#/servers/new" }, "Create the first server")));
        return;
      }
      if (!page.count && at > 0) {
        showPage(0);
        return;
      }
      replace(results, table(page.servers, `Servers ${at + 1} to ${at + page.count} of ${page.total}`), pager(page, (o) => {
        setParams(o ? { offset: o } : {});
        showPage(o);
      }, "servers"));
    } catch (error) {
      showError(error);
      replace(results, h("p", { class: "muted" }, "The servers could not be loaded."));
    }
  }

  async function showSearch(text) {
    const words = text.toLowerCase().split(/\s+/).filter(Boolean);
    replace(results, loading("Searching…"));
    try {
      cached = cached || (await allServers());
      if (!alive() || search.value.trim() !== text) return;
      const found = cached.filter((s) => matches(s, words));
      replace(
        results,
        h("p", { class: "muted", role: "status" }, `${plural(found.length, "server")} of ${cached.length} match “${text}”.`),
        found.length ? table(found, `Servers matching ${text}`) : empty("No server matches. Try fewer words."),
      );
    } catch (error) {
      showError(error);
    }
  }

  search.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      const text = search.value.trim();
      setParams(text ? { q: text } : {});
      if (text) showSearch(text);
      else showPage(0);
    }, 200);
  });

  if (initial.trim()) await showSearch(initial.trim());
  else await showPage(offset);
}
