// The console's entry point: session check, the top bar and navigation, and dispatching hash routes to views.

import * as api from "./api.js";
import { h, replace } from "./dom.js";
import { currentRoute } from "./router.js";
import { clearErrors, clearStaleNotices, notify, showError, busy } from "./ui.js";
import { renderSignIn } from "./views/signin.js";
import { renderServers } from "./views/servers.js";
import { renderServerForm } from "./views/server-form.js";
import { renderServerDetail } from "./views/server-detail.js";
import { renderRestrictions } from "./views/restrictions.js";
import { renderConnectors } from "./views/connectors.js";
import { renderConnectorDetail, renderActionDetail } from "./views/connector-detail.js";
import { renderUsers, renderUserDetail } from "./views/users.js";
import { renderKeys } from "./views/keys.js";
import { renderOAuthApps } from "./views/oauth-apps.js";
import { renderActivity } from "./views/activity.js";
import { actingAsControl } from "./views/acting-as.js";

const NAV = [
  ["servers", "Servers"],
  ["connectors", "Connectors"],
  ["users", "Users & credentials"],
  ["keys", "API keys"],
  ["oauth-apps", "OAuth apps"],
  ["activity", "Activity"],
];

/** Which view renders a route: [section, matcher(parts) → render function or null]. */
function viewFor(parts) {
  const [section, id, sub, subId] = parts;
  switch (section) {
    case "servers":
      if (!id) return renderServers;
      if (id === "new" && !sub) return renderServerForm;
      if (sub === "edit") return renderServerForm;
      if (sub === "restrictions") return renderRestrictions;
      if (!sub) return renderServerDetail;
      return null;
    case "connectors":
      if (!id) return renderConnectors;
      if (sub === "actions" && subId) return renderActionDetail;
      if (!sub) return renderConnectorDetail;
      return null;
    case "users":
      return id ? renderUserDetail : renderUsers;
    case "keys":
      return id ? null : renderKeys;
    case "oauth-apps":
      return id ? null : renderOAuthApps;
    case "activity":
      return id ? null : renderActivity;
    default:
      return null;
  }
}

const main = document.getElementById("main");
const top = document.getElementById("top");
/** Bumped on every render: a view that finishes loading after the user moved on must not draw. */
let generation = 0;

function topBar(session) {
  const nav = h(
    "nav",
    { class: "main-nav", id: "main-nav", "aria-label": "Main" },
    h("ul", null, NAV.map(([path, label]) => h("li", null, h("a", { href: `#/${path}`, dataset: { section: path } }, label)))),
  );
  const menu = h("button", { type: "button", class: "menu-toggle secondary", "aria-expanded": "false", "aria-controls": "main-nav" }, "Menu");
  // On a phone the navigation and the session controls fold behind the Menu button.
  const setOpen = (open) => {
    menu.setAttribute("aria-expanded", String(open));
    nav.classList.toggle("open", open);
    top.classList.toggle("menu-open", open);
  };
  menu.addEventListener("click", () => setOpen(menu.getAttribute("aria-expanded") !== "true"));
  nav.addEventListener("click", (event) => {
    if (event.target.closest("a")) setOpen(false);
  });
  nav.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && nav.classList.contains("open")) {
      setOpen(false);
      menu.focus();
    }
  });
  const signOut = h("button", { type: "button", class: "secondary", id: "sign-out" }, "Sign out");
  signOut.addEventListener("click", () =>
    busy(signOut, async () => {
      await api.signOut();
      showSignIn("You are signed out.");
    }, "Sign out"),
  );
  const who = h(
    "div",
    { class: "who", id: "who" },
    h("span", null, h("span", { class: "muted" }, "Account "), h("strong", { class: "account" }, session.accountId)),
    h("span", null, h("span", { class: "muted" }, " · user "), h("strong", { class: "user" }, session.userId)),
    h("span", { class: "badge principal", title: session.expiresAt ? `Session expires ${new Date(session.expiresAt).toLocaleString()}` : "" }, session.principal === "apiKey" ? "API key" : "user token"),
  );
  return [
    h("div", { class: "brand-row" }, h("a", { class: "brand", href: "#/servers" }, h("span", { class: "logo", "aria-hidden": "true" }, "A"), "Alloy MCP console"), menu),
    nav,
    h("div", { class: "session-row" }, who, h("div", { class: "session-controls" }, api.isApiKeySession() ? actingAsControl(rerender) : null, signOut)),
  ];
}

function markCurrent(section) {
  for (const a of top.querySelectorAll(".main-nav a")) {
    if (a.dataset.section === section) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
}

/** Draws the view of the current hash; `focus`: move focus to the new page's heading (after a navigation). */
async function render(focus = false) {
  generation += 1;
  const mine = generation;
  const session = api.currentSession();
  if (!session) return;
  const route = currentRoute();
  if (!route.parts.length) {
    history.replaceState(null, "", "#/servers");
    route.parts.push("servers");
  }
  const view = viewFor(route.parts);
  markCurrent(route.parts[0]);
  clearErrors();
  clearStaleNotices();
  main.replaceChildren();
  if (!view) {
    replace(main, h("h1", { tabindex: "-1" }, "Not found"), h("p", null, "This console page does not exist. ", h("a", { href: "#/servers" }, "Go to the servers.")));
    return;
  }
  try {
    const drawing = view(main, route, () => mine === generation);
    // Views that draw their heading at once get focus at once; the others once loaded.
    if (focus && !main.contains(document.activeElement)) focusHeading();
    await drawing;
  } catch (error) {
    if (mine === generation) showError(error);
  }
  if (mine === generation && focus && !main.contains(document.activeElement)) focusHeading();
  if (mine === generation) {
    document.title = `${(main.querySelector("h1") || {}).textContent || "Console"} · Alloy MCP console`;
  }
}

function rerender() {
  render();
}

/** Moves focus to the new page's heading after a navigation (for keyboard and screen-reader users). */
function focusHeading() {
  const heading = main.querySelector("h1");
  if (heading) heading.focus({ preventScroll: false });
}

function showApp() {
  const session = api.currentSession();
  top.hidden = false;
  top.classList.remove("menu-open");
  replace(top, topBar(session));
  document.body.classList.remove("signed-out");
  render();
}

export function showSignIn(message) {
  generation += 1;
  top.hidden = true;
  top.replaceChildren();
  document.body.classList.add("signed-out");
  clearErrors();
  document.title = "Sign in · Alloy MCP console";
  renderSignIn(main, message, () => {
    if (!location.hash || location.hash === "#/" || location.hash === "#/signin") history.replaceState(null, "", "#/servers");
    showApp();
  });
}

/** Reports the end of an OAuth connection started from the console (the callback redirects to /admin?oauth=…). */
function oauthReturn() {
  const q = new URLSearchParams(location.search);
  if (!q.has("oauth")) return () => {};
  const user = q.get("user");
  history.replaceState(null, "", `/admin${user ? `#/users/${encodeURIComponent(user)}` : location.hash}`);
  return () => {
    if (q.get("error")) {
      showError({ message: `The OAuth connection failed: ${q.get("error_description") || q.get("error")}`, code: q.get("error") });
    } else if (q.get("credentialId")) {
      notify(`Connected: credential ${q.get("credentialId")} for ${q.get("connectorId") || "the connector"} was created.`);
    }
  };
}

async function start() {
  document.getElementById("skip-link").addEventListener("click", (event) => {
    event.preventDefault();
    main.focus();
  });
  api.whenSignedOut((message) => showSignIn(message));
  // The acting user changed outside the top bar (a user's page): redraw the bar's control.
  window.addEventListener("alloy:acting-user", () => {
    if (api.currentSession()) replace(top, topBar(api.currentSession()));
  });
  window.addEventListener("hashchange", () => {
    if (api.currentSession()) render(true);
  });
  let session;
  try {
    session = await api.loadSession();
  } catch (error) {
    replace(main, h("h1", null, "The console could not start"), h("p", null, error.message));
    return;
  }
  if (session) {
    const report = oauthReturn();
    showApp();
    report();
  } else {
    showSignIn();
  }
}

start();
