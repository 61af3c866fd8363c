// The sign-in view: an API key or a user token is exchanged for an HttpOnly session cookie.

import * as api from "../api.js";
import { h, replace, uid } from "../dom.js";
import { busy } from "../ui.js";

/** Draws the sign-in form into `main`; `done()` runs once signed in. */
export function renderSignIn(main, message, done) {
  const kindName = uid("kind");
  const secretId = uid("secret");
  const secret = h("input", { id: secretId, name: "secret", type: "password", required: true, autocomplete: "off", spellcheck: "false", "aria-describedby": `${secretId}-hint` });
  const hint = h("p", { class: "hint", id: `${secretId}-hint` }, "The key printed at the server's first start, or one from the API keys page. It is sent once to create a session and is not stored in the browser.");
  const label = h("label", { for: secretId }, "API key");
  const radio = (value, text, checked) => {
    const id = uid("r");
    return h("span", { class: "radio" }, h("input", { type: "radio", name: kindName, id, value, checked }), h("label", { for: id }, text));
  };
  const kinds = h("fieldset", { class: "kinds" }, h("legend", null, "Sign in with"), radio("apiKey", "API key", true), radio("userToken", "User token", false));
  kinds.addEventListener("change", () => {
    const kind = kinds.querySelector("input:checked").value;
    label.textContent = kind === "apiKey" ? "API key" : "User token";
    hint.textContent =
      kind === "apiKey"
        ? "The key printed at the server's first start, or one from the API keys page. It is sent once to create a session and is not stored in the browser."
        : "A user token (POST /api/users/:userId/token). You will see only that user's servers and credentials.";
  });
  const submit = h("button", { type: "submit", class: "primary" }, "Sign in");
  const form = h(
    "form",
    { class: "card signin", id: "sign-in-form", "aria-labelledby": "signin-title" },
    h("h1", { id: "signin-title", tabindex: "-1" }, "Sign in to the Alloy MCP console"),
    message ? h("p", { class: "notice" }, message) : null,
    kinds,
    h("div", { class: "field" }, label, secret, hint),
    h("div", { class: "actions" }, submit),
    h("p", { class: "hint" }, "The session is kept in an HttpOnly cookie and ends when you sign out or when it expires."),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const kind = kinds.querySelector("input:checked").value;
    const value = secret.value.trim();
    if (!value) {
      secret.focus();
      return;
    }
    const ok = await busy(submit, async () => {
      await api.signIn(kind === "apiKey" ? { apiKey: value } : { userToken: value });
      return true;
    }, "Sign-in failed");
    if (ok) {
      secret.value = "";
      done();
    } else {
      secret.select();
    }
  });
  replace(main, h("div", { class: "signin-wrap" }, form));
  secret.focus();
}
