// DOM building helpers: elements from data with textContent only (never HTML strings), SVG, formatting.

const SVG_NS = "http://www.w3.org/2000/svg";

/** Appends children (strings become text nodes; null/false/undefined are skipped; arrays flatten). */
function append(el, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else if (child instanceof Node) el.appendChild(child);
    else el.appendChild(document.createTextNode(String(child)));
  }
  return el;
}

/** Sets attributes/properties: `class`, `for`, `on<Event>` handlers, `dataset`, booleans; never `style`. */
function setAttrs(el, attrs, svg) {
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "style") throw new Error("inline styles are forbidden by the CSP; use a class");
    if (key.startsWith("on") && typeof value === "function") {
      el.addEventListener(key.slice(2).toLowerCase(), value);
    } else if (key === "dataset") {
      Object.assign(el.dataset, value);
    } else if (key === "value" && !svg) {
      el.value = value;
    } else if (key === "checked" && !svg) {
      el.checked = Boolean(value);
    } else if (value === true) {
      el.setAttribute(key, "");
    } else {
      el.setAttribute(key, String(value));
    }
  }
}

/** `h("button", {class: "primary", onClick}, "Save")` → an element. */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  setAttrs(el, attrs, false);
  return append(el, children);
}

/** The SVG counterpart of `h`. */
export function s(tag, attrs, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  setAttrs(el, attrs, true);
  return append(el, children);
}

/** Replaces every child of `el` by `children`. */
export function replace(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

let nextId = 0;
/** A unique element ID for label/aria wiring. */
export function uid(prefix = "f") {
  nextId += 1;
  return `${prefix}-${nextId}`;
}

/** A labelled form field: `{label, input, hint}` → a div.field wiring `for`/`aria-describedby`. */
export function field(label, input, hint) {
  const id = input.id || uid();
  input.id = id;
  const parts = [h("label", { for: id }, label), input];
  if (hint) {
    const hintId = `${id}-hint`;
    input.setAttribute("aria-describedby", hintId);
    parts.push(h("p", { class: "hint", id: hintId }, hint));
  }
  return h("div", { class: "field" }, parts);
}

/** A checkbox with its label after it. */
export function checkbox(label, attrs, hint) {
  const id = uid();
  const input = h("input", { type: "checkbox", id, ...attrs });
  const parts = [input, h("label", { for: id }, label)];
  if (hint) {
    input.setAttribute("aria-describedby", `${id}-hint`);
    parts.push(h("p", { class: "hint", id: `${id}-hint` }, hint));
  }
  return h("div", { class: "field check" }, parts);
}

/** A local, readable date and time for an RFC 3339 string (or "—"). */
export function when(value) {
  if (!value) return "—";
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) return String(value);
  return d.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

/** A `<time>` element showing `when(value)` with the exact value as its datetime/title. */
export function time(value) {
  if (!value) return h("span", { class: "muted" }, "never");
  return h("time", { datetime: value, title: value }, when(value));
}

/** Microseconds as a short duration ("12 ms", "1.4 s"). */
export function duration(us) {
  if (us === null || us === undefined) return "—";
  if (us < 1000) return `${us} µs`;
  if (us < 1_000_000) return `${Math.round(us / 100) / 10} ms`;
  return `${Math.round(us / 100_000) / 10} s`;
}

/** Pretty JSON as text (to be put in a <pre> with textContent). */
export function pretty(value) {
  return JSON.stringify(value, null, 2);
}

/** "1 server" / "3 servers". */
export function plural(n, word, many = `${word}s`) {
  return `${n.toLocaleString()} ${n === 1 ? word : many}`;
}

/** Encodes one hash-route segment. */
export function seg(value) {
  return encodeURIComponent(value);
}
