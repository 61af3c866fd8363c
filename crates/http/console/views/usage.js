// Usage charts of the Activity page, computed in the browser from recent tools/call audit events.

import * as api from "../api.js";
import { h, replace, plural } from "../dom.js";
import { lines, stackedBars } from "../charts.js";
import { empty, loading, showError } from "../ui.js";

/** Most connectors drawn separately; the rest are summed as "other". */
const TOP_CONNECTORS = 6;
/** Most days drawn. */
const MAX_DAYS = 31;

/** The local calendar day of a timestamp, "YYYY-MM-DD". */
function dayOf(value) {
  const d = new Date(value);
  const pad = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

/** Every day from `first` to `last` inclusive (local days), at most MAX_DAYS, ending at `last`. */
function daySpan(first, last) {
  const days = [];
  const end = new Date(`${last}T12:00:00`);
  const start = new Date(`${first}T12:00:00`);
  for (let d = end; d >= start && days.length < MAX_DAYS; d = new Date(d.getTime() - 86_400_000)) days.unshift(dayOf(d));
  return days;
}

/** The q-quantile of sorted numbers (nearest rank). */
export function quantile(sorted, q) {
  if (!sorted.length) return null;
  const rank = Math.ceil(q * sorted.length) - 1;
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank))];
}

/** Per-day statistics of tool calls. */
export function usageStats(events) {
  const calls = events.filter((e) => e.event === "tools/call");
  if (!calls.length) return null;
  const byDay = new Map();
  const perConnector = new Map();
  for (const e of calls) {
    const day = dayOf(e.time);
    if (!byDay.has(day)) byDay.set(day, { calls: [], connectors: new Map() });
    const bucket = byDay.get(day);
    bucket.calls.push(e);
    const connector = e.connectorId || "(no connector)";
    bucket.connectors.set(connector, (bucket.connectors.get(connector) || 0) + 1);
    perConnector.set(connector, (perConnector.get(connector) || 0) + 1);
  }
  const sortedDays = [...byDay.keys()].sort();
  const today = dayOf(new Date());
  const last = today > sortedDays[sortedDays.length - 1] ? today : sortedDays[sortedDays.length - 1];
  // At least a week, so that a single day of data still reads as a time series.
  const weekBefore = dayOf(new Date(new Date(`${last}T12:00:00`).getTime() - 6 * 86_400_000));
  const days = daySpan(sortedDays[0] < weekBefore ? sortedDays[0] : weekBefore, last);
  const ranked = [...perConnector.entries()].sort((a, b) => b[1] - a[1]);
  const top = ranked.slice(0, TOP_CONNECTORS).map(([name]) => name);
  const series = top.map((name) => ({ name, values: days.map((d) => (byDay.get(d) ? byDay.get(d).connectors.get(name) || 0 : 0)) }));
  if (ranked.length > TOP_CONNECTORS) {
    series.push({ name: "other", values: days.map((d) => (byDay.get(d) ? [...byDay.get(d).connectors].filter(([n]) => !top.includes(n)).reduce((sum, [, c]) => sum + c, 0) : 0)) });
  }
  const isError = (e) => e.outcome !== "ok";
  const errorRate = days.map((d) => {
    const b = byDay.get(d);
    return b && b.calls.length ? (100 * b.calls.filter(isError).length) / b.calls.length : null;
  });
  const latency = (q) =>
    days.map((d) => {
      const b = byDay.get(d);
      if (!b) return null;
      const values = b.calls.map((e) => e.latencyUs).filter((v) => typeof v === "number").sort((x, y) => x - y);
      const v = quantile(values, q);
      return v === null ? null : v / 1000;
    });
  const allLatency = calls.map((e) => e.latencyUs).filter((v) => typeof v === "number").sort((x, y) => x - y);
  return {
    days,
    calls: calls.length,
    errors: calls.filter(isError).length,
    p50: quantile(allLatency, 0.5),
    p95: quantile(allLatency, 0.95),
    perConnector: series,
    errorRate,
    p50Series: latency(0.5),
    p95Series: latency(0.95),
    first: calls[calls.length - 1].time,
  };
}

const ms = (v) => (v >= 100 ? `${Math.round(v)} ms` : v >= 1 ? `${Math.round(v * 10) / 10} ms` : `${Math.round(v * 100) / 100} ms`);

/** Draws the charts for the filters (outcome excepted: the error rate needs every call). */
export async function renderUsage(container, filters) {
  replace(container, loading("Computing usage from recent tool calls…"));
  let answer;
  try {
    answer = await api.get(`/api/audit${api.query({ ...filters, outcome: "", limit: 1000, offset: 0 })}`, { own: true });
  } catch (error) {
    showError(error, "Usage");
    replace(container, h("p", { class: "muted" }, "Usage could not be computed."));
    return;
  }
  const stats = usageStats(answer.events || []);
  if (!stats) {
    replace(container, empty("No tool calls in the latest events for these filters: charts appear once agents call tools."));
    return;
  }
  const summary = h(
    "dl",
    { class: "stats", id: "usage-summary" },
    h("div", null, h("dt", null, "Tool calls"), h("dd", null, stats.calls.toLocaleString())),
    h("div", null, h("dt", null, "Error rate"), h("dd", null, `${Math.round((1000 * stats.errors) / stats.calls) / 10}%`)),
    h("div", null, h("dt", null, "p50 latency"), h("dd", null, ms(stats.p50 / 1000))),
    h("div", null, h("dt", null, "p95 latency"), h("dd", null, ms(stats.p95 / 1000))),
  );
  replace(
    container,
    h("p", { class: "muted" }, `From the ${plural(stats.calls, "tool call")} among the ${plural((answer.events || []).length, "latest event")}${answer.hasMore ? ` (of ${answer.total.toLocaleString()})` : ""}, by local day.`),
    summary,
    h(
      "div",
      { class: "charts" },
      stackedBars({ title: "Tool calls per day, by connector", description: `Stacked bars over ${stats.days.length} days; calls that name no connector (such as list_connectors_alloy) are “(no connector)”.`, days: stats.days, series: stats.perConnector, wide: !window.matchMedia("(max-width: 760px)").matches }),
      lines({ title: "Error rate per day (%)", description: "Share of tool calls whose outcome is not ok.", days: stats.days, series: [{ name: "errors %", values: stats.errorRate }], format: (v) => `${Math.round(v)}%`, max: 100 }),
      lines({ title: "Latency per day (ms)", description: "Median and 95th percentile of tool-call latency.", days: stats.days, series: [{ name: "p50", values: stats.p50Series }, { name: "p95", values: stats.p95Series }], format: ms }),
    ),
  );
}
