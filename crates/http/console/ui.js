// Shared widgets: the alert and status regions, confirmation dialog, copy button, pager, empty and loading states.

import { h, replace, uid } from "./dom.js";

/** Shows an error in the page's alert region (role="alert", announced by screen readers). */
export function showError(error, context) {
  const region = document.getElementById("alerts");
  const message = error && error.message ? error.message : String(error);
  const code = error && error.code ? error.code : null;
  const text = context ? `${context}: ${message}` : message;
  const close = h("button", { type: "button", class: "icon", "aria-label": "Dismiss this message", onClick: () => box.remove() }, "×");
  const box = h("div", { class: "alert error", dataset: { code: code || "" } }, h("p", null, text, code ? h("span", { class: "code" }, ` (${code})`) : null), close);
  region.replaceChildren(box);
  region.scrollIntoView({ block: "nearest" });
}

/** Clears the alert region (on navigation). */
export function clearErrors() {
  document.getElementById("alerts").replaceChildren();
}

/** A short success message in the polite status region; `keep`: it survives the next navigation (it leads there). */
export function notify(message, { keep = false } = {}) {
  const region = document.getElementById("status");
  const box = h("div", { class: "alert ok", dataset: { keep: keep ? "1" : "" } }, h("p", null, message));
  region.replaceChildren(box);
  clearTimeout(notify.timer);
  notify.timer = setTimeout(() => box.remove(), 6000);
}

/** Removes success messages on navigation, except one that led to the new page (once). */
export function clearStaleNotices() {
  for (const box of document.querySelectorAll("#status .alert")) {
    if (box.dataset.keep) box.dataset.keep = "";
    else box.remove();
  }
}

/** Runs `action` with `button` disabled; errors go to the alert region. Returns the action's result or undefined. */
export async function busy(button, action, context) {
  const wasDisabled = button ? button.disabled : false;
  if (button) {
    button.disabled = true;
    button.setAttribute("aria-busy", "true");
  }
  try {
    return await action();
  } catch (error) {
    showError(error, context);
    return undefined;
  } finally {
    if (button && button.isConnected) {
      button.disabled = wasDisabled;
      button.removeAttribute("aria-busy");
    }
  }
}

/**
 * Asks for confirmation in a modal dialog. `options.confirmLabel`, `options.danger`, and
 * `options.typeToConfirm` (a word the user must type). Resolves true or false.
 */
export function confirmDialog(title, message, options = {}) {
  return new Promise((resolve) => {
    const titleId = uid("dlg");
    const confirmButton = h("button", { type: "submit", class: options.danger === false ? "primary" : "danger", value: "yes" }, options.confirmLabel || "Confirm");
    let typed = null;
    if (options.typeToConfirm) {
      typed = h("input", { type: "text", autocomplete: "off", spellcheck: "false" });
      confirmButton.disabled = true;
      typed.addEventListener("input", () => {
        confirmButton.disabled = typed.value !== options.typeToConfirm;
      });
    }
    const form = h(
      "form",
      { method: "dialog" },
      h("h2", { id: titleId }, title),
      h("p", null, message),
      typed ? h("div", { class: "field" }, h("label", null, `Type ${options.typeToConfirm} to confirm`, typed)) : null,
      h("div", { class: "actions" }, h("button", { type: "submit", value: "no", class: "secondary" }, "Cancel"), confirmButton),
    );
    const dialog = h("dialog", { class: "confirm", "aria-labelledby": titleId }, form);
    dialog.addEventListener("close", () => {
      const yes = dialog.returnValue === "yes";
      dialog.remove();
      resolve(yes);
    });
    document.body.appendChild(dialog);
    dialog.showModal();
    (typed || dialog.querySelector("button[value=no]")).focus();
  });
}

/** Copies text: the async clipboard API, else a selected read-only input and execCommand. */
export async function copyText(text) {
  if (navigator.clipboard && window.isSecureContext) {
    try {
      await navigator.clipboard.writeText(text);
      return true;
    } catch {
      // Permission refused: fall back below.
    }
  }
  const input = h("input", { type: "text", readonly: true, class: "offscreen", value: text, "aria-hidden": "true", tabindex: "-1" });
  document.body.appendChild(input);
  input.select();
  let ok = false;
  try {
    ok = document.execCommand("copy");
  } catch {
    ok = false;
  }
  input.remove();
  return ok;
}

/** A button that copies `text()` (or text) and says so. */
export function copyButton(text, label = "Copy", attrs = {}) {
  const button = h("button", { type: "button", class: "secondary copy", ...attrs }, label);
  button.addEventListener("click", async () => {
    const value = typeof text === "function" ? text() : text;
    const ok = await copyText(value);
    button.textContent = ok ? "Copied" : "Copy failed: select the text";
    notify(ok ? "Copied to the clipboard." : "The browser refused to copy; select the text and copy it by hand.");
    setTimeout(() => {
      if (button.isConnected) button.textContent = label;
    }, 2000);
  });
  return button;
}

/** A read-only value with a copy button (URLs, keys). */
export function copyField(label, value, attrs = {}) {
  const id = uid("copy");
  const input = h("input", { type: "text", id, readonly: true, value, class: "mono", spellcheck: "false", ...attrs });
  input.addEventListener("focus", () => input.select());
  return h(
    "div",
    { class: "field copy-field" },
    h("label", { for: id }, label),
    h("div", { class: "row" }, input, copyButton(() => input.value, "Copy", { "aria-label": `Copy ${label}`, dataset: { copies: attrs["data-copy"] || label } })),
  );
}

/** A secret shown once (a new API key, a user token), with a warning and a copy button. */
export function secretOnce(title, value, warning) {
  return h(
    "section",
    { class: "card secret-once", "aria-live": "polite" },
    h("h3", null, title),
    h("p", { class: "warning" }, warning || "Copy it now: it is shown only this once and cannot be shown again."),
    copyField("Value (shown once)", value, { "data-secret": "true" }),
  );
}

/** Paging controls for a {count,total,limit,offset,hasMore} answer; `go(offset)` loads a page. */
export function pager(page, go, noun = "items") {
  const { offset = 0, limit = 50, count = 0, total } = page;
  const from = count ? offset + 1 : 0;
  const to = offset + count;
  const label = total !== undefined ? `${from.toLocaleString()}–${to.toLocaleString()} of ${total.toLocaleString()} ${noun}` : `${from}–${to} ${noun}`;
  const prev = h("button", { type: "button", class: "secondary", disabled: offset <= 0, onClick: () => go(Math.max(0, offset - limit)) }, "← Previous");
  const next = h("button", { type: "button", class: "secondary", disabled: !page.hasMore, onClick: () => go(offset + limit) }, "Next →");
  return h("nav", { class: "pager", "aria-label": `Pages of ${noun}` }, prev, h("span", { class: "muted" }, label), next);
}

/** An empty state: a sentence and an optional action. */
export function empty(message, action) {
  return h("div", { class: "empty" }, h("p", null, message), action || null);
}

/** A loading placeholder for a container. */
export function loading(what = "Loading…") {
  return h("p", { class: "loading", role: "status" }, what);
}

/** A page heading with optional actions on the right. */
export function pageHeader(title, ...actions) {
  return h("header", { class: "page-header" }, h("h1", { tabindex: "-1" }, title), actions.length ? h("div", { class: "actions" }, actions) : null);
}

/** A badge. */
export function badge(text, kind = "") {
  return h("span", { class: `badge ${kind}`.trim() }, text);
}

/** Fills `container` with `render(data)` after `load()`; errors shown in place and in the alert region. */
export async function fill(container, load, render, what) {
  replace(container, loading(what));
  try {
    const data = await load();
    replace(container, render(data));
    return data;
  } catch (error) {
    showError(error);
    replace(container, h("p", { class: "muted" }, "This could not be loaded."));
    return undefined;
  }
}

/** A definition list from [term, value] pairs (values: strings or nodes). */
export function dl(pairs, cls = "") {
  return h("dl", { class: `pairs ${cls}`.trim() }, pairs.filter(Boolean).map(([term, value]) => [h("dt", null, term), h("dd", null, value === null || value === undefined || value === "" ? h("span", { class: "muted" }, "—") : value)]));
}
