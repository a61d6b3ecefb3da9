// The comparison chart: one stacked bar of phase durations per mode, plus the same as a table.

import { formatMs, h } from "./dom.js";
import { PHASE_LABELS } from "./timeline.js";

const SVG = "http://www.w3.org/2000/svg";
const COLORS = {
  "read-steps": "#94a3b8", decode: "#a78bfa", "load-crs": "#f59e0b", "init-bb": "#fb7185",
  "fetch-attestation": "#38bdf8", "verify-attestation": "#0ea5e9", encrypt: "#22c55e",
  transmit: "#14b8a6", proving: "#6366f1", receive: "#64748b", fallback: "#a16207",
};

/** Draws `runs` (mode -> {phases: [phase, ms][], outcome}) into `root`. */
export function renderChart(root, runs, modeName) {
  const entries = [...runs.entries()];
  const totals = entries.map(([, run]) => run.phases.reduce((sum, [, ms]) => sum + ms, 0));
  const max = Math.max(1, ...totals);
  const barHeight = 28;
  const gap = 14;
  const labelWidth = 110;
  const width = 760;
  const height = entries.length * (barHeight + gap);

  const svg = el("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", class: "chart",
    "aria-label": "Total time per mode, split by phase" });
  entries.forEach(([mode, run], i) => {
    const y = i * (barHeight + gap);
    svg.append(text(modeName(mode), 0, y + barHeight * 0.68, "label"));
    let x = labelWidth;
    for (const [phase, ms] of run.phases) {
      const w = ((width - labelWidth - 70) * ms) / max;
      const rect = el("rect", { x, y, width: Math.max(w, 0.5), height: barHeight, fill: COLORS[phase] ?? "#999" });
      rect.append(el("title", {}, `${PHASE_LABELS[phase] ?? phase}: ${formatMs(ms)}`));
      svg.append(rect);
      x += w;
    }
    svg.append(text(formatMs(totals[i]), x + 6, y + barHeight * 0.68, "total"));
  });

  const used = new Set(entries.flatMap(([, run]) => run.phases.map(([p]) => p)));
  const legend = h("ul", { class: "legend" }, ...[...used].map((p) =>
    h("li", {}, h("span", { class: "swatch", style: `background:${COLORS[p] ?? "#999"}` }), PHASE_LABELS[p] ?? p)));

  const table = h("table", { class: "compare" },
    h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Mode"), h("th", { scope: "col" }, "Total"),
      h("th", { scope: "col" }, "Slowest phase"), h("th", { scope: "col" }, "Outcome"))),
    h("tbody", {}, ...entries.map(([mode, run], i) => {
      const slowest = run.phases.reduce((a, b) => (b[1] > a[1] ? b : a), ["", 0]);
      return h("tr", {}, h("th", { scope: "row" }, modeName(mode)), h("td", {}, formatMs(totals[i])),
        h("td", {}, `${PHASE_LABELS[slowest[0]] ?? slowest[0]} (${formatMs(slowest[1])})`),
        h("td", {}, run.outcome));
    })));
  root.replaceChildren(svg, legend, table);
}

function el(tag, attributes, content) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attributes)) node.setAttribute(k, v);
  if (content !== undefined) node.textContent = content;
  return node;
}

function text(content, x, y, cls) {
  return el("text", { x, y, class: cls }, content);
}
