// Small SVG charts drawn with createElementNS (no library): stacked bars and lines over days, with a data table for screen readers.

import { h, s, uid } from "./dom.js";

const WIDTH = 480;
const H = 220;
const PAD = { left: 66, right: 10, top: 12, bottom: 30 };

/** A "nice" upper bound for an axis: 1, 2 or 5 times a power of ten. */
function niceMax(value) {
  if (value <= 0) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const m of [1, 2, 5, 10]) if (m * power >= value) return m * power;
  return 10 * power;
}

/** Short day label: "12-05" from "2026-12-05". */
function dayLabel(day) {
  return day.slice(5);
}

/** How many grid steps an axis up to `max` gets: whole numbers stay whole. */
function ticksFor(max, whole) {
  if (!whole) return 4;
  if (max <= 5) return max;
  return max % 4 === 0 ? 4 : 5;
}

function frame(title, description, max, format, days, whole, W) {
  const titleId = uid("chart-title");
  const descId = uid("chart-desc");
  const svg = s("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-labelledby": `${titleId} ${descId}`, class: "chart-svg", preserveAspectRatio: "xMidYMid meet" }, s("title", { id: titleId }, title), s("desc", { id: descId }, description));
  const plotH = H - PAD.top - PAD.bottom;
  const ticks = ticksFor(max, whole);
  for (let i = 0; i <= ticks; i += 1) {
    const v = (max * i) / ticks;
    const y = PAD.top + plotH - (plotH * i) / ticks;
    svg.append(s("line", { x1: PAD.left, x2: W - PAD.right, y1: y, y2: y, class: "grid-line" }), s("text", { x: PAD.left - 6, y: y + 4, class: "axis-label", "text-anchor": "end" }, format(v)));
  }
  const step = (W - PAD.left - PAD.right) / Math.max(1, days.length);
  const every = Math.ceil(days.length / 10);
  days.forEach((day, i) => {
    if (i % every === 0) svg.append(s("text", { x: PAD.left + step * i + step / 2, y: H - PAD.bottom + 16, class: "axis-label", "text-anchor": "middle" }, dayLabel(day)));
  });
  return { svg, step, plotH };
}

function legend(series) {
  return h("ul", { class: "legend" }, series.map((serie, i) => h("li", null, h("span", { class: `swatch c${i % 8}`, "aria-hidden": "true" }), serie.name)));
}

function dataTable(caption, days, series, format) {
  return h(
    "details",
    { class: "chart-data" },
    h("summary", null, "Show the numbers"),
    h(
      "div",
      { class: "table-wrap" },
      h(
        "table",
        { class: "list compact" },
        h("caption", null, caption),
        h("thead", null, h("tr", null, h("th", { scope: "col" }, "Day"), series.map((x) => h("th", { scope: "col" }, x.name)))),
        h("tbody", null, days.map((day, i) => h("tr", null, h("th", { scope: "row" }, day), series.map((x) => h("td", null, x.values[i] === null ? "—" : format(x.values[i])))))),
      ),
    ),
  );
}

/** Stacked bars: one bar per day, one segment per series; `wide` doubles the drawing's width. */
export function stackedBars({ title, description, days, series, format = (v) => String(Math.round(v)), wide = false }) {
  const W = wide ? 2 * WIDTH : WIDTH;
  const totals = days.map((_, i) => series.reduce((sum, x) => sum + (x.values[i] || 0), 0));
  const max = niceMax(Math.max(0, ...totals));
  const { svg, step, plotH } = frame(title, description, max, format, days, true, W);
  const barW = Math.min(36, Math.max(2, step * 0.7));
  days.forEach((day, i) => {
    let y = PAD.top + plotH;
    series.forEach((serie, k) => {
      const v = serie.values[i] || 0;
      if (!v) return;
      const height = (plotH * v) / max;
      y -= height;
      svg.append(s("rect", { x: PAD.left + step * i + (step - barW) / 2, y, width: barW, height, class: `bar c${k % 8}` }, s("title", null, `${day} · ${serie.name}: ${format(v)}`)));
    });
  });
  return h("figure", { class: `chart${wide ? " wide" : ""}` }, h("figcaption", null, title), svg, legend(series), dataTable(title, days, series, format));
}

/** Lines: one per series; null values leave gaps. */
export function lines({ title, description, days, series, format = (v) => String(Math.round(v)), max: fixedMax }) {
  const W = WIDTH;
  const all = series.flatMap((x) => x.values.filter((v) => v !== null));
  const max = fixedMax || niceMax(Math.max(0, ...all));
  const { svg, step, plotH } = frame(title, description, max, format, days, false, W);
  series.forEach((serie, k) => {
    let path = "";
    serie.values.forEach((v, i) => {
      if (v === null) return;
      const x = PAD.left + step * i + step / 2;
      const y = PAD.top + plotH - (plotH * Math.min(v, max)) / max;
      const prev = i > 0 && serie.values[i - 1] !== null;
      path += `${prev ? "L" : "M"}${x.toFixed(1)},${y.toFixed(1)} `;
      svg.append(s("circle", { cx: x, cy: y, r: 3, class: `dot c${k % 8}` }, s("title", null, `${days[i]} · ${serie.name}: ${format(v)}`)));
    });
    if (path) svg.insertBefore(s("path", { d: path.trim(), class: `line c${k % 8}` }), svg.querySelector("circle"));
  });
  return h("figure", { class: "chart" }, h("figcaption", null, title), svg, legend(series), dataTable(title, days, series, format));
}
