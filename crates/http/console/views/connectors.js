// The connector catalog: search, category filter and paging over thousands of connectors, plus the discover box.

import { h, replace, plural } from "../dom.js";
import { href, setParams } from "../router.js";
import { listConnectors } from "../catalog.js";
import { badge, empty, loading, pageHeader, pager, showError } from "../ui.js";
import { discoverBox } from "./discover.js";

const PAGE = 20;

function card(c, serverId) {
  return h(
    "li",
    { class: "connector-card", dataset: { connectorId: c.id } },
    h("h3", null, h("a", { href: href("connectors", c.id, serverId ? { serverId } : {}) }, c.name)),
    h("p", { class: "meta" }, h("span", { class: "mono" }, c.id), " · ", c.category),
    c.description ? h("p", { class: "clamp" }, c.description) : null,
    h("p", { class: "auth" }, (c.authTypes || []).map((t) => badge(t))),
  );
}

export async function renderConnectors(main, route, alive) {
  const params = route.params;
  const serverId = params.get("serverId") || "";
  const search = h("input", { type: "search", id: "catalog-search", value: params.get("query") || "", placeholder: "Words: a platform or a task (e.g. “send sms”)", autocomplete: "off" });
  const category = h("select", { id: "catalog-category" }, h("option", { value: "" }, "All categories"));
  const results = h("div", { class: "results", "aria-live": "polite" });
  const summary = h("p", { class: "muted", id: "catalog-summary" });
  replace(
    main,
    pageHeader("Connectors"),
    serverId ? h("p", { class: "notice" }, "As the agents of server ", h("a", { href: href("servers", serverId), class: "mono" }, serverId), " see it (its restrictions apply). ", h("a", { href: "#/connectors" }, "Show the whole catalog.")) : null,
    h(
      "form",
      { class: "toolbar", role: "search", onSubmit: (e) => { e.preventDefault(); load(0); } },
      h("div", { class: "field" }, h("label", { for: "catalog-search" }, "Search the catalog"), search),
      h("div", { class: "field" }, h("label", { for: "catalog-category" }, "Category"), category),
      h("button", { type: "submit", class: "secondary" }, "Search"),
    ),
    summary,
    results,
    discoverBox({ serverId: serverId || undefined }),
  );

  let categoriesShown = false;
  let timer = null;
  async function load(offset) {
    const query = search.value.trim();
    setParams({ query, category: category.value, offset: offset || "", serverId });
    replace(results, loading("Loading connectors…"));
    try {
      const page = await listConnectors({ query, category: category.value, limit: PAGE, offset, serverId });
      if (!alive()) return;
      if (!categoriesShown && Array.isArray(page.categories)) {
        categoriesShown = true;
        const wanted = category.value;
        replace(category, h("option", { value: "" }, "All categories"), page.categories.map((c) => h("option", { value: c }, c)));
        category.value = wanted;
      }
      summary.textContent = `${plural(page.total, "connector")}${query ? ` match “${query}”` : ""}${category.value ? ` in ${category.value}` : ""}; ${plural(page.categories ? page.categories.length : 0, "category", "categories")}.`;
      if (!page.connectors.length) {
        replace(results, empty(query || category.value ? "No connector matches. Try other words or another category." : "The catalog is empty."));
        return;
      }
      replace(results, h("ul", { class: "connector-grid" }, page.connectors.map((c) => card(c, serverId))), pager(page, load, "connectors"));
    } catch (error) {
      showError(error);
      replace(results, h("p", { class: "muted" }, "The catalog could not be loaded."));
    }
  }
  search.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(() => load(0), 300);
  });
  category.addEventListener("change", () => load(0));
  // The category list needs one answer first; the wanted category is applied when it arrives.
  if (params.get("category")) category.append(h("option", { value: params.get("category") }, params.get("category")));
  category.value = params.get("category") || "";
  await load(Math.max(0, Number(params.get("offset")) || 0));
}
