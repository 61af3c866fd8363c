// The account's API keys: list, create (the key is shown once), revoke with confirmation.

import * as api from "../api.js";
import { h, replace, time, field } from "../dom.js";
import { badge, busy, confirmDialog, empty, fill, notify, pageHeader, secretOnce } from "../ui.js";

function keysTable(answer, reload) {
  const session = api.currentSession();
  const keys = answer.keys || [];
  if (!keys.length) return empty("No API keys.");
  return h(
    "div",
    { class: "table-wrap" },
    h(
      "table",
      { class: "list keys" },
      h("thead", null, h("tr", null, ["Name", "Prefix", "User", "Created", "Expires", "Status", h("span", { class: "visually-hidden" }, "Actions")].map((c) => h("th", { scope: "col" }, c)))),
      h(
        "tbody",
        null,
        keys.map((k) => {
          const current = k.keyId === session.keyId;
          let revoke = null;
          if (k.active) {
            revoke = h("button", { type: "button", class: "danger small", "aria-label": `Revoke key ${k.name} (${k.prefix})` }, "Revoke");
            revoke.addEventListener("click", async () => {
              const warning = current ? " This is the key of your current session: the console signs you out." : "";
              const yes = await confirmDialog("Revoke this API key?", `Key “${k.name}” (${k.prefix}…) stops working at once, with every user token it issued and every console session it opened.${warning}`, { confirmLabel: "Revoke key" });
              if (!yes) return;
              const done = await busy(revoke, () => api.del(`/api/keys/${api.p(k.keyId)}`), "The key was not revoked");
              if (done) {
                notify(`Key “${k.name}” revoked.`);
                reload();
              }
            });
          }
          return h(
            "tr",
            { dataset: { keyId: k.keyId } },
            h("td", { "data-label": "Name" }, k.name, current ? [" ", badge("this session", "info")] : null),
            h("td", { "data-label": "Prefix", class: "mono" }, `${k.prefix}…`),
            h("td", { "data-label": "User", class: "mono" }, k.userId),
            h("td", { "data-label": "Created" }, time(k.createdAt)),
            h("td", { "data-label": "Expires" }, time(k.expiresAt)),
            h("td", { "data-label": "Status" }, k.active ? badge("active", "ok") : k.revokedAt ? [badge("revoked", "warn"), " ", time(k.revokedAt)] : badge("expired", "warn")),
            h("td", { "data-label": "" }, revoke),
          );
        }),
      ),
    ),
  );
}

function createForm(created, out) {
  const name = h("input", { type: "text", name: "name", required: true, autocomplete: "off", maxlength: 100 });
  const userId = h("input", { type: "text", name: "userId", autocomplete: "off", spellcheck: "false", placeholder: api.currentSession().userId });
  const days = h("input", { type: "number", name: "expiresInDays", min: 1, step: 1, placeholder: "never", class: "compact", inputmode: "numeric" });
  const submit = h("button", { type: "submit", class: "primary" }, "Create API key");
  const form = h(
    "form",
    { class: "card", novalidate: true, "aria-labelledby": "create-key-title" },
    h("h2", { id: "create-key-title" }, "Create an API key"),
    field("Name", name, "What the key is for, e.g. “CI deploys”."),
    field("User (optional)", userId, "The key's default user in this account; empty: your user."),
    field("Expires after (days, optional)", days, "Empty: never."),
    h("div", { class: "actions" }, submit),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = { name: name.value.trim() };
    if (userId.value.trim()) body.userId = userId.value.trim();
    if (days.value.trim()) body.expiresInDays = Number(days.value);
    const answer = await busy(submit, () => api.post("/api/keys", body), "The key was not created");
    if (!answer) return;
    name.value = "";
    userId.value = "";
    days.value = "";
    replace(out, secretOnce(`API key “${answer.name}”`, answer.key, "Copy the key now: only its hash is stored, so it can never be shown again."));
    out.querySelector("input").focus();
    created();
  });
  return form;
}

export async function renderKeys(main) {
  const list = h("div");
  replace(main, pageHeader("API keys"));
  if (!api.isApiKeySession()) {
    main.append(h("p", { class: "notice" }, "API keys are managed from a session signed in with an API key; a user token cannot see them."));
    return;
  }
  const reload = () => fill(list, () => api.get("/api/keys", { own: true }), (answer) => keysTable(answer, reload), "Loading keys…");
  const created = h("div", { id: "new-key" });
  main.append(
    h("p", { class: "muted" }, "Keys of this account. A key acts for its account (any user, with x-alloy-userid); a revoked key is refused at once."),
    h("section", { class: "card" }, h("h2", null, "Keys"), list),
    created,
    createForm(reload, created),
  );
  await reload();
}
