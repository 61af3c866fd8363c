// Creating a server, or editing one's name, description and access settings.

import * as api from "../api.js";
import { h, replace, field, checkbox } from "../dom.js";
import { go, href } from "../router.js";
import { busy, loading, notify, pageHeader } from "../ui.js";

/** Marks the input named by a validation error's `details.field` as invalid and focuses it. */
export function markInvalid(form, error) {
  for (const el of form.querySelectorAll("[aria-invalid]")) el.removeAttribute("aria-invalid");
  if (!error || !error.field) return;
  const input = form.querySelector(`[name="${CSS.escape(error.field)}"]`);
  if (input) {
    input.setAttribute("aria-invalid", "true");
    input.focus();
  }
}

export async function renderServerForm(main, route, alive) {
  const serverId = route.parts[1] === "new" ? null : route.parts[1];
  let server = null;
  if (serverId) {
    replace(main, loading("Loading the server…"));
    server = await api.get(`/api/servers/${api.p(serverId)}`);
    if (!alive()) return;
  }
  const name = h("input", { name: "name", type: "text", required: true, maxlength: 100, autocomplete: "off", value: server ? server.name : "" });
  const description = h("textarea", { name: "description", rows: 3 });
  description.value = server ? server.description || "" : "";
  const isPublic = checkbox("Public: any user of the account may use it (subject to the users restriction)", { name: "isPublic", checked: server ? server.isPublic : false });
  const requireUserToken = checkbox("Require a user token to act as another user on the token URL", { name: "requireUserToken", checked: server ? server.requireUserToken : false }, "Recommended for public servers: without it, whoever holds the access URL may act as any user of the account.");
  const expiry = h("input", { name: "tokenExpiresInDays", type: "number", min: 1, max: 365, step: 1, inputmode: "numeric", placeholder: "never", class: "compact" });
  const submit = h("button", { type: "submit", class: "primary" }, serverId ? "Save changes" : "Create server");
  const form = h(
    "form",
    { class: "card form", id: "server-form", novalidate: true },
    field("Name", name, "Letters, digits, spaces, - and _; at most 100 characters; not ending with -."),
    field("Description", description, "Shown to you only; agents see the tools, not this text."),
    isPublic,
    requireUserToken,
    serverId ? null : field("Access token expires after (days)", expiry, "1 to 365 days; leave empty for a token that never expires."),
    h("div", { class: "actions" }, h("a", { class: "button secondary", href: serverId ? href("servers", serverId) : "#/servers" }, "Cancel"), submit),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = {
      name: name.value,
      description: description.value,
      isPublic: form.querySelector("[name=isPublic]").checked,
      requireUserToken: form.querySelector("[name=requireUserToken]").checked,
    };
    if (!serverId && expiry.value.trim() !== "") body.tokenExpiresInDays = Number(expiry.value);
    const saved = await busy(submit, async () => {
      try {
        return serverId ? await api.put(`/api/servers/${api.p(serverId)}`, body) : await api.post("/api/servers", body);
      } catch (error) {
        markInvalid(form, error);
        throw error;
      }
    }, serverId ? "The server was not saved" : "The server was not created");
    if (saved) {
      notify(serverId ? "Server saved." : `Server “${saved.name}” created. Its access URL is below; set restrictions next if needed.`, { keep: true });
      go(href("servers", saved.serverId));
    }
  });
  replace(
    main,
    h("p", { class: "breadcrumbs" }, h("a", { href: "#/servers" }, "Servers"), server ? [" / ", h("a", { href: href("servers", server.serverId) }, server.name)] : null),
    pageHeader(serverId ? `Edit ${server.name}` : "New server"),
    form,
  );
  name.focus();
}
