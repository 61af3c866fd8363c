// OAuth apps of the account: list, register or replace (the client secret is write-only), delete.

import * as api from "../api.js";
import { h, replace, time, field, uid } from "../dom.js";
import { href } from "../router.js";
import { listConnectors } from "../catalog.js";
import { badge, busy, confirmDialog, copyField, empty, notify, pageHeader, showError, loading } from "../ui.js";

/** "a=b" lines → an object (empty → undefined). */
function parseParams(text) {
  const out = {};
  for (const line of text.split("\n")) {
    const trimmed = line.trim();
    if (!trimmed) continue;
    const at = trimmed.indexOf("=");
    if (at <= 0) throw new Error(`“${trimmed}” is not name=value`);
    out[trimmed.slice(0, at).trim()] = trimmed.slice(at + 1).trim();
  }
  return Object.keys(out).length ? out : undefined;
}

function appForm(onSaved) {
  const listId = uid("oauth-connectors");
  const connector = h("input", { type: "text", name: "connectorId", id: "oauth-connector", list: listId, autocomplete: "off", spellcheck: "false", required: true, placeholder: "e.g. slack" });
  const datalist = h("datalist", { id: listId });
  const clientId = h("input", { type: "text", name: "clientId", id: "oauth-client-id", autocomplete: "off", spellcheck: "false", required: true });
  const clientSecret = h("input", { type: "password", name: "clientSecret", id: "oauth-client-secret", autocomplete: "new-password", spellcheck: "false" });
  const scopes = h("input", { type: "text", name: "scopes", autocomplete: "off", spellcheck: "false", placeholder: "every scope the connector lists" });
  const separator = h("select", { name: "scopeSeparator" }, h("option", { value: "" }, "space (RFC 6749, default)"), h("option", { value: "," }, "comma"));
  const method = h("select", { name: "tokenAuthMethod" }, h("option", { value: "" }, "default (post with a secret, none without)"), ["client_secret_post", "client_secret_basic", "none"].map((m) => h("option", { value: m }, m)));
  const extra = h("textarea", { name: "authorizationParams", rows: 2, placeholder: "access_type=offline\nprompt=consent" });
  const secretHint = h("p", { class: "hint", id: "oauth-secret-hint" }, "Write-only: stored encrypted and never shown again. Saving replaces the whole app, so enter the secret each time you save.");
  clientSecret.setAttribute("aria-describedby", "oauth-secret-hint");
  const submit = h("button", { type: "submit", class: "primary" }, "Save OAuth app");
  let timer = null;
  connector.addEventListener("input", () => {
    clearTimeout(timer);
    const text = connector.value.trim();
    if (!text) return;
    timer = setTimeout(async () => {
      try {
        const page = await listConnectors({ query: text, limit: 15 });
        replace(datalist, page.connectors.filter((c) => (c.authTypes || []).includes("oauth2")).map((c) => h("option", { value: c.id }, c.name)));
      } catch {
        // Suggestions are optional.
      }
    }, 250);
  });
  const form = h(
    "form",
    { class: "card", id: "oauth-app-form", novalidate: true, "aria-labelledby": "oauth-form-title" },
    h("h2", { id: "oauth-form-title" }, "Register or replace an app"),
    field("Connector", connector, "A connector that takes oauth2."),
    datalist,
    field("Client ID", clientId),
    h("div", { class: "field" }, h("label", { for: "oauth-client-secret" }, "Client secret"), clientSecret, secretHint),
    field("Scopes (optional, separated by spaces or commas)", scopes),
    h("div", { class: "grid two" }, field("Scope separator in the authorization URL", separator), field("Token endpoint authentication", method)),
    field("Extra authorization parameters (optional, one name=value per line)", extra),
    h("div", { class: "actions" }, submit),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const connectorId = connector.value.trim();
    if (!connectorId) {
      connector.focus();
      return;
    }
    const saved = await busy(submit, async () => {
      const body = { clientId: clientId.value.trim() };
      if (clientSecret.value) body.clientSecret = clientSecret.value;
      const scopeList = scopes.value.split(/[\s,]+/).filter(Boolean);
      if (scopeList.length) body.scopes = scopeList;
      if (separator.value) body.scopeSeparator = separator.value;
      if (method.value) body.tokenAuthMethod = method.value;
      const params = parseParams(extra.value);
      if (params) body.authorizationParams = params;
      return api.put(`/api/oauth-apps/${api.p(connectorId)}`, body, { own: true });
    }, "The OAuth app was not saved");
    if (!saved) return;
    clientSecret.value = "";
    notify(`OAuth app for ${saved.connectorId} saved.`);
    onSaved();
  });
  return {
    el: form,
    edit(app) {
      connector.value = app.connectorId;
      clientId.value = app.clientId;
      clientSecret.value = "";
      scopes.value = (app.scopes || []).join(" ");
      separator.value = app.scopeSeparator === "," ? "," : "";
      method.value = app.tokenAuthMethod || "";
      extra.value = Object.entries(app.authorizationParams || {}).map(([k, v]) => `${k}=${v}`).join("\n");
      form.scrollIntoView({ block: "start" });
      clientSecret.focus();
    },
  };
}

function appsTable(answer, form, reload) {
  const apps = answer.oauthApps || [];
  if (!apps.length) return empty("No OAuth apps yet. Register one to let users connect with OAuth 2.0.");
  return h(
    "div",
    { class: "table-wrap" },
    h(
      "table",
      { class: "list oauth-apps" },
      h("thead", null, h("tr", null, ["Connector", "Client ID", "Secret", "Scopes", "Updated", h("span", { class: "visually-hidden" }, "Actions")].map((c) => h("th", { scope: "col" }, c)))),
      h(
        "tbody",
        null,
        apps.map((app) => {
          const edit = h("button", { type: "button", class: "secondary small", "aria-label": `Edit the ${app.connectorId} app` }, "Edit");
          edit.addEventListener("click", () => form.edit(app));
          const remove = h("button", { type: "button", class: "danger small", "aria-label": `Delete the ${app.connectorId} app` }, "Delete");
          remove.addEventListener("click", async () => {
            const yes = await confirmDialog(`Delete the ${app.connectorId} OAuth app?`, "New authorizations stop at once; existing credentials keep working until their token needs a refresh, then need re-authorization.", { confirmLabel: "Delete app" });
            if (!yes) return;
            const done = await busy(remove, () => api.del(`/api/oauth-apps/${api.p(app.connectorId)}`, { own: true }), "The app was not deleted");
            if (done) {
              notify(`OAuth app for ${app.connectorId} deleted.`);
              reload();
            }
          });
          return h(
            "tr",
            { dataset: { connectorId: app.connectorId } },
            h("td", { "data-label": "Connector" }, h("a", { href: href("connectors", app.connectorId) }, app.connectorId)),
            h("td", { "data-label": "Client ID", class: "mono" }, app.clientId),
            h("td", { "data-label": "Secret" }, app.hasClientSecret ? badge("set (write-only)", "ok") : badge("none: public client")),
            h("td", { "data-label": "Scopes", class: "mono" }, (app.scopes || []).join(" ") || h("span", { class: "muted" }, "default")),
            h("td", { "data-label": "Updated" }, time(app.updatedAt)),
            h("td", { "data-label": "" }, h("div", { class: "row" }, edit, remove)),
          );
        }),
      ),
    ),
  );
}

export async function renderOAuthApps(main, route, alive) {
  replace(main, pageHeader("OAuth apps"));
  if (!api.isApiKeySession()) {
    main.append(h("p", { class: "notice" }, "OAuth apps are managed from a session signed in with an API key."));
    return;
  }
  const list = h("div", null, loading("Loading OAuth apps…"));
  const callback = h("div");
  let form;
  async function reload() {
    try {
      const answer = await api.get("/api/oauth-apps", { own: true });
      if (!alive()) return;
      replace(callback, copyField("Callback URL to register at each provider", answer.callbackUrl || "", { id: "oauth-callback" }));
      replace(list, appsTable(answer, form, reload));
    } catch (error) {
      showError(error);
      replace(list, h("p", { class: "muted" }, "The OAuth apps could not be loaded."));
    }
  }
  form = appForm(reload);
  main.append(
    h("p", { class: "muted" }, "One app per connector for the whole account: users' OAuth connections go through it."),
    h("section", { class: "card" }, callback, h("h2", null, "Apps"), list),
    form.el,
  );
  await reload();
}
