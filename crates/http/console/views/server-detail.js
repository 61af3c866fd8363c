// One server: its URLs with copy buttons, how to connect, restrictions and their effect, token rotation, deletion.

import * as api from "../api.js";
import { h, replace, time, field } from "../dom.js";
import { go, href } from "../router.js";
import { connectorEffect } from "../catalog.js";
import { badge, busy, confirmDialog, copyField, dl, loading, notify, pageHeader, showError } from "../ui.js";
import { connectSection } from "./connect.js";

/** One restriction kind in words, with its list. */
function kindSummary(kind, rule) {
  if (!rule) return h("span", { class: "muted" }, "no restriction");
  const list = rule.mode === "allowlist" ? rule.allowedIds || rule.allowedActions || [] : rule.blockedIds || rule.blockedActions || [];
  const text = rule.mode === "allowlist" ? (list.length ? "only" : "none allowed (empty allow-list)") : "all but";
  return h("span", null, badge(rule.mode === "allowlist" ? "allow-list" : "block-list", rule.mode === "allowlist" ? "info" : "warn"), ` ${text} `, list.length ? h("span", { class: "mono list-inline" }, list.join(", ")) : null);
}

function restrictionsCard(server) {
  const r = server.restrictions || {};
  const effect = h("p", { id: "server-effect", class: "effect" }, "Checking what the agent sees…");
  connectorEffect(server.serverId)
    .then(({ visible, total }) => {
      effect.textContent = `The agent sees ${visible.toLocaleString()} of ${total.toLocaleString()} connectors.`;
    })
    .catch(() => {
      effect.textContent = "The effect could not be checked.";
    });
  return h(
    "section",
    { class: "card", "aria-labelledby": "restrictions-title" },
    h("div", { class: "card-header" }, h("h2", { id: "restrictions-title" }, "Restrictions"), h("a", { class: "button secondary", href: href("servers", server.serverId, "restrictions"), id: "edit-restrictions" }, "Edit restrictions")),
    dl([
      ["Connectors", kindSummary("connectors", r.connectors)],
      ["Actions", kindSummary("actions", r.actions)],
      ["Users", kindSummary("users", r.users)],
    ]),
    effect,
    h("p", null, h("a", { href: href("connectors", { serverId: server.serverId }) }, "Browse the catalog as this server's agents see it")),
  );
}

function rotateCard(server, redraw) {
  const days = h("input", { type: "number", min: 1, max: 365, step: 1, name: "tokenExpiresInDays", placeholder: "never", class: "compact", inputmode: "numeric" });
  const button = h("button", { type: "submit", class: "danger", id: "rotate-token" }, "Rotate access token");
  const form = h(
    "form",
    { class: "card", "aria-labelledby": "rotate-title", novalidate: true },
    h("h2", { id: "rotate-title" }, "Rotate the access token"),
    h("p", null, "Issues a new access token. The current access URL stops working at once: every client using it must be given the new one."),
    field("New token expires after (days)", days, "1 to 365; empty: never."),
    h("div", { class: "actions" }, button),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const yes = await confirmDialog("Rotate the access token?", `The access URL of “${server.name}” will stop working immediately. Clients using it must be reconfigured with the new URL.`, { confirmLabel: "Rotate token" });
    if (!yes) return;
    const body = days.value.trim() ? { tokenExpiresInDays: Number(days.value) } : {};
    const rotated = await busy(button, () => api.post(`/api/servers/${api.p(server.serverId)}/rotate-token`, body), "The token was not rotated");
    if (rotated) {
      redraw(rotated, "The access token was rotated: the old access URL is refused from now on. Copy the new one below.");
    }
  });
  return form;
}

function dangerCard(server) {
  const button = h("button", { type: "button", class: "danger", id: "delete-server" }, "Delete server");
  button.addEventListener("click", async () => {
    const yes = await confirmDialog("Delete this server?", `“${server.name}” (${server.serverId}) and everything attached to it will be deleted. Agents using it lose access at once. This cannot be undone.`, { confirmLabel: "Delete server" });
    if (!yes) return;
    const done = await busy(button, () => api.del(`/api/servers/${api.p(server.serverId)}`), "The server was not deleted");
    if (done) {
      notify(`Server “${server.name}” deleted.`, { keep: true });
      go("#/servers");
    }
  });
  return h("section", { class: "card danger-zone", "aria-labelledby": "danger-title" }, h("h2", { id: "danger-title" }, "Delete"), h("p", null, "Deleting removes the server and its MCP sessions."), button);
}

function draw(main, server, message) {
  const overview = h(
    "section",
    { class: "card", "aria-labelledby": "overview-title" },
    h("h2", { id: "overview-title", class: "visually-hidden" }, "Overview"),
    server.description ? h("p", { class: "description", id: "server-description" }, server.description) : h("p", { class: "muted" }, "No description."),
    dl([
      ["Server ID", h("span", { class: "mono" }, server.serverId)],
      ["Access", [server.isPublic ? badge("public", "info") : badge("private"), server.requireUserToken ? badge("user token required to act as others", "info") : null]],
      ["Access token expires", time(server.tokenExpiresAt)],
      ["Created", time(server.createdAt)],
      ["Updated", time(server.updatedAt)],
    ]),
  );
  const urls = h(
    "section",
    { class: "card", "aria-labelledby": "urls-title" },
    h("h2", { id: "urls-title" }, "MCP URLs"),
    message ? h("p", { class: "notice", id: "rotated-notice" }, message) : null,
    copyField("Access URL (carries the token; needs no other credential)", server.accessUrl, { id: "access-url", "data-copy": "accessUrl" }),
    copyField("URL (for clients that send an API key or user token)", server.url, { id: "server-url", "data-copy": "url" }),
  );
  replace(
    main,
    h("p", { class: "breadcrumbs" }, h("a", { href: "#/servers" }, "Servers"), " / ", server.name),
    pageHeader(server.name, h("a", { class: "button secondary", href: href("servers", server.serverId, "edit"), id: "edit-server" }, "Edit")),
    h("div", { class: "grid two" }, overview, urls),
    connectSection(server),
    restrictionsCard(server),
    h("div", { class: "grid two" }, rotateCard(server, (next, note) => draw(main, next, note)), dangerCard(server)),
  );
  if (message) {
    const input = main.querySelector("#access-url");
    if (input) input.focus();
  }
}

export async function renderServerDetail(main, route, alive) {
  const serverId = route.parts[1];
  replace(main, loading("Loading the server…"));
  let server;
  try {
    server = await api.get(`/api/servers/${api.p(serverId)}`);
  } catch (error) {
    if (!alive()) return;
    if (error.status === 404) {
      replace(main, pageHeader("Server not found"), h("p", null, `No server ${serverId} for ${api.effectiveUser() ? `user ${api.effectiveUser()}` : "you"}. `, h("a", { href: "#/servers" }, "Back to the servers.")));
      showError(error);
      return;
    }
    throw error;
  }
  if (!alive()) return;
  draw(main, server);
}
