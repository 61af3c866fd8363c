// Pickers of the restrictions editor: chosen-value chips, the catalog's connectors, one connector's actions, users.

import * as api from "../api.js";
import { h, replace, uid, plural } from "../dom.js";
import { allActions, listConnectors } from "../catalog.js";
import { empty, loading, pager, showError } from "../ui.js";

const PAGE = 20;

/** The chosen values as removable chips; `changed()` after a removal. */
export function chips(set, changed, noun, describe = (v) => v) {
  if (!set.size) return h("p", { class: "muted chips-empty" }, `No ${noun} chosen.`);
  return h(
    "ul",
    { class: "chips", "aria-label": `Chosen ${noun}` },
    [...set].map((value) =>
      h(
        "li",
        { class: "chip", dataset: { value } },
        h("span", { class: "mono" }, describe(value)),
        h("button", { type: "button", class: "icon", "aria-label": `Remove ${value}`, onClick: () => { set.delete(value); changed(); } }, "×"),
      ),
    ),
  );
}

/** A checkbox row that adds or removes `value` from `set`. */
function toggleRow(set, value, label, extra, changed, data) {
  const id = uid("pick");
  const box = h("input", { type: "checkbox", id, checked: set.has(value), dataset: data });
  box.addEventListener("change", () => {
    if (box.checked) set.add(value);
    else set.delete(value);
    changed();
  });
  return h("li", { class: "pick" }, box, h("label", { for: id }, label, extra ? h("span", { class: "muted" }, ` ${extra}`) : null));
}

/** Searchable, category-filtered, paged list of the whole catalog's connectors, each a checkbox. */
export function connectorPicker(set, changed, prefix = "connector") {
  const searchId = `${prefix}-search`;
  const categoryId = `${prefix}-category`;
  const search = h("input", { type: "search", id: searchId, autocomplete: "off", placeholder: "e.g. slack, payments, issues" });
  const category = h("select", { id: categoryId }, h("option", { value: "" }, "All categories"));
  const results = h("div", { class: "picker-results", "aria-live": "polite" });
  let categoriesLoaded = false;
  let timer = null;
  async function load(offset) {
    replace(results, loading("Searching the catalog…"));
    try {
      const page = await listConnectors({ query: search.value.trim(), category: category.value, limit: PAGE, offset });
      if (!categoriesLoaded && page.categories) {
        categoriesLoaded = true;
        category.append(...page.categories.map((c) => h("option", { value: c }, c)));
      }
      if (!page.connectors.length) {
        replace(results, empty("No connector matches."));
        return;
      }
      replace(
        results,
        h("ul", { class: "pick-list" }, page.connectors.map((c) => toggleRow(set, c.id, c.name, `${c.id} · ${c.category}`, changed, { connectorId: c.id }))),
        pager(page, load, "connectors"),
      );
    } catch (error) {
      showError(error);
      replace(results, h("p", { class: "muted" }, "The catalog could not be searched."));
    }
  }
  search.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(() => load(0), 250);
  });
  search.addEventListener("keydown", (event) => {
    if (event.key === "Enter") {
      event.preventDefault();
      clearTimeout(timer);
      load(0);
    }
  });
  category.addEventListener("change", () => load(0));
  load(0);
  return {
    el: h(
      "div",
      { class: "picker" },
      h("div", { class: "picker-filters" }, h("div", { class: "field" }, h("label", { for: searchId }, "Search connectors"), search), h("div", { class: "field" }, h("label", { for: categoryId }, "Category"), category)),
      results,
    ),
    redraw: () => results.querySelectorAll("input[type=checkbox]").forEach((b) => { b.checked = set.has(b.dataset.connectorId); }),
  };
}

/**
 * Actions of one connector at a time, as `connectorId.actionId` entries. `suggested()` gives the
 * connector IDs offered as shortcuts (the connectors chosen above).
 */
export function actionPicker(set, changed, suggested) {
  const connectorInput = h("input", { type: "text", id: "action-connector", autocomplete: "off", spellcheck: "false", placeholder: "connector ID, e.g. slack", list: "action-connector-list" });
  const datalist = h("datalist", { id: "action-connector-list" });
  const shortcuts = h("div", { class: "shortcuts" });
  const filter = h("input", { type: "search", id: "action-filter", autocomplete: "off", placeholder: "filter actions" });
  const results = h("div", { class: "picker-results", "aria-live": "polite" });
  const freeText = h("input", { type: "text", id: "action-free", autocomplete: "off", spellcheck: "false", placeholder: "chat_delete or slack.chat_delete" });
  let loaded = null;
  let timer = null;

  function drawActions() {
    if (!loaded) return;
    const words = filter.value.toLowerCase().split(/\s+/).filter(Boolean);
    const shown = loaded.actions.filter((a) => words.every((w) => `${a.id} ${a.name} ${a.resource}`.toLowerCase().includes(w)));
    const byResource = new Map();
    for (const a of shown) {
      if (!byResource.has(a.resource)) byResource.set(a.resource, []);
      byResource.get(a.resource).push(a);
    }
    replace(
      results,
      h("p", { class: "muted" }, `${loaded.connector.name}: ${plural(shown.length, "action")} shown of ${loaded.actions.length}.`),
      [...byResource].map(([resource, actions]) =>
        h(
          "fieldset",
          { class: "resource-group" },
          h("legend", null, resource),
          h("ul", { class: "pick-list" }, actions.map((a) => toggleRow(set, `${loaded.connector.connectorId}.${a.id}`, a.id, `${a.method}${a.readOnly ? " · read-only" : ""} · ${a.name}`, changed, { actionId: a.id }))),
        ),
      ),
    );
  }

  async function choose(connectorId) {
    connectorInput.value = connectorId;
    replace(results, loading(`Loading the actions of ${connectorId}…`));
    try {
      loaded = await allActions(connectorId);
      filter.value = "";
      drawActions();
    } catch (error) {
      loaded = null;
      showError(error);
      replace(results, h("p", { class: "muted" }, "No such connector, or it could not be loaded."));
    }
  }

  function drawShortcuts() {
    const ids = suggested();
    replace(shortcuts, ids.length ? [h("span", { class: "muted" }, "Chosen connectors: "), ids.slice(0, 12).map((id) => h("button", { type: "button", class: "link", onClick: () => choose(id) }, id))] : null);
  }

  connectorInput.addEventListener("input", () => {
    clearTimeout(timer);
    const text = connectorInput.value.trim();
    if (!text) return;
    timer = setTimeout(async () => {
      try {
        const page = await listConnectors({ query: text, limit: 10 });
        replace(datalist, page.connectors.map((c) => h("option", { value: c.id }, c.name)));
      } catch {
        // Suggestions are optional.
      }
    }, 250);
  });
  const show = h("button", { type: "button", class: "secondary", onClick: () => connectorInput.value.trim() && choose(connectorInput.value.trim()) }, "Show actions");
  connectorInput.addEventListener("keydown", (event) => {
    if (event.key === "Enter") {
      event.preventDefault();
      show.click();
    }
  });
  filter.addEventListener("input", drawActions);
  const add = h("button", { type: "button", class: "secondary" }, "Add");
  add.addEventListener("click", () => {
    const value = freeText.value.trim();
    if (!value) return;
    set.add(value);
    freeText.value = "";
    changed();
  });
  drawShortcuts();
  const el = h(
    "div",
    { class: "picker" },
    h("div", { class: "picker-filters" }, h("div", { class: "field" }, h("label", { for: "action-connector" }, "Connector"), h("div", { class: "row" }, connectorInput, show), datalist), h("div", { class: "field" }, h("label", { for: "action-filter" }, "Filter its actions"), filter)),
    shortcuts,
    results,
    h("div", { class: "field" }, h("label", { for: "action-free" }, "Or add an action ID (bare: that action on every connector)"), h("div", { class: "row" }, freeText, add)),
  );
  return { el, refreshSuggestions: drawShortcuts, redraw: drawActions };
}

/** The account's users (GET /api/users) as checkboxes, plus any user ID typed in. */
export function userPicker(set, changed) {
  const list = h("div", { class: "picker-results" }, loading("Loading users…"));
  const freeText = h("input", { type: "text", id: "user-free", autocomplete: "off", spellcheck: "false", placeholder: "user ID" });
  const add = h("button", { type: "button", class: "secondary" }, "Add");
  add.addEventListener("click", () => {
    const value = freeText.value.trim();
    if (!value) return;
    set.add(value);
    freeText.value = "";
    changed();
  });
  freeText.addEventListener("keydown", (event) => {
    if (event.key === "Enter") {
      event.preventDefault();
      add.click();
    }
  });
  api
    .get("/api/users", { own: true })
    .then((answer) => {
      const users = answer.users || [];
      replace(list, users.length ? h("ul", { class: "pick-list" }, users.map((u) => toggleRow(set, u.userId, u.userId, `${plural(u.servers, "server")}, ${plural(u.credentials, "credential")}`, changed, { userId: u.userId }))) : empty("No users with data yet; type a user ID below."));
    })
    .catch((error) => {
      showError(error);
      replace(list, h("p", { class: "muted" }, "The users could not be loaded; type user IDs below."));
    });
  return {
    el: h("div", { class: "picker" }, list, h("div", { class: "field" }, h("label", { for: "user-free" }, "Add a user ID"), h("div", { class: "row" }, freeText, add))),
    redraw: () => list.querySelectorAll("input[type=checkbox]").forEach((b) => { b.checked = set.has(b.dataset.userId); }),
  };
}
