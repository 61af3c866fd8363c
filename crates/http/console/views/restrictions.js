// The restrictions editor: connectors, actions and users as allow- or block-lists, with their effect on what agents see.

import * as api from "../api.js";
import { h, replace, uid, plural } from "../dom.js";
import { href } from "../router.js";
import { allActions, connectorEffect, connectorResources, listConnectors } from "../catalog.js";
import { busy, loading, notify, pageHeader, showError } from "../ui.js";
import { actionPicker, chips, connectorPicker, userPicker } from "./pickers.js";

/** Field names of each kind's lists. */
const LISTS = {
  connectors: ["allowedIds", "blockedIds"],
  actions: ["allowedActions", "blockedActions"],
  users: ["allowedIds", "blockedIds"],
};

/** The editor's state of one kind from a server's restrictions. */
function kindState(restrictions, kind) {
  const r = restrictions && restrictions[kind];
  if (!r) return { mode: "none", ids: new Set() };
  const [allow, block] = LISTS[kind];
  return { mode: r.mode, ids: new Set(r.mode === "allowlist" ? r[allow] || [] : r[block] || []) };
}

/** The restrictions object for PUT /api/servers/:id (absent kinds restrict nothing). */
export function toRestrictions(state) {
  const out = {};
  for (const kind of Object.keys(LISTS)) {
    const { mode, ids } = state[kind];
    if (mode === "none") continue;
    const [allow, block] = LISTS[kind];
    out[kind] = { mode, [mode === "allowlist" ? allow : block]: [...ids] };
  }
  return out;
}

/** Whether `entry` of an actions list names `action` of `connectorId`. */
function names(entry, connectorId, actionId) {
  return entry === actionId || entry === `${connectorId}.${actionId}`;
}

/** A short description of a kind's rule. */
function ruleText(kind, { mode, ids }) {
  const noun = { connectors: "connector", actions: "action", users: "user" }[kind];
  if (mode === "none") return `every ${noun}`;
  if (mode === "allowlist") return ids.size ? `only ${plural(ids.size, noun)}` : `no ${noun} at all (an empty allow-list lets nothing pass)`;
  return `every ${noun} but ${plural(ids.size, noun)}`;
}

/** Estimates, before saving, how many connectors and actions the agent will see. */
async function estimate(state, catalogTotal, actionsCache) {
  const c = state.connectors;
  const a = state.actions;
  const lines = [];
  let visible = catalogTotal;
  if (c.mode === "allowlist") visible = c.ids.size;
  else if (c.mode === "blocklist") visible = Math.max(0, catalogTotal - c.ids.size);
  lines.push(`The agent will see ${visible.toLocaleString()} of ${catalogTotal.toLocaleString()} connectors.`);
  if (c.mode === "allowlist" && c.ids.size && c.ids.size <= 30) {
    let total = 0;
    let seen = 0;
    for (const id of c.ids) {
      if (!actionsCache.has(id)) actionsCache.set(id, allActions(id).catch(() => ({ actions: [] })));
      const { actions } = await actionsCache.get(id);
      total += actions.length;
      for (const action of actions) {
        const listed = [...a.ids].some((entry) => names(entry, id, action.id));
        if (a.mode === "none" || (a.mode === "allowlist" && listed) || (a.mode === "blocklist" && !listed)) seen += 1;
      }
    }
    lines.push(`Of their actions, it will see ${seen.toLocaleString()} of ${total.toLocaleString()}.`);
  } else if (a.mode !== "none") {
    lines.push(`Actions: ${ruleText("actions", a)}.`);
  }
  lines.push(`Users: ${ruleText("users", state.users)} may use the server${state.users.mode === "none" ? "" : " (on a public server)"}.`);
  return lines;
}

/** What the server itself says the agent sees, after saving (catalog queries with serverId). */
async function verified(serverId, state) {
  const { visible, total } = await connectorEffect(serverId);
  const lines = [`Saved. The agent now sees ${visible.toLocaleString()} of ${total.toLocaleString()} connectors.`];
  const c = state.connectors;
  if (c.mode === "allowlist" && c.ids.size && c.ids.size <= 30) {
    let seen = 0;
    let all = 0;
    for (const id of c.ids) {
      const [mine, whole] = await Promise.all([connectorResources(id, { serverId }).catch(() => ({ actionCount: 0 })), connectorResources(id).catch(() => ({ actionCount: 0 }))]);
      seen += mine.actionCount || 0;
      all += whole.actionCount || 0;
    }
    lines.push(`Of the allowed connectors' actions, it sees ${seen.toLocaleString()} of ${all.toLocaleString()}.`);
  }
  return lines;
}

function modeRadios(kind, st, onChange) {
  const labels = { none: "No restriction", allowlist: "Allow only the chosen", blocklist: "Block the chosen" };
  return h(
    "div",
    { class: "modes", role: "radiogroup", "aria-label": `${kind} rule` },
    Object.entries(labels).map(([mode, text]) => {
      const id = uid(`${kind}-${mode}`);
      const input = h("input", { type: "radio", name: `${kind}-mode`, id, value: mode, checked: st.mode === mode });
      input.addEventListener("change", () => {
        if (input.checked) {
          st.mode = mode;
          onChange();
        }
      });
      return h("span", { class: "radio" }, input, h("label", { for: id }, text));
    }),
  );
}

export async function renderRestrictions(main, route, alive) {
  const serverId = route.parts[1];
  replace(main, loading("Loading the server…"));
  const [server, catalog] = await Promise.all([api.get(`/api/servers/${api.p(serverId)}`), listConnectors({ limit: 1 })]);
  if (!alive()) return;
  const state = {
    connectors: kindState(server.restrictions, "connectors"),
    actions: kindState(server.restrictions, "actions"),
    users: kindState(server.restrictions, "users"),
  };
  const actionsCache = new Map();
  const effect = h("div", { id: "restriction-effect", class: "effect", role: "status", "aria-live": "polite" });
  const chipBoxes = { connectors: h("div"), actions: h("div"), users: h("div") };
  const pickerBoxes = { connectors: h("div"), actions: h("div"), users: h("div") };
  let estimateRun = 0;

  const pickers = {};
  function changed() {
    for (const kind of Object.keys(LISTS)) {
      replace(chipBoxes[kind], state[kind].mode === "none" ? null : chips(state[kind].ids, changed, kind));
      pickerBoxes[kind].hidden = state[kind].mode === "none";
    }
    pickers.connectors.redraw();
    pickers.actions.refreshSuggestions();
    pickers.actions.redraw();
    pickers.users.redraw();
    const run = ++estimateRun;
    estimate(state, catalog.total, actionsCache).then((lines) => {
      if (run === estimateRun) replace(effect, h("p", { class: "effect-title" }, "Before saving (estimate):"), lines.map((l) => h("p", null, l)));
    });
  }
  pickers.connectors = connectorPicker(state.connectors.ids, changed);
  pickers.actions = actionPicker(state.actions.ids, changed, () => (state.connectors.mode === "allowlist" ? [...state.connectors.ids] : []));
  pickers.users = userPicker(state.users.ids, changed);
  for (const kind of Object.keys(LISTS)) pickerBoxes[kind].append(pickers[kind].el);

  const section = (kind, title, text) =>
    h(
      "fieldset",
      { class: "card restriction", id: `restrict-${kind}` },
      h("legend", null, h("h2", null, title)),
      h("p", { class: "muted" }, text),
      modeRadios(kind, state[kind], changed),
      chipBoxes[kind],
      pickerBoxes[kind],
    );

  const save = h("button", { type: "submit", class: "primary", id: "save-restrictions" }, "Save restrictions");
  const form = h(
    "form",
    { class: "restrictions-form", novalidate: true },
    section("connectors", "Connectors", "Which platforms the agent can list and use. Blocked connectors are absent from listings and refused when named."),
    section("actions", "Actions", "Single actions, as connectorId.actionId (or a bare action ID: that action on every connector)."),
    section("users", "Users", "Who may use a public server (a private server serves only its owner)."),
    h("div", { class: "sticky-bar card" }, effect, h("div", { class: "actions" }, h("a", { class: "button secondary", href: href("servers", serverId) }, "Back to the server"), save)),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const restrictions = toRestrictions(state);
    const saved = await busy(save, () => api.put(`/api/servers/${api.p(serverId)}`, { restrictions }), "The restrictions were not saved");
    if (!saved) return;
    notify("Restrictions saved.");
    try {
      const lines = await verified(serverId, state);
      if (!alive()) return;
      replace(effect, lines.map((l) => h("p", null, l)), h("p", null, h("a", { href: href("servers", serverId) }, "Back to the server")));
      effect.dataset.verified = "true";
    } catch (error) {
      showError(error, "The effect could not be checked");
    }
  });

  replace(
    main,
    h("p", { class: "breadcrumbs" }, h("a", { href: "#/servers" }, "Servers"), " / ", h("a", { href: href("servers", serverId) }, server.name), " / Restrictions"),
    pageHeader(`Restrictions of ${server.name}`),
    h("p", null, "Restrictions decide what the server's agents see. Saving replaces all three kinds at once. ", h("a", { href: href("connectors", { serverId }) }, "Browse the catalog as this server's agents see it.")),
    form,
  );
  changed();
}
