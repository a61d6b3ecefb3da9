// Tiny DOM helpers.

/** Builds an element: `h("p", {class: "x"}, "text", child)`; empty-string children are skipped. */
export function h(tag, attributes, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attributes)) el.setAttribute(k, v);
  el.append(...children.filter((c) => c !== "" && c !== null && c !== undefined));
  return el;
}

/** A description list from `[term, value]` rows. */
export function dl(rows) {
  return h("dl", {}, ...rows.flatMap(([k, v]) => [h("dt", {}, k), h("dd", {}, v)]));
}

/** `ms` as seconds with one decimal, or milliseconds under a second. */
export function formatMs(ms) {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}
