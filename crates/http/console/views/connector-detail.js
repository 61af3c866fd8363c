// One connector (its credential types, resources and actions) and one action's parameters.

import * as api from "../api.js";
import { h, replace, plural, pretty } from "../dom.js";
import { href } from "../router.js";
import { actionDetails, connectorResources } from "../catalog.js";
import { badge, dl, empty, fill, loading, pageHeader, pager, showError } from "../ui.js";
import { discoverBox } from "./discover.js";

function scoped(serverId) {
  return serverId ? { serverId } : {};
}

function actionsTable(connectorId, actions, serverId) {
  return h(
    "div",
    { class: "table-wrap" },
    h(
      "table",
      { class: "list actions" },
      h("thead", null, h("tr", null, ["Action", "Method", "Description"].map((c) => h("th", { scope: "col" }, c)))),
      h(
        "tbody",
        null,
        actions.map((a) =>
          h(
            "tr",
            { dataset: { actionId: a.id } },
            h("td", { "data-label": "Action" }, h("a", { href: href("connectors", connectorId, "actions", a.id, scoped(serverId)), class: "mono" }, a.id), h("div", { class: "muted" }, a.name)),
            h("td", { "data-label": "Method" }, badge(a.method, a.readOnly ? "ok" : "warn"), a.readOnly ? h("span", { class: "visually-hidden" }, " (read-only)") : null),
            h("td", { "data-label": "Description" }, a.description || h("span", { class: "muted" }, "—")),
          ),
        ),
      ),
    ),
  );
}

/** One resource of a big connector: its actions a page at a time. */
function resourcePages(connectorId, resource, serverId) {
  const box = h("div", { class: "resource-actions" });
  async function load(offset) {
    await fill(
      box,
      () => connectorResources(connectorId, { resource: resource.name, limit: 100, offset, ...scoped(serverId) }),
      (page) => {
        const group = (page.resources || [])[0] || { actions: [] };
        return [actionsTable(connectorId, group.actions || [], serverId), pager({ offset: page.offset, limit: page.limit, count: (group.actions || []).length, total: group.actionCount, hasMore: page.hasMore }, load, "actions")];
      },
      `Loading the actions of ${resource.name}…`,
    );
  }
  const details = h("details", { class: "resource" }, h("summary", null, h("strong", null, resource.name), ` — ${plural(resource.actionCount || 0, "action")}`, resource.description ? h("span", { class: "muted" }, ` · ${resource.description}`) : null), box);
  details.addEventListener("toggle", () => {
    if (details.open && !box.childElementCount) load(0);
  });
  return details;
}

function credentialTypes(metadata) {
  const types = metadata.authenticationTypes || [];
  if (!types.length) return h("p", { class: "muted" }, "This connector needs no credential.");
  return h(
    "ul",
    { class: "cred-types" },
    types.map((t) =>
      h(
        "li",
        null,
        badge(t.type, "info"),
        t.description ? ` ${t.description}` : "",
        (t.fields || []).length ? h("ul", null, t.fields.map((f) => h("li", null, h("span", { class: "mono" }, f.name), f.required ? " (required)" : " (optional)", f.secret ? " · secret" : "", f.description ? ` — ${f.description}` : ""))) : null,
      ),
    ),
  );
}

export async function renderConnectorDetail(main, route, alive) {
  const connectorId = route.parts[1];
  const serverId = route.params.get("serverId") || "";
  replace(main, loading("Loading the connector…"));
  const connector = await connectorResources(connectorId, scoped(serverId));
  if (!alive()) return;
  const overview = (connector.resources || []).some((r) => !Array.isArray(r.actions));
  const filter = h("input", { type: "search", id: "action-search", placeholder: "Filter by ID, name or description", autocomplete: "off" });
  const list = h("div", { class: "resources" });
  const credentials = h("div", null, loading("Loading credential types…"));

  function drawResources() {
    const words = filter.value.toLowerCase().split(/\s+/).filter(Boolean);
    const groups = (connector.resources || []).map((r) => {
      if (overview) return resourcePages(connectorId, r, serverId);
      const actions = r.actions.filter((a) => words.every((w) => `${a.id} ${a.name} ${a.description || ""}`.toLowerCase().includes(w)));
      if (!actions.length) return null;
      return h("section", { class: "resource" }, h("h3", null, r.name, h("span", { class: "muted" }, ` — ${plural(actions.length, "action")}`)), r.description ? h("p", { class: "muted" }, r.description) : null, actionsTable(connectorId, actions, serverId));
    });
    replace(list, groups.some(Boolean) ? groups : empty(words.length ? "No action matches this filter." : "No action of this connector is allowed here."));
  }
  filter.addEventListener("input", drawResources);

  replace(
    main,
    h("p", { class: "breadcrumbs" }, h("a", { href: href("connectors", scoped(serverId)) }, "Connectors"), " / ", connector.name),
    pageHeader(connector.name),
    serverId ? h("p", { class: "notice" }, "As server ", h("a", { href: href("servers", serverId), class: "mono" }, serverId), "'s agents see it.") : null,
    h(
      "section",
      { class: "card" },
      connector.description ? h("p", null, connector.description) : null,
      dl([
        ["Connector ID", h("span", { class: "mono" }, connector.connectorId)],
        ["Category", connector.category],
        ["Authentication", (connector.authTypes || []).length ? connector.authTypes.map((t) => badge(t)) : "none"],
        ["Actions", plural(connector.actionCount || 0, "action")],
      ]),
      connector.message ? h("p", { class: "muted" }, connector.message) : null,
    ),
    h("section", { class: "card" }, h("h2", null, "Credentials it takes"), credentials),
    h("section", { class: "card" }, h("div", { class: "card-header" }, h("h2", null, overview ? "Resources" : "Actions"), overview ? null : h("div", { class: "field inline" }, h("label", { for: "action-search" }, "Filter actions"), filter)), list),
    discoverBox({ connectorId, serverId: serverId || undefined }),
  );
  drawResources();
  api
    .get(`/api/connectors/${api.p(connectorId)}/credential-metadata`)
    .then((metadata) => replace(credentials, credentialTypes(metadata)))
    .catch((error) => {
      replace(credentials, h("p", { class: "muted" }, `Not available: ${error.message}`));
    });
}

function parametersTable(parameters) {
  if (!parameters.length) return h("p", { class: "muted" }, "This action takes no parameters.");
  return h(
    "div",
    { class: "table-wrap" },
    h(
      "table",
      { class: "list parameters" },
      h("thead", null, h("tr", null, ["Name", "In", "Type", "Required", "Description"].map((c) => h("th", { scope: "col" }, c)))),
      h(
        "tbody",
        null,
        parameters.map((p) =>
          h(
            "tr",
            { dataset: { parameter: p.name } },
            h("td", { "data-label": "Name", class: "mono" }, p.name),
            h("td", { "data-label": "In" }, p.in),
            h("td", { "data-label": "Type" }, p.type || "—", p.enum ? h("div", { class: "muted" }, `one of: ${p.enum.map((v) => JSON.stringify(v)).join(", ")}`) : null, p.default !== undefined ? h("div", { class: "muted" }, `default ${JSON.stringify(p.default)}`) : null),
            h("td", { "data-label": "Required" }, p.filledFromCredential ? badge("from the credential", "info") : p.required ? badge("required", "warn") : "optional"),
            h("td", { "data-label": "Description" }, p.description || h("span", { class: "muted" }, "—")),
          ),
        ),
      ),
    ),
  );
}

export async function renderActionDetail(main, route, alive) {
  const [, connectorId, , actionId] = route.parts;
  const serverId = route.params.get("serverId") || "";
  replace(main, loading("Loading the action…"));
  let action;
  try {
    action = await actionDetails(connectorId, actionId, scoped(serverId));
  } catch (error) {
    if (!alive()) return;
    showError(error);
    replace(main, pageHeader("Action not available"), h("p", null, h("a", { href: href("connectors", connectorId, scoped(serverId)) }, "Back to the connector.")));
    return;
  }
  if (!alive()) return;
  replace(
    main,
    h("p", { class: "breadcrumbs" }, h("a", { href: href("connectors", scoped(serverId)) }, "Connectors"), " / ", h("a", { href: href("connectors", connectorId, scoped(serverId)) }, connectorId), " / ", actionId),
    pageHeader(action.name || actionId),
    h(
      "section",
      { class: "card" },
      action.description ? h("p", { class: "description" }, action.description) : null,
      dl([
        ["Action ID", h("span", { class: "mono" }, action.actionId)],
        ["Request", h("span", { class: "mono" }, `${action.method} ${action.path || ""}`)],
        ["Resource", action.resource],
        ["Reads only", action.readOnly ? "yes" : "no — it changes data"],
        action.deprecated ? ["Deprecated", badge("deprecated", "warn")] : null,
        ["Required parameters", (action.requiredParameters || []).length ? h("span", { class: "mono" }, action.requiredParameters.join(", ")) : "none"],
      ]),
    ),
    h("section", { class: "card" }, h("h2", null, "Parameters"), parametersTable(action.parameters || [])),
    h("section", { class: "card" }, h("h2", null, "Example call (execute_action_alloy arguments)"), h("pre", { class: "json" }, pretty(action.exampleCall || {})), h("details", null, h("summary", null, "Parameters as JSON Schema"), h("pre", { class: "json" }, pretty(action.parametersSchema || {})))),
  );
}
