// Adding a credential for a user: key-like types by their fields, or starting an OAuth connection in a new tab.

import * as api from "../api.js";
import { h, replace, field, uid } from "../dom.js";
import { listConnectors } from "../catalog.js";
import { busy, loading, notify } from "../ui.js";

/** The form; `created()` reloads the user's credential list. */
export function credentialForm(userId, created) {
  const listId = uid("cred-connectors");
  const connector = h("input", { type: "text", name: "connectorId", id: "credential-connector", list: listId, autocomplete: "off", spellcheck: "false", placeholder: "e.g. stripe" });
  const datalist = h("datalist", { id: listId });
  const load = h("button", { type: "button", class: "secondary" }, "Choose");
  const body = h("div", { class: "credential-body", "aria-live": "polite" });
  let timer = null;

  connector.addEventListener("input", () => {
    clearTimeout(timer);
    const text = connector.value.trim();
    if (!text) return;
    timer = setTimeout(async () => {
      try {
        const page = await listConnectors({ query: text, limit: 10 });
        replace(datalist, page.connectors.map((c) => h("option", { value: c.id }, `${c.name} (${(c.authTypes || []).join(", ")})`)));
      } catch {
        // Suggestions are optional.
      }
    }, 250);
  });
  connector.addEventListener("keydown", (event) => {
    if (event.key === "Enter") {
      event.preventDefault();
      load.click();
    }
  });

  function typeForm(metadata, type) {
    const inputs = (type.fields || []).map((f) => {
      const input = h("input", { type: f.secret ? "password" : "text", name: f.name, required: f.required, autocomplete: "off", spellcheck: "false" });
      return [f, input, field(`${f.name}${f.required ? "" : " (optional)"}`, input, f.description)];
    });
    const oauth = type.type === "oauth2";
    const submit = h("button", { type: "submit", class: "primary" }, oauth ? "Start the OAuth connection" : "Add credential");
    const result = h("div", { class: "credential-result" });
    const form = h(
      "form",
      { class: "type-form", novalidate: true },
      type.description ? h("p", { class: "muted" }, type.description) : null,
      oauth ? h("p", null, "The provider's page opens in a new tab; after approval you come back here with the new credential. The account needs an OAuth app for this connector (OAuth apps page).") : null,
      inputs.map(([, , el]) => el),
      h("div", { class: "actions" }, submit),
      result,
    );
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const fields = {};
      for (const [f, input] of inputs) if (input.value.trim() !== "") fields[f.name] = input.value;
      const request = { connectorId: metadata.connectorId, authenticationType: type.type };
      if (Object.keys(fields).length) request.fields = fields;
      if (oauth) request.redirectUri = `${location.origin}/admin?oauth=done&user=${encodeURIComponent(userId)}`;
      const answer = await busy(submit, () => api.post("/api/credentials", request, { asUser: userId }), "The credential was not added");
      if (!answer) return;
      for (const [, input] of inputs) input.value = "";
      if (oauth) {
        replace(
          result,
          h("p", null, answer.message || "Open the provider's page to approve access."),
          h("p", null, h("a", { href: answer.authorizationUrl, target: "_blank", rel: "noopener noreferrer", class: "button primary", id: "oauth-authorize" }, `Open ${metadata.connectorName || metadata.connectorId}'s authorization page`)),
          h("p", { class: "muted" }, `The link works once, until ${new Date(answer.expiresAt).toLocaleString()}.`),
        );
        result.querySelector("a").focus();
      } else {
        notify(answer.message || "Credential added.");
        replace(result, h("p", { class: answer.verified ? "ok-text" : "muted" }, answer.message || "Credential added."));
        created();
      }
    });
    return form;
  }

  load.addEventListener("click", async () => {
    const connectorId = connector.value.trim();
    if (!connectorId) {
      connector.focus();
      return;
    }
    replace(body, loading("Loading what this connector needs…"));
    const metadata = await busy(load, () => api.get(`/api/connectors/${api.p(connectorId)}/credential-metadata`, { asUser: userId }), "Unknown connector");
    if (!metadata) {
      body.replaceChildren();
      return;
    }
    const types = metadata.authenticationTypes || [];
    if (!types.length) {
      replace(body, h("p", { class: "muted" }, `${metadata.connectorName || connectorId} needs no credential.`));
      return;
    }
    const chooser = h("select", { id: "credential-type", name: "authenticationType" }, types.map((t, i) => h("option", { value: String(i) }, t.type === "oauth2" ? "OAuth 2.0 (connect in the browser)" : `${t.type} (${(t.fields || []).map((f) => f.name).join(", ") || "no fields"})`)));
    const holder = h("div");
    const draw = () => replace(holder, typeForm(metadata, types[Number(chooser.value)]));
    chooser.addEventListener("change", draw);
    replace(body, field("Authentication type", chooser), holder);
    draw();
  });

  return h(
    "section",
    { class: "card", "aria-labelledby": "add-credential-title" },
    h("h2", { id: "add-credential-title" }, "Add a credential"),
    h("p", { class: "muted" }, "Secrets are sent once and stored encrypted; the console never shows them again."),
    h("div", { class: "field" }, h("label", { for: "credential-connector" }, "Connector"), h("div", { class: "row" }, connector, load), datalist),
    body,
  );
}
