// Users of the account and, per user, their credentials (metadata only), user tokens and data deletion.

import * as api from "../api.js";
import { h, replace, time, plural, field } from "../dom.js";
import { go, href } from "../router.js";
import { badge, busy, confirmDialog, empty, fill, notify, pageHeader, pager, secretOnce } from "../ui.js";
import { credentialForm } from "./credential-form.js";

export async function renderUsers(main, route, alive) {
  const openInput = h("input", { type: "text", id: "open-user", autocomplete: "off", spellcheck: "false", placeholder: "user ID" });
  const openForm = h(
    "form",
    { class: "toolbar" },
    h("div", { class: "field" }, h("label", { for: "open-user" }, "Open a user by ID (also one with no data yet)"), h("div", { class: "row" }, openInput, h("button", { type: "submit", class: "secondary" }, "Open"))),
  );
  openForm.addEventListener("submit", (event) => {
    event.preventDefault();
    if (openInput.value.trim()) go(href("users", openInput.value.trim()));
  });
  const list = h("div");
  replace(
    main,
    pageHeader("Users & credentials"),
    h("p", { class: "muted" }, api.isApiKeySession() ? "The users of this account that have servers or credentials. Each user's credentials are theirs alone." : "A user-token session sees only its own user."),
    api.isApiKeySession() ? openForm : null,
    list,
  );
  await fill(
    list,
    () => api.get("/api/users", { own: true }),
    (answer) => {
      if (!alive()) return null;
      const users = answer.users || [];
      if (!users.length) return empty("No user has servers or credentials yet.");
      return h(
        "div",
        { class: "table-wrap" },
        h(
          "table",
          { class: "list users" },
          h("thead", null, h("tr", null, ["User", "Servers", "Credentials"].map((c) => h("th", { scope: "col" }, c)))),
          h(
            "tbody",
            null,
            users.map((u) =>
              h(
                "tr",
                { dataset: { userId: u.userId } },
                h("td", { "data-label": "User" }, h("a", { href: href("users", u.userId), class: "mono" }, u.userId), u.userId === api.currentSession().userId ? badge("you", "info") : null),
                h("td", { "data-label": "Servers" }, String(u.servers)),
                h("td", { "data-label": "Credentials" }, String(u.credentials)),
              ),
            ),
          ),
        ),
      );
    },
    "Loading users…",
  );
}

function credentialsTable(userId, answer, reload) {
  const rows = (answer.credentials || []).map((c) => {
    const remove = h("button", { type: "button", class: "danger small", "aria-label": `Delete credential ${c.credentialId} (${c.connectorId})` }, "Delete");
    remove.addEventListener("click", async () => {
      const yes = await confirmDialog("Delete this credential?", `The ${c.type} credential ${c.credentialId} for ${c.connectorId} of user ${userId} will be deleted; agents can no longer act with it. It is not revoked at the platform.`, { confirmLabel: "Delete credential" });
      if (!yes) return;
      const done = await busy(remove, () => api.del(`/api/credentials/${api.p(c.credentialId)}`, { asUser: userId }), "The credential was not deleted");
      if (done) {
        notify("Credential deleted.");
        reload(answer.offset || 0);
      }
    });
    const status = c.status === "active" ? badge("active", "ok") : badge(c.status, "warn");
    return h(
      "tr",
      { dataset: { credentialId: c.credentialId } },
      h("td", { "data-label": "Connector" }, h("a", { href: href("connectors", c.connectorId) }, c.connectorId)),
      h("td", { "data-label": "Type" }, c.type),
      h("td", { "data-label": "Status" }, status),
      h("td", { "data-label": "Credential ID", class: "mono" }, c.credentialId),
      h("td", { "data-label": "Created" }, time(c.createdAt)),
      h("td", { "data-label": "Expires" }, time(c.expiresAt)),
      h("td", { "data-label": "" }, remove),
    );
  });
  if (!rows.length) return empty(`User ${userId} has no credentials yet. Add one below, or let an agent create one with create_credential_alloy.`);
  return [
    h(
      "div",
      { class: "table-wrap" },
      h("table", { class: "list credentials" }, h("thead", null, h("tr", null, ["Connector", "Type", "Status", "Credential ID", "Created", "Expires", h("span", { class: "visually-hidden" }, "Actions")].map((c) => h("th", { scope: "col" }, c)))), h("tbody", null, rows)),
    ),
    pager(answer, reload, "credentials"),
  ];
}

function tokenCard(userId) {
  const seconds = h("input", { type: "number", min: 60, max: 2592000, step: 60, value: 3600, name: "expiresInSeconds", class: "compact" });
  const out = h("div");
  const button = h("button", { type: "submit", class: "secondary" }, "Issue a user token");
  const form = h(
    "form",
    { class: "card", novalidate: true },
    h("h2", null, "User token"),
    h("p", { class: "muted" }, `A signed token acting as ${userId} only, for a front end or an agent that must not hold the API key.`),
    field("Lifetime (seconds)", seconds, "60 to 2,592,000 (30 days)."),
    h("div", { class: "actions" }, button),
    out,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const answer = await busy(button, () => api.post(`/api/users/${api.p(userId)}/token`, { expiresInSeconds: Number(seconds.value) }, { own: true }), "No token was issued");
    if (answer) replace(out, secretOnce("User token", answer.token, `Valid until ${new Date(answer.expiresAt).toLocaleString()}. Copy it now: it is not stored and cannot be shown again.`));
  });
  return form;
}

function deleteCard(userId) {
  const button = h("button", { type: "button", class: "danger" }, "Delete all of this user's data");
  button.addEventListener("click", async () => {
    const yes = await confirmDialog(`Delete all data of ${userId}?`, "Their credentials, pending authorizations and servers are deleted at once. This cannot be undone.", { confirmLabel: "Delete user data", typeToConfirm: userId });
    if (!yes) return;
    const answer = await busy(button, () => api.del(`/api/users/${api.p(userId)}`, { own: true }), "The user's data was not deleted");
    if (answer) {
      notify(`Deleted ${plural(answer.credentialsDeleted || 0, "credential")} and ${plural(answer.serversDeleted || 0, "server")} of ${userId}.`, { keep: true });
      go("#/users");
    }
  });
  return h("section", { class: "card danger-zone" }, h("h2", null, "Delete the user's data"), h("p", null, "For a user who leaves: removes everything stored for them in this account."), button);
}

export async function renderUserDetail(main, route, alive) {
  const userId = route.parts[1];
  const session = api.currentSession();
  const self = userId === session.userId;
  const list = h("div", { id: "credential-list" });
  async function load(offset) {
    await fill(list, () => api.get(`/api/credentials${api.query({ limit: 50, offset })}`, { asUser: userId }), (answer) => (alive() ? credentialsTable(userId, answer, load) : null), "Loading credentials…");
  }
  const actAs = h("button", { type: "button", class: "secondary" }, self ? "Show my servers" : `Show ${userId}'s servers`);
  actAs.addEventListener("click", () => {
    api.setActingUser(userId);
    go("#/servers");
    window.dispatchEvent(new Event("alloy:acting-user"));
  });
  replace(
    main,
    h("p", { class: "breadcrumbs" }, h("a", { href: "#/users" }, "Users"), " / ", userId),
    pageHeader(`User ${userId}`, api.isApiKeySession() ? actAs : null),
    h("section", { class: "card" }, h("h2", null, "Credentials"), h("p", { class: "muted" }, "Metadata only: secrets are never shown."), list),
    credentialForm(userId, () => load(0)),
    api.isApiKeySession() ? h("div", { class: "grid two" }, tokenCard(userId), deleteCard(userId)) : null,
  );
  await load(0);
}
