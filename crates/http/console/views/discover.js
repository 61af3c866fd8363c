// The "discover" box: a goal in words → discover_action_path's workflow steps and recommended action.

import { h, replace, uid } from "../dom.js";
import { href } from "../router.js";
import { discover } from "../catalog.js";
import { busy, empty } from "../ui.js";

function stepItem(step, connectorId, serverId) {
  const action = step.actionId && connectorId ? h("a", { href: href("connectors", connectorId, "actions", step.actionId, serverId ? { serverId } : {}), class: "mono" }, step.actionId) : step.actionId ? h("span", { class: "mono" }, step.actionId) : null;
  return h(
    "li",
    { class: "step" },
    h("p", null, h("span", { class: "badge" }, step.tool), " ", action, step.name ? h("span", { class: "muted" }, ` — ${step.name}`) : null),
    h("p", null, step.why),
    step.requiredParameters && step.requiredParameters.length ? h("p", { class: "muted" }, "Requires: ", h("span", { class: "mono" }, step.requiredParameters.join(", "))) : null,
  );
}

/** Draws discover's answer. */
export function discoverResult(answer, serverId) {
  const connectorId = answer.connectorId;
  if (!answer.recommendedAction) return empty(answer.message || "No action matches this goal.");
  return h(
    "div",
    { class: "discover-result", id: "discover-result" },
    h(
      "p",
      { class: "recommended" },
      "Recommended: ",
      h("a", { href: href("connectors", connectorId, "actions", answer.recommendedAction, serverId ? { serverId } : {}), class: "mono" }, `${connectorId}.${answer.recommendedAction}`),
    ),
    h("ol", { class: "steps" }, (answer.steps || []).map((s) => stepItem(s, connectorId, serverId))),
    answer.alternatives && answer.alternatives.length
      ? h("details", null, h("summary", null, `Alternatives in ${connectorId} (${answer.alternatives.length})`), h("ul", null, answer.alternatives.map((a) => h("li", null, h("a", { href: href("connectors", connectorId, "actions", a.actionId), class: "mono" }, a.actionId), a.description ? ` — ${a.description}` : ""))))
      : null,
    answer.candidates && answer.candidates.length
      ? h(
          "details",
          null,
          h("summary", null, `Best matches across connectors (${answer.candidates.length})`),
          h("ul", null, answer.candidates.map((c) => h("li", null, h("a", { href: href("connectors", c.connectorId, "actions", c.actionId), class: "mono" }, `${c.connectorId}.${c.actionId}`), ` — ${c.name} (${c.method} ${c.path}); ${c.why}`))),
        )
      : null,
  );
}

/** A form asking discover for a goal, optionally within one connector and/or under a server's restrictions. */
export function discoverBox({ connectorId, serverId } = {}) {
  const id = uid("goal");
  const goal = h("input", { type: "text", id, name: "goal", maxlength: 1000, placeholder: "e.g. send a message to a channel", autocomplete: "off", required: true });
  const result = h("div", { class: "discover-output", "aria-live": "polite" });
  const button = h("button", { type: "submit", class: "primary" }, "Discover");
  const form = h(
    "form",
    { class: "card discover", id: "discover-form", role: "search" },
    h("h2", null, connectorId ? "Find an action of this connector" : "Discover an action path"),
    h("p", { class: "muted" }, "Describe what the agent should achieve; this is the answer discover_action_path_alloy gives it."),
    h("div", { class: "field" }, h("label", { for: id }, "Goal"), h("div", { class: "row" }, goal, button)),
    result,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const text = goal.value.trim();
    if (!text) return;
    const answer = await busy(button, () => discover(text, { connectorId, serverId }), "Discover failed");
    if (answer) replace(result, discoverResult(answer, serverId));
  });
  return form;
}
