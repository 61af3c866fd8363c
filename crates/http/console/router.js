// Hash routing: "#/servers/<id>?tab=x" → {parts, params}; links and navigation helpers.

/** The current route: decoded path segments and query parameters of the hash. */
export function currentRoute() {
  const hash = location.hash.replace(/^#/, "") || "/servers";
  const [path, search = ""] = hash.split("?");
  const parts = path
    .split("/")
    .filter(Boolean)
    .map((part) => {
      try {
        return decodeURIComponent(part);
      } catch {
        return part;
      }
    });
  return { parts, params: new URLSearchParams(search), hash: `#${hash}` };
}

/** A hash for segments and optional params: href("servers", id) → "#/servers/<id>". */
export function href(...segments) {
  let params = null;
  if (segments.length && typeof segments[segments.length - 1] === "object") params = segments.pop();
  const path = segments.map((s) => encodeURIComponent(s)).join("/");
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params || {})) {
    if (v !== null && v !== undefined && v !== "") q.set(k, String(v));
  }
  const text = q.toString();
  return `#/${path}${text ? `?${text}` : ""}`;
}

/** Goes to a hash (a new history entry). */
export function go(hash) {
  if (location.hash === hash) window.dispatchEvent(new HashChangeEvent("hashchange"));
  else location.hash = hash;
}

/** Replaces the current hash's params without a new render (keeps filters in the URL for reloads and back). */
export function setParams(params) {
  const { parts } = currentRoute();
  const hash = href(...parts, params);
  history.replaceState(null, "", hash);
}
