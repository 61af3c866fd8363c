// The connector catalog through the API: connector pages, one connector's actions, and what a server lets agents see.

import * as api from "./api.js";

/**
 * One page of connectors: {connectors, count, total, limit, offset, hasMore, categories}.
 * Params: query, category, limit (≤ 100), offset, serverId.
 */
export async function listConnectors(params) {
  const answer = await api.get(`/api/connectors${api.query(params)}`);
  if (Array.isArray(answer.connectors)) return answer;
  // A shaped list (the tool's answer for long lists): keep what it shows.
  const connectors = Array.isArray(answer.data) ? answer.data : Array.isArray(answer.samples) ? answer.samples : [];
  return { connectors, count: connectors.length, total: connectors.length, limit: connectors.length, offset: params.offset || 0, hasMore: false, categories: answer.categories || [] };
}

/** One connector's resources (an overview with counts for big connectors). */
export function connectorResources(connectorId, params = {}) {
  return api.get(`/api/connectors/${api.p(connectorId)}${api.query(params)}`);
}

/** One action's details (parameters, schema, example call). */
export function actionDetails(connectorId, actionId, params = {}) {
  return api.get(`/api/connectors/${api.p(connectorId)}/actions/${api.p(actionId)}${api.query(params)}`);
}

/** discover_action_path for a goal. */
export function discover(goal, params = {}) {
  return api.get(`/api/discover${api.query({ goal, ...params })}`);
}

/** Every action of a connector as [{id, name, method, readOnly, resource}], paging big ones by resource. */
export async function allActions(connectorId) {
  const answer = await connectorResources(connectorId);
  const actions = [];
  for (const resource of answer.resources || []) {
    if (Array.isArray(resource.actions)) {
      for (const a of resource.actions) actions.push({ ...a, resource: resource.name });
      continue;
    }
    for (let offset = 0; ; offset += 200) {
      const page = await connectorResources(connectorId, { resource: resource.name, limit: 200, offset });
      for (const group of page.resources || []) for (const a of group.actions || []) actions.push({ ...a, resource: group.name });
      if (!page.hasMore) break;
    }
  }
  return { connector: answer, actions };
}

/** How many connectors the agent of `serverId` sees, and how many the catalog holds. */
export async function connectorEffect(serverId) {
  const [mine, all] = await Promise.all([listConnectors({ serverId, limit: 1 }), listConnectors({ limit: 1 })]);
  return { visible: mine.total, total: all.total };
}
