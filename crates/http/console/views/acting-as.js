// The "act as user" control of API-key sessions: which user's servers the console shows (x-alloy-userid).

import * as api from "../api.js";
import { h, uid } from "../dom.js";
import { notify } from "../ui.js";

/** A small form in the top bar; `changed()` redraws the current view. */
export function actingAsControl(changed) {
  const session = api.currentSession();
  const id = uid("actas");
  const listId = `${id}-users`;
  const list = h("datalist", { id: listId });
  const input = h("input", { id, type: "text", list: listId, value: api.getActingUser() || session.userId, spellcheck: "false", autocomplete: "off", class: "compact" });
  let loaded = false;
  input.addEventListener("focus", async () => {
    if (loaded) return;
    loaded = true;
    try {
      const answer = await api.get("/api/users", { own: true });
      list.replaceChildren(...(answer.users || []).map((u) => h("option", { value: u.userId }, `${u.servers} servers, ${u.credentials} credentials`)));
    } catch {
      loaded = false;
    }
  });
  const form = h(
    "form",
    { class: "acting-as", "aria-label": "Act as another user of this account" },
    h("label", { for: id }, "Acting as user"),
    input,
    list,
    h("button", { type: "submit", class: "secondary" }, "Switch"),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    api.setActingUser(input.value);
    input.value = api.effectiveUser();
    form.classList.toggle("other", Boolean(api.getActingUser()));
    notify(api.getActingUser() ? `Acting as user ${api.getActingUser()}: servers are theirs.` : `Acting as yourself (${session.userId}).`, { keep: true });
    changed();
  });
  form.classList.toggle("other", Boolean(api.getActingUser()));
  return form;
}
