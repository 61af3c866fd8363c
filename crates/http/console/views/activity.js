// The Activity page: the audit trail with filters, paging and a details panel per event, and the usage charts.

import * as api from "../api.js";
import { h, replace, duration, pretty, when } from "../dom.js";
import { href, setParams } from "../router.js";
import { badge, dl, empty, loading, pageHeader, pager, showError } from "../ui.js";
import { renderUsage } from "./usage.js";

const PAGE = 50;
const OUTCOMES = ["ok", "tool_error", "upstream_error", "restricted", "rate_limited", "refused", "failed"];
const TEXT_FILTERS = [
  ["serverId", "Server ID"],
  ["userId", "User ID"],
  ["connectorId", "Connector ID"],
];

/** "2026-12-05T14:03" (datetime-local, local time) → RFC 3339 UTC. */
export function localToRfc3339(value) {
  if (!value) return "";
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? "" : d.toISOString();
}

/** RFC 3339 → the datetime-local value in local time. */
function rfc3339ToLocal(value) {
  if (!value) return "";
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) return "";
  const pad = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

function outcomeBadge(outcome) {
  return badge(outcome, outcome === "ok" ? "ok" : outcome === "tool_error" || outcome === "restricted" ? "warn" : "error");
}

function eventDetails(e) {
  const principal = e.principal ? `${e.principal.kind}${e.principal.id ? `: ${e.principal.id}` : ""}` : null;
  return h(
    "div",
    { class: "event-details" },
    dl([
      ["Event ID", h("span", { class: "mono" }, e.id)],
      ["Time", h("time", { datetime: e.time }, `${when(e.time)} (${e.time})`)],
      ["Event", e.event],
      ["Outcome", outcomeBadge(e.outcome)],
      ["Account", e.accountId],
      ["User", e.userId],
      ["Principal", principal],
      ["Server", e.serverId ? h("a", { href: href("servers", e.serverId) }, e.serverId) : null],
      ["Tool", e.tool],
      ["Connector", e.connectorId ? h("a", { href: href("connectors", e.connectorId) }, e.connectorId) : null],
      ["Action", e.actionId && e.connectorId ? h("a", { href: href("connectors", e.connectorId, "actions", e.actionId), class: "mono" }, e.actionId) : e.actionId],
      ["Error code", e.errorCode],
      ["Upstream status", e.upstreamStatus === null || e.upstreamStatus === undefined ? null : String(e.upstreamStatus)],
      ["Latency", e.latencyUs === null || e.latencyUs === undefined ? null : duration(e.latencyUs)],
      ["Upstream latency", e.upstreamLatencyUs === null || e.upstreamLatencyUs === undefined ? null : duration(e.upstreamLatencyUs)],
      ["Credential", e.credentialId ? h("span", { class: "mono" }, e.credentialId) : null],
      ["Client address", e.clientIp],
      ["Client", e.clientName ? `${e.clientName} ${e.clientVersion || ""}`.trim() : null],
      ["Request ID", e.requestId ? h("span", { class: "mono" }, e.requestId) : null],
    ]),
    e.details ? h("div", null, h("h4", null, "Details"), h("pre", { class: "json" }, pretty(e.details))) : null,
    h("details", null, h("summary", null, "The whole event as JSON"), h("pre", { class: "json" }, pretty(e))),
  );
}

function eventsTable(events) {
  const rows = [];
  for (const e of events) {
    const detailsRow = h("tr", { class: "details-row", hidden: true }, h("td", { colspan: 7 }, eventDetails(e)));
    const toggle = h("button", { type: "button", class: "secondary small", "aria-expanded": "false", "aria-label": `Details of ${e.event} at ${when(e.time)}` }, "Details");
    toggle.addEventListener("click", () => {
      const open = detailsRow.hidden;
      detailsRow.hidden = !open;
      toggle.setAttribute("aria-expanded", String(open));
    });
    const what = [e.tool, e.connectorId, e.actionId].filter(Boolean).join(" · ");
    rows.push(
      h(
        "tr",
        { class: "event", dataset: { event: e.event, tool: e.tool || "", outcome: e.outcome } },
        h("td", { "data-label": "Time" }, h("time", { datetime: e.time, title: e.time }, when(e.time))),
        h("td", { "data-label": "Event", class: "mono" }, e.event),
        h("td", { "data-label": "Outcome" }, outcomeBadge(e.outcome), e.errorCode ? h("div", { class: "muted mono" }, e.errorCode) : null),
        h("td", { "data-label": "What", class: "mono" }, what || h("span", { class: "muted" }, "—")),
        h("td", { "data-label": "Server / user" }, e.serverId ? h("div", { class: "mono" }, e.serverId) : null, h("div", { class: "muted" }, e.userId || "—")),
        h("td", { "data-label": "Latency" }, duration(e.latencyUs)),
        h("td", { "data-label": "" }, toggle),
      ),
      detailsRow,
    );
  }
  return h(
    "div",
    { class: "table-wrap" },
    h("table", { class: "list events" }, h("thead", null, h("tr", null, ["Time", "Event", "Outcome", "Tool · connector · action", "Server / user", "Latency", h("span", { class: "visually-hidden" }, "Details")].map((c) => h("th", { scope: "col" }, c)))), h("tbody", null, rows)),
  );
}

export async function renderActivity(main, route, alive) {
  const params = route.params;
  const inputs = {};
  for (const [name] of TEXT_FILTERS) inputs[name] = h("input", { type: "text", id: `filter-${name}`, name, value: params.get(name) || "", autocomplete: "off", spellcheck: "false" });
  const outcome = h("select", { id: "filter-outcome", name: "outcome" }, h("option", { value: "" }, "any"), OUTCOMES.map((o) => h("option", { value: o }, o)));
  outcome.value = params.get("outcome") || "";
  const from = h("input", { type: "datetime-local", id: "filter-from", name: "from", value: rfc3339ToLocal(params.get("from")) });
  const to = h("input", { type: "datetime-local", id: "filter-to", name: "to", value: rfc3339ToLocal(params.get("to")) });
  const reset = h("button", { type: "button", class: "secondary" }, "Reset");
  const form = h(
    "form",
    { class: "card filters", id: "activity-filters", "aria-label": "Filter the audit trail" },
    h(
      "details",
      { class: "filters-fold", open: !window.matchMedia("(max-width: 760px)").matches || [...params.keys()].some((k) => k !== "offset") },
      h("summary", null, "Filters"),
      h(
        "div",
      { class: "filter-grid" },
      TEXT_FILTERS.map(([name, label]) => h("div", { class: "field" }, h("label", { for: `filter-${name}` }, label), inputs[name])),
      h("div", { class: "field" }, h("label", { for: "filter-outcome" }, "Outcome"), outcome),
      h("div", { class: "field" }, h("label", { for: "filter-from" }, "From (local time)"), from),
        h("div", { class: "field" }, h("label", { for: "filter-to" }, "To (local time, exclusive)"), to),
      ),
      h("div", { class: "actions" }, reset, h("button", { type: "submit", class: "primary" }, "Apply filters")),
    ),
  );
  const usage = h("div", { id: "usage" });
  const list = h("div", { id: "events" });
  replace(
    main,
    pageHeader("Activity", h("button", { type: "button", class: "secondary", id: "refresh-activity", onClick: () => refresh(0) }, "Refresh")),
    h("p", { class: "muted" }, "Every MCP tool call and every change through the API, newest first. Times are shown in your local time zone."),
    form,
    h("section", { class: "card", "aria-labelledby": "usage-title" }, h("h2", { id: "usage-title" }, "Usage"), usage),
    h("section", { class: "card", "aria-labelledby": "events-title" }, h("h2", { id: "events-title" }, "Events"), list),
  );

  function filters() {
    const out = {};
    for (const [name] of TEXT_FILTERS) out[name] = inputs[name].value.trim();
    out.outcome = outcome.value;
    out.from = localToRfc3339(from.value);
    out.to = localToRfc3339(to.value);
    return out;
  }

  async function loadEvents(offset) {
    replace(list, loading("Loading events…"));
    try {
      const page = await api.get(`/api/audit${api.query({ ...filters(), limit: PAGE, offset })}`, { own: true });
      if (!alive()) return;
      if (!page.events.length) {
        replace(list, empty("No events match these filters."));
        return;
      }
      replace(list, eventsTable(page.events), pager(page, (o) => { setParams({ ...filters(), offset: o || "" }); loadEvents(o); }, "events"));
    } catch (error) {
      showError(error);
      replace(list, h("p", { class: "muted" }, "The audit trail could not be loaded."));
    }
  }

  async function refresh(offset) {
    setParams({ ...filters(), offset: offset || "" });
    await Promise.all([loadEvents(offset), renderUsage(usage, filters())]);
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    refresh(0);
  });
  reset.addEventListener("click", () => {
    for (const input of Object.values(inputs)) input.value = "";
    outcome.value = "";
    from.value = "";
    to.value = "";
    refresh(0);
  });
  await refresh(Math.max(0, Number(params.get("offset")) || 0));
}
